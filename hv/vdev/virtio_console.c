/* virtio-console, one port (no VIRTIO_CONSOLE_F_MULTIPORT): queue 0
 * carries input to the guest, queue 1 its output (5.3.2). */
#include "vdev/virtio_console.h"

#include "lib/string.h"

#define RX_QUEUE 0	/* receiveq: to the guest */
#define TX_QUEUE 1	/* transmitq: from the guest */
#define OUTPUT_BLOCK 256u

void virtio_console_init(struct virtio_console *c, void *owner,
			 void (*output)(void *owner, const char *buf, size_t len))
{
	memset(c, 0, sizeof(*c));
	c->owner = owner;
	c->output = output;
}

/* Everything the guest queued for output, to the owner. */
static void drain_output(struct virtio_console *c, struct virtio_mmio *t)
{
	char block[OUTPUT_BLOCK];

	while (virtio_mmio_pop(t, TX_QUEUE, &c->chain)) {
		for (size_t off = 0; off < c->chain.readable_len;) {
			size_t n = virtq_chain_read(&c->chain, &t->mem, off, block,
						    sizeof(block));
			if (n == 0)
				break;
			c->output(c->owner, block, n);
			c->bytes_out += n;
			off += n;
		}
		if (!virtio_mmio_push(t, TX_QUEUE, c->chain.head, 0))
			return;
	}
	virtio_mmio_notify_used(t, TX_QUEUE);
}

/* Pending input into one receive buffer; the bytes written. The input is
 * a ring: at most two pieces. */
static uint32_t fill_receive_buffer(struct virtio_console *c,
				    struct virtio_mmio *t)
{
	uint32_t done = 0;

	while (c->input_count && done < c->chain.writable_len) {
		unsigned run = VIRTIO_CONSOLE_INPUT_SIZE - c->input_head;
		size_t n = run < c->input_count ? run : c->input_count;
		size_t room = c->chain.writable_len - done;

		n = virtq_chain_write(&c->chain, &t->mem, done,
				      &c->input[c->input_head], n < room ? n : room);
		if (n == 0)
			break;
		c->input_head = (c->input_head + (unsigned)n) % VIRTIO_CONSOLE_INPUT_SIZE;
		c->input_count -= (unsigned)n;
		done += (uint32_t)n;
	}
	c->bytes_in += done;
	return done;
}

static void deliver_input(struct virtio_console *c, struct virtio_mmio *t)
{
	bool gave = false;

	if (!virtio_mmio_running(t))
		return;
	while (c->input_count && virtio_mmio_pop(t, RX_QUEUE, &c->chain)) {
		if (!virtio_mmio_push(t, RX_QUEUE, c->chain.head,
				      fill_receive_buffer(c, t)))
			return;
		gave = true;
	}
	if (gave)
		virtio_mmio_notify_used(t, RX_QUEUE);
}

size_t virtio_console_input(struct virtio_console *c, struct virtio_mmio *t,
			    const char *buf, size_t len)
{
	size_t taken = 0;

	virtio_mmio_lock(t);
	for (; taken < len && c->input_count < VIRTIO_CONSOLE_INPUT_SIZE; taken++) {
		unsigned tail = (c->input_head + c->input_count) % VIRTIO_CONSOLE_INPUT_SIZE;

		c->input[tail] = (uint8_t)buf[taken];
		c->input_count++;
	}
	deliver_input(c, t);
	virtio_mmio_unlock_and_flush_irq(t);
	return taken;
}

static void console_queue_notify(void *dev, struct virtio_mmio *t, unsigned index)
{
	if (index == TX_QUEUE)
		drain_output(dev, t);
	else
		deliver_input(dev, t);	/* new receive buffers */
}

static void console_driver_ok(void *dev, struct virtio_mmio *t)
{
	deliver_input(dev, t);		/* what was typed before */
}

/* No features, so no config space worth reading (cols/rows need
 * VIRTIO_CONSOLE_F_SIZE), and a reset keeps the typed input. */
const struct virtio_device_ops virtio_console_ops = {
	.name = "virtio-console",
	.device_id = VIRTIO_ID_CONSOLE,
	.features = 0,
	.num_queues = 2,
	.config_size = 0,
	.queue_notify = console_queue_notify,
	.driver_ok = console_driver_ok,
};
