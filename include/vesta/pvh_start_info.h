/*
 * The PVH boot ABI's start info (Xen public/arch-x86/hvm/start_info.h),
 * which QEMU's -kernel hands to an ELF with a PHYS32_ENTRY note, and which
 * Vesta will hand to PVH guests. Layout fixed by that ABI: little-endian,
 * naturally aligned, all addresses physical.
 */
#ifndef VESTA_PVH_START_INFO_H
#define VESTA_PVH_START_INFO_H

#include <stdint.h>

#define PVH_START_MAGIC 0x336ec578	/* "xEn3" with the 0x80 bit of the "E" set */

struct pvh_start_info {
	uint32_t magic;
	uint32_t version;		/* 0, or 1 with the memory map */
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;		/* array of pvh_module */
	uint64_t cmdline_paddr;		/* NUL-terminated, 0 if none */
	uint64_t rsdp_paddr;		/* 0 if none */
	uint64_t memmap_paddr;		/* version >= 1: array of pvh_memmap_entry */
	uint32_t memmap_entries;
	uint32_t reserved;
};

struct pvh_module {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
};

struct pvh_memmap_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;			/* E820 numbering */
	uint32_t reserved;
};

_Static_assert(sizeof(struct pvh_start_info) == 56, "PVH start info layout");
_Static_assert(sizeof(struct pvh_module) == 32, "PVH module layout");
_Static_assert(sizeof(struct pvh_memmap_entry) == 24, "PVH memmap layout");

#endif
