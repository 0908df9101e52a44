/* The PVH boot ABI (Xen's docs/misc/pvh.pandoc): QEMU's -kernel path. */
#include "arch/x86/boot/boot_protocols.h"
#include "core/log.h"
#include "lib/string.h"
#include "vesta/pvh_start_info.h"

static void pvh_read_memmap(const struct pvh_start_info *si, struct memmap *m)
{
	const struct pvh_memmap_entry *e =
		(const void *)(uintptr_t)si->memmap_paddr;

	for (uint32_t i = 0; i < si->memmap_entries; i++)
		if (!memmap_add(m, e[i].addr, e[i].size, e[i].type))
			log_warn("boot: warning: memory map entry %u dropped: table full\n", i);
}

static void pvh_read_modules(const struct pvh_start_info *si,
			     struct boot_info *out)
{
	const struct pvh_module *mod = (const void *)(uintptr_t)si->modlist_paddr;

	for (uint32_t i = 0; i < si->nr_modules; i++) {
		if (out->module_count == BOOT_MODULES_MAX) {
			out->modules_dropped++;
			continue;
		}
		struct boot_module *bm = &out->modules[out->module_count++];
		bm->phys = mod[i].paddr;
		bm->size = mod[i].size;
		if (mod[i].cmdline_paddr)
			boot_copy_string(bm->name, sizeof(bm->name),
					 (const char *)(uintptr_t)mod[i].cmdline_paddr);
	}
}

bool pvh_read_boot_info(uint64_t start_info_phys, struct boot_info *out)
{
	const struct pvh_start_info *si = (const void *)(uintptr_t)start_info_phys;

	out->protocol = "PVH";
	if (si->magic != PVH_START_MAGIC) {
		log_err("boot: error: PVH start info at %#lx has bad magic %#x\n",
			start_info_phys, si->magic);
		return false;
	}
	if (si->cmdline_paddr)
		out->cmdline_truncated = !boot_copy_string(
			out->cmdline, sizeof(out->cmdline),
			(const char *)(uintptr_t)si->cmdline_paddr);
	if (si->nr_modules && si->modlist_paddr)
		pvh_read_modules(si, out);
	out->rsdp_phys = si->rsdp_paddr;
	if (si->version >= 1 && si->memmap_paddr)
		pvh_read_memmap(si, &out->memmap);
	if (out->memmap.count == 0) {
		log_err("boot: error: PVH start info (version %u) has no memory map\n",
			si->version);
		return false;
	}
	return true;
}

bool boot_copy_string(char *dst, size_t dst_size, const char *src)
{
	size_t len = strnlen(src, dst_size);
	bool fits = len < dst_size;

	if (!fits)
		len = dst_size - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
	return fits;
}
