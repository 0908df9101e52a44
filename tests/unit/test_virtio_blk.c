/* hv/vdev/virtio_blk.c behind the real virtio-mmio transport, driven by
 * the simulated guest driver of virtio_driver_sim.h, over a copy-on-write
 * store (lib/block_store.h) of an image in a heap block of exactly its
 * size: reads return the image, writes read back and never reach the
 * image, a read-only disk offers VIRTIO_BLK_F_RO and refuses writes,
 * GET_ID, config space, the status byte of failed requests, and chains
 * the device cannot answer (NEEDS_RESET). The image is compared with a
 * pristine copy after every test. */
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
#include "vdev/virtio_blk.h"
#include "virtio_driver_sim.h"

#define RQ 0
#define QSIZE 32
#define SECTOR VIRTIO_BLK_SECTOR_SIZE
#define CHUNK BLOCK_STORE_CHUNK_SIZE
#define IMAGE_SIZE (4 * CHUNK)
#define CAP_SECTORS (IMAGE_SIZE / SECTOR)
#define SECTORS_PER_CHUNK (CHUNK / SECTOR)
#define SERIAL "vesta-xvda"

static struct vds d;
static struct virtio_mmio t;
static struct virtio_blk blk;
static struct block_store store;
static uint8_t *image, *pristine;
static long chunks_out;		/* allocated and not freed */

static void *pool_alloc(void *ctx)
{
	void *p;

	(void)ctx;
	p = malloc(CHUNK);
	assert_non_null(p);
	chunks_out++;
	return p;
}

static void pool_free(void *ctx, void *chunk)
{
	(void)ctx;
	chunks_out--;
	free(chunk);
}

static const uint64_t plain = VIRTIO_F_VERSION_1;
static const uint64_t all = VIRTIO_F_VERSION_1 | VIRTIO_F_EVENT_IDX |
			    VIRTIO_F_INDIRECT_DESC;
/* What vblk_features offers for a writable disk without discard. */
static const uint64_t blk_rw_bits =
	VIRTIO_BLK_F_SIZE_MAX | VIRTIO_BLK_F_SEG_MAX | VIRTIO_BLK_F_BLK_SIZE |
	VIRTIO_BLK_F_TOPOLOGY | VIRTIO_BLK_F_FLUSH | VIRTIO_BLK_F_WRITE_ZEROES;
static const uint64_t blk_ro_bits =
	VIRTIO_BLK_F_SIZE_MAX | VIRTIO_BLK_F_SEG_MAX | VIRTIO_BLK_F_BLK_SIZE |
	VIRTIO_BLK_F_TOPOLOGY | VIRTIO_BLK_F_FLUSH | VIRTIO_BLK_F_RO;

/* A device over a store of `size` bytes of the image. */
static void make_device(uint64_t size, bool read_only, const char *serial)
{
	struct block_store_ops ops = { NULL, pool_alloc, pool_free };
	struct vblk_disk disk;

	assert_true(block_store_init(&store, image, size, &ops));
	memset(&disk, 0, sizeof(disk));
	disk.store = &store;
	disk.read_only = read_only;
	vblk_set_serial(&disk, serial);
	memset(&blk, 0xa5, sizeof(blk));
	virtio_blk_init(&blk, &disk);
	vds_init(&d, &t, &blk.ops, &blk);
}

static int setup(void **state)
{
	(void)state;
	chunks_out = 0;
	image = malloc(IMAGE_SIZE);
	pristine = malloc(IMAGE_SIZE);
	assert_non_null(image);
	assert_non_null(pristine);
	for (size_t i = 0; i < IMAGE_SIZE; i++)
		image[i] = (uint8_t)(i * 13 + (i >> 9) + 1);
	memcpy(pristine, image, IMAGE_SIZE);
	make_device(IMAGE_SIZE, false, SERIAL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	block_store_destroy(&store);
	assert_int_equal(chunks_out, 0);
	assert_memory_equal(image, pristine, IMAGE_SIZE);
	free(image);
	free(pristine);
	return 0;
}

/* ------------------------------------------------------------ requests */

/* A header buffer (struct virtio_blk_req's first 16 bytes). */
static struct vds_buf header(uint32_t type, uint64_t sector)
{
	uint8_t h[VIRTIO_BLK_REQ_HEADER_SIZE] = { 0 };

	for (unsigned i = 0; i < 4; i++)
		h[i] = (uint8_t)(type >> (8 * i));
	for (unsigned i = 0; i < 8; i++)
		h[8 + i] = (uint8_t)(sector >> (8 * i));
	return vds_out_buf(&d, h, sizeof(h));
}

/* A request: its header, `n` data buffers and a one-byte status buffer,
 * through an indirect table if `indirect`. Returns the head; *status is
 * where the status byte goes (0xcc until written). */
static uint16_t request_ex(uint32_t type, uint64_t sector,
			   const struct vds_buf *data, unsigned n,
			   uint64_t *status, bool indirect)
{
	struct vds_buf bufs[8];

	assert_true(n + 2 <= 8);
	bufs[0] = header(type, sector);
	for (unsigned i = 0; i < n; i++)
		bufs[1 + i] = data[i];
	bufs[n + 1] = vds_in_buf(&d, 1, 0xcc);
	*status = bufs[n + 1].addr;
	return indirect ? vds_add_indirect(&d, RQ, bufs, n + 2)
			: vds_add_chain(&d, RQ, bufs, n + 2);
}

static uint16_t request(uint32_t type, uint64_t sector,
			const struct vds_buf *data, unsigned n, uint64_t *status)
{
	return request_ex(type, sector, data, n, status, false);
}

/* Carries out one IN request of `len` bytes from `sector` into a fresh
 * buffer and checks it succeeded; returns the buffer's address. */
static uint64_t read_sectors(uint64_t sector, uint32_t len)
{
	struct vds_buf b = vds_in_buf(&d, len, 0xcc);
	uint64_t status;
	uint16_t h = request(VIRTIO_BLK_T_IN, sector, &b, 1, &status);

	vds_notify(&d, RQ);
	vds_expect_used(&d, RQ, h, len + 1);
	assert_int_equal(d.ram[status], VIRTIO_BLK_S_OK);
	return b.addr;
}

/* One OUT request; returns its status byte (used len must be 1). */
static uint8_t write_sectors(uint64_t sector, const void *data, uint32_t len)
{
	struct vds_buf b = vds_out_buf(&d, data, len);
	uint64_t status;
	uint16_t h = request(VIRTIO_BLK_T_OUT, sector, &b, 1, &status);

	vds_notify(&d, RQ);
	vds_expect_used(&d, RQ, h, 1);
	return d.ram[status];
}

/* ------------------------------------------------------------- tests */

static void test_identity_and_features(void **state)
{
	(void)state;
	assert_int_equal(vds_rd(&d, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_BLOCK);
	uint64_t f = vds_offered_features(&d);
	assert_int_equal(f, all | blk_rw_bits);
	assert_int_equal(f & VIRTIO_BLK_F_RO, 0);
	assert_int_equal(f & VIRTIO_BLK_F_DISCARD, 0);	/* disk.discard off */
	assert_true(vds_negotiate(&d, f));
	/* One queue. */
	vds_wr(&d, VIRTIO_MMIO_QUEUE_SEL, 1);
	assert_int_equal(vds_rd(&d, VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
	/* A feature not offered is refused. */
	assert_false(vds_negotiate(&d, plain | VIRTIO_BLK_F_RO));
	assert_false(vds_negotiate(&d, plain | VIRTIO_BLK_F_DISCARD));
}

/* Config space (5.2.4), read as Linux does (virtio_cread: 8-byte fields
 * as two 4-byte reads, others at their size), and byte by byte:
 * little-endian. */
static void test_config_space(void **state)
{
	(void)state;
	assert_int_equal(vds_config_read(&d, VIRTIO_BLK_CFG_CAPACITY, 8),
			 CAP_SECTORS);
	assert_int_equal(vds_config_read(&d, VIRTIO_BLK_CFG_CAPACITY, 4),
			 CAP_SECTORS);
	assert_int_equal(vds_config_read(&d, VIRTIO_BLK_CFG_CAPACITY + 4, 4), 0);
	uint8_t cap[8];
	for (unsigned i = 0; i < 8; i++)
		cap[i] = (uint8_t)vds_config_read(&d, VIRTIO_BLK_CFG_CAPACITY + i, 1);
	assert_int_equal(cap[0], CAP_SECTORS & 0xff);
	assert_int_equal(cap[1], CAP_SECTORS >> 8);
	for (unsigned i = 2; i < 8; i++)
		assert_int_equal(cap[i], 0);
	assert_int_equal(vds_config_read(&d, VIRTIO_BLK_CFG_SIZE_MAX, 4),
			 VIRTIO_BLK_SIZE_MAX);
	assert_int_equal(vds_config_read(&d, VIRTIO_BLK_CFG_SEG_MAX, 4),
			 VIRTIO_BLK_SEG_MAX);
	assert_int_equal(vds_config_read(&d, VIRTIO_BLK_CFG_BLK_SIZE, 4), 512);
	/* Eight bytes across two fields. */
	assert_int_equal(vds_config_read(&d, VIRTIO_BLK_CFG_SIZE_MAX, 8),
			 VIRTIO_BLK_SIZE_MAX |
			 (uint64_t)VIRTIO_BLK_SEG_MAX << 32);
	assert_int_equal(vds_config_read(&d, VIRTIO_BLK_CFG_PHYSICAL_BLOCK_EXP, 1),
			 VIRTIO_BLK_PHYSICAL_BLOCK_EXP);
	assert_int_equal(vds_config_read(&d, VIRTIO_BLK_CFG_MIN_IO_SIZE, 2),
			 VIRTIO_BLK_MIN_IO_BLOCKS);
	assert_int_equal(vds_config_read(&d, VIRTIO_BLK_CFG_OPT_IO_SIZE, 4),
			 VIRTIO_BLK_OPT_IO_BLOCKS);
	assert_int_equal(vds_config_read(&d, VIRTIO_BLK_CFG_NUM_QUEUES, 2), 1);
	assert_int_equal(vds_config_read(&d, VIRTIO_BLK_CFG_WRITEBACK, 1), 0);
	/* The last byte, and past the end. */
	assert_int_equal(vds_config_read(&d, VIRTIO_BLK_CONFIG_SIZE - 1, 1), 0);
	assert_int_equal(vds_config_read(&d, VIRTIO_BLK_CONFIG_SIZE, 1), 0);
	assert_int_equal(vds_config_read(&d, VIRTIO_BLK_CONFIG_SIZE - 4, 8), 0);
	/* Read-only to the driver: a write changes nothing, not even the
	 * generation. */
	uint32_t gen = vds_rd(&d, VIRTIO_MMIO_CONFIG_GENERATION);
	virtio_mmio_write(&t, VIRTIO_MMIO_CONFIG + VIRTIO_BLK_CFG_CAPACITY, 4, 7);
	virtio_mmio_write(&t, VIRTIO_MMIO_CONFIG + VIRTIO_BLK_CFG_WRITEBACK, 1, 1);
	assert_int_equal(vds_config_read(&d, VIRTIO_BLK_CFG_CAPACITY, 8),
			 CAP_SECTORS);
	assert_int_equal(vds_config_read(&d, VIRTIO_BLK_CFG_WRITEBACK, 1), 0);
	assert_int_equal(vds_rd(&d, VIRTIO_MMIO_CONFIG_GENERATION), gen);
}

/* A capacity of several bytes, little-endian however it is read, and an
 * image whose size is not a whole number of sectors. */
static void test_config_capacity_large_and_odd(void **state)
{
	(void)state;
	block_store_destroy(&store);
	/* 40 GiB + 3 sectors of "image" (never touched: nothing is read). */
	uint64_t size = (40ull << 30) + 3 * SECTOR;
	uint64_t sectors = size / SECTOR;		/* 0x5000003 */
	make_device(size, false, SERIAL);
	assert_int_equal(vds_config_read(&d, VIRTIO_BLK_CFG_CAPACITY, 8),
			 sectors);
	assert_int_equal(vds_config_read(&d, VIRTIO_BLK_CFG_CAPACITY, 4),
			 sectors);
	assert_int_equal(vds_config_read(&d, VIRTIO_BLK_CFG_CAPACITY + 4, 4), 0);
	assert_int_equal(vds_config_read(&d, VIRTIO_BLK_CFG_CAPACITY, 2), 3);
	assert_int_equal(vds_config_read(&d, VIRTIO_BLK_CFG_CAPACITY + 2, 2),
			 0x500);
	assert_int_equal(vds_config_read(&d, VIRTIO_BLK_CFG_CAPACITY + 3, 1),
			 0x05);
	block_store_destroy(&store);
	make_device(IMAGE_SIZE - 100, false, SERIAL);
	assert_int_equal(vds_config_read(&d, VIRTIO_BLK_CFG_CAPACITY, 8),
			 CAP_SECTORS - 1);
}

/* An IN request returns the image's bytes, across data buffers, across a
 * chunk boundary; used len is data + status. */
static void test_read(void **state)
{
	(void)state;
	uint64_t status;

	vds_bring_up(&d, plain | blk_rw_bits, 1, QSIZE);
	struct vds_buf two[2] = { vds_in_buf(&d, 1000, 0xcc),
				  vds_in_buf(&d, 536, 0xcc) };
	uint16_t h = request(VIRTIO_BLK_T_IN, 5, two, 2, &status);
	vds_notify(&d, RQ);
	vds_expect_used(&d, RQ, h, 1537);
	assert_int_equal(d.ram[status], VIRTIO_BLK_S_OK);
	assert_memory_equal(d.ram + two[0].addr, image + 5 * SECTOR, 1000);
	assert_memory_equal(d.ram + two[1].addr, image + 5 * SECTOR + 1000, 536);
	assert_int_equal(d.irqs, 1);
	assert_int_equal(vds_ack_irq(&d), VIRTIO_MMIO_INT_VRING);

	/* Across the first chunk boundary, and the very last sector. */
	uint64_t g = read_sectors(SECTORS_PER_CHUNK - 2, 4 * SECTOR);
	assert_memory_equal(d.ram + g, image + CHUNK - 2 * SECTOR, 4 * SECTOR);
	g = read_sectors(CAP_SECTORS - 1, SECTOR);
	assert_memory_equal(d.ram + g, image + IMAGE_SIZE - SECTOR, SECTOR);
	assert_int_equal(blk.requests, 3);
	assert_int_equal(store.private_chunks, 0);
	assert_int_equal(d.logs, 0);
}

/* A write reads back, across a chunk boundary, with the sectors around it
 * still the image's, and the image itself untouched (teardown). */
static void test_write_then_read(void **state)
{
	(void)state;
	uint8_t data[4 * SECTOR];
	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(0x80 ^ i ^ (i >> 8));

	vds_bring_up(&d, plain | blk_rw_bits, 1, QSIZE);
	uint64_t at = SECTORS_PER_CHUNK - 2;
	assert_int_equal(write_sectors(at, data, sizeof(data)), VIRTIO_BLK_S_OK);
	assert_int_equal(store.private_chunks, 2);
	uint64_t g = read_sectors(at - 2, 8 * SECTOR);
	assert_memory_equal(d.ram + g, image + (at - 2) * SECTOR, 2 * SECTOR);
	assert_memory_equal(d.ram + g + 2 * SECTOR, data, sizeof(data));
	assert_memory_equal(d.ram + g + 6 * SECTOR, image + (at + 4) * SECTOR,
			    2 * SECTOR);
	assert_memory_equal(image, pristine, IMAGE_SIZE);

	/* A write split over buffers that do not follow sector bounds. */
	struct vds_buf parts[3] = { vds_out_buf(&d, data, 100),
				    vds_out_buf(&d, data + 100, 700),
				    vds_out_buf(&d, data + 800, 224) };
	uint64_t status;
	uint16_t h = request(VIRTIO_BLK_T_OUT, 3 * SECTORS_PER_CHUNK, parts, 3,
			     &status);
	vds_notify(&d, RQ);
	vds_expect_used(&d, RQ, h, 1);
	assert_int_equal(d.ram[status], VIRTIO_BLK_S_OK);
	g = read_sectors(3 * SECTORS_PER_CHUNK, 2 * SECTOR);
	assert_memory_equal(d.ram + g, data, 2 * SECTOR);

	/* Writes survive a device reset: the store is the disk. */
	vds_bring_up(&d, plain | blk_rw_bits, 1, QSIZE);
	g = read_sectors(at, sizeof(data));
	assert_memory_equal(d.ram + g, data, sizeof(data));
}

/* A read-only disk offers RO (and no WRITE_ZEROES), refuses OUT and
 * WRITE_ZEROES with IOERR, writes nothing, and still reads. */
static void test_read_only(void **state)
{
	(void)state;
	uint8_t data[SECTOR];
	memset(data, 0x77, sizeof(data));

	block_store_destroy(&store);
	make_device(IMAGE_SIZE, true, SERIAL);
	uint64_t f = vds_offered_features(&d);
	assert_int_equal(f, all | blk_ro_bits);
	vds_bring_up(&d, plain | blk_ro_bits, 1, QSIZE);
	assert_int_equal(write_sectors(8, data, sizeof(data)), VIRTIO_BLK_S_IOERR);
	assert_int_equal(store.private_chunks, 0);
	uint64_t g = read_sectors(8, SECTOR);
	assert_memory_equal(d.ram + g, image + 8 * SECTOR, SECTOR);

	/* WRITE_ZEROES: one segment of 8 sectors at 0. */
	uint8_t seg[VIRTIO_BLK_DWZ_SEGMENT_SIZE] = { 0, 0, 0, 0, 0, 0, 0, 0, 8 };
	struct vds_buf s = vds_out_buf(&d, seg, sizeof(seg));
	uint64_t status;
	uint16_t h = request(VIRTIO_BLK_T_WRITE_ZEROES, 0, &s, 1, &status);
	vds_notify(&d, RQ);
	vds_expect_used(&d, RQ, h, 1);
	assert_int_equal(d.ram[status], VIRTIO_BLK_S_IOERR);
	g = read_sectors(0, 8 * SECTOR);
	assert_memory_equal(d.ram + g, image, 8 * SECTOR);
	/* FLUSH is fine. */
	h = request(VIRTIO_BLK_T_FLUSH, 0, NULL, 0, &status);
	vds_notify(&d, RQ);
	vds_expect_used(&d, RQ, h, 1);
	assert_int_equal(d.ram[status], VIRTIO_BLK_S_OK);
	assert_int_equal(store.private_chunks, 0);
	assert_int_equal(chunks_out, 0);
	assert_int_equal(vds_status(&d) & VDS_NEEDS_RESET, 0);
}

/* GET_ID: the serial, NUL-padded to 20 bytes; used len 21. */
static void test_get_id(void **state)
{
	(void)state;
	uint64_t status;

	vds_bring_up(&d, plain | blk_rw_bits, 1, QSIZE);
	struct vds_buf id = vds_in_buf(&d, VIRTIO_BLK_ID_BYTES, 0xcc);
	uint16_t h = request(VIRTIO_BLK_T_GET_ID, 0, &id, 1, &status);
	vds_notify(&d, RQ);
	vds_expect_used(&d, RQ, h, VIRTIO_BLK_ID_BYTES + 1);
	assert_int_equal(d.ram[status], VIRTIO_BLK_S_OK);
	char want[VIRTIO_BLK_ID_BYTES] = SERIAL;
	assert_memory_equal(d.ram + id.addr, want, VIRTIO_BLK_ID_BYTES);

	/* A buffer too small for the id: IOERR, nothing written. */
	id = vds_in_buf(&d, 10, 0xcc);
	h = request(VIRTIO_BLK_T_GET_ID, 0, &id, 1, &status);
	vds_notify(&d, RQ);
	vds_expect_used(&d, RQ, h, 1);
	assert_int_equal(d.ram[status], VIRTIO_BLK_S_IOERR);
	for (unsigned i = 0; i < 10; i++)
		assert_int_equal(d.ram[id.addr + i], 0xcc);
}

/* A serial of exactly 20 characters comes back without a NUL, and a
 * longer one is cut at 20. */
static void test_get_id_full_length(void **state)
{
	(void)state;
	uint64_t status;

	block_store_destroy(&store);
	make_device(IMAGE_SIZE, false, "0123456789abcdefghijKLMN");
	vds_bring_up(&d, plain, 1, QSIZE);
	struct vds_buf id = vds_in_buf(&d, 32, 0xcc);
	uint16_t h = request(VIRTIO_BLK_T_GET_ID, 0, &id, 1, &status);
	vds_notify(&d, RQ);
	vds_expect_used(&d, RQ, h, VIRTIO_BLK_ID_BYTES + 1);
	assert_int_equal(d.ram[status], VIRTIO_BLK_S_OK);
	assert_memory_equal(d.ram + id.addr, "0123456789abcdefghij", 20);
	assert_int_equal(d.ram[id.addr + 20], 0xcc);
}

/* Requests the guest gets a status for, not a failed device: out of
 * range, not whole sectors, unknown types, discard not offered. */
static void test_status_errors(void **state)
{
	(void)state;
	uint64_t s[5];

	vds_bring_up(&d, plain | blk_rw_bits, 1, QSIZE);
	struct vds_buf past = vds_in_buf(&d, 2 * SECTOR, 0xcc);
	uint16_t h0 = request(VIRTIO_BLK_T_IN, CAP_SECTORS - 1, &past, 1, &s[0]);
	struct vds_buf odd = vds_in_buf(&d, 100, 0xcc);
	uint16_t h1 = request(VIRTIO_BLK_T_IN, 0, &odd, 1, &s[1]);
	uint16_t h2 = request(0x99, 0, NULL, 0, &s[2]);
	uint8_t seg[VIRTIO_BLK_DWZ_SEGMENT_SIZE] = { 0, 0, 0, 0, 0, 0, 0, 0, 8 };
	struct vds_buf sb = vds_out_buf(&d, seg, sizeof(seg));
	uint16_t h3 = request(VIRTIO_BLK_T_DISCARD, 0, &sb, 1, &s[3]);
	uint8_t data[SECTOR] = { 1 };
	struct vds_buf w = vds_out_buf(&d, data, sizeof(data));
	uint16_t h4 = request(VIRTIO_BLK_T_OUT, CAP_SECTORS, &w, 1, &s[4]);
	vds_notify(&d, RQ);
	vds_expect_used(&d, RQ, h0, 1);
	vds_expect_used(&d, RQ, h1, 1);
	vds_expect_used(&d, RQ, h2, 1);
	vds_expect_used(&d, RQ, h3, 1);
	vds_expect_used(&d, RQ, h4, 1);
	assert_int_equal(d.ram[s[0]], VIRTIO_BLK_S_IOERR);
	assert_int_equal(d.ram[s[1]], VIRTIO_BLK_S_IOERR);
	assert_int_equal(d.ram[s[2]], VIRTIO_BLK_S_UNSUPP);
	assert_int_equal(d.ram[s[3]], VIRTIO_BLK_S_UNSUPP);
	assert_int_equal(d.ram[s[4]], VIRTIO_BLK_S_IOERR);
	assert_int_equal(store.private_chunks, 0);
	assert_int_equal(d.irqs, 1);		/* one batch */
	assert_int_equal(vds_status(&d) & VDS_NEEDS_RESET, 0);
	assert_int_equal(d.logs, 0);
}

/* WRITE_ZEROES: the range reads as zeros afterwards; the image is not
 * touched. */
static void test_write_zeroes(void **state)
{
	(void)state;
	uint64_t status;

	vds_bring_up(&d, plain | blk_rw_bits, 1, QSIZE);
	/* 3 sectors from sector 2. */
	uint8_t seg[VIRTIO_BLK_DWZ_SEGMENT_SIZE] = { 2, 0, 0, 0, 0, 0, 0, 0, 3 };
	struct vds_buf sb = vds_out_buf(&d, seg, sizeof(seg));
	uint16_t h = request(VIRTIO_BLK_T_WRITE_ZEROES, 0, &sb, 1, &status);
	vds_notify(&d, RQ);
	vds_expect_used(&d, RQ, h, 1);
	assert_int_equal(d.ram[status], VIRTIO_BLK_S_OK);
	uint64_t g = read_sectors(0, 8 * SECTOR);
	static const uint8_t zeros[3 * SECTOR];
	assert_memory_equal(d.ram + g, image, 2 * SECTOR);
	assert_memory_equal(d.ram + g + 2 * SECTOR, zeros, 3 * SECTOR);
	assert_memory_equal(d.ram + g + 5 * SECTOR, image + 5 * SECTOR,
			    3 * SECTOR);
}

/* Linux sends requests through indirect tables and batches them: several
 * in one notification, one interrupt, each answered. */
static void test_indirect_batch_event_idx(void **state)
{
	(void)state;
	uint64_t s[3];

	vds_bring_up(&d, all | blk_rw_bits, 1, QSIZE);
	uint8_t data[SECTOR];
	memset(data, 0x42, sizeof(data));
	struct vds_buf w = vds_out_buf(&d, data, sizeof(data));
	uint16_t h0 = request_ex(VIRTIO_BLK_T_OUT, 9, &w, 1, &s[0], true);
	struct vds_buf r = vds_in_buf(&d, 3 * SECTOR, 0xcc);
	uint16_t h1 = request_ex(VIRTIO_BLK_T_IN, 8, &r, 1, &s[1], true);
	uint16_t h2 = request_ex(VIRTIO_BLK_T_FLUSH, 0, NULL, 0, &s[2], true);
	uint16_t old = 0;
	assert_true(vds_should_notify(&d, RQ, old, true));
	vds_notify(&d, RQ);
	vds_expect_used(&d, RQ, h0, 1);
	vds_expect_used(&d, RQ, h1, 3 * SECTOR + 1);
	vds_expect_used(&d, RQ, h2, 1);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(d.ram[s[i]], VIRTIO_BLK_S_OK);
	assert_memory_equal(d.ram + r.addr, image + 8 * SECTOR, SECTOR);
	assert_memory_equal(d.ram + r.addr + SECTOR, data, SECTOR);
	assert_memory_equal(d.ram + r.addr + 2 * SECTOR, image + 10 * SECTOR,
			    SECTOR);
	assert_int_equal(d.irqs, 1);
	assert_int_equal(vds_avail_event(&d, RQ), 3);
	/* used_event 4: the next request (used->idx 3 -> 4) does not
	 * interrupt, the one after does. */
	vds_set_used_event(&d, RQ, 4);
	old = d.q[RQ].avail_idx;
	h0 = request_ex(VIRTIO_BLK_T_FLUSH, 0, NULL, 0, &s[0], true);
	assert_true(vds_should_notify(&d, RQ, old, true));
	vds_notify(&d, RQ);
	vds_expect_used(&d, RQ, h0, 1);
	assert_int_equal(d.irqs, 1);
	h0 = request_ex(VIRTIO_BLK_T_FLUSH, 0, NULL, 0, &s[0], true);
	vds_notify(&d, RQ);
	vds_expect_used(&d, RQ, h0, 1);
	assert_int_equal(d.irqs, 2);
}

/* The device fails, and stays failed until reset, for a request it cannot
 * answer. */
static void assert_failed_with(const char *line)
{
	assert_true(vds_status(&d) & VDS_NEEDS_RESET);
	assert_false(virtio_mmio_running(&t));
	assert_int_equal(d.logs, 1);
	assert_string_equal(d.last_log, line);
	assert_int_equal(vds_used_idx(&d, RQ), 0);
	assert_int_equal(d.irqs, 1);
	assert_true(vds_ack_irq(&d) & VIRTIO_MMIO_INT_CONFIG);
}

/* A request with nothing writable (no status byte): NEEDS_RESET, one log
 * line, a config interrupt; requests behind it are not served. */
static void test_no_status_byte(void **state)
{
	(void)state;
	uint64_t status;

	vds_bring_up(&d, plain | blk_rw_bits, 1, QSIZE);
	uint8_t data[SECTOR] = { 9 };
	struct vds_buf bufs[2] = { header(VIRTIO_BLK_T_OUT, 0),
				   vds_out_buf(&d, data, sizeof(data)) };
	vds_add_chain(&d, RQ, bufs, 2);
	struct vds_buf r = vds_in_buf(&d, SECTOR, 0xcc);
	request(VIRTIO_BLK_T_IN, 0, &r, 1, &status);
	vds_notify(&d, RQ);
	assert_failed_with("virtio-blk: request without a writable status byte");
	assert_int_equal(d.ram[status], 0xcc);
	assert_int_equal(d.ram[r.addr], 0xcc);
	assert_int_equal(store.private_chunks, 0);	/* nothing written */
	/* Nothing more until reset. */
	vds_notify(&d, RQ);
	assert_int_equal(d.logs, 1);
	assert_int_equal(vds_used_idx(&d, RQ), 0);
	/* A header alone, too. */
	vds_bring_up(&d, plain | blk_rw_bits, 1, QSIZE);
	d.logs = 0;
	d.irqs = 0;
	struct vds_buf hdr = header(VIRTIO_BLK_T_FLUSH, 0);
	vds_add_chain(&d, RQ, &hdr, 1);
	vds_notify(&d, RQ);
	assert_failed_with("virtio-blk: request without a writable status byte");
}

static void test_short_header(void **state)
{
	(void)state;
	vds_bring_up(&d, plain | blk_rw_bits, 1, QSIZE);
	uint8_t h[8] = { 0 };
	struct vds_buf bufs[2] = { vds_out_buf(&d, h, sizeof(h)),
				   vds_in_buf(&d, 1, 0xcc) };
	vds_add_chain(&d, RQ, bufs, 2);
	vds_notify(&d, RQ);
	assert_failed_with("virtio-blk: request header shorter than 16 bytes");
	assert_int_equal(d.ram[bufs[1].addr], 0xcc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_identity_and_features, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_config_space, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_capacity_large_and_odd,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_then_read, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_read_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get_id_full_length, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_status_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_zeroes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_indirect_batch_event_idx,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_status_byte, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_short_header, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
