/* virtio-net (virtio 1.2, section 5.1): one receive and one transmit
 * queue, a MAC, checksum offload (lib/virtio_net_frame.h). The device
 * knows nothing of where frames go: it hands each transmitted frame to
 * its owner (the switch, core/domain_net.c) and takes frames the owner
 * delivers. */
#ifndef VDEV_VIRTIO_NET_H
#define VDEV_VIRTIO_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/spinlock.h"
#include "lib/virtio_net_frame.h"
#include "lib/vswitch.h"
#include "vdev/virtio_mmio.h"

struct virtio_net {
	struct virtio_net_config config;
	void *owner;
	/* A frame the guest sent, to go out; called with no transport lock
	 * held. */
	void (*send)(void *owner, const uint8_t *frame, size_t len,
		     const struct virtio_net_csum *csum);
	/* A frame the guest sent that the device refused. */
	void (*tx_refused)(void *owner, enum virtio_net_status why);
	/* One transmit drain at a time, whichever vCPU notified: it owns
	 * tx_chain and tx_frame. Taken before any transport's lock. */
	struct spinlock tx_lock;
	struct virtq_chain tx_chain;
	uint8_t tx_frame[VSWITCH_FRAME_MAX_TAGGED];
	struct virtq_chain rx_chain;	/* under the transport's lock */
};

extern const struct virtio_device_ops virtio_net_ops;

void virtio_net_init(struct virtio_net *n, const uint8_t mac[6], void *owner,
		     void (*send)(void *owner, const uint8_t *frame, size_t len,
				  const struct virtio_net_csum *csum),
		     void (*tx_refused)(void *owner, enum virtio_net_status why));

/* A frame for the guest: into its next receive buffer. False when it has
 * none (or none big enough), or its driver is not running: the frame is
 * dropped, as a NIC drops what arrives with its ring full. Takes the
 * transport's lock. */
bool virtio_net_receive(struct virtio_net *n, struct virtio_mmio *t,
			const uint8_t *frame, size_t len,
			const struct virtio_net_csum *csum);

#endif
