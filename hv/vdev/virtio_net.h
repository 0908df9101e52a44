/* virtio-net (virtio 1.2, section 5.1): one receive and one transmit
 * queue, a MAC, checksum and TCP segmentation offload passed through
 * (lib/virtio_net_frame.h). The device
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
		     const struct virtio_net_offload *off);
	/* A frame the guest sent that the device refused. */
	void (*tx_refused)(void *owner, enum virtio_net_status why);
	/* One transmit drain at a time, whichever vCPU notified: it owns
	 * tx_chain and tx_frame. Taken before any transport's lock. tx_frame
	 * holds the largest GSO frame (64 KiB: the struct is allocated, never
	 * on a stack). */
	struct spinlock tx_lock;
	struct virtq_chain tx_chain;
	uint8_t tx_frame[VIRTIO_NET_GSO_FRAME_MAX];
	struct virtq_chain rx_chain;	/* under the transport's lock */
};

extern const struct virtio_device_ops virtio_net_ops;

void virtio_net_init(struct virtio_net *n, const uint8_t mac[6], void *owner,
		     void (*send)(void *owner, const uint8_t *frame, size_t len,
				  const struct virtio_net_offload *off),
		     void (*tx_refused)(void *owner, enum virtio_net_status why));

/* A frame for the guest, with its offloads (off may be NULL): into its
 * next receive buffer, VIRTIO_NET_OK. Otherwise the frame is dropped, as
 * a NIC drops what arrives with its ring full:
 *  - VIRTIO_NET_ERR_RX_NO_BUFFER: no buffer, or the driver not running;
 *  - VIRTIO_NET_ERR_RX_NO_GSO: a GSO frame the driver did not negotiate
 *    (virtio_net_rx_takes); no buffer is taken for it;
 *  - VIRTIO_NET_ERR_RX_TOO_SMALL (or another error of rx_write): the
 *    buffer could not hold it, and is given back empty.
 * Takes the transport's lock. */
enum virtio_net_status virtio_net_receive(struct virtio_net *n,
					  struct virtio_mmio *t,
					  const uint8_t *frame, size_t len,
					  const struct virtio_net_offload *off);

#endif
