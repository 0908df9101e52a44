#include "arch/x86/svm/npt.h"
#include "core/frame.h"

/* Entry bits, AMD APM vol. 2, 5.4. Nested walks are user-mode accesses
 * (15.25.5), so every entry needs U/S. */
#define NPTE_PRESENT (1ull << 0)
#define NPTE_WRITE (1ull << 1)
#define NPTE_USER (1ull << 2)
#define NPTE_LARGE (1ull << 7)
#define NPTE_ADDR_MASK 0x000ffffffffff000ull
#define NPTE_TABLE (NPTE_PRESENT | NPTE_WRITE | NPTE_USER)
#define NPTE_LEAF (NPTE_PRESENT | NPTE_WRITE | NPTE_USER)

#define SIZE_4K 0x1000ull
#define SIZE_2M 0x200000ull
#define LEVELS 4

static unsigned npt_index(uint64_t gpa, unsigned level)
{
	return (gpa >> (12 + 9 * (level - 1))) & 511;	/* level 4 = PML4 */
}

static uint64_t *npt_table_new(struct arch_domain *ad)
{
	uint64_t phys = frame_alloc_zeroed(1);

	if (phys)
		ad->npt_table_pages++;
	return (uint64_t *)(uintptr_t)phys;
}

/* The table at `level` - 1 under entry `index` of `table`, made if absent. */
static uint64_t *npt_next(struct arch_domain *ad, uint64_t *table,
			  unsigned index)
{
	if (!(table[index] & NPTE_PRESENT)) {
		uint64_t *next = npt_table_new(ad);
		if (!next)
			return NULL;
		table[index] = (uint64_t)(uintptr_t)next | NPTE_TABLE;
	}
	return (uint64_t *)(uintptr_t)(table[index] & NPTE_ADDR_MASK);
}

/* Walks down to the table of `leaf_level` (1: 4 KiB pages, 2: 2 MiB). */
static uint64_t *npt_walk(struct arch_domain *ad, uint64_t gpa,
			  unsigned leaf_level)
{
	uint64_t *table = ad->npt_root;

	for (unsigned level = LEVELS; level > leaf_level && table; level--)
		table = npt_next(ad, table, npt_index(gpa, level));
	return table;
}

bool npt_init(struct arch_domain *ad)
{
	ad->npt_table_pages = 0;
	ad->npt_root = npt_table_new(ad);
	return ad->npt_root != NULL;
}

bool npt_map_range(struct arch_domain *ad, uint64_t gpa, uint64_t hpa,
		   uint64_t size)
{
	while (size) {
		bool large = size >= SIZE_2M && !(gpa & (SIZE_2M - 1)) &&
			     !(hpa & (SIZE_2M - 1));
		unsigned level = large ? 2 : 1;
		uint64_t *table = npt_walk(ad, gpa, level);
		if (!table)
			return false;
		table[npt_index(gpa, level)] =
			hpa | NPTE_LEAF | (large ? NPTE_LARGE : 0);
		uint64_t step = large ? SIZE_2M : SIZE_4K;
		gpa += step;
		hpa += step;
		size -= step;
	}
	return true;
}

static void npt_free_table(struct arch_domain *ad, uint64_t *table,
			   unsigned level)
{
	for (unsigned i = 0; level > 1 && i < 512; i++) {
		uint64_t e = table[i];
		if ((e & NPTE_PRESENT) && !(e & NPTE_LARGE))
			npt_free_table(ad, (uint64_t *)(uintptr_t)(e & NPTE_ADDR_MASK),
				       level - 1);
	}
	frame_free((uint64_t)(uintptr_t)table, 1);
	ad->npt_table_pages--;
}

void npt_destroy(struct arch_domain *ad)
{
	if (ad->npt_root)
		npt_free_table(ad, ad->npt_root, LEVELS);
	ad->npt_root = NULL;
}
