/* A physical memory map: the firmware's ranges, normalized, with the
 * hypervisor's own reservations carved out of the usable RAM. */
#ifndef LIB_MEMMAP_H
#define LIB_MEMMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PAGE_SIZE UINT64_C(4096)
#define PAGE_SHIFT 12

/* E820 / Multiboot2 / PVH all number their types the same way (ACPI 6.5,
 * table 15.4 "Address Range Types"). MEMMAP_HYPERVISOR is ours: usable RAM
 * that the hypervisor keeps (its image, boot modules, ACPI copies ...). */
enum memmap_type {
	MEMMAP_USABLE = 1,
	MEMMAP_RESERVED = 2,
	MEMMAP_ACPI_RECLAIM = 3,
	MEMMAP_ACPI_NVS = 4,
	MEMMAP_BAD = 5,
	MEMMAP_HYPERVISOR = 0x1000,
};

#define MEMMAP_MAX_RANGES 128

struct memmap_range {
	uint64_t base;
	uint64_t size;
	uint32_t type;
};

struct memmap {
	struct memmap_range ranges[MEMMAP_MAX_RANGES];
	size_t count;
};

void memmap_init(struct memmap *m);
/* Appends a raw range; zero-sized ranges are ignored. Unknown types are kept
 * as they are (and count as not usable). Returns false when the table is full
 * (the range is dropped). Ranges that wrap past 2^64 are clipped. */
bool memmap_add(struct memmap *m, uint64_t base, uint64_t size, uint32_t type);

/* Sorts by base and makes ranges disjoint: where ranges overlap, the type
 * that is not MEMMAP_USABLE wins (the higher numeric type when both are not
 * usable). Usable ranges are shrunk inward to page boundaries; empty ones
 * disappear; adjacent ranges of the same type merge. */
void memmap_normalize(struct memmap *m);

/* Marks [base, base+size) (widened outward to pages) as MEMMAP_HYPERVISOR
 * wherever it is usable; leaves other types alone. Keeps the map normalized.
 * Returns false only if the table overflows. */
bool memmap_reserve(struct memmap *m, uint64_t base, uint64_t size);

uint64_t memmap_bytes_of_type(const struct memmap *m, uint32_t type);
/* One past the highest usable byte (0 when there is none). */
uint64_t memmap_usable_end(const struct memmap *m);

/* Lowest page-aligned base of `size` bytes, aligned to `align` (a power of
 * two >= PAGE_SIZE), entirely inside one usable range and below `limit`.
 * Returns false when none fits. */
bool memmap_find_free(const struct memmap *m, uint64_t size, uint64_t align,
		      uint64_t limit, uint64_t *base);

const char *memmap_type_name(uint32_t type);

#endif
