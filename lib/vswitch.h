/* A virtual Ethernet switch: the ports are the guests' virtio-net
 * interfaces that name the same bridge in their vif spec (xl's bridge=,
 * default "xenbr0"); there is one struct vswitch per bridge name. It only
 * decides where a frame goes and counts; copying frames out of one guest
 * and into another is the device model's (hv/vdev/virtio_net.c).
 *
 * The rules, docs/network.md:
 *  - A port sends only from its own MAC, the one its vif was given. Any
 *    other source address is dropped and counted (tx_spoofed): a guest
 *    cannot pose as another, nor fill the switch's table.
 *  - Frames are 14..1514 bytes (an Ethernet header and up to 1500 bytes of
 *    payload, no FCS), or up to 1518 with one 802.1Q / 802.1ad tag. A TCP
 *    GSO frame (segmentation offload, passed whole from guest to guest)
 *    may carry up to 65535 bytes after its Ethernet header (and tag).
 *    Others are dropped and counted (tx_runt, tx_oversize).
 *  - Unicast to a MAC the switch knows goes to that port alone, and never
 *    back to the sender; broadcast, multicast and unknown unicast go to
 *    every other port (flooding).
 *
 * Learning is static. Since a port may send only from its own MAC, the
 * only address a learning switch could ever learn on a port is the one it
 * was attached with; so the table is the ports' own MACs, filled at attach
 * and emptied at detach. That is what a learning switch would converge to,
 * without its dangers: no table to overflow (a flood of made-up sources),
 * no entry to age, and no window in which a guest's first frame goes to
 * everyone. Unknown destinations are still flooded: a guest may send to a
 * MAC no port has (a stale ARP entry, a neighbour that is gone), and a
 * switch passes such a frame on rather than knowing better.
 *
 * No locking inside: the caller holds one lock around every call on a
 * switch, from vswitch_forward to the last vswitch_count_rx* for that
 * frame, so that the ports it returned are still the same ports. */
#ifndef LIB_VSWITCH_H
#define LIB_VSWITCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VSWITCH_MAX_PORTS 32
#define VSWITCH_NAME_MAX 16		/* with the NUL: an interface name */
#define VSWITCH_MAC_LEN 6

/* IEEE 802.3 frame sizes without the 4-byte FCS, which virtio-net frames
 * do not carry: destination, source and EtherType, then up to 1500 bytes
 * (the MTU the device advertises); an IEEE 802.1Q tag adds 4 bytes. */
#define VSWITCH_ETH_HLEN 14
#define VSWITCH_VLAN_HLEN 4
#define VSWITCH_MTU 1500
#define VSWITCH_FRAME_MAX (VSWITCH_ETH_HLEN + VSWITCH_MTU)		/* 1514 */
#define VSWITCH_FRAME_MAX_TAGGED (VSWITCH_FRAME_MAX + VSWITCH_VLAN_HLEN) /* 1518 */
/* A GSO frame is one TCP segment of up to 64 KiB that its receiver takes
 * whole (lib/virtio_net_frame.h): its IP packet may be as long as IPv4's
 * 16-bit length allows. */
#define VSWITCH_GSO_PACKET_MAX 65535
#define VSWITCH_GSO_FRAME_MAX (VSWITCH_ETH_HLEN + VSWITCH_GSO_PACKET_MAX)
#define VSWITCH_GSO_FRAME_MAX_TAGGED (VSWITCH_GSO_FRAME_MAX + VSWITCH_VLAN_HLEN) /* 65553 */
/* The EtherTypes of a tag (TPIDs): 802.1Q customer, 802.1ad service. */
#define VSWITCH_TPID_8021Q 0x8100
#define VSWITCH_TPID_8021AD 0x88a8

/* What the shell shows for a port. tx is from the guest into the switch,
 * rx from the switch into the guest, as the guest's own interface counts
 * them. Every frame a port offers ends up in exactly one of tx_packets
 * and the tx_ drop counters. */
struct vswitch_port_stats {
	uint64_t tx_packets;	/* accepted from the port */
	uint64_t tx_bytes;
	uint64_t rx_packets;	/* delivered into its receive queue */
	uint64_t rx_bytes;
	uint64_t tx_spoofed;	/* source MAC not the port's own */
	uint64_t tx_runt;	/* shorter than an Ethernet header */
	uint64_t tx_oversize;	/* longer than VSWITCH_(GSO_)FRAME_MAX(_TAGGED) */
	uint64_t tx_bad_header;	/* a virtio-net header the device refuses */
	uint64_t rx_no_buffer;	/* no receive buffer (or one too small, or a
				 * GSO frame for a driver without GUEST_TSO) */
};

struct vswitch_port {
	bool attached;
	uint8_t mac[VSWITCH_MAC_LEN];
	void *owner;		/* the device model's, for its delivery */
	struct vswitch_port_stats stats;
};

struct vswitch {
	char name[VSWITCH_NAME_MAX];
	unsigned attached;	/* ports in use */
	struct vswitch_port ports[VSWITCH_MAX_PORTS];
};

/* Where vswitch_forward sends a frame: port numbers in ascending order,
 * never the port it came in on. */
struct vswitch_dest {
	unsigned count;
	uint8_t port[VSWITCH_MAX_PORTS - 1];
};

/* The fate of a frame. The drop reasons double as the argument of
 * vswitch_count_tx_drop, for the ones the device model finds first. */
enum vswitch_verdict {
	VSWITCH_FORWARD = 0,		/* to dest (which may be empty) */
	VSWITCH_DROP_SPOOFED,
	VSWITCH_DROP_RUNT,
	VSWITCH_DROP_OVERSIZE,
	VSWITCH_DROP_BAD_HEADER,
	VSWITCH_DROP_NO_PORT,		/* in_port not attached: not counted */
};

enum vswitch_attach_status {
	VSWITCH_ATTACHED = 0,
	VSWITCH_ERR_FULL,		/* all VSWITCH_MAX_PORTS in use */
	VSWITCH_ERR_MAC_IN_USE,		/* another port has this MAC */
	VSWITCH_ERR_NOT_UNICAST,	/* multicast, broadcast or zero */
};

/* An empty switch. False (and nothing set) when the name is empty or
 * longer than VSWITCH_NAME_MAX - 1. */
bool vswitch_init(struct vswitch *sw, const char *name);

/* Attaches a port with its MAC and owner, at the lowest free number, which
 * goes to *port. Its counters start at zero. */
enum vswitch_attach_status vswitch_attach(struct vswitch *sw,
					  const uint8_t mac[VSWITCH_MAC_LEN],
					  void *owner, unsigned *port);
const char *vswitch_attach_status_str(enum vswitch_attach_status s);

/* Detaches a port: its MAC is forgotten (frames to it are unknown unicast
 * from then on, and flooded), its owner and counters too. A port not
 * attached is left alone. */
void vswitch_detach(struct vswitch *sw, unsigned port);

/* Decides where `len` bytes of `frame`, sent by `in_port`, go: returns
 * VSWITCH_FORWARD with *dest filled and the frame counted as sent, or a
 * drop reason with dest->count 0 and the drop counted. `gso` says the
 * frame is a GSO one (its virtio-net header asks for segmentation), which
 * may be up to VSWITCH_GSO_FRAME_MAX(_TAGGED) long; whether each
 * destination can take it is the device model's to find. The frame is
 * only read. */
enum vswitch_verdict vswitch_forward(struct vswitch *sw, unsigned in_port,
				     const uint8_t *frame, size_t len, bool gso,
				     struct vswitch_dest *dest);

/* The device model's reports, per destination of a forwarded frame: it
 * was delivered (len bytes of frame, no virtio header), or it found no
 * usable receive buffer (none, one too small, or the frame is GSO and the
 * port's driver did not take GSO). Ports not attached are ignored. */
void vswitch_count_rx(struct vswitch *sw, unsigned port, size_t len);
void vswitch_count_rx_no_buffer(struct vswitch *sw, unsigned port);

/* A frame the device model dropped before the switch saw it: too long for
 * its buffer (VSWITCH_DROP_OVERSIZE), a virtio-net header it refuses
 * (VSWITCH_DROP_BAD_HEADER); RUNT and SPOOFED are taken as well. */
void vswitch_count_tx_drop(struct vswitch *sw, unsigned port,
			   enum vswitch_verdict why);

/* The port, or NULL when `port` is out of range or not attached. */
const struct vswitch_port *vswitch_port(const struct vswitch *sw,
					unsigned port);

/* The port that owns `mac`, or -1. */
int vswitch_port_of_mac(const struct vswitch *sw,
			const uint8_t mac[VSWITCH_MAC_LEN]);

#endif
