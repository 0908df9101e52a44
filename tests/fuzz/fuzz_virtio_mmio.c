/* libFuzzer target: hv/vdev/virtio_mmio.c, the virtio-mmio transport, with
 * a dummy device of two queues behind it that, on a notification, takes
 * every chain, writes a few bytes into it and gives it back.
 *
 * The input is a program of up to MAX_OPS operations, each an opcode byte
 * and its operands (missing bytes read as 0): register reads and writes
 * at any offset and size (offsets mostly from the register table), writes
 * into guest RAM, and a few steps a driver takes in one go (bring the
 * device up the way Linux does, offer a chain, notify), plus device work
 * from outside a register access and config changes. It must never crash.
 *
 * Checked after every operation: the lock is free and no interrupt is left
 * pending (and raise_irq only ever runs unlocked); DEVICE_NEEDS_RESET,
 * once set, stays until a 4-byte write of 0 to Status, and each time it
 * is set one log line says why; FEATURES_OK is only ever shown for a
 * valid feature set, which then stays fixed; a ready queue's layout never
 * changes and is valid; InterruptStatus has only its two bits; the device
 * is notified only while running; every buffer it is given lies in RAM. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "vdev/virtio_mmio.h"
#include "tests/flat_ram.h"

#define CHECK(cond)                      \
	do {                             \
		if (!(cond))             \
			__builtin_trap(); \
	} while (0)

#define MAX_OPS 96
#define RAM_SIZE 0x4000u
#define CONFIG_SIZE 10
/* Bit 33 is a transport bit (ACCESS_PLATFORM): the transport must drop
 * it from what it offers. */
#define DEVICE_FEATURES ((1ull << 0) | (1ull << 5) | (1ull << 33) | (1ull << 50))
#define OFFERED_FEATURES                                                  \
	(((1ull << 0) | (1ull << 5) | (1ull << 50)) | VIRTIO_F_VERSION_1 | \
	 VIRTIO_F_EVENT_IDX | VIRTIO_F_INDIRECT_DESC)
#define NEEDS_RESET VIRTIO_STATUS_DEVICE_NEEDS_RESET

static uint8_t ram[RAM_SIZE];

static struct flat_ram flat = {ram, RAM_SIZE};
static const struct virtq_memory mem = FLAT_RAM_MEMORY(&flat);

static bool in_ram(uint64_t gpa, uint64_t len)
{
	return flat_ram_has(&flat, gpa, len);
}

/* ------------------------------------------------------ the dummy device */

static struct virtio_mmio t;
static uint8_t config[CONFIG_SIZE];
static unsigned reset_logs;	/* log lines other than the layout one */
static bool reset_written;	/* a 4-byte 0 went to Status this op */

static bool locked(void)
{
	return t.lock.next != t.lock.serving;
}

static uint64_t dev_config_read(void *dev, uint32_t offset, unsigned size)
{
	uint64_t v = 0;

	(void)dev;
	CHECK(locked() && offset + size <= CONFIG_SIZE);
	memcpy(&v, config + offset, size);
	return v;
}

static void dev_config_write(void *dev, uint32_t offset, unsigned size,
			     uint64_t value)
{
	(void)dev;
	CHECK(locked() && offset + size <= CONFIG_SIZE);
	memcpy(config + offset, &value, size);
}

static void drain(struct virtio_mmio *tr, unsigned index)
{
	static struct virtq_chain c;
	struct virtq *q = &tr->queues[index];

	CHECK(locked());
	/* A few passes: the device's own writes may land in the avail ring. */
	for (unsigned pass = 0; pass < 4; pass++) {
		for (;;) {
			bool got;
			enum virtq_error e = virtq_pop(q, &tr->mem, &c, &got);
			if (e != VIRTQ_OK) {
				virtio_mmio_queue_error(tr, index, e);
				return;
			}
			if (!got)
				break;
			for (unsigned i = 0; i < c.count; i++)
				CHECK(in_ram(c.seg[i].addr, c.seg[i].len));
			size_t n = virtq_chain_write(&c, &tr->mem, 0, "done", 4);
			CHECK(n == (c.writable_len < 4 ? c.writable_len : 4));
			CHECK(virtq_push(q, &tr->mem, c.head, (uint32_t)n) ==
			      VIRTQ_OK);
		}
		if (!virtq_enable_notify(q, &tr->mem, true))
			break;
	}
	virtio_mmio_notify_used(tr, index);
}

static void dev_queue_notify(void *dev, struct virtio_mmio *tr, unsigned index)
{
	(void)dev;
	CHECK(tr == &t && index < 2 && tr->queues[index].enabled);
	CHECK(virtio_mmio_running(tr));
	drain(tr, index);
}

static void dev_driver_ok(void *dev, struct virtio_mmio *tr)
{
	(void)dev;
	CHECK(locked() && virtio_mmio_running(tr));
}

static void dev_reset(void *dev)
{
	(void)dev;
	CHECK(locked());
}

static const struct virtio_device_ops ops = {
	.name = "virtio-fuzz",
	.device_id = VIRTIO_ID_CONSOLE,
	.features = DEVICE_FEATURES,
	.num_queues = 2,
	.config_size = CONFIG_SIZE,
	.config_read = dev_config_read,
	.config_write = dev_config_write,
	.queue_notify = dev_queue_notify,
	.driver_ok = dev_driver_ok,
	.reset = dev_reset,
};

static void host_raise_irq(void *ctx)
{
	(void)ctx;
	CHECK(!locked());
}

static void host_log(void *ctx, const char *line)
{
	(void)ctx;
	CHECK(locked());
	CHECK(strncmp(line, "virtio-fuzz: ", 13) == 0);
	if (!strstr(line, "rewrote the layout"))
		reset_logs++;
}

static const struct virtio_mmio_host host = {
	.raise_irq = host_raise_irq, .log = host_log,
};

/* ------------------------------------------------------------- input */

struct input {
	const uint8_t *p;
	size_t n;
};

static uint64_t take(struct input *in, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes; i++) {
		uint8_t b = 0;
		if (in->n) {
			b = *in->p++;
			in->n--;
		}
		v |= (uint64_t)b << (8 * i);
	}
	return v;
}

static const uint32_t registers[] = {
	0x000, 0x004, 0x008, 0x00c, 0x010, 0x014, 0x020, 0x024, 0x030,
	0x034, 0x038, 0x044, 0x050, 0x060, 0x064, 0x070, 0x080, 0x084,
	0x090, 0x094, 0x0a0, 0x0a4, 0x0ac, 0x0b0, 0x0b4, 0x0b8, 0x0bc,
	0x0c0, 0x0fc, 0x100, 0x102, 0x104, 0x108, 0x10a, 0x1000,
};
#define NREGISTERS (sizeof(registers) / sizeof(registers[0]))

static const unsigned sizes[] = {4, 4, 4, 4, 1, 2, 8, 3};

static const uint32_t values[] = {
	0, 1, 2, 3, 4, 8, 16, 64, 128, 256, 512, 0x10004, 0xffffffffu,
	VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER,
	VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
		VIRTIO_STATUS_FEATURES_OK,
	VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
		VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK,
	(uint32_t)(VIRTIO_F_EVENT_IDX | VIRTIO_F_INDIRECT_DESC | 0x21),
	0x1000, 0x2000, 0x3000,
};
#define NVALUES (sizeof(values) / sizeof(values[0]))

static uint64_t pick_offset(struct input *in)
{
	uint8_t b = (uint8_t)take(in, 1);

	if (b < 0xe0)
		return registers[b % NREGISTERS];
	if (b < 0xf0)
		return take(in, 2) & 0xfff;
	return take(in, 8);
}

static uint32_t pick_value(struct input *in)
{
	uint8_t b = (uint8_t)take(in, 1);

	if (b < 0xc0)
		return values[b % NVALUES];
	return (uint32_t)take(in, 4);
}

/* ---------------------------------------------------------- the driver */

/* A reset forgets everything the driver set up (4.2.2.1). */
static void check_reset_state(void)
{
	CHECK(t.status == 0 && t.interrupt_status == 0);
	CHECK(t.driver_features == 0 && t.queue_sel == 0);
	for (unsigned i = 0; i < VIRTIO_MMIO_MAX_QUEUES; i++)
		CHECK(!t.queues[i].enabled && t.queues[i].size == 0);
}

static void wr_sized(uint64_t offset, unsigned size, uint64_t value)
{
	bool is_reset = offset == VIRTIO_MMIO_STATUS && size == 4 &&
			(uint32_t)value == 0;

	virtio_mmio_write(&t, offset, size, value);
	if (is_reset) {
		reset_written = true;
		check_reset_state();
	}
}

static void wr(uint32_t offset, uint32_t value)
{
	wr_sized(offset, 4, value);
}

static uint32_t rd(uint32_t offset)
{
	return (uint32_t)virtio_mmio_read(&t, offset, 4);
}

/* Queue q's rings: one of a few layouts, some bad. */
static void ring_addrs(unsigned q, uint8_t layout, uint64_t a[3])
{
	uint64_t base = 0x400 + 0x1000 * (uint64_t)q;

	a[0] = base;
	a[1] = base + 0x200;
	a[2] = base + 0x400;
	if (layout == 1)
		a[2] = RAM_SIZE - 8;		/* used ring past RAM */
	if (layout == 2)
		a[0] += 8;			/* misaligned */
	if (layout == 3)
		a[1] = 0x100000000ull;		/* not RAM at all */
}

static void setup_queue(struct input *in, unsigned q)
{
	uint8_t b = (uint8_t)take(in, 1);
	uint64_t a[3];

	ring_addrs(q, b >> 6 == 3 ? (b & 3) : 0, a);
	wr(VIRTIO_MMIO_QUEUE_SEL, q);
	(void)rd(VIRTIO_MMIO_QUEUE_READY);
	wr(VIRTIO_MMIO_QUEUE_NUM, (b & 0x30) ? 8 : (uint32_t)1 << (b & 15));
	wr(VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)a[0]);
	wr(VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(a[0] >> 32));
	wr(VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)a[1]);
	wr(VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(a[1] >> 32));
	wr(VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)a[2]);
	wr(VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(a[2] >> 32));
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
}

/* Linux's order: reset, ACK, DRIVER, features, FEATURES_OK, queues,
 * DRIVER_OK. */
static void bring_up(struct input *in)
{
	uint8_t b = (uint8_t)take(in, 1);

	wr(VIRTIO_MMIO_STATUS, 0);
	wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	uint64_t features = (uint64_t)rd(VIRTIO_MMIO_DEVICE_FEATURES) << 32;
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	features |= rd(VIRTIO_MMIO_DEVICE_FEATURES);
	CHECK(features == OFFERED_FEATURES);
	if (b & 1)
		features &= ~VIRTIO_F_EVENT_IDX;
	if (b & 2)
		features &= ~VIRTIO_F_INDIRECT_DESC;
	if (b & 4)
		features ^= 1ull << (b >> 3);	/* one bit wrong, maybe bad */
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
	wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				       VIRTIO_STATUS_FEATURES_OK);
	if (!(rd(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK))
		return;
	setup_queue(in, 0);
	setup_queue(in, 1);
	wr(VIRTIO_MMIO_STATUS, rd(VIRTIO_MMIO_STATUS) | VIRTIO_STATUS_DRIVER_OK);
}

static void put16(uint64_t gpa, uint16_t v)
{
	if (in_ram(gpa, 2)) {
		ram[gpa] = (uint8_t)v;
		ram[gpa + 1] = (uint8_t)(v >> 8);
	}
}

/* Writes up to three descriptors into queue q's table (from what the
 * transport holds, as the driver knows it) and makes the first available. */
static void offer(struct input *in)
{
	uint8_t b = (uint8_t)take(in, 1);
	struct virtq *q = &t.queues[b & 1];
	unsigned n = 1 + (b >> 1) % 3;
	uint16_t size = q->size ? q->size : 1;
	uint16_t head = (uint16_t)(take(in, 1) % size);

	for (unsigned i = 0; i < n; i++) {
		uint16_t index = (uint16_t)((head + i) % size);
		uint64_t d = q->desc_addr + 16ull * index;
		uint8_t flags = (uint8_t)take(in, 1);
		uint64_t addr = 0x3000 + (take(in, 2) & 0x3fff);
		uint32_t len = (uint32_t)take(in, 1) << (flags >> 5);
		if (!in_ram(d, 16))
			return;
		memcpy(ram + d, &addr, 8);
		memcpy(ram + d + 8, &len, 4);
		put16(d + 12, (uint16_t)((flags & 7) | (i + 1 < n ? 1 : 0)));
		put16(d + 14, (uint16_t)((head + i + 1) % size));
	}
	uint16_t idx = in_ram(q->avail_addr + 2, 2)
			       ? (uint16_t)(ram[q->avail_addr + 2] |
					    ram[q->avail_addr + 3] << 8)
			       : 0;
	put16(q->avail_addr + 4 + 2 * (idx % size), head);
	put16(q->avail_addr + 2, (uint16_t)(idx + 1));
}

/* ------------------------------------------------------------ checks */

struct snapshot {
	uint32_t status;
	uint64_t driver_features;
	struct virtq queues[2];
};

static void take_snapshot(struct snapshot *s)
{
	s->status = t.status;
	s->driver_features = t.driver_features;
	memcpy(s->queues, t.queues, sizeof(s->queues));
}

static bool valid_features(uint64_t f)
{
	return !(f & ~OFFERED_FEATURES) && (f & VIRTIO_F_VERSION_1);
}

static void check_queue(const struct virtq *before, const struct virtq *q,
			bool reset)
{
	if (!q->enabled)
		return;
	CHECK(q->size && q->size <= VIRTQ_MAX_SIZE && !(q->size & (q->size - 1)));
	CHECK(in_ram(q->desc_addr, 16ull * q->size));
	CHECK(in_ram(q->avail_addr, 6 + 2ull * q->size));
	CHECK(in_ram(q->used_addr, 6 + 8ull * q->size));
	CHECK(q->event_idx == !!(t.driver_features & VIRTIO_F_EVENT_IDX));
	CHECK(q->indirect == !!(t.driver_features & VIRTIO_F_INDIRECT_DESC));
	if (before->enabled && !reset)
		CHECK(q->size == before->size &&
		      q->desc_addr == before->desc_addr &&
		      q->avail_addr == before->avail_addr &&
		      q->used_addr == before->used_addr);
}

static void check_after(const struct snapshot *before, unsigned *resets_set)
{
	bool reset = reset_written;

	CHECK(!locked() && !t.irq_pending);
	CHECK(!(t.interrupt_status & ~3u));
	if ((before->status & NEEDS_RESET) && !reset)
		CHECK(t.status & NEEDS_RESET);
	if ((t.status & NEEDS_RESET) && (reset || !(before->status & NEEDS_RESET)))
		(*resets_set)++;
	CHECK(*resets_set == reset_logs);
	if (t.status & NEEDS_RESET)
		CHECK(!virtio_mmio_running(&t));
	if (t.status & VIRTIO_STATUS_FEATURES_OK) {
		CHECK(valid_features(t.driver_features));
		if ((before->status & VIRTIO_STATUS_FEATURES_OK) && !reset)
			CHECK(t.driver_features == before->driver_features);
	}
	for (unsigned i = 0; i < 2; i++)
		check_queue(&before->queues[i], &t.queues[i], reset);
	for (unsigned i = 2; i < VIRTIO_MMIO_MAX_QUEUES; i++)
		CHECK(!t.queues[i].enabled);
}

static void check_read(uint64_t offset, unsigned size, uint64_t v)
{
	if (offset >= VIRTIO_MMIO_CONFIG) {
		uint64_t c = offset - VIRTIO_MMIO_CONFIG;
		bool ok = (size == 1 || size == 2 || size == 4 || size == 8) &&
			  c + size <= CONFIG_SIZE;
		uint64_t want = 0;
		if (ok)
			memcpy(&want, config + c, size);
		CHECK(v == want);
		return;
	}
	if (size != 4 || offset % 4) {
		CHECK(v == 0);
		return;
	}
	CHECK(v <= 0xffffffffu);
	switch (offset) {
	case VIRTIO_MMIO_MAGIC_VALUE: CHECK(v == VIRTIO_MMIO_MAGIC); break;
	case VIRTIO_MMIO_VERSION: CHECK(v == 2); break;
	case VIRTIO_MMIO_QUEUE_READY: CHECK(v <= 1); break;
	case VIRTIO_MMIO_QUEUE_NUM_MAX: CHECK(v == 0 || v == VIRTQ_MAX_SIZE); break;
	case VIRTIO_MMIO_STATUS: CHECK(v == t.status); break;
	case VIRTIO_MMIO_INTERRUPT_STATUS: CHECK(v <= 3); break;
	case VIRTIO_MMIO_QUEUE_RESET: CHECK(v == 0); break;
	}
}

/* ----------------------------------------------------------- the run */

static void step(struct input *in)
{
	uint8_t op = (uint8_t)take(in, 1);

	switch (op % 10) {
	case 0:
	case 1: {
		uint64_t offset = pick_offset(in);
		unsigned size = sizes[take(in, 1) % 8];
		check_read(offset, size, virtio_mmio_read(&t, offset, size));
		break;
	}
	case 2:
	case 3: {
		uint64_t offset = pick_offset(in);
		unsigned size = sizes[take(in, 1) % 8];
		wr_sized(offset, size, pick_value(in));
		break;
	}
	case 4: {
		uint16_t gpa = (uint16_t)(take(in, 2) % RAM_SIZE);
		unsigned len = (unsigned)take(in, 1) % 9;
		for (unsigned i = 0; i < len && gpa + i < RAM_SIZE; i++)
			ram[gpa + i] = (uint8_t)take(in, 1);
		break;
	}
	case 5: bring_up(in); break;
	case 6: offer(in); break;
	case 7: wr(VIRTIO_MMIO_QUEUE_NOTIFY, (uint32_t)take(in, 1) % 3); break;
	case 8: {
		/* Device work from elsewhere, which checks it may run. */
		unsigned index = (unsigned)take(in, 1) & 1;
		virtio_mmio_lock(&t);
		if (virtio_mmio_running(&t) && t.queues[index].enabled)
			drain(&t, index);
		virtio_mmio_unlock_and_flush_irq(&t);
		break;
	}
	case 9:
		virtio_mmio_lock(&t);
		virtio_mmio_config_changed(&t);
		virtio_mmio_unlock_and_flush_irq(&t);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = {data, size};
	struct snapshot before;
	unsigned resets_set = 0;

	memset(ram, 0, sizeof(ram));
	for (unsigned i = 0; i < CONFIG_SIZE; i++)
		config[i] = (uint8_t)(0xc0 + i);
	reset_logs = 0;
	virtio_mmio_init(&t, &ops, NULL, &host, &mem);
	for (unsigned i = 0; i < MAX_OPS && in.n; i++) {
		take_snapshot(&before);
		reset_written = false;
		step(&in);
		check_after(&before, &resets_set);
	}
	return 0;
}
