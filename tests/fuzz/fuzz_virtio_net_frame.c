/* libFuzzer target: lib/virtio_net_frame.c on arbitrary chains over a flat
 * guest memory (buffers anywhere, some running off its end, readable and
 * writable ones overlapping), any header, any features, GSO frames of up
 * to 64 KiB and more. Each answer is checked against a byte-by-byte oracle
 * written here: the status tx_read must give, the frame and offloads it
 * must read, what rx_write may and must write (a GSO frame only to a
 * driver that took its type, with its header). The memory and the frame
 * buffer are heap blocks of exactly their size, so ASan reports any
 * access past them. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/virtio_net_frame.h"

#define CHECK(cond)                      \
	do {                             \
		if (!(cond))             \
			__builtin_trap(); \
	} while (0)

#define MEM_SIZE 4096
#define MAX_SEGS 12
#define MAX_SEG_LEN 8192	/* 12 of them: more than any GSO frame */
/* Past VIRTIO_NET_GSO_FRAME_MAX, so that every length limit is met. */
#define MAX_BUFSIZE 70000
#define MAX_RX_FRAME 70000
#define MAX_FRAME (MAX_BUFSIZE > MAX_RX_FRAME ? MAX_BUFSIZE : MAX_RX_FRAME)

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

/* ------------------------------------------------------------ memory */

struct flat {
	uint8_t *bytes;
};

static bool in_mem(uint64_t gpa, uint64_t len)
{
	return gpa <= MEM_SIZE && len <= MEM_SIZE - gpa;
}

static bool flat_read(void *ctx, uint64_t gpa, void *dst, size_t len)
{
	struct flat *f = ctx;

	if (!in_mem(gpa, len))
		return false;
	memcpy(dst, f->bytes + gpa, len);
	return true;
}

static bool flat_write(void *ctx, uint64_t gpa, const void *src, size_t len)
{
	struct flat *f = ctx;

	if (!in_mem(gpa, len))
		return false;
	memcpy(f->bytes + gpa, src, len);
	return true;
}

static bool flat_is_ram(void *ctx, uint64_t gpa, uint64_t len)
{
	(void)ctx;
	return in_mem(gpa, len);
}

/* ------------------------------------------------------------ chains */

/* A chain as virtq_pop hands it over: readable buffers first, no empty
 * ones, lengths summed. Buffers may overlap and run past the memory. */
static void take_chain(struct input *in, struct virtq_chain *c)
{
	unsigned readable = (unsigned)take(in, 1) % (MAX_SEGS + 1);
	unsigned writable = (unsigned)take(in, 1) % (MAX_SEGS + 1);

	memset(c, 0, sizeof(*c));
	for (unsigned i = 0; i < readable + writable; i++) {
		uint64_t addr = take(in, 2) % (MEM_SIZE + 64);
		uint32_t v = (uint32_t)take(in, 2);
		/* Mostly up to 1600 bytes, sometimes up to 8 KiB. */
		uint32_t len = v & 0x8000 ? (v & 0x7fff) % MAX_SEG_LEN + 1
					  : v % 1600 + 1;

		c->seg[c->count].addr = addr;
		c->seg[c->count].len = len;
		c->count++;
		if (i < readable) {
			c->readable++;
			c->readable_len += len;
		} else {
			c->writable_len += len;
		}
	}
}

/* Byte `off` of the chain's readable (or writable) bytes: its address. */
static uint64_t chain_addr(const struct virtq_chain *c, bool writable,
			   size_t off)
{
	unsigned first = writable ? c->readable : 0;
	unsigned end = writable ? c->count : c->readable;

	for (unsigned i = first; i < end; i++) {
		if (off < c->seg[i].len)
			return c->seg[i].addr + off;
		off -= c->seg[i].len;
	}
	__builtin_trap();
}

/* True when bytes [from, to) of the readable (writable) area all lie in
 * memory: exactly when a copy of them can succeed. */
static bool range_in_mem(const struct virtq_chain *c, bool writable,
			 size_t from, size_t to)
{
	for (size_t off = from; off < to; off++) {
		if (chain_addr(c, writable, off) >= MEM_SIZE)
			return false;
	}
	return true;
}

/* ------------------------------------------------------------ checksums */

static uint32_t ref_sum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += (i % 2 == 0) ? (uint32_t)p[i] << 8 : p[i];
	return sum;
}

static uint16_t ref_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum >> 16) + (sum & 0xffff);
	return (uint16_t)sum;
}

static uint16_t ref_csum(const uint8_t *frame, size_t len, size_t start)
{
	uint16_t c = (uint16_t)~ref_fold(ref_sum(frame + start, len - start));

	return c ? c : 0xffff;
}

static bool ref_in_frame(size_t len, uint16_t start, uint16_t offset)
{
	return start >= 14 && (size_t)start + offset + 2 <= len;
}

/* ------------------------------------------------------------ GSO */

/* The features of a driver: often all that is offered, else any of the
 * low 16 bits (CSUM to MRG_RXBUF, the TSO, ECN and UFO ones among them),
 * whatever was offered. */
static uint64_t take_features(struct input *in)
{
	uint64_t v = take(in, 2);

	return v & 1 ? VIRTIO_NET_FEATURES : v >> 1;
}

/* GSO types to try: mostly the TCP ones, with and without ECN. */
static uint8_t take_gso_type(struct input *in)
{
	static const uint8_t types[] = { 0, 0, 1, 4, 0x81, 0x84, 3, 5 };
	unsigned kind = (unsigned)take(in, 1);

	return kind & 0x80 ? (uint8_t)take(in, 1) : types[kind % 8];
}

/* The features sending (host) or receiving (guest) this gso_type needs;
 * 0 for a type nobody may use: only TCPV4 (1) and TCPV6 (4) are, with or
 * without the ECN bit (0x80). */
static uint64_t ref_gso_needs(uint8_t type, bool host)
{
	uint64_t need;

	if ((type & 0x7f) == 1)
		need = host ? 1ull << 11 : 1ull << 7;	/* HOST_/GUEST_TSO4 */
	else if ((type & 0x7f) == 4)
		need = host ? 1ull << 12 : 1ull << 8;	/* HOST_/GUEST_TSO6 */
	else
		return 0;
	if (type & 0x80)
		need |= host ? 1ull << 13 : 1ull << 9;	/* HOST_/GUEST_ECN */
	return need;
}

/* What a GSO frame must carry: a partial checksum at TCP's offset (16), a
 * segment size, headers inside the frame. */
static bool ref_gso_fields(size_t len, const struct virtio_net_offload *o)
{
	return o->partial && o->csum_offset == 16 && o->gso_size > 0 &&
	       o->hdr_len <= len;
}

/* ------------------------------------------------------------ transmit */

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

/* The status tx_read must give, and in `frame` and `off` what it must
 * read. */
static enum virtio_net_status tx_oracle(const struct virtq_chain *c,
					const uint8_t *mem, uint64_t features,
					size_t bufsize, uint8_t *frame,
					struct virtio_net_offload *off)
{
	uint8_t hdr[VIRTIO_NET_HDR_SIZE];
	size_t flen, max = 1518;

	memset(off, 0, sizeof(*off));
	if (c->readable_len < VIRTIO_NET_HDR_SIZE)
		return VIRTIO_NET_ERR_HDR_SHORT;
	flen = c->readable_len - VIRTIO_NET_HDR_SIZE;
	if (!range_in_mem(c, false, 0, VIRTIO_NET_HDR_SIZE))
		return VIRTIO_NET_ERR_COPY;
	for (size_t i = 0; i < VIRTIO_NET_HDR_SIZE; i++)
		hdr[i] = mem[chain_addr(c, false, i)];
	if (hdr[1] != 0) {
		uint64_t need = ref_gso_needs(hdr[1], true);

		if (need == 0 || (features & need) != need)
			return VIRTIO_NET_ERR_GSO;
	}
	if (hdr[0] & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		if (!(features & VIRTIO_NET_F_CSUM))
			return VIRTIO_NET_ERR_CSUM_NOT_OFFERED;
		if (!ref_in_frame(flen, le16(hdr + 6), le16(hdr + 8)))
			return VIRTIO_NET_ERR_CSUM_RANGE;
		off->partial = true;
		off->csum_start = le16(hdr + 6);
		off->csum_offset = le16(hdr + 8);
	}
	if (hdr[1] != 0) {
		off->gso_type = hdr[1];
		off->hdr_len = le16(hdr + 2);
		off->gso_size = le16(hdr + 4);
		if (!ref_gso_fields(flen, off))
			return VIRTIO_NET_ERR_GSO_FIELDS;
		max = 65535 + 14 + 4;
	}
	if (flen > max || flen > bufsize)
		return VIRTIO_NET_ERR_TOO_LONG;
	if (!range_in_mem(c, false, VIRTIO_NET_HDR_SIZE, c->readable_len))
		return VIRTIO_NET_ERR_COPY;
	for (size_t i = 0; i < flen; i++)
		frame[i] = mem[chain_addr(c, false, VIRTIO_NET_HDR_SIZE + i)];
	return VIRTIO_NET_OK;
}

/* Often a header that is nearly right, so that GSO frames get through:
 * written into memory where the chain's first 12 readable bytes lie (those
 * in memory; a later byte may land on an earlier one). */
static void plant_header(struct input *in, struct flat *f,
			 const struct virtq_chain *c)
{
	uint8_t h[VIRTIO_NET_HDR_SIZE];
	uint16_t start = (uint16_t)(14 + take(in, 1) % 64);

	memset(h, 0, sizeof(h));
	h[0] = take(in, 1) & 1 ? VIRTIO_NET_HDR_F_NEEDS_CSUM
			       : (uint8_t)take(in, 1);
	h[1] = take_gso_type(in);
	put16(h + 2, (uint16_t)(take(in, 1) ? take(in, 1) : take(in, 2)));
	put16(h + 4, (uint16_t)take(in, 2));
	put16(h + 6, start);
	put16(h + 8, take(in, 1) & 1 ? 16 : (uint16_t)take(in, 1));
	for (size_t i = 0; i < sizeof(h) && i < c->readable_len; i++) {
		uint64_t a = chain_addr(c, false, i);

		if (a < MEM_SIZE)
			f->bytes[a] = h[i];
	}
}

/* Runs tx_read on a chain; on success leaves the frame for rx. */
static bool run_tx(struct input *in, struct flat *f, struct virtq_memory *m,
		   uint8_t *frame, size_t *len, struct virtio_net_offload *off)
{
	static struct virtq_chain c;
	uint64_t features = take_features(in);
	size_t bufsize = take(in, 3) % (MAX_BUFSIZE + 1);
	uint8_t *buf = malloc(bufsize ? bufsize : 1);
	uint8_t *want = malloc(MAX_SEGS * MAX_SEG_LEN);
	uint8_t *before = malloc(MEM_SIZE);
	struct virtio_net_offload want_off;
	enum virtio_net_status st, want_st;
	bool ok;

	take_chain(in, &c);
	if (take(in, 1) & 1)
		plant_header(in, f, &c);
	memcpy(before, f->bytes, MEM_SIZE);
	want_st = tx_oracle(&c, f->bytes, features, bufsize, want, &want_off);
	st = virtio_net_tx_read(&c, m, features, buf, bufsize, len, off);
	CHECK(st == want_st);
	CHECK(memcmp(before, f->bytes, MEM_SIZE) == 0);	/* only read */
	CHECK(virtio_net_status_str(st) != NULL);
	if (st == VIRTIO_NET_ERR_TOO_LONG)
		CHECK(*len == c.readable_len - VIRTIO_NET_HDR_SIZE &&
		      (*len > bufsize || *len > VIRTIO_NET_FRAME_MAX));
	else if (st != VIRTIO_NET_OK)
		CHECK(*len == 0);
	if (st != VIRTIO_NET_OK)
		CHECK(!off->partial && off->gso_type == 0 &&
		      off->gso_size == 0 && off->hdr_len == 0);
	ok = st == VIRTIO_NET_OK;
	if (ok) {
		CHECK(*len == c.readable_len - VIRTIO_NET_HDR_SIZE);
		CHECK(*len <= bufsize);
		CHECK(memcmp(buf, want, *len) == 0);
		CHECK(off->partial == want_off.partial);
		CHECK(off->gso_type == want_off.gso_type &&
		      off->gso_size == want_off.gso_size &&
		      off->hdr_len == want_off.hdr_len);
		if (off->partial) {
			CHECK(features & VIRTIO_NET_F_CSUM);
			CHECK(off->csum_start == want_off.csum_start &&
			      off->csum_offset == want_off.csum_offset);
			CHECK(virtio_net_csum_in_frame(*len, off->csum_start,
						       off->csum_offset));
		}
		/* Invariants, whatever the oracle says: a GSO frame only
		 * with its HOST_ feature, valid, up to the GSO limit; other
		 * frames up to 1518. */
		if (off->gso_type != VIRTIO_NET_HDR_GSO_NONE) {
			uint64_t need = ref_gso_needs(off->gso_type, true);

			CHECK(need != 0 && (features & need) == need);
			CHECK(virtio_net_offload_valid(*len, off));
			CHECK(*len <= VIRTIO_NET_GSO_FRAME_MAX);
		} else {
			CHECK(*len <= VIRTIO_NET_FRAME_MAX);
		}
		/* Frames longer than rx takes are cut; the offloads then
		 * may no longer fit, which rx must see. */
		if (*len > MAX_RX_FRAME)
			*len = MAX_RX_FRAME;
		memcpy(frame, buf, *len);
	}
	free(before);
	free(want);
	free(buf);
	return ok;
}

/* ------------------------------------------------------------ receive */

/* An arbitrary frame and offloads, when tx gave none. */
static void take_frame(struct input *in, uint8_t *frame, size_t *len,
		       struct virtio_net_offload *off)
{
	uint64_t v;

	/* The offloads first, so that a long frame does not use up the
	 * input they come from. */
	off->partial = take(in, 1) & 1;
	off->csum_start = (uint16_t)take(in, 2);
	off->csum_offset = (uint16_t)take(in, 2);
	off->gso_type = take_gso_type(in);
	off->gso_size = (uint16_t)take(in, 2);
	off->hdr_len = (uint16_t)take(in, 2);
	v = take(in, 1);
	if (v & 1) {	/* often a plausible one */
		off->csum_start %= 128;
		off->csum_offset = v & 2 ? 16 : off->csum_offset % 32;
		off->hdr_len %= 256;
	}
	v = take(in, 3);
	/* Mostly what plain frames are, sometimes up to GSO sizes. */
	*len = v & 1 ? (v >> 1) % (MAX_RX_FRAME + 1) : (v >> 1) % 2001;
	for (size_t i = 0; i < *len; i++)
		frame[i] = (uint8_t)(take(in, 1) ^ i);
}

/* True when a driver with `features` may get the offloads: no GSO, or a
 * TCP GSO type whose GUEST_ features it took, with GUEST_CSUM. */
static bool ref_takes(uint64_t features, const struct virtio_net_offload *o)
{
	uint64_t need;

	if (o == NULL || o->gso_type == 0)
		return true;
	need = ref_gso_needs(o->gso_type, false);
	if (need == 0)
		return false;
	need |= VIRTIO_NET_F_GUEST_CSUM;
	return (features & need) == need;
}

/* What the driver should find in the writable area: a header, then the
 * frame, its partial checksum either passed on in the header (with the
 * GSO fields, for GSO) or completed in the frame, or neither (off may
 * then be NULL). */
static void expected_image(uint8_t *out, const uint8_t *frame, size_t len,
			   const struct virtio_net_offload *off, bool pass_on,
			   bool complete)
{
	memset(out, 0, VIRTIO_NET_HDR_SIZE);
	out[10] = 1;	/* num_buffers */
	if (pass_on) {
		out[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		put16(out + 6, off->csum_start);
		put16(out + 8, off->csum_offset);
	}
	if (off != NULL && off->gso_type != 0) {
		out[1] = off->gso_type;
		put16(out + 2, off->hdr_len);
		put16(out + 4, off->gso_size);
	}
	memcpy(out + VIRTIO_NET_HDR_SIZE, frame, len);
	if (complete) {
		uint16_t c = ref_csum(frame, len, off->csum_start);
		uint8_t *field = out + VIRTIO_NET_HDR_SIZE + off->csum_start +
				 off->csum_offset;

		field[0] = (uint8_t)(c >> 8);
		field[1] = (uint8_t)c;
	}
}

static void run_rx(struct input *in, struct flat *f, struct virtq_memory *m,
		   const uint8_t *frame, size_t len,
		   const struct virtio_net_offload *off)
{
	static struct virtq_chain c;
	uint64_t features = take_features(in);
	bool use_off = take(in, 1) & 1;
	const struct virtio_net_offload *cs = use_off ? off : NULL;
	bool partial = cs != NULL && cs->partial;
	bool gso = cs != NULL && cs->gso_type != 0;
	bool pass_on = partial && (features & VIRTIO_NET_F_GUEST_CSUM);
	uint8_t *before = malloc(MEM_SIZE);
	uint8_t *covered = calloc(MEM_SIZE, 1);	/* may be written */
	size_t need = VIRTIO_NET_HDR_SIZE + len;
	enum virtio_net_status st, want_st = VIRTIO_NET_OK;
	uint32_t written = 12345;
	bool overlap = false;

	take_chain(in, &c);
	memcpy(before, f->bytes, MEM_SIZE);
	CHECK(virtio_net_rx_takes(features, cs) == ref_takes(features, cs));
	if (!ref_takes(features, cs))
		want_st = VIRTIO_NET_ERR_RX_NO_GSO;
	else if (c.writable_len < need)
		want_st = VIRTIO_NET_ERR_RX_TOO_SMALL;
	else if (partial &&
		 !ref_in_frame(len, cs->csum_start, cs->csum_offset))
		want_st = VIRTIO_NET_ERR_CSUM_RANGE;
	else if (gso && !ref_gso_fields(len, cs))
		want_st = VIRTIO_NET_ERR_GSO_FIELDS;
	else if (!range_in_mem(&c, true, 0, need))
		want_st = VIRTIO_NET_ERR_COPY;
	st = virtio_net_rx_write(&c, m, features, frame, len, cs, &written);
	CHECK(st == want_st);
	if (st != VIRTIO_NET_OK)
		CHECK(written == 0);
	if (st == VIRTIO_NET_ERR_RX_NO_GSO || st == VIRTIO_NET_ERR_RX_TOO_SMALL ||
	    st == VIRTIO_NET_ERR_CSUM_RANGE || st == VIRTIO_NET_ERR_GSO_FIELDS)
		CHECK(memcmp(before, f->bytes, MEM_SIZE) == 0);
	/* A GSO frame reaches only a driver that took its type. */
	if (st == VIRTIO_NET_OK && gso) {
		uint64_t need_f = ref_gso_needs(cs->gso_type, false) |
				  VIRTIO_NET_F_GUEST_CSUM;

		CHECK((features & need_f) == need_f);
		CHECK(pass_on);
	}
	if (want_st == VIRTIO_NET_OK || want_st == VIRTIO_NET_ERR_COPY) {
		/* Nothing outside the first `need` writable bytes changes. */
		for (size_t off = 0; off < need && off < c.writable_len; off++) {
			uint64_t a = chain_addr(&c, true, off);

			if (a >= MEM_SIZE)
				continue;
			if (covered[a])
				overlap = true;
			covered[a] = 1;
		}
		for (size_t a = 0; a < MEM_SIZE; a++)
			CHECK(covered[a] || f->bytes[a] == before[a]);
	}
	if (st == VIRTIO_NET_OK) {
		CHECK(written == need);
		/* Read back, when no byte was written twice. */
		uint8_t *image = malloc(need);

		expected_image(image, frame, len, cs, pass_on,
			       partial && !pass_on);
		for (size_t off = 0; !overlap && off < need; off++)
			CHECK(f->bytes[chain_addr(&c, true, off)] == image[off]);
		free(image);
	}
	free(covered);
	free(before);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct flat f = { malloc(MEM_SIZE) };
	struct virtq_memory m = { &f, flat_read, flat_write, flat_is_ram };
	uint8_t *frame = malloc(MAX_FRAME);
	struct virtio_net_offload off = { .partial = false };
	size_t len = 0;

	/* The memory: the tail of the input, repeated; zeros without one. */
	{
		size_t head = size > 256 ? 256 : size;
		const uint8_t *tail = data + head;
		size_t tail_len = size - head;

		for (size_t i = 0; i < MEM_SIZE; i++)
			f.bytes[i] = tail_len ? tail[i % tail_len] : 0;
		in.n = head;
	}
	if (!run_tx(&in, &f, &m, frame, &len, &off))
		take_frame(&in, frame, &len, &off);
	run_rx(&in, &f, &m, frame, len, &off);
	free(frame);
	free(f.bytes);
	return 0;
}
