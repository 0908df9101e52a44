/* virtio-blk (virtio 1.2, section 5.2): one request queue in front of a
 * disk (lib/virtio_blk_request.h: the requests, lib/block_store.h: the
 * domain's copy-on-write view of an image). */
#ifndef VDEV_VIRTIO_BLK_H
#define VDEV_VIRTIO_BLK_H

#include <stdint.h>

#include "lib/virtio_blk_request.h"
#include "vdev/virtio_mmio.h"

struct virtio_blk {
	/* Its own ops: the features depend on the disk (read-only,
	 * discard). */
	struct virtio_device_ops ops;
	struct vblk_disk disk;
	uint8_t config[VIRTIO_BLK_CONFIG_SIZE];
	struct virtq_chain chain;	/* the request being served */
	uint64_t requests;
};

/* Sets up the device for `disk` (whose store must outlive it); the
 * transport then takes &b->ops. */
void virtio_blk_init(struct virtio_blk *b, const struct vblk_disk *disk);

#endif
