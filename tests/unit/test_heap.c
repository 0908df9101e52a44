/* lib/heap.c over a page source backed by aligned_alloc, which counts what
 * it hands out and can be told to run dry. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/heap.h"

struct page_source_state {
	size_t pages_out;	/* handed out and not returned */
	size_t page_limit;	/* refuse beyond this many out */
	size_t calls;
};

static void *test_alloc_pages(void *ctx, size_t npages)
{
	struct page_source_state *s = ctx;

	s->calls++;
	if (s->pages_out + npages > s->page_limit)
		return NULL;
	void *p = aligned_alloc(HEAP_PAGE_SIZE, npages * HEAP_PAGE_SIZE);

	assert_non_null(p);
	/* Garbage, as fresh pages would be. */
	memset(p, 0xa5, npages * HEAP_PAGE_SIZE);
	s->pages_out += npages;
	return p;
}

static void test_free_pages(void *ctx, void *pages, size_t npages)
{
	struct page_source_state *s = ctx;

	assert_true(npages <= s->pages_out);
	assert_int_equal((uintptr_t)pages % HEAP_PAGE_SIZE, 0);
	s->pages_out -= npages;
	free(pages);
}

struct fixture {
	struct page_source_state src;
	struct heap heap;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	f->src.page_limit = SIZE_MAX;
	struct heap_page_source source = {
		.alloc_pages = test_alloc_pages,
		.free_pages = test_free_pages,
		.ctx = &f->src,
	};

	heap_init(&f->heap, &source);
	*state = f;
	return 0;
}

/* Every test must leave the heap empty: nothing held, nothing leaked. */
static int teardown(void **state)
{
	struct fixture *f = *state;
	struct heap_stats st;

	heap_get_stats(&f->heap, &st);
	int ok = st.bytes_in_use == 0 && st.pages_held == 0 &&
		 st.live_allocations == 0 && f->src.pages_out == 0;

	free(f);
	return ok ? 0 : -1;
}

static void expect_stats(struct heap *h, size_t bytes, size_t pages, size_t live)
{
	struct heap_stats st;

	heap_get_stats(h, &st);
	assert_int_equal(st.bytes_in_use, bytes);
	assert_int_equal(st.pages_held, pages);
	assert_int_equal(st.live_allocations, live);
}

static void test_every_size_class(void **state)
{
	struct fixture *f = *state;
	struct heap *h = &f->heap;

	/* Sizes at and around each class boundary. */
	for (unsigned shift = HEAP_MIN_CLASS_SHIFT; shift <= HEAP_MAX_CLASS_SHIFT;
	     shift++) {
		size_t sizes[] = {(1u << shift) - 1, 1u << shift,
				  (1u << shift) + 1};

		for (size_t i = 0; i < 3; i++) {
			uint8_t *p = heap_alloc(h, sizes[i]);

			assert_non_null(p);
			assert_int_equal((uintptr_t)p % 16, 0);
			/* Writable end to end (ASan checks the page). */
			memset(p, 0x11, sizes[i]);
			/* One slab page, or the large run's own pages. */
			expect_stats(h, sizes[i], sizes[i] > 2048 ? f->src.pages_out : 1,
				     1);
			assert_int_equal(f->src.pages_out, 1);
			assert_true(heap_free(h, p));
			expect_stats(h, 0, 0, 0);
		}
	}
	uint8_t *one = heap_alloc(h, 1);

	assert_non_null(one);
	assert_true(heap_free(h, one));
}

static void test_zero_size_and_null(void **state)
{
	struct fixture *f = *state;

	assert_null(heap_alloc(&f->heap, 0));
	assert_null(heap_zalloc(&f->heap, 0));
	assert_true(heap_free(&f->heap, NULL));
	expect_stats(&f->heap, 0, 0, 0);
}

static void test_zalloc_zeroes(void **state)
{
	struct fixture *f = *state;
	size_t sizes[] = {16, 100, 2048, 5000, 3 * HEAP_PAGE_SIZE};

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint8_t *p = heap_zalloc(&f->heap, sizes[i]);

		assert_non_null(p);
		for (size_t b = 0; b < sizes[i]; b++)
			assert_int_equal(p[b], 0);
		memset(p, 0xff, sizes[i]);
		assert_true(heap_free(&f->heap, p));
		/* A recycled slot is zeroed again. */
		p = heap_zalloc(&f->heap, sizes[i]);
		assert_non_null(p);
		for (size_t b = 0; b < sizes[i]; b++)
			assert_int_equal(p[b], 0);
		assert_true(heap_free(&f->heap, p));
	}
}

static void test_fill_slab_and_reuse(void **state)
{
	struct fixture *f = *state;
	struct heap *h = &f->heap;
	enum { N = 1000 };
	void **ptrs = calloc(N, sizeof(void *));

	assert_non_null(ptrs);
	for (int i = 0; i < N; i++) {
		ptrs[i] = heap_alloc(h, 24);	/* the 32-byte class */
		assert_non_null(ptrs[i]);
		for (int j = 0; j < i; j += 97)
			assert_ptr_not_equal(ptrs[i], ptrs[j]);
	}
	struct heap_stats st;

	heap_get_stats(h, &st);
	assert_int_equal(st.bytes_in_use, N * 24);
	assert_int_equal(st.live_allocations, N);
	/* At least 100 objects per page for 32 bytes. */
	assert_true(st.pages_held >= N * 32 / HEAP_PAGE_SIZE);
	assert_true(st.pages_held <= N / 100 + 1);

	/* A freed slot is the next one handed out. */
	void *hole = ptrs[500];

	assert_true(heap_free(h, hole));
	ptrs[500] = heap_alloc(h, 30);
	assert_ptr_equal(ptrs[500], hole);

	for (int i = 0; i < N; i++)
		assert_true(heap_free(h, ptrs[i]));
	expect_stats(h, 0, 0, 0);
	free(ptrs);
}

static void test_large_allocations(void **state)
{
	struct fixture *f = *state;
	struct heap *h = &f->heap;
	size_t sizes[] = {2049, 4000, HEAP_PAGE_SIZE, 3 * HEAP_PAGE_SIZE + 7,
			  1 << 20};
	void *ptrs[5];
	size_t bytes = 0;

	for (size_t i = 0; i < 5; i++) {
		ptrs[i] = heap_alloc(h, sizes[i]);
		assert_non_null(ptrs[i]);
		assert_int_equal((uintptr_t)ptrs[i] % 16, 0);
		memset(ptrs[i], (int)i, sizes[i]);
		bytes += sizes[i];
	}
	struct heap_stats st;

	heap_get_stats(h, &st);
	assert_int_equal(st.bytes_in_use, bytes);
	assert_int_equal(st.pages_held, f->src.pages_out);
	assert_int_equal(st.live_allocations, 5);
	for (size_t i = 0; i < 5; i++) {
		const uint8_t *p = ptrs[i];

		for (size_t b = 0; b < sizes[i]; b += 511)
			assert_int_equal(p[b], i);
		assert_true(heap_free(h, ptrs[i]));
	}
	/* Sizes that cannot be represented with the header fail cleanly. */
	assert_null(heap_alloc(h, SIZE_MAX));
	assert_null(heap_alloc(h, SIZE_MAX - HEAP_PAGE_SIZE));
}

static void test_double_free_and_bad_pointers(void **state)
{
	struct fixture *f = *state;
	struct heap *h = &f->heap;
	uint8_t *a = heap_alloc(h, 32);
	uint8_t *b = heap_alloc(h, 32);	/* keeps the slab alive */
	uint8_t *big = heap_alloc(h, 10000);

	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(big);
	assert_true(heap_free(h, a));
	assert_false(heap_free(h, a));		/* double free */
	expect_stats(h, 32 + 10000, 1 + 3, 2);

	/* Inside an object, misaligned, or the page header itself. */
	assert_false(heap_free(h, b + 16));
	assert_false(heap_free(h, b + 1));
	assert_false(heap_free(h, big + 16));
	assert_false(heap_free(h, big + 4096));
	uint8_t *page = (uint8_t *)((uintptr_t)b & ~(uintptr_t)(HEAP_PAGE_SIZE - 1));

	assert_false(heap_free(h, page));
	expect_stats(h, 32 + 10000, 1 + 3, 2);

	/* Another heap's object is not ours. */
	struct heap other;
	struct heap_page_source source = h->source;

	heap_init(&other, &source);
	uint8_t *theirs = heap_alloc(&other, 64);

	assert_non_null(theirs);
	assert_false(heap_free(h, theirs));
	assert_true(heap_free(&other, theirs));

	assert_true(heap_free(h, b));
	assert_true(heap_free(h, big));
	expect_stats(h, 0, 0, 0);
}

static void test_out_of_pages(void **state)
{
	struct fixture *f = *state;
	struct heap *h = &f->heap;
	void *ptrs[64];
	int n = 0;

	f->src.page_limit = 2;
	assert_null(heap_alloc(h, 3 * HEAP_PAGE_SIZE));
	/* 2048-byte objects: fill both pages, then run out. */
	while (n < 64 && (ptrs[n] = heap_alloc(h, 2048)) != NULL)
		n++;
	assert_true(n >= 2 && n < 64);
	assert_null(heap_alloc(h, 2048));
	/* Other classes need a page too. */
	assert_null(heap_alloc(h, 16));
	expect_stats(h, (size_t)n * 2048, 2, (size_t)n);
	for (int i = 0; i < n; i++)
		assert_true(heap_free(h, ptrs[i]));
	f->src.page_limit = SIZE_MAX;
}

/* Random alloc/free with a per-object pattern: any overlap between live
 * objects, or a write by the heap into a live one, breaks a pattern. */
static void test_random_stress(void **state)
{
	struct fixture *f = *state;
	struct heap *h = &f->heap;
	enum { SLOTS = 512, STEPS = 30000 };
	struct { uint8_t *p; size_t size; uint8_t tag; } live[SLOTS];
	size_t bytes = 0, count = 0;

	memset(live, 0, sizeof(live));
	srand(7);
	for (int step = 0; step < STEPS; step++) {
		int i = rand() % SLOTS;

		if (live[i].p != NULL) {
			for (size_t b = 0; b < live[i].size; b++)
				if (live[i].p[b] != live[i].tag)
					fail_msg("object %d corrupted at byte %zu", i, b);
			assert_true(heap_free(h, live[i].p));
			bytes -= live[i].size;
			count--;
			live[i].p = NULL;
			continue;
		}
		/* Mostly small, sometimes large. */
		size_t size = rand() % 16 == 0 ? 2049 + (size_t)rand() % 9000
					       : 1 + (size_t)rand() % 2048;

		live[i].p = heap_alloc(h, size);
		assert_non_null(live[i].p);
		assert_int_equal((uintptr_t)live[i].p % 16, 0);
		live[i].size = size;
		live[i].tag = (uint8_t)(step * 31 + 1);
		memset(live[i].p, live[i].tag, size);
		bytes += size;
		count++;
		if (step % 1000 == 0) {
			struct heap_stats st;

			heap_get_stats(h, &st);
			assert_int_equal(st.bytes_in_use, bytes);
			assert_int_equal(st.live_allocations, count);
			assert_int_equal(st.pages_held, f->src.pages_out);
		}
	}
	for (int i = 0; i < SLOTS; i++) {
		if (live[i].p != NULL)
			assert_true(heap_free(h, live[i].p));
	}
	expect_stats(h, 0, 0, 0);
}

#define HEAP_TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		HEAP_TEST(test_every_size_class),
		HEAP_TEST(test_zero_size_and_null),
		HEAP_TEST(test_zalloc_zeroes),
		HEAP_TEST(test_fill_slab_and_reuse),
		HEAP_TEST(test_large_allocations),
		HEAP_TEST(test_double_free_and_bad_pointers),
		HEAP_TEST(test_out_of_pages),
		HEAP_TEST(test_random_stress),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
