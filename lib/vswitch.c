/* The virtual switch: lib/vswitch.h has the rules and why learning is
 * static. A frame's layout, IEEE 802.3 clause 3.1.1 without preamble and
 * FCS: destination MAC (6), source MAC (6), EtherType or TPID (2), ... */
#include "lib/vswitch.h"

#include "lib/string.h"

#define ETH_DST_OFFSET 0
#define ETH_SRC_OFFSET 6
#define ETH_TYPE_OFFSET 12

static bool mac_equal(const uint8_t *a, const uint8_t *b)
{
	return memcmp(a, b, VSWITCH_MAC_LEN) == 0;
}

/* The I/G bit, IEEE 802-2014 8.2.2: a group address (broadcast is one). */
static bool mac_is_group(const uint8_t *mac)
{
	return (mac[0] & 1u) != 0;
}

static bool mac_is_zero(const uint8_t *mac)
{
	static const uint8_t zero[VSWITCH_MAC_LEN];

	return mac_equal(mac, zero);
}

bool vswitch_init(struct vswitch *sw, const char *name)
{
	size_t len = strnlen(name, VSWITCH_NAME_MAX);

	if (len == 0 || len >= VSWITCH_NAME_MAX)
		return false;
	memset(sw, 0, sizeof(*sw));
	memcpy(sw->name, name, len);
	return true;
}

static struct vswitch_port *attached_port(struct vswitch *sw, unsigned port)
{
	if (port >= VSWITCH_MAX_PORTS || !sw->ports[port].attached)
		return NULL;
	return &sw->ports[port];
}

const struct vswitch_port *vswitch_port(const struct vswitch *sw,
					unsigned port)
{
	if (port >= VSWITCH_MAX_PORTS || !sw->ports[port].attached)
		return NULL;
	return &sw->ports[port];
}

int vswitch_port_of_mac(const struct vswitch *sw,
			const uint8_t mac[VSWITCH_MAC_LEN])
{
	for (unsigned i = 0; i < VSWITCH_MAX_PORTS; i++) {
		const struct vswitch_port *p = &sw->ports[i];

		if (p->attached && mac_equal(p->mac, mac))
			return (int)i;
	}
	return -1;
}

enum vswitch_attach_status vswitch_attach(struct vswitch *sw,
					  const uint8_t mac[VSWITCH_MAC_LEN],
					  void *owner, unsigned *port)
{
	if (mac_is_group(mac) || mac_is_zero(mac))
		return VSWITCH_ERR_NOT_UNICAST;
	/* Two ports with one MAC would make the table ambiguous and let one
	 * guest receive the other's traffic. */
	if (vswitch_port_of_mac(sw, mac) >= 0)
		return VSWITCH_ERR_MAC_IN_USE;
	for (unsigned i = 0; i < VSWITCH_MAX_PORTS; i++) {
		struct vswitch_port *p = &sw->ports[i];

		if (p->attached)
			continue;
		memset(p, 0, sizeof(*p));
		p->attached = true;
		memcpy(p->mac, mac, VSWITCH_MAC_LEN);
		p->owner = owner;
		sw->attached++;
		*port = i;
		return VSWITCH_ATTACHED;
	}
	return VSWITCH_ERR_FULL;
}

const char *vswitch_attach_status_str(enum vswitch_attach_status s)
{
	switch (s) {
	case VSWITCH_ATTACHED:
		return "attached";
	case VSWITCH_ERR_FULL:
		return "switch full";
	case VSWITCH_ERR_MAC_IN_USE:
		return "MAC already on the switch";
	case VSWITCH_ERR_NOT_UNICAST:
		return "MAC not unicast";
	}
	return "?";
}

void vswitch_detach(struct vswitch *sw, unsigned port)
{
	struct vswitch_port *p = attached_port(sw, port);

	if (p == NULL)
		return;
	memset(p, 0, sizeof(*p));
	sw->attached--;
}

/* The largest frame allowed for this one: tagged frames carry 4 more
 * bytes, GSO frames a 64 KiB packet. The TPID is read big-endian (network
 * order). */
static size_t frame_max(const uint8_t *frame, bool gso)
{
	unsigned type = (unsigned)frame[ETH_TYPE_OFFSET] << 8 |
			frame[ETH_TYPE_OFFSET + 1];
	bool tagged = type == VSWITCH_TPID_8021Q || type == VSWITCH_TPID_8021AD;

	if (gso)
		return tagged ? VSWITCH_GSO_FRAME_MAX_TAGGED : VSWITCH_GSO_FRAME_MAX;
	return tagged ? VSWITCH_FRAME_MAX_TAGGED : VSWITCH_FRAME_MAX;
}

static enum vswitch_verdict check_frame(const struct vswitch_port *in,
					const uint8_t *frame, size_t len,
					bool gso)
{
	if (len < VSWITCH_ETH_HLEN)
		return VSWITCH_DROP_RUNT;
	if (len > frame_max(frame, gso))
		return VSWITCH_DROP_OVERSIZE;
	if (!mac_equal(frame + ETH_SRC_OFFSET, in->mac))
		return VSWITCH_DROP_SPOOFED;
	return VSWITCH_FORWARD;
}

static void flood(const struct vswitch *sw, unsigned in_port,
		  struct vswitch_dest *dest)
{
	for (unsigned i = 0; i < VSWITCH_MAX_PORTS; i++) {
		if (i != in_port && sw->ports[i].attached)
			dest->port[dest->count++] = (uint8_t)i;
	}
}

static void count_tx_drop(struct vswitch_port *p, enum vswitch_verdict why)
{
	switch (why) {
	case VSWITCH_DROP_SPOOFED:
		p->stats.tx_spoofed++;
		break;
	case VSWITCH_DROP_RUNT:
		p->stats.tx_runt++;
		break;
	case VSWITCH_DROP_OVERSIZE:
		p->stats.tx_oversize++;
		break;
	case VSWITCH_DROP_BAD_HEADER:
		p->stats.tx_bad_header++;
		break;
	case VSWITCH_FORWARD:
	case VSWITCH_DROP_NO_PORT:
		break;
	}
}

enum vswitch_verdict vswitch_forward(struct vswitch *sw, unsigned in_port,
				     const uint8_t *frame, size_t len, bool gso,
				     struct vswitch_dest *dest)
{
	struct vswitch_port *in = attached_port(sw, in_port);
	enum vswitch_verdict v;
	int to;

	dest->count = 0;
	if (in == NULL)
		return VSWITCH_DROP_NO_PORT;
	v = check_frame(in, frame, len, gso);
	if (v != VSWITCH_FORWARD) {
		count_tx_drop(in, v);
		return v;
	}
	in->stats.tx_packets++;
	in->stats.tx_bytes += len;
	if (mac_is_group(frame + ETH_DST_OFFSET)) {
		flood(sw, in_port, dest);
		return VSWITCH_FORWARD;
	}
	to = vswitch_port_of_mac(sw, frame + ETH_DST_OFFSET);
	if (to < 0)
		flood(sw, in_port, dest);
	else if ((unsigned)to != in_port)
		dest->port[dest->count++] = (uint8_t)to;
	/* else: addressed to itself; a switch does not send it back. */
	return VSWITCH_FORWARD;
}

void vswitch_count_rx(struct vswitch *sw, unsigned port, size_t len)
{
	struct vswitch_port *p = attached_port(sw, port);

	if (p == NULL)
		return;
	p->stats.rx_packets++;
	p->stats.rx_bytes += len;
}

void vswitch_count_rx_no_buffer(struct vswitch *sw, unsigned port)
{
	struct vswitch_port *p = attached_port(sw, port);

	if (p != NULL)
		p->stats.rx_no_buffer++;
}

void vswitch_count_tx_drop(struct vswitch *sw, unsigned port,
			   enum vswitch_verdict why)
{
	struct vswitch_port *p = attached_port(sw, port);

	if (p != NULL)
		count_tx_drop(p, why);
}
