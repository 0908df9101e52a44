/* lib/virtio_blk_request.c: virtio-blk requests on hand-built chains over
 * a flat guest memory. Every write into guest memory is checked to land
 * inside one of the chain's writable buffers; the disk image sits in a
 * heap block of exactly its size and is compared with a pristine copy
 * after each test. */
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
#include "lib/virtio_blk_request.h"

#define CHUNK BLOCK_STORE_CHUNK_SIZE
#define IMAGE_SIZE (4 * CHUNK)
#define CAP_SECTORS (IMAGE_SIZE / 512)
#define RAM_SIZE (1u << 20)
#define SENTINEL 0xee

struct guest {
	uint8_t *ram;
	size_t size;
	const struct virtq_chain *chain;	/* writes must land in it */
	bool fail_writes;
	unsigned writes;
};

static bool inside_writable(const struct guest *g, uint64_t gpa, size_t len)
{
	const struct virtq_chain *c = g->chain;

	for (unsigned i = c->readable; i < c->count; i++) {
		if (gpa >= c->seg[i].addr &&
		    gpa + len <= c->seg[i].addr + c->seg[i].len)
			return true;
	}
	return false;
}

static bool ram_read(void *ctx, uint64_t gpa, void *dst, size_t len)
{
	struct guest *g = ctx;

	if (gpa > g->size || len > g->size - gpa)
		return false;
	memcpy(dst, g->ram + gpa, len);
	return true;
}

static bool ram_write(void *ctx, uint64_t gpa, const void *src, size_t len)
{
	struct guest *g = ctx;

	if (!inside_writable(g, gpa, len))
		fail_msg("write of %zu bytes at %#llx outside the writable buffers",
			 len, (unsigned long long)gpa);
	if (g->fail_writes || gpa > g->size || len > g->size - gpa)
		return false;
	memcpy(g->ram + gpa, src, len);
	g->writes++;
	return true;
}

static bool ram_is_ram(void *ctx, uint64_t gpa, uint64_t len)
{
	struct guest *g = ctx;

	return gpa <= g->size && len <= g->size - gpa;
}

struct pool {
	long outstanding;
	bool dry;
};

static void *pool_alloc(void *ctx)
{
	struct pool *p = ctx;
	void *mem;

	if (p->dry)
		return NULL;
	mem = malloc(CHUNK);
	assert_non_null(mem);
	p->outstanding++;
	return mem;
}

static void pool_free(void *ctx, void *chunk)
{
	struct pool *p = ctx;

	p->outstanding--;
	free(chunk);
}

struct fixture {
	struct guest g;
	struct virtq_memory mem;
	uint8_t *image;
	uint8_t *pristine;
	struct pool pool;
	struct block_store store;
	struct vblk_disk disk;
	/* The chain being built. */
	struct virtq_chain c;
	uint64_t next_gpa;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct block_store_ops ops;

	assert_non_null(f);
	f->g.size = RAM_SIZE;
	f->g.ram = calloc(1, RAM_SIZE);
	f->image = malloc(IMAGE_SIZE);
	f->pristine = malloc(IMAGE_SIZE);
	assert_non_null(f->g.ram);
	assert_non_null(f->image);
	assert_non_null(f->pristine);
	for (size_t i = 0; i < IMAGE_SIZE; i++)
		f->image[i] = (uint8_t)(i * 13 + (i >> 9) + 1);
	memcpy(f->pristine, f->image, IMAGE_SIZE);
	f->mem = (struct virtq_memory){ &f->g, ram_read, ram_write, ram_is_ram };
	ops = (struct block_store_ops){ &f->pool, pool_alloc, pool_free };
	assert_true(block_store_init(&f->store, f->image, IMAGE_SIZE, &ops));
	f->disk.store = &f->store;
	f->disk.discard = true;
	vblk_set_serial(&f->disk, "xvda");
	f->g.chain = &f->c;
	f->next_gpa = 0x1000;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	block_store_destroy(&f->store);
	assert_int_equal(f->pool.outstanding, 0);
	assert_memory_equal(f->image, f->pristine, IMAGE_SIZE);
	free(f->g.ram);
	free(f->image);
	free(f->pristine);
	free(f);
	return 0;
}

/* ------------------------------------------------------- chain building */

static void new_chain(struct fixture *f)
{
	memset(&f->c, 0, sizeof(f->c));
	f->c.head = 7;
}

/* A buffer at the next free guest address, with a gap after it so that a
 * write past its end would land outside every buffer. */
static uint64_t place(struct fixture *f, uint32_t len, bool writable)
{
	struct virtq_seg *s = &f->c.seg[f->c.count++];

	assert_true(f->c.count <= VIRTQ_CHAIN_MAX_SEGS);
	assert_true(f->next_gpa + len + 64 <= RAM_SIZE);
	s->addr = f->next_gpa;
	s->len = len;
	f->next_gpa += len + 64;
	if (writable) {
		f->c.writable_len += len;
	} else {
		assert_int_equal(f->c.readable, f->c.count - 1);
		f->c.readable++;
		f->c.readable_len += len;
	}
	return s->addr;
}

static void add_readable(struct fixture *f, const void *data, uint32_t len)
{
	memcpy(f->g.ram + place(f, len, false), data, len);
}

static uint64_t add_writable(struct fixture *f, uint32_t len)
{
	uint64_t gpa = place(f, len, true);

	memset(f->g.ram + gpa, SENTINEL, len);
	return gpa;
}

static void header(uint8_t h[16], uint32_t type, uint64_t sector)
{
	memset(h, 0, 16);
	for (int i = 0; i < 4; i++)
		h[i] = (uint8_t)(type >> (8 * i));
	for (int i = 0; i < 8; i++)
		h[8 + i] = (uint8_t)(sector >> (8 * i));
}

static void add_header(struct fixture *f, uint32_t type, uint64_t sector)
{
	uint8_t h[16];

	header(h, type, sector);
	add_readable(f, h, sizeof(h));
}

static void add_segment(uint8_t *p, uint64_t sector, uint32_t num,
			uint32_t flags)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(sector >> (8 * i));
	for (int i = 0; i < 4; i++) {
		p[8 + i] = (uint8_t)(num >> (8 * i));
		p[12 + i] = (uint8_t)(flags >> (8 * i));
	}
}

/* Runs the chain; expects no fault and returns the status, which must also
 * be the last writable byte. */
static uint8_t run(struct fixture *f, uint32_t *written)
{
	struct vblk_result r;
	const struct virtq_seg *last = &f->c.seg[f->c.count - 1];

	assert_int_equal(vblk_handle(&f->disk, &f->c, &f->mem, &r),
			 VBLK_FAULT_NONE);
	assert_int_equal(f->g.ram[last->addr + last->len - 1], r.status);
	if (written)
		*written = r.written;
	return r.status;
}

static enum vblk_fault run_fault(struct fixture *f)
{
	struct vblk_result r;

	return vblk_handle(&f->disk, &f->c, &f->mem, &r);
}

static void expect_disk(struct fixture *f, uint64_t off, const void *want,
			size_t len)
{
	uint8_t *buf = malloc(len);

	assert_non_null(buf);
	assert_int_equal(block_store_read(&f->store, off, buf, len),
			 BLOCK_STORE_OK);
	assert_memory_equal(buf, want, len);
	free(buf);
}

static void expect_disk_zero(struct fixture *f, uint64_t off, size_t len)
{
	uint8_t *zero = calloc(1, len);

	assert_non_null(zero);
	expect_disk(f, off, zero, len);
	free(zero);
}

static void expect_untouched(struct fixture *f, uint64_t gpa, size_t len)
{
	for (size_t i = 0; i < len; i++)
		assert_int_equal(f->g.ram[gpa + i], SENTINEL);
}

/* --------------------------------------------- features and config space */

static void test_features(void **state)
{
	struct fixture *f = *state;
	uint64_t base = VIRTIO_BLK_F_SIZE_MAX | VIRTIO_BLK_F_SEG_MAX |
			VIRTIO_BLK_F_BLK_SIZE | VIRTIO_BLK_F_FLUSH |
			VIRTIO_BLK_F_TOPOLOGY;

	assert_int_equal(vblk_features(&f->disk),
			 base | VIRTIO_BLK_F_DISCARD | VIRTIO_BLK_F_WRITE_ZEROES);
	f->disk.discard = false;
	assert_int_equal(vblk_features(&f->disk),
			 base | VIRTIO_BLK_F_WRITE_ZEROES);
	f->disk.read_only = true;
	f->disk.discard = true;
	assert_int_equal(vblk_features(&f->disk), base | VIRTIO_BLK_F_RO);
	/* The bit numbers of 5.2.3. */
	assert_int_equal(VIRTIO_BLK_F_RO, 1u << 5);
	assert_int_equal(VIRTIO_BLK_F_FLUSH, 1u << 9);
	assert_int_equal(VIRTIO_BLK_F_DISCARD, 1u << 13);
	assert_int_equal(VIRTIO_BLK_F_WRITE_ZEROES, 1u << 14);
}

static uint32_t le32_at(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void test_config_space(void **state)
{
	struct fixture *f = *state;
	uint8_t cfg[VIRTIO_BLK_CONFIG_SIZE + 4];

	memset(cfg, 0x5a, sizeof(cfg));
	vblk_config_space(&f->disk, cfg);
	/* Offsets by hand from struct virtio_blk_config, 5.2.4. */
	assert_int_equal(le32_at(cfg + 0), CAP_SECTORS);
	assert_int_equal(le32_at(cfg + 4), 0);
	assert_int_equal(le32_at(cfg + 8), 65536);	/* size_max */
	assert_int_equal(le32_at(cfg + 12), 254);	/* seg_max */
	assert_int_equal(le32_at(cfg + 16), 0);		/* geometry */
	assert_int_equal(le32_at(cfg + 20), 512);	/* blk_size */
	assert_int_equal(cfg[24], 3);			/* physical_block_exp */
	assert_int_equal(cfg[25], 0);			/* alignment_offset */
	assert_int_equal(cfg[26] | cfg[27] << 8, 8);	/* min_io_size */
	assert_int_equal(le32_at(cfg + 28), 128);	/* opt_io_size */
	assert_int_equal(cfg[32], 0);			/* writeback */
	assert_int_equal(cfg[33], 0);			/* unused0 */
	assert_int_equal(le32_at(cfg + 36), 1u << 21);	/* max_discard_sectors */
	assert_int_equal(le32_at(cfg + 40), 16);	/* max_discard_seg */
	assert_int_equal(le32_at(cfg + 44), 128);	/* discard alignment */
	assert_int_equal(le32_at(cfg + 48), 1u << 21);	/* max_write_zeroes_sectors */
	assert_int_equal(le32_at(cfg + 52), 16);	/* max_write_zeroes_seg */
	assert_int_equal(cfg[56], 1);			/* write_zeroes_may_unmap */
	assert_int_equal(cfg[57] | cfg[58] | cfg[59], 0);	/* unused1 */
	/* Nothing past the size. */
	assert_int_equal(le32_at(cfg + VIRTIO_BLK_CONFIG_SIZE), 0x5a5a5a5a);
}

static void test_config_capacity_of_largest_disk(void **state)
{
	struct fixture *f = *state;
	struct block_store big;
	struct block_store_ops ops = { &f->pool, pool_alloc, pool_free };
	struct vblk_disk d = { .store = &big };
	uint8_t cfg[VIRTIO_BLK_CONFIG_SIZE];
	uint64_t cap = 0;

	/* 64 GiB (its image is never read), and a size that is not whole
	 * sectors: the capacity rounds down. */
	assert_true(block_store_init(&big, NULL, BLOCK_STORE_MAX_SIZE - 1, &ops));
	vblk_config_space(&d, cfg);
	for (int i = 7; i >= 0; i--)
		cap = cap << 8 | cfg[i];
	assert_int_equal(cap, BLOCK_STORE_MAX_SIZE / 512 - 1);
}

/* ---------------------------------------------------------------- IN, OUT */

static void test_read_scattered(void **state)
{
	struct fixture *f = *state;
	uint8_t h[16];
	uint64_t a, b, c, st;
	uint32_t written;

	new_chain(f);
	header(h, VIRTIO_BLK_T_IN, 3);
	add_readable(f, h, 5);		/* the header split 5 + 11 */
	add_readable(f, h + 5, 11);
	a = add_writable(f, 100);
	b = add_writable(f, 1000);
	c = add_writable(f, 436);
	st = add_writable(f, 1);
	assert_int_equal(run(f, &written), VIRTIO_BLK_S_OK);
	assert_int_equal(written, 1537);
	assert_memory_equal(f->g.ram + a, f->pristine + 3 * 512, 100);
	assert_memory_equal(f->g.ram + b, f->pristine + 3 * 512 + 100, 1000);
	assert_memory_equal(f->g.ram + c, f->pristine + 3 * 512 + 1100, 436);
	assert_int_equal(f->g.ram[st], VIRTIO_BLK_S_OK);
}

static void test_read_with_status_in_data_buffer(void **state)
{
	struct fixture *f = *state;
	uint64_t a;
	uint32_t written;

	/* Across the boundary of chunks 0 and 1, data and status in one. */
	new_chain(f);
	add_header(f, VIRTIO_BLK_T_IN, CHUNK / 512 - 1);
	a = add_writable(f, 1024 + 1);
	assert_int_equal(run(f, &written), VIRTIO_BLK_S_OK);
	assert_int_equal(written, 1025);
	assert_memory_equal(f->g.ram + a, f->pristine + CHUNK - 512, 1024);
}

static void test_write_then_read(void **state)
{
	struct fixture *f = *state;
	uint8_t data[2048];
	uint64_t a;
	uint32_t written;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(0x80 ^ i);
	new_chain(f);
	add_header(f, VIRTIO_BLK_T_OUT, 10);
	add_readable(f, data, 700);
	add_readable(f, data + 700, 2048 - 700);
	add_writable(f, 1);
	assert_int_equal(run(f, &written), VIRTIO_BLK_S_OK);
	assert_int_equal(written, 1);
	expect_disk(f, 10 * 512, data, sizeof(data));
	expect_disk(f, 0, f->pristine, 10 * 512);
	expect_disk(f, 14 * 512, f->pristine + 14 * 512, 512);
	/* And a guest read sees it. */
	new_chain(f);
	add_header(f, VIRTIO_BLK_T_IN, 10);
	a = add_writable(f, 2048);
	add_writable(f, 1);
	assert_int_equal(run(f, NULL), VIRTIO_BLK_S_OK);
	assert_memory_equal(f->g.ram + a, data, sizeof(data));
}

static void test_read_of_zeroed_chunk(void **state)
{
	struct fixture *f = *state;
	uint64_t a;

	assert_int_equal(block_store_write_zeroes(&f->store, CHUNK, CHUNK),
			 BLOCK_STORE_OK);
	new_chain(f);
	add_header(f, VIRTIO_BLK_T_IN, CHUNK / 512);
	a = add_writable(f, 8192);
	add_writable(f, 1);
	assert_int_equal(run(f, NULL), VIRTIO_BLK_S_OK);
	for (size_t i = 0; i < 8192; i++)
		assert_int_equal(f->g.ram[a + i], 0);
}

static void test_read_only_disk_refuses_writes(void **state)
{
	struct fixture *f = *state;
	uint8_t data[512], seg[16];
	uint32_t written;

	memset(data, 0x42, sizeof(data));
	f->disk.read_only = true;
	new_chain(f);
	add_header(f, VIRTIO_BLK_T_OUT, 0);
	add_readable(f, data, sizeof(data));
	add_writable(f, 1);
	assert_int_equal(run(f, &written), VIRTIO_BLK_S_IOERR);
	assert_int_equal(written, 1);
	add_segment(seg, 0, 128, 0);
	new_chain(f);
	add_header(f, VIRTIO_BLK_T_WRITE_ZEROES, 0);
	add_readable(f, seg, sizeof(seg));
	add_writable(f, 1);
	assert_int_equal(run(f, NULL), VIRTIO_BLK_S_IOERR);
	new_chain(f);
	add_header(f, VIRTIO_BLK_T_DISCARD, 0);
	add_readable(f, seg, sizeof(seg));
	add_writable(f, 1);
	assert_int_equal(run(f, NULL), VIRTIO_BLK_S_IOERR);
	/* Not a byte changed, not a byte of memory taken; reads still work. */
	expect_disk(f, 0, f->pristine, IMAGE_SIZE);
	assert_int_equal(f->pool.outstanding, 0);
	new_chain(f);
	add_header(f, VIRTIO_BLK_T_IN, 0);
	add_writable(f, 513);
	assert_int_equal(run(f, NULL), VIRTIO_BLK_S_OK);
}

static void test_lengths_must_be_whole_sectors(void **state)
{
	struct fixture *f = *state;
	uint8_t data[600] = { 0 };
	uint64_t a;
	uint32_t written;

	new_chain(f);
	add_header(f, VIRTIO_BLK_T_IN, 0);
	a = add_writable(f, 511);
	add_writable(f, 1);
	assert_int_equal(run(f, &written), VIRTIO_BLK_S_IOERR);
	assert_int_equal(written, 1);
	expect_untouched(f, a, 511);
	new_chain(f);
	add_header(f, VIRTIO_BLK_T_OUT, 0);
	add_readable(f, data, sizeof(data));
	add_writable(f, 1);
	assert_int_equal(run(f, NULL), VIRTIO_BLK_S_IOERR);
	assert_int_equal(f->pool.outstanding, 0);
}

static void test_sector_ranges(void **state)
{
	struct fixture *f = *state;
	static const struct {
		uint64_t sector;
		uint32_t len;
		uint8_t status;
	} cases[] = {
		{ CAP_SECTORS - 1, 512, VIRTIO_BLK_S_OK },
		{ CAP_SECTORS - 1, 1024, VIRTIO_BLK_S_IOERR },
		{ CAP_SECTORS, 0, VIRTIO_BLK_S_OK },
		{ CAP_SECTORS, 512, VIRTIO_BLK_S_IOERR },
		{ CAP_SECTORS + 1, 0, VIRTIO_BLK_S_IOERR },
		{ UINT64_MAX, 512, VIRTIO_BLK_S_IOERR },
		/* sector * 512 wraps to 0: must not read sector 0. */
		{ 1ull << 55, 512, VIRTIO_BLK_S_IOERR },
		{ (1ull << 55) - 1, 1024, VIRTIO_BLK_S_IOERR },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t a;

		new_chain(f);
		add_header(f, VIRTIO_BLK_T_IN, cases[i].sector);
		a = add_writable(f, cases[i].len + 1);
		if (run(f, NULL) != cases[i].status)
			fail_msg("case %zu: wrong status", i);
		if (cases[i].status != VIRTIO_BLK_S_OK)
			expect_untouched(f, a, cases[i].len);
		/* The same for a write. */
		{
			uint8_t *data = calloc(1, cases[i].len + 1);

			new_chain(f);
			add_header(f, VIRTIO_BLK_T_OUT, cases[i].sector);
			add_readable(f, data, cases[i].len);
			add_writable(f, 1);
			if (run(f, NULL) != cases[i].status)
				fail_msg("case %zu: wrong write status", i);
			free(data);
		}
	}
	/* The one good write changed only the last sector. */
	expect_disk(f, 0, f->pristine, IMAGE_SIZE - 512);
	expect_disk_zero(f, IMAGE_SIZE - 512, 512);
}

static void test_request_too_large(void **state)
{
	struct fixture *f = *state;
	struct block_store big;
	struct block_store_ops ops = { &f->pool, pool_alloc, pool_free };
	struct guest g = { 0 };
	struct virtq_memory mem = { &g, ram_read, ram_write, ram_is_ram };
	struct vblk_disk d = { .store = &big };
	struct vblk_result r;
	struct virtq_chain *c = &f->c;
	uint8_t h[16];

	/* A disk large enough; its image is never read (NULL). */
	assert_true(block_store_init(&big, NULL, 64ull << 20, &ops));
	g.size = VIRTIO_BLK_MAX_DATA + 4096 + 1024;
	g.ram = calloc(1, g.size);
	assert_non_null(g.ram);
	g.chain = c;
	header(h, VIRTIO_BLK_T_IN, 0);
	memcpy(g.ram, h, 16);
	memset(c, 0, sizeof(*c));
	c->count = 2;
	c->readable = 1;
	c->seg[0] = (struct virtq_seg){ 0, 16 };
	c->readable_len = 16;
	c->seg[1] = (struct virtq_seg){ 1024, VIRTIO_BLK_MAX_DATA + 512 + 1 };
	c->writable_len = c->seg[1].len;
	assert_int_equal(vblk_handle(&d, c, &mem, &r), VBLK_FAULT_NONE);
	assert_int_equal(r.status, VIRTIO_BLK_S_IOERR);
	/* Only the status was written. */
	assert_int_equal(g.writes, 1);
	free(g.ram);
}

/* ---------------------------------------------- flush, GET_ID, unknown */

static void test_flush(void **state)
{
	struct fixture *f = *state;
	uint32_t written;

	new_chain(f);
	add_header(f, VIRTIO_BLK_T_FLUSH, 0);
	add_writable(f, 1);
	assert_int_equal(run(f, &written), VIRTIO_BLK_S_OK);
	assert_int_equal(written, 1);
}

static void test_get_id(void **state)
{
	struct fixture *f = *state;
	uint64_t a;
	uint32_t written;

	new_chain(f);
	add_header(f, VIRTIO_BLK_T_GET_ID, 0);
	a = add_writable(f, 20);
	add_writable(f, 1);
	assert_int_equal(run(f, &written), VIRTIO_BLK_S_OK);
	assert_int_equal(written, 21);
	assert_memory_equal(f->g.ram + a, "xvda\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 20);
	/* Twenty characters fill it without a NUL; more are cut. */
	vblk_set_serial(&f->disk, "vesta-webserver-xvdb-and-more");
	new_chain(f);
	add_header(f, VIRTIO_BLK_T_GET_ID, 0);
	a = add_writable(f, 21);	/* data and status together */
	assert_int_equal(run(f, &written), VIRTIO_BLK_S_OK);
	assert_memory_equal(f->g.ram + a, "vesta-webserver-xvdb", 20);
	/* Too small a buffer. */
	new_chain(f);
	add_header(f, VIRTIO_BLK_T_GET_ID, 0);
	a = add_writable(f, 19);
	add_writable(f, 1);
	assert_int_equal(run(f, &written), VIRTIO_BLK_S_IOERR);
	assert_int_equal(written, 1);
	expect_untouched(f, a, 19);
}

static void test_unsupported_types(void **state)
{
	struct fixture *f = *state;
	static const uint32_t types[] = {
		2, 3, 5, VIRTIO_BLK_T_GET_LIFETIME, VIRTIO_BLK_T_SECURE_ERASE,
		15, 16, 18, 20, 22, 24, 26, 0x80000000u, 0x80000001u, UINT32_MAX,
	};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		uint64_t a;
		uint32_t written;

		new_chain(f);
		add_header(f, types[i], 0);
		a = add_writable(f, 512);
		add_writable(f, 1);
		assert_int_equal(run(f, &written), VIRTIO_BLK_S_UNSUPP);
		assert_int_equal(written, 1);
		expect_untouched(f, a, 512);
	}
}

/* ----------------------------------------- discard and write zeroes */

static uint8_t dwz(struct fixture *f, uint32_t type, const uint8_t *segs,
		   uint32_t len)
{
	new_chain(f);
	add_header(f, type, 0);
	if (len > 0)
		add_readable(f, segs, len);
	add_writable(f, 1);
	return run(f, NULL);
}

static void test_discard(void **state)
{
	struct fixture *f = *state;
	uint8_t seg[16];

	add_segment(seg, CHUNK / 512, CHUNK / 512, 0);
	assert_int_equal(dwz(f, VIRTIO_BLK_T_DISCARD, seg, 16), VIRTIO_BLK_S_OK);
	/* A whole chunk: it reads zero, and costs no data memory. */
	expect_disk_zero(f, CHUNK, CHUNK);
	expect_disk(f, 0, f->pristine, CHUNK);
	expect_disk(f, 2 * CHUNK, f->pristine + 2 * CHUNK, 2 * CHUNK);
	assert_int_equal(f->store.private_chunks, 0);
}

static void test_discard_refusals(void **state)
{
	struct fixture *f = *state;
	uint8_t segs[17 * 16];

	/* unmap on a discard, an unknown flag: UNSUPP (5.2.6.2). */
	add_segment(segs, 0, 128, VIRTIO_BLK_DWZ_F_UNMAP);
	assert_int_equal(dwz(f, VIRTIO_BLK_T_DISCARD, segs, 16),
			 VIRTIO_BLK_S_UNSUPP);
	add_segment(segs, 0, 128, 2);
	assert_int_equal(dwz(f, VIRTIO_BLK_T_DISCARD, segs, 16),
			 VIRTIO_BLK_S_UNSUPP);
	add_segment(segs, 0, 128, 2);
	assert_int_equal(dwz(f, VIRTIO_BLK_T_WRITE_ZEROES, segs, 16),
			 VIRTIO_BLK_S_UNSUPP);
	/* Past the disk, past the limit, no segment, a partial segment, more
	 * segments than advertised: IOERR. */
	add_segment(segs, CAP_SECTORS - 1, 2, 0);
	assert_int_equal(dwz(f, VIRTIO_BLK_T_DISCARD, segs, 16),
			 VIRTIO_BLK_S_IOERR);
	add_segment(segs, UINT64_MAX - 1, 4, 0);
	assert_int_equal(dwz(f, VIRTIO_BLK_T_WRITE_ZEROES, segs, 16),
			 VIRTIO_BLK_S_IOERR);
	add_segment(segs, 0, VIRTIO_BLK_MAX_DISCARD_SECTORS + 1, 0);
	assert_int_equal(dwz(f, VIRTIO_BLK_T_DISCARD, segs, 16),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(dwz(f, VIRTIO_BLK_T_DISCARD, segs, 0),
			 VIRTIO_BLK_S_IOERR);
	add_segment(segs, 0, 128, 0);
	assert_int_equal(dwz(f, VIRTIO_BLK_T_DISCARD, segs, 20),
			 VIRTIO_BLK_S_IOERR);
	for (int i = 0; i < 17; i++)
		add_segment(segs + 16 * i, 0, 1, 0);
	assert_int_equal(dwz(f, VIRTIO_BLK_T_DISCARD, segs, 17 * 16),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(dwz(f, VIRTIO_BLK_T_WRITE_ZEROES, segs, 17 * 16),
			 VIRTIO_BLK_S_IOERR);
	/* Sixteen is fine. */
	assert_int_equal(dwz(f, VIRTIO_BLK_T_WRITE_ZEROES, segs, 16 * 16),
			 VIRTIO_BLK_S_OK);
	expect_disk_zero(f, 0, 512);
	expect_disk(f, 512, f->pristine + 512, IMAGE_SIZE - 512);
	/* Without `discard` the request is not offered: UNSUPP. */
	f->disk.discard = false;
	add_segment(segs, 0, 128, 0);
	assert_int_equal(dwz(f, VIRTIO_BLK_T_DISCARD, segs, 16),
			 VIRTIO_BLK_S_UNSUPP);
	expect_disk(f, 512, f->pristine + 512, IMAGE_SIZE - 512);
}

static void test_write_zeroes(void **state)
{
	struct fixture *f = *state;
	uint8_t segs[32];

	/* Two segments, one with unmap: both read zero afterwards. */
	add_segment(segs, 1, 2, 0);
	add_segment(segs + 16, 2 * CHUNK / 512, CHUNK / 512,
		    VIRTIO_BLK_DWZ_F_UNMAP);
	assert_int_equal(dwz(f, VIRTIO_BLK_T_WRITE_ZEROES, segs, 32),
			 VIRTIO_BLK_S_OK);
	expect_disk(f, 0, f->pristine, 512);
	expect_disk_zero(f, 512, 1024);
	expect_disk(f, 1536, f->pristine + 1536, 2 * CHUNK - 1536);
	expect_disk_zero(f, 2 * CHUNK, CHUNK);
	expect_disk(f, 3 * CHUNK, f->pristine + 3 * CHUNK, CHUNK);
}

static void test_bad_segment_stops_all(void **state)
{
	struct fixture *f = *state;
	uint8_t segs[32];

	/* The first segment is fine, the second is not: nothing is done. */
	add_segment(segs, 0, 128, 0);
	add_segment(segs + 16, CAP_SECTORS, 1, 0);
	assert_int_equal(dwz(f, VIRTIO_BLK_T_WRITE_ZEROES, segs, 32),
			 VIRTIO_BLK_S_IOERR);
	add_segment(segs + 16, 0, 1, 4);
	assert_int_equal(dwz(f, VIRTIO_BLK_T_WRITE_ZEROES, segs, 32),
			 VIRTIO_BLK_S_UNSUPP);
	expect_disk(f, 0, f->pristine, IMAGE_SIZE);
}

/* ------------------------------------------------------------ failures */

static void test_out_of_memory_is_ioerr(void **state)
{
	struct fixture *f = *state;
	uint8_t data[512], seg[16];

	memset(data, 1, sizeof(data));
	f->pool.dry = true;
	new_chain(f);
	add_header(f, VIRTIO_BLK_T_OUT, 4);
	add_readable(f, data, sizeof(data));
	add_writable(f, 1);
	assert_int_equal(run(f, NULL), VIRTIO_BLK_S_IOERR);
	add_segment(seg, 1, 1, 0);
	assert_int_equal(dwz(f, VIRTIO_BLK_T_WRITE_ZEROES, seg, 16),
			 VIRTIO_BLK_S_IOERR);
	expect_disk(f, 0, f->pristine, IMAGE_SIZE);
}

static void test_faults(void **state)
{
	struct fixture *f = *state;
	uint8_t h[16];

	/* No writable byte: nowhere for the status. */
	new_chain(f);
	add_header(f, VIRTIO_BLK_T_FLUSH, 0);
	assert_int_equal(run_fault(f), VBLK_FAULT_NO_STATUS);
	/* A header of 15 bytes. */
	header(h, VIRTIO_BLK_T_IN, 0);
	new_chain(f);
	add_readable(f, h, 15);
	add_writable(f, 513);
	assert_int_equal(run_fault(f), VBLK_FAULT_NO_HEADER);
	new_chain(f);
	add_writable(f, 1);
	assert_int_equal(run_fault(f), VBLK_FAULT_NO_HEADER);
	/* Guest memory that refuses the write. */
	new_chain(f);
	add_header(f, VIRTIO_BLK_T_FLUSH, 0);
	add_writable(f, 1);
	f->g.fail_writes = true;
	assert_int_equal(run_fault(f), VBLK_FAULT_MEMORY);
	/* A chain whose lengths claim more than its buffers hold. */
	f->g.fail_writes = false;
	new_chain(f);
	add_header(f, VIRTIO_BLK_T_OUT, 0);
	add_writable(f, 1);
	f->c.readable_len += 512;
	assert_int_equal(run_fault(f), VBLK_FAULT_MEMORY);
	assert_string_equal(vblk_fault_str(VBLK_FAULT_NO_STATUS),
			    "request without a writable status byte");
	assert_non_null(strstr(vblk_fault_str(VBLK_FAULT_NO_HEADER), "16"));
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_features),
		T(test_config_space),
		T(test_config_capacity_of_largest_disk),
		T(test_read_scattered),
		T(test_read_with_status_in_data_buffer),
		T(test_write_then_read),
		T(test_read_of_zeroed_chunk),
		T(test_read_only_disk_refuses_writes),
		T(test_lengths_must_be_whole_sectors),
		T(test_sector_ranges),
		T(test_request_too_large),
		T(test_flush),
		T(test_get_id),
		T(test_unsupported_types),
		T(test_discard),
		T(test_discard_refusals),
		T(test_write_zeroes),
		T(test_bad_segment_stops_all),
		T(test_out_of_memory_is_ioerr),
		T(test_faults),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
