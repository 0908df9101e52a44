/* lib/memmap.c: normalization (overlaps, rounding, merging), reservations,
 * free-range search and table limits. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/memmap.h"

#define KiB 1024ull
#define MiB (1024ull * KiB)
#define GiB (1024ull * MiB)

static struct memmap *new_map(void)
{
	struct memmap *m = malloc(sizeof(*m));

	assert_non_null(m);
	memmap_init(m);
	return m;
}

static void expect_range(const struct memmap *m, size_t i, uint64_t base,
			 uint64_t size, uint32_t type)
{
	if (i >= m->count)
		fail_msg("range %zu missing: the map has %zu", i, m->count);
	const struct memmap_range *r = &m->ranges[i];

	if (r->base != base || r->size != size || r->type != type)
		fail_msg("range %zu is [%#llx +%#llx type %u], want [%#llx +%#llx type %u]",
			 i, (unsigned long long)r->base, (unsigned long long)r->size,
			 r->type, (unsigned long long)base,
			 (unsigned long long)size, type);
}

/* Sorted, disjoint, no equal-typed neighbours touching, usable aligned. */
static void expect_normalized(const struct memmap *m)
{
	for (size_t i = 0; i < m->count; i++) {
		const struct memmap_range *r = &m->ranges[i];

		assert_true(r->size > 0);
		if (r->type == MEMMAP_USABLE) {
			assert_int_equal(r->base % PAGE_SIZE, 0);
			assert_int_equal(r->size % PAGE_SIZE, 0);
		}
		if (i == 0)
			continue;
		const struct memmap_range *prev = &m->ranges[i - 1];

		assert_true(prev->base + prev->size <= r->base);
		assert_false(prev->base + prev->size == r->base &&
			     prev->type == r->type);
	}
}

/* A typical PC map, given out of order. */
static void add_pc_map(struct memmap *m)
{
	assert_true(memmap_add(m, 1 * MiB, 2 * GiB - 1 * MiB, MEMMAP_USABLE));
	assert_true(memmap_add(m, 0, 0x9fc00, MEMMAP_USABLE));
	assert_true(memmap_add(m, 0x9fc00, 0x400, MEMMAP_RESERVED));
	assert_true(memmap_add(m, 0xf0000, 0x10000, MEMMAP_RESERVED));
	assert_true(memmap_add(m, 4 * GiB, 2 * GiB, MEMMAP_USABLE));
	assert_true(memmap_add(m, 0xfffc0000, 0x40000, MEMMAP_RESERVED));
}

static void test_sort_and_round(void **state)
{
	(void)state;
	struct memmap *m = new_map();

	add_pc_map(m);
	memmap_normalize(m);
	expect_normalized(m);
	/* 0x9fc00 rounds down to 0x9f000; the reserved piece keeps its bytes. */
	expect_range(m, 0, 0, 0x9f000, MEMMAP_USABLE);
	expect_range(m, 1, 0x9fc00, 0x400, MEMMAP_RESERVED);
	expect_range(m, 2, 0xf0000, 0x10000, MEMMAP_RESERVED);
	expect_range(m, 3, 1 * MiB, 2 * GiB - 1 * MiB, MEMMAP_USABLE);
	expect_range(m, 4, 0xfffc0000, 0x40000, MEMMAP_RESERVED);
	expect_range(m, 5, 4 * GiB, 2 * GiB, MEMMAP_USABLE);
	assert_int_equal(m->count, 6);
	assert_int_equal(memmap_usable_end(m), 6 * GiB);
	assert_int_equal(memmap_bytes_of_type(m, MEMMAP_USABLE),
			 0x9f000 + 2 * GiB - 1 * MiB + 2 * GiB);
	/* Normalizing again changes nothing. */
	struct memmap *copy = new_map();

	*copy = *m;
	memmap_normalize(copy);
	assert_int_equal(copy->count, m->count);
	assert_memory_equal(copy->ranges, m->ranges, m->count * sizeof(m->ranges[0]));
	free(copy);
	free(m);
}

static void test_overlaps_reserved_wins(void **state)
{
	(void)state;
	struct memmap *m = new_map();

	/* Usable 0..16M with reserved 4M..5M inside and ACPI NVS
	 * overlapping the end of the reserved piece and a second usable
	 * range overlapping everything from 12M to 20M. */
	memmap_add(m, 0, 16 * MiB, MEMMAP_USABLE);
	memmap_add(m, 4 * MiB, 1 * MiB, MEMMAP_RESERVED);
	memmap_add(m, 4 * MiB + 512 * KiB, 1 * MiB, MEMMAP_ACPI_NVS);
	memmap_add(m, 12 * MiB, 8 * MiB, MEMMAP_USABLE);
	memmap_normalize(m);
	expect_normalized(m);
	expect_range(m, 0, 0, 4 * MiB, MEMMAP_USABLE);
	expect_range(m, 1, 4 * MiB, 512 * KiB, MEMMAP_RESERVED);
	/* NVS (4) beats reserved (2) where both are. */
	expect_range(m, 2, 4 * MiB + 512 * KiB, 1 * MiB, MEMMAP_ACPI_NVS);
	/* The two usable ranges merge. */
	expect_range(m, 3, 5 * MiB + 512 * KiB, 20 * MiB - 5 * MiB - 512 * KiB,
		     MEMMAP_USABLE);
	assert_int_equal(m->count, 4);
	free(m);
}

static void test_unusable_beats_usable_in_any_order(void **state)
{
	(void)state;
	static const uint32_t types[] = {
		MEMMAP_RESERVED, MEMMAP_ACPI_RECLAIM, MEMMAP_ACPI_NVS, MEMMAP_BAD,
		7 /* unknown: kept, not usable */,
	};

	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		for (int order = 0; order < 2; order++) {
			struct memmap *m = new_map();

			if (order == 0)
				memmap_add(m, 0, 8 * PAGE_SIZE, MEMMAP_USABLE);
			memmap_add(m, 2 * PAGE_SIZE, 3 * PAGE_SIZE, types[t]);
			if (order == 1)
				memmap_add(m, 0, 8 * PAGE_SIZE, MEMMAP_USABLE);
			memmap_normalize(m);
			expect_range(m, 0, 0, 2 * PAGE_SIZE, MEMMAP_USABLE);
			expect_range(m, 1, 2 * PAGE_SIZE, 3 * PAGE_SIZE, types[t]);
			expect_range(m, 2, 5 * PAGE_SIZE, 3 * PAGE_SIZE,
				     MEMMAP_USABLE);
			assert_int_equal(m->count, 3);
			free(m);
		}
	}
}

static void test_rounding_drops_small_usable(void **state)
{
	(void)state;
	struct memmap *m = new_map();

	/* Less than a page once rounded inward: gone. */
	memmap_add(m, 0x1800, 0x1000, MEMMAP_USABLE);
	/* Rounded to [0x10000, 0x12000). */
	memmap_add(m, 0xf001, 0x3ffe, MEMMAP_USABLE);
	/* Unusable ranges keep their exact bytes. */
	memmap_add(m, 0x20001, 0x10, MEMMAP_ACPI_RECLAIM);
	memmap_normalize(m);
	expect_range(m, 0, 0x10000, 0x2000, MEMMAP_USABLE);
	expect_range(m, 1, 0x20001, 0x10, MEMMAP_ACPI_RECLAIM);
	assert_int_equal(m->count, 2);
	free(m);
}

static void test_merge_adjacent(void **state)
{
	(void)state;
	struct memmap *m = new_map();

	/* Touching halves of a page merge before rounding, so no byte is
	 * lost to it. */
	memmap_add(m, 0x1000, 0x800, MEMMAP_USABLE);
	memmap_add(m, 0x1800, 0x1800, MEMMAP_USABLE);
	memmap_add(m, 0x3000, 0x1000, MEMMAP_RESERVED);
	memmap_add(m, 0x4000, 0x1000, MEMMAP_RESERVED);
	memmap_add(m, 0x5000, 0x1000, MEMMAP_ACPI_NVS);
	/* An exact duplicate. */
	memmap_add(m, 0x5000, 0x1000, MEMMAP_ACPI_NVS);
	memmap_normalize(m);
	expect_range(m, 0, 0x1000, 0x2000, MEMMAP_USABLE);
	expect_range(m, 1, 0x3000, 0x2000, MEMMAP_RESERVED);
	expect_range(m, 2, 0x5000, 0x1000, MEMMAP_ACPI_NVS);
	assert_int_equal(m->count, 3);
	free(m);
}

static void test_add_edges(void **state)
{
	(void)state;
	struct memmap *m = new_map();

	assert_true(memmap_add(m, 0x1000, 0, MEMMAP_USABLE));	/* ignored */
	assert_int_equal(m->count, 0);
	/* Wraps past 2^64: clipped to end at the top. */
	assert_true(memmap_add(m, UINT64_MAX - 0x2fff, 0x10000, MEMMAP_RESERVED));
	assert_int_equal(m->count, 1);
	assert_int_equal(m->ranges[0].base + m->ranges[0].size, UINT64_MAX);
	assert_true(memmap_add(m, UINT64_MAX - 0x20000, UINT64_MAX, MEMMAP_USABLE));
	memmap_normalize(m);
	expect_normalized(m);
	assert_int_equal(memmap_bytes_of_type(m, MEMMAP_USABLE),
			 0x20000 - 0x3000);
	free(m);
}

static void test_table_full(void **state)
{
	(void)state;
	struct memmap *m = new_map();

	for (size_t i = 0; i < MEMMAP_MAX_RANGES; i++)
		assert_true(memmap_add(m, i * 2 * PAGE_SIZE, PAGE_SIZE,
				       MEMMAP_USABLE));
	assert_false(memmap_add(m, 1ull << 40, PAGE_SIZE, MEMMAP_USABLE));
	assert_int_equal(m->count, MEMMAP_MAX_RANGES);
	memmap_normalize(m);
	assert_int_equal(m->count, MEMMAP_MAX_RANGES);
	assert_int_equal(memmap_bytes_of_type(m, MEMMAP_USABLE),
			 MEMMAP_MAX_RANGES * PAGE_SIZE);
	free(m);
}

/* One usable range with many holes normalizes to more ranges than the table
 * holds: the pieces past the end are dropped, never turned usable. */
static void test_normalize_overflow_is_safe(void **state)
{
	(void)state;
	struct memmap *m = new_map();
	size_t holes = MEMMAP_MAX_RANGES - 1;

	memmap_add(m, 0, 1 * GiB, MEMMAP_USABLE);
	for (size_t i = 0; i < holes; i++)
		memmap_add(m, (2 * i + 1) * PAGE_SIZE, PAGE_SIZE, MEMMAP_RESERVED);
	memmap_normalize(m);
	assert_int_equal(m->count, MEMMAP_MAX_RANGES);
	expect_normalized(m);
	for (size_t i = 0; i < m->count; i++) {
		const struct memmap_range *r = &m->ranges[i];
		bool is_hole = (r->base / PAGE_SIZE) % 2 == 1 &&
			       r->base < (2 * holes + 1) * PAGE_SIZE;

		assert_int_equal(r->type, is_hole ? MEMMAP_RESERVED : MEMMAP_USABLE);
	}
	free(m);
}

static void test_reserve_splits(void **state)
{
	(void)state;
	struct memmap *m = new_map();

	add_pc_map(m);
	memmap_normalize(m);
	uint64_t usable_before = memmap_bytes_of_type(m, MEMMAP_USABLE);

	/* The image: widened outward to [2M, 3M + 4K). */
	assert_true(memmap_reserve(m, 2 * MiB + 0x10, 1 * MiB));
	expect_normalized(m);
	expect_range(m, 3, 1 * MiB, 1 * MiB, MEMMAP_USABLE);
	expect_range(m, 4, 2 * MiB, 1 * MiB + PAGE_SIZE, MEMMAP_HYPERVISOR);
	expect_range(m, 5, 3 * MiB + PAGE_SIZE, 2 * GiB - 3 * MiB - PAGE_SIZE,
		     MEMMAP_USABLE);
	assert_int_equal(memmap_bytes_of_type(m, MEMMAP_HYPERVISOR),
			 1 * MiB + PAGE_SIZE);
	assert_int_equal(memmap_bytes_of_type(m, MEMMAP_USABLE) +
			 memmap_bytes_of_type(m, MEMMAP_HYPERVISOR), usable_before);

	/* Adjacent reservations merge into one range. */
	assert_true(memmap_reserve(m, 3 * MiB + PAGE_SIZE, PAGE_SIZE));
	expect_range(m, 4, 2 * MiB, 1 * MiB + 2 * PAGE_SIZE, MEMMAP_HYPERVISOR);

	/* Across a reserved hole: only the usable bytes change type. */
	assert_true(memmap_reserve(m, 0x9e000, 0x100000 - 0x9e000 + PAGE_SIZE));
	expect_normalized(m);
	expect_range(m, 0, 0, 0x9e000, MEMMAP_USABLE);
	expect_range(m, 1, 0x9e000, 0x1000, MEMMAP_HYPERVISOR);
	expect_range(m, 2, 0x9fc00, 0x400, MEMMAP_RESERVED);
	expect_range(m, 3, 0xf0000, 0x10000, MEMMAP_RESERVED);
	expect_range(m, 4, 1 * MiB, PAGE_SIZE, MEMMAP_HYPERVISOR);
	expect_range(m, 5, 1 * MiB + PAGE_SIZE, 1 * MiB - PAGE_SIZE, MEMMAP_USABLE);

	/* Over nothing usable: no change. */
	size_t count = m->count;

	assert_true(memmap_reserve(m, 0xf0000, 0x1000));
	assert_true(memmap_reserve(m, 3 * GiB, 0x1000));
	assert_true(memmap_reserve(m, 0x5000, 0));
	assert_int_equal(m->count, count);
	free(m);
}

static void test_reserve_whole_range_and_edges(void **state)
{
	(void)state;
	struct memmap *m = new_map();

	memmap_add(m, 16 * MiB, 16 * MiB, MEMMAP_USABLE);
	memmap_normalize(m);
	assert_true(memmap_reserve(m, 16 * MiB, 4 * MiB));	/* at the start */
	assert_true(memmap_reserve(m, 31 * MiB, 1 * MiB));	/* at the end */
	expect_range(m, 0, 16 * MiB, 4 * MiB, MEMMAP_HYPERVISOR);
	expect_range(m, 1, 20 * MiB, 11 * MiB, MEMMAP_USABLE);
	expect_range(m, 2, 31 * MiB, 1 * MiB, MEMMAP_HYPERVISOR);
	assert_int_equal(memmap_usable_end(m), 31 * MiB);
	/* Everything, with a size that wraps past 2^64. */
	assert_true(memmap_reserve(m, 8 * MiB, UINT64_MAX));
	expect_range(m, 0, 16 * MiB, 16 * MiB, MEMMAP_HYPERVISOR);
	assert_int_equal(m->count, 1);
	assert_int_equal(memmap_usable_end(m), 0);
	free(m);
}

static void test_reserve_overflow_refused(void **state)
{
	(void)state;
	struct memmap *m = new_map();

	memmap_add(m, 0, 1 * GiB, MEMMAP_USABLE);
	memmap_normalize(m);
	/* Each reservation of an odd page splits one range in three. */
	size_t i = 0;

	while (m->count + 2 <= MEMMAP_MAX_RANGES) {
		assert_true(memmap_reserve(m, (2 * i + 1) * PAGE_SIZE, PAGE_SIZE));
		i++;
	}
	struct memmap *before = new_map();

	*before = *m;
	assert_int_equal(m->count, MEMMAP_MAX_RANGES - 1);
	assert_false(memmap_reserve(m, 512 * MiB, PAGE_SIZE));
	/* Refused means unchanged. */
	assert_int_equal(m->count, before->count);
	assert_memory_equal(m->ranges, before->ranges,
			    m->count * sizeof(m->ranges[0]));
	/* One that merges with a neighbour still fits. */
	assert_true(memmap_reserve(m, (2 * i) * PAGE_SIZE, PAGE_SIZE));
	free(before);
	free(m);
}

static void test_find_free(void **state)
{
	(void)state;
	struct memmap *m = new_map();
	uint64_t base = 0;

	add_pc_map(m);
	memmap_normalize(m);
	memmap_reserve(m, 1 * MiB, 3 * MiB);

	/* The lowest fit. */
	assert_true(memmap_find_free(m, PAGE_SIZE, PAGE_SIZE, UINT64_MAX, &base));
	assert_int_equal(base, 0);
	/* Too big for low memory: above the reservation. */
	assert_true(memmap_find_free(m, 1 * MiB, PAGE_SIZE, UINT64_MAX, &base));
	assert_int_equal(base, 4 * MiB);
	/* 2 MiB aligned. */
	assert_true(memmap_find_free(m, 2 * MiB, 2 * MiB, UINT64_MAX, &base));
	assert_int_equal(base, 4 * MiB);
	assert_true(memmap_find_free(m, 1 * MiB, 1 * GiB, UINT64_MAX, &base));
	assert_int_equal(base, 1 * GiB);
	/* An alignment below a page counts as a page. */
	assert_true(memmap_find_free(m, 10, 16, UINT64_MAX, &base));
	assert_int_equal(base, 0);
	/* Limits: the whole allocation must end at or below the limit. */
	assert_true(memmap_find_free(m, 0x9f000, PAGE_SIZE, 0x9f000, &base));
	assert_int_equal(base, 0);
	assert_false(memmap_find_free(m, 0x9f000 + 1, PAGE_SIZE, 0x9f000 + 1, &base));
	assert_false(memmap_find_free(m, 1 * MiB, PAGE_SIZE, 4 * MiB, &base));
	assert_true(memmap_find_free(m, 1 * MiB, PAGE_SIZE, 5 * MiB, &base));
	assert_int_equal(base, 4 * MiB);
	/* Nothing fits in one range: 2 GiB fits only in the high range. */
	assert_true(memmap_find_free(m, 2 * GiB, PAGE_SIZE, UINT64_MAX, &base));
	assert_int_equal(base, 4 * GiB);
	assert_false(memmap_find_free(m, 2 * GiB + PAGE_SIZE, PAGE_SIZE,
				      UINT64_MAX, &base));
	assert_false(memmap_find_free(m, 2 * GiB, PAGE_SIZE, 4 * GiB, &base));
	/* Bad requests. */
	assert_false(memmap_find_free(m, 0, PAGE_SIZE, UINT64_MAX, &base));
	assert_false(memmap_find_free(m, PAGE_SIZE, 3 * PAGE_SIZE, UINT64_MAX,
				      &base));
	assert_false(memmap_find_free(m, 1 * MiB, 1ull << 63, UINT64_MAX,
				      &base));
	free(m);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(memmap_type_name(MEMMAP_USABLE), "usable");
	assert_string_equal(memmap_type_name(MEMMAP_RESERVED), "reserved");
	assert_string_equal(memmap_type_name(MEMMAP_ACPI_RECLAIM),
			    "ACPI reclaimable");
	assert_string_equal(memmap_type_name(MEMMAP_ACPI_NVS), "ACPI NVS");
	assert_string_equal(memmap_type_name(MEMMAP_BAD), "bad");
	assert_string_equal(memmap_type_name(MEMMAP_HYPERVISOR), "hypervisor");
	assert_string_equal(memmap_type_name(12), "unknown");
}

/* Random maps against a page-by-page model of the rules. */
static uint32_t model_type(const struct memmap_range *in, size_t n,
			   uint64_t page, bool *covered)
{
	/* A page is usable only if every byte is covered by usable ranges
	 * and by nothing else; otherwise the winning type of its first
	 * byte (pages of unusable ranges are all page aligned here). */
	uint32_t t = 0;

	*covered = false;
	for (size_t i = 0; i < n; i++) {
		if (page * PAGE_SIZE < in[i].base ||
		    page * PAGE_SIZE >= in[i].base + in[i].size)
			continue;
		if (!*covered || t == MEMMAP_USABLE ||
		    (in[i].type != MEMMAP_USABLE && in[i].type > t))
			t = in[i].type;
		*covered = true;
	}
	return t;
}

static void test_random_against_model(void **state)
{
	(void)state;
	static const uint32_t types[] = {
		MEMMAP_USABLE, MEMMAP_USABLE, MEMMAP_USABLE, MEMMAP_RESERVED,
		MEMMAP_ACPI_RECLAIM, MEMMAP_ACPI_NVS,
	};
	srand(1234);
	for (int round = 0; round < 300; round++) {
		struct memmap *m = new_map();
		struct memmap_range in[12];
		size_t n = 1 + (size_t)rand() % 12;

		for (size_t i = 0; i < n; i++) {
			in[i].base = (uint64_t)(rand() % 64) * PAGE_SIZE;
			in[i].size = (uint64_t)(1 + rand() % 16) * PAGE_SIZE;
			in[i].type = types[rand() % 6];
			memmap_add(m, in[i].base, in[i].size, in[i].type);
		}
		memmap_normalize(m);
		expect_normalized(m);
		for (uint64_t page = 0; page < 96; page++) {
			bool covered;
			uint32_t want = model_type(in, n, page, &covered);
			uint32_t got = 0;
			bool found = false;

			for (size_t i = 0; i < m->count; i++) {
				const struct memmap_range *r = &m->ranges[i];

				if (page * PAGE_SIZE >= r->base &&
				    page * PAGE_SIZE < r->base + r->size) {
					got = r->type;
					found = true;
				}
			}
			assert_int_equal(found, covered);
			if (covered)
				assert_int_equal(got, want);
		}
		free(m);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sort_and_round),
		cmocka_unit_test(test_overlaps_reserved_wins),
		cmocka_unit_test(test_unusable_beats_usable_in_any_order),
		cmocka_unit_test(test_rounding_drops_small_usable),
		cmocka_unit_test(test_merge_adjacent),
		cmocka_unit_test(test_add_edges),
		cmocka_unit_test(test_table_full),
		cmocka_unit_test(test_normalize_overflow_is_safe),
		cmocka_unit_test(test_reserve_splits),
		cmocka_unit_test(test_reserve_whole_range_and_edges),
		cmocka_unit_test(test_reserve_overflow_refused),
		cmocka_unit_test(test_find_free),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_random_against_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
