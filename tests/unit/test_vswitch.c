/* lib/vswitch.c: ports, where frames go, what is dropped and every counter,
 * for frames and GSO frames.
 * Frames are handed over in heap blocks of exactly their length, so ASan
 * reports a read past the end (a runt's missing EtherType, say). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/vswitch.h"

static const uint8_t mac_a[6] = { 0x00, 0x16, 0x3e, 0x00, 0x00, 0x0a };
static const uint8_t mac_b[6] = { 0x00, 0x16, 0x3e, 0x00, 0x00, 0x0b };
static const uint8_t mac_c[6] = { 0x00, 0x16, 0x3e, 0x00, 0x00, 0x0c };
static const uint8_t mac_d[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0d };
static const uint8_t mac_unknown[6] = { 0x00, 0x16, 0x3e, 0x7f, 0x7f, 0x7f };
static const uint8_t mac_bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t mac_mcast[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb };
static const uint8_t mac_ipv6_mcast[6] = { 0x33, 0x33, 0x00, 0x00, 0x00, 0x01 };

struct fixture {
	struct vswitch sw;
	unsigned a, b, c;	/* ports of mac_a, mac_b, mac_c */
	int owners[3];
};

static unsigned attach(struct vswitch *sw, const uint8_t *mac, void *owner)
{
	unsigned port = 999;

	assert_int_equal(vswitch_attach(sw, mac, owner, &port), VSWITCH_ATTACHED);
	assert_true(port < VSWITCH_MAX_PORTS);
	return port;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_true(vswitch_init(&f->sw, "xenbr0"));
	f->a = attach(&f->sw, mac_a, &f->owners[0]);
	f->b = attach(&f->sw, mac_b, &f->owners[1]);
	f->c = attach(&f->sw, mac_c, &f->owners[2]);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

/* A frame of `len` bytes (len >= 14) from src to dst with EtherType type,
 * the payload a counting pattern, in a heap block of exactly len bytes
 * (at least 1). Only the first len bytes of the header are written for a
 * shorter one. */
static uint8_t *make_frame(const uint8_t *dst, const uint8_t *src,
			   uint16_t type, size_t len)
{
	uint8_t hdr[14];
	uint8_t *f = malloc(len > 0 ? len : 1);

	assert_non_null(f);
	memcpy(hdr, dst, 6);
	memcpy(hdr + 6, src, 6);
	hdr[12] = (uint8_t)(type >> 8);
	hdr[13] = (uint8_t)type;
	for (size_t i = 0; i < len; i++)
		f[i] = i < sizeof(hdr) ? hdr[i] : (uint8_t)i;
	return f;
}

/* Forwards one frame, GSO or not, and frees it. */
static enum vswitch_verdict send_any(struct vswitch *sw, unsigned port,
				     const uint8_t *dst, const uint8_t *src,
				     uint16_t type, size_t len, bool gso,
				     struct vswitch_dest *dest)
{
	uint8_t *frame = make_frame(dst, src, type, len);
	enum vswitch_verdict v;

	memset(dest, 0xa5, sizeof(*dest));
	v = vswitch_forward(sw, port, frame, len, gso, dest);
	free(frame);
	return v;
}

static enum vswitch_verdict send(struct vswitch *sw, unsigned port,
				 const uint8_t *dst, const uint8_t *src,
				 uint16_t type, size_t len,
				 struct vswitch_dest *dest)
{
	return send_any(sw, port, dst, src, type, len, false, dest);
}

static enum vswitch_verdict send_gso(struct vswitch *sw, unsigned port,
				     const uint8_t *dst, const uint8_t *src,
				     uint16_t type, size_t len,
				     struct vswitch_dest *dest)
{
	return send_any(sw, port, dst, src, type, len, true, dest);
}

static const struct vswitch_port_stats *stats(const struct vswitch *sw,
					      unsigned port)
{
	const struct vswitch_port *p = vswitch_port(sw, port);

	assert_non_null(p);
	return &p->stats;
}

static void assert_dest(const struct vswitch_dest *d, unsigned count, ...)
{
	va_list ap;

	assert_int_equal(d->count, count);
	va_start(ap, count);
	for (unsigned i = 0; i < count; i++)
		assert_int_equal(d->port[i], va_arg(ap, unsigned));
	va_end(ap);
}

/* ------------------------------------------------------------ ports */

static void test_init_names(void **state)
{
	struct vswitch sw;

	(void)state;
	assert_true(vswitch_init(&sw, "abcdefghijklmno"));
	assert_string_equal(sw.name, "abcdefghijklmno");
	assert_int_equal(sw.attached, 0);
	assert_null(vswitch_port(&sw, 0));
	assert_false(vswitch_init(&sw, ""));
	assert_false(vswitch_init(&sw, "abcdefghijklmnop"));
	/* A refused name leaves the switch as it was. */
	assert_string_equal(sw.name, "abcdefghijklmno");
}

static void test_attach_numbers_and_owner(void **state)
{
	struct fixture *f = *state;
	const struct vswitch_port *p;

	assert_int_equal(f->a, 0);
	assert_int_equal(f->b, 1);
	assert_int_equal(f->c, 2);
	assert_int_equal(f->sw.attached, 3);
	p = vswitch_port(&f->sw, f->b);
	assert_non_null(p);
	assert_ptr_equal(p->owner, &f->owners[1]);
	assert_memory_equal(p->mac, mac_b, 6);
	assert_int_equal(vswitch_port_of_mac(&f->sw, mac_c), (int)f->c);
	assert_int_equal(vswitch_port_of_mac(&f->sw, mac_unknown), -1);
	assert_null(vswitch_port(&f->sw, 3));
	assert_null(vswitch_port(&f->sw, VSWITCH_MAX_PORTS));
	assert_null(vswitch_port(&f->sw, 1000000));
}

static void test_attach_refuses_bad_macs(void **state)
{
	struct fixture *f = *state;
	static const uint8_t zero[6];
	unsigned port = 77;

	assert_int_equal(vswitch_attach(&f->sw, mac_bcast, NULL, &port),
			 VSWITCH_ERR_NOT_UNICAST);
	assert_int_equal(vswitch_attach(&f->sw, mac_mcast, NULL, &port),
			 VSWITCH_ERR_NOT_UNICAST);
	assert_int_equal(vswitch_attach(&f->sw, zero, NULL, &port),
			 VSWITCH_ERR_NOT_UNICAST);
	assert_int_equal(vswitch_attach(&f->sw, mac_b, NULL, &port),
			 VSWITCH_ERR_MAC_IN_USE);
	assert_int_equal(port, 77);
	assert_int_equal(f->sw.attached, 3);
	assert_string_equal(vswitch_attach_status_str(VSWITCH_ERR_MAC_IN_USE),
			    "MAC already on the switch");
}

static void test_attach_until_full(void **state)
{
	struct fixture *f = *state;
	uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 0 };
	unsigned port = 0;

	for (unsigned i = 3; i < VSWITCH_MAX_PORTS; i++) {
		mac[5] = (uint8_t)i;
		assert_int_equal(attach(&f->sw, mac, NULL), i);
	}
	mac[5] = 0xee;
	assert_int_equal(vswitch_attach(&f->sw, mac, NULL, &port),
			 VSWITCH_ERR_FULL);
	assert_int_equal(f->sw.attached, VSWITCH_MAX_PORTS);
	/* A freed number is taken again, the lowest first. */
	vswitch_detach(&f->sw, 7);
	vswitch_detach(&f->sw, 5);
	assert_int_equal(attach(&f->sw, mac, NULL), 5);
}

static void test_detach_forgets_mac_and_counters(void **state)
{
	struct fixture *f = *state;
	struct vswitch_dest d;
	unsigned again;

	assert_int_equal(send(&f->sw, f->b, mac_a, mac_b, 0x0800, 100, &d),
			 VSWITCH_FORWARD);
	assert_dest(&d, 1, f->a);
	vswitch_detach(&f->sw, f->b);
	assert_int_equal(f->sw.attached, 2);
	assert_null(vswitch_port(&f->sw, f->b));
	assert_int_equal(vswitch_port_of_mac(&f->sw, mac_b), -1);
	/* Frames for the old MAC are now unknown unicast: flooded to the
	 * ports that are left. */
	assert_int_equal(send(&f->sw, f->a, mac_b, mac_a, 0x0800, 60, &d),
			 VSWITCH_FORWARD);
	assert_dest(&d, 1, f->c);
	/* The detached port can no longer send. */
	assert_int_equal(send(&f->sw, f->b, mac_a, mac_b, 0x0800, 60, &d),
			 VSWITCH_DROP_NO_PORT);
	assert_int_equal(d.count, 0);
	/* Re-attached (another domain, another MAC): counters start at 0. */
	again = attach(&f->sw, mac_d, NULL);
	assert_int_equal(again, f->b);
	assert_int_equal(stats(&f->sw, again)->tx_packets, 0);
	assert_int_equal(stats(&f->sw, again)->tx_bytes, 0);
	/* Detaching twice, or a port never attached, changes nothing. */
	vswitch_detach(&f->sw, 9);
	vswitch_detach(&f->sw, VSWITCH_MAX_PORTS + 3);
	assert_int_equal(f->sw.attached, 3);
}

/* A MAC freed by a detach may be attached again, to any port. */
static void test_mac_reusable_after_detach(void **state)
{
	struct fixture *f = *state;

	vswitch_detach(&f->sw, f->a);
	assert_int_equal(attach(&f->sw, mac_a, NULL), f->a);
	assert_int_equal(vswitch_port_of_mac(&f->sw, mac_a), (int)f->a);
}

/* ------------------------------------------------------------ forwarding */

static void test_unicast_to_known_port(void **state)
{
	struct fixture *f = *state;
	struct vswitch_dest d;

	assert_int_equal(send(&f->sw, f->a, mac_c, mac_a, 0x0800, 98, &d),
			 VSWITCH_FORWARD);
	assert_dest(&d, 1, f->c);
	assert_int_equal(send(&f->sw, f->c, mac_a, mac_c, 0x86dd, 1514, &d),
			 VSWITCH_FORWARD);
	assert_dest(&d, 1, f->a);
	assert_int_equal(stats(&f->sw, f->a)->tx_packets, 1);
	assert_int_equal(stats(&f->sw, f->a)->tx_bytes, 98);
	assert_int_equal(stats(&f->sw, f->c)->tx_packets, 1);
	assert_int_equal(stats(&f->sw, f->c)->tx_bytes, 1514);
	/* rx is the device model's to report. */
	assert_int_equal(stats(&f->sw, f->c)->rx_packets, 0);
}

static void test_never_back_to_sender(void **state)
{
	struct fixture *f = *state;
	struct vswitch_dest d;

	assert_int_equal(send(&f->sw, f->b, mac_b, mac_b, 0x0800, 60, &d),
			 VSWITCH_FORWARD);
	assert_int_equal(d.count, 0);
	/* Sent, if to no one. */
	assert_int_equal(stats(&f->sw, f->b)->tx_packets, 1);
}

static void test_flooding(void **state)
{
	struct fixture *f = *state;
	struct vswitch_dest d;

	assert_int_equal(send(&f->sw, f->b, mac_bcast, mac_b, 0x0806, 42, &d),
			 VSWITCH_FORWARD);
	assert_dest(&d, 2, f->a, f->c);
	assert_int_equal(send(&f->sw, f->a, mac_mcast, mac_a, 0x0800, 60, &d),
			 VSWITCH_FORWARD);
	assert_dest(&d, 2, f->b, f->c);
	assert_int_equal(send(&f->sw, f->c, mac_ipv6_mcast, mac_c, 0x86dd, 90, &d),
			 VSWITCH_FORWARD);
	assert_dest(&d, 2, f->a, f->b);
	assert_int_equal(send(&f->sw, f->c, mac_unknown, mac_c, 0x0800, 60, &d),
			 VSWITCH_FORWARD);
	assert_dest(&d, 2, f->a, f->b);
}

static void test_alone_on_the_switch(void **state)
{
	struct vswitch sw;
	struct vswitch_dest d;
	unsigned p;

	(void)state;
	assert_true(vswitch_init(&sw, "lonely"));
	p = attach(&sw, mac_a, NULL);
	assert_int_equal(send(&sw, p, mac_bcast, mac_a, 0x0806, 42, &d),
			 VSWITCH_FORWARD);
	assert_int_equal(d.count, 0);
}

/* Flooding across a full switch lists every other port once, in order. */
static void test_flood_full_switch(void **state)
{
	struct vswitch sw;
	struct vswitch_dest d;
	uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 0 };

	(void)state;
	assert_true(vswitch_init(&sw, "big"));
	for (unsigned i = 0; i < VSWITCH_MAX_PORTS; i++) {
		mac[5] = (uint8_t)(i + 1);
		attach(&sw, mac, NULL);
	}
	mac[5] = 18;	/* port 17 */
	assert_int_equal(send(&sw, 17, mac_bcast, mac, 0x0800, 64, &d),
			 VSWITCH_FORWARD);
	assert_int_equal(d.count, VSWITCH_MAX_PORTS - 1);
	for (unsigned i = 0, want = 0; i < d.count; i++, want++) {
		if (want == 17)
			want++;
		assert_int_equal(d.port[i], want);
	}
}

/* ------------------------------------------------------------ drops */

static void test_spoofed_source(void **state)
{
	struct fixture *f = *state;
	struct vswitch_dest d;

	/* Another port's MAC, an unknown one, a group address. */
	assert_int_equal(send(&f->sw, f->a, mac_c, mac_b, 0x0800, 60, &d),
			 VSWITCH_DROP_SPOOFED);
	assert_int_equal(d.count, 0);
	assert_int_equal(send(&f->sw, f->a, mac_bcast, mac_unknown, 0x0806, 42, &d),
			 VSWITCH_DROP_SPOOFED);
	assert_int_equal(send(&f->sw, f->a, mac_c, mac_bcast, 0x0800, 60, &d),
			 VSWITCH_DROP_SPOOFED);
	assert_int_equal(d.count, 0);
	assert_int_equal(stats(&f->sw, f->a)->tx_spoofed, 3);
	assert_int_equal(stats(&f->sw, f->a)->tx_packets, 0);
	assert_int_equal(stats(&f->sw, f->a)->tx_bytes, 0);
	/* The port whose MAC was used counts nothing. */
	assert_int_equal(stats(&f->sw, f->b)->tx_spoofed, 0);
	assert_int_equal(stats(&f->sw, f->b)->tx_packets, 0);
}

static void test_frame_lengths(void **state)
{
	struct fixture *f = *state;
	struct vswitch_dest d;

	for (size_t len = 0; len < VSWITCH_ETH_HLEN; len++)
		assert_int_equal(send(&f->sw, f->a, mac_b, mac_a, 0x0800, len, &d),
				 VSWITCH_DROP_RUNT);
	assert_int_equal(stats(&f->sw, f->a)->tx_runt, VSWITCH_ETH_HLEN);
	assert_int_equal(send(&f->sw, f->a, mac_b, mac_a, 0x0800, 14, &d),
			 VSWITCH_FORWARD);
	assert_int_equal(send(&f->sw, f->a, mac_b, mac_a, 0x0800, 1514, &d),
			 VSWITCH_FORWARD);
	assert_int_equal(send(&f->sw, f->a, mac_b, mac_a, 0x0800, 1515, &d),
			 VSWITCH_DROP_OVERSIZE);
	assert_int_equal(d.count, 0);
	/* A tagged frame may be 4 bytes longer, and no more. */
	assert_int_equal(send(&f->sw, f->a, mac_b, mac_a, 0x8100, 1518, &d),
			 VSWITCH_FORWARD);
	assert_dest(&d, 1, f->b);
	assert_int_equal(send(&f->sw, f->a, mac_b, mac_a, 0x88a8, 1518, &d),
			 VSWITCH_FORWARD);
	assert_int_equal(send(&f->sw, f->a, mac_b, mac_a, 0x8100, 1519, &d),
			 VSWITCH_DROP_OVERSIZE);
	/* 0x9100 (an old QinQ TPID) is not a tag here. */
	assert_int_equal(send(&f->sw, f->a, mac_b, mac_a, 0x9100, 1518, &d),
			 VSWITCH_DROP_OVERSIZE);
	assert_int_equal(send(&f->sw, f->a, mac_b, mac_a, 0x0800, 65536, &d),
			 VSWITCH_DROP_OVERSIZE);
	assert_int_equal(stats(&f->sw, f->a)->tx_oversize, 4);
	assert_int_equal(stats(&f->sw, f->a)->tx_packets, 4);
	assert_int_equal(stats(&f->sw, f->a)->tx_bytes, 14 + 1514 + 1518 + 1518);
	/* A frame too long that also lies about its source is counted once,
	 * as too long. */
	assert_int_equal(send(&f->sw, f->a, mac_b, mac_c, 0x0800, 1600, &d),
			 VSWITCH_DROP_OVERSIZE);
	assert_int_equal(stats(&f->sw, f->a)->tx_oversize, 5);
	assert_int_equal(stats(&f->sw, f->a)->tx_spoofed, 0);
}

/* A GSO frame (a TCP segment of up to 64 KiB that its receiver takes
 * whole) may carry a 65535-byte packet; it goes where any frame would, and
 * the other rules hold for it as well. */
static void test_gso_frames(void **state)
{
	struct fixture *f = *state;
	struct vswitch_dest d;

	assert_int_equal(VSWITCH_GSO_FRAME_MAX, 14 + 65535);
	assert_int_equal(VSWITCH_GSO_FRAME_MAX_TAGGED, 14 + 4 + 65535);
	assert_int_equal(send_gso(&f->sw, f->a, mac_b, mac_a, 0x0800, 65549, &d),
			 VSWITCH_FORWARD);
	assert_dest(&d, 1, f->b);
	assert_int_equal(send_gso(&f->sw, f->a, mac_c, mac_a, 0x86dd, 30000, &d),
			 VSWITCH_FORWARD);
	assert_dest(&d, 1, f->c);
	/* Short ones too: GSO says how to cut, not how long. */
	assert_int_equal(send_gso(&f->sw, f->a, mac_b, mac_a, 0x0800, 14, &d),
			 VSWITCH_FORWARD);
	/* Flooded like any frame (whoever cannot take GSO is the device
	 * model's to find). */
	assert_int_equal(send_gso(&f->sw, f->a, mac_unknown, mac_a, 0x0800, 9000,
				  &d),
			 VSWITCH_FORWARD);
	assert_dest(&d, 2, f->b, f->c);
	assert_int_equal(send_gso(&f->sw, f->a, mac_b, mac_a, 0x0800, 65550, &d),
			 VSWITCH_DROP_OVERSIZE);
	assert_int_equal(d.count, 0);
	/* Tagged: 4 bytes more. */
	assert_int_equal(send_gso(&f->sw, f->a, mac_b, mac_a, 0x8100, 65553, &d),
			 VSWITCH_FORWARD);
	assert_int_equal(send_gso(&f->sw, f->a, mac_b, mac_a, 0x88a8, 65554, &d),
			 VSWITCH_DROP_OVERSIZE);
	/* The rest of the rules hold. */
	assert_int_equal(send_gso(&f->sw, f->a, mac_b, mac_a, 0x0800, 13, &d),
			 VSWITCH_DROP_RUNT);
	assert_int_equal(send_gso(&f->sw, f->a, mac_b, mac_c, 0x0800, 20000, &d),
			 VSWITCH_DROP_SPOOFED);
	assert_int_equal(d.count, 0);
	assert_int_equal(send_gso(&f->sw, f->a, mac_a, mac_a, 0x0800, 20000, &d),
			 VSWITCH_FORWARD);
	assert_int_equal(d.count, 0);
	/* A frame that is not GSO keeps its 1514: the same length is
	 * oversize without the flag. */
	assert_int_equal(send(&f->sw, f->a, mac_b, mac_a, 0x0800, 30000, &d),
			 VSWITCH_DROP_OVERSIZE);
	assert_int_equal(stats(&f->sw, f->a)->tx_packets, 6);
	assert_int_equal(stats(&f->sw, f->a)->tx_bytes,
			 65549 + 30000 + 14 + 9000 + 65553 + 20000);
	assert_int_equal(stats(&f->sw, f->a)->tx_oversize, 3);
	assert_int_equal(stats(&f->sw, f->a)->tx_runt, 1);
	assert_int_equal(stats(&f->sw, f->a)->tx_spoofed, 1);
}

static void test_unattached_in_port(void **state)
{
	struct fixture *f = *state;
	struct vswitch_dest d;

	assert_int_equal(send(&f->sw, 5, mac_a, mac_a, 0x0800, 60, &d),
			 VSWITCH_DROP_NO_PORT);
	assert_int_equal(d.count, 0);
	assert_int_equal(send(&f->sw, VSWITCH_MAX_PORTS, mac_a, mac_b, 0x0800,
			      60, &d),
			 VSWITCH_DROP_NO_PORT);
	assert_int_equal(send(&f->sw, 4000000000u, mac_a, mac_b, 0x0800, 60, &d),
			 VSWITCH_DROP_NO_PORT);
	for (unsigned p = 0; p < 3; p++) {
		assert_int_equal(stats(&f->sw, p)->tx_packets, 0);
		assert_int_equal(stats(&f->sw, p)->rx_packets, 0);
	}
}

/* ------------------------------------------------------------ reports */

static void test_device_model_reports(void **state)
{
	struct fixture *f = *state;
	const struct vswitch_port_stats *s = stats(&f->sw, f->b);

	vswitch_count_rx(&f->sw, f->b, 1514);
	vswitch_count_rx(&f->sw, f->b, 60);
	vswitch_count_rx_no_buffer(&f->sw, f->b);
	vswitch_count_tx_drop(&f->sw, f->b, VSWITCH_DROP_BAD_HEADER);
	vswitch_count_tx_drop(&f->sw, f->b, VSWITCH_DROP_OVERSIZE);
	vswitch_count_tx_drop(&f->sw, f->b, VSWITCH_DROP_OVERSIZE);
	vswitch_count_tx_drop(&f->sw, f->b, VSWITCH_DROP_RUNT);
	vswitch_count_tx_drop(&f->sw, f->b, VSWITCH_DROP_SPOOFED);
	/* Not drops: nothing to count. */
	vswitch_count_tx_drop(&f->sw, f->b, VSWITCH_FORWARD);
	vswitch_count_tx_drop(&f->sw, f->b, VSWITCH_DROP_NO_PORT);
	assert_int_equal(s->rx_packets, 2);
	assert_int_equal(s->rx_bytes, 1574);
	assert_int_equal(s->rx_no_buffer, 1);
	assert_int_equal(s->tx_bad_header, 1);
	assert_int_equal(s->tx_oversize, 2);
	assert_int_equal(s->tx_runt, 1);
	assert_int_equal(s->tx_spoofed, 1);
	assert_int_equal(s->tx_packets, 0);
	/* Another port is untouched; unattached ports are ignored. */
	assert_int_equal(stats(&f->sw, f->a)->rx_packets, 0);
	vswitch_count_rx(&f->sw, 20, 60);
	vswitch_count_rx_no_buffer(&f->sw, VSWITCH_MAX_PORTS);
	vswitch_count_tx_drop(&f->sw, 999, VSWITCH_DROP_RUNT);
	assert_null(vswitch_port(&f->sw, 20));
}

/* Two switches are independent: the same MAC may be on both. */
static void test_switches_are_separate(void **state)
{
	struct fixture *f = *state;
	struct vswitch other;
	struct vswitch_dest d;
	unsigned p, q;

	assert_true(vswitch_init(&other, "xenbr1"));
	p = attach(&other, mac_a, NULL);
	q = attach(&other, mac_d, NULL);
	assert_int_equal(send(&other, q, mac_bcast, mac_d, 0x0806, 42, &d),
			 VSWITCH_FORWARD);
	assert_dest(&d, 1, p);
	assert_int_equal(stats(&f->sw, f->a)->rx_packets, 0);
	assert_int_equal(vswitch_port_of_mac(&f->sw, mac_d), -1);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_names),
		T(test_attach_numbers_and_owner),
		T(test_attach_refuses_bad_macs),
		T(test_attach_until_full),
		T(test_detach_forgets_mac_and_counters),
		T(test_mac_reusable_after_detach),
		T(test_unicast_to_known_port),
		T(test_never_back_to_sender),
		T(test_flooding),
		cmocka_unit_test(test_alone_on_the_switch),
		cmocka_unit_test(test_flood_full_switch),
		T(test_spoofed_source),
		T(test_frame_lengths),
		T(test_gso_frames),
		T(test_unattached_in_port),
		T(test_device_model_reports),
		T(test_switches_are_separate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
