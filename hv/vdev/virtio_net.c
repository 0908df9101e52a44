/* virtio-net: queue 0 receives, queue 1 transmits (5.1.2). Transmission
 * runs after the transport's lock is dropped (queue_notify_unlocked): the
 * owner's send takes the switch's lock and, through it, the receivers'
 * transports, and no transport lock may be held then, or two guests
 * sending to each other would each hold what the other waits for. */
#include "vdev/virtio_net.h"

#include "lib/string.h"

/* The device and the switch agree on how long a frame may be. */
_Static_assert(VIRTIO_NET_FRAME_MAX == VSWITCH_FRAME_MAX_TAGGED,
	       "virtio-net and vswitch frame limits differ");
_Static_assert(VIRTIO_NET_GSO_FRAME_MAX == VSWITCH_GSO_FRAME_MAX_TAGGED,
	       "virtio-net and vswitch GSO frame limits differ");

void virtio_net_init(struct virtio_net *n, const uint8_t mac[6], void *owner,
		     void (*send)(void *owner, const uint8_t *frame, size_t len,
				  const struct virtio_net_offload *off),
		     void (*tx_refused)(void *owner, enum virtio_net_status why))
{
	memset(n, 0, sizeof(*n));
	virtio_net_config_init(&n->config, mac);
	n->owner = owner;
	n->send = send;
	n->tx_refused = tx_refused;
}

/* The next frame the guest queued, copied out under the transport's lock;
 * false when there is none. */
static bool take_tx_frame(struct virtio_net *n, struct virtio_mmio *t,
			  size_t *len, struct virtio_net_offload *off,
			  enum virtio_net_status *status)
{
	bool got;

	virtio_mmio_lock(t);
	got = virtio_mmio_pop(t, VIRTIO_NET_QUEUE_TX, &n->tx_chain);
	if (got) {
		*status = virtio_net_tx_read(&n->tx_chain, &t->mem,
					     t->driver_features, n->tx_frame,
					     sizeof(n->tx_frame), len, off);
		got = virtio_mmio_push(t, VIRTIO_NET_QUEUE_TX, n->tx_chain.head, 0);
	} else {
		virtio_mmio_notify_used(t, VIRTIO_NET_QUEUE_TX);
	}
	virtio_mmio_unlock_and_flush_irq(t);
	return got;
}

static void net_tx_drain(void *dev, struct virtio_mmio *t, unsigned index)
{
	struct virtio_net *n = dev;
	enum virtio_net_status status = VIRTIO_NET_OK;
	struct virtio_net_offload off;
	size_t len = 0;

	if (index != VIRTIO_NET_QUEUE_TX)
		return;		/* new receive buffers: taken as frames come */
	spin_lock(&n->tx_lock);
	while (take_tx_frame(n, t, &len, &off, &status)) {
		if (status == VIRTIO_NET_OK)
			n->send(n->owner, n->tx_frame, len, &off);
		else
			n->tx_refused(n->owner, status);
	}
	spin_unlock(&n->tx_lock);
}

enum virtio_net_status virtio_net_receive(struct virtio_net *n,
					  struct virtio_mmio *t,
					  const uint8_t *frame, size_t len,
					  const struct virtio_net_offload *off)
{
	enum virtio_net_status status = VIRTIO_NET_ERR_RX_NO_BUFFER;
	uint32_t written = 0;

	virtio_mmio_lock(t);
	/* A GSO frame for a driver that cannot take it costs it no buffer
	 * (which would come back empty, a length error to Linux). Only
	 * asked of a running driver: before DRIVER_OK the features may not
	 * be final, and nothing is delivered anyway. */
	if (virtio_mmio_running(t) &&
	    !virtio_net_rx_takes(t->driver_features, off)) {
		status = VIRTIO_NET_ERR_RX_NO_GSO;
	} else if (virtio_mmio_pop(t, VIRTIO_NET_QUEUE_RX, &n->rx_chain)) {
		status = virtio_net_rx_write(&n->rx_chain, &t->mem,
					     t->driver_features, frame, len, off,
					     &written);
		if (virtio_mmio_push(t, VIRTIO_NET_QUEUE_RX, n->rx_chain.head,
				     status == VIRTIO_NET_OK ? written : 0))
			virtio_mmio_notify_used(t, VIRTIO_NET_QUEUE_RX);
		else if (status == VIRTIO_NET_OK)
			status = VIRTIO_NET_ERR_RX_NO_BUFFER;
	}
	virtio_mmio_unlock_and_flush_irq(t);
	return status;
}

static uint64_t net_config_read(void *dev, uint32_t offset, unsigned size)
{
	struct virtio_net *n = dev;

	return virtio_net_config_read(&n->config, offset, size);
}

/* The config space is read-only to the driver (5.1.4: the MAC is written
 * only with VIRTIO_NET_F_CTRL_MAC_ADDR, not offered). */
const struct virtio_device_ops virtio_net_ops = {
	.name = "virtio-net",
	.device_id = VIRTIO_ID_NET,
	.features = VIRTIO_NET_FEATURES,
	.num_queues = VIRTIO_NET_NUM_QUEUES,
	.config_size = VIRTIO_NET_CONFIG_SIZE,
	.config_read = net_config_read,
	.queue_notify_unlocked = net_tx_drain,
};
