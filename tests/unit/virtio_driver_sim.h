/* A simulated guest driver for the device model tests of hv/vdev/virtio_*:
 * a flat guest RAM (struct virtq_memory over a static array), a host that
 * counts interrupts and keeps the log, and a driver that talks to the
 * device only through the virtio-mmio registers (virtio_mmio_read /
 * virtio_mmio_write), the way Linux's virtio_mmio.c does: status bits,
 * feature negotiation (3.1.1), queue setup (vm_setup_vq), split rings it
 * lays out itself (2.7), QueueNotify, InterruptStatus / InterruptAck.
 *
 * Header-only: include it after <cmocka.h> (it asserts with cmocka).
 * One `struct vds` per test program, usually static (it holds the RAM).
 *
 * Layout of guest RAM: queue q's rings at VDS_RING_BASE + q *
 * VDS_RING_STRIDE (descriptors, then avail at +0x1000, used at +0x2000,
 * room for VIRTQ_MAX_SIZE entries each); buffers come from a bump
 * allocator starting at VDS_HEAP_BASE. */
#ifndef TESTS_UNIT_VIRTIO_DRIVER_SIM_H
#define TESTS_UNIT_VIRTIO_DRIVER_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "vdev/virtio_mmio.h"

#define VDS_RAM_SIZE (1u << 20)
#define VDS_RING_BASE 0x1000u
#define VDS_RING_STRIDE 0x4000u
#define VDS_HEAP_BASE 0x20000u
/* Outside the guest's RAM. */
#define VDS_NOT_RAM ((uint64_t)VDS_RAM_SIZE + 0x1000)

#define VDS_ACK VIRTIO_STATUS_ACKNOWLEDGE
#define VDS_DRV VIRTIO_STATUS_DRIVER
#define VDS_FOK VIRTIO_STATUS_FEATURES_OK
#define VDS_DOK VIRTIO_STATUS_DRIVER_OK
#define VDS_NEEDS_RESET VIRTIO_STATUS_DEVICE_NEEDS_RESET

/* The driver's view of one queue. */
struct vds_queue {
	uint16_t size;		/* 0: not set up */
	uint64_t desc, avail, used;
	uint16_t next_desc;	/* descriptors are handed out round robin */
	uint16_t in_flight;	/* descriptors given and not yet used */
	uint16_t avail_idx;	/* the driver's avail->idx */
	uint16_t last_used;	/* the next used entry to look at */
	uint16_t chain_descs[VIRTQ_MAX_SIZE];	/* per head, for in_flight */
};

/* One buffer of a chain, as the driver describes it. */
struct vds_buf {
	uint64_t addr;
	uint32_t len;
	bool write;		/* device-writable */
};

struct vds {
	struct virtio_mmio *t;
	struct virtq_memory mem;
	struct virtio_mmio_host host;
	uint64_t heap;		/* next free byte for vds_alloc */
	struct vds_queue q[VIRTIO_MMIO_MAX_QUEUES];
	unsigned irqs;		/* raise_irq calls */
	unsigned logs;		/* log lines */
	char last_log[256];
	uint8_t ram[VDS_RAM_SIZE];
};

/* ------------------------------------------------------------ guest RAM */

static inline bool vds_in_ram(uint64_t gpa, uint64_t len)
{
	return gpa <= VDS_RAM_SIZE && len <= VDS_RAM_SIZE - gpa;
}

static inline bool vds_mem_read(void *ctx, uint64_t gpa, void *dst, size_t len)
{
	struct vds *d = ctx;

	if (!vds_in_ram(gpa, len))
		return false;
	memcpy(dst, d->ram + gpa, len);
	return true;
}

static inline bool vds_mem_write(void *ctx, uint64_t gpa, const void *src,
				 size_t len)
{
	struct vds *d = ctx;

	if (!vds_in_ram(gpa, len))
		return false;
	memcpy(d->ram + gpa, src, len);
	return true;
}

static inline bool vds_mem_is_ram(void *ctx, uint64_t gpa, uint64_t len)
{
	(void)ctx;
	return vds_in_ram(gpa, len);
}

/* A pointer to `len` bytes of guest RAM at gpa. */
static inline uint8_t *vds_ptr(struct vds *d, uint64_t gpa, uint64_t len)
{
	assert_true(vds_in_ram(gpa, len));
	return d->ram + gpa;
}

static inline void vds_put16(struct vds *d, uint64_t gpa, uint16_t v)
{
	uint8_t *p = vds_ptr(d, gpa, 2);

	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline uint16_t vds_get16(struct vds *d, uint64_t gpa)
{
	const uint8_t *p = vds_ptr(d, gpa, 2);

	return (uint16_t)(p[0] | p[1] << 8);
}

static inline void vds_put32(struct vds *d, uint64_t gpa, uint32_t v)
{
	vds_put16(d, gpa, (uint16_t)v);
	vds_put16(d, gpa + 2, (uint16_t)(v >> 16));
}

static inline uint32_t vds_get32(struct vds *d, uint64_t gpa)
{
	return vds_get16(d, gpa) | (uint32_t)vds_get16(d, gpa + 2) << 16;
}

static inline void vds_put64(struct vds *d, uint64_t gpa, uint64_t v)
{
	vds_put32(d, gpa, (uint32_t)v);
	vds_put32(d, gpa + 4, (uint32_t)(v >> 32));
}

/* `len` bytes of RAM for buffers, aligned to `align` (a power of 2), and
 * filled with `fill` so that what the device did not write shows. */
static inline uint64_t vds_alloc(struct vds *d, uint64_t len, uint64_t align,
				 uint8_t fill)
{
	uint64_t gpa = (d->heap + align - 1) & ~(align - 1);

	assert_true(vds_in_ram(gpa, len));
	d->heap = gpa + len;
	memset(d->ram + gpa, fill, len);
	return gpa;
}

/* A buffer of `len` bytes holding `data` (device-readable). */
static inline struct vds_buf vds_out_buf(struct vds *d, const void *data,
					 uint32_t len)
{
	uint64_t gpa = vds_alloc(d, len ? len : 1, 8, 0);

	memcpy(d->ram + gpa, data, len);
	return (struct vds_buf){ gpa, len, false };
}

/* A device-writable buffer of `len` bytes filled with `fill`. */
static inline struct vds_buf vds_in_buf(struct vds *d, uint32_t len,
					uint8_t fill)
{
	return (struct vds_buf){ vds_alloc(d, len ? len : 1, 8, fill), len, true };
}

/* ----------------------------------------------------------------- host */

static inline bool vds_lock_held(const struct vds *d)
{
	return __atomic_load_n(&d->t->lock.next, __ATOMIC_RELAXED) !=
	       __atomic_load_n(&d->t->lock.serving, __ATOMIC_RELAXED);
}

static inline void vds_raise_irq(void *ctx)
{
	struct vds *d = ctx;

	/* docs/virtio.md: never under the transport's lock. */
	assert_false(vds_lock_held(d));
	d->irqs++;
}

static inline void vds_log(void *ctx, const char *line)
{
	struct vds *d = ctx;

	d->logs++;
	snprintf(d->last_log, sizeof(d->last_log), "%s", line);
}

/* Clears RAM and the driver's state and puts the transport `t` over it in
 * front of the device model (ops, dev). */
static inline void vds_init(struct vds *d, struct virtio_mmio *t,
			    const struct virtio_device_ops *ops, void *dev)
{
	memset(d, 0, sizeof(*d));
	d->t = t;
	d->heap = VDS_HEAP_BASE;
	d->mem = (struct virtq_memory){
		.ctx = d, .read = vds_mem_read, .write = vds_mem_write,
		.is_ram = vds_mem_is_ram,
	};
	d->host = (struct virtio_mmio_host){
		.ctx = d, .raise_irq = vds_raise_irq, .log = vds_log,
	};
	memset(t, 0x5a, sizeof(*t));	/* init must not rely on zeroes */
	virtio_mmio_init(t, ops, dev, &d->host, &d->mem);
}

/* ------------------------------------------------------------ registers */

static inline uint32_t vds_rd(struct vds *d, uint32_t offset)
{
	return (uint32_t)virtio_mmio_read(d->t, offset, 4);
}

static inline void vds_wr(struct vds *d, uint32_t offset, uint32_t value)
{
	virtio_mmio_write(d->t, offset, 4, value);
}

static inline uint32_t vds_status(struct vds *d)
{
	return vds_rd(d, VIRTIO_MMIO_STATUS);
}

static inline uint64_t vds_config_read(struct vds *d, uint32_t offset,
				       unsigned size)
{
	return virtio_mmio_read(d->t, VIRTIO_MMIO_CONFIG + offset, size);
}

static inline uint64_t vds_offered_features(struct vds *d)
{
	uint64_t f;

	vds_wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	f = (uint64_t)vds_rd(d, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
	vds_wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	return f | vds_rd(d, VIRTIO_MMIO_DEVICE_FEATURES);
}

/* 3.1.1 steps 1-6: reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK.
 * Returns whether FEATURES_OK stuck. Forgets the driver's queues. */
static inline bool vds_negotiate(struct vds *d, uint64_t features)
{
	memset(d->q, 0, sizeof(d->q));
	vds_wr(d, VIRTIO_MMIO_STATUS, 0);
	vds_wr(d, VIRTIO_MMIO_STATUS, VDS_ACK);
	vds_wr(d, VIRTIO_MMIO_STATUS, VDS_ACK | VDS_DRV);
	vds_wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	vds_wr(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
	vds_wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	vds_wr(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
	vds_wr(d, VIRTIO_MMIO_STATUS, VDS_ACK | VDS_DRV | VDS_FOK);
	return vds_status(d) & VDS_FOK;
}

/* Linux's vm_setup_vq: select, check not ready, size, rings (zeroed
 * first, as the driver allocates them), ready. */
static inline void vds_setup_queue(struct vds *d, unsigned index,
				   uint16_t size)
{
	struct vds_queue *q = &d->q[index];
	uint64_t base = VDS_RING_BASE + (uint64_t)VDS_RING_STRIDE * index;

	assert_true(index < VIRTIO_MMIO_MAX_QUEUES);
	memset(q, 0, sizeof(*q));
	memset(d->ram + base, 0, VDS_RING_STRIDE);
	q->size = size;
	q->desc = base;
	q->avail = base + 0x1000;
	q->used = base + 0x2000;
	vds_wr(d, VIRTIO_MMIO_QUEUE_SEL, index);
	assert_int_equal(vds_rd(d, VIRTIO_MMIO_QUEUE_READY), 0);
	assert_int_equal(vds_rd(d, VIRTIO_MMIO_QUEUE_NUM_MAX), VIRTQ_MAX_SIZE);
	vds_wr(d, VIRTIO_MMIO_QUEUE_NUM, size);
	vds_wr(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)q->desc);
	vds_wr(d, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(q->desc >> 32));
	vds_wr(d, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)q->avail);
	vds_wr(d, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(q->avail >> 32));
	vds_wr(d, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)q->used);
	vds_wr(d, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(q->used >> 32));
	vds_wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
	assert_int_equal(vds_rd(d, VIRTIO_MMIO_QUEUE_READY), 1);
}

static inline void vds_driver_ok(struct vds *d)
{
	vds_wr(d, VIRTIO_MMIO_STATUS, VDS_ACK | VDS_DRV | VDS_FOK | VDS_DOK);
}

/* Negotiates `features`, sets up queues 0 .. num_queues - 1 of `size`
 * entries and sets DRIVER_OK; the device must then be running. */
static inline void vds_bring_up(struct vds *d, uint64_t features,
				unsigned num_queues, uint16_t size)
{
	assert_true(vds_negotiate(d, features));
	for (unsigned i = 0; i < num_queues; i++)
		vds_setup_queue(d, i, size);
	vds_driver_ok(d);
	assert_int_equal(vds_status(d), VDS_ACK | VDS_DRV | VDS_FOK | VDS_DOK);
	assert_true(virtio_mmio_running(d->t));
}

/* Linux's vm_interrupt: read InterruptStatus, acknowledge what it read.
 * Returns what it read. */
static inline uint32_t vds_ack_irq(struct vds *d)
{
	uint32_t isr = vds_rd(d, VIRTIO_MMIO_INTERRUPT_STATUS);

	vds_wr(d, VIRTIO_MMIO_INTERRUPT_ACK, isr);
	return isr;
}

static inline void vds_notify(struct vds *d, unsigned index)
{
	vds_wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, index);
}

/* ---------------------------------------------------------------- rings */

static inline void vds_write_desc(struct vds *d, uint64_t at, uint64_t addr,
				  uint32_t len, uint16_t flags, uint16_t next)
{
	vds_put64(d, at, addr);
	vds_put32(d, at + 8, len);
	vds_put16(d, at + 12, flags);
	vds_put16(d, at + 14, next);
}

/* Puts `head` in the avail ring and publishes it (avail->idx). */
static inline void vds_publish(struct vds *d, unsigned index, uint16_t head)
{
	struct vds_queue *q = &d->q[index];

	vds_put16(d, q->avail + 4 + 2u * (q->avail_idx % q->size), head);
	q->avail_idx++;
	vds_put16(d, q->avail + 2, q->avail_idx);
}

/* Makes a chain of `n` buffers available on queue `index` (readable ones
 * must come first) without notifying; returns its head. */
static inline uint16_t vds_add_chain(struct vds *d, unsigned index,
				     const struct vds_buf *bufs, unsigned n)
{
	struct vds_queue *q = &d->q[index];
	uint16_t head = q->next_desc;

	assert_true(q->size > 0);
	assert_true(n > 0 && q->in_flight + n <= q->size);
	for (unsigned i = 0; i < n; i++) {
		uint16_t slot = q->next_desc;
		uint16_t next = (uint16_t)((slot + 1) % q->size);
		uint16_t flags = (bufs[i].write ? VIRTQ_DESC_F_WRITE : 0) |
				 (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0);

		vds_write_desc(d, q->desc + 16ull * slot, bufs[i].addr,
			       bufs[i].len, flags, i + 1 < n ? next : 0);
		q->next_desc = next;
	}
	q->chain_descs[head] = (uint16_t)n;
	q->in_flight = (uint16_t)(q->in_flight + n);
	vds_publish(d, index, head);
	return head;
}

/* The same chain through an indirect table (VIRTIO_F_INDIRECT_DESC):
 * one descriptor of the ring. */
static inline uint16_t vds_add_indirect(struct vds *d, unsigned index,
					const struct vds_buf *bufs, unsigned n)
{
	struct vds_queue *q = &d->q[index];
	uint64_t table = vds_alloc(d, 16ull * n, 16, 0);
	uint16_t head = q->next_desc;

	assert_true(q->size > 0 && q->in_flight < q->size);
	for (unsigned i = 0; i < n; i++)
		vds_write_desc(d, table + 16ull * i, bufs[i].addr, bufs[i].len,
			       (bufs[i].write ? VIRTQ_DESC_F_WRITE : 0) |
			       (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0),
			       (uint16_t)(i + 1 < n ? i + 1 : 0));
	vds_write_desc(d, q->desc + 16ull * head, table, 16u * n,
		       VIRTQ_DESC_F_INDIRECT, 0);
	q->next_desc = (uint16_t)((head + 1) % q->size);
	q->chain_descs[head] = 1;
	q->in_flight++;
	vds_publish(d, index, head);
	return head;
}

/* The device's used->idx. */
static inline uint16_t vds_used_idx(struct vds *d, unsigned index)
{
	return vds_get16(d, d->q[index].used + 2);
}

/* Used entries the driver has not looked at yet. */
static inline uint16_t vds_used_pending(struct vds *d, unsigned index)
{
	return (uint16_t)(vds_used_idx(d, index) - d->q[index].last_used);
}

/* Takes the next used entry: its id and len. False when there is none. */
static inline bool vds_get_used(struct vds *d, unsigned index, uint16_t *id,
				uint32_t *len)
{
	struct vds_queue *q = &d->q[index];
	uint64_t elem;

	if (vds_used_pending(d, index) == 0)
		return false;
	elem = q->used + 4 + 8ull * (q->last_used % q->size);
	*id = (uint16_t)vds_get32(d, elem);
	*len = vds_get32(d, elem + 4);
	q->last_used++;
	assert_true(*id < q->size);
	assert_true(q->chain_descs[*id] > 0);
	q->in_flight = (uint16_t)(q->in_flight - q->chain_descs[*id]);
	q->chain_descs[*id] = 0;
	return true;
}

/* Takes the next used entry and checks it is `head` with `len` bytes. */
static inline void vds_expect_used(struct vds *d, unsigned index,
				   uint16_t head, uint32_t len)
{
	uint16_t id;
	uint32_t got;

	assert_true(vds_get_used(d, index, &id, &got));
	assert_int_equal(id, head);
	assert_int_equal(got, len);
}

/* avail->flags (VIRTQ_AVAIL_F_NO_INTERRUPT without EVENT_IDX). */
static inline void vds_set_avail_flags(struct vds *d, unsigned index,
				       uint16_t flags)
{
	vds_put16(d, d->q[index].avail, flags);
}

/* used_event (EVENT_IDX): interrupt once used->idx passes it. */
static inline void vds_set_used_event(struct vds *d, unsigned index,
				      uint16_t v)
{
	vds_put16(d, d->q[index].avail + 4 + 2u * d->q[index].size, v);
}

/* avail_event (EVENT_IDX): the device wants a notification once
 * avail->idx passes it. */
static inline uint16_t vds_avail_event(struct vds *d, unsigned index)
{
	return vds_get16(d, d->q[index].used + 4 + 8u * d->q[index].size);
}

/* Whether Linux's driver would notify after moving avail->idx from
 * old_idx to the current one (virtqueue_kick_prepare_split). */
static inline bool vds_should_notify(struct vds *d, unsigned index,
				     uint16_t old_idx, bool event_idx)
{
	uint16_t new_idx = d->q[index].avail_idx;

	if (event_idx)
		return (uint16_t)(new_idx - vds_avail_event(d, index) - 1) <
		       (uint16_t)(new_idx - old_idx);
	return !(vds_get16(d, d->q[index].used) & VIRTQ_USED_F_NO_NOTIFY);
}

#endif
