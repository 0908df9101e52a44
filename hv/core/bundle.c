#include "core/bundle.h"
#include "core/log.h"

static const void *bundle_data;
static size_t bundle_size;
static size_t bundle_entries;

bool bundle_init(const struct boot_info *bi)
{
	if (bi->module_count == 0) {
		log_err("bundle: error: no boot module: starting with an empty bundle\n");
		return false;
	}
	if (bi->module_count + bi->modules_dropped > 1)
		log_warn("bundle: warning: %zu boot modules; only the first is the bundle\n",
			 bi->module_count + bi->modules_dropped);

	const struct boot_module *mod = &bi->modules[0];
	const void *data = (const void *)(uintptr_t)mod->phys;
	size_t entries = 0, bad_offset = 0;
	enum cpio_status st = cpio_validate(data, mod->size, &entries, &bad_offset);
	if (st != CPIO_OK) {
		log_err("bundle: error: corrupt bundle at offset %zu: %s; starting with an empty bundle\n",
			bad_offset, cpio_status_str(st));
		return false;
	}
	bundle_data = data;
	bundle_size = mod->size;
	bundle_entries = entries;
	log_info("bundle: %zu entries, %zu bytes at %#lx\n", entries, bundle_size,
		 mod->phys);
	return true;
}

bool bundle_find(const char *path, struct cpio_file *out)
{
	return bundle_data &&
	       cpio_find(bundle_data, bundle_size, path, out) == CPIO_OK;
}

size_t bundle_entry_count(void)
{
	return bundle_entries;
}
