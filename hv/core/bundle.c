#include "core/bundle.h"
#include "core/log.h"
#include "lib/string.h"

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

/* Paths in the archive may start with "./" or "/"; compare without. */
static const char *path_without_root(const char *p)
{
	while (*p == '/' || (p[0] == '.' && p[1] == '/'))
		p += *p == '/' ? 1 : 2;
	return p;
}

void bundle_for_each(const char *prefix,
		     void (*fn)(const struct cpio_file *f, void *ctx), void *ctx)
{
	struct cpio_reader r;
	struct cpio_file f;
	size_t prefix_len = strlen(prefix);

	if (!bundle_data)
		return;
	cpio_reader_init(&r, bundle_data, bundle_size);
	while (cpio_next(&r, &f) == CPIO_OK) {
		const char *path = path_without_root(f.name);
		if (cpio_is_regular(&f) && strncmp(path, prefix, prefix_len) == 0)
			fn(&f, ctx);
	}
}
