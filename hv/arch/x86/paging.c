#include "arch/x86/paging.h"
#include "arch/x86/cpu.h"
#include "arch/x86/layout.h"
#include "core/frame.h"
#include "core/panic.h"

/* Page table entry bits, AMD APM vol. 2, 5.4 "Page-Translation-Table Entry
 * Fields". */
#define PTE_PRESENT (1ull << 0)
#define PTE_WRITE (1ull << 1)
#define PTE_PWT (1ull << 3)
#define PTE_PCD (1ull << 4)
#define PTE_LARGE (1ull << 7)
#define PTE_NX (1ull << 63)
#define PTE_ADDR_MASK 0x000ffffffffff000ull

#define SIZE_2M (2ull << 20)
#define SIZE_4G (4ull << 30)
/* Local APIC, I/O APIC, HPET and firmware live here: map uncacheable. */
#define MMIO_HOLE_START 0xfe000000ull
/* The range mapped with 4 KiB pages: page 0 and the image (linker.ld). */
#define SMALL_PAGES_END (2 * SIZE_2M)

extern const char __image_start[], __text_end[], __rodata_end[];

static uint64_t *pml4;
static uint64_t mapped_end;

static uint64_t *table_new(void)
{
	uint64_t phys = frame_alloc_zeroed(1);

	if (!phys)
		panic("paging: out of memory for page tables\n");
	return (uint64_t *)(uintptr_t)phys;
}

/* The next-level table under entry `index` of `table`, made if absent. */
static uint64_t *table_walk(uint64_t *table, unsigned index)
{
	if (!(table[index] & PTE_PRESENT))
		table[index] = (uint64_t)(uintptr_t)table_new() | PTE_PRESENT |
			       PTE_WRITE;
	return (uint64_t *)(uintptr_t)(table[index] & PTE_ADDR_MASK);
}

static uint64_t *pd_for(uint64_t va)
{
	uint64_t *pdpt = table_walk(pml4, (va >> 39) & 511);

	return table_walk(pdpt, (va >> 30) & 511);
}

static void map_2m(uint64_t pa, uint64_t flags)
{
	pd_for(pa)[(pa >> 21) & 511] = pa | flags | PTE_LARGE | PTE_PRESENT;
}

static void map_4k(uint64_t pa, uint64_t flags)
{
	uint64_t *pt = table_walk(pd_for(pa), (pa >> 21) & 511);

	pt[(pa >> 12) & 511] = pa | flags | PTE_PRESENT;
}

/* Text: read and execute. Rodata: read. Everything else: read and write. */
static uint64_t image_page_flags(uint64_t pa)
{
	if (pa >= (uint64_t)(uintptr_t)__image_start &&
	    pa < (uint64_t)(uintptr_t)__text_end)
		return 0;
	if (pa >= (uint64_t)(uintptr_t)__text_end &&
	    pa < (uint64_t)(uintptr_t)__rodata_end)
		return PTE_NX;
	return PTE_WRITE | PTE_NX;
}

static void map_small_pages(void)
{
	for (uint64_t pa = PAGE_SIZE; pa < SMALL_PAGES_END; pa += PAGE_SIZE)
		map_4k(pa, image_page_flags(pa));
}

void paging_init(const struct memmap *m)
{
	uint64_t end = memmap_usable_end(m);

	end = end < SIZE_4G ? SIZE_4G : (end + SIZE_2M - 1) & ~(SIZE_2M - 1);
	pml4 = table_new();
	map_small_pages();
	for (uint64_t pa = SMALL_PAGES_END; pa < end; pa += SIZE_2M) {
		uint64_t flags = PTE_WRITE | PTE_NX;
		if (pa >= MMIO_HOLE_START && pa < SIZE_4G)
			flags |= PTE_PCD | PTE_PWT;
		map_2m(pa, flags);
	}
	mapped_end = end;
	paging_load();
}

void paging_load(void)
{
	write_cr3((uint64_t)(uintptr_t)pml4);
}

uint64_t paging_mapped_end(void)
{
	return mapped_end;
}
