/* hv/vdev/virtio_rng.c behind the real virtio-mmio transport, driven by
 * the simulated guest driver of virtio_driver_sim.h: buffers come back
 * full of the entropy source's bytes (at most VIRTIO_RNG_MAX_PER_REQUEST
 * per request), in order across chains and buffers; a failing source
 * gives short lengths; a buffer outside RAM fails the device. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vdev/virtio_rng.h"
#include "virtio_driver_sim.h"

#define RQ 0
#define QSIZE 16
#define MAXREQ VIRTIO_RNG_MAX_PER_REQUEST

static struct vds d;
static struct virtio_mmio t;
static struct virtio_rng rng;

/* The entropy source: a stream of bytes that is easy to predict here
 * (byte n of the stream is stream_byte(n)); it fails once `budget` bytes
 * have been handed out, the request that would go past it included. */
struct source {
	uint64_t given;		/* bytes handed out so far */
	uint64_t budget;
	unsigned calls, failures;
};
static struct source src;

static uint8_t stream_byte(uint64_t n)
{
	uint64_t x = (n + 1) * 0x9e3779b97f4a7c15ull;

	return (uint8_t)(x >> 56 ^ x >> 23);
}

static bool entropy(void *ctx, void *buf, size_t len)
{
	struct source *s = ctx;

	assert_ptr_equal(s, &src);
	assert_true(len > 0);
	s->calls++;
	if (len > s->budget - s->given) {
		s->failures++;
		memset(buf, 0xee, len);	/* garbage the device must not use */
		return false;
	}
	for (size_t i = 0; i < len; i++)
		((uint8_t *)buf)[i] = stream_byte(s->given + i);
	s->given += len;
	return true;
}

static int setup(void **state)
{
	(void)state;
	memset(&src, 0, sizeof(src));
	src.budget = UINT64_MAX;
	vds_init(&d, &t, &virtio_rng_ops, &rng);
	memset(&rng, 0xa5, sizeof(rng));
	virtio_rng_init(&rng, entropy, &src);
	return 0;
}

static const uint64_t plain = VIRTIO_F_VERSION_1;
static const uint64_t all = VIRTIO_F_VERSION_1 | VIRTIO_F_EVENT_IDX |
			    VIRTIO_F_INDIRECT_DESC;

/* `len` bytes at gpa are stream bytes first .. first + len. */
static void assert_stream(uint64_t gpa, uint32_t len, uint64_t first)
{
	for (uint32_t i = 0; i < len; i++)
		if (d.ram[gpa + i] != stream_byte(first + i))
			fail_msg("byte %u of the buffer at %#llx is %#x, not "
				 "stream byte %llu", i, (unsigned long long)gpa,
				 d.ram[gpa + i],
				 (unsigned long long)(first + i));
}

static void assert_untouched(uint64_t gpa, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++)
		if (d.ram[gpa + i] != 0xcc)
			fail_msg("byte %u at %#llx was written", i,
				 (unsigned long long)gpa);
}

static uint16_t post(uint32_t len, uint64_t *gpa)
{
	struct vds_buf b = vds_in_buf(&d, len, 0xcc);

	*gpa = b.addr;
	return vds_add_chain(&d, RQ, &b, 1);
}

/* ------------------------------------------------------------------ */

static void test_identity(void **state)
{
	(void)state;
	assert_int_equal(vds_rd(&d, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_RNG);
	assert_int_equal(vds_offered_features(&d), all);
	assert_true(vds_negotiate(&d, plain));
	vds_wr(&d, VIRTIO_MMIO_QUEUE_SEL, 0);
	assert_int_equal(vds_rd(&d, VIRTIO_MMIO_QUEUE_NUM_MAX), VIRTQ_MAX_SIZE);
	vds_wr(&d, VIRTIO_MMIO_QUEUE_SEL, 1);
	assert_int_equal(vds_rd(&d, VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
	assert_int_equal(vds_config_read(&d, 0, 4), 0);
}

static void test_buffer_filled(void **state)
{
	(void)state;
	uint64_t g;

	vds_bring_up(&d, plain, 1, QSIZE);
	uint16_t h = post(64, &g);
	assert_int_equal(src.calls, 0);
	vds_notify(&d, RQ);
	vds_expect_used(&d, RQ, h, 64);
	assert_stream(g, 64, 0);
	assert_int_equal(src.given, 64);
	assert_int_equal(rng.bytes_given, 64);
	assert_int_equal(d.irqs, 1);
	assert_int_equal(vds_ack_irq(&d), VIRTIO_MMIO_INT_VRING);
	assert_int_equal(d.logs, 0);
}

/* Several chains in one notification, each of several buffers (as
 * Linux's hwrng does not, but the spec allows), one of them indirect:
 * filled in ring order with consecutive stream bytes. */
static void test_chains_and_buffers(void **state)
{
	(void)state;
	uint64_t g0, g2;

	vds_bring_up(&d, all, 1, QSIZE);
	uint16_t h0 = post(10, &g0);
	struct vds_buf parts[3] = { vds_in_buf(&d, 1, 0xcc),
				    vds_in_buf(&d, 300, 0xcc),
				    vds_in_buf(&d, 7, 0xcc) };
	uint16_t h1 = vds_add_chain(&d, RQ, parts, 3);
	struct vds_buf ind[2] = { vds_in_buf(&d, 5, 0xcc),
				  vds_in_buf(&d, 600, 0xcc) };
	uint16_t hi = vds_add_indirect(&d, RQ, ind, 2);
	uint16_t h2 = post(256, &g2);
	vds_notify(&d, RQ);
	vds_expect_used(&d, RQ, h0, 10);
	vds_expect_used(&d, RQ, h1, 308);
	vds_expect_used(&d, RQ, hi, 605);
	vds_expect_used(&d, RQ, h2, 256);
	assert_stream(g0, 10, 0);
	assert_stream(parts[0].addr, 1, 10);
	assert_stream(parts[1].addr, 300, 11);
	assert_stream(parts[2].addr, 7, 311);
	assert_stream(ind[0].addr, 5, 318);
	assert_stream(ind[1].addr, 600, 323);
	assert_stream(g2, 256, 923);
	assert_int_equal(src.given, 1179);
	assert_int_equal(d.irqs, 1);
}

/* A request gets at most VIRTIO_RNG_MAX_PER_REQUEST bytes: exactly that
 * much of a larger buffer (5.4.6.1: the device MAY fill it partially),
 * the rest untouched; across buffers too. */
static void test_max_per_request(void **state)
{
	(void)state;
	uint64_t g0, g1;

	vds_bring_up(&d, plain, 1, QSIZE);
	uint16_t h0 = post(MAXREQ, &g0);
	uint16_t h1 = post(2 * MAXREQ + 100, &g1);
	struct vds_buf parts[2] = { vds_in_buf(&d, MAXREQ - 1, 0xcc),
				    vds_in_buf(&d, 50, 0xcc) };
	uint16_t h2 = vds_add_chain(&d, RQ, parts, 2);
	vds_notify(&d, RQ);
	vds_expect_used(&d, RQ, h0, MAXREQ);
	vds_expect_used(&d, RQ, h1, MAXREQ);
	vds_expect_used(&d, RQ, h2, MAXREQ);
	assert_stream(g0, MAXREQ, 0);
	assert_stream(g1, MAXREQ, MAXREQ);
	assert_untouched(g1 + MAXREQ, MAXREQ + 100);
	assert_stream(parts[0].addr, MAXREQ - 1, 2 * MAXREQ);
	assert_stream(parts[1].addr, 1, 3 * MAXREQ - 1);
	assert_untouched(parts[1].addr + 1, 49);
	assert_int_equal(rng.bytes_given, 3 * MAXREQ);
}

/* A source that always fails: used length 0, nothing written that came
 * from it, and the device keeps working. */
static void test_source_fails(void **state)
{
	(void)state;
	uint64_t g;

	src.budget = 0;
	vds_bring_up(&d, plain, 1, QSIZE);
	uint16_t h = post(64, &g);
	vds_notify(&d, RQ);
	vds_expect_used(&d, RQ, h, 0);
	assert_true(src.failures > 0);
	assert_untouched(g, 64);
	assert_int_equal(rng.bytes_given, 0);
	assert_int_equal(d.irqs, 1);
	assert_int_equal(vds_status(&d) & VDS_NEEDS_RESET, 0);
	/* The source comes back. */
	src.budget = UINT64_MAX;
	h = post(32, &g);
	vds_notify(&d, RQ);
	vds_expect_used(&d, RQ, h, 32);
	assert_stream(g, 32, 0);
}

/* A source that fails part way: the used length says how much is good,
 * is shorter than the buffer, and the bytes before it are the source's. */
static void test_source_fails_part_way(void **state)
{
	(void)state;
	uint64_t g;

	src.budget = 1000;
	vds_bring_up(&d, plain, 1, QSIZE);
	uint16_t h = post(2048, &g);
	vds_notify(&d, RQ);
	uint16_t id;
	uint32_t len;
	assert_true(vds_get_used(&d, RQ, &id, &len));
	assert_int_equal(id, h);
	assert_true(len > 0 && len <= 1000);
	assert_int_equal(len, src.given);
	assert_stream(g, len, 0);
	assert_untouched(g + len, 2048 - len);
	assert_int_equal(rng.bytes_given, len);
}

/* A buffer outside the guest's RAM: NEEDS_RESET (status bit 64), one log
 * line, a config interrupt, nothing used, the source not asked; the
 * device stays failed until reset, then works. */
static void test_buffer_not_ram(void **state)
{
	(void)state;
	uint64_t g;

	vds_bring_up(&d, plain, 1, QSIZE);
	struct vds_buf bad[2] = { vds_in_buf(&d, 16, 0xcc),
				  { VDS_RAM_SIZE - 8, 16, true } };
	vds_add_chain(&d, RQ, bad, 2);
	vds_notify(&d, RQ);
	assert_int_equal(vds_status(&d) & VDS_NEEDS_RESET, VDS_NEEDS_RESET);
	assert_false(virtio_mmio_running(&t));
	assert_int_equal(d.logs, 1);
	assert_string_equal(d.last_log,
			    "virtio-rng: queue 0: a buffer is not in the guest's RAM");
	assert_int_equal(vds_used_idx(&d, RQ), 0);
	assert_int_equal(src.calls, 0);
	assert_untouched(bad[0].addr, 16);
	assert_int_equal(d.irqs, 1);
	/* The config-change interrupt of 2.1.2 (INT_VRING comes along too:
	 * see test_no_used_interrupt_after_failure). */
	assert_true(vds_ack_irq(&d) & VIRTIO_MMIO_INT_CONFIG);
	/* Further notifications do nothing and log nothing. */
	post(16, &g);
	vds_notify(&d, RQ);
	assert_int_equal(vds_used_idx(&d, RQ), 0);
	assert_int_equal(d.logs, 1);
	assert_int_equal(d.irqs, 1);
	/* Reset, and it works again. */
	vds_bring_up(&d, plain, 1, QSIZE);
	uint16_t h = post(16, &g);
	vds_notify(&d, RQ);
	vds_expect_used(&d, RQ, h, 16);
	assert_stream(g, 16, 0);
}

/* When virtio_mmio_pop fails the queue (NEEDS_RESET set, logged), the
 * device model's loop ends and calls virtio_mmio_notify_used as after any
 * drain: that must not claim used buffers (INT_VRING) when nothing was
 * used; only the config interrupt says what happened (docs/virtio.md). */
static void test_no_used_interrupt_after_failure(void **state)
{
	(void)state;
	vds_bring_up(&d, plain, 1, QSIZE);
	struct vds_buf bad = { VDS_NOT_RAM, 16, true };
	vds_add_chain(&d, RQ, &bad, 1);
	vds_notify(&d, RQ);
	assert_true(vds_status(&d) & VDS_NEEDS_RESET);
	assert_int_equal(vds_rd(&d, VIRTIO_MMIO_INTERRUPT_STATUS),
			 VIRTIO_MMIO_INT_CONFIG);
}

/* Notifications before DRIVER_OK are ignored; the buffers are served at
 * the first one after. */
static void test_not_before_driver_ok(void **state)
{
	(void)state;
	uint64_t g;

	assert_true(vds_negotiate(&d, plain));
	vds_setup_queue(&d, RQ, QSIZE);
	uint16_t h = post(8, &g);
	vds_notify(&d, RQ);
	assert_int_equal(vds_used_idx(&d, RQ), 0);
	assert_int_equal(src.calls, 0);
	vds_driver_ok(&d);
	vds_notify(&d, RQ);
	vds_expect_used(&d, RQ, h, 8);
}

/* EVENT_IDX: after each drain avail_event asks for the next buffer, so a
 * Linux driver keeps notifying; used_event decides the interrupts. */
static void test_event_idx(void **state)
{
	(void)state;
	uint64_t g;

	vds_bring_up(&d, all, 1, QSIZE);
	vds_set_used_event(&d, RQ, 3);
	for (unsigned i = 0; i < 5; i++) {
		uint16_t old = d.q[RQ].avail_idx;
		uint16_t h = post(4, &g);
		assert_true(vds_should_notify(&d, RQ, old, true));
		vds_notify(&d, RQ);
		vds_expect_used(&d, RQ, h, 4);
		assert_stream(g, 4, 4 * i);
		assert_int_equal(vds_avail_event(&d, RQ), i + 1);
		/* The first batch always interrupts; then only the one that
		 * takes used->idx past 3 (from 3 to 4). */
		assert_int_equal(d.irqs, i < 3 ? 1 : 2);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_identity, setup),
		cmocka_unit_test_setup(test_buffer_filled, setup),
		cmocka_unit_test_setup(test_chains_and_buffers, setup),
		cmocka_unit_test_setup(test_max_per_request, setup),
		cmocka_unit_test_setup(test_source_fails, setup),
		cmocka_unit_test_setup(test_source_fails_part_way, setup),
		cmocka_unit_test_setup(test_buffer_not_ram, setup),
		cmocka_unit_test_setup(test_no_used_interrupt_after_failure, setup),
		cmocka_unit_test_setup(test_not_before_driver_ok, setup),
		cmocka_unit_test_setup(test_event_idx, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
