/* hv/vdev/virtio_mmio.c, the virtio-mmio transport (virtio 1.2, 4.2.2),
 * at the register level, driven the way Linux's virtio_mmio.c drives it:
 * identification, feature negotiation, queue setup, notification, the
 * interrupt and its acknowledgement, config space, reset, and what a
 * driver that breaks the protocol gets (DEVICE_NEEDS_RESET, one log line,
 * a config interrupt; ignored writes).
 *
 * The device behind it is a dummy with two queues: on a notification it
 * takes every chain, writes "DONE" (or less) into it and gives it back. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vdev/virtio_mmio.h"
#include "tests/flat_ram.h"

#define RAM_SIZE 0x10000u
#define BUF 0x8000u
#define QSIZE 8
#define CONFIG_SIZE 12
#define DEVICE_BITS ((1ull << 0) | (1ull << 5))	/* the dummy's own */

#define ACK VIRTIO_STATUS_ACKNOWLEDGE
#define DRV VIRTIO_STATUS_DRIVER
#define FOK VIRTIO_STATUS_FEATURES_OK
#define DOK VIRTIO_STATUS_DRIVER_OK
#define NEEDS_RESET VIRTIO_STATUS_DEVICE_NEEDS_RESET

#define R_STATUS VIRTIO_MMIO_STATUS
#define R_ISR VIRTIO_MMIO_INTERRUPT_STATUS

static uint8_t ram[RAM_SIZE];

static struct flat_ram flat = {ram, RAM_SIZE};
static const struct virtq_memory mem = FLAT_RAM_MEMORY(&flat);

/* ------------------------------------------------------ the dummy device */

struct dummy {
	unsigned notifies[2];
	unsigned chains_done[2];
	unsigned driver_ok_calls;
	unsigned reset_calls;
	uint8_t config[CONFIG_SIZE];
	unsigned config_reads, config_writes;
};

static struct virtio_mmio t;
static struct dummy dummy;
static struct virtq_chain chain;
static unsigned irqs;
static unsigned logs;
static char last_log[256];

static bool lock_held(void)
{
	return t.lock.next != t.lock.serving;
}

static uint64_t dummy_config_read(void *dev, uint32_t offset, unsigned size)
{
	struct dummy *d = dev;
	uint64_t v = 0;

	assert_true(lock_held());
	assert_true(offset + size <= CONFIG_SIZE);
	d->config_reads++;
	memcpy(&v, d->config + offset, size);
	return v;
}

static void dummy_config_write(void *dev, uint32_t offset, unsigned size,
			       uint64_t value)
{
	struct dummy *d = dev;

	assert_true(offset + size <= CONFIG_SIZE);
	d->config_writes++;
	memcpy(d->config + offset, &value, size);
}

/* Takes every chain, answers each, and re-arms notifications before it
 * stops (lib/virtq.h, virtq_enable_notify). */
static void drain(struct virtio_mmio *tr, unsigned index)
{
	struct virtq *q = &tr->queues[index];

	do {
		for (;;) {
			bool got;
			enum virtq_error e = virtq_pop(q, &tr->mem, &chain, &got);
			if (e != VIRTQ_OK) {
				virtio_mmio_queue_error(tr, index, e);
				return;
			}
			if (!got)
				break;
			size_t n = virtq_chain_write(&chain, &tr->mem, 0, "DONE", 4);
			assert_int_equal(virtq_push(q, &tr->mem, chain.head,
						    (uint32_t)n),
					 VIRTQ_OK);
			dummy.chains_done[index]++;
		}
	} while (virtq_enable_notify(q, &tr->mem, true));
	virtio_mmio_notify_used(tr, index);
}

static void dummy_queue_notify(void *dev, struct virtio_mmio *tr,
			       unsigned index)
{
	struct dummy *d = dev;

	assert_ptr_equal(tr, &t);
	assert_true(lock_held());
	assert_true(index < 2);
	assert_true(virtio_mmio_running(tr));
	d->notifies[index]++;
	drain(tr, index);
}

static void dummy_driver_ok(void *dev, struct virtio_mmio *tr)
{
	(void)tr;
	assert_true(lock_held());
	((struct dummy *)dev)->driver_ok_calls++;
}

static void dummy_reset(void *dev)
{
	assert_true(lock_held());
	((struct dummy *)dev)->reset_calls++;
}

static struct virtio_device_ops ops = {
	.name = "virtio-dummy",
	.device_id = VIRTIO_ID_RNG,
	.features = DEVICE_BITS,
	.num_queues = 2,
	.config_size = CONFIG_SIZE,
	.config_read = dummy_config_read,
	.config_write = dummy_config_write,
	.queue_notify = dummy_queue_notify,
	.driver_ok = dummy_driver_ok,
	.reset = dummy_reset,
};

static void host_raise_irq(void *ctx)
{
	(void)ctx;
	assert_false(lock_held());	/* never under the transport's lock */
	irqs++;
}

static void host_log(void *ctx, const char *line)
{
	(void)ctx;
	logs++;
	snprintf(last_log, sizeof(last_log), "%s", line);
}

static const struct virtio_mmio_host host = {
	.raise_irq = host_raise_irq, .log = host_log,
};

static int setup(void **state)
{
	(void)state;
	memset(ram, 0, sizeof(ram));
	memset(&dummy, 0, sizeof(dummy));
	for (unsigned i = 0; i < CONFIG_SIZE; i++)
		dummy.config[i] = (uint8_t)(0x10 + i);
	ops.features = DEVICE_BITS;
	irqs = 0;
	logs = 0;
	last_log[0] = 0;
	memset(&t, 0x5a, sizeof(t));	/* init must not rely on zeroes */
	virtio_mmio_init(&t, &ops, &dummy, &host, &mem);
	return 0;
}

/* --------------------------------------------------------- the driver */

static uint32_t rd(uint32_t offset)
{
	return (uint32_t)virtio_mmio_read(&t, offset, 4);
}

static void wr(uint32_t offset, uint32_t value)
{
	virtio_mmio_write(&t, offset, 4, value);
}

static uint64_t offered_features(void)
{
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	uint64_t f = (uint64_t)rd(VIRTIO_MMIO_DEVICE_FEATURES) << 32;
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	return f | rd(VIRTIO_MMIO_DEVICE_FEATURES);
}

static void write_driver_features(uint64_t f)
{
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(f >> 32));
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)f);
}

/* 3.1.1 steps 1-6; returns whether FEATURES_OK stuck. */
static bool negotiate(uint64_t features)
{
	wr(R_STATUS, 0);
	wr(R_STATUS, ACK);
	wr(R_STATUS, ACK | DRV);
	write_driver_features(features);
	wr(R_STATUS, ACK | DRV | FOK);
	return rd(R_STATUS) & FOK;
}

static uint64_t desc_addr(unsigned q) { return 0x1000 + 0x3000 * q; }
static uint64_t avail_addr(unsigned q) { return 0x2000 + 0x3000 * q; }
static uint64_t used_addr(unsigned q) { return 0x3000 + 0x3000 * q; }

static void write_addrs(uint64_t d, uint64_t a, uint64_t u)
{
	wr(VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)d);
	wr(VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(d >> 32));
	wr(VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)a);
	wr(VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(a >> 32));
	wr(VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)u);
	wr(VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(u >> 32));
}

/* Linux's vm_setup_vq: select, check not ready, size, addresses, ready. */
static void setup_queue(unsigned q, uint32_t size)
{
	wr(VIRTIO_MMIO_QUEUE_SEL, q);
	assert_int_equal(rd(VIRTIO_MMIO_QUEUE_READY), 0);
	assert_int_equal(rd(VIRTIO_MMIO_QUEUE_NUM_MAX), VIRTQ_MAX_SIZE);
	wr(VIRTIO_MMIO_QUEUE_NUM, size);
	write_addrs(desc_addr(q), avail_addr(q), used_addr(q));
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
}

static const uint64_t std_features =
	VIRTIO_F_VERSION_1 | VIRTIO_F_EVENT_IDX | VIRTIO_F_INDIRECT_DESC |
	DEVICE_BITS;

/* A driver that got as far as DRIVER_OK with both queues. */
static void bring_up(uint64_t features)
{
	assert_true(negotiate(features));
	setup_queue(0, QSIZE);
	setup_queue(1, QSIZE);
	assert_int_equal(rd(R_STATUS) & NEEDS_RESET, 0);
	wr(R_STATUS, ACK | DRV | FOK | DOK);
	assert_int_equal(rd(R_STATUS), ACK | DRV | FOK | DOK);
	assert_true(virtio_mmio_running(&t));
}

static void put16(uint64_t gpa, uint16_t v)
{
	ram[gpa] = (uint8_t)v;
	ram[gpa + 1] = (uint8_t)(v >> 8);
}

static uint16_t get16(uint64_t gpa)
{
	return (uint16_t)(ram[gpa] | ram[gpa + 1] << 8);
}

static uint32_t get32(uint64_t gpa)
{
	return get16(gpa) | (uint32_t)get16(gpa + 2) << 16;
}

static void desc(unsigned q, unsigned i, uint64_t addr, uint32_t len,
		 uint16_t flags, uint16_t next)
{
	uint64_t d = desc_addr(q) + 16ull * i;

	memcpy(ram + d, &addr, 8);
	memcpy(ram + d + 8, &len, 4);
	put16(d + 12, flags);
	put16(d + 14, next);
}

/* Makes chain `head` available on queue q (no notification). */
static void offer(unsigned q, uint16_t head)
{
	uint16_t idx = get16(avail_addr(q) + 2);

	put16(avail_addr(q) + 4 + 2 * (idx % QSIZE), head);
	put16(avail_addr(q) + 2, (uint16_t)(idx + 1));
}

static uint16_t used_idx(unsigned q)
{
	return get16(used_addr(q) + 2);
}

/* A one-buffer writable chain at descriptor `i` of queue q. */
static void offer_buffer(unsigned q, unsigned i)
{
	desc(q, i, BUF + 0x100 * (4 * q + i), 16, VIRTQ_DESC_F_WRITE, 0);
	offer(q, (uint16_t)i);
}

static void assert_needs_reset(const char *log_line)
{
	assert_true(rd(R_STATUS) & NEEDS_RESET);
	assert_false(virtio_mmio_running(&t));
	assert_true(rd(R_ISR) & VIRTIO_MMIO_INT_CONFIG);
	assert_int_equal(logs, 1);
	assert_string_equal(last_log, log_line);
}

/* ------------------------------------------------------ identification */

static void test_identification(void **state)
{
	(void)state;
	assert_int_equal(rd(VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
	assert_int_equal(rd(VIRTIO_MMIO_VERSION), 2);
	assert_int_equal(rd(VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_RNG);
	assert_int_equal(rd(VIRTIO_MMIO_VENDOR_ID), VIRTIO_VENDOR_VESTA);
	assert_int_equal(rd(R_STATUS), 0);
	assert_int_equal(rd(R_ISR), 0);
	assert_int_equal(rd(VIRTIO_MMIO_CONFIG_GENERATION), 0);
	/* No shared memory regions: length -1 (4.2.2). */
	wr(VIRTIO_MMIO_SHM_SEL, 0);
	assert_int_equal(rd(VIRTIO_MMIO_SHM_LEN_LOW), 0xffffffffu);
	assert_int_equal(rd(VIRTIO_MMIO_SHM_LEN_HIGH), 0xffffffffu);
	/* RING_RESET is not offered: QueueReset is inert. */
	wr(VIRTIO_MMIO_QUEUE_RESET, 1);
	assert_int_equal(rd(VIRTIO_MMIO_QUEUE_RESET), 0);
	assert_int_equal(irqs, 0);
	assert_int_equal(logs, 0);
}

static void test_narrow_and_unaligned_register_accesses(void **state)
{
	(void)state;
	assert_int_equal(virtio_mmio_read(&t, VIRTIO_MMIO_MAGIC_VALUE, 1), 0);
	assert_int_equal(virtio_mmio_read(&t, VIRTIO_MMIO_MAGIC_VALUE, 2), 0);
	assert_int_equal(virtio_mmio_read(&t, VIRTIO_MMIO_MAGIC_VALUE, 8), 0);
	assert_int_equal(virtio_mmio_read(&t, VIRTIO_MMIO_MAGIC_VALUE + 1, 4), 0);
	assert_int_equal(virtio_mmio_read(&t, 0x0fe, 4), 0);
	virtio_mmio_write(&t, R_STATUS, 1, ACK);
	virtio_mmio_write(&t, R_STATUS, 8, ACK);
	virtio_mmio_write(&t, R_STATUS + 2, 4, ACK);
	assert_int_equal(rd(R_STATUS), 0);
	/* Holes and read-only registers. */
	assert_int_equal(rd(0x0e0), 0);
	wr(VIRTIO_MMIO_MAGIC_VALUE, 0);
	assert_int_equal(rd(VIRTIO_MMIO_MAGIC_VALUE), VIRTIO_MMIO_MAGIC);
	wr(R_ISR, 3);
	assert_int_equal(rd(R_ISR), 0);
}

/* --------------------------------------------------------- features */

static void test_device_features(void **state)
{
	(void)state;
	/* The transport's own, plus the device's, minus transport bits the
	 * device must not offer (RING_PACKED 34, RING_RESET 40). */
	ops.features = DEVICE_BITS | (1ull << 34) | (1ull << 40) | (1ull << 45);
	uint64_t f = offered_features();
	assert_int_equal(f, std_features | (1ull << 45));
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 2);
	assert_int_equal(rd(VIRTIO_MMIO_DEVICE_FEATURES), 0);
}

static void test_features_ok_accepted(void **state)
{
	(void)state;
	assert_true(negotiate(VIRTIO_F_VERSION_1));
	assert_true(negotiate(std_features));
	assert_int_equal(t.driver_features, std_features);
	assert_int_equal(rd(R_STATUS), ACK | DRV | FOK);
}

static void test_features_ok_refused(void **state)
{
	(void)state;
	/* Without VERSION_1. */
	assert_false(negotiate(VIRTIO_F_EVENT_IDX));
	assert_int_equal(rd(R_STATUS), ACK | DRV);
	/* A bit not offered. */
	assert_false(negotiate(VIRTIO_F_VERSION_1 | (1ull << 3)));
	assert_false(negotiate(VIRTIO_F_VERSION_1 | (1ull << 34)));
	/* No log, no reset: the driver sees FEATURES_OK clear and gives up. */
	assert_int_equal(logs, 0);
	assert_int_equal(rd(R_STATUS) & NEEDS_RESET, 0);
	/* It may try again without resetting. */
	write_driver_features(VIRTIO_F_VERSION_1);
	wr(R_STATUS, ACK | DRV | FOK);
	assert_int_equal(rd(R_STATUS), ACK | DRV | FOK);
}

static void test_features_fixed_after_features_ok(void **state)
{
	(void)state;
	assert_true(negotiate(VIRTIO_F_VERSION_1));
	write_driver_features(std_features);
	assert_int_equal(t.driver_features, VIRTIO_F_VERSION_1);
	setup_queue(0, QSIZE);
	assert_false(t.queues[0].event_idx);
	assert_false(t.queues[0].indirect);
}

static void test_queue_features_follow_negotiation(void **state)
{
	(void)state;
	bring_up(std_features);
	assert_true(t.queues[0].event_idx);
	assert_true(t.queues[1].indirect);
	bring_up(VIRTIO_F_VERSION_1 | VIRTIO_F_INDIRECT_DESC);
	assert_false(t.queues[0].event_idx);
	assert_true(t.queues[0].indirect);
}

static void test_status_bits_cannot_be_cleared(void **state)
{
	(void)state;
	bring_up(std_features);
	wr(R_STATUS, ACK);
	assert_int_equal(rd(R_STATUS), ACK | DRV | FOK | DOK);
	/* DEVICE_NEEDS_RESET is the device's to set. */
	wr(R_STATUS, ACK | DRV | FOK | DOK | NEEDS_RESET);
	assert_int_equal(rd(R_STATUS) & NEEDS_RESET, 0);
	assert_int_equal(dummy.driver_ok_calls, 1);
}

/* ----------------------------------------------------- the normal path */

static void test_bring_up_and_one_request(void **state)
{
	(void)state;
	assert_true(negotiate(VIRTIO_F_VERSION_1));
	setup_queue(0, QSIZE);
	setup_queue(1, QSIZE);
	assert_int_equal(dummy.driver_ok_calls, 0);
	wr(R_STATUS, ACK | DRV | FOK | DOK);
	assert_int_equal(dummy.driver_ok_calls, 1);
	wr(VIRTIO_MMIO_QUEUE_SEL, 1);
	assert_int_equal(rd(VIRTIO_MMIO_QUEUE_READY), 1);
	assert_true(t.queues[1].enabled);
	assert_int_equal(t.queues[1].size, QSIZE);
	assert_int_equal(t.queues[1].desc_addr, desc_addr(1));
	assert_int_equal(t.queues[1].avail_addr, avail_addr(1));
	assert_int_equal(t.queues[1].used_addr, used_addr(1));

	offer_buffer(1, 3);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	assert_int_equal(dummy.notifies[1], 1);
	assert_int_equal(dummy.chains_done[1], 1);
	assert_int_equal(used_idx(1), 1);
	assert_int_equal(get32(used_addr(1) + 4), 3);
	assert_int_equal(get32(used_addr(1) + 8), 4);
	assert_memory_equal(ram + BUF + 0x100 * 7, "DONE", 4);
	assert_int_equal(irqs, 1);
	assert_int_equal(rd(R_ISR), VIRTIO_MMIO_INT_VRING);
	/* Linux's vm_interrupt: read the status, acknowledge what it read. */
	wr(VIRTIO_MMIO_INTERRUPT_ACK, rd(R_ISR));
	assert_int_equal(rd(R_ISR), 0);
	assert_int_equal(logs, 0);
}

static void test_notify_ignored_when_not_running(void **state)
{
	(void)state;
	assert_true(negotiate(VIRTIO_F_VERSION_1));
	setup_queue(0, QSIZE);
	offer_buffer(0, 0);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);	/* before DRIVER_OK */
	assert_int_equal(dummy.notifies[0], 0);
	wr(R_STATUS, ACK | DRV | FOK | DOK);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 1);	/* queue 1 not enabled */
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 2);	/* no such queue */
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0x10000);
	assert_int_equal(dummy.notifies[0] + dummy.notifies[1], 0);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(dummy.notifies[0], 1);
	assert_int_equal(used_idx(0), 1);
	/* FAILED stops it too. */
	wr(R_STATUS, ACK | DRV | FOK | DOK | VIRTIO_STATUS_FAILED);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(dummy.notifies[0], 1);
}

static void test_queue_ready_zero_disables(void **state)
{
	(void)state;
	bring_up(std_features);
	wr(VIRTIO_MMIO_QUEUE_SEL, 0);
	wr(VIRTIO_MMIO_QUEUE_READY, 0);
	assert_int_equal(rd(VIRTIO_MMIO_QUEUE_READY), 0);
	offer_buffer(0, 0);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(dummy.notifies[0], 0);
	/* And it can be set up again, from index 0. */
	wr(VIRTIO_MMIO_QUEUE_NUM, QSIZE);
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
	assert_int_equal(rd(VIRTIO_MMIO_QUEUE_READY), 1);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(dummy.chains_done[0], 1);
}

static void test_absent_queues(void **state)
{
	(void)state;
	assert_true(negotiate(VIRTIO_F_VERSION_1));
	wr(VIRTIO_MMIO_QUEUE_SEL, 2);
	assert_int_equal(rd(VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
	wr(VIRTIO_MMIO_QUEUE_NUM, QSIZE);
	write_addrs(0x1000, 0x2000, 0x3000);
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
	assert_int_equal(rd(VIRTIO_MMIO_QUEUE_READY), 0);
	wr(VIRTIO_MMIO_QUEUE_SEL, 0xffffffffu);
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
	assert_int_equal(rd(VIRTIO_MMIO_QUEUE_READY), 0);
	assert_int_equal(rd(R_STATUS), ACK | DRV | FOK);
	assert_int_equal(logs, 0);
	for (unsigned i = 0; i < VIRTIO_MMIO_MAX_QUEUES; i++)
		assert_false(t.queues[i].enabled);
}

static void test_event_idx_suppression_end_to_end(void **state)
{
	(void)state;
	bring_up(std_features);
	/* The driver asks for an interrupt only once entry 2 is used. */
	put16(avail_addr(0) + 4 + 2 * QSIZE, 2);
	offer_buffer(0, 0);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(irqs, 1);	/* the first always interrupts */
	offer_buffer(0, 1);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(used_idx(0), 2);
	assert_int_equal(irqs, 1);	/* used->idx 2: not past 2 yet */
	offer_buffer(0, 2);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(irqs, 2);
	/* The device re-armed notifications after each drain. */
	assert_int_equal(get16(used_addr(0) + 4 + 8 * QSIZE), 3);
}

static void test_no_interrupt_flag(void **state)
{
	(void)state;
	bring_up(VIRTIO_F_VERSION_1);
	put16(avail_addr(0), VIRTQ_AVAIL_F_NO_INTERRUPT);
	offer_buffer(0, 0);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(used_idx(0), 1);
	assert_int_equal(irqs, 0);
	assert_int_equal(rd(R_ISR), 0);
}

/* ------------------------------------------------------- config space */

static void test_config_space(void **state)
{
	(void)state;
	uint32_t base = VIRTIO_MMIO_CONFIG;

	assert_int_equal(virtio_mmio_read(&t, base, 1), 0x10);
	assert_int_equal(virtio_mmio_read(&t, base + 2, 2), 0x1312);
	assert_int_equal(virtio_mmio_read(&t, base + 8, 4), 0x1b1a1918);
	assert_int_equal(virtio_mmio_read(&t, base, 8), 0x1716151413121110ull);
	unsigned reads = dummy.config_reads;
	/* Past the end, straddling it, odd sizes, far away: 0, unasked. */
	assert_int_equal(virtio_mmio_read(&t, base + 12, 1), 0);
	assert_int_equal(virtio_mmio_read(&t, base + 10, 4), 0);
	assert_int_equal(virtio_mmio_read(&t, base + 8, 8), 0);
	assert_int_equal(virtio_mmio_read(&t, base, 3), 0);
	assert_int_equal(virtio_mmio_read(&t, base, 16), 0);
	assert_int_equal(virtio_mmio_read(&t, 0xfff, 1), 0);
	assert_int_equal(virtio_mmio_read(&t, 0xffffffffffffffffull, 8), 0);
	assert_int_equal(dummy.config_reads, reads);

	uint32_t gen = rd(VIRTIO_MMIO_CONFIG_GENERATION);
	virtio_mmio_write(&t, base + 4, 2, 0xbeef);
	assert_int_equal(dummy.config[4], 0xef);
	assert_int_equal(dummy.config[5], 0xbe);
	assert_int_not_equal(rd(VIRTIO_MMIO_CONFIG_GENERATION), gen);
	gen = rd(VIRTIO_MMIO_CONFIG_GENERATION);
	virtio_mmio_write(&t, base + 11, 2, 0xffff);
	virtio_mmio_write(&t, base + 0x1000, 4, 0xffff);
	assert_int_equal(dummy.config_writes, 1);
	assert_int_equal(rd(VIRTIO_MMIO_CONFIG_GENERATION), gen);
}

static void test_config_changed(void **state)
{
	(void)state;
	bring_up(std_features);
	uint32_t gen = rd(VIRTIO_MMIO_CONFIG_GENERATION);
	virtio_mmio_lock(&t);
	virtio_mmio_config_changed(&t);
	assert_int_equal(irqs, 0);	/* not while locked */
	virtio_mmio_unlock_and_flush_irq(&t);
	assert_int_equal(irqs, 1);
	assert_int_equal(rd(VIRTIO_MMIO_CONFIG_GENERATION), gen + 1);
	assert_int_equal(rd(R_ISR), VIRTIO_MMIO_INT_CONFIG);
	/* A flush with nothing pending raises nothing. */
	virtio_mmio_lock(&t);
	virtio_mmio_unlock_and_flush_irq(&t);
	assert_int_equal(irqs, 1);
}

/* --------------------------------------------------------------- reset */

static void test_reset(void **state)
{
	(void)state;
	bring_up(std_features);
	offer_buffer(0, 0);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_int_not_equal(rd(R_ISR), 0);
	wr(VIRTIO_MMIO_QUEUE_SEL, 1);
	unsigned resets = dummy.reset_calls;	/* negotiate() resets first */
	wr(R_STATUS, 0);
	assert_int_equal(dummy.reset_calls, resets + 1);
	assert_int_equal(rd(R_STATUS), 0);
	assert_int_equal(rd(R_ISR), 0);
	assert_int_equal(t.driver_features, 0);
	assert_int_equal(t.queue_sel, 0);
	for (unsigned i = 0; i < 2; i++) {
		wr(VIRTIO_MMIO_QUEUE_SEL, i);
		assert_int_equal(rd(VIRTIO_MMIO_QUEUE_READY), 0);
		assert_int_equal(t.queues[i].size, 0);
		assert_int_equal(t.queues[i].last_avail, 0);
	}
	/* And it comes up again. */
	memset(ram, 0, sizeof(ram));
	bring_up(std_features);
	offer_buffer(0, 0);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(used_idx(0), 1);
}

/* ------------------------------------------------- a misbehaving driver */

static void test_queue_num_not_power_of_two(void **state)
{
	(void)state;
	assert_true(negotiate(std_features));
	setup_queue(0, 3);
	assert_needs_reset("virtio-dummy: queue 0: "
			   "the queue size is 0, above 256 or not a power of 2");
	assert_int_equal(rd(VIRTIO_MMIO_QUEUE_READY), 0);
	assert_int_equal(irqs, 1);
}

static void test_queue_num_too_big(void **state)
{
	(void)state;
	assert_true(negotiate(std_features));
	setup_queue(1, 512);
	assert_needs_reset("virtio-dummy: queue 1: "
			   "the queue size is 0, above 256 or not a power of 2");
	/* 0x10000 + 8 must not pass as 8. */
	assert_true(negotiate(std_features));
	logs = 0;
	setup_queue(0, 0x10008);
	assert_needs_reset("virtio-dummy: queue 0: "
			   "the queue size is 0, above 256 or not a power of 2");
}

static void test_queue_never_sized(void **state)
{
	(void)state;
	assert_true(negotiate(std_features));
	wr(VIRTIO_MMIO_QUEUE_SEL, 0);
	write_addrs(desc_addr(0), avail_addr(0), used_addr(0));
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
	assert_true(rd(R_STATUS) & NEEDS_RESET);
}

static void test_ring_outside_ram(void **state)
{
	(void)state;
	assert_true(negotiate(std_features));
	wr(VIRTIO_MMIO_QUEUE_SEL, 0);
	wr(VIRTIO_MMIO_QUEUE_NUM, QSIZE);
	write_addrs(desc_addr(0), avail_addr(0), 0x100000000ull);
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
	assert_needs_reset("virtio-dummy: queue 0: a ring is not in the guest's RAM");
}

static void test_ring_misaligned(void **state)
{
	(void)state;
	assert_true(negotiate(std_features));
	wr(VIRTIO_MMIO_QUEUE_SEL, 0);
	wr(VIRTIO_MMIO_QUEUE_NUM, QSIZE);
	write_addrs(desc_addr(0) + 8, avail_addr(0), used_addr(0));
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
	assert_needs_reset("virtio-dummy: queue 0: a ring address is misaligned");
}

static void test_queue_before_features_ok(void **state)
{
	(void)state;
	wr(R_STATUS, ACK | DRV);
	setup_queue(0, QSIZE);
	assert_needs_reset("virtio-dummy: queue 0: enabled before FEATURES_OK");
}

static void test_driver_ok_without_features_ok(void **state)
{
	(void)state;
	wr(R_STATUS, ACK | DRV);
	wr(R_STATUS, ACK | DRV | DOK);
	assert_needs_reset("virtio-dummy: DRIVER_OK without FEATURES_OK");
	assert_int_equal(dummy.driver_ok_calls, 0);
}

static void test_descriptor_loop_at_notify(void **state)
{
	(void)state;
	bring_up(std_features);
	desc(0, 0, BUF, 4, VIRTQ_DESC_F_NEXT, 1);
	desc(0, 1, BUF, 4, VIRTQ_DESC_F_NEXT, 0);
	offer(0, 0);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_needs_reset("virtio-dummy: queue 0: a descriptor chain loops");
	assert_int_equal(irqs, 1);
	assert_int_equal(used_idx(0), 0);
	assert_int_equal(dummy.notifies[0], 1);
}

/* Once failed, the device stays failed until status 0, whatever else the
 * driver writes, and says so once. */
static void test_needs_reset_is_sticky(void **state)
{
	(void)state;
	bring_up(std_features);
	put16(avail_addr(0) + 2, 100);	/* avail->idx far ahead */
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_needs_reset("virtio-dummy: queue 0: "
			   "avail->idx ran more than the queue size ahead");
	wr(R_STATUS, ACK | DRV | FOK | DOK);
	wr(VIRTIO_MMIO_INTERRUPT_ACK, 3);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	wr(VIRTIO_MMIO_QUEUE_SEL, 1);
	wr(VIRTIO_MMIO_QUEUE_READY, 0);
	wr(VIRTIO_MMIO_QUEUE_NUM, 3);
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
	virtio_mmio_write(&t, R_STATUS, 2, 0);	/* not a 4-byte write */
	assert_true(rd(R_STATUS) & NEEDS_RESET);
	assert_int_equal(dummy.notifies[0], 1);
	assert_int_equal(dummy.notifies[1], 0);
	assert_int_equal(logs, 1);
	/* A device model that hits another error adds nothing. */
	virtio_mmio_lock(&t);
	virtio_mmio_needs_reset(&t, "again");
	virtio_mmio_unlock_and_flush_irq(&t);
	assert_int_equal(logs, 1);
	unsigned resets = dummy.reset_calls;
	wr(R_STATUS, 0);
	assert_int_equal(rd(R_STATUS), 0);
	assert_int_equal(dummy.reset_calls, resets + 1);
	assert_true(rd(R_ISR) == 0);
}

static void test_layout_rewrite_while_ready(void **state)
{
	(void)state;
	bring_up(std_features);
	wr(VIRTIO_MMIO_QUEUE_SEL, 0);
	wr(VIRTIO_MMIO_QUEUE_NUM, 4);
	wr(VIRTIO_MMIO_QUEUE_DESC_LOW, 0x7000);
	wr(VIRTIO_MMIO_QUEUE_DEVICE_HIGH, 1);
	assert_int_equal(t.queues[0].size, QSIZE);
	assert_int_equal(t.queues[0].desc_addr, desc_addr(0));
	assert_int_equal(t.queues[0].used_addr, used_addr(0));
	assert_int_equal(logs, 1);
	assert_string_equal(last_log, "virtio-dummy: queue 0: the driver "
			    "rewrote the layout of a ready queue; ignored");
	/* Not a failure: the queue still works. */
	assert_true(virtio_mmio_running(&t));
	offer_buffer(0, 0);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(used_idx(0), 1);
	/* Once per transport. */
	wr(VIRTIO_MMIO_QUEUE_SEL, 1);
	wr(VIRTIO_MMIO_QUEUE_NUM, 4);
	assert_int_equal(logs, 1);
}

static void test_interrupt_raised_after_unlock(void **state)
{
	(void)state;
	/* host_raise_irq asserts the lock is free; here the device raises
	 * from work of its own (console input). */
	bring_up(VIRTIO_F_VERSION_1);
	offer_buffer(1, 0);
	virtio_mmio_lock(&t);
	drain(&t, 1);
	assert_true(t.irq_pending);
	assert_int_equal(irqs, 0);
	virtio_mmio_unlock_and_flush_irq(&t);
	assert_int_equal(irqs, 1);
	assert_false(t.irq_pending);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_identification, setup),
		cmocka_unit_test_setup(test_narrow_and_unaligned_register_accesses,
				       setup),
		cmocka_unit_test_setup(test_device_features, setup),
		cmocka_unit_test_setup(test_features_ok_accepted, setup),
		cmocka_unit_test_setup(test_features_ok_refused, setup),
		cmocka_unit_test_setup(test_features_fixed_after_features_ok, setup),
		cmocka_unit_test_setup(test_queue_features_follow_negotiation,
				       setup),
		cmocka_unit_test_setup(test_status_bits_cannot_be_cleared, setup),
		cmocka_unit_test_setup(test_bring_up_and_one_request, setup),
		cmocka_unit_test_setup(test_notify_ignored_when_not_running, setup),
		cmocka_unit_test_setup(test_queue_ready_zero_disables, setup),
		cmocka_unit_test_setup(test_absent_queues, setup),
		cmocka_unit_test_setup(test_event_idx_suppression_end_to_end,
				       setup),
		cmocka_unit_test_setup(test_no_interrupt_flag, setup),
		cmocka_unit_test_setup(test_config_space, setup),
		cmocka_unit_test_setup(test_config_changed, setup),
		cmocka_unit_test_setup(test_reset, setup),
		cmocka_unit_test_setup(test_queue_num_not_power_of_two, setup),
		cmocka_unit_test_setup(test_queue_num_too_big, setup),
		cmocka_unit_test_setup(test_queue_never_sized, setup),
		cmocka_unit_test_setup(test_ring_outside_ram, setup),
		cmocka_unit_test_setup(test_ring_misaligned, setup),
		cmocka_unit_test_setup(test_queue_before_features_ok, setup),
		cmocka_unit_test_setup(test_driver_ok_without_features_ok, setup),
		cmocka_unit_test_setup(test_descriptor_loop_at_notify, setup),
		cmocka_unit_test_setup(test_needs_reset_is_sticky, setup),
		cmocka_unit_test_setup(test_layout_rewrite_while_ready, setup),
		cmocka_unit_test_setup(test_interrupt_raised_after_unlock, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
