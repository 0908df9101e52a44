/* hv/vdev/virtio_net.c behind the real virtio-mmio transport, driven by
 * the simulated guest driver of virtio_driver_sim.h: frames the guest
 * transmits reach the owner's send callback (after the notify, with no
 * transport lock held), headers the device cannot honour go to
 * tx_refused and cost only their frame, virtio_net_receive fills posted
 * receive buffers with a 12-byte header and the frame (or says it could
 * not), checksum offload both ways, TCP segmentation offload (64 KiB GSO
 * frames out of Linux-like transmit chains, into Linux's "big packet"
 * receive chains, refused for a driver without GUEST_TSO without taking
 * its buffer), config space, interrupts. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/virtio_net_frame.h"
#include "lib/vswitch.h"
#include "vdev/virtio_net.h"
#include "virtio_driver_sim.h"

#define RXQ VIRTIO_NET_QUEUE_RX
#define TXQ VIRTIO_NET_QUEUE_TX
#define QSIZE 32
#define HDR VIRTIO_NET_HDR_SIZE
#define MAX_SENT 16

static struct vds d;
static struct virtio_mmio t;
static struct virtio_net net;
static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

/* What reached the owner. */
struct sent {
	uint8_t frame[VIRTIO_NET_GSO_FRAME_MAX];
	size_t len;
	struct virtio_net_offload off;
};
static struct sent sent[MAX_SENT];
static unsigned sent_count;
static enum virtio_net_status refused[MAX_SENT];
static unsigned refused_count;
static int owner;

/* When set, the owner hands every frame straight back to the same
 * device (a switch hairpinning to the sender), as a switch delivering to
 * another port does from inside send: it takes the transport's lock. */
static bool loopback;
static unsigned loopback_delivered;

static void send_frame(void *o, const uint8_t *frame, size_t len,
		       const struct virtio_net_offload *off)
{
	assert_ptr_equal(o, &owner);
	/* Outside the transport's lock (the switch takes other domains'),
	 * inside the device's transmit lock. */
	assert_false(vds_lock_held(&d));
	assert_int_not_equal(net.tx_lock.next, net.tx_lock.serving);
	assert_true(sent_count < MAX_SENT);
	assert_true(len <= sizeof(sent[0].frame));
	memcpy(sent[sent_count].frame, frame, len);
	sent[sent_count].len = len;
	sent[sent_count].off = *off;
	sent_count++;
	if (loopback &&
	    virtio_net_receive(&net, &t, frame, len, off) == VIRTIO_NET_OK)
		loopback_delivered++;
}

static void tx_refused(void *o, enum virtio_net_status why)
{
	assert_ptr_equal(o, &owner);
	assert_false(vds_lock_held(&d));
	assert_true(refused_count < MAX_SENT);
	refused[refused_count++] = why;
}

static int setup(void **state)
{
	(void)state;
	sent_count = 0;
	refused_count = 0;
	loopback = false;
	loopback_delivered = 0;
	vds_init(&d, &t, &virtio_net_ops, &net);
	memset(&net, 0xa5, sizeof(net));
	virtio_net_init(&net, mac, &owner, send_frame, tx_refused);
	return 0;
}

static const uint64_t plain = VIRTIO_F_VERSION_1;
static const uint64_t all = VIRTIO_F_VERSION_1 | VIRTIO_F_EVENT_IDX |
			    VIRTIO_F_INDIRECT_DESC;

static void bring_up(uint64_t features)
{
	vds_bring_up(&d, features, 2, QSIZE);
}

/* ------------------------------------------------------------ frames */

/* An Ethernet frame of `len` bytes to `mac`, `seed` varying the rest. */
static void make_frame(uint8_t *f, size_t len, uint8_t seed)
{
	static const uint8_t src[6] = { 0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc };

	assert_true(len >= 14);
	memcpy(f, mac, 6);
	memcpy(f + 6, src, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	for (size_t i = 14; i < len; i++)
		f[i] = (uint8_t)(seed + i * 7);
}

/* A virtio-net header (5.1.6, VERSION_1 layout). */
static void make_hdr(uint8_t h[HDR], uint8_t flags, uint8_t gso_type,
		     uint16_t csum_start, uint16_t csum_offset)
{
	memset(h, 0, HDR);
	h[0] = flags;
	h[1] = gso_type;
	h[6] = (uint8_t)csum_start;
	h[7] = (uint8_t)(csum_start >> 8);
	h[8] = (uint8_t)csum_offset;
	h[9] = (uint8_t)(csum_offset >> 8);
}

/* A GSO header: NEEDS_CSUM with TCP's checksum at csum_start + 16. */
static void make_gso_hdr(uint8_t h[HDR], uint8_t gso_type, uint16_t hdr_len,
			 uint16_t gso_size, uint16_t csum_start)
{
	make_hdr(h, VIRTIO_NET_HDR_F_NEEDS_CSUM, gso_type, csum_start, 16);
	h[2] = (uint8_t)hdr_len;
	h[3] = (uint8_t)(hdr_len >> 8);
	h[4] = (uint8_t)gso_size;
	h[5] = (uint8_t)(gso_size >> 8);
}

static struct virtio_net_offload gso_off(uint8_t gso_type, uint16_t hdr_len,
					 uint16_t gso_size, uint16_t csum_start)
{
	return (struct virtio_net_offload){ .partial = true,
					    .csum_start = csum_start,
					    .csum_offset = 16,
					    .gso_type = gso_type,
					    .gso_size = gso_size,
					    .hdr_len = hdr_len };
}

/* Transmit chain as Linux's xmit_skb lays out a GSO skb: the header, the
 * skb's linear part (`linear` bytes), then its page fragments, in an
 * indirect table. */
static uint16_t tx_gso_frame(const uint8_t *hdr, const uint8_t *frame,
			     size_t len, size_t linear)
{
	struct vds_buf b[2 + 17];
	unsigned n = 0;

	b[n++] = vds_out_buf(&d, hdr, HDR);
	b[n++] = vds_out_buf(&d, frame, (uint32_t)linear);
	for (size_t at = linear; at < len; at += 4096) {
		size_t k = len - at < 4096 ? len - at : 4096;

		assert_true(n < 2 + 17);
		b[n++] = vds_out_buf(&d, frame + at, (uint32_t)k);
	}
	return vds_add_indirect(&d, TXQ, b, n);
}

/* Transmit chain: header and frame in two buffers, as Linux does for a
 * linear skb without room in front. */
static uint16_t tx_frame_hdr(const uint8_t *hdr, const uint8_t *frame,
			     size_t len)
{
	struct vds_buf b[2] = { vds_out_buf(&d, hdr, HDR),
				vds_out_buf(&d, frame, (uint32_t)len) };

	return vds_add_chain(&d, TXQ, b, 2);
}

static uint16_t tx_frame(const uint8_t *frame, size_t len)
{
	uint8_t h[HDR];

	make_hdr(h, 0, VIRTIO_NET_HDR_GSO_NONE, 0, 0);
	return tx_frame_hdr(h, frame, len);
}

static void assert_sent(unsigned i, const uint8_t *frame, size_t len)
{
	assert_true(i < sent_count);
	assert_int_equal(sent[i].len, len);
	assert_memory_equal(sent[i].frame, frame, len);
}

/* A receive buffer of `len` bytes. */
static uint16_t post_rx(uint32_t len, uint64_t *gpa)
{
	struct vds_buf b = vds_in_buf(&d, len, 0xcc);

	*gpa = b.addr;
	return vds_add_chain(&d, RXQ, &b, 1);
}

static bool receive(const uint8_t *frame, size_t len,
		    const struct virtio_net_offload *off)
{
	return virtio_net_receive(&net, &t, frame, len, off) == VIRTIO_NET_OK;
}

/* The 12-byte header the device wrote at gpa: flags, gso_type, hdr_len,
 * gso_size, csum_start, csum_offset, num_buffers. */
static void assert_rx_hdr(uint64_t gpa, uint8_t flags, uint16_t csum_start,
			  uint16_t csum_offset)
{
	assert_int_equal(d.ram[gpa], flags);
	assert_int_equal(d.ram[gpa + 1], VIRTIO_NET_HDR_GSO_NONE);
	assert_int_equal(vds_get16(&d, gpa + 2), 0);	/* hdr_len */
	assert_int_equal(vds_get16(&d, gpa + 4), 0);	/* gso_size */
	assert_int_equal(vds_get16(&d, gpa + 6), csum_start);
	assert_int_equal(vds_get16(&d, gpa + 8), csum_offset);
	assert_int_equal(vds_get16(&d, gpa + 10), 1);	/* num_buffers */
}

/* ------------------------------------------------- identity and config */

static void test_identity_and_config(void **state)
{
	(void)state;
	assert_int_equal(vds_rd(&d, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_NET);
	uint64_t f = vds_offered_features(&d);
	assert_int_equal(f, all | VIRTIO_NET_FEATURES);
	assert_true(f & VIRTIO_NET_F_MAC);
	assert_true(f & VIRTIO_NET_F_HOST_TSO4);
	assert_true(f & VIRTIO_NET_F_GUEST_TSO6);
	assert_int_equal(f & (VIRTIO_NET_F_MRG_RXBUF | VIRTIO_NET_F_HOST_UFO |
			      VIRTIO_NET_F_GUEST_UFO | VIRTIO_NET_F_CTRL_VQ |
			      VIRTIO_NET_F_MQ), 0);
	assert_true(vds_negotiate(&d, f));
	vds_wr(&d, VIRTIO_MMIO_QUEUE_SEL, 2);		/* no control queue */
	assert_int_equal(vds_rd(&d, VIRTIO_MMIO_QUEUE_NUM_MAX), 0);

	/* The MAC, as Linux reads it (virtio_cread_bytes: byte by byte),
	 * and in wider pieces: little-endian. */
	for (unsigned i = 0; i < 6; i++)
		assert_int_equal(vds_config_read(&d, i, 1), mac[i]);
	assert_int_equal(vds_config_read(&d, 0, 4), 0x12005452);
	assert_int_equal(vds_config_read(&d, 4, 2), 0x5634);
	assert_int_equal(vds_config_read(&d, 0, 8),
			 0x0001563412005452ull);	/* + status LINK_UP */
	assert_int_equal(vds_config_read(&d, 6, 2), VIRTIO_NET_S_LINK_UP);
	assert_int_equal(vds_config_read(&d, 8, 2), 1);	/* max pairs */
	assert_int_equal(vds_config_read(&d, 10, 2), VIRTIO_NET_MTU);
	assert_int_equal(vds_config_read(&d, 12, 4), VIRTIO_NET_SPEED_UNKNOWN);
	assert_int_equal(vds_config_read(&d, 16, 1), VIRTIO_NET_DUPLEX_UNKNOWN);
	assert_int_equal(vds_config_read(&d, VIRTIO_NET_CONFIG_SIZE, 1), 0);
	/* Read-only: the MAC stays. */
	virtio_mmio_write(&t, VIRTIO_MMIO_CONFIG, 4, 0xffffffff);
	assert_int_equal(vds_config_read(&d, 0, 4), 0x12005452);
}

/* ---------------------------------------------------------- transmit */

static void test_tx_one_frame(void **state)
{
	(void)state;
	uint8_t f[60];
	make_frame(f, sizeof(f), 1);

	bring_up(plain);
	uint16_t h = tx_frame(f, sizeof(f));
	assert_int_equal(sent_count, 0);
	vds_notify(&d, TXQ);
	/* virtio_mmio_write has returned: the unlocked drain ran. */
	assert_int_equal(sent_count, 1);
	assert_sent(0, f, sizeof(f));
	assert_false(sent[0].off.partial);
	vds_expect_used(&d, TXQ, h, 0);
	assert_int_equal(d.irqs, 1);
	assert_int_equal(vds_ack_irq(&d), VIRTIO_MMIO_INT_VRING);
	assert_int_equal(refused_count, 0);
	assert_int_equal(d.logs, 0);
	assert_false(vds_lock_held(&d));
	assert_int_equal(net.tx_lock.next, net.tx_lock.serving);
}

/* Several frames in one notification, laid out every way a driver may:
 * header and frame in one buffer, in two, the frame split further, an
 * indirect table; a maximum-size tagged frame. In order, exact bytes. */
static void test_tx_layouts(void **state)
{
	(void)state;
	uint8_t f0[60], f1[1514], f2[200], f3[VSWITCH_FRAME_MAX_TAGGED];
	uint8_t h[HDR], one[HDR + sizeof(f0)];
	make_frame(f0, sizeof(f0), 10);
	make_frame(f1, sizeof(f1), 20);
	make_frame(f2, sizeof(f2), 30);
	make_frame(f3, sizeof(f3), 40);
	make_hdr(h, 0, VIRTIO_NET_HDR_GSO_NONE, 0, 0);

	bring_up(all);
	memcpy(one, h, HDR);
	memcpy(one + HDR, f0, sizeof(f0));
	struct vds_buf b0 = vds_out_buf(&d, one, sizeof(one));
	uint16_t h0 = vds_add_chain(&d, TXQ, &b0, 1);
	uint16_t h1 = tx_frame(f1, sizeof(f1));
	struct vds_buf b2[4] = { vds_out_buf(&d, h, 5),
				 vds_out_buf(&d, h + 5, HDR - 5),
				 vds_out_buf(&d, f2, 17),
				 vds_out_buf(&d, f2 + 17, sizeof(f2) - 17) };
	uint16_t h2 = vds_add_indirect(&d, TXQ, b2, 4);
	uint16_t h3 = tx_frame(f3, sizeof(f3));
	vds_notify(&d, TXQ);
	assert_int_equal(sent_count, 4);
	assert_sent(0, f0, sizeof(f0));
	assert_sent(1, f1, sizeof(f1));
	assert_sent(2, f2, sizeof(f2));
	assert_sent(3, f3, sizeof(f3));
	vds_expect_used(&d, TXQ, h0, 0);
	vds_expect_used(&d, TXQ, h1, 0);
	vds_expect_used(&d, TXQ, h2, 0);
	vds_expect_used(&d, TXQ, h3, 0);
	assert_int_equal(d.irqs, 1);
	assert_int_equal(refused_count, 0);
	/* Re-armed for the next frame. */
	assert_int_equal(vds_avail_event(&d, TXQ), 4);
}

/* Headers the device cannot honour: that frame is refused (to
 * tx_refused, with why), its buffer given back, and the device keeps
 * going with the next. */
static void test_tx_refused(void **state)
{
	(void)state;
	uint8_t f[100], h[HDR];
	make_frame(f, sizeof(f), 3);

	bring_up(plain);			/* no CSUM, no HOST_TSO4 */
	make_hdr(h, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 34, 16);
	h[4] = 100;				/* gso_size */
	uint16_t h0 = tx_frame_hdr(h, f, sizeof(f));
	make_hdr(h, VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 34, 6);
	uint16_t h1 = tx_frame_hdr(h, f, sizeof(f));
	struct vds_buf shortb = vds_out_buf(&d, h, HDR - 1);
	uint16_t h2 = vds_add_chain(&d, TXQ, &shortb, 1);
	uint8_t big[VSWITCH_FRAME_MAX_TAGGED + 1];
	make_frame(big, sizeof(big), 4);
	uint16_t h3 = tx_frame(big, sizeof(big));
	uint16_t h4 = tx_frame(f, sizeof(f));
	vds_notify(&d, TXQ);
	assert_int_equal(refused_count, 4);
	assert_int_equal(refused[0], VIRTIO_NET_ERR_GSO);
	assert_int_equal(refused[1], VIRTIO_NET_ERR_CSUM_NOT_OFFERED);
	assert_int_equal(refused[2], VIRTIO_NET_ERR_HDR_SHORT);
	assert_int_equal(refused[3], VIRTIO_NET_ERR_TOO_LONG);
	assert_int_equal(sent_count, 1);
	assert_sent(0, f, sizeof(f));
	vds_expect_used(&d, TXQ, h0, 0);
	vds_expect_used(&d, TXQ, h1, 0);
	vds_expect_used(&d, TXQ, h2, 0);
	vds_expect_used(&d, TXQ, h3, 0);
	vds_expect_used(&d, TXQ, h4, 0);
	/* Not a failed device: no NEEDS_RESET, no log. */
	assert_int_equal(vds_status(&d) & VDS_NEEDS_RESET, 0);
	assert_true(virtio_mmio_running(&t));
	assert_int_equal(d.logs, 0);
}

/* With VIRTIO_NET_F_CSUM, a partial checksum goes to the owner as such;
 * offsets outside the frame are refused. */
static void test_tx_partial_checksum(void **state)
{
	(void)state;
	uint8_t f[100], h[HDR];
	make_frame(f, sizeof(f), 5);

	bring_up(plain | VIRTIO_NET_F_CSUM);
	make_hdr(h, VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 34, 6);
	tx_frame_hdr(h, f, sizeof(f));
	make_hdr(h, VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 34, 65);	/* 34+65+2 > 100 */
	tx_frame_hdr(h, f, sizeof(f));
	vds_notify(&d, TXQ);
	assert_int_equal(sent_count, 1);
	assert_sent(0, f, sizeof(f));
	assert_true(sent[0].off.partial);
	assert_int_equal(sent[0].off.csum_start, 34);
	assert_int_equal(sent[0].off.csum_offset, 6);
	assert_int_equal(refused_count, 1);
	assert_int_equal(refused[0], VIRTIO_NET_ERR_CSUM_RANGE);
}

/* With HOST_TSO4/6 (and HOST_ECN), a 64 KiB TCP GSO frame goes to the
 * owner whole, with its offloads; one longer than any GSO frame, or of a
 * type not negotiated, is refused. */
static void test_tx_gso(void **state)
{
	(void)state;
	static uint8_t f[VIRTIO_NET_GSO_FRAME_MAX + 1];
	uint8_t h[HDR];
	const size_t max4 = 14 + 65535;		/* the largest IPv4 packet */
	make_frame(f, sizeof(f), 31);

	bring_up(all | VIRTIO_NET_F_CSUM | VIRTIO_NET_F_HOST_TSO4 |
		 VIRTIO_NET_F_HOST_ECN);
	make_gso_hdr(h, VIRTIO_NET_HDR_GSO_TCPV4, 66, 1448, 34);
	uint16_t h0 = tx_gso_frame(h, f, max4, 66);
	make_gso_hdr(h, VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN, 54,
		     8948, 34);
	uint16_t h1 = tx_gso_frame(h, f, VIRTIO_NET_GSO_FRAME_MAX, 54);
	uint16_t h2 = tx_gso_frame(h, f, VIRTIO_NET_GSO_FRAME_MAX + 1, 54);
	make_gso_hdr(h, VIRTIO_NET_HDR_GSO_TCPV6, 74, 1428, 54);
	uint16_t h3 = tx_gso_frame(h, f, 30000, 74);
	vds_notify(&d, TXQ);
	assert_int_equal(sent_count, 2);
	assert_sent(0, f, max4);
	assert_true(sent[0].off.partial);
	assert_int_equal(sent[0].off.csum_start, 34);
	assert_int_equal(sent[0].off.csum_offset, 16);
	assert_int_equal(sent[0].off.gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
	assert_int_equal(sent[0].off.gso_size, 1448);
	assert_int_equal(sent[0].off.hdr_len, 66);
	assert_sent(1, f, VIRTIO_NET_GSO_FRAME_MAX);
	assert_int_equal(sent[1].off.gso_type,
			 VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN);
	assert_int_equal(sent[1].off.gso_size, 8948);
	assert_int_equal(refused_count, 2);
	assert_int_equal(refused[0], VIRTIO_NET_ERR_TOO_LONG);
	assert_int_equal(refused[1], VIRTIO_NET_ERR_GSO);	/* no HOST_TSO6 */
	vds_expect_used(&d, TXQ, h0, 0);
	vds_expect_used(&d, TXQ, h1, 0);
	vds_expect_used(&d, TXQ, h2, 0);
	vds_expect_used(&d, TXQ, h3, 0);
	assert_int_equal(vds_status(&d) & VDS_NEEDS_RESET, 0);
	assert_int_equal(d.logs, 0);
}

/* Nothing is sent before DRIVER_OK, nor on a receive-queue notify, nor
 * after a reset. */
static void test_tx_only_when_running(void **state)
{
	(void)state;
	uint8_t f[60];
	make_frame(f, sizeof(f), 6);

	assert_true(vds_negotiate(&d, plain));
	vds_setup_queue(&d, RXQ, QSIZE);
	vds_setup_queue(&d, TXQ, QSIZE);
	uint16_t h = tx_frame(f, sizeof(f));
	vds_notify(&d, TXQ);
	assert_int_equal(sent_count, 0);
	assert_int_equal(vds_used_idx(&d, TXQ), 0);
	vds_driver_ok(&d);
	vds_notify(&d, RXQ);
	assert_int_equal(sent_count, 0);
	vds_notify(&d, TXQ);
	assert_int_equal(sent_count, 1);
	vds_expect_used(&d, TXQ, h, 0);
	tx_frame(f, sizeof(f));
	vds_wr(&d, VIRTIO_MMIO_STATUS, 0);
	vds_notify(&d, TXQ);
	assert_int_equal(sent_count, 1);
}

/* The owner's send may take the transport's lock (delivering to a port,
 * here the sender's own receive queue): it is not held then, so this
 * neither deadlocks nor trips the lock checks, and both queues complete
 * with their interrupts raised outside the lock. */
static void test_tx_loopback_to_own_rx(void **state)
{
	(void)state;
	uint8_t f0[80], f1[90];
	uint64_t g0, g1;
	make_frame(f0, sizeof(f0), 21);
	make_frame(f1, sizeof(f1), 22);

	bring_up(all);
	loopback = true;
	uint16_t r0 = post_rx(2048, &g0);
	uint16_t r1 = post_rx(2048, &g1);
	uint16_t t0 = tx_frame(f0, sizeof(f0));
	uint16_t t1 = tx_frame(f1, sizeof(f1));
	vds_notify(&d, TXQ);
	assert_int_equal(sent_count, 2);
	assert_int_equal(loopback_delivered, 2);
	vds_expect_used(&d, TXQ, t0, 0);
	vds_expect_used(&d, TXQ, t1, 0);
	vds_expect_used(&d, RXQ, r0, HDR + sizeof(f0));
	vds_expect_used(&d, RXQ, r1, HDR + sizeof(f1));
	assert_memory_equal(d.ram + g0 + HDR, f0, sizeof(f0));
	assert_memory_equal(d.ram + g1 + HDR, f1, sizeof(f1));
	assert_true(d.irqs >= 2);		/* receive and transmit */
	assert_int_equal(vds_ack_irq(&d), VIRTIO_MMIO_INT_VRING);
	assert_false(vds_lock_held(&d));
}

/* Without EVENT_IDX, NO_INTERRUPT keeps the transmit queue quiet. */
static void test_tx_no_interrupt_flag(void **state)
{
	(void)state;
	uint8_t f[60];
	make_frame(f, sizeof(f), 7);

	bring_up(plain);
	vds_set_avail_flags(&d, TXQ, VIRTQ_AVAIL_F_NO_INTERRUPT);
	tx_frame(f, sizeof(f));
	vds_notify(&d, TXQ);
	assert_int_equal(sent_count, 1);
	assert_int_equal(vds_used_idx(&d, TXQ), 1);
	assert_int_equal(d.irqs, 0);
}

/* ----------------------------------------------------------- receive */

static void test_rx_one_frame(void **state)
{
	(void)state;
	uint8_t f[100];
	uint64_t g;
	make_frame(f, sizeof(f), 8);

	bring_up(plain);
	uint16_t h = post_rx(HDR + VSWITCH_FRAME_MAX_TAGGED, &g);
	vds_notify(&d, RXQ);			/* nothing happens */
	assert_int_equal(vds_used_pending(&d, RXQ), 0);
	assert_true(receive(f, sizeof(f), NULL));
	vds_expect_used(&d, RXQ, h, HDR + sizeof(f));
	assert_rx_hdr(g, 0, 0, 0);
	assert_memory_equal(d.ram + g + HDR, f, sizeof(f));
	assert_int_equal(d.ram[g + HDR + sizeof(f)], 0xcc);
	assert_int_equal(d.irqs, 1);
	assert_int_equal(vds_ack_irq(&d), VIRTIO_MMIO_INT_VRING);
	assert_false(vds_lock_held(&d));
	assert_int_equal(sent_count, 0);
}

/* Frames go into successive buffers; a buffer split as header + data
 * (as with Linux's big packets) works; an indirect one too. */
static void test_rx_layouts(void **state)
{
	(void)state;
	uint8_t f0[60], f1[1514], f2[300];
	uint64_t g0;
	make_frame(f0, sizeof(f0), 11);
	make_frame(f1, sizeof(f1), 12);
	make_frame(f2, sizeof(f2), 13);

	bring_up(all);
	uint16_t h0 = post_rx(2048, &g0);
	struct vds_buf two[2] = { vds_in_buf(&d, HDR, 0xcc),
				  vds_in_buf(&d, 1514, 0xcc) };
	uint16_t h1 = vds_add_chain(&d, RXQ, two, 2);
	struct vds_buf ind[3] = { vds_in_buf(&d, 8, 0xcc),
				  vds_in_buf(&d, 100, 0xcc),
				  vds_in_buf(&d, 400, 0xcc) };
	uint16_t h2 = vds_add_indirect(&d, RXQ, ind, 3);
	assert_true(receive(f0, sizeof(f0), NULL));
	assert_true(receive(f1, sizeof(f1), NULL));
	assert_true(receive(f2, sizeof(f2), NULL));
	vds_expect_used(&d, RXQ, h0, HDR + sizeof(f0));
	vds_expect_used(&d, RXQ, h1, HDR + sizeof(f1));
	vds_expect_used(&d, RXQ, h2, HDR + sizeof(f2));
	assert_rx_hdr(g0, 0, 0, 0);
	assert_memory_equal(d.ram + g0 + HDR, f0, sizeof(f0));
	assert_rx_hdr(two[0].addr, 0, 0, 0);
	assert_memory_equal(d.ram + two[1].addr, f1, sizeof(f1));
	/* 8 + 100 + 400: the header straddles the first two buffers. */
	uint8_t got[HDR + sizeof(f2)];
	memcpy(got, d.ram + ind[0].addr, 8);
	memcpy(got + 8, d.ram + ind[1].addr, 100);
	memcpy(got + 108, d.ram + ind[2].addr, sizeof(got) - 108);
	assert_int_equal(got[10], 1);		/* num_buffers */
	assert_memory_equal(got + HDR, f2, sizeof(f2));
	/* Out of buffers: the next frame is dropped. */
	assert_false(receive(f0, sizeof(f0), NULL));
	assert_int_equal(vds_used_pending(&d, RXQ), 0);
}

/* No buffer, or no running driver: false, nothing written. */
static void test_rx_refused(void **state)
{
	(void)state;
	uint8_t f[64];
	uint64_t g;
	make_frame(f, sizeof(f), 14);

	/* Nothing set up at all. */
	assert_false(receive(f, sizeof(f), NULL));
	/* Buffers posted, but no DRIVER_OK yet. */
	assert_true(vds_negotiate(&d, plain));
	vds_setup_queue(&d, RXQ, QSIZE);
	vds_setup_queue(&d, TXQ, QSIZE);
	uint16_t h = post_rx(2048, &g);
	assert_false(receive(f, sizeof(f), NULL));
	assert_int_equal(vds_used_idx(&d, RXQ), 0);
	assert_int_equal(d.ram[g], 0xcc);
	/* Running: the buffer posted before is used. */
	vds_driver_ok(&d);
	assert_true(receive(f, sizeof(f), NULL));
	vds_expect_used(&d, RXQ, h, HDR + sizeof(f));
	/* Running, no buffer left. */
	assert_false(receive(f, sizeof(f), NULL));
	assert_int_equal(d.irqs, 1);
	/* After a reset: not running, buffers forgotten. */
	post_rx(2048, &g);
	vds_wr(&d, VIRTIO_MMIO_STATUS, 0);
	assert_false(receive(f, sizeof(f), NULL));
	assert_int_equal(d.ram[g], 0xcc);
	/* Failed (NEEDS_RESET): not running either. */
	bring_up(plain);
	struct vds_buf bad = { VDS_NOT_RAM, 2048, true };
	vds_add_chain(&d, RXQ, &bad, 1);
	assert_false(receive(f, sizeof(f), NULL));
	assert_true(vds_status(&d) & VDS_NEEDS_RESET);
	assert_int_equal(d.logs, 1);
	assert_string_equal(d.last_log, "virtio-net: queue 0: "
			    "a buffer is not in the guest's RAM");
	post_rx(2048, &g);
	assert_false(receive(f, sizeof(f), NULL));
	assert_int_equal(d.ram[g], 0xcc);
	assert_int_equal(d.logs, 1);
}

/* A buffer too small for header + frame: the frame is dropped (false)
 * and the buffer handed back empty, so it is not lost to the driver;
 * the device keeps working. */
static void test_rx_buffer_too_small(void **state)
{
	(void)state;
	uint8_t f[200];
	uint64_t g0, g1;
	make_frame(f, sizeof(f), 15);

	bring_up(plain);
	uint16_t h0 = post_rx(HDR + sizeof(f) - 1, &g0);
	uint16_t h1 = post_rx(HDR + sizeof(f), &g1);
	assert_false(receive(f, sizeof(f), NULL));
	vds_expect_used(&d, RXQ, h0, 0);
	for (unsigned i = 0; i < HDR + sizeof(f) - 1; i++)
		assert_int_equal(d.ram[g0 + i], 0xcc);
	assert_true(receive(f, sizeof(f), NULL));
	vds_expect_used(&d, RXQ, h1, HDR + sizeof(f));
	assert_memory_equal(d.ram + g1 + HDR, f, sizeof(f));
	assert_int_equal(vds_status(&d) & VDS_NEEDS_RESET, 0);
}

/* The Internet checksum of f[start..len), as RFC 1071, 0 stored as
 * 0xffff. */
static uint16_t csum_of(const uint8_t *f, size_t len, size_t start)
{
	uint32_t sum = 0;

	for (size_t i = start; i < len; i += 2)
		sum += (uint32_t)f[i] << 8 | (i + 1 < len ? f[i + 1] : 0);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	sum = ~sum & 0xffff;
	return sum ? (uint16_t)sum : 0xffff;
}

/* A frame with a partial checksum (from another guest that offloaded
 * it): a driver with GUEST_CSUM gets it as NEEDS_CSUM with the offsets;
 * one without gets it completed. The caller's frame is not modified. */
static void test_rx_partial_checksum(void **state)
{
	(void)state;
	uint8_t f[101], copy[101];
	uint64_t g;
	struct virtio_net_offload cs = { .partial = true, .csum_start = 34,
					 .csum_offset = 6 };
	make_frame(f, sizeof(f), 16);
	f[40] = 0x12;		/* the pseudo-header sum in the field */
	f[41] = 0x34;
	memcpy(copy, f, sizeof(f));

	bring_up(plain | VIRTIO_NET_F_GUEST_CSUM);
	uint16_t h = post_rx(2048, &g);
	assert_true(receive(f, sizeof(f), &cs));
	vds_expect_used(&d, RXQ, h, HDR + sizeof(f));
	assert_rx_hdr(g, VIRTIO_NET_HDR_F_NEEDS_CSUM, 34, 6);
	assert_memory_equal(d.ram + g + HDR, f, sizeof(f));

	bring_up(plain);
	h = post_rx(2048, &g);
	assert_true(receive(f, sizeof(f), &cs));
	vds_expect_used(&d, RXQ, h, HDR + sizeof(f));
	assert_rx_hdr(g, 0, 0, 0);
	uint16_t want = csum_of(f, sizeof(f), 34);
	uint8_t *got = d.ram + g + HDR;
	assert_int_equal(got[40] << 8 | got[41], want);
	assert_memory_equal(got, f, 40);
	assert_memory_equal(got + 42, f + 42, sizeof(f) - 42);
	assert_memory_equal(f, copy, sizeof(f));
	/* And the completed sum checks, as a receiver would check it: the
	 * covered bytes, checksum included, plus the pseudo-header sum give
	 * 0xffff. */
	uint32_t sum = 0x1234;
	for (size_t i = 34; i < sizeof(f); i += 2)
		sum += (uint32_t)got[i] << 8 | (i + 1 < sizeof(f) ? got[i + 1] : 0);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	assert_int_equal(sum, 0xffff);
}

/* A receive chain as Linux posts it with GUEST_TSO* and no MRG_RXBUF
 * (add_recvbuf_big): the header alone, the rest of its page after the
 * padded header, then MAX_SKB_FRAGS (17) pages; indirect. */
static uint16_t post_big(struct vds_buf b[19])
{
	b[0] = vds_in_buf(&d, HDR, 0xcc);
	b[1] = vds_in_buf(&d, 4096 - 16, 0xcc);
	for (unsigned i = 2; i < 19; i++)
		b[i] = vds_in_buf(&d, 4096, 0xcc);
	return vds_add_indirect(&d, RXQ, b, 19);
}

/* The first n bytes the device wrote along a chain's buffers. */
static void gather(const struct vds_buf *b, unsigned nb, uint8_t *out,
		   size_t n)
{
	size_t off = 0;

	for (unsigned i = 0; i < nb && off < n; i++) {
		size_t k = b[i].len < n - off ? b[i].len : n - off;

		memcpy(out + off, d.ram + b[i].addr, k);
		off += k;
	}
	assert_int_equal(off, n);
}

/* A GSO frame from another guest, to a driver that took GUEST_TSO4/6:
 * whole into one big chain, with the sender's GSO header. */
static void test_rx_gso(void **state)
{
	(void)state;
	static uint8_t f[VIRTIO_NET_GSO_FRAME_MAX], got[HDR + sizeof(f)];
	struct vds_buf b[19];
	const size_t len = 14 + 65535;
	struct virtio_net_offload off =
		gso_off(VIRTIO_NET_HDR_GSO_TCPV4, 54, 1448, 34);
	make_frame(f, sizeof(f), 32);

	bring_up(all | VIRTIO_NET_F_GUEST_CSUM | VIRTIO_NET_F_GUEST_TSO4 |
		 VIRTIO_NET_F_GUEST_TSO6);
	uint16_t h = post_big(b);
	assert_true(receive(f, len, &off));
	vds_expect_used(&d, RXQ, h, HDR + len);
	gather(b, 19, got, HDR + len);
	assert_int_equal(got[0], VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(got[1], VIRTIO_NET_HDR_GSO_TCPV4);
	assert_int_equal(got[2] | got[3] << 8, 54);		/* hdr_len */
	assert_int_equal(got[4] | got[5] << 8, 1448);		/* gso_size */
	assert_int_equal(got[6] | got[7] << 8, 34);		/* csum_start */
	assert_int_equal(got[8] | got[9] << 8, 16);		/* csum_offset */
	assert_int_equal(got[10] | got[11] << 8, 1);		/* num_buffers */
	assert_memory_equal(got + HDR, f, len);
	assert_int_equal(d.irqs, 1);

	/* The largest (tagged), IPv6. */
	off = gso_off(VIRTIO_NET_HDR_GSO_TCPV6, 78, 1424, 58);
	h = post_big(b);
	assert_true(receive(f, sizeof(f), &off));
	vds_expect_used(&d, RXQ, h, HDR + sizeof(f));
	gather(b, 19, got, HDR + sizeof(f));
	assert_int_equal(got[1], VIRTIO_NET_HDR_GSO_TCPV6);
	assert_int_equal(got[2] | got[3] << 8, 78);
	assert_int_equal(got[6] | got[7] << 8, 58);
	assert_memory_equal(got + HDR, f, sizeof(f));
}

/* A GSO frame for a driver that did not take its type gets nothing, and
 * costs it no buffer: the chain stays for the next frame. */
static void test_rx_gso_not_negotiated(void **state)
{
	(void)state;
	static uint8_t f[20000];
	uint8_t small[60];
	struct vds_buf b[19];
	struct virtio_net_offload v4 =
		gso_off(VIRTIO_NET_HDR_GSO_TCPV4, 54, 1448, 34);
	struct virtio_net_offload v6 =
		gso_off(VIRTIO_NET_HDR_GSO_TCPV6, 74, 1428, 54);
	struct virtio_net_offload ecn =
		gso_off(VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN, 54,
			1448, 34);
	make_frame(f, sizeof(f), 33);
	make_frame(small, sizeof(small), 34);

	/* Not running: no buffer, as for any frame. */
	assert_int_equal(virtio_net_receive(&net, &t, f, sizeof(f), &v4),
			 VIRTIO_NET_ERR_RX_NO_BUFFER);

	bring_up(all | VIRTIO_NET_F_GUEST_CSUM | VIRTIO_NET_F_GUEST_TSO4);
	uint16_t h = post_big(b);
	assert_int_equal(virtio_net_receive(&net, &t, f, sizeof(f), &v6),
			 VIRTIO_NET_ERR_RX_NO_GSO);
	assert_int_equal(virtio_net_receive(&net, &t, f, sizeof(f), &ecn),
			 VIRTIO_NET_ERR_RX_NO_GSO);
	assert_int_equal(vds_used_idx(&d, RXQ), 0);
	assert_int_equal(d.irqs, 0);
	assert_int_equal(d.ram[b[0].addr], 0xcc);
	assert_false(vds_lock_held(&d));
	/* The buffer is still there: the next frame takes it. */
	assert_true(receive(small, sizeof(small), NULL));
	vds_expect_used(&d, RXQ, h, HDR + sizeof(small));

	/* Without GUEST_TSO at all (nor GUEST_CSUM, which it needs). */
	bring_up(all);
	h = post_rx(2048, &b[0].addr);
	assert_int_equal(virtio_net_receive(&net, &t, f, sizeof(f), &v4),
			 VIRTIO_NET_ERR_RX_NO_GSO);
	bring_up(all | VIRTIO_NET_F_GUEST_TSO4);	/* GUEST_CSUM missing */
	h = post_rx(2048, &b[0].addr);
	assert_int_equal(virtio_net_receive(&net, &t, f, sizeof(f), &v4),
			 VIRTIO_NET_ERR_RX_NO_GSO);
	assert_int_equal(vds_used_idx(&d, RXQ), 0);
	assert_int_equal(d.logs, 0);
	assert_int_equal(vds_status(&d) & VDS_NEEDS_RESET, 0);
}

/* A driver with GUEST_TSO4 whose buffer is too small for a GSO frame:
 * dropped, the buffer given back empty, as for any frame. */
static void test_rx_gso_buffer_too_small(void **state)
{
	(void)state;
	static uint8_t f[3000];
	uint64_t g;
	struct virtio_net_offload off =
		gso_off(VIRTIO_NET_HDR_GSO_TCPV4, 54, 1448, 34);
	make_frame(f, sizeof(f), 35);

	bring_up(all | VIRTIO_NET_F_GUEST_CSUM | VIRTIO_NET_F_GUEST_TSO4);
	uint16_t h = post_rx(HDR + VSWITCH_FRAME_MAX_TAGGED, &g);
	assert_int_equal(virtio_net_receive(&net, &t, f, sizeof(f), &off),
			 VIRTIO_NET_ERR_RX_TOO_SMALL);
	vds_expect_used(&d, RXQ, h, 0);
	assert_int_equal(d.ram[g], 0xcc);
	assert_int_equal(vds_status(&d) & VDS_NEEDS_RESET, 0);
}

/* Receive interrupts follow used_event with EVENT_IDX and NO_INTERRUPT
 * without it. */
static void test_rx_interrupts(void **state)
{
	(void)state;
	uint8_t f[60];
	uint64_t g;
	make_frame(f, sizeof(f), 17);

	bring_up(all);
	for (unsigned i = 0; i < 4; i++)
		post_rx(2048, &g);
	vds_set_used_event(&d, RXQ, 2);
	assert_true(receive(f, sizeof(f), NULL));
	assert_int_equal(d.irqs, 1);		/* the first always does */
	assert_true(receive(f, sizeof(f), NULL));
	assert_int_equal(d.irqs, 1);
	assert_true(receive(f, sizeof(f), NULL));	/* used->idx 2 -> 3 */
	assert_int_equal(d.irqs, 2);
	assert_true(receive(f, sizeof(f), NULL));
	assert_int_equal(d.irqs, 2);
	/* Out of buffers: the device asks to hear of the next one. */
	assert_false(receive(f, sizeof(f), NULL));
	assert_int_equal(vds_avail_event(&d, RXQ), 4);

	bring_up(plain);
	vds_set_avail_flags(&d, RXQ, VIRTQ_AVAIL_F_NO_INTERRUPT);
	post_rx(2048, &g);
	d.irqs = 0;
	assert_true(receive(f, sizeof(f), NULL));
	assert_int_equal(d.irqs, 0);
	assert_int_equal(vds_used_idx(&d, RXQ), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_identity_and_config, setup),
		cmocka_unit_test_setup(test_tx_one_frame, setup),
		cmocka_unit_test_setup(test_tx_layouts, setup),
		cmocka_unit_test_setup(test_tx_refused, setup),
		cmocka_unit_test_setup(test_tx_partial_checksum, setup),
		cmocka_unit_test_setup(test_tx_gso, setup),
		cmocka_unit_test_setup(test_tx_only_when_running, setup),
		cmocka_unit_test_setup(test_tx_loopback_to_own_rx, setup),
		cmocka_unit_test_setup(test_tx_no_interrupt_flag, setup),
		cmocka_unit_test_setup(test_rx_one_frame, setup),
		cmocka_unit_test_setup(test_rx_layouts, setup),
		cmocka_unit_test_setup(test_rx_refused, setup),
		cmocka_unit_test_setup(test_rx_buffer_too_small, setup),
		cmocka_unit_test_setup(test_rx_partial_checksum, setup),
		cmocka_unit_test_setup(test_rx_gso, setup),
		cmocka_unit_test_setup(test_rx_gso_not_negotiated, setup),
		cmocka_unit_test_setup(test_rx_gso_buffer_too_small, setup),
		cmocka_unit_test_setup(test_rx_interrupts, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
