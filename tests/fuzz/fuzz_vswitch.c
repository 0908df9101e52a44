/* libFuzzer target: lib/vswitch.c under sequences of attach, detach,
 * forward and the device model's reports, against a model of what each
 * port should have counted. Invariants: a frame never goes back to its
 * port, never leaves a port whose MAC is not its source, goes exactly
 * where the rules say, is never longer than its limit (1514 / 1518 tagged,
 * or 65549 / 65553 for a GSO frame), and every counter equals the
 * model's. Each frame
 * sits in a heap block of exactly its length, so ASan reports any read
 * past it. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/vswitch.h"

#define CHECK(cond)                      \
	do {                             \
		if (!(cond))             \
			__builtin_trap(); \
	} while (0)

#define MAX_OPS 256
#define MAX_FRAME 1600	/* past both size limits of plain frames */
#define MAX_GSO_FRAME (VSWITCH_GSO_FRAME_MAX_TAGGED + 64)	/* and GSO ones */

/* A few MACs, so that sources and destinations often match a port;
 * entries 6 and 7 are group addresses. */
static const uint8_t pool[8][VSWITCH_MAC_LEN] = {
	{ 0x00, 0x16, 0x3e, 0x00, 0x00, 0x01 },
	{ 0x00, 0x16, 0x3e, 0x00, 0x00, 0x02 },
	{ 0x00, 0x16, 0x3e, 0x00, 0x00, 0x03 },
	{ 0x02, 0x00, 0x00, 0x00, 0x00, 0x04 },
	{ 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 },
	{ 0x00, 0x16, 0x3e, 0x7f, 0xff, 0xff },
	{ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
	{ 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 },
};

struct input {
	const uint8_t *p;
	size_t n;
};

static uint64_t take(struct input *in, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes; i++) {
		uint8_t b = 0;

		if (in->n) {
			b = *in->p++;
			in->n--;
		}
		v |= (uint64_t)b << (8 * i);
	}
	return v;
}

/* A MAC from the pool, or six bytes of input. */
static void take_mac(struct input *in, uint8_t mac[VSWITCH_MAC_LEN])
{
	unsigned choice = (unsigned)take(in, 1);

	if (choice < 0xf0) {
		memcpy(mac, pool[choice % 8], VSWITCH_MAC_LEN);
		return;
	}
	for (unsigned i = 0; i < VSWITCH_MAC_LEN; i++)
		mac[i] = (uint8_t)take(in, 1);
}

struct model_port {
	bool attached;
	uint8_t mac[VSWITCH_MAC_LEN];
	struct vswitch_port_stats stats;
	uint64_t offered;	/* frames sent by the port, whatever came of them */
};

struct model {
	struct model_port port[VSWITCH_MAX_PORTS];
	int owner[VSWITCH_MAX_PORTS];	/* owner pointers point here */
	unsigned attached;
	/* Destinations given by forwards and reported back, in all. */
	uint64_t dests, reports;
};

static bool is_group(const uint8_t *mac)
{
	return mac[0] & 1;
}

static bool is_zero(const uint8_t *mac)
{
	static const uint8_t zero[VSWITCH_MAC_LEN];

	return memcmp(mac, zero, VSWITCH_MAC_LEN) == 0;
}

static int model_port_of(const struct model *md, const uint8_t *mac)
{
	for (unsigned i = 0; i < VSWITCH_MAX_PORTS; i++) {
		if (md->port[i].attached &&
		    memcmp(md->port[i].mac, mac, VSWITCH_MAC_LEN) == 0)
			return (int)i;
	}
	return -1;
}

static void check_all(const struct vswitch *sw, const struct model *md)
{
	CHECK(sw->attached == md->attached);
	for (unsigned i = 0; i < VSWITCH_MAX_PORTS; i++) {
		const struct vswitch_port *p = vswitch_port(sw, i);
		const struct model_port *m = &md->port[i];
		const struct vswitch_port_stats *s;

		CHECK((p != NULL) == m->attached);
		if (p == NULL)
			continue;
		s = &p->stats;
		CHECK(memcmp(p->mac, m->mac, VSWITCH_MAC_LEN) == 0);
		CHECK(p->owner == &md->owner[i]);
		CHECK(memcmp(s, &m->stats, sizeof(*s)) == 0);
		/* Every frame offered is counted once: sent or dropped. */
		CHECK(s->tx_packets + s->tx_spoofed + s->tx_runt +
			      s->tx_oversize + s->tx_bad_header ==
		      m->offered);
		CHECK(vswitch_port_of_mac(sw, p->mac) == (int)i);
	}
	/* Every destination given was reported back, once. */
	CHECK(md->reports == md->dests);
}

static void do_attach(struct vswitch *sw, struct model *md, struct input *in)
{
	uint8_t mac[VSWITCH_MAC_LEN];
	unsigned port = VSWITCH_MAX_PORTS + 1;
	enum vswitch_attach_status st;
	enum vswitch_attach_status want = VSWITCH_ATTACHED;
	unsigned free_port = VSWITCH_MAX_PORTS;

	take_mac(in, mac);
	for (unsigned i = VSWITCH_MAX_PORTS; i-- > 0;) {
		if (!md->port[i].attached)
			free_port = i;
	}
	if (is_group(mac) || is_zero(mac))
		want = VSWITCH_ERR_NOT_UNICAST;
	else if (model_port_of(md, mac) >= 0)
		want = VSWITCH_ERR_MAC_IN_USE;
	else if (free_port == VSWITCH_MAX_PORTS)
		want = VSWITCH_ERR_FULL;
	st = vswitch_attach(sw, mac, free_port < VSWITCH_MAX_PORTS ?
					     &md->owner[free_port] : NULL,
			    &port);
	CHECK(st == want);
	if (st != VSWITCH_ATTACHED) {
		CHECK(port == VSWITCH_MAX_PORTS + 1);
		return;
	}
	CHECK(port == free_port);
	memset(&md->port[port], 0, sizeof(md->port[port]));
	md->port[port].attached = true;
	memcpy(md->port[port].mac, mac, VSWITCH_MAC_LEN);
	md->attached++;
}

static void do_detach(struct vswitch *sw, struct model *md, struct input *in)
{
	unsigned port = (unsigned)take(in, 1) % (VSWITCH_MAX_PORTS + 4);

	vswitch_detach(sw, port);
	if (port < VSWITCH_MAX_PORTS && md->port[port].attached) {
		memset(&md->port[port], 0, sizeof(md->port[port]));
		md->attached--;
	}
}

/* Mostly the port's own MAC as source, so frames get through. */
static void take_source(struct input *in, const struct model *md,
			unsigned port, uint8_t src[VSWITCH_MAC_LEN])
{
	if (port < VSWITCH_MAX_PORTS && md->port[port].attached &&
	    take(in, 1) < 0xc0)
		memcpy(src, md->port[port].mac, VSWITCH_MAC_LEN);
	else
		take_mac(in, src);
}

static size_t take_len(struct input *in, bool gso)
{
	static const size_t edges[] = {
		0, 13, 14, 60, 1514, 1515, 1518, 1519,
		VSWITCH_GSO_FRAME_MAX, VSWITCH_GSO_FRAME_MAX + 1,
		VSWITCH_GSO_FRAME_MAX_TAGGED, VSWITCH_GSO_FRAME_MAX_TAGGED + 1,
		9014, 32768, 65535, 65536,
	};
	unsigned v = (unsigned)take(in, 2);

	if (v < 0x8000)
		return edges[v % 16];
	/* Long lengths only for GSO frames, mostly, to keep runs quick. */
	if (gso && (v & 1))
		return (v >> 1) % (MAX_GSO_FRAME + 1);
	return v % (MAX_FRAME + 1);
}

static uint8_t *make_frame(struct input *in, const struct model *md,
			   unsigned port, size_t len)
{
	uint8_t hdr[VSWITCH_ETH_HLEN];
	static const uint16_t types[] = { 0x0800, 0x86dd, 0x0806, 0x8100,
					  0x88a8, 0x9100, 0x0000, 0xffff };
	uint16_t type = types[take(in, 1) % 8];
	uint8_t *frame = malloc(len ? len : 1);

	take_mac(in, hdr);
	take_source(in, md, port, hdr + 6);
	hdr[12] = (uint8_t)(type >> 8);
	hdr[13] = (uint8_t)type;
	for (size_t i = 0; i < len; i++)
		frame[i] = i < sizeof(hdr) ? hdr[i] : (uint8_t)(i * 31);
	return frame;
}

/* The longest frame there may be: 1500 bytes of payload, or 65535 in a
 * GSO frame, after 14 bytes of Ethernet header and maybe a 4-byte tag. */
static size_t max_len(const uint8_t *frame, bool gso)
{
	size_t max = 14 + (gso ? 65535 : 1500);

	if ((frame[12] == 0x81 && frame[13] == 0x00) ||
	    (frame[12] == 0x88 && frame[13] == 0xa8))
		max += 4;
	return max;
}

/* What the rules say of the frame: the verdict the switch must give. */
static enum vswitch_verdict expect(const struct model *md, unsigned port,
				   const uint8_t *frame, size_t len, bool gso)
{
	if (port >= VSWITCH_MAX_PORTS || !md->port[port].attached)
		return VSWITCH_DROP_NO_PORT;
	if (len < VSWITCH_ETH_HLEN)
		return VSWITCH_DROP_RUNT;
	if (len > max_len(frame, gso))
		return VSWITCH_DROP_OVERSIZE;
	if (memcmp(frame + 6, md->port[port].mac, VSWITCH_MAC_LEN) != 0)
		return VSWITCH_DROP_SPOOFED;
	return VSWITCH_FORWARD;
}

static void count_drop(struct model_port *m, enum vswitch_verdict v)
{
	if (v == VSWITCH_DROP_SPOOFED)
		m->stats.tx_spoofed++;
	else if (v == VSWITCH_DROP_RUNT)
		m->stats.tx_runt++;
	else if (v == VSWITCH_DROP_OVERSIZE)
		m->stats.tx_oversize++;
	else if (v == VSWITCH_DROP_BAD_HEADER)
		m->stats.tx_bad_header++;
}

/* Where a forwarded frame must go. */
static void check_dest(const struct model *md, unsigned in_port,
		       const uint8_t *frame, const struct vswitch_dest *d)
{
	int to = model_port_of(md, frame);
	bool flood = is_group(frame) || to < 0;
	unsigned want = 0;

	for (unsigned i = 0; i < d->count; i++) {
		CHECK(d->port[i] != in_port);
		CHECK(d->port[i] < VSWITCH_MAX_PORTS);
		CHECK(md->port[d->port[i]].attached);
		if (i > 0)
			CHECK(d->port[i] > d->port[i - 1]);
	}
	if (flood) {
		CHECK(d->count == md->attached - 1);
		return;
	}
	if ((unsigned)to != in_port)
		want = 1;
	CHECK(d->count == want);
	if (want)
		CHECK(d->port[0] == (unsigned)to);
}

/* The device model delivering to each destination, or not. */
static void deliver(struct vswitch *sw, struct model *md, struct input *in,
		    const struct vswitch_dest *d, size_t len)
{
	uint64_t fate = take(in, 4);

	for (unsigned i = 0; i < d->count; i++) {
		struct model_port *m = &md->port[d->port[i]];

		if (fate >> i & 1) {
			vswitch_count_rx_no_buffer(sw, d->port[i]);
			m->stats.rx_no_buffer++;
		} else {
			vswitch_count_rx(sw, d->port[i], len);
			m->stats.rx_packets++;
			m->stats.rx_bytes += len;
		}
		md->reports++;
	}
}

static void do_forward(struct vswitch *sw, struct model *md, struct input *in)
{
	unsigned port = (unsigned)take(in, 1) % (VSWITCH_MAX_PORTS + 2);
	bool gso = take(in, 1) & 1;
	size_t len = take_len(in, gso);
	uint8_t *frame = make_frame(in, md, port, len);
	uint8_t *copy = malloc(len ? len : 1);
	struct vswitch_dest d;
	enum vswitch_verdict want = expect(md, port, frame, len, gso);
	enum vswitch_verdict v;

	memcpy(copy, frame, len);
	memset(&d, 0xa5, sizeof(d));
	v = vswitch_forward(sw, port, frame, len, gso, &d);
	CHECK(v == want);
	/* Whatever the model says: never a frame past its limit. */
	if (v == VSWITCH_FORWARD)
		CHECK(len >= VSWITCH_ETH_HLEN && len <= max_len(frame, gso) &&
		      len <= (gso ? VSWITCH_GSO_FRAME_MAX_TAGGED
				  : VSWITCH_FRAME_MAX_TAGGED));
	CHECK(memcmp(copy, frame, len) == 0);	/* only read */
	if (v != VSWITCH_FORWARD) {
		CHECK(d.count == 0);
		if (v != VSWITCH_DROP_NO_PORT) {
			count_drop(&md->port[port], v);
			md->port[port].offered++;
		}
	} else {
		/* Never from a MAC that is not the port's. */
		CHECK(memcmp(frame + 6, md->port[port].mac,
			     VSWITCH_MAC_LEN) == 0);
		check_dest(md, port, frame, &d);
		md->port[port].stats.tx_packets++;
		md->port[port].stats.tx_bytes += len;
		md->port[port].offered++;
		md->dests += d.count;
		deliver(sw, md, in, &d, len);
	}
	free(copy);
	free(frame);
}

/* A drop the device model found before the switch (a bad virtio header,
 * a frame too long for its buffer), on any port number. */
static void do_tx_drop(struct vswitch *sw, struct model *md, struct input *in)
{
	unsigned port = (unsigned)take(in, 1) % (VSWITCH_MAX_PORTS + 2);
	enum vswitch_verdict why = (enum vswitch_verdict)(take(in, 1) % 6);

	vswitch_count_tx_drop(sw, port, why);
	if (port >= VSWITCH_MAX_PORTS || !md->port[port].attached)
		return;
	if (why != VSWITCH_FORWARD && why != VSWITCH_DROP_NO_PORT) {
		count_drop(&md->port[port], why);
		md->port[port].offered++;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct vswitch *sw = malloc(sizeof(*sw));
	struct model *md = calloc(1, sizeof(*md));

	CHECK(vswitch_init(sw, "xenbr0"));
	check_all(sw, md);
	for (unsigned op = 0; op < MAX_OPS && in.n > 0; op++) {
		switch (take(&in, 1) % 8) {
		case 0:
		case 1:
			do_attach(sw, md, &in);
			break;
		case 2:
			do_detach(sw, md, &in);
			break;
		case 3:
			do_tx_drop(sw, md, &in);
			break;
		default:
			do_forward(sw, md, &in);
			break;
		}
		check_all(sw, md);
	}
	free(md);
	free(sw);
	return 0;
}
