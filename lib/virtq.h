/* Split virtqueues, the device's side (virtio 1.2, section 2.7). Every
 * byte of the rings and of the descriptors is written by the guest and is
 * untrusted: each index is checked against the queue size, each address
 * against the guest's RAM, each chain against loops and lengths, and each
 * descriptor is copied out once before it is looked at, so a guest that
 * rewrites a ring while the device reads it gets a consistent (if wrong)
 * chain or an error, never a read outside its memory.
 *
 * The queue reaches guest memory only through struct virtq_memory, so the
 * same code runs in the monitor and, over a flat buffer, in host tests and
 * libFuzzer. */
#ifndef LIB_VIRTQ_H
#define LIB_VIRTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The largest queue our devices offer (QueueNumMax). The split ring allows
 * 32768 (2.7); Linux asks for at most what is offered. */
#define VIRTQ_MAX_SIZE 256

/* The most descriptors one chain may have, indirect table included. Linux
 * stays far below: virtio-blk honours seg_max, virtio-net sends at most
 * MAX_SKB_FRAGS + 2. A longer chain is an error, not a partial read. */
#define VIRTQ_CHAIN_MAX_SEGS 256

/* struct virtq_desc flags, 2.7.5. */
#define VIRTQ_DESC_F_NEXT 1u
#define VIRTQ_DESC_F_WRITE 2u
#define VIRTQ_DESC_F_INDIRECT 4u

/* avail->flags and used->flags, 2.7.6 and 2.7.8 (without EVENT_IDX). */
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1u
#define VIRTQ_USED_F_NO_NOTIFY 1u

/* Ring layout, 2.7: a descriptor is 16 bytes; avail is flags, idx,
 * ring[size], used_event; used is flags, idx, ring[size] of {id, len},
 * avail_event. Alignments: descriptors 16, avail 2, used 4. */
#define VIRTQ_DESC_SIZE 16u
#define VIRTQ_DESC_ALIGN 16u
#define VIRTQ_AVAIL_ALIGN 2u
#define VIRTQ_USED_ALIGN 4u
#define VIRTQ_USED_ELEM_SIZE 8u

/* Guest memory as the queue sees it. Each callback returns false, having
 * copied nothing, when any byte of [gpa, gpa + len) is not the guest's
 * RAM (and when gpa + len wraps). */
struct virtq_memory {
	void *ctx;
	bool (*read)(void *ctx, uint64_t gpa, void *dst, size_t len);
	bool (*write)(void *ctx, uint64_t gpa, const void *src, size_t len);
	bool (*is_ram)(void *ctx, uint64_t gpa, uint64_t len);
};

/* One queue. The transport fills the driver's half as the guest writes the
 * registers and calls virtq_enable when it sets QueueReady; the rest is the
 * device's own progress. Plain data, so it can be saved and restored. */
struct virtq {
	/* Written by the driver (through the transport). */
	uint16_t size;		/* QueueNum: a power of 2, 1..VIRTQ_MAX_SIZE */
	uint64_t desc_addr;
	uint64_t avail_addr;
	uint64_t used_addr;
	/* Negotiated features that change how the rings are read. */
	bool event_idx;		/* VIRTIO_F_EVENT_IDX (bit 29) */
	bool indirect;		/* VIRTIO_F_INDIRECT_DESC (bit 28) */
	/* The device's progress. */
	bool enabled;		/* virtq_enable accepted the layout */
	uint16_t last_avail;	/* the next avail ring entry to take */
	uint16_t used_idx;	/* our used->idx, written after each entry */
	uint16_t signalled_used;	/* used_idx at the last
					 * virtq_should_interrupt */
	bool signalled_used_valid;	/* false until its first call */
};

/* One buffer of a chain, in guest-physical memory, already checked to be
 * RAM. */
struct virtq_seg {
	uint64_t addr;
	uint32_t len;
};

/* A chain taken from the avail ring: the device-readable buffers first,
 * seg[0 .. readable), then the device-writable ones, seg[readable ..
 * count). Zero-length descriptors are dropped. About 4 KiB: keep one in
 * the device model's state, not on a small stack. */
struct virtq_chain {
	uint16_t head;			/* the id to give back in virtq_push */
	uint16_t readable;
	uint16_t count;
	uint32_t readable_len;		/* bytes in the readable buffers */
	uint32_t writable_len;		/* bytes in the writable buffers */
	struct virtq_seg seg[VIRTQ_CHAIN_MAX_SEGS];
};

/* What is wrong with what the guest put in the queue. Any of these leaves
 * the queue unusable: the transport sets DEVICE_NEEDS_RESET and logs
 * virtq_error_str with the domain's name. */
enum virtq_error {
	VIRTQ_OK = 0,
	VIRTQ_ERR_SIZE,			/* size 0, above max, or not a power of 2 */
	VIRTQ_ERR_ALIGN,		/* a ring address misaligned */
	VIRTQ_ERR_RING_NOT_RAM,		/* a ring not wholly in RAM */
	VIRTQ_ERR_AVAIL_IDX,		/* avail->idx ran more than size ahead */
	VIRTQ_ERR_HEAD,			/* a head or next index beyond its
					 * table (size, or an indirect
					 * table's entries) */
	VIRTQ_ERR_LOOP,			/* more descriptors than the table has */
	VIRTQ_ERR_TOO_LONG,		/* more than VIRTQ_CHAIN_MAX_SEGS buffers */
	VIRTQ_ERR_LENGTH,		/* the chain's bytes overflow 32 bits */
	VIRTQ_ERR_BUFFER_NOT_RAM,	/* a buffer not wholly in RAM */
	VIRTQ_ERR_ORDER,		/* a readable buffer after a writable one */
	VIRTQ_ERR_INDIRECT,		/* indirect not negotiated, nested, with
					 * NEXT, or its length not a multiple
					 * of 16 / zero / too long */
	VIRTQ_ERR_DISABLED,		/* the queue is not enabled */
};

const char *virtq_error_str(enum virtq_error e);

/* Checks the layout the driver wrote (size, alignment, each ring wholly in
 * RAM) and resets the device's progress to zero. On success q->enabled. */
enum virtq_error virtq_enable(struct virtq *q, const struct virtq_memory *m);

/* Forgets everything: the state after a device reset. */
void virtq_reset(struct virtq *q);

/* Takes the next available chain. Returns VIRTQ_OK with *c filled and
 * *got true, VIRTQ_OK with *got false when the ring is empty, or an error
 * (nothing taken, *got false). */
enum virtq_error virtq_pop(struct virtq *q, const struct virtq_memory *m,
			   struct virtq_chain *c, bool *got);

/* Gives a chain back with `written` bytes written into its writable
 * buffers: the used element first, then used->idx. */
enum virtq_error virtq_push(struct virtq *q, const struct virtq_memory *m,
			    uint16_t head, uint32_t written);

/* After one or more virtq_push: should the guest be interrupted? Follows
 * used_event with EVENT_IDX (2.7.7.2, vring_need_event: true when
 * used_event lies among the entries pushed since the previous call, and
 * always on the first call), otherwise VIRTQ_AVAIL_F_NO_INTERRUPT. Each
 * call records used_idx as checked, whatever it answers, so call it once
 * per batch and interrupt when it says so. An unreadable ring answers
 * true; a disabled queue false. */
bool virtq_should_interrupt(struct virtq *q, const struct virtq_memory *m);

/* With EVENT_IDX, asks the driver to notify again as soon as it adds a
 * chain (used->avail_event = last_avail; with want_notify false nothing is
 * written: the driver stays quiet once its idx is past the old value);
 * without it, clears or sets VIRTQ_USED_F_NO_NOTIFY as `want_notify` says.
 * Then answers whether chains arrived meanwhile, so a device that stops on
 * an empty ring does not miss one added between its last pop and this
 * call. An unreadable ring or a bad avail->idx answers true (the next pop
 * reports the error); a disabled queue false.
 *
 * With EVENT_IDX the driver notifies only when its avail->idx passes
 * avail_event, which nothing else writes: a device that drains a queue on
 * notification must end each drain with
 *	while (virtq_enable_notify(q, m, true)) { pop until empty again }
 * or the guest stops notifying it after the first chain. */
bool virtq_enable_notify(struct virtq *q, const struct virtq_memory *m,
			 bool want_notify);

/* Copies between a chain's buffers and the device. Offsets count from the
 * start of the readable (or writable) bytes. Return the bytes copied,
 * fewer than len when the buffers end first or a copy fails. */
size_t virtq_chain_read(const struct virtq_chain *c,
			const struct virtq_memory *m, size_t offset, void *dst,
			size_t len);
size_t virtq_chain_write(const struct virtq_chain *c,
			 const struct virtq_memory *m, size_t offset,
			 const void *src, size_t len);

#endif
