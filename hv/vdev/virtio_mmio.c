/* The virtio-mmio transport, version 2 (virtio 1.2, section 4.2). See
 * vdev/virtio_mmio.h and docs/virtio.md. Every register access runs under
 * t->lock; the interrupt it may leave pending is raised after unlocking. */
#include <stdarg.h>

#include "vdev/virtio_mmio.h"
#include "lib/format.h"
#include "lib/string.h"

/* Feature bits 24 to 41 belong to the transport and the queues (6): the
 * transport offers the ones it implements and no device model may offer
 * others (packed rings, RING_RESET, NOTIFICATION_DATA...). */
#define TRANSPORT_FEATURE_MASK (((1ull << 42) - 1) & ~((1ull << 24) - 1))
#define TRANSPORT_FEATURES \
	(VIRTIO_F_VERSION_1 | VIRTIO_F_EVENT_IDX | VIRTIO_F_INDIRECT_DESC)

/* The status bits the driver sets (2.1); DEVICE_NEEDS_RESET is the
 * device's. */
#define STATUS_DRIVER_BITS                                          \
	(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |          \
	 VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_FEATURES_OK |       \
	 VIRTIO_STATUS_FAILED)

/* 4.2.2: a region that SHMSel does not name reads as length -1. */
#define SHM_NONE 0xffffffffu

static unsigned num_queues(const struct virtio_mmio *t)
{
	unsigned n = t->ops->num_queues;

	return n < VIRTIO_MMIO_MAX_QUEUES ? n : VIRTIO_MMIO_MAX_QUEUES;
}

static uint64_t device_features(const struct virtio_mmio *t)
{
	return (t->ops->features & ~TRANSPORT_FEATURE_MASK) | TRANSPORT_FEATURES;
}

/* The queue QueueSel names, or NULL when the device has no such queue. */
static struct virtq *selected_queue(struct virtio_mmio *t)
{
	return t->queue_sel < num_queues(t) ? &t->queues[t->queue_sel] : NULL;
}

static void log_line(struct virtio_mmio *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void log_line(struct virtio_mmio *t, const char *fmt, ...)
{
	char line[160];
	va_list ap;

	if (!t->host.log)
		return;
	va_start(ap, fmt);
	fmt_vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	t->host.log(t->host.ctx, line);
}

void virtio_mmio_init(struct virtio_mmio *t, const struct virtio_device_ops *ops,
		      void *dev, const struct virtio_mmio_host *host,
		      const struct virtq_memory *mem)
{
	memset(t, 0, sizeof(*t));
	t->lock = (struct spinlock)SPINLOCK_INIT;
	t->ops = ops;
	t->dev = dev;
	t->host = *host;
	t->mem = *mem;
}

void virtio_mmio_lock(struct virtio_mmio *t)
{
	spin_lock(&t->lock);
}

void virtio_mmio_unlock_and_flush_irq(struct virtio_mmio *t)
{
	bool raise = t->irq_pending;

	t->irq_pending = false;
	spin_unlock(&t->lock);
	if (raise && t->host.raise_irq)
		t->host.raise_irq(t->host.ctx);
}

bool virtio_mmio_running(const struct virtio_mmio *t)
{
	uint32_t status = __atomic_load_n(&t->status, __ATOMIC_RELAXED);

	return (status & VIRTIO_STATUS_DRIVER_OK) &&
	       !(status & (VIRTIO_STATUS_DEVICE_NEEDS_RESET |
			   VIRTIO_STATUS_FAILED));
}

/* Each event gets its own edge: the line is edge-triggered, and the driver
 * acknowledges only the bits it read. */
static void post_interrupt(struct virtio_mmio *t, uint32_t bit)
{
	t->interrupt_status |= bit;
	t->irq_pending = true;
}

/* A device that failed used nothing (its loop stopped at the error): no
 * interrupt for buffers, only the config one needs_reset sent. */
void virtio_mmio_notify_used(struct virtio_mmio *t, unsigned index)
{
	if (index >= num_queues(t) || !t->queues[index].enabled ||
	    (t->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET))
		return;
	if (virtq_should_interrupt(&t->queues[index], &t->mem))
		post_interrupt(t, VIRTIO_MMIO_INT_VRING);
}

/* 2.1.2: the device sets DEVICE_NEEDS_RESET and sends a configuration
 * change notification. One line per failure: the first error stops the
 * device, so what follows is its consequence. */
void virtio_mmio_needs_reset(struct virtio_mmio *t, const char *what)
{
	if (t->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET)
		return;
	t->status |= VIRTIO_STATUS_DEVICE_NEEDS_RESET;
	post_interrupt(t, VIRTIO_MMIO_INT_CONFIG);
	log_line(t, "%s: %s", t->ops->name, what);
}

void virtio_mmio_config_changed(struct virtio_mmio *t)
{
	t->config_generation++;
	post_interrupt(t, VIRTIO_MMIO_INT_CONFIG);
}

static void queue_failed(struct virtio_mmio *t, unsigned index,
			 const char *what)
{
	char line[120];

	fmt_snprintf(line, sizeof(line), "queue %u: %s", index, what);
	virtio_mmio_needs_reset(t, line);
}

void virtio_mmio_queue_error(struct virtio_mmio *t, unsigned index,
			     enum virtq_error e)
{
	queue_failed(t, index, virtq_error_str(e));
}

bool virtio_mmio_pop(struct virtio_mmio *t, unsigned index,
		     struct virtq_chain *c)
{
	struct virtq *q = &t->queues[index];

	while (virtio_mmio_running(t) && q->enabled) {
		bool got = false;
		enum virtq_error e = virtq_pop(q, &t->mem, c, &got);

		if (e != VIRTQ_OK) {
			virtio_mmio_queue_error(t, index, e);
			return false;
		}
		if (got)
			return true;
		/* Empty: re-arm, and look once more for a chain that came in
		 * between (docs/virtio.md, "The queues"). */
		if (!virtq_enable_notify(q, &t->mem, true))
			return false;
	}
	return false;
}

bool virtio_mmio_push(struct virtio_mmio *t, unsigned index, uint16_t head,
		      uint32_t written)
{
	enum virtq_error e = virtq_push(&t->queues[index], &t->mem, head, written);

	if (e != VIRTQ_OK)
		virtio_mmio_queue_error(t, index, e);
	return e == VIRTQ_OK;
}

/* Status 0 (4.2.2, 2.4): everything the driver set up is forgotten. The
 * generation keeps counting so a driver never sees an old value again. */
static void reset_device(struct virtio_mmio *t)
{
	t->status = 0;
	t->device_features_sel = 0;
	t->driver_features_sel = 0;
	t->driver_features = 0;
	t->queue_sel = 0;
	t->interrupt_status = 0;
	t->irq_pending = false;
	for (unsigned i = 0; i < VIRTIO_MMIO_MAX_QUEUES; i++)
		virtq_reset(&t->queues[i]);
	if (t->ops->reset)
		t->ops->reset(t->dev);
}

/* ------------------------------------------------------------ registers */

static uint32_t half_of(uint64_t value, uint32_t sel)
{
	if (sel == 0)
		return (uint32_t)value;
	if (sel == 1)
		return (uint32_t)(value >> 32);
	return 0;
}

static void set_half(uint64_t *value, bool high, uint32_t half)
{
	if (high)
		*value = (*value & 0xffffffffull) | ((uint64_t)half << 32);
	else
		*value = (*value & ~0xffffffffull) | half;
}

static uint32_t register_read(struct virtio_mmio *t, uint32_t offset)
{
	struct virtq *q = selected_queue(t);

	switch (offset) {
	case VIRTIO_MMIO_MAGIC_VALUE: return VIRTIO_MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION: return VIRTIO_MMIO_VERSION_MODERN;
	case VIRTIO_MMIO_DEVICE_ID: return t->ops->device_id;
	case VIRTIO_MMIO_VENDOR_ID: return VIRTIO_VENDOR_VESTA;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		return half_of(device_features(t), t->device_features_sel);
	case VIRTIO_MMIO_QUEUE_NUM_MAX: return q ? VIRTQ_MAX_SIZE : 0;
	case VIRTIO_MMIO_QUEUE_READY: return q && q->enabled;
	case VIRTIO_MMIO_INTERRUPT_STATUS: return t->interrupt_status;
	case VIRTIO_MMIO_STATUS: return t->status;
	case VIRTIO_MMIO_SHM_LEN_LOW:
	case VIRTIO_MMIO_SHM_LEN_HIGH:
	case VIRTIO_MMIO_SHM_BASE_LOW:
	case VIRTIO_MMIO_SHM_BASE_HIGH:
		return SHM_NONE;
	case VIRTIO_MMIO_CONFIG_GENERATION: return t->config_generation;
	}
	/* Write-only registers, QueueReset (RING_RESET is not offered) and
	 * holes. */
	return 0;
}

/* Features may change until the driver sets FEATURES_OK (3.1.1 step 5);
 * after that the negotiated set is fixed until reset. */
static void driver_features_write(struct virtio_mmio *t, uint32_t value)
{
	if (t->status & VIRTIO_STATUS_FEATURES_OK)
		return;
	if (t->driver_features_sel <= 1)
		set_half(&t->driver_features, t->driver_features_sel == 1, value);
}

/* QueueNum and the ring addresses may not change while the queue is ready
 * (4.2.2.2): such a write is dropped, and said once. Returns the queue to
 * write to, or NULL. */
static struct virtq *queue_layout_target(struct virtio_mmio *t)
{
	struct virtq *q = selected_queue(t);

	if (!q || !q->enabled)
		return q;
	if (!t->logged_layout_write) {
		t->logged_layout_write = true;
		log_line(t, "%s: queue %u: the driver rewrote the layout of a "
			 "ready queue; ignored", t->ops->name, t->queue_sel);
	}
	return NULL;
}

static void queue_num_write(struct virtio_mmio *t, uint32_t value)
{
	struct virtq *q = queue_layout_target(t);

	/* Too large for the field: kept as an invalid size, which QueueReady
	 * then refuses. */
	if (q)
		q->size = value > UINT16_MAX ? UINT16_MAX : (uint16_t)value;
}

static void queue_addr_write(struct virtio_mmio *t, uint32_t offset,
			     uint32_t value)
{
	struct virtq *q = queue_layout_target(t);
	bool high = offset & 4;

	if (!q)
		return;
	switch (offset & ~4u) {
	case VIRTIO_MMIO_QUEUE_DESC_LOW: set_half(&q->desc_addr, high, value); break;
	case VIRTIO_MMIO_QUEUE_DRIVER_LOW: set_half(&q->avail_addr, high, value); break;
	case VIRTIO_MMIO_QUEUE_DEVICE_LOW: set_half(&q->used_addr, high, value); break;
	}
}

/* QueueReady = 1 checks the layout against the guest's RAM; a bad one
 * fails the device. Queues come after FEATURES_OK (3.1.1 step 7), which
 * fixes how their rings are read. */
static void queue_ready_write(struct virtio_mmio *t, uint32_t value)
{
	struct virtq *q = selected_queue(t);
	unsigned index = t->queue_sel;

	if (!q)
		return;
	if (value == 0) {
		q->enabled = false;	/* the device stops using it */
		return;
	}
	if (q->enabled || (t->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET))
		return;
	if (!(t->status & VIRTIO_STATUS_FEATURES_OK)) {
		queue_failed(t, index, "enabled before FEATURES_OK");
		return;
	}
	q->event_idx = t->driver_features & VIRTIO_F_EVENT_IDX;
	q->indirect = t->driver_features & VIRTIO_F_INDIRECT_DESC;
	enum virtq_error e = virtq_enable(q, &t->mem);
	if (e != VIRTQ_OK)
		virtio_mmio_queue_error(t, index, e);
}

static void queue_notify_write(struct virtio_mmio *t, uint32_t index)
{
	if (!virtio_mmio_running(t) || index >= num_queues(t) ||
	    !t->queues[index].enabled)
		return;
	if (t->ops->queue_notify)
		t->ops->queue_notify(t->dev, t, index);
	if (t->ops->queue_notify_unlocked)
		t->unlocked_notify |= 1u << index;
}

/* 3.1.1 step 5: the driver's features must be ones we offered, and a
 * version-2 transport needs VERSION_1. */
static bool features_acceptable(const struct virtio_mmio *t)
{
	return !(t->driver_features & ~device_features(t)) &&
	       (t->driver_features & VIRTIO_F_VERSION_1);
}

/* The driver never clears a status bit but by writing 0 (2.1.1); bits it
 * tries to clear stay set, as Linux always writes old | new. */
static void status_write(struct virtio_mmio *t, uint32_t value)
{
	uint32_t old = t->status;
	uint32_t added = value & STATUS_DRIVER_BITS & ~old;

	if (value == 0) {
		reset_device(t);
		return;
	}
	if ((added & VIRTIO_STATUS_FEATURES_OK) && !features_acceptable(t))
		added &= ~VIRTIO_STATUS_FEATURES_OK;	/* reads back clear */
	t->status = old | added;
	if (!(added & VIRTIO_STATUS_DRIVER_OK))
		return;
	if (!(t->status & VIRTIO_STATUS_FEATURES_OK))
		virtio_mmio_needs_reset(t, "DRIVER_OK without FEATURES_OK");
	else if (virtio_mmio_running(t) && t->ops->driver_ok)
		t->ops->driver_ok(t->dev, t);
}

static void register_write(struct virtio_mmio *t, uint32_t offset,
			   uint32_t value)
{
	switch (offset) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL: t->device_features_sel = value; break;
	case VIRTIO_MMIO_DRIVER_FEATURES: driver_features_write(t, value); break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL: t->driver_features_sel = value; break;
	case VIRTIO_MMIO_QUEUE_SEL: t->queue_sel = value; break;
	case VIRTIO_MMIO_QUEUE_NUM: queue_num_write(t, value); break;
	case VIRTIO_MMIO_QUEUE_READY: queue_ready_write(t, value); break;
	case VIRTIO_MMIO_QUEUE_NOTIFY: queue_notify_write(t, value); break;
	case VIRTIO_MMIO_INTERRUPT_ACK: t->interrupt_status &= ~value; break;
	case VIRTIO_MMIO_STATUS: status_write(t, value); break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
	case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
	case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
	case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
	case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
		queue_addr_write(t, offset, value);
		break;
	}
	/* Read-only registers, SHMSel (no regions), QueueReset (not offered)
	 * and holes: ignored. */
}

/* ---------------------------------------------------------- config space */

/* The device sees only accesses of a size it knows, wholly inside its
 * config space. */
static bool config_access_ok(const struct virtio_mmio *t, uint64_t offset,
			     unsigned size)
{
	uint32_t config_size = t->ops->config_size;

	if (size != 1 && size != 2 && size != 4 && size != 8)
		return false;
	return offset <= config_size && size <= config_size - offset;
}

static uint64_t config_read(struct virtio_mmio *t, uint64_t offset,
			    unsigned size)
{
	if (!config_access_ok(t, offset, size) || !t->ops->config_read)
		return 0;
	return t->ops->config_read(t->dev, (uint32_t)offset, size);
}

/* A driver's write changes the config too: a reader on another vCPU must
 * see a new generation. */
static void config_write(struct virtio_mmio *t, uint64_t offset,
			 unsigned size, uint64_t value)
{
	if (!config_access_ok(t, offset, size) || !t->ops->config_write)
		return;
	t->ops->config_write(t->dev, (uint32_t)offset, size, value);
	t->config_generation++;
}

/* ----------------------------------------------------------- the window */

/* 4.2.2.2: the registers below 0x100 are read and written 32 bits at a
 * time, aligned; anything else reads 0 and is dropped. */
static bool register_access_ok(uint64_t offset, unsigned size)
{
	return size == 4 && offset % 4 == 0;
}

uint64_t virtio_mmio_read(struct virtio_mmio *t, uint64_t offset, unsigned size)
{
	uint64_t value = 0;

	spin_lock(&t->lock);
	if (offset >= VIRTIO_MMIO_CONFIG)
		value = config_read(t, offset - VIRTIO_MMIO_CONFIG, size);
	else if (register_access_ok(offset, size))
		value = register_read(t, (uint32_t)offset);
	virtio_mmio_unlock_and_flush_irq(t);
	return value;
}

void virtio_mmio_write(struct virtio_mmio *t, uint64_t offset, unsigned size,
		       uint64_t value)
{
	uint32_t notified;

	spin_lock(&t->lock);
	if (offset >= VIRTIO_MMIO_CONFIG)
		config_write(t, offset - VIRTIO_MMIO_CONFIG, size, value);
	else if (register_access_ok(offset, size))
		register_write(t, (uint32_t)offset, (uint32_t)value);
	notified = t->unlocked_notify;
	t->unlocked_notify = 0;
	virtio_mmio_unlock_and_flush_irq(t);
	for (unsigned i = 0; notified; i++, notified >>= 1)
		if (notified & 1)
			t->ops->queue_notify_unlocked(t->dev, t, i);
}
