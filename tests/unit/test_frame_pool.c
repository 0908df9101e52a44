/* lib/frame_pool.c: counts, alignment, contiguous runs, double frees,
 * exhaustion, and that freeing everything restores the count exactly. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/frame_pool.h"

/* A pool over [base_pfn, base_pfn + nframes) with the bitmap in a block of
 * exactly the advertised size, so ASan sees any access past it. */
struct test_pool {
	struct frame_pool pool;
	uint64_t *bitmap;
};

static void pool_setup(struct test_pool *t, uint64_t base_pfn, uint64_t nframes)
{
	size_t bytes = frame_pool_bitmap_bytes(nframes);

	t->bitmap = malloc(bytes == 0 ? 1 : bytes);
	assert_non_null(t->bitmap);
	frame_pool_init(&t->pool, t->bitmap, base_pfn, nframes);
}

static void pool_teardown(struct test_pool *t)
{
	free(t->bitmap);
}

/* The free count recomputed from scratch, to check the running one. */
static uint64_t count_free_slowly(const struct frame_pool *p)
{
	uint64_t n = 0;

	for (uint64_t pfn = p->base_pfn; pfn < p->base_pfn + p->nframes; pfn++)
		n += frame_pool_is_free(p, pfn);
	return n;
}

static void test_bitmap_bytes(void **state)
{
	(void)state;
	assert_int_equal(frame_pool_bitmap_bytes(0), 0);
	assert_int_equal(frame_pool_bitmap_bytes(1), 8);
	assert_int_equal(frame_pool_bitmap_bytes(64), 8);
	assert_int_equal(frame_pool_bitmap_bytes(65), 16);
	assert_int_equal(frame_pool_bitmap_bytes(1 << 20), (1 << 20) / 8);
}

static void test_init_all_used_then_release(void **state)
{
	(void)state;
	struct test_pool t;
	struct frame_pool *p = &t.pool;
	uint64_t pfn;

	pool_setup(&t, 0x100, 1000);
	assert_int_equal(frame_pool_free_count(p), 0);
	assert_false(frame_pool_alloc(p, 1, 1, &pfn));

	frame_pool_release(p, 0x100, 1000);
	assert_int_equal(frame_pool_free_count(p), 1000);
	/* Releasing twice, or beyond the pool, changes nothing more. */
	frame_pool_release(p, 0x100, 1000);
	frame_pool_release(p, 0, 0x100);
	frame_pool_release(p, 0x100 + 1000, 50);
	frame_pool_release(p, UINT64_MAX - 3, 10);	/* wraps */
	assert_int_equal(frame_pool_free_count(p), 1000);

	/* Reserve a range straddling the pool's start. */
	frame_pool_reserve(p, 0xf0, 0x20);
	assert_int_equal(frame_pool_free_count(p), 1000 - 0x10);
	assert_false(frame_pool_is_free(p, 0x100));
	assert_false(frame_pool_is_free(p, 0x10f));
	assert_true(frame_pool_is_free(p, 0x110));
	/* Outside the pool is never free. */
	assert_false(frame_pool_is_free(p, 0xff));
	assert_false(frame_pool_is_free(p, 0x100 + 1000));
	/* Reserving frames partly in use counts only the free ones. */
	frame_pool_reserve(p, 0x108, 0x10);
	assert_int_equal(frame_pool_free_count(p), 1000 - 0x18);
	frame_pool_reserve(p, 0x100, 0x18);
	assert_int_equal(frame_pool_free_count(p), 1000 - 0x18);
	assert_int_equal(count_free_slowly(p), frame_pool_free_count(p));
	/* Releasing a range partly free counts only the used ones. */
	frame_pool_release(p, 0x110, 0x10);
	assert_int_equal(frame_pool_free_count(p), 1000 - 0x10);
	assert_int_equal(count_free_slowly(p), frame_pool_free_count(p));
	pool_teardown(&t);
}

static void test_alloc_free_counts(void **state)
{
	(void)state;
	struct test_pool t;
	struct frame_pool *p = &t.pool;
	uint64_t a, b, c;

	pool_setup(&t, 0, 256);
	frame_pool_release(p, 0, 256);
	assert_true(frame_pool_alloc(p, 1, 1, &a));
	assert_true(frame_pool_alloc(p, 10, 1, &b));
	assert_true(frame_pool_alloc(p, 100, 1, &c));
	assert_int_equal(frame_pool_free_count(p), 256 - 111);
	assert_false(frame_pool_is_free(p, a));
	for (uint64_t i = 0; i < 100; i++)
		assert_false(frame_pool_is_free(p, c + i));
	/* The runs don't overlap. */
	assert_true(a + 1 <= b || b + 10 <= a);
	assert_true(b + 10 <= c || c + 100 <= b);

	assert_true(frame_pool_free(p, b, 10));
	assert_int_equal(frame_pool_free_count(p), 256 - 101);
	assert_true(frame_pool_free(p, a, 1));
	assert_true(frame_pool_free(p, c, 100));
	assert_int_equal(frame_pool_free_count(p), 256);
	assert_int_equal(count_free_slowly(p), 256);
	pool_teardown(&t);
}

static void test_double_and_bad_free(void **state)
{
	(void)state;
	struct test_pool t;
	struct frame_pool *p = &t.pool;
	uint64_t a, b;

	pool_setup(&t, 1000, 128);
	frame_pool_release(p, 1000, 128);
	assert_true(frame_pool_alloc(p, 4, 1, &a));
	assert_true(frame_pool_alloc(p, 4, 1, &b));
	assert_true(frame_pool_free(p, a, 4));
	assert_false(frame_pool_free(p, a, 4));		/* double free */
	assert_false(frame_pool_free(p, a + 2, 1));	/* inside a free run */
	/* Partly free: refused as a whole, nothing changes. */
	uint64_t before = frame_pool_free_count(p);

	assert_false(frame_pool_free(p, b - 1, 2));
	assert_false(frame_pool_is_free(p, b));
	assert_int_equal(frame_pool_free_count(p), before);
	/* Outside the pool, straddling its ends, wrapping, or empty. */
	assert_false(frame_pool_free(p, 999, 1));
	assert_false(frame_pool_free(p, 1000 + 127, 2));
	assert_false(frame_pool_free(p, 1000 + 128, 1));
	assert_false(frame_pool_free(p, b, UINT64_MAX));
	assert_false(frame_pool_free(p, b, 0));
	assert_int_equal(frame_pool_free_count(p), before);
	assert_true(frame_pool_free(p, b, 4));
	assert_int_equal(frame_pool_free_count(p), 128);
	pool_teardown(&t);
}

static void test_alignment(void **state)
{
	(void)state;
	struct test_pool t;
	struct frame_pool *p = &t.pool;
	uint64_t pfn;

	/* An odd base: alignment is of the frame number, not the index. */
	pool_setup(&t, 0x1003, 4096);
	frame_pool_release(p, 0x1003, 4096);
	for (uint64_t align = 1; align <= 1024; align <<= 1) {
		assert_true(frame_pool_alloc(p, 3, align, &pfn));
		assert_int_equal(pfn % align, 0);
		assert_true(pfn >= 0x1003 && pfn + 3 <= 0x1003 + 4096);
	}
	/* 2 MiB pages: 512 frames at a 512-frame boundary. */
	assert_true(frame_pool_alloc(p, 512, 512, &pfn));
	assert_int_equal(pfn % 512, 0);
	/* Align 0 means any; not a power of two is refused. */
	assert_true(frame_pool_alloc(p, 1, 0, &pfn));
	assert_false(frame_pool_alloc(p, 1, 3, &pfn));
	/* Larger than anything in the pool. */
	assert_false(frame_pool_alloc(p, 1, 1ull << 20, &pfn));
	assert_false(frame_pool_alloc(p, 1, 1ull << 63, &pfn));
	assert_int_equal(count_free_slowly(p), frame_pool_free_count(p));
	pool_teardown(&t);
}

static void test_contiguous_around_holes(void **state)
{
	(void)state;
	struct test_pool t;
	struct frame_pool *p = &t.pool;
	uint64_t pfn;

	pool_setup(&t, 0, 300);
	frame_pool_release(p, 0, 300);
	/* Used frames every 50 frames leave free runs of 49. */
	for (uint64_t i = 0; i < 300; i += 50)
		frame_pool_reserve(p, i, 1);
	assert_false(frame_pool_alloc(p, 50, 1, &pfn));
	assert_true(frame_pool_alloc(p, 49, 1, &pfn));
	assert_int_equal(pfn % 50, 1);
	/* Runs that cross 64-frame words. */
	assert_true(frame_pool_alloc(p, 40, 1, &pfn));
	for (uint64_t i = 0; i < 40; i++)
		assert_false(frame_pool_is_free(p, pfn + i));
	assert_int_equal(count_free_slowly(p), frame_pool_free_count(p));
	pool_teardown(&t);
}

static void test_exhaustion(void **state)
{
	(void)state;
	struct test_pool t;
	struct frame_pool *p = &t.pool;
	uint64_t pfn, frames[200];

	pool_setup(&t, 0, 200);	/* not a multiple of 64 */
	frame_pool_release(p, 0, 200);
	for (int i = 0; i < 200; i++) {
		assert_true(frame_pool_alloc(p, 1, 1, &frames[i]));
		assert_true(frames[i] < 200);
	}
	assert_int_equal(frame_pool_free_count(p), 0);
	assert_false(frame_pool_alloc(p, 1, 1, &pfn));
	/* Free one in the middle: exactly that one comes back. */
	assert_true(frame_pool_free(p, frames[77], 1));
	assert_false(frame_pool_alloc(p, 2, 1, &pfn));
	assert_true(frame_pool_alloc(p, 1, 1, &pfn));
	assert_int_equal(pfn, frames[77]);
	assert_false(frame_pool_alloc(p, 0, 1, &pfn));
	pool_teardown(&t);
}

static void test_empty_pool(void **state)
{
	(void)state;
	struct test_pool t;
	uint64_t pfn;

	pool_setup(&t, 5, 0);
	frame_pool_release(&t.pool, 0, 100);
	assert_int_equal(frame_pool_free_count(&t.pool), 0);
	assert_false(frame_pool_alloc(&t.pool, 1, 1, &pfn));
	assert_false(frame_pool_free(&t.pool, 5, 1));
	assert_false(frame_pool_is_free(&t.pool, 5));
	pool_teardown(&t);
}

/* A domain's life, many times over: random runs with random alignments
 * taken, then all given back. The free count must come back exactly, and
 * no frame is ever handed out twice. */
static void test_create_destroy_many_times(void **state)
{
	(void)state;
	enum { NFRAMES = 8192, MAX_RUNS = 64 };
	struct test_pool t;
	struct frame_pool *p = &t.pool;
	uint8_t *owner = calloc(NFRAMES, 1);

	assert_non_null(owner);
	pool_setup(&t, 0x40000, NFRAMES);
	frame_pool_release(p, 0x40000, NFRAMES);
	frame_pool_reserve(p, 0x40000 + 100, 37);	/* an image in the middle */
	uint64_t start_free = frame_pool_free_count(p);

	srand(42);
	for (int round = 0; round < 200; round++) {
		uint64_t pfns[MAX_RUNS], counts[MAX_RUNS];
		int runs = 0;

		for (int i = 0; i < MAX_RUNS; i++) {
			uint64_t count = 1 + (uint64_t)(rand() % 200);
			uint64_t align = 1ull << (rand() % 10);

			if (!frame_pool_alloc(p, count, align, &pfns[runs]))
				continue;
			assert_int_equal(pfns[runs] % align, 0);
			for (uint64_t f = 0; f < count; f++) {
				uint64_t idx = pfns[runs] - 0x40000 + f;

				assert_int_equal(owner[idx], 0);
				owner[idx] = 1;
			}
			counts[runs++] = count;
		}
		assert_int_equal(count_free_slowly(p), frame_pool_free_count(p));
		/* Destroy in a shuffled order. */
		for (int i = runs - 1; i > 0; i--) {
			int j = rand() % (i + 1);
			uint64_t tp = pfns[i], tc = counts[i];

			pfns[i] = pfns[j];
			counts[i] = counts[j];
			pfns[j] = tp;
			counts[j] = tc;
		}
		for (int i = 0; i < runs; i++) {
			assert_true(frame_pool_free(p, pfns[i], counts[i]));
			memset(owner + (pfns[i] - 0x40000), 0, counts[i]);
		}
		assert_int_equal(frame_pool_free_count(p), start_free);
	}
	assert_int_equal(count_free_slowly(p), start_free);
	free(owner);
	pool_teardown(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bitmap_bytes),
		cmocka_unit_test(test_init_all_used_then_release),
		cmocka_unit_test(test_alloc_free_counts),
		cmocka_unit_test(test_double_and_bad_free),
		cmocka_unit_test(test_alignment),
		cmocka_unit_test(test_contiguous_around_holes),
		cmocka_unit_test(test_exhaustion),
		cmocka_unit_test(test_empty_pool),
		cmocka_unit_test(test_create_destroy_many_times),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
