/* What the boot loader told us, copied out of its structures before the
 * frame allocator can reuse their memory. Filled by the arch boot code. */
#ifndef CORE_BOOT_INFO_H
#define CORE_BOOT_INFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/memmap.h"

#define BOOT_CMDLINE_MAX 1024
#define BOOT_MODULES_MAX 8
#define BOOT_MODULE_NAME_MAX 64
#define BOOT_RSDP_COPY_MAX 36	/* an ACPI 2.0+ RSDP */

struct boot_module {
	uint64_t phys;
	uint64_t size;
	char name[BOOT_MODULE_NAME_MAX];
};

struct boot_info {
	const char *protocol;			/* "PVH" or "Multiboot2" */
	char cmdline[BOOT_CMDLINE_MAX];
	bool cmdline_truncated;
	struct memmap memmap;			/* raw, as the firmware said */
	struct boot_module modules[BOOT_MODULES_MAX];
	size_t module_count;
	size_t modules_dropped;
	uint64_t rsdp_phys;			/* 0: unknown */
	uint8_t rsdp_copy[BOOT_RSDP_COPY_MAX];	/* Multiboot2 gives a copy */
	size_t rsdp_copy_size;			/* 0: no copy */
};

#endif
