/* lib/block_store.c: a copy-on-write disk over a read-only image. The
 * image and every chunk sit in heap blocks of exactly their size, so ASan
 * reports any access past them; the image is compared with a pristine copy
 * after every test; the allocator counts what is outstanding and can be
 * told to run dry. A long random sequence is checked against a flat
 * model of the disk. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/block_store.h"

#define CHUNK BLOCK_STORE_CHUNK_SIZE
/* Three whole chunks and a short fourth, with 100 bytes past the last
 * whole sector that the guest never sees. */
#define IMAGE_SIZE (3 * CHUNK + 1536 + 100)
#define CAPACITY (3 * CHUNK + 1536)

struct pool {
	long outstanding;	/* chunks and pages not yet freed */
	long allocs_left;	/* < 0: no limit */
};

static void *pool_alloc(void *ctx)
{
	struct pool *p = ctx;
	uint8_t *mem;

	if (p->allocs_left == 0)
		return NULL;
	if (p->allocs_left > 0)
		p->allocs_left--;
	mem = malloc(CHUNK);
	assert_non_null(mem);
	memset(mem, 0xa5, CHUNK);	/* "any content" */
	p->outstanding++;
	return mem;
}

static void pool_free(void *ctx, void *chunk)
{
	struct pool *p = ctx;

	assert_non_null(chunk);
	p->outstanding--;
	free(chunk);
}

struct fixture {
	uint8_t *image;		/* what the store reads */
	uint8_t *pristine;	/* a copy to compare with */
	struct pool pool;
	struct block_store s;
};

static uint8_t image_byte(uint64_t off)
{
	return (uint8_t)(off * 7 + (off >> 9) + 1);	/* never all zero */
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct block_store_ops ops = { &f->pool, pool_alloc, pool_free };

	assert_non_null(f);
	f->image = malloc(IMAGE_SIZE);
	f->pristine = malloc(IMAGE_SIZE);
	assert_non_null(f->image);
	assert_non_null(f->pristine);
	for (uint64_t i = 0; i < IMAGE_SIZE; i++)
		f->image[i] = image_byte(i);
	memcpy(f->pristine, f->image, IMAGE_SIZE);
	f->pool.allocs_left = -1;
	assert_true(block_store_init(&f->s, f->image, IMAGE_SIZE, &ops));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	block_store_destroy(&f->s);
	/* Everything allocated was freed, and the image never changed. */
	assert_int_equal(f->pool.outstanding, 0);
	assert_memory_equal(f->image, f->pristine, IMAGE_SIZE);
	free(f->image);
	free(f->pristine);
	free(f);
	return 0;
}

static void expect_image(struct fixture *f, uint64_t off, size_t len)
{
	uint8_t *buf = malloc(len);

	assert_non_null(buf);
	assert_int_equal(block_store_read(&f->s, off, buf, len), BLOCK_STORE_OK);
	assert_memory_equal(buf, f->pristine + off, len);
	free(buf);
}

static void expect_fill(struct fixture *f, uint64_t off, size_t len,
			uint8_t value)
{
	uint8_t *buf = malloc(len);

	assert_non_null(buf);
	assert_int_equal(block_store_read(&f->s, off, buf, len), BLOCK_STORE_OK);
	for (size_t i = 0; i < len; i++) {
		if (buf[i] != value)
			fail_msg("byte %llu is %#x, not %#x",
				 (unsigned long long)(off + i), buf[i], value);
	}
	free(buf);
}

static void write_fill(struct fixture *f, uint64_t off, size_t len,
		       uint8_t value)
{
	uint8_t *buf = malloc(len);

	assert_non_null(buf);
	memset(buf, value, len);
	assert_int_equal(block_store_write(&f->s, off, buf, len),
			 BLOCK_STORE_OK);
	free(buf);
}

static void test_capacity(void **state)
{
	struct fixture *f = *state;
	struct block_store s;
	struct block_store_ops ops = { &f->pool, pool_alloc, pool_free };

	assert_int_equal(block_store_capacity(&f->s), CAPACITY);
	assert_int_equal(f->s.chunk_count, 4);
	assert_true(block_store_init(&s, f->image, 1023, &ops));
	assert_int_equal(block_store_capacity(&s), 512);
	assert_true(block_store_init(&s, f->image, 511, &ops));
	assert_int_equal(block_store_capacity(&s), 0);
	assert_true(block_store_init(&s, NULL, 0, &ops));
	assert_int_equal(block_store_capacity(&s), 0);
	assert_true(block_store_init(&s, NULL, BLOCK_STORE_MAX_SIZE, &ops));
	assert_false(block_store_init(&s, NULL, BLOCK_STORE_MAX_SIZE + 512, &ops));
	/* A fresh store has taken no memory. */
	assert_int_equal(f->pool.outstanding, 0);
	assert_int_equal(block_store_memory_bytes(&f->s), 0);
}

static void test_reads_come_from_the_image(void **state)
{
	struct fixture *f = *state;

	expect_image(f, 0, CAPACITY);
	expect_image(f, CHUNK - 3, 10);	/* across a chunk boundary */
	expect_image(f, CAPACITY - 1, 1);
	assert_int_equal(f->pool.outstanding, 0);
}

static void test_range_checks(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[16] = { 0 };

	assert_int_equal(block_store_read(&f->s, CAPACITY - 1, buf, 2),
			 BLOCK_STORE_ERR_RANGE);
	/* The bytes past the last whole sector are not the guest's. */
	assert_int_equal(block_store_read(&f->s, CAPACITY, buf, 1),
			 BLOCK_STORE_ERR_RANGE);
	assert_int_equal(block_store_read(&f->s, CAPACITY, buf, 0),
			 BLOCK_STORE_OK);
	assert_int_equal(block_store_read(&f->s, UINT64_MAX - 2, buf, 8),
			 BLOCK_STORE_ERR_RANGE);
	assert_int_equal(block_store_write(&f->s, UINT64_MAX, buf, 2),
			 BLOCK_STORE_ERR_RANGE);
	assert_int_equal(block_store_write(&f->s, CAPACITY - 8, buf, 16),
			 BLOCK_STORE_ERR_RANGE);
	assert_int_equal(block_store_discard(&f->s, 512, UINT64_MAX),
			 BLOCK_STORE_ERR_RANGE);
	assert_int_equal(block_store_write_zeroes(&f->s, CAPACITY, 512),
			 BLOCK_STORE_ERR_RANGE);
	/* A refused write changed nothing and took no memory. */
	assert_int_equal(f->pool.outstanding, 0);
	expect_image(f, CAPACITY - 8, 8);
}

static void test_write_copies_one_chunk(void **state)
{
	struct fixture *f = *state;

	write_fill(f, CHUNK + 1000, 24, 0x11);
	expect_fill(f, CHUNK + 1000, 24, 0x11);
	/* The rest of that chunk still reads as the image. */
	expect_image(f, CHUNK, 1000);
	expect_image(f, CHUNK + 1024, CHUNK - 1024);
	expect_image(f, 0, CHUNK);
	expect_image(f, 2 * CHUNK, CAPACITY - 2 * CHUNK);
	assert_int_equal(f->s.private_chunks, 1);
	assert_int_equal(f->s.table_pages, 1);
	assert_int_equal(block_store_memory_bytes(&f->s), 2 * CHUNK);
	/* Writing the same chunk again takes nothing more. */
	write_fill(f, CHUNK, 512, 0x22);
	assert_int_equal(f->pool.outstanding, 2);
	expect_fill(f, CHUNK, 512, 0x22);
	expect_fill(f, CHUNK + 1000, 24, 0x11);
}

static void test_write_across_chunks(void **state)
{
	struct fixture *f = *state;

	write_fill(f, CHUNK - 512, CHUNK + 1024, 0x33);
	expect_fill(f, CHUNK - 512, CHUNK + 1024, 0x33);
	expect_image(f, 0, CHUNK - 512);
	expect_image(f, 2 * CHUNK + 512, CHUNK - 512);
	assert_int_equal(f->s.private_chunks, 3);
}

static void test_short_last_chunk(void **state)
{
	struct fixture *f = *state;

	write_fill(f, CAPACITY - 512, 512, 0x44);
	expect_fill(f, CAPACITY - 512, 512, 0x44);
	expect_image(f, 3 * CHUNK, 1024);
	write_fill(f, 3 * CHUNK, 1536, 0x45);
	assert_int_equal(block_store_write_zeroes(&f->s, 3 * CHUNK, 1536),
			 BLOCK_STORE_OK);
	/* The whole short chunk became a zero chunk. */
	assert_int_equal(f->s.private_chunks, 0);
	expect_fill(f, 3 * CHUNK, 1536, 0);
}

static void test_discard_whole_chunks(void **state)
{
	struct fixture *f = *state;

	write_fill(f, 0, 2 * CHUNK, 0x55);
	assert_int_equal(f->s.private_chunks, 2);
	/* Chunk 0 whole, chunk 1 half: chunk 0's memory goes. */
	assert_int_equal(block_store_discard(&f->s, 0, CHUNK + CHUNK / 2),
			 BLOCK_STORE_OK);
	assert_int_equal(f->s.private_chunks, 1);
	assert_int_equal(f->pool.outstanding, 2);	/* chunk 1 + the page */
	expect_fill(f, 0, CHUNK, 0);
	/* The covered half of a private chunk reads zero, the rest stays. */
	expect_fill(f, CHUNK, CHUNK / 2, 0);
	expect_fill(f, CHUNK + CHUNK / 2, CHUNK / 2, 0x55);
	/* A whole base chunk becomes zero without memory for data. */
	assert_int_equal(block_store_discard(&f->s, 2 * CHUNK, CHUNK),
			 BLOCK_STORE_OK);
	expect_fill(f, 2 * CHUNK, CHUNK, 0);
	assert_int_equal(f->s.private_chunks, 1);
}

static void test_discard_part_of_base_chunk(void **state)
{
	struct fixture *f = *state;

	/* Nothing to free: the data may stay, and no memory is taken. */
	assert_int_equal(block_store_discard(&f->s, 512, 4096), BLOCK_STORE_OK);
	assert_int_equal(f->pool.outstanding, 0);
	expect_image(f, 0, CHUNK);
}

static void test_write_zeroes(void **state)
{
	struct fixture *f = *state;

	/* Part of a base chunk: copied, then zeroed exactly there. */
	assert_int_equal(block_store_write_zeroes(&f->s, 512, 1024),
			 BLOCK_STORE_OK);
	expect_image(f, 0, 512);
	expect_fill(f, 512, 1024, 0);
	expect_image(f, 1536, CHUNK - 1536);
	assert_int_equal(f->s.private_chunks, 1);
	/* Whole chunks: no data memory. */
	assert_int_equal(block_store_write_zeroes(&f->s, 0, 3 * CHUNK),
			 BLOCK_STORE_OK);
	assert_int_equal(f->s.private_chunks, 0);
	assert_int_equal(f->pool.outstanding, 1);	/* the table page */
	expect_fill(f, 0, 3 * CHUNK, 0);
	/* Writing into a zero chunk: the rest of it stays zero. */
	write_fill(f, CHUNK + 512, 512, 0x66);
	expect_fill(f, CHUNK, 512, 0);
	expect_fill(f, CHUNK + 512, 512, 0x66);
	expect_fill(f, CHUNK + 1024, CHUNK - 1024, 0);
	/* Part of a zero chunk needs nothing. */
	assert_int_equal(block_store_write_zeroes(&f->s, 2 * CHUNK + 512, 512),
			 BLOCK_STORE_OK);
	assert_int_equal(f->s.private_chunks, 1);
}

static void test_out_of_memory(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[1024];

	memset(buf, 0x77, sizeof(buf));
	f->pool.allocs_left = 0;
	assert_int_equal(block_store_write(&f->s, 0, buf, 512),
			 BLOCK_STORE_ERR_NOMEM);
	assert_int_equal(block_store_write_zeroes(&f->s, 0, CHUNK),
			 BLOCK_STORE_ERR_NOMEM);
	/* A discard is advice: without a table page it does nothing. */
	assert_int_equal(block_store_discard(&f->s, 0, CHUNK), BLOCK_STORE_OK);
	expect_image(f, 0, CHUNK);
	/* The page, but no chunk: the write fails, the data stays. */
	f->pool.allocs_left = 1;
	assert_int_equal(block_store_write(&f->s, 0, buf, 512),
			 BLOCK_STORE_ERR_NOMEM);
	expect_image(f, 0, CHUNK);
	assert_int_equal(f->s.private_chunks, 0);
	/* Room for one chunk of a write across two: the first is written. */
	f->pool.allocs_left = 1;
	assert_int_equal(block_store_write(&f->s, CHUNK - 512, buf, 1024),
			 BLOCK_STORE_ERR_NOMEM);
	expect_fill(f, CHUNK - 512, 512, 0x77);
	expect_image(f, CHUNK, 512);
	/* Memory again: everything works. */
	f->pool.allocs_left = -1;
	write_fill(f, CHUNK, 512, 0x78);
	expect_fill(f, CHUNK, 512, 0x78);
}

static void test_map_pieces_stop_at_chunk_ends(void **state)
{
	struct fixture *f = *state;
	const void *src;
	void *dst;
	size_t n;

	assert_int_equal(block_store_map_read(&f->s, CHUNK - 100, 1000, &src, &n),
			 BLOCK_STORE_OK);
	assert_int_equal(n, 100);
	assert_ptr_equal(src, f->image + CHUNK - 100);
	assert_int_equal(block_store_map_write(&f->s, CHUNK - 100, 1000, &dst, &n),
			 BLOCK_STORE_OK);
	assert_int_equal(n, 100);
	/* Never the image itself. */
	assert_true((uint8_t *)dst < f->image ||
		    (uint8_t *)dst >= f->image + IMAGE_SIZE);
	memset(dst, 0x88, n);
	assert_int_equal(block_store_map_read(&f->s, CHUNK - 100, 100, &src, &n),
			 BLOCK_STORE_OK);
	assert_ptr_equal(src, dst);
	/* Zero chunks read as NULL. */
	assert_int_equal(block_store_write_zeroes(&f->s, 2 * CHUNK, CHUNK),
			 BLOCK_STORE_OK);
	assert_int_equal(block_store_map_read(&f->s, 2 * CHUNK + 8, CHUNK, &src, &n),
			 BLOCK_STORE_OK);
	assert_null(src);
	assert_int_equal(n, CHUNK - 8);
	assert_int_equal(block_store_map_read(&f->s, 0, 0, &src, &n),
			 BLOCK_STORE_OK);
	assert_int_equal(n, 0);
	assert_int_equal(block_store_map_write(&f->s, CAPACITY, 1, &dst, &n),
			 BLOCK_STORE_ERR_RANGE);
	assert_null(dst);
	assert_int_equal(n, 0);
}

static void test_two_stores_share_an_image(void **state)
{
	struct fixture *f = *state;
	struct block_store other;
	struct block_store_ops ops = { &f->pool, pool_alloc, pool_free };

	assert_true(block_store_init(&other, f->image, IMAGE_SIZE, &ops));
	write_fill(f, 4096, 512, 0x99);
	/* One domain's write is not the other's. */
	{
		uint8_t buf[512];

		assert_int_equal(block_store_read(&other, 4096, buf, 512),
				 BLOCK_STORE_OK);
		assert_memory_equal(buf, f->pristine + 4096, 512);
	}
	block_store_destroy(&other);
	assert_int_equal(block_store_capacity(&other), 0);
	expect_fill(f, 4096, 512, 0x99);
}

static void test_destroy_frees_everything(void **state)
{
	struct fixture *f = *state;

	write_fill(f, 0, CAPACITY, 0xaa);
	assert_int_equal(f->s.private_chunks, 4);
	assert_true(f->pool.outstanding == 5);
	block_store_destroy(&f->s);
	assert_int_equal(f->pool.outstanding, 0);
	assert_int_equal(block_store_memory_bytes(&f->s), 0);
	/* A destroyed store is empty: every access is out of range. */
	assert_int_equal(block_store_discard(&f->s, 0, 512),
			 BLOCK_STORE_ERR_RANGE);
}

/* A table page covers 512 MiB: a store of 2 pages' worth, touched at both
 * ends, allocates two pages and never reads the (absent) image there. */
static void test_table_pages(void **state)
{
	struct fixture *f = *state;
	struct block_store big;
	struct block_store_ops ops = { &f->pool, pool_alloc, pool_free };
	uint64_t size = 2ull * BLOCK_STORE_ENTRIES_PER_PAGE * CHUNK;

	assert_true(block_store_init(&big, NULL, size, &ops));
	assert_int_equal(block_store_write_zeroes(&big, 0, CHUNK), BLOCK_STORE_OK);
	assert_int_equal(block_store_write_zeroes(&big, size - CHUNK, CHUNK),
			 BLOCK_STORE_OK);
	assert_int_equal(big.table_pages, 2);
	assert_int_equal(big.private_chunks, 0);
	{
		uint8_t buf[64];

		memset(buf, 1, sizeof(buf));
		assert_int_equal(block_store_read(&big, size - 64, buf, 64),
				 BLOCK_STORE_OK);
		for (size_t i = 0; i < sizeof(buf); i++)
			assert_int_equal(buf[i], 0);
	}
	block_store_destroy(&big);
	assert_int_equal(f->pool.outstanding, 0);
}

/* Random writes, zeroes and discards against a flat model: after a
 * discard the model takes what the store reads there (any content is
 * allowed, but it must stay put). */
static void test_random_against_model(void **state)
{
	struct fixture *f = *state;
	uint8_t *model = malloc(CAPACITY);
	uint8_t *buf = malloc(CAPACITY);
	uint64_t seed = 12345;

	assert_non_null(model);
	assert_non_null(buf);
	memcpy(model, f->pristine, CAPACITY);
	for (int step = 0; step < 4000; step++) {
		uint64_t off, len;
		int op;

		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		op = (int)(seed >> 60) % 4;
		off = (seed >> 20) % CAPACITY;
		len = (seed >> 8) % (CAPACITY - off < 3 * CHUNK ? CAPACITY - off + 1
								: 3 * CHUNK);
		if (op == 0) {
			memset(buf, step & 0xff, len);
			assert_int_equal(block_store_write(&f->s, off, buf, len),
					 BLOCK_STORE_OK);
			memset(model + off, step & 0xff, len);
		} else if (op == 1) {
			assert_int_equal(block_store_write_zeroes(&f->s, off, len),
					 BLOCK_STORE_OK);
			memset(model + off, 0, len);
		} else if (op == 2) {
			assert_int_equal(block_store_discard(&f->s, off, len),
					 BLOCK_STORE_OK);
			assert_int_equal(block_store_read(&f->s, off, model + off, len),
					 BLOCK_STORE_OK);
		} else {
			assert_int_equal(block_store_read(&f->s, off, buf, len),
					 BLOCK_STORE_OK);
			assert_memory_equal(buf, model + off, len);
		}
	}
	assert_int_equal(block_store_read(&f->s, 0, buf, CAPACITY), BLOCK_STORE_OK);
	assert_memory_equal(buf, model, CAPACITY);
	/* The store holds what it says it holds. */
	assert_int_equal(block_store_memory_bytes(&f->s),
			 (uint64_t)f->pool.outstanding * CHUNK);
	free(model);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_capacity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reads_come_from_the_image,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_range_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_copies_one_chunk,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_across_chunks, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_short_last_chunk, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_discard_whole_chunks, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_discard_part_of_base_chunk,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_zeroes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_of_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_map_pieces_stop_at_chunk_ends,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_stores_share_an_image,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_destroy_frees_everything,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_table_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_against_model, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
