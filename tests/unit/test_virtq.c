/* lib/virtq.c, split virtqueues from the device's side (virtio 1.2, 2.7):
 * enabling a layout, taking chains (direct, indirect, mixed), every way a
 * guest can get a chain wrong, giving chains back, interrupt and
 * notification suppression with and without EVENT_IDX, 16-bit index
 * wraparound, and copies across buffer boundaries.
 *
 * Guest RAM is a flat array at guest-physical 0. With `huge_ram` set,
 * is_ram also accepts anything below 2^40 (reads and writes still only
 * reach the array), so that chains of gigabytes can be described. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/virtq.h"

#define RAM_SIZE 0x10000u
#define DESC 0x1000u
#define AVAIL 0x2000u
#define USED 0x3000u
#define TABLE 0x4000u	/* an indirect table */
#define BUF 0x8000u	/* buffers */

#define F_NEXT VIRTQ_DESC_F_NEXT
#define F_WRITE VIRTQ_DESC_F_WRITE
#define F_INDIRECT VIRTQ_DESC_F_INDIRECT

static uint8_t ram[RAM_SIZE];
static bool huge_ram;
static unsigned desc_reads;	/* 16-byte reads: one per descriptor */

static bool in_ram(uint64_t gpa, uint64_t len)
{
	return gpa <= RAM_SIZE && len <= RAM_SIZE - gpa;
}

static bool mem_read(void *ctx, uint64_t gpa, void *dst, size_t len)
{
	(void)ctx;
	if (!in_ram(gpa, len))
		return false;
	if (len == 16)
		desc_reads++;
	memcpy(dst, ram + gpa, len);
	return true;
}

static bool mem_write(void *ctx, uint64_t gpa, const void *src, size_t len)
{
	(void)ctx;
	if (!in_ram(gpa, len))
		return false;
	memcpy(ram + gpa, src, len);
	return true;
}

static bool mem_is_ram(void *ctx, uint64_t gpa, uint64_t len)
{
	(void)ctx;
	if (huge_ram)
		return gpa < (1ull << 40) && len <= (1ull << 40) - gpa;
	return in_ram(gpa, len);
}

static const struct virtq_memory mem = {
	.ctx = NULL, .read = mem_read, .write = mem_write, .is_ram = mem_is_ram,
};

static struct virtq q;
static struct virtq_chain chain;
static uint16_t avail_idx;	/* the driver's copy */

/* ------------------------------------------------------------- helpers */

static void put16(uint64_t gpa, uint16_t v)
{
	ram[gpa] = (uint8_t)v;
	ram[gpa + 1] = (uint8_t)(v >> 8);
}

static void put32(uint64_t gpa, uint32_t v)
{
	put16(gpa, (uint16_t)v);
	put16(gpa + 2, (uint16_t)(v >> 16));
}

static void put64(uint64_t gpa, uint64_t v)
{
	put32(gpa, (uint32_t)v);
	put32(gpa + 4, (uint32_t)(v >> 32));
}

static uint16_t get16(uint64_t gpa)
{
	return (uint16_t)(ram[gpa] | ram[gpa + 1] << 8);
}

static uint32_t get32(uint64_t gpa)
{
	return get16(gpa) | (uint32_t)get16(gpa + 2) << 16;
}

static void desc_at(uint64_t table, unsigned i, uint64_t addr, uint32_t len,
		    uint16_t flags, uint16_t next)
{
	uint64_t d = table + 16ull * i;

	put64(d, addr);
	put32(d + 8, len);
	put16(d + 12, flags);
	put16(d + 14, next);
}

static void desc(unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
		 uint16_t next)
{
	desc_at(DESC, i, addr, len, flags, next);
}

/* The driver makes chain `head` available and publishes avail->idx. */
static void offer(uint16_t head)
{
	put16(AVAIL + 4 + 2 * (avail_idx % q.size), head);
	avail_idx++;
	put16(AVAIL + 2, avail_idx);
}

static uint16_t used_idx_in_ram(void)
{
	return get16(USED + 2);
}

static uint32_t used_id(uint16_t i)
{
	return get32(USED + 4 + 8 * (i % q.size));
}

static uint32_t used_len(uint16_t i)
{
	return get32(USED + 4 + 8 * (i % q.size) + 4);
}

static void set_used_event(uint16_t v)
{
	put16(AVAIL + 4 + 2 * q.size, v);
}

static uint16_t avail_event(void)
{
	return get16(USED + 4 + 8 * q.size);
}

static void layout(uint16_t size, bool event_idx, bool indirect)
{
	memset(&q, 0, sizeof(q));
	q.size = size;
	q.desc_addr = DESC;
	q.avail_addr = AVAIL;
	q.used_addr = USED;
	q.event_idx = event_idx;
	q.indirect = indirect;
}

static void enable(uint16_t size, bool event_idx, bool indirect)
{
	layout(size, event_idx, indirect);
	assert_int_equal(virtq_enable(&q, &mem), VIRTQ_OK);
	assert_true(q.enabled);
}

/* Pops and expects a chain. */
static void pop_ok(void)
{
	bool got = false;

	memset(&chain, 0xa5, sizeof(chain));
	assert_int_equal(virtq_pop(&q, &mem, &chain, &got), VIRTQ_OK);
	assert_true(got);
}

/* Pops and expects error `e`, with nothing taken. */
static void pop_fails(enum virtq_error e)
{
	bool got = true;
	uint16_t last_avail = q.last_avail;

	assert_int_equal(virtq_pop(&q, &mem, &chain, &got), e);
	assert_false(got);
	assert_int_equal(q.last_avail, last_avail);
}

static void pop_empty(void)
{
	bool got = true;

	assert_int_equal(virtq_pop(&q, &mem, &chain, &got), VIRTQ_OK);
	assert_false(got);
}

static void assert_seg(unsigned i, uint64_t addr, uint32_t len)
{
	assert_true(i < chain.count);
	assert_int_equal(chain.seg[i].addr, addr);
	assert_int_equal(chain.seg[i].len, len);
}

static int setup(void **state)
{
	(void)state;
	memset(ram, 0, sizeof(ram));
	huge_ram = false;
	desc_reads = 0;
	avail_idx = 0;
	return 0;
}

/* -------------------------------------------------------------- enable */

static void test_enable_checks_size(void **state)
{
	(void)state;
	static const uint16_t bad[] = {0, 3, 6, 255, 512, 1024, 65535};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		layout(bad[i], false, false);
		q.enabled = true;	/* stale: a failure must clear it */
		assert_int_equal(virtq_enable(&q, &mem), VIRTQ_ERR_SIZE);
		assert_false(q.enabled);
	}
	for (uint16_t size = 1; size <= VIRTQ_MAX_SIZE; size *= 2) {
		layout(size, false, false);
		assert_int_equal(virtq_enable(&q, &mem), VIRTQ_OK);
	}
}

static void test_enable_checks_alignment(void **state)
{
	(void)state;
	layout(8, false, false);
	q.desc_addr = DESC + 8;
	assert_int_equal(virtq_enable(&q, &mem), VIRTQ_ERR_ALIGN);
	layout(8, false, false);
	q.avail_addr = AVAIL + 1;
	assert_int_equal(virtq_enable(&q, &mem), VIRTQ_ERR_ALIGN);
	layout(8, false, false);
	q.used_addr = USED + 2;
	assert_int_equal(virtq_enable(&q, &mem), VIRTQ_ERR_ALIGN);
	/* The minimum alignments are enough. */
	layout(8, false, false);
	q.avail_addr = AVAIL + 2;
	q.used_addr = USED + 4;
	assert_int_equal(virtq_enable(&q, &mem), VIRTQ_OK);
}

static void test_enable_checks_rings_in_ram(void **state)
{
	(void)state;
	/* used: 6 + 8 * 8 = 70 bytes; 68 fit. */
	layout(8, false, false);
	q.used_addr = RAM_SIZE - 68;
	assert_int_equal(virtq_enable(&q, &mem), VIRTQ_ERR_RING_NOT_RAM);
	layout(8, false, false);
	q.used_addr = RAM_SIZE - 72;
	assert_int_equal(virtq_enable(&q, &mem), VIRTQ_OK);
	/* avail: 6 + 2 * 8 = 22 bytes, used_event included. */
	layout(8, false, false);
	q.avail_addr = RAM_SIZE - 20;
	assert_int_equal(virtq_enable(&q, &mem), VIRTQ_ERR_RING_NOT_RAM);
	layout(8, false, false);
	q.desc_addr = RAM_SIZE - 112;
	assert_int_equal(virtq_enable(&q, &mem), VIRTQ_ERR_RING_NOT_RAM);
	/* An address whose end wraps 64 bits. */
	layout(8, false, false);
	q.desc_addr = 0xfffffffffffffff0ull;
	assert_int_equal(virtq_enable(&q, &mem), VIRTQ_ERR_RING_NOT_RAM);
}

static void test_enable_resets_progress(void **state)
{
	(void)state;
	layout(8, false, false);
	q.last_avail = 5;
	q.used_idx = 7;
	q.signalled_used = 3;
	q.signalled_used_valid = true;
	assert_int_equal(virtq_enable(&q, &mem), VIRTQ_OK);
	assert_int_equal(q.last_avail, 0);
	assert_int_equal(q.used_idx, 0);
	assert_false(q.signalled_used_valid);
}

static void test_reset_forgets_everything(void **state)
{
	(void)state;
	enable(8, true, true);
	q.last_avail = 3;
	virtq_reset(&q);
	assert_int_equal(q.size, 0);
	assert_int_equal(q.desc_addr, 0);
	assert_false(q.enabled);
	assert_false(q.event_idx);
	assert_false(q.indirect);
	assert_int_equal(q.last_avail, 0);
	pop_fails(VIRTQ_ERR_DISABLED);
	assert_int_equal(virtq_push(&q, &mem, 0, 0), VIRTQ_ERR_DISABLED);
	assert_false(virtq_should_interrupt(&q, &mem));
}

/* ---------------------------------------------------------- good chains */

static void test_normal_chain(void **state)
{
	(void)state;
	enable(8, false, false);
	desc(5, BUF, 16, F_NEXT, 2);
	desc(2, BUF + 0x100, 512, F_NEXT, 7);
	desc(7, BUF + 0x400, 1, F_WRITE, 0);
	offer(5);
	pop_ok();
	assert_int_equal(chain.head, 5);
	assert_int_equal(chain.count, 3);
	assert_int_equal(chain.readable, 2);
	assert_int_equal(chain.readable_len, 528);
	assert_int_equal(chain.writable_len, 1);
	assert_seg(0, BUF, 16);
	assert_seg(1, BUF + 0x100, 512);
	assert_seg(2, BUF + 0x400, 1);
	assert_int_equal(q.last_avail, 1);
	pop_empty();
	assert_int_equal(q.last_avail, 1);

	assert_int_equal(virtq_push(&q, &mem, 5, 1), VIRTQ_OK);
	assert_int_equal(q.used_idx, 1);
	assert_int_equal(used_idx_in_ram(), 1);
	assert_int_equal(used_id(0), 5);
	assert_int_equal(used_len(0), 1);
}

static void test_each_descriptor_read_once(void **state)
{
	(void)state;
	enable(8, false, false);
	desc(0, BUF, 16, F_NEXT, 1);
	desc(1, BUF + 16, 16, F_NEXT, 2);
	desc(2, BUF + 32, 16, F_WRITE, 0);
	offer(0);
	desc_reads = 0;
	pop_ok();
	assert_int_equal(chain.count, 3);
	assert_int_equal(desc_reads, 3);
}

static void test_chains_in_order_and_out_of_order_completion(void **state)
{
	(void)state;
	enable(4, false, false);
	desc(0, BUF, 8, 0, 0);
	desc(1, BUF + 8, 8, F_WRITE, 0);
	desc(3, BUF + 16, 8, 0, 0);
	offer(3);
	offer(0);
	offer(1);
	pop_ok();
	assert_int_equal(chain.head, 3);
	pop_ok();
	assert_int_equal(chain.head, 0);
	pop_ok();
	assert_int_equal(chain.head, 1);
	assert_int_equal(chain.readable, 0);
	assert_int_equal(chain.writable_len, 8);
	pop_empty();
	/* The device may complete them in any order. */
	assert_int_equal(virtq_push(&q, &mem, 1, 8), VIRTQ_OK);
	assert_int_equal(virtq_push(&q, &mem, 3, 0), VIRTQ_OK);
	assert_int_equal(used_idx_in_ram(), 2);
	assert_int_equal(used_id(0), 1);
	assert_int_equal(used_len(0), 8);
	assert_int_equal(used_id(1), 3);
}

static void test_zero_length_descriptors_dropped(void **state)
{
	(void)state;
	enable(8, false, false);
	/* A zero-length buffer needs no RAM and breaks no ordering. */
	desc(0, BUF, 4, F_NEXT, 1);
	desc(1, 0xdead0000000ull, 0, F_WRITE | F_NEXT, 2);
	desc(2, BUF + 4, 4, F_NEXT, 3);
	desc(3, BUF + 8, 4, F_WRITE, 0);
	offer(0);
	pop_ok();
	assert_int_equal(chain.count, 3);
	assert_int_equal(chain.readable, 2);
	assert_seg(0, BUF, 4);
	assert_seg(1, BUF + 4, 4);
	assert_seg(2, BUF + 8, 4);
}

static void test_chain_as_long_as_the_queue(void **state)
{
	(void)state;
	enable(4, false, false);
	desc(2, BUF, 1, F_NEXT, 0);
	desc(0, BUF + 1, 1, F_NEXT, 3);
	desc(3, BUF + 2, 1, F_NEXT, 1);
	desc(1, BUF + 3, 1, F_WRITE, 0);
	offer(2);
	pop_ok();
	assert_int_equal(chain.count, 4);
	assert_int_equal(chain.readable, 3);
}

static void test_indirect_chain(void **state)
{
	(void)state;
	enable(8, false, true);
	desc_at(TABLE, 0, BUF, 100, F_NEXT, 2);
	desc_at(TABLE, 2, BUF + 0x100, 200, F_WRITE | F_NEXT, 1);
	desc_at(TABLE, 1, BUF + 0x200, 300, F_WRITE, 0);
	/* WRITE on the descriptor naming the table is ignored. */
	desc(6, TABLE, 3 * 16, F_INDIRECT | F_WRITE, 0);
	offer(6);
	pop_ok();
	assert_int_equal(chain.head, 6);
	assert_int_equal(chain.count, 3);
	assert_int_equal(chain.readable, 1);
	assert_int_equal(chain.readable_len, 100);
	assert_int_equal(chain.writable_len, 500);
	assert_seg(0, BUF, 100);
	assert_seg(1, BUF + 0x100, 200);
	assert_seg(2, BUF + 0x200, 300);
}

static void test_direct_then_indirect(void **state)
{
	(void)state;
	/* 2.7.5.3.2: normal descriptors followed by one indirect one. */
	enable(8, false, true);
	desc(0, BUF, 10, F_NEXT, 1);
	desc(1, TABLE, 2 * 16, F_INDIRECT, 0);
	desc_at(TABLE, 0, BUF + 10, 20, F_NEXT, 1);
	desc_at(TABLE, 1, BUF + 30, 40, F_WRITE, 0);
	offer(0);
	pop_ok();
	assert_int_equal(chain.count, 3);
	assert_int_equal(chain.readable, 2);
	assert_int_equal(chain.readable_len, 30);
	assert_int_equal(chain.writable_len, 40);
}

static void test_max_segments_accepted(void **state)
{
	(void)state;
	/* One direct buffer and 255 indirect ones: exactly the limit. */
	enable(8, false, true);
	desc(0, BUF, 1, F_NEXT, 1);
	desc(1, TABLE, 255 * 16, F_INDIRECT, 0);
	for (unsigned i = 0; i < 255; i++)
		desc_at(TABLE, i, BUF + 1 + i, 1, i < 254 ? F_NEXT : 0, i + 1);
	offer(0);
	pop_ok();
	assert_int_equal(chain.count, VIRTQ_CHAIN_MAX_SEGS);
	assert_int_equal(chain.readable_len, VIRTQ_CHAIN_MAX_SEGS);
}

static void test_length_up_to_4g(void **state)
{
	(void)state;
	huge_ram = true;
	enable(8, false, false);
	desc(0, 0x100000000ull, 0x80000000u, F_NEXT, 1);
	desc(1, 0x200000000ull, 0x7fffffffu, F_WRITE, 0);
	offer(0);
	pop_ok();
	assert_int_equal(chain.readable_len, 0x80000000u);
	assert_int_equal(chain.writable_len, 0x7fffffffu);
}

/* ---------------------------------------------------------- bad chains */

static void test_avail_idx_too_far_ahead(void **state)
{
	(void)state;
	enable(8, false, false);
	desc(0, BUF, 4, 0, 0);
	put16(AVAIL + 2, 9);
	pop_fails(VIRTQ_ERR_AVAIL_IDX);
	/* Exactly size ahead is a full ring. */
	put16(AVAIL + 2, 8);
	pop_ok();
	/* Behind us is as wrong as ahead: idx - last_avail wraps. */
	put16(AVAIL + 2, 0);
	pop_fails(VIRTQ_ERR_AVAIL_IDX);
}

static void test_head_out_of_range(void **state)
{
	(void)state;
	enable(8, false, false);
	offer(8);
	pop_fails(VIRTQ_ERR_HEAD);
}

static void test_next_out_of_range(void **state)
{
	(void)state;
	enable(8, false, false);
	desc(0, BUF, 4, F_NEXT, 8);
	offer(0);
	pop_fails(VIRTQ_ERR_HEAD);
}

static void test_loop(void **state)
{
	(void)state;
	enable(8, false, false);
	desc(0, BUF, 4, F_NEXT, 1);
	desc(1, BUF, 4, F_NEXT, 0);
	offer(0);
	pop_fails(VIRTQ_ERR_LOOP);
}

static void test_loop_of_zero_length_descriptors(void **state)
{
	(void)state;
	enable(256, false, false);
	desc(3, BUF, 0, F_NEXT, 3);	/* points at itself, carries nothing */
	offer(3);
	desc_reads = 0;
	pop_fails(VIRTQ_ERR_LOOP);
	assert_int_equal(desc_reads, 256);	/* the walk is bounded */
}

static void test_buffer_not_in_ram(void **state)
{
	(void)state;
	enable(8, false, false);
	desc(0, BUF, 4, F_NEXT, 1);
	desc(1, RAM_SIZE - 4, 5, F_WRITE, 0);
	offer(0);
	pop_fails(VIRTQ_ERR_BUFFER_NOT_RAM);
	desc(1, RAM_SIZE - 4, 4, F_WRITE, 0);
	pop_ok();
	/* An address + len that wraps 64 bits. */
	desc(2, 0xffffffffffffff00ull, 0x200, 0, 0);
	offer(2);
	pop_fails(VIRTQ_ERR_BUFFER_NOT_RAM);
}

static void test_readable_after_writable(void **state)
{
	(void)state;
	enable(8, false, false);
	desc(0, BUF, 4, F_WRITE | F_NEXT, 1);
	desc(1, BUF + 4, 4, 0, 0);
	offer(0);
	pop_fails(VIRTQ_ERR_ORDER);
}

static void test_readable_after_writable_across_indirect(void **state)
{
	(void)state;
	enable(8, false, true);
	desc(0, BUF, 4, F_WRITE | F_NEXT, 1);
	desc(1, TABLE, 16, F_INDIRECT, 0);
	desc_at(TABLE, 0, BUF + 4, 4, 0, 0);
	offer(0);
	pop_fails(VIRTQ_ERR_ORDER);
}

static void test_length_overflows_32_bits(void **state)
{
	(void)state;
	huge_ram = true;
	enable(8, false, false);
	desc(0, 0x100000000ull, 0x80000000u, F_NEXT, 1);
	desc(1, 0x200000000ull, 0x80000000u, F_WRITE, 0);
	offer(0);
	pop_fails(VIRTQ_ERR_LENGTH);
}

static void test_too_many_segments(void **state)
{
	(void)state;
	enable(8, false, true);
	desc(0, BUF, 1, F_NEXT, 1);
	desc(1, BUF + 1, 1, F_NEXT, 2);
	desc(2, TABLE, 255 * 16, F_INDIRECT, 0);
	for (unsigned i = 0; i < 255; i++)
		desc_at(TABLE, i, BUF + 2 + i, 1, i < 254 ? F_NEXT : 0, i + 1);
	offer(0);
	pop_fails(VIRTQ_ERR_TOO_LONG);
}

static void test_indirect_not_negotiated(void **state)
{
	(void)state;
	enable(8, false, false);
	desc_at(TABLE, 0, BUF, 4, 0, 0);
	desc(0, TABLE, 16, F_INDIRECT, 0);
	offer(0);
	pop_fails(VIRTQ_ERR_INDIRECT);
}

static void test_indirect_malformed(void **state)
{
	(void)state;
	enable(8, false, true);
	desc_at(TABLE, 0, BUF, 4, 0, 0);
	offer(0);
	/* With NEXT. */
	desc(0, TABLE, 16, F_INDIRECT | F_NEXT, 1);
	desc(1, BUF, 4, 0, 0);
	pop_fails(VIRTQ_ERR_INDIRECT);
	/* A length not a multiple of 16, zero, more than the segment limit. */
	desc(0, TABLE, 24, F_INDIRECT, 0);
	pop_fails(VIRTQ_ERR_INDIRECT);
	desc(0, TABLE, 0, F_INDIRECT, 0);
	pop_fails(VIRTQ_ERR_INDIRECT);
	desc(0, TABLE, (VIRTQ_CHAIN_MAX_SEGS + 1) * 16, F_INDIRECT, 0);
	pop_fails(VIRTQ_ERR_INDIRECT);
	/* Nested. */
	desc_at(TABLE, 0, TABLE + 0x100, 16, F_INDIRECT, 0);
	desc(0, TABLE, 16, F_INDIRECT, 0);
	pop_fails(VIRTQ_ERR_INDIRECT);
	/* And the same chain, well formed, is fine. */
	desc_at(TABLE, 0, BUF, 4, 0, 0);
	pop_ok();
}

static void test_indirect_table_bad_links(void **state)
{
	(void)state;
	enable(8, false, true);
	offer(0);
	/* next beyond the table's 2 entries. */
	desc(0, TABLE, 2 * 16, F_INDIRECT, 0);
	desc_at(TABLE, 0, BUF, 4, F_NEXT, 2);
	pop_fails(VIRTQ_ERR_HEAD);
	/* A loop inside the table. */
	desc_at(TABLE, 0, BUF, 4, F_NEXT, 1);
	desc_at(TABLE, 1, BUF, 4, F_NEXT, 0);
	pop_fails(VIRTQ_ERR_LOOP);
	/* The table itself outside RAM. */
	desc(0, RAM_SIZE - 16, 2 * 16, F_INDIRECT, 0);
	pop_fails(VIRTQ_ERR_BUFFER_NOT_RAM);
	/* A buffer the table names outside RAM. */
	desc(0, TABLE, 16, F_INDIRECT, 0);
	desc_at(TABLE, 0, RAM_SIZE, 1, 0, 0);
	pop_fails(VIRTQ_ERR_BUFFER_NOT_RAM);
}

static void test_pop_on_disabled_queue(void **state)
{
	(void)state;
	layout(8, false, false);
	offer(0);
	pop_fails(VIRTQ_ERR_DISABLED);
}

static void test_push_checks(void **state)
{
	(void)state;
	enable(8, false, false);
	assert_int_equal(virtq_push(&q, &mem, 8, 0), VIRTQ_ERR_HEAD);
	assert_int_equal(q.used_idx, 0);
	assert_int_equal(used_idx_in_ram(), 0);
}

static void test_error_strings(void **state)
{
	(void)state;
	for (int e = VIRTQ_OK; e <= VIRTQ_ERR_DISABLED; e++) {
		const char *s = virtq_error_str((enum virtq_error)e);
		assert_non_null(s);
		assert_true(strlen(s) > 5);
		for (int f = VIRTQ_OK; f < e; f++)
			assert_string_not_equal(
				s, virtq_error_str((enum virtq_error)f));
	}
	assert_string_equal(virtq_error_str(VIRTQ_ERR_LOOP),
			    "a descriptor chain loops");
}

/* ---------------------------------------------- interrupts, notifications */

static void push_n(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(virtq_push(&q, &mem, 0, 0), VIRTQ_OK);
}

static void test_interrupt_without_event_idx(void **state)
{
	(void)state;
	enable(8, false, false);
	push_n(1);
	assert_true(virtq_should_interrupt(&q, &mem));
	put16(AVAIL, VIRTQ_AVAIL_F_NO_INTERRUPT);
	push_n(1);
	assert_false(virtq_should_interrupt(&q, &mem));
	put16(AVAIL, 0);
	assert_true(virtq_should_interrupt(&q, &mem));
}

static void test_interrupt_with_event_idx(void **state)
{
	(void)state;
	enable(8, true, false);
	/* NO_INTERRUPT means nothing once EVENT_IDX is negotiated. */
	put16(AVAIL, VIRTQ_AVAIL_F_NO_INTERRUPT);
	set_used_event(5);
	/* The first check always interrupts. */
	push_n(1);
	assert_true(virtq_should_interrupt(&q, &mem));
	/* used_event 5: interrupt once the entry at index 5 is used, i.e.
	 * when used->idx goes past 5. */
	push_n(2);	/* idx 3 */
	assert_false(virtq_should_interrupt(&q, &mem));
	push_n(2);	/* idx 5: entry 5 not written yet */
	assert_false(virtq_should_interrupt(&q, &mem));
	push_n(1);	/* idx 6 */
	assert_true(virtq_should_interrupt(&q, &mem));
	push_n(3);	/* idx 9: 5 is in the past */
	assert_false(virtq_should_interrupt(&q, &mem));
	/* A batch that steps over used_event still interrupts once. */
	set_used_event(10);
	push_n(4);	/* idx 13 */
	assert_true(virtq_should_interrupt(&q, &mem));
	/* Nothing new: no interrupt. */
	assert_false(virtq_should_interrupt(&q, &mem));
	/* The driver moves used_event to where it already is ("interrupt me
	 * on the next one"), as virtqueue_enable_cb does. */
	set_used_event(13);
	push_n(1);
	assert_true(virtq_should_interrupt(&q, &mem));
}

static void test_notify_without_event_idx(void **state)
{
	(void)state;
	enable(8, false, false);
	assert_false(virtq_enable_notify(&q, &mem, false));
	assert_int_equal(get16(USED), VIRTQ_USED_F_NO_NOTIFY);
	assert_false(virtq_enable_notify(&q, &mem, true));
	assert_int_equal(get16(USED), 0);
	/* A chain that arrived while notifications were off is reported. */
	desc(0, BUF, 4, 0, 0);
	offer(0);
	assert_true(virtq_enable_notify(&q, &mem, true));
	pop_ok();
	assert_false(virtq_enable_notify(&q, &mem, true));
	/* A broken avail->idx says "look", and the pop says what is wrong. */
	put16(AVAIL + 2, 100);
	assert_true(virtq_enable_notify(&q, &mem, true));
	pop_fails(VIRTQ_ERR_AVAIL_IDX);
}

static void test_notify_with_event_idx(void **state)
{
	(void)state;
	enable(8, true, false);
	put16(USED + 4 + 8 * 8, 0x7777);
	desc(0, BUF, 4, 0, 0);
	offer(0);
	offer(0);
	pop_ok();
	pop_ok();
	assert_false(virtq_enable_notify(&q, &mem, true));
	assert_int_equal(avail_event(), 2);
	/* used->flags is not ours to use with EVENT_IDX. */
	assert_int_equal(get16(USED), 0);
	/* want_notify false leaves avail_event alone. */
	offer(0);
	assert_true(virtq_enable_notify(&q, &mem, false));
	assert_int_equal(avail_event(), 2);
	pop_ok();
	assert_false(virtq_enable_notify(&q, &mem, true));
	assert_int_equal(avail_event(), 3);
}

/* ---------------------------------------------------------- wraparound */

/* The queue as if 65534 chains had gone through it. */
static void enable_near_wrap(uint16_t size, bool event_idx)
{
	enable(size, event_idx, false);
	q.last_avail = 65534;
	q.used_idx = 65534;
	avail_idx = 65534;
	put16(AVAIL + 2, avail_idx);
	put16(USED + 2, 65534);
}

static void test_wraparound(void **state)
{
	(void)state;
	enable_near_wrap(4, false);
	for (unsigned i = 0; i < 4; i++)
		desc(i, BUF + 16 * i, 16, F_WRITE, 0);
	offer(1);	/* ring slot 65534 % 4 = 2 */
	offer(2);	/* slot 3 */
	offer(3);	/* slot 0, avail->idx wraps to 1 */
	assert_int_equal(get16(AVAIL + 2), 1);
	assert_int_equal(get16(AVAIL + 4 + 2 * 2), 1);
	assert_int_equal(get16(AVAIL + 4), 3);
	for (uint16_t head = 1; head <= 3; head++) {
		pop_ok();
		assert_int_equal(chain.head, head);
		assert_int_equal(virtq_push(&q, &mem, head, head * 10), VIRTQ_OK);
	}
	pop_empty();
	assert_int_equal(q.last_avail, 1);
	assert_int_equal(q.used_idx, 1);
	assert_int_equal(used_idx_in_ram(), 1);
	/* Used slots 2, 3, 0. */
	assert_int_equal(get32(USED + 4 + 8 * 2), 1);
	assert_int_equal(get32(USED + 4 + 8 * 3), 2);
	assert_int_equal(get32(USED + 4 + 8 * 0), 3);
	assert_int_equal(get32(USED + 4 + 8 * 0 + 4), 30);
}

static void test_wraparound_avail_idx_check(void **state)
{
	(void)state;
	enable_near_wrap(4, false);
	desc(0, BUF, 4, 0, 0);
	put16(AVAIL + 2, 2);	/* 65534 + 4 = 2: a full ring */
	for (int i = 0; i < 4; i++)
		pop_ok();
	pop_empty();
	enable_near_wrap(4, false);
	put16(AVAIL + 2, 3);	/* 5 ahead */
	pop_fails(VIRTQ_ERR_AVAIL_IDX);
}

static void test_wraparound_event_idx(void **state)
{
	(void)state;
	enable_near_wrap(8, true);
	set_used_event(65535);
	push_n(1);	/* 65535: first check */
	assert_true(virtq_should_interrupt(&q, &mem));
	push_n(2);	/* 1: entry 65535 used */
	assert_true(virtq_should_interrupt(&q, &mem));
	set_used_event(3);
	push_n(2);	/* 3 */
	assert_false(virtq_should_interrupt(&q, &mem));
	push_n(1);	/* 4 */
	assert_true(virtq_should_interrupt(&q, &mem));
	/* avail_event wraps too. */
	desc(0, BUF, 4, 0, 0);
	offer(0);
	offer(0);
	offer(0);
	pop_ok();
	pop_ok();
	pop_ok();
	assert_false(virtq_enable_notify(&q, &mem, true));
	assert_int_equal(avail_event(), 1);
}

/* -------------------------------------------------------------- copies */

static void test_chain_read_across_segments(void **state)
{
	(void)state;
	enable(8, false, false);
	memcpy(ram + BUF, "abc", 3);
	memcpy(ram + BUF + 0x100, "defgh", 5);
	memcpy(ram + BUF + 0x200, "ij", 2);
	memset(ram + BUF + 0x300, 'w', 4);
	desc(0, BUF, 3, F_NEXT, 1);
	desc(1, BUF + 0x100, 5, F_NEXT, 2);
	desc(2, BUF + 0x200, 2, F_NEXT, 3);
	desc(3, BUF + 0x300, 4, F_WRITE, 0);
	offer(0);
	pop_ok();

	char out[16];
	memset(out, 0, sizeof(out));
	assert_int_equal(virtq_chain_read(&chain, &mem, 0, out, 10), 10);
	assert_memory_equal(out, "abcdefghij", 10);
	memset(out, 0, sizeof(out));
	assert_int_equal(virtq_chain_read(&chain, &mem, 2, out, 6), 6);
	assert_memory_equal(out, "cdefgh", 6);
	/* Exactly a segment boundary, and past the end: fewer bytes. */
	memset(out, 0, sizeof(out));
	assert_int_equal(virtq_chain_read(&chain, &mem, 3, out, 16), 7);
	assert_memory_equal(out, "defghij", 7);
	assert_int_equal(virtq_chain_read(&chain, &mem, 10, out, 4), 0);
	assert_int_equal(virtq_chain_read(&chain, &mem, 1000, out, 4), 0);
	/* The writable buffer is never read. */
	assert_int_equal(virtq_chain_read(&chain, &mem, 9, out, 16), 1);
	assert_int_equal(out[0], 'j');
}

static void test_chain_write_across_segments(void **state)
{
	(void)state;
	enable(8, false, false);
	memset(ram + BUF, 'r', 4);
	desc(0, BUF, 4, F_NEXT, 1);
	desc(1, BUF + 0x100, 4, F_WRITE | F_NEXT, 2);
	desc(2, BUF + 0x200, 2, F_WRITE | F_NEXT, 3);
	desc(3, BUF + 0x300, 4, F_WRITE, 0);
	offer(0);
	pop_ok();
	assert_int_equal(chain.writable_len, 10);

	assert_int_equal(virtq_chain_write(&chain, &mem, 3, "XYZW", 4), 4);
	assert_memory_equal(ram + BUF + 0x103, "X", 1);
	assert_memory_equal(ram + BUF + 0x200, "YZ", 2);
	assert_memory_equal(ram + BUF + 0x300, "W", 1);
	assert_int_equal(ram[BUF + 0x102], 0);
	assert_int_equal(ram[BUF + 0x301], 0);
	/* The readable buffer is never written. */
	assert_memory_equal(ram + BUF, "rrrr", 4);
	/* Running out of room. */
	assert_int_equal(virtq_chain_write(&chain, &mem, 8, "0123", 4), 2);
	assert_memory_equal(ram + BUF + 0x302, "01", 2);
	assert_int_equal(virtq_chain_write(&chain, &mem, 10, "0", 1), 0);
	assert_int_equal(virtq_chain_write(&chain, &mem, 0, "0123456789", 10),
			 10);
	assert_memory_equal(ram + BUF + 0x100, "0123", 4);
	assert_memory_equal(ram + BUF + 0x200, "45", 2);
	assert_memory_equal(ram + BUF + 0x300, "6789", 4);
}

static void test_chain_copy_stops_on_failed_access(void **state)
{
	(void)state;
	/* is_ram said yes (huge_ram), but the bytes are not reachable: the
	 * copy stops there and says how far it got. */
	huge_ram = true;
	enable(8, false, false);
	memcpy(ram + BUF, "abcd", 4);
	desc(0, BUF, 4, F_NEXT, 1);
	desc(1, 0x100000000ull, 4, 0, 0);
	offer(0);
	pop_ok();
	char out[8];
	assert_int_equal(virtq_chain_read(&chain, &mem, 0, out, 8), 4);
	assert_memory_equal(out, "abcd", 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_enable_checks_size, setup),
		cmocka_unit_test_setup(test_enable_checks_alignment, setup),
		cmocka_unit_test_setup(test_enable_checks_rings_in_ram, setup),
		cmocka_unit_test_setup(test_enable_resets_progress, setup),
		cmocka_unit_test_setup(test_reset_forgets_everything, setup),
		cmocka_unit_test_setup(test_normal_chain, setup),
		cmocka_unit_test_setup(test_each_descriptor_read_once, setup),
		cmocka_unit_test_setup(
			test_chains_in_order_and_out_of_order_completion, setup),
		cmocka_unit_test_setup(test_zero_length_descriptors_dropped, setup),
		cmocka_unit_test_setup(test_chain_as_long_as_the_queue, setup),
		cmocka_unit_test_setup(test_indirect_chain, setup),
		cmocka_unit_test_setup(test_direct_then_indirect, setup),
		cmocka_unit_test_setup(test_max_segments_accepted, setup),
		cmocka_unit_test_setup(test_length_up_to_4g, setup),
		cmocka_unit_test_setup(test_avail_idx_too_far_ahead, setup),
		cmocka_unit_test_setup(test_head_out_of_range, setup),
		cmocka_unit_test_setup(test_next_out_of_range, setup),
		cmocka_unit_test_setup(test_loop, setup),
		cmocka_unit_test_setup(test_loop_of_zero_length_descriptors, setup),
		cmocka_unit_test_setup(test_buffer_not_in_ram, setup),
		cmocka_unit_test_setup(test_readable_after_writable, setup),
		cmocka_unit_test_setup(
			test_readable_after_writable_across_indirect, setup),
		cmocka_unit_test_setup(test_length_overflows_32_bits, setup),
		cmocka_unit_test_setup(test_too_many_segments, setup),
		cmocka_unit_test_setup(test_indirect_not_negotiated, setup),
		cmocka_unit_test_setup(test_indirect_malformed, setup),
		cmocka_unit_test_setup(test_indirect_table_bad_links, setup),
		cmocka_unit_test_setup(test_pop_on_disabled_queue, setup),
		cmocka_unit_test_setup(test_push_checks, setup),
		cmocka_unit_test_setup(test_error_strings, setup),
		cmocka_unit_test_setup(test_interrupt_without_event_idx, setup),
		cmocka_unit_test_setup(test_interrupt_with_event_idx, setup),
		cmocka_unit_test_setup(test_notify_without_event_idx, setup),
		cmocka_unit_test_setup(test_notify_with_event_idx, setup),
		cmocka_unit_test_setup(test_wraparound, setup),
		cmocka_unit_test_setup(test_wraparound_avail_idx_check, setup),
		cmocka_unit_test_setup(test_wraparound_event_idx, setup),
		cmocka_unit_test_setup(test_chain_read_across_segments, setup),
		cmocka_unit_test_setup(test_chain_write_across_segments, setup),
		cmocka_unit_test_setup(test_chain_copy_stops_on_failed_access,
				       setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
