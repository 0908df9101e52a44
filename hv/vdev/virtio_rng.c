/* virtio-rng: each buffer the guest posts comes back full of random
 * bytes, up to VIRTIO_RNG_MAX_PER_REQUEST. */
#include "vdev/virtio_rng.h"

#include "lib/string.h"

#define RNG_QUEUE 0
#define RNG_BLOCK 256u		/* bytes drawn from the source at a time */

void virtio_rng_init(struct virtio_rng *r,
		     bool (*entropy)(void *ctx, void *buf, size_t len),
		     void *entropy_ctx)
{
	memset(r, 0, sizeof(*r));
	r->entropy = entropy;
	r->entropy_ctx = entropy_ctx;
}

/* Random bytes into the chain's writable buffers; the count written. */
static uint32_t fill_chain(struct virtio_rng *r, struct virtio_mmio *t)
{
	uint8_t block[RNG_BLOCK];
	uint32_t want = r->chain.writable_len < VIRTIO_RNG_MAX_PER_REQUEST
			? r->chain.writable_len : VIRTIO_RNG_MAX_PER_REQUEST;
	uint32_t done = 0;

	while (done < want) {
		uint32_t n = want - done < RNG_BLOCK ? want - done : RNG_BLOCK;

		if (!r->entropy(r->entropy_ctx, block, n) ||
		    virtq_chain_write(&r->chain, &t->mem, done, block, n) != n)
			break;
		done += n;
	}
	memset(block, 0, sizeof(block));	/* no copy left behind */
	r->bytes_given += done;
	return done;
}

static void rng_queue_notify(void *dev, struct virtio_mmio *t, unsigned index)
{
	struct virtio_rng *r = dev;

	if (index != RNG_QUEUE)
		return;
	while (virtio_mmio_pop(t, RNG_QUEUE, &r->chain))
		if (!virtio_mmio_push(t, RNG_QUEUE, r->chain.head,
				      fill_chain(r, t)))
			return;
	virtio_mmio_notify_used(t, RNG_QUEUE);
}

/* No config space, nothing to reset, nothing to start. */
const struct virtio_device_ops virtio_rng_ops = {
	.name = "virtio-rng",
	.device_id = VIRTIO_ID_RNG,
	.features = 0,
	.num_queues = 1,
	.config_size = 0,
	.queue_notify = rng_queue_notify,
};
