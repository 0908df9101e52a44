/* The virtio-mmio transport, version 2 (virtio 1.2, section 4.2.2): the
 * register window through which a guest driver finds a device, agrees on
 * features, lays out its queues and notifies them. One instance per
 * device; the device model behind it (console, block, network, entropy)
 * is a struct virtio_device_ops.
 *
 * The guest controls every value written here. A write that breaks the
 * protocol (a queue enabled with a bad layout, a queue that goes wrong
 * while running) puts the device in DEVICE_NEEDS_RESET and logs one line
 * through `log` naming the domain; the guest's driver must reset it. */
#ifndef VDEV_VIRTIO_MMIO_H
#define VDEV_VIRTIO_MMIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/spinlock.h"
#include "lib/virtq.h"

/* The window each device occupies (4.2.2: registers up to 0x100, device
 * config from 0x100). */
#define VIRTIO_MMIO_WINDOW_SIZE 0x1000u
#define VIRTIO_MMIO_MAX_QUEUES 4

/* Register offsets, 4.2.2, table "MMIO Device Register Layout". */
#define VIRTIO_MMIO_MAGIC_VALUE 0x000		/* "virt" */
#define VIRTIO_MMIO_VERSION 0x004		/* 2: the modern layout */
#define VIRTIO_MMIO_DEVICE_ID 0x008
#define VIRTIO_MMIO_VENDOR_ID 0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES 0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES 0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL 0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX 0x034
#define VIRTIO_MMIO_QUEUE_NUM 0x038
#define VIRTIO_MMIO_QUEUE_READY 0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY 0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS 0x060
#define VIRTIO_MMIO_INTERRUPT_ACK 0x064
#define VIRTIO_MMIO_STATUS 0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW 0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH 0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW 0x090	/* the avail ring */
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH 0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW 0x0a0	/* the used ring */
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH 0x0a4
#define VIRTIO_MMIO_SHM_SEL 0x0ac
#define VIRTIO_MMIO_SHM_LEN_LOW 0x0b0
#define VIRTIO_MMIO_SHM_LEN_HIGH 0x0b4
#define VIRTIO_MMIO_SHM_BASE_LOW 0x0b8
#define VIRTIO_MMIO_SHM_BASE_HIGH 0x0bc
#define VIRTIO_MMIO_QUEUE_RESET 0x0c0
#define VIRTIO_MMIO_CONFIG_GENERATION 0x0fc
#define VIRTIO_MMIO_CONFIG 0x100

#define VIRTIO_MMIO_MAGIC 0x74726976u		/* "virt", little-endian */
#define VIRTIO_MMIO_VERSION_MODERN 2u
#define VIRTIO_VENDOR_VESTA 0x56455354u		/* "VEST" */

/* Device status bits, 2.1. */
#define VIRTIO_STATUS_ACKNOWLEDGE 1u
#define VIRTIO_STATUS_DRIVER 2u
#define VIRTIO_STATUS_DRIVER_OK 4u
#define VIRTIO_STATUS_FEATURES_OK 8u
#define VIRTIO_STATUS_DEVICE_NEEDS_RESET 64u
#define VIRTIO_STATUS_FAILED 128u

/* InterruptStatus bits, 4.2.2. */
#define VIRTIO_MMIO_INT_VRING 1u
#define VIRTIO_MMIO_INT_CONFIG 2u

/* Device-independent feature bits, 6. */
#define VIRTIO_F_INDIRECT_DESC (1ull << 28)
#define VIRTIO_F_EVENT_IDX (1ull << 29)
#define VIRTIO_F_VERSION_1 (1ull << 32)

/* Device ids, 5. */
#define VIRTIO_ID_NET 1u
#define VIRTIO_ID_BLOCK 2u
#define VIRTIO_ID_CONSOLE 3u
#define VIRTIO_ID_RNG 4u

struct virtio_mmio;

/* The device model behind a transport. Callbacks run with the transport's
 * lock held, on whichever CPU made the access. */
struct virtio_device_ops {
	const char *name;		/* "virtio-blk", for log lines */
	uint32_t device_id;		/* VIRTIO_ID_* */
	uint64_t features;		/* the device's own bits; the transport
					 * adds VERSION_1, EVENT_IDX, INDIRECT
					 * and drops any other of bits 24-41
					 * (transport features) */
	unsigned num_queues;		/* 1..VIRTIO_MMIO_MAX_QUEUES */
	uint32_t config_size;		/* bytes of device config space */
	/* Device config space, read and written at `offset` (already checked
	 * to lie inside config_size), size 1, 2, 4 or 8. */
	uint64_t (*config_read)(void *dev, uint32_t offset, unsigned size);
	void (*config_write)(void *dev, uint32_t offset, unsigned size,
			     uint64_t value);
	/* The driver notified queue `index` (already checked < num_queues
	 * and enabled, and the device is DRIVER_OK). */
	void (*queue_notify)(void *dev, struct virtio_mmio *t, unsigned index);
	/* The same, after the transport's lock is dropped, for a device that
	 * takes other locks to do the work (the network switch, and through
	 * it other domains' transports): it takes this one itself
	 * (virtio_mmio_lock) around its queue operations. */
	void (*queue_notify_unlocked)(void *dev, struct virtio_mmio *t,
				      unsigned index);
	/* The driver set DRIVER_OK: the device may start using its queues. */
	void (*driver_ok)(void *dev, struct virtio_mmio *t);
	/* The device was reset (status 0 written): forget in-flight work. */
	void (*reset)(void *dev);
};

/* Where the transport reports to: the interrupt line and the log. `log`
 * is called with the transport's lock held; `raise_irq` never is. */
struct virtio_mmio_host {
	void *ctx;
	/* Raise the device's (edge-triggered) interrupt. */
	void (*raise_irq)(void *ctx);
	/* One log line about what the guest did wrong, without a newline. */
	void (*log)(void *ctx, const char *line);
};

struct virtio_mmio {
	/* Register accesses, notifications and device work from other CPUs
	 * (a frame switched in from another domain, console input). */
	struct spinlock lock;
	const struct virtio_device_ops *ops;
	void *dev;
	struct virtio_mmio_host host;
	struct virtq_memory mem;
	/* Guest-visible registers. */
	uint32_t status;
	uint32_t device_features_sel;
	uint32_t driver_features_sel;
	uint64_t driver_features;
	uint32_t queue_sel;
	uint32_t interrupt_status;
	uint32_t config_generation;
	bool irq_pending;	/* raise after unlocking */
	uint32_t unlocked_notify;	/* queues for queue_notify_unlocked */
	/* The driver rewrote a ready queue's layout: logged once per
	 * transport, not per write (a reset does not clear it). */
	bool logged_layout_write;
	struct virtq queues[VIRTIO_MMIO_MAX_QUEUES];
};

void virtio_mmio_init(struct virtio_mmio *t, const struct virtio_device_ops *ops,
		      void *dev, const struct virtio_mmio_host *host,
		      const struct virtq_memory *mem);

/* Register accesses at `offset` into the window, as the MMIO bus hands
 * them over. Registers below 0x100 are 32 bits wide: other sizes read as
 * zero and are ignored on write (4.2.2.2). Never fail: a guest cannot
 * crash itself by poking the window. */
uint64_t virtio_mmio_read(struct virtio_mmio *t, uint64_t offset, unsigned size);
void virtio_mmio_write(struct virtio_mmio *t, uint64_t offset, unsigned size,
		       uint64_t value);

/* For device models, with t->lock held: signal used buffers on queue
 * `index` (sets INT_VRING and raises the interrupt if
 * virtq_should_interrupt agrees), and give up on a device whose queue went
 * wrong (NEEDS_RESET, a config interrupt, one log line naming `what`).
 * The interrupt is raised after the lock is dropped: see
 * virtio_mmio_unlock_and_flush_irq. */
void virtio_mmio_notify_used(struct virtio_mmio *t, unsigned index);
void virtio_mmio_needs_reset(struct virtio_mmio *t, const char *what);

/* virtio_mmio_needs_reset for a queue operation that failed with `e`: the
 * line reads "NAME: queue N: what virtq_error_str says". */
void virtio_mmio_queue_error(struct virtio_mmio *t, unsigned index,
			     enum virtq_error e);

/* For device models, with t->lock held: the next chain of queue `index`.
 * False when there is none, having asked the driver to notify again, or
 * when the queue broke (then NEEDS_RESET is set and logged) or the device
 * is not running. Ends with virtio_mmio_notify_used once a batch is
 * pushed. */
bool virtio_mmio_pop(struct virtio_mmio *t, unsigned index,
		     struct virtq_chain *c);
/* Gives a chain back with `written` bytes in its writable buffers; false,
 * NEEDS_RESET set and logged, when the used ring cannot be written. */
bool virtio_mmio_push(struct virtio_mmio *t, unsigned index, uint16_t head,
		      uint32_t written);

/* For device models, with t->lock held: the device changed its config
 * space on its own (a capacity, a console size). Bumps ConfigGeneration
 * and leaves a config-change interrupt pending. */
void virtio_mmio_config_changed(struct virtio_mmio *t);

/* Device work that starts outside a register access (a frame arriving
 * from the switch, console input) takes the lock itself and ends with
 * this, which raises an interrupt that notify_used/needs_reset left
 * pending, outside the lock (the I/O APIC has locks of its own). */
void virtio_mmio_lock(struct virtio_mmio *t);
void virtio_mmio_unlock_and_flush_irq(struct virtio_mmio *t);

/* True once the driver set DRIVER_OK and the device has not failed. */
bool virtio_mmio_running(const struct virtio_mmio *t);

#endif
