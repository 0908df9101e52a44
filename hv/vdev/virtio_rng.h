/* virtio-rng (virtio 1.2, section 5.4): one queue of buffers the guest
 * posts, which the device fills with random bytes. Linux shows it as
 * /dev/hwrng. The bytes come from the owner's source (RDRAND in the
 * monitor). */
#ifndef VDEV_VIRTIO_RNG_H
#define VDEV_VIRTIO_RNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vdev/virtio_mmio.h"

/* Each request gets at most this much: a guest asking for megabytes at
 * once is served a page at a time, as it must expect (5.4.6.1: "the
 * device MAY fill the buffer partially"). */
#define VIRTIO_RNG_MAX_PER_REQUEST 4096u

struct virtio_rng {
	/* Fills buf with len random bytes; false if the source failed. */
	bool (*entropy)(void *ctx, void *buf, size_t len);
	void *entropy_ctx;
	uint64_t bytes_given;
	struct virtq_chain chain;	/* the request being served */
};

extern const struct virtio_device_ops virtio_rng_ops;

void virtio_rng_init(struct virtio_rng *r,
		     bool (*entropy)(void *ctx, void *buf, size_t len),
		     void *entropy_ctx);

#endif
