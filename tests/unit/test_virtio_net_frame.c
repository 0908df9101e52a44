/* lib/virtio_net_frame.c over a flat guest memory and chains built by hand
 * (what virtq_pop would hand over): headers and frames split every way,
 * each header the device refuses, receive chains too small, checksum
 * offload checked against an independent checksum of real IPv4/UDP and
 * IPv6/TCP packets, TCP segmentation offload (GSO frames of up to 64 KiB
 * read whole, refused when not negotiated or not valid, written whole
 * with their header into Linux's "big packet" chains, refused for a
 * driver without GUEST_TSO), and the config space byte by byte. The
 * memory is a heap block of exactly its size, so ASan reports any access
 * past it. */
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

#define MEM_SIZE (1u << 18)	/* room for a 64 KiB frame each way */
#define FILL 0xa5	/* what untouched guest memory holds */

/* ------------------------------------------------------------ memory */

struct flat {
	uint8_t *bytes;
	size_t size;
};

static bool in_flat(const struct flat *f, uint64_t gpa, size_t len)
{
	return gpa <= f->size && len <= f->size - gpa;
}

static bool flat_read(void *ctx, uint64_t gpa, void *dst, size_t len)
{
	struct flat *f = ctx;

	if (!in_flat(f, gpa, len))
		return false;
	memcpy(dst, f->bytes + gpa, len);
	return true;
}

static bool flat_write(void *ctx, uint64_t gpa, const void *src, size_t len)
{
	struct flat *f = ctx;

	if (!in_flat(f, gpa, len))
		return false;
	memcpy(f->bytes + gpa, src, len);
	return true;
}

static bool flat_is_ram(void *ctx, uint64_t gpa, uint64_t len)
{
	return in_flat(ctx, gpa, len);
}

struct env {
	struct flat flat;
	struct virtq_memory mem;
	struct virtq_chain chain;
	uint8_t *before;	/* a copy of memory, to see what changed */
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	e->flat.size = MEM_SIZE;
	e->flat.bytes = malloc(MEM_SIZE);
	e->before = malloc(MEM_SIZE);
	assert_non_null(e->flat.bytes);
	assert_non_null(e->before);
	memset(e->flat.bytes, FILL, MEM_SIZE);
	e->mem = (struct virtq_memory){ &e->flat, flat_read, flat_write,
					flat_is_ram };
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	free(e->flat.bytes);
	free(e->before);
	free(e);
	return 0;
}

static void snapshot(struct env *e)
{
	memcpy(e->before, e->flat.bytes, MEM_SIZE);
}

static void assert_memory_unchanged(const struct env *e)
{
	assert_memory_equal(e->flat.bytes, e->before, MEM_SIZE);
}

/* ------------------------------------------------------------ chains */

static void chain_reset(struct virtq_chain *c)
{
	memset(c, 0, sizeof(*c));
	c->head = 3;
}

/* Adds a buffer; readable ones must come first, as virtq_pop has them. */
static void chain_add(struct virtq_chain *c, uint64_t addr, uint32_t len,
		      bool writable)
{
	assert_true(c->count < VIRTQ_CHAIN_MAX_SEGS);
	assert_true(writable || c->readable == c->count);
	c->seg[c->count].addr = addr;
	c->seg[c->count].len = len;
	c->count++;
	if (writable) {
		c->writable_len += len;
	} else {
		c->readable++;
		c->readable_len += len;
	}
}

/* Puts `bytes` into memory along readable buffers of the given sizes
 * starting at `addr`, each buffer `gap` bytes after the previous one, and
 * adds them to the chain. The last size repeats until the bytes end. */
static void put_readable(struct env *e, uint64_t addr, size_t gap,
			 const uint8_t *bytes, size_t len,
			 const size_t *sizes, size_t nsizes)
{
	size_t done = 0, i = 0;

	while (done < len) {
		size_t n = sizes[i < nsizes ? i : nsizes - 1];

		if (n > len - done)
			n = len - done;
		memcpy(e->flat.bytes + addr, bytes + done, n);
		chain_add(&e->chain, addr, (uint32_t)n, false);
		addr += n + gap;
		done += n;
		i++;
	}
}

/* Offloads of a frame whose checksum is partial, without GSO. */
#define CSUM(start, offset)                                          \
	((struct virtio_net_offload){ .partial = true,              \
				      .csum_start = (start),         \
				      .csum_offset = (offset) })

static void make_hdr(uint8_t raw[12], uint8_t flags, uint8_t gso_type,
		     uint16_t csum_start, uint16_t csum_offset)
{
	memset(raw, 0, 12);
	raw[0] = flags;
	raw[1] = gso_type;
	raw[6] = (uint8_t)csum_start;
	raw[7] = (uint8_t)(csum_start >> 8);
	raw[8] = (uint8_t)csum_offset;
	raw[9] = (uint8_t)(csum_offset >> 8);
}

static void make_gso_hdr(uint8_t raw[12], uint8_t flags, uint8_t gso_type,
			 uint16_t hdr_len, uint16_t gso_size,
			 uint16_t csum_start, uint16_t csum_offset)
{
	make_hdr(raw, flags, gso_type, csum_start, csum_offset);
	raw[2] = (uint8_t)hdr_len;
	raw[3] = (uint8_t)(hdr_len >> 8);
	raw[4] = (uint8_t)gso_size;
	raw[5] = (uint8_t)(gso_size >> 8);
}

/* Header then frame, split as `sizes` says. */
static void put_tx(struct env *e, const uint8_t hdr[12], const uint8_t *frame,
		   size_t len, const size_t *sizes, size_t nsizes)
{
	uint8_t *all = malloc(12 + len);

	assert_non_null(all);
	memcpy(all, hdr, 12);
	memcpy(all + 12, frame, len);
	chain_reset(&e->chain);
	put_readable(e, 64, 3, all, 12 + len, sizes, nsizes);
	free(all);
}

static void pattern(uint8_t *p, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

/* A frame read back by tx_read into an exactly sized buffer. */
struct tx_out {
	enum virtio_net_status st;
	size_t len;
	struct virtio_net_offload off;
	uint8_t *buf;
};

static struct tx_out tx(struct env *e, uint64_t features, size_t bufsize)
{
	struct tx_out o;

	o.buf = malloc(bufsize > 0 ? bufsize : 1);
	assert_non_null(o.buf);
	memset(o.buf, 0xee, bufsize);
	o.len = 12345;
	memset(&o.off, 0x77, sizeof(o.off));
	o.st = virtio_net_tx_read(&e->chain, &e->mem, features, o.buf, bufsize,
				  &o.len, &o.off);
	return o;
}

/* ------------------------------------------------------------ checksums,
 * computed here independently: 32-bit words summed, then folded. */

static uint32_t ref_sum(const uint8_t *p, size_t n, uint32_t sum)
{
	for (size_t i = 0; i < n; i++)
		sum += (i % 2 == 0) ? (uint32_t)p[i] << 8 : p[i];
	return sum;
}

static uint16_t ref_fold(uint32_t sum)
{
	sum = (sum >> 16) + (sum & 0xffff);
	sum += sum >> 16;
	return (uint16_t)sum;
}

/* An IPv4/UDP frame whose checksum field holds the pseudo-header sum, as
 * Linux sends it with NEEDS_CSUM (csum_start 34, csum_offset 6). */
#define UDP4_PAYLOAD 37
#define UDP4_LEN (14 + 20 + 8 + UDP4_PAYLOAD)

static const uint8_t ip4_src[4] = { 10, 0, 0, 1 };
static const uint8_t ip4_dst[4] = { 10, 0, 0, 2 };

static uint32_t udp4_pseudo_sum(size_t udp_len)
{
	uint8_t pseudo[12];

	memcpy(pseudo, ip4_src, 4);
	memcpy(pseudo + 4, ip4_dst, 4);
	pseudo[8] = 0;
	pseudo[9] = 17;
	pseudo[10] = (uint8_t)(udp_len >> 8);
	pseudo[11] = (uint8_t)udp_len;
	return ref_sum(pseudo, sizeof(pseudo), 0);
}

static void make_udp4_partial(uint8_t f[UDP4_LEN])
{
	static const uint8_t eth[14] = { 0x00, 0x16, 0x3e, 0, 0, 2,
					 0x00, 0x16, 0x3e, 0, 0, 1, 0x08, 0x00 };
	size_t udp_len = 8 + UDP4_PAYLOAD;
	uint16_t pseudo = ref_fold(udp4_pseudo_sum(udp_len));
	uint8_t *ip = f + 14, *udp = ip + 20;

	memcpy(f, eth, 14);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[2] = (uint8_t)((20 + udp_len) >> 8);
	ip[3] = (uint8_t)(20 + udp_len);
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, ip4_src, 4);
	memcpy(ip + 16, ip4_dst, 4);
	udp[0] = 0x04;	/* port 1234 */
	udp[1] = 0xd2;
	udp[2] = 0x16;	/* port 5678 */
	udp[3] = 0x2e;
	udp[4] = (uint8_t)(udp_len >> 8);
	udp[5] = (uint8_t)udp_len;
	udp[6] = (uint8_t)(pseudo >> 8);
	udp[7] = (uint8_t)pseudo;
	pattern(udp + 8, UDP4_PAYLOAD, 0x31);
}

/* A receiver's check of a UDP checksum: pseudo-header plus segment, the
 * checksum included, sums to 0xffff. */
static bool udp4_checksum_ok(const uint8_t f[UDP4_LEN])
{
	size_t udp_len = 8 + UDP4_PAYLOAD;

	return ref_fold(ref_sum(f + 34, udp_len, udp4_pseudo_sum(udp_len))) ==
	       0xffff;
}

/* An IPv6/TCP frame, odd payload, partial checksum (start 54, offset 16). */
#define TCP6_PAYLOAD 333
#define TCP6_LEN (14 + 40 + 20 + TCP6_PAYLOAD)

static uint32_t tcp6_pseudo_sum(const uint8_t *f, size_t tcp_len)
{
	uint8_t pseudo[40];

	memcpy(pseudo, f + 14 + 8, 32);	/* source and destination */
	memset(pseudo + 32, 0, 8);
	pseudo[34] = (uint8_t)(tcp_len >> 8);
	pseudo[35] = (uint8_t)tcp_len;
	pseudo[39] = 6;
	return ref_sum(pseudo, sizeof(pseudo), 0);
}

static void make_tcp6_partial(uint8_t f[TCP6_LEN])
{
	size_t tcp_len = 20 + TCP6_PAYLOAD;
	uint8_t *ip = f + 14, *tcp = ip + 40;
	uint16_t pseudo;

	memset(f, 0, TCP6_LEN);
	memcpy(f, "\x00\x16\x3e\x00\x00\x02\x00\x16\x3e\x00\x00\x01\x86\xdd", 14);
	ip[0] = 0x60;
	ip[4] = (uint8_t)(tcp_len >> 8);
	ip[5] = (uint8_t)tcp_len;
	ip[6] = 6;
	ip[7] = 64;
	ip[8] = 0xfd;
	ip[23] = 1;	/* fd00::1 */
	ip[24] = 0xfd;
	ip[39] = 2;	/* fd00::2 */
	tcp[0] = 0x1f;
	tcp[1] = 0x90;
	tcp[2] = 0xc3;
	tcp[3] = 0x50;
	tcp[12] = 5 << 4;
	tcp[13] = 0x18;	/* PSH, ACK */
	pattern(tcp + 20, TCP6_PAYLOAD, 0xc7);
	pseudo = ref_fold(tcp6_pseudo_sum(f, tcp_len));
	tcp[16] = (uint8_t)(pseudo >> 8);
	tcp[17] = (uint8_t)pseudo;
}

static bool tcp6_checksum_ok(const uint8_t f[TCP6_LEN])
{
	size_t tcp_len = 20 + TCP6_PAYLOAD;

	return ref_fold(ref_sum(f + 54, tcp_len, tcp6_pseudo_sum(f, tcp_len))) ==
	       0xffff;
}

/* TCP GSO frames as Linux sends them with TSO: one big IPv4 (IPv6)
 * packet, the TCP checksum field holding a pseudo-header sum (here
 * arbitrary: nobody checks it on the way), `payload` bytes after a
 * 20-byte TCP header. Return the frame's length. The checksum is at
 * 34 + 16 (54 + 16), the headers end at 54 (74). */
static size_t make_tcp4_gso(uint8_t *f, size_t payload)
{
	size_t ip_len = 20 + 20 + payload;
	uint8_t *ip = f + 14, *tcp = ip + 20;

	assert_true(ip_len <= 0xffff);
	memcpy(f, "\x00\x16\x3e\x00\x00\x02\x00\x16\x3e\x00\x00\x01\x08\x00", 14);
	memset(ip, 0, 40);
	ip[0] = 0x45;
	ip[2] = (uint8_t)(ip_len >> 8);
	ip[3] = (uint8_t)ip_len;
	ip[8] = 64;
	ip[9] = 6;
	memcpy(ip + 12, ip4_src, 4);
	memcpy(ip + 16, ip4_dst, 4);
	tcp[12] = 5 << 4;
	tcp[13] = 0x10;	/* ACK */
	tcp[16] = 0x12;
	tcp[17] = 0x34;
	pattern(tcp + 20, payload, 0x5a);
	return 14 + ip_len;
}

static size_t make_tcp6_gso(uint8_t *f, size_t payload)
{
	size_t tcp_len = 20 + payload;
	uint8_t *ip = f + 14, *tcp = ip + 40;

	assert_true(tcp_len <= 0xffff);
	memset(f, 0, 14 + 40 + 20);
	memcpy(f, "\x00\x16\x3e\x00\x00\x02\x00\x16\x3e\x00\x00\x01\x86\xdd", 14);
	ip[0] = 0x60;
	ip[4] = (uint8_t)(tcp_len >> 8);
	ip[5] = (uint8_t)tcp_len;
	ip[6] = 6;
	ip[7] = 64;
	ip[8] = 0xfd;
	ip[23] = 1;
	ip[24] = 0xfd;
	ip[39] = 2;
	tcp[12] = 5 << 4;
	tcp[13] = 0x10;
	pattern(tcp + 20, payload, 0xa5);
	return 14 + 40 + tcp_len;
}

/* ------------------------------------------------------------ config */

static void test_features_offered(void **state)
{
	(void)state;
	assert_true(VIRTIO_NET_FEATURES & VIRTIO_NET_F_MAC);
	assert_true(VIRTIO_NET_FEATURES & VIRTIO_NET_F_STATUS);
	assert_true(VIRTIO_NET_FEATURES & VIRTIO_NET_F_MTU);
	assert_true(VIRTIO_NET_FEATURES & VIRTIO_NET_F_CSUM);
	assert_true(VIRTIO_NET_FEATURES & VIRTIO_NET_F_GUEST_CSUM);
	/* TCP segmentation offload both ways, with ECN. */
	assert_true(VIRTIO_NET_FEATURES & VIRTIO_NET_F_HOST_TSO4);
	assert_true(VIRTIO_NET_FEATURES & VIRTIO_NET_F_HOST_TSO6);
	assert_true(VIRTIO_NET_FEATURES & VIRTIO_NET_F_HOST_ECN);
	assert_true(VIRTIO_NET_FEATURES & VIRTIO_NET_F_GUEST_TSO4);
	assert_true(VIRTIO_NET_FEATURES & VIRTIO_NET_F_GUEST_TSO6);
	assert_true(VIRTIO_NET_FEATURES & VIRTIO_NET_F_GUEST_ECN);
	/* No UFO, no merged buffers (a receive chain holds one frame), one
	 * queue pair, no control queue: the code has none of them. */
	assert_int_equal(VIRTIO_NET_FEATURES &
			 (VIRTIO_NET_F_GUEST_UFO | VIRTIO_NET_F_HOST_UFO |
			  VIRTIO_NET_F_MRG_RXBUF | VIRTIO_NET_F_CTRL_VQ |
			  VIRTIO_NET_F_MQ),
			 0);
	/* Spec bit numbers, 5.1.3. */
	assert_int_equal(VIRTIO_NET_F_MAC, 1u << 5);
	assert_int_equal(VIRTIO_NET_F_STATUS, 1u << 16);
	assert_int_equal(VIRTIO_NET_F_MTU, 1u << 3);
	assert_int_equal(VIRTIO_NET_F_GUEST_TSO4, 1u << 7);
	assert_int_equal(VIRTIO_NET_F_GUEST_TSO6, 1u << 8);
	assert_int_equal(VIRTIO_NET_F_GUEST_ECN, 1u << 9);
	assert_int_equal(VIRTIO_NET_F_HOST_TSO4, 1u << 11);
	assert_int_equal(VIRTIO_NET_F_HOST_TSO6, 1u << 12);
	assert_int_equal(VIRTIO_NET_F_HOST_ECN, 1u << 13);
	assert_int_equal(sizeof(struct virtio_net_hdr), VIRTIO_NET_HDR_SIZE);
	assert_int_equal(VIRTIO_NET_FRAME_MAX, 1518);
	assert_int_equal(VIRTIO_NET_GSO_FRAME_MAX, 65553);
}

/* 5.1.3.1: each offered feature comes with what it depends on. */
static void test_feature_dependencies(void **state)
{
	static const struct {
		uint64_t feature, needs;
	} deps[] = {
		{ VIRTIO_NET_F_HOST_TSO4, VIRTIO_NET_F_CSUM },
		{ VIRTIO_NET_F_HOST_TSO6, VIRTIO_NET_F_CSUM },
		{ VIRTIO_NET_F_HOST_ECN, VIRTIO_NET_F_HOST_TSO4 },
		{ VIRTIO_NET_F_GUEST_TSO4, VIRTIO_NET_F_GUEST_CSUM },
		{ VIRTIO_NET_F_GUEST_TSO6, VIRTIO_NET_F_GUEST_CSUM },
		{ VIRTIO_NET_F_GUEST_ECN, VIRTIO_NET_F_GUEST_TSO4 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(deps) / sizeof(deps[0]); i++)
		if (VIRTIO_NET_FEATURES & deps[i].feature)
			assert_true(VIRTIO_NET_FEATURES & deps[i].needs);
}

static void test_config_space(void **state)
{
	static const uint8_t mac[6] = { 0x00, 0x16, 0x3e, 0x12, 0x34, 0x56 };
	struct virtio_net_config cfg;

	(void)state;
	virtio_net_config_init(&cfg, mac);
	for (unsigned i = 0; i < 6; i++)
		assert_int_equal(virtio_net_config_read(&cfg, i, 1), mac[i]);
	assert_int_equal(virtio_net_config_read(&cfg, 0, 4), 0x123e1600u);
	assert_int_equal(virtio_net_config_read(&cfg, 4, 2), 0x5634);
	assert_int_equal(virtio_net_config_read(&cfg, 6, 2), VIRTIO_NET_S_LINK_UP);
	assert_int_equal(virtio_net_config_read(&cfg, 8, 2), 1);
	assert_int_equal(virtio_net_config_read(&cfg, 10, 2), 1500);
	assert_int_equal(virtio_net_config_read(&cfg, 10, 1), 1500 & 0xff);
	assert_int_equal(virtio_net_config_read(&cfg, 11, 1), 1500 >> 8);
	assert_int_equal(virtio_net_config_read(&cfg, 12, 4), 0xffffffffu);
	assert_int_equal(virtio_net_config_read(&cfg, 16, 1), 0xff);
	assert_int_equal(virtio_net_config_read(&cfg, 17, 1), 0);
	assert_int_equal(virtio_net_config_read(&cfg, 20, 4), 0);
	/* An 8-byte read: mac, then status 1 at bytes 6-7. */
	assert_int_equal(virtio_net_config_read(&cfg, 0, 8),
			 0x00015634123e1600ull);
	/* speed, duplex, rss_max_key_size, the first rss byte. */
	assert_int_equal(virtio_net_config_read(&cfg, 12, 8),
			 0xffffffffu | 0xffull << 32);
	/* Past the end: zeros, also for the part of a read beyond it. */
	cfg.supported_hash_types = 0x11223344;
	assert_int_equal(virtio_net_config_read(&cfg, 20, 8), 0x11223344);
	assert_int_equal(virtio_net_config_read(&cfg, 22, 4), 0x1122);
	assert_int_equal(virtio_net_config_read(&cfg, 24, 4), 0);
	assert_int_equal(virtio_net_config_read(&cfg, 0xfffffffe, 4), 0);
}

/* ------------------------------------------------------------ transmit */

static void test_tx_header_then_frame(void **state)
{
	struct env *e = *state;
	uint8_t hdr[12], frame[98];
	const size_t sizes[] = { 12, 98 };
	struct tx_out o;

	make_hdr(hdr, 0, 0, 0, 0);
	pattern(frame, sizeof(frame), 1);
	put_tx(e, hdr, frame, sizeof(frame), sizes, 2);
	assert_int_equal(e->chain.readable, 2);
	o = tx(e, 0, 1518);
	assert_int_equal(o.st, VIRTIO_NET_OK);
	assert_int_equal(o.len, sizeof(frame));
	assert_memory_equal(o.buf, frame, sizeof(frame));
	assert_false(o.off.partial);
	/* Only the frame's bytes are written. */
	assert_int_equal(o.buf[sizeof(frame)], 0xee);
	free(o.buf);
}

/* Linux puts header and frame in one buffer when it can; others split
 * the header itself. Every split reads the same frame. */
static void test_tx_any_split(void **state)
{
	struct env *e = *state;
	static const size_t splits[][4] = {
		{ 1526 }, { 6 }, { 5, 7, 2000 }, { 13, 1, 500 }, { 11, 3, 50 },
		{ 12, 0x7fff }, { 64, 1, 2, 300 },
	};
	uint8_t hdr[12], frame[1514];

	make_hdr(hdr, 0, 0, 0, 0);
	pattern(frame, sizeof(frame), 9);
	for (size_t s = 0; s < sizeof(splits) / sizeof(splits[0]); s++) {
		size_t n = 0;
		struct tx_out o;

		while (n < 4 && splits[s][n] != 0)
			n++;
		put_tx(e, hdr, frame, sizeof(frame), splits[s], n);
		/* A writable buffer after them is not part of the frame. */
		chain_add(&e->chain, 8000, 100, true);
		o = tx(e, 0, sizeof(frame));
		assert_int_equal(o.st, VIRTIO_NET_OK);
		assert_int_equal(o.len, sizeof(frame));
		assert_memory_equal(o.buf, frame, sizeof(frame));
		free(o.buf);
	}
}

static void test_tx_short_chains(void **state)
{
	struct env *e = *state;
	uint8_t hdr[12];
	const size_t one[] = { 11 };
	struct tx_out o;

	make_hdr(hdr, 0, 0, 0, 0);
	chain_reset(&e->chain);
	put_readable(e, 0, 0, hdr, 11, one, 1);
	o = tx(e, 0, 1518);
	assert_int_equal(o.st, VIRTIO_NET_ERR_HDR_SHORT);
	assert_int_equal(o.len, 0);
	assert_false(o.off.partial);
	free(o.buf);

	/* Only writable buffers: nothing to send. */
	chain_reset(&e->chain);
	chain_add(&e->chain, 0, 2000, true);
	o = tx(e, 0, 1518);
	assert_int_equal(o.st, VIRTIO_NET_ERR_HDR_SHORT);
	free(o.buf);

	/* A header and no frame: read fine (0 bytes); the switch drops it as
	 * a runt. */
	chain_reset(&e->chain);
	put_readable(e, 0, 0, hdr, 12, one, 1);
	o = tx(e, 0, 1518);
	assert_int_equal(o.st, VIRTIO_NET_OK);
	assert_int_equal(o.len, 0);
	free(o.buf);
}

static void test_tx_too_long(void **state)
{
	struct env *e = *state;
	uint8_t hdr[12], frame[1519];
	const size_t sizes[] = { 12, 4096 };
	struct tx_out o;

	make_hdr(hdr, 0, 0, 0, 0);
	pattern(frame, sizeof(frame), 4);
	put_tx(e, hdr, frame, sizeof(frame), sizes, 2);
	o = tx(e, 0, 1518);
	assert_int_equal(o.st, VIRTIO_NET_ERR_TOO_LONG);
	assert_int_equal(o.len, 1519);
	/* Nothing copied at all. */
	for (size_t i = 0; i < 1518; i++)
		assert_int_equal(o.buf[i], 0xee);
	free(o.buf);
	/* Nor with room for a GSO frame: without GSO, 1518 is the most. */
	o = tx(e, VIRTIO_NET_FEATURES, VIRTIO_NET_GSO_FRAME_MAX);
	assert_int_equal(o.st, VIRTIO_NET_ERR_TOO_LONG);
	assert_int_equal(o.len, 1519);
	for (size_t i = 0; i < VIRTIO_NET_GSO_FRAME_MAX; i++)
		assert_int_equal(o.buf[i], 0xee);
	free(o.buf);
	/* A frame of 1518 and a buffer of exactly its size are enough. */
	put_tx(e, hdr, frame, 1518, sizes, 2);
	o = tx(e, 0, 1518);
	assert_int_equal(o.st, VIRTIO_NET_OK);
	assert_int_equal(o.len, 1518);
	assert_memory_equal(o.buf, frame, 1518);
	free(o.buf);
}

/* GSO types the device never takes, whatever was negotiated (UFO, USO,
 * ECN on its own, unknown), and TCP ones whose feature the driver did not
 * accept: the frame is refused, even with a header otherwise valid. */
static void test_tx_gso_refused(void **state)
{
	struct env *e = *state;
	static const uint8_t never[] = {
		VIRTIO_NET_HDR_GSO_UDP, VIRTIO_NET_HDR_GSO_UDP_L4,
		VIRTIO_NET_HDR_GSO_ECN, VIRTIO_NET_HDR_GSO_UDP | 0x80,
		2, 6, 0x7f, 0xff,
	};
	static const struct {
		uint8_t type;
		uint64_t missing;
	} not_negotiated[] = {
		{ VIRTIO_NET_HDR_GSO_TCPV4, VIRTIO_NET_F_HOST_TSO4 },
		{ VIRTIO_NET_HDR_GSO_TCPV6, VIRTIO_NET_F_HOST_TSO6 },
		{ VIRTIO_NET_HDR_GSO_TCPV4 | 0x80, VIRTIO_NET_F_HOST_ECN },
		{ VIRTIO_NET_HDR_GSO_TCPV6 | 0x80, VIRTIO_NET_F_HOST_ECN },
		{ VIRTIO_NET_HDR_GSO_TCPV4 | 0x80, VIRTIO_NET_F_HOST_TSO4 },
		/* The receive side's features are not the transmit side's. */
		{ VIRTIO_NET_HDR_GSO_TCPV4, VIRTIO_NET_F_HOST_TSO4 |
			VIRTIO_NET_F_HOST_TSO6 | VIRTIO_NET_F_HOST_ECN },
	};
	uint8_t hdr[12], frame[200];
	const size_t sizes[] = { 212 };
	struct tx_out o;

	pattern(frame, sizeof(frame), 2);
	for (size_t i = 0; i < sizeof(never); i++) {
		make_gso_hdr(hdr, VIRTIO_NET_HDR_F_NEEDS_CSUM, never[i], 54, 100,
			     34, 16);
		put_tx(e, hdr, frame, sizeof(frame), sizes, 1);
		o = tx(e, ~0ull, VIRTIO_NET_GSO_FRAME_MAX);
		assert_int_equal(o.st, VIRTIO_NET_ERR_GSO);
		assert_int_equal(o.len, 0);
		assert_false(o.off.partial);
		assert_int_equal(o.off.gso_type, 0);
		free(o.buf);
	}
	for (size_t i = 0; i < sizeof(not_negotiated) / sizeof(not_negotiated[0]);
	     i++) {
		make_gso_hdr(hdr, VIRTIO_NET_HDR_F_NEEDS_CSUM,
			     not_negotiated[i].type, 54, 100, 34, 16);
		put_tx(e, hdr, frame, sizeof(frame), sizes, 1);
		o = tx(e, VIRTIO_NET_FEATURES & ~not_negotiated[i].missing,
		       VIRTIO_NET_GSO_FRAME_MAX);
		assert_int_equal(o.st, VIRTIO_NET_ERR_GSO);
		assert_int_equal(o.len, 0);
		free(o.buf);
		/* With it, the same frame goes through. */
		o = tx(e, VIRTIO_NET_FEATURES, VIRTIO_NET_GSO_FRAME_MAX);
		assert_int_equal(o.st, VIRTIO_NET_OK);
		assert_int_equal(o.off.gso_type, not_negotiated[i].type);
		free(o.buf);
	}
}

/* A TCP GSO frame the driver may send: read whole, its offloads as the
 * header gave them. */
static void test_tx_gso_accepted(void **state)
{
	struct env *e = *state;
	/* Header, then the linear part, then page-sized fragments, as
	 * Linux's xmit_skb lays out a 64 KiB skb. */
	const size_t sizes[] = { 12, 54 + 200, 4096 };
	uint8_t hdr[12];
	uint8_t *frame = malloc(VIRTIO_NET_GSO_FRAME_MAX);
	size_t len;
	struct tx_out o;

	assert_non_null(frame);
	len = make_tcp4_gso(frame, 60000);
	make_gso_hdr(hdr, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4,
		     54 + 200, 1448, 34, 16);
	put_tx(e, hdr, frame, len, sizes, 3);
	o = tx(e, VIRTIO_NET_F_CSUM | VIRTIO_NET_F_HOST_TSO4, len);
	assert_int_equal(o.st, VIRTIO_NET_OK);
	assert_int_equal(o.len, len);
	assert_memory_equal(o.buf, frame, len);
	assert_true(o.off.partial);
	assert_int_equal(o.off.csum_start, 34);
	assert_int_equal(o.off.csum_offset, 16);
	assert_int_equal(o.off.gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
	assert_int_equal(o.off.gso_size, 1448);
	assert_int_equal(o.off.hdr_len, 54 + 200);
	free(o.buf);

	/* IPv6 with the ECN bit, headers in one buffer with the frame. */
	len = make_tcp6_gso(frame, 40000);
	make_gso_hdr(hdr, VIRTIO_NET_HDR_F_NEEDS_CSUM,
		     VIRTIO_NET_HDR_GSO_TCPV6 | VIRTIO_NET_HDR_GSO_ECN, 74, 1428,
		     54, 16);
	put_tx(e, hdr, frame, len, sizes + 2, 1);
	o = tx(e, VIRTIO_NET_F_CSUM | VIRTIO_NET_F_HOST_TSO6 |
			  VIRTIO_NET_F_HOST_ECN,
	       VIRTIO_NET_GSO_FRAME_MAX);
	assert_int_equal(o.st, VIRTIO_NET_OK);
	assert_int_equal(o.len, len);
	assert_memory_equal(o.buf, frame, len);
	assert_int_equal(o.off.gso_type,
			 VIRTIO_NET_HDR_GSO_TCPV6 | VIRTIO_NET_HDR_GSO_ECN);
	assert_int_equal(o.off.gso_size, 1428);
	assert_int_equal(o.off.hdr_len, 74);
	assert_int_equal(o.off.csum_start, 54);
	free(o.buf);

	/* A GSO frame needs no minimum length: a short one is read too. */
	len = make_tcp4_gso(frame, 100);
	make_gso_hdr(hdr, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4,
		     54, 50, 34, 16);
	put_tx(e, hdr, frame, len, sizes + 2, 1);
	o = tx(e, VIRTIO_NET_FEATURES, 1518);
	assert_int_equal(o.st, VIRTIO_NET_OK);
	assert_int_equal(o.len, len);
	free(o.buf);
	free(frame);
}

/* The lengths: a GSO frame up to VIRTIO_NET_GSO_FRAME_MAX, and no more
 * than the buffer; longer ones are refused unread. */
static void test_tx_gso_lengths(void **state)
{
	struct env *e = *state;
	const size_t sizes[] = { 12, 0x8000 };
	uint8_t hdr[12];
	uint8_t *frame = malloc(VIRTIO_NET_GSO_FRAME_MAX + 1);
	struct tx_out o;

	assert_non_null(frame);
	pattern(frame, VIRTIO_NET_GSO_FRAME_MAX + 1, 77);
	make_gso_hdr(hdr, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4,
		     54, 1448, 34, 16);
	put_tx(e, hdr, frame, VIRTIO_NET_GSO_FRAME_MAX, sizes, 2);
	o = tx(e, VIRTIO_NET_FEATURES, VIRTIO_NET_GSO_FRAME_MAX);
	assert_int_equal(o.st, VIRTIO_NET_OK);
	assert_int_equal(o.len, VIRTIO_NET_GSO_FRAME_MAX);
	assert_memory_equal(o.buf, frame, VIRTIO_NET_GSO_FRAME_MAX);
	free(o.buf);
	/* The buffer too small for it. */
	o = tx(e, VIRTIO_NET_FEATURES, VIRTIO_NET_GSO_FRAME_MAX - 1);
	assert_int_equal(o.st, VIRTIO_NET_ERR_TOO_LONG);
	assert_int_equal(o.len, VIRTIO_NET_GSO_FRAME_MAX);
	for (size_t i = 0; i < VIRTIO_NET_GSO_FRAME_MAX - 1; i++)
		assert_int_equal(o.buf[i], 0xee);
	free(o.buf);
	/* One byte more than any GSO frame, with room to spare. */
	put_tx(e, hdr, frame, VIRTIO_NET_GSO_FRAME_MAX + 1, sizes, 2);
	o = tx(e, VIRTIO_NET_FEATURES, VIRTIO_NET_GSO_FRAME_MAX + 100);
	assert_int_equal(o.st, VIRTIO_NET_ERR_TOO_LONG);
	assert_int_equal(o.len, VIRTIO_NET_GSO_FRAME_MAX + 1);
	for (size_t i = 0; i < VIRTIO_NET_GSO_FRAME_MAX + 100; i++)
		assert_int_equal(o.buf[i], 0xee);
	free(o.buf);
	free(frame);
}

/* 5.1.6.2.1: a GSO frame comes with NEEDS_CSUM, a gso_size, headers
 * inside the frame; and its checksum is TCP's. */
static void test_tx_gso_fields(void **state)
{
	struct env *e = *state;
	static const struct {
		uint8_t flags;
		uint16_t hdr_len, gso_size, csum_start, csum_offset;
		enum virtio_net_status st;
	} cases[] = {
		{ 1, 54, 1448, 34, 16, VIRTIO_NET_OK },
		{ 0, 54, 1448, 34, 16, VIRTIO_NET_ERR_GSO_FIELDS },
		{ 1, 54, 0, 34, 16, VIRTIO_NET_ERR_GSO_FIELDS },
		{ 1, 54, 1, 34, 16, VIRTIO_NET_OK },
		{ 1, 54, 0xffff, 34, 16, VIRTIO_NET_OK },
		{ 1, 3000, 1448, 34, 16, VIRTIO_NET_OK },	/* = length */
		{ 1, 3001, 1448, 34, 16, VIRTIO_NET_ERR_GSO_FIELDS },
		{ 1, 0xffff, 1448, 34, 16, VIRTIO_NET_ERR_GSO_FIELDS },
		{ 1, 0, 1448, 34, 16, VIRTIO_NET_OK },	/* a hint only */
		{ 1, 54, 1448, 34, 6, VIRTIO_NET_ERR_GSO_FIELDS },	/* UDP's */
		{ 1, 54, 1448, 34, 0, VIRTIO_NET_ERR_GSO_FIELDS },
		{ 1, 54, 1448, 2990, 16, VIRTIO_NET_ERR_CSUM_RANGE },
		{ 1, 54, 1448, 2982, 16, VIRTIO_NET_OK },	/* last 2 bytes */
		{ 1, 54, 1448, 10, 16, VIRTIO_NET_ERR_CSUM_RANGE },
	};
	uint8_t hdr[12];
	uint8_t *frame = malloc(3000);
	const size_t sizes[] = { 12, 1000 };

	assert_non_null(frame);
	pattern(frame, 3000, 8);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tx_out o;

		make_gso_hdr(hdr, cases[i].flags, VIRTIO_NET_HDR_GSO_TCPV4,
			     cases[i].hdr_len, cases[i].gso_size,
			     cases[i].csum_start, cases[i].csum_offset);
		put_tx(e, hdr, frame, 3000, sizes, 2);
		o = tx(e, VIRTIO_NET_FEATURES, VIRTIO_NET_GSO_FRAME_MAX);
		assert_int_equal(o.st, cases[i].st);
		if (o.st == VIRTIO_NET_OK) {
			assert_int_equal(o.len, 3000);
			assert_int_equal(o.off.hdr_len, cases[i].hdr_len);
			assert_int_equal(o.off.gso_size, cases[i].gso_size);
			assert_true(virtio_net_offload_valid(3000, &o.off));
		} else {
			assert_int_equal(o.len, 0);
			assert_false(o.off.partial);
			assert_int_equal(o.off.gso_type, 0);
		}
		free(o.buf);
	}
	/* NEEDS_CSUM without CSUM (HOST_TSO4 without its dependency). */
	make_gso_hdr(hdr, 1, VIRTIO_NET_HDR_GSO_TCPV4, 54, 1448, 34, 16);
	put_tx(e, hdr, frame, 3000, sizes, 2);
	{
		struct tx_out o = tx(e, VIRTIO_NET_F_HOST_TSO4,
				     VIRTIO_NET_GSO_FRAME_MAX);

		assert_int_equal(o.st, VIRTIO_NET_ERR_CSUM_NOT_OFFERED);
		free(o.buf);
	}
	free(frame);
}

/* Bits the device does not act on, and fields that only matter with GSO
 * or on receive, are ignored without GSO: the frame goes through, and
 * carries no hdr_len or gso_size on. */
static void test_tx_ignored_fields(void **state)
{
	struct env *e = *state;
	uint8_t hdr[12], frame[60];
	const size_t sizes[] = { 72 };
	struct tx_out o;

	pattern(frame, sizeof(frame), 5);
	make_hdr(hdr, VIRTIO_NET_HDR_F_DATA_VALID | VIRTIO_NET_HDR_F_RSC_INFO |
		      0xf8, 0, 0xffff, 0xffff);
	hdr[2] = 0x34;	/* hdr_len */
	hdr[4] = 0x56;	/* gso_size */
	hdr[10] = 7;	/* num_buffers */
	put_tx(e, hdr, frame, sizeof(frame), sizes, 1);
	o = tx(e, 0, 1518);
	assert_int_equal(o.st, VIRTIO_NET_OK);
	assert_int_equal(o.len, sizeof(frame));
	assert_memory_equal(o.buf, frame, sizeof(frame));
	/* csum_start/offset are not looked at without NEEDS_CSUM. */
	assert_false(o.off.partial);
	assert_int_equal(o.off.gso_type, VIRTIO_NET_HDR_GSO_NONE);
	assert_int_equal(o.off.gso_size, 0);
	assert_int_equal(o.off.hdr_len, 0);
	free(o.buf);
}

static void test_tx_needs_csum(void **state)
{
	struct env *e = *state;
	uint8_t hdr[12], frame[UDP4_LEN];
	const size_t sizes[] = { 12, 20, 4096 };
	struct tx_out o;

	make_udp4_partial(frame);
	make_hdr(hdr, VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 34, 6);
	put_tx(e, hdr, frame, sizeof(frame), sizes, 3);

	/* Without VIRTIO_NET_F_CSUM accepted, the driver may not ask. */
	o = tx(e, VIRTIO_NET_FEATURES & ~VIRTIO_NET_F_CSUM, 1518);
	assert_int_equal(o.st, VIRTIO_NET_ERR_CSUM_NOT_OFFERED);
	assert_int_equal(o.len, 0);
	assert_false(o.off.partial);
	free(o.buf);

	o = tx(e, VIRTIO_NET_F_CSUM, 1518);
	assert_int_equal(o.st, VIRTIO_NET_OK);
	assert_true(o.off.partial);
	assert_int_equal(o.off.csum_start, 34);
	assert_int_equal(o.off.csum_offset, 6);
	/* The frame is passed on as it came, still partial. */
	assert_memory_equal(o.buf, frame, sizeof(frame));
	assert_false(udp4_checksum_ok(o.buf));
	free(o.buf);
}

static void test_tx_csum_range(void **state)
{
	struct env *e = *state;
	static const struct {
		uint16_t start, offset;
		bool ok;
	} cases[] = {
		{ 34, 6, true },
		{ 14, 0, true },		/* right after the Ethernet header */
		{ 13, 0, false },		/* inside it */
		{ 0, 40, false },
		{ 98, 0, true },		/* field is the last two bytes */
		{ 98, 1, false },		/* one past */
		{ 99, 0, false },
		{ 14, 85, false },
		{ 0xffff, 0xffff, false },	/* no wrap to a small sum */
		{ 34, 0xfffe, false },
	};
	uint8_t hdr[12], frame[100];
	const size_t sizes[] = { 112 };

	pattern(frame, sizeof(frame), 6);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tx_out o;

		make_hdr(hdr, VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, cases[i].start,
			 cases[i].offset);
		put_tx(e, hdr, frame, sizeof(frame), sizes, 1);
		o = tx(e, VIRTIO_NET_F_CSUM, 1518);
		assert_int_equal(o.st, cases[i].ok ? VIRTIO_NET_OK
						    : VIRTIO_NET_ERR_CSUM_RANGE);
		assert_int_equal(o.off.partial, cases[i].ok);
		assert_int_equal(virtio_net_csum_in_frame(sizeof(frame),
							  cases[i].start,
							  cases[i].offset),
				 cases[i].ok);
		free(o.buf);
	}
}

/* A buffer the memory refuses (virtq_pop checked it, but the copy is
 * checked again): an error, not a partial frame. */
static void test_tx_copy_fails(void **state)
{
	struct env *e = *state;
	uint8_t hdr[12], frame[60];
	const size_t sizes[] = { 72 };
	struct tx_out o;

	make_hdr(hdr, 0, 0, 0, 0);
	pattern(frame, sizeof(frame), 3);
	put_tx(e, hdr, frame, sizeof(frame), sizes, 1);
	chain_add(&e->chain, MEM_SIZE - 10, 20, false);	/* runs off the end */
	o = tx(e, 0, 1518);
	assert_int_equal(o.st, VIRTIO_NET_ERR_COPY);
	assert_int_equal(o.len, 0);
	free(o.buf);

	chain_reset(&e->chain);
	chain_add(&e->chain, MEM_SIZE + 100, 72, false);
	o = tx(e, 0, 1518);
	assert_int_equal(o.st, VIRTIO_NET_ERR_COPY);
	free(o.buf);
}

/* ------------------------------------------------------------ receive */

static void assert_rx_hdr(const uint8_t *raw, uint8_t flags,
			  uint16_t csum_start, uint16_t csum_offset)
{
	uint8_t want[12];

	make_hdr(want, flags, 0, csum_start, csum_offset);
	want[10] = 1;	/* num_buffers */
	assert_memory_equal(raw, want, 12);
}

static void test_rx_one_buffer(void **state)
{
	struct env *e = *state;
	uint8_t frame[1514];
	uint32_t written = 99;

	pattern(frame, sizeof(frame), 8);
	chain_reset(&e->chain);
	chain_add(&e->chain, 1000, 12 + 1518, true);
	assert_int_equal(virtio_net_rx_write(&e->chain, &e->mem, 0, frame,
					     sizeof(frame), NULL, &written),
			 VIRTIO_NET_OK);
	assert_int_equal(written, 12 + sizeof(frame));
	assert_rx_hdr(e->flat.bytes + 1000, 0, 0, 0);
	assert_memory_equal(e->flat.bytes + 1012, frame, sizeof(frame));
	/* The rest of the buffer and the memory around it are untouched. */
	assert_int_equal(e->flat.bytes[999], FILL);
	for (size_t i = 1012 + sizeof(frame); i < 1000 + 12 + 1518; i++)
		assert_int_equal(e->flat.bytes[i], FILL);
}

static void test_rx_split_chain(void **state)
{
	struct env *e = *state;
	static const uint32_t sizes[] = { 5, 7, 1, 30, 2, 500 };
	uint8_t frame[300], got[12 + 300];
	uint32_t written = 0;
	uint64_t addr = 2000;
	size_t off = 0;

	pattern(frame, sizeof(frame), 11);
	chain_reset(&e->chain);
	/* A readable buffer first: not written. */
	chain_add(&e->chain, 100, 50, false);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		chain_add(&e->chain, addr, sizes[i], true);
		addr += sizes[i] + 10;
	}
	snapshot(e);
	assert_int_equal(virtio_net_rx_write(&e->chain, &e->mem,
					     VIRTIO_NET_FEATURES, frame,
					     sizeof(frame), NULL, &written),
			 VIRTIO_NET_OK);
	assert_int_equal(written, sizeof(got));
	assert_memory_equal(e->flat.bytes + 100, e->before + 100, 50);
	/* Gather what was written back along the chain. */
	for (unsigned i = e->chain.readable; i < e->chain.count && off < sizeof(got);
	     i++) {
		size_t n = e->chain.seg[i].len;

		if (n > sizeof(got) - off)
			n = sizeof(got) - off;
		memcpy(got + off, e->flat.bytes + e->chain.seg[i].addr, n);
		off += n;
	}
	assert_int_equal(off, sizeof(got));
	assert_rx_hdr(got, 0, 0, 0);
	assert_memory_equal(got + 12, frame, sizeof(frame));
	/* The gaps between buffers stay as they were. */
	assert_int_equal(e->flat.bytes[2005], FILL);
}

static void test_rx_too_small(void **state)
{
	struct env *e = *state;
	uint8_t frame[1514];
	uint32_t written = 77;

	pattern(frame, sizeof(frame), 12);
	chain_reset(&e->chain);
	chain_add(&e->chain, 0, 1000, true);
	chain_add(&e->chain, 4000, 12 + 1514 - 1000 - 1, true);
	snapshot(e);
	assert_int_equal(virtio_net_rx_write(&e->chain, &e->mem, 0, frame,
					     sizeof(frame), NULL, &written),
			 VIRTIO_NET_ERR_RX_TOO_SMALL);
	assert_int_equal(written, 0);
	assert_memory_unchanged(e);

	/* Smaller than a header even for an empty frame. */
	chain_reset(&e->chain);
	chain_add(&e->chain, 0, 11, true);
	assert_int_equal(virtio_net_rx_write(&e->chain, &e->mem, 0, frame, 0,
					     NULL, &written),
			 VIRTIO_NET_ERR_RX_TOO_SMALL);
	/* A chain with only readable buffers has no room at all. */
	chain_reset(&e->chain);
	chain_add(&e->chain, 0, 4000, false);
	assert_int_equal(virtio_net_rx_write(&e->chain, &e->mem, 0, frame, 60,
					     NULL, &written),
			 VIRTIO_NET_ERR_RX_TOO_SMALL);
	assert_memory_unchanged(e);

	/* One more byte and it fits exactly. */
	chain_reset(&e->chain);
	chain_add(&e->chain, 0, 1000, true);
	chain_add(&e->chain, 4000, 12 + 1514 - 1000, true);
	assert_int_equal(virtio_net_rx_write(&e->chain, &e->mem, 0, frame,
					     sizeof(frame), NULL, &written),
			 VIRTIO_NET_OK);
	assert_int_equal(written, 12 + 1514);
	assert_memory_equal(e->flat.bytes + 4000, frame + 1000 - 12, 526);
}

/* A frame with a partial checksum to a driver that took GUEST_CSUM: it
 * goes on as it is, flagged NEEDS_CSUM with the sender's offsets. */
static void test_rx_partial_to_guest_csum(void **state)
{
	struct env *e = *state;
	uint8_t frame[UDP4_LEN];
	struct virtio_net_offload csum = CSUM(34, 6);
	uint32_t written;

	make_udp4_partial(frame);
	chain_reset(&e->chain);
	chain_add(&e->chain, 512, 2048, true);
	assert_int_equal(virtio_net_rx_write(&e->chain, &e->mem,
					     VIRTIO_NET_F_GUEST_CSUM, frame,
					     sizeof(frame), &csum, &written),
			 VIRTIO_NET_OK);
	assert_int_equal(written, 12 + UDP4_LEN);
	assert_rx_hdr(e->flat.bytes + 512, VIRTIO_NET_HDR_F_NEEDS_CSUM, 34, 6);
	assert_memory_equal(e->flat.bytes + 524, frame, sizeof(frame));
}

/* ... and to one without: completed on the way, the header says nothing,
 * and the sender's frame buffer is left as it was for other receivers. */
static void test_rx_partial_completed(void **state)
{
	struct env *e = *state;
	uint8_t frame[UDP4_LEN], orig[UDP4_LEN];
	struct virtio_net_offload csum = CSUM(34, 6);
	const uint8_t *got = e->flat.bytes + 512 + 12;
	uint32_t written;

	make_udp4_partial(frame);
	memcpy(orig, frame, sizeof(frame));
	chain_reset(&e->chain);
	chain_add(&e->chain, 512, 2048, true);
	assert_int_equal(virtio_net_rx_write(&e->chain, &e->mem,
					     VIRTIO_NET_FEATURES &
						     ~VIRTIO_NET_F_GUEST_CSUM,
					     frame, sizeof(frame), &csum,
					     &written),
			 VIRTIO_NET_OK);
	assert_rx_hdr(e->flat.bytes + 512, 0, 0, 0);
	assert_true(udp4_checksum_ok(got));
	/* Only the checksum field differs from what was sent. */
	assert_memory_equal(got, frame, 40);
	assert_memory_equal(got + 42, frame + 42, sizeof(frame) - 42);
	assert_memory_equal(frame, orig, sizeof(frame));
	assert_true(csum.partial);
}

/* The same through a chain that splits the checksum field itself, for
 * IPv6/TCP with an odd length. */
static void test_rx_partial_completed_split_field(void **state)
{
	struct env *e = *state;
	uint8_t frame[TCP6_LEN], got[TCP6_LEN];
	struct virtio_net_offload csum = CSUM(54, 16);
	uint32_t written;
	/* The first buffer ends after the first byte of the checksum field,
	 * which is at frame offset 54 + 16. */
	const uint64_t a = 3000, b = 6000;
	const uint32_t first = 12 + 54 + 16 + 1;

	make_tcp6_partial(frame);
	assert_false(tcp6_checksum_ok(frame));
	chain_reset(&e->chain);
	chain_add(&e->chain, a, first, true);
	chain_add(&e->chain, b, 12 + TCP6_LEN - first, true);
	assert_int_equal(virtio_net_rx_write(&e->chain, &e->mem, 0, frame,
					     sizeof(frame), &csum, &written),
			 VIRTIO_NET_OK);
	assert_int_equal(written, 12 + TCP6_LEN);
	memcpy(got, e->flat.bytes + a + 12, first - 12);
	memcpy(got + first - 12, e->flat.bytes + b, TCP6_LEN - (first - 12));
	assert_true(tcp6_checksum_ok(got));
	assert_rx_hdr(e->flat.bytes + a, 0, 0, 0);
}

/* A whole path: a partial frame read from one guest's transmit chain,
 * written into another's receive chain without GUEST_CSUM. */
static void test_tx_to_rx_completes(void **state)
{
	struct env *e = *state;
	uint8_t hdr[12], frame[TCP6_LEN];
	const size_t sizes[] = { 12 + 60, 7, 4096 };
	struct tx_out o;
	uint32_t written;

	make_tcp6_partial(frame);
	make_hdr(hdr, VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 54, 16);
	put_tx(e, hdr, frame, sizeof(frame), sizes, 3);
	o = tx(e, VIRTIO_NET_FEATURES, 1518);
	assert_int_equal(o.st, VIRTIO_NET_OK);
	assert_true(o.off.partial);
	chain_reset(&e->chain);
	chain_add(&e->chain, 8192, 12 + 1518, true);
	assert_int_equal(virtio_net_rx_write(&e->chain, &e->mem, 0, o.buf, o.len,
					     &o.off, &written),
			 VIRTIO_NET_OK);
	assert_true(tcp6_checksum_ok(e->flat.bytes + 8192 + 12));
	free(o.buf);
}

static void test_rx_csum_out_of_frame(void **state)
{
	struct env *e = *state;
	uint8_t frame[60];
	struct virtio_net_offload bad = CSUM(50, 9);
	uint32_t written = 5;

	pattern(frame, sizeof(frame), 1);
	chain_reset(&e->chain);
	chain_add(&e->chain, 0, 2048, true);
	snapshot(e);
	assert_int_equal(virtio_net_rx_write(&e->chain, &e->mem,
					     VIRTIO_NET_F_GUEST_CSUM, frame,
					     sizeof(frame), &bad, &written),
			 VIRTIO_NET_ERR_CSUM_RANGE);
	assert_int_equal(written, 0);
	assert_memory_unchanged(e);
	/* Not partial: the offsets are not looked at. */
	bad.partial = false;
	assert_int_equal(virtio_net_rx_write(&e->chain, &e->mem, 0, frame,
					     sizeof(frame), &bad, &written),
			 VIRTIO_NET_OK);
	assert_rx_hdr(e->flat.bytes, 0, 0, 0);
}

static void test_rx_copy_fails(void **state)
{
	struct env *e = *state;
	uint8_t frame[60];
	uint32_t written = 5;

	pattern(frame, sizeof(frame), 1);
	chain_reset(&e->chain);
	chain_add(&e->chain, 0, 40, true);
	chain_add(&e->chain, MEM_SIZE - 8, 100, true);
	assert_int_equal(virtio_net_rx_write(&e->chain, &e->mem, 0, frame,
					     sizeof(frame), NULL, &written),
			 VIRTIO_NET_ERR_COPY);
	assert_int_equal(written, 0);
}

/* ------------------------------------------------------------ GSO receive */

/* The offloads of a TCP GSO frame, as tx_read gives them. */
static struct virtio_net_offload gso_off(uint8_t type, uint16_t csum_start,
					 uint16_t hdr_len, uint16_t gso_size)
{
	return (struct virtio_net_offload){
		.partial = true,
		.csum_start = csum_start,
		.csum_offset = 16,
		.gso_type = type,
		.gso_size = gso_size,
		.hdr_len = hdr_len,
	};
}

#define PAGE 4096u
#define BIG_FRAGS 17	/* Linux's MAX_SKB_FRAGS */
#define BIG_BASE PAGE

/* A receive chain as Linux posts it when it took GUEST_TSO* without
 * MRG_RXBUF (add_recvbuf_big): the header in a buffer of its own, the
 * rest of its page after the padded header (16 bytes), then 17 pages. */
static size_t post_big(struct env *e)
{
	chain_reset(&e->chain);
	chain_add(&e->chain, BIG_BASE, 12, true);
	chain_add(&e->chain, BIG_BASE + 16, PAGE - 16, true);
	for (unsigned i = 1; i <= BIG_FRAGS; i++)
		chain_add(&e->chain, BIG_BASE + (uint64_t)i * PAGE, PAGE, true);
	return e->chain.writable_len;
}

/* The first n writable bytes of the chain, gathered. */
static void gather(const struct env *e, uint8_t *out, size_t n)
{
	size_t off = 0;

	for (unsigned i = e->chain.readable; i < e->chain.count && off < n; i++) {
		size_t k = e->chain.seg[i].len;

		if (k > n - off)
			k = n - off;
		memcpy(out + off, e->flat.bytes + e->chain.seg[i].addr, k);
		off += k;
	}
	assert_int_equal(off, n);
}

/* A GSO frame to a driver that took GUEST_TSO4: whole, into one big
 * chain, its header saying what the sender's said (num_buffers 1). */
static void test_rx_gso_to_tso_receiver(void **state)
{
	struct env *e = *state;
	uint8_t *frame = malloc(VIRTIO_NET_GSO_FRAME_MAX);
	uint8_t *got = malloc(12 + VIRTIO_NET_GSO_FRAME_MAX);
	struct virtio_net_offload off =
		gso_off(VIRTIO_NET_HDR_GSO_TCPV4, 34, 54, 1448);
	uint8_t want[12];
	size_t len;
	uint32_t written = 0;

	assert_non_null(frame);
	assert_non_null(got);
	assert_true(post_big(e) >= 12 + VIRTIO_NET_GSO_FRAME_MAX);
	len = make_tcp4_gso(frame, 60000);
	assert_int_equal(virtio_net_rx_write(&e->chain, &e->mem,
					     VIRTIO_NET_FEATURES, frame, len,
					     &off, &written),
			 VIRTIO_NET_OK);
	assert_int_equal(written, 12 + len);
	gather(e, got, 12 + len);
	make_gso_hdr(want, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4,
		     54, 1448, 34, 16);
	want[10] = 1;
	assert_memory_equal(got, want, 12);
	assert_memory_equal(got + 12, frame, len);

	/* The largest one fits too; IPv6 with ECN to a driver with just
	 * what it needs. */
	pattern(frame, VIRTIO_NET_GSO_FRAME_MAX, 3);
	off = gso_off(VIRTIO_NET_HDR_GSO_TCPV6 | VIRTIO_NET_HDR_GSO_ECN, 54, 74,
		      8000);
	post_big(e);
	assert_int_equal(virtio_net_rx_write(&e->chain, &e->mem,
					     VIRTIO_NET_F_GUEST_CSUM |
						     VIRTIO_NET_F_GUEST_TSO6 |
						     VIRTIO_NET_F_GUEST_ECN,
					     frame, VIRTIO_NET_GSO_FRAME_MAX,
					     &off, &written),
			 VIRTIO_NET_OK);
	assert_int_equal(written, 12 + VIRTIO_NET_GSO_FRAME_MAX);
	gather(e, got, 12 + VIRTIO_NET_GSO_FRAME_MAX);
	make_gso_hdr(want, VIRTIO_NET_HDR_F_NEEDS_CSUM,
		     VIRTIO_NET_HDR_GSO_TCPV6 | VIRTIO_NET_HDR_GSO_ECN, 74, 8000,
		     54, 16);
	want[10] = 1;
	assert_memory_equal(got, want, 12);
	assert_memory_equal(got + 12, frame, VIRTIO_NET_GSO_FRAME_MAX);
	free(got);
	free(frame);
}

/* A GSO frame for a driver that did not take its type: nothing written,
 * a status of its own (the caller drops it). */
static void test_rx_gso_not_negotiated(void **state)
{
	struct env *e = *state;
	static const uint64_t csum = VIRTIO_NET_F_GUEST_CSUM;
	static const struct {
		uint8_t type;
		uint64_t features;
		bool takes;
	} cases[] = {
		{ VIRTIO_NET_HDR_GSO_TCPV4, 0, false },
		{ VIRTIO_NET_HDR_GSO_TCPV4, csum, false },
		{ VIRTIO_NET_HDR_GSO_TCPV4, csum | VIRTIO_NET_F_GUEST_TSO6, false },
		{ VIRTIO_NET_HDR_GSO_TCPV4, VIRTIO_NET_F_GUEST_TSO4, false },
		{ VIRTIO_NET_HDR_GSO_TCPV4, csum | VIRTIO_NET_F_HOST_TSO4 |
			VIRTIO_NET_F_CSUM, false },
		{ VIRTIO_NET_HDR_GSO_TCPV4, csum | VIRTIO_NET_F_GUEST_TSO4, true },
		{ VIRTIO_NET_HDR_GSO_TCPV6, csum | VIRTIO_NET_F_GUEST_TSO4, false },
		{ VIRTIO_NET_HDR_GSO_TCPV6, csum | VIRTIO_NET_F_GUEST_TSO6, true },
		{ VIRTIO_NET_HDR_GSO_TCPV4 | 0x80, csum | VIRTIO_NET_F_GUEST_TSO4,
		  false },
		{ VIRTIO_NET_HDR_GSO_TCPV4 | 0x80, csum | VIRTIO_NET_F_GUEST_ECN,
		  false },
		{ VIRTIO_NET_HDR_GSO_TCPV4 | 0x80, csum | VIRTIO_NET_F_GUEST_TSO4 |
			VIRTIO_NET_F_GUEST_ECN, true },
		{ VIRTIO_NET_HDR_GSO_UDP, ~0ull, false },
		{ VIRTIO_NET_HDR_GSO_UDP_L4, ~0ull, false },
		{ 0x7f, ~0ull, false },
	};
	uint8_t *frame = malloc(30000);
	uint32_t written;

	assert_non_null(frame);
	make_tcp4_gso(frame, 30000 - 54);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct virtio_net_offload off =
			gso_off(cases[i].type, 34, 54, 1448);

		assert_int_equal(virtio_net_rx_takes(cases[i].features, &off),
				 cases[i].takes);
		post_big(e);
		snapshot(e);
		written = 99;
		assert_int_equal(virtio_net_rx_write(&e->chain, &e->mem,
						     cases[i].features, frame,
						     30000, &off, &written),
				 cases[i].takes ? VIRTIO_NET_OK
						: VIRTIO_NET_ERR_RX_NO_GSO);
		if (!cases[i].takes) {
			assert_int_equal(written, 0);
			assert_memory_unchanged(e);
		}
	}
	/* No GSO: any driver takes it. */
	{
		struct virtio_net_offload plain = CSUM(34, 16);

		assert_true(virtio_net_rx_takes(0, NULL));
		assert_true(virtio_net_rx_takes(0, &plain));
	}
	free(frame);
}

/* A GSO frame for a driver with GUEST_TSO4 whose chain is small (say a
 * buffer for 1518 bytes): too small, as for any frame. */
static void test_rx_gso_too_small(void **state)
{
	struct env *e = *state;
	uint8_t frame[3000];
	struct virtio_net_offload off =
		gso_off(VIRTIO_NET_HDR_GSO_TCPV4, 34, 54, 1448);
	uint32_t written = 5;

	make_tcp4_gso(frame, sizeof(frame) - 54);
	chain_reset(&e->chain);
	chain_add(&e->chain, 0, 12 + 1518, true);
	snapshot(e);
	assert_int_equal(virtio_net_rx_write(&e->chain, &e->mem,
					     VIRTIO_NET_FEATURES, frame,
					     sizeof(frame), &off, &written),
			 VIRTIO_NET_ERR_RX_TOO_SMALL);
	assert_int_equal(written, 0);
	assert_memory_unchanged(e);
	/* One byte short of header and frame. */
	chain_add(&e->chain, 8192, sizeof(frame) - 1518 - 1, true);
	assert_int_equal(virtio_net_rx_write(&e->chain, &e->mem,
					     VIRTIO_NET_FEATURES, frame,
					     sizeof(frame), &off, &written),
			 VIRTIO_NET_ERR_RX_TOO_SMALL);
	assert_memory_unchanged(e);
}

/* Offloads that tx_read would never give are not passed on. */
static void test_rx_gso_not_valid(void **state)
{
	struct env *e = *state;
	uint8_t frame[3000];
	struct virtio_net_offload off;
	uint32_t written = 5;

	make_tcp4_gso(frame, sizeof(frame) - 54);
	chain_reset(&e->chain);
	chain_add(&e->chain, 0, 8192, true);
	snapshot(e);
	for (int i = 0; i < 6; i++) {
		enum virtio_net_status want = VIRTIO_NET_ERR_GSO_FIELDS;

		off = gso_off(VIRTIO_NET_HDR_GSO_TCPV4, 34, 54, 1448);
		switch (i) {
		case 0:
			off.partial = false;
			break;
		case 1:
			off.gso_size = 0;
			break;
		case 2:
			off.hdr_len = sizeof(frame) + 1;
			break;
		case 3:
			off.csum_offset = 6;
			break;
		case 4:
			off.csum_start = sizeof(frame) - 17;
			want = VIRTIO_NET_ERR_CSUM_RANGE;
			break;
		case 5:
			off.csum_start = 0;
			want = VIRTIO_NET_ERR_CSUM_RANGE;
			break;
		}
		assert_false(virtio_net_offload_valid(sizeof(frame), &off));
		assert_int_equal(virtio_net_rx_write(&e->chain, &e->mem,
						     VIRTIO_NET_FEATURES, frame,
						     sizeof(frame), &off,
						     &written),
				 want);
		assert_int_equal(written, 0);
		assert_memory_unchanged(e);
	}
	off = gso_off(VIRTIO_NET_HDR_GSO_TCPV4, 34, sizeof(frame), 1);
	assert_true(virtio_net_offload_valid(sizeof(frame), &off));
	assert_true(virtio_net_offload_valid(0, NULL));
}

/* The whole path: a GSO frame read from one guest's transmit chain and
 * written into another's big chain. The receiver's header is the
 * sender's, byte for byte, but for num_buffers. */
static void test_tx_to_rx_gso(void **state)
{
	struct env *e = *state;
	const size_t sizes[] = { 12, 54 + 100, 4096 };
	uint8_t hdr[12];
	uint8_t *frame = malloc(VIRTIO_NET_GSO_FRAME_MAX);
	uint8_t *got = malloc(12 + VIRTIO_NET_GSO_FRAME_MAX);
	size_t len;
	uint32_t written;
	struct tx_out o;

	assert_non_null(frame);
	assert_non_null(got);
	len = make_tcp6_gso(frame, 65535 - 40 - 20);
	make_gso_hdr(hdr, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV6,
		     54 + 100, 1428, 54, 16);
	/* The transmit chain sits above where post_big puts its pages. */
	chain_reset(&e->chain);
	{
		uint8_t *all = malloc(12 + len);

		assert_non_null(all);
		memcpy(all, hdr, 12);
		memcpy(all + 12, frame, len);
		put_readable(e, BIG_BASE + (BIG_FRAGS + 1) * PAGE, 0, all,
			     12 + len, sizes, 3);
		free(all);
	}
	o = tx(e, VIRTIO_NET_FEATURES, VIRTIO_NET_GSO_FRAME_MAX);
	assert_int_equal(o.st, VIRTIO_NET_OK);
	assert_int_equal(o.len, len);
	post_big(e);
	assert_int_equal(virtio_net_rx_write(&e->chain, &e->mem,
					     VIRTIO_NET_FEATURES, o.buf, o.len,
					     &o.off, &written),
			 VIRTIO_NET_OK);
	gather(e, got, 12 + len);
	hdr[10] = 1;
	assert_memory_equal(got, hdr, 12);
	assert_memory_equal(got + 12, frame, len);
	free(o.buf);
	free(got);
	free(frame);
}

/* ------------------------------------------------------------ checksums */

/* RFC 1071 section 3's example: the words 0001 f203 f4f5 f6f7 sum to
 * ddf2, so the checksum is 220d. */
static void test_csum_rfc1071_example(void **state)
{
	uint8_t f[14 + 9] = { 0 };
	static const uint8_t words[8] = { 0x00, 0x01, 0xf2, 0x03,
					  0xf4, 0xf5, 0xf6, 0xf7 };

	(void)state;
	memcpy(f + 14, words, 8);
	assert_int_equal(virtio_net_csum_compute(f, 22, 14), 0x220d);
	/* An odd byte counts as the high half of a word: + 0x0100. */
	f[22] = 0x01;
	assert_int_equal(virtio_net_csum_compute(f, 23, 14), 0x210d);
	/* The bytes before start do not count. */
	memset(f, 0xff, 14);
	assert_int_equal(virtio_net_csum_compute(f, 22, 14), 0x220d);
}

/* A sum of 0xffff would store 0, which UDP reads as "no checksum". */
static void test_csum_never_zero(void **state)
{
	uint8_t f[16] = { 0 };

	(void)state;
	f[14] = 0xff;
	f[15] = 0xff;
	assert_int_equal(virtio_net_csum_compute(f, 16, 14), 0xffff);
	/* Nothing to sum: the complement of 0. */
	assert_int_equal(virtio_net_csum_compute(f, 14, 14), 0xffff);
}

static void test_csum_complete_in_place(void **state)
{
	uint8_t frame[UDP4_LEN], orig[UDP4_LEN];
	struct virtio_net_offload csum = CSUM(34, 6);

	(void)state;
	make_udp4_partial(frame);
	memcpy(orig, frame, sizeof(frame));
	virtio_net_csum_complete(frame, sizeof(frame), &csum);
	assert_false(csum.partial);
	assert_true(udp4_checksum_ok(frame));
	assert_memory_equal(frame, orig, 40);
	/* A second call does nothing. */
	memcpy(orig, frame, sizeof(frame));
	virtio_net_csum_complete(frame, sizeof(frame), &csum);
	assert_memory_equal(frame, orig, sizeof(frame));
}

static void test_status_strings(void **state)
{
	(void)state;
	for (int s = VIRTIO_NET_OK; s <= VIRTIO_NET_STATUS_LAST; s++) {
		const char *str = virtio_net_status_str((enum virtio_net_status)s);

		assert_non_null(str);
		assert_true(strlen(str) > 1);
	}
	assert_string_equal(virtio_net_status_str(VIRTIO_NET_ERR_RX_TOO_SMALL),
			    "receive buffer too small");
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_features_offered),
		cmocka_unit_test(test_feature_dependencies),
		cmocka_unit_test(test_config_space),
		T(test_tx_header_then_frame),
		T(test_tx_any_split),
		T(test_tx_short_chains),
		T(test_tx_too_long),
		T(test_tx_gso_refused),
		T(test_tx_gso_accepted),
		T(test_tx_gso_lengths),
		T(test_tx_gso_fields),
		T(test_tx_ignored_fields),
		T(test_tx_needs_csum),
		T(test_tx_csum_range),
		T(test_tx_copy_fails),
		T(test_rx_one_buffer),
		T(test_rx_split_chain),
		T(test_rx_too_small),
		T(test_rx_partial_to_guest_csum),
		T(test_rx_partial_completed),
		T(test_rx_partial_completed_split_field),
		T(test_tx_to_rx_completes),
		T(test_rx_csum_out_of_frame),
		T(test_rx_copy_fails),
		T(test_rx_gso_to_tso_receiver),
		T(test_rx_gso_not_negotiated),
		T(test_rx_gso_too_small),
		T(test_rx_gso_not_valid),
		T(test_tx_to_rx_gso),
		cmocka_unit_test(test_csum_rfc1071_example),
		cmocka_unit_test(test_csum_never_zero),
		cmocka_unit_test(test_csum_complete_in_place),
		cmocka_unit_test(test_status_strings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
