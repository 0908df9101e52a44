/* virtio-blk: each request runs to completion when the guest notifies,
 * under the transport's lock, which also keeps the disk's store to one
 * request at a time. */
#include "vdev/virtio_blk.h"

#include "lib/string.h"

#define REQUEST_QUEUE 0

static void blk_queue_notify(void *dev, struct virtio_mmio *t, unsigned index)
{
	struct virtio_blk *b = dev;
	struct vblk_result r;

	if (index != REQUEST_QUEUE)
		return;
	while (virtio_mmio_pop(t, REQUEST_QUEUE, &b->chain)) {
		enum vblk_fault f = vblk_handle(&b->disk, &b->chain, &t->mem, &r);

		if (f != VBLK_FAULT_NONE) {
			virtio_mmio_needs_reset(t, vblk_fault_str(f));
			return;
		}
		b->requests++;
		if (!virtio_mmio_push(t, REQUEST_QUEUE, b->chain.head, r.written))
			return;
	}
	virtio_mmio_notify_used(t, REQUEST_QUEUE);
}

/* Little-endian bytes of the config space; no field is writable. */
static uint64_t blk_config_read(void *dev, uint32_t offset, unsigned size)
{
	struct virtio_blk *b = dev;
	uint64_t value = 0;

	memcpy(&value, &b->config[offset], size);
	return value;
}

void virtio_blk_init(struct virtio_blk *b, const struct vblk_disk *disk)
{
	memset(b, 0, sizeof(*b));
	b->disk = *disk;
	vblk_config_space(&b->disk, b->config);
	b->ops = (struct virtio_device_ops){
		.name = "virtio-blk",
		.device_id = VIRTIO_ID_BLOCK,
		.features = vblk_features(&b->disk),
		.num_queues = 1,
		.config_size = VIRTIO_BLK_CONFIG_SIZE,
		.config_read = blk_config_read,
		.queue_notify = blk_queue_notify,
	};
}
