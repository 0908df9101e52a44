/* libFuzzer target: lib/virtio_net_frame.c on arbitrary chains over a flat
 * guest memory (buffers anywhere, some running off its end, readable and
 * writable ones overlapping), any header, any features. Each answer is
 * checked against a byte-by-byte oracle written here: the status tx_read
 * must give, the frame it must read, what rx_write may and must write.
 * The memory and the frame buffer are heap blocks of exactly their size,
 * so ASan reports any access past them. */
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
#define MAX_BUFSIZE 2048
#define MAX_RX_FRAME 2000

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
		uint32_t len = (uint32_t)(take(in, 2) % 1600) + 1;

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

/* ------------------------------------------------------------ transmit */

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* The status tx_read must give, and in `frame` what it must read. */
static enum virtio_net_status tx_oracle(const struct virtq_chain *c,
					const uint8_t *mem, uint64_t features,
					size_t bufsize, uint8_t *frame,
					struct virtio_net_csum *csum)
{
	uint8_t hdr[VIRTIO_NET_HDR_SIZE];
	size_t flen;

	csum->partial = false;
	if (c->readable_len < VIRTIO_NET_HDR_SIZE)
		return VIRTIO_NET_ERR_HDR_SHORT;
	flen = c->readable_len - VIRTIO_NET_HDR_SIZE;
	if (!range_in_mem(c, false, 0, VIRTIO_NET_HDR_SIZE))
		return VIRTIO_NET_ERR_COPY;
	for (size_t i = 0; i < VIRTIO_NET_HDR_SIZE; i++)
		hdr[i] = mem[chain_addr(c, false, i)];
	if (hdr[1] != 0)
		return VIRTIO_NET_ERR_GSO;
	if (hdr[0] & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		if (!(features & VIRTIO_NET_F_CSUM))
			return VIRTIO_NET_ERR_CSUM_NOT_OFFERED;
		if (!ref_in_frame(flen, le16(hdr + 6), le16(hdr + 8)))
			return VIRTIO_NET_ERR_CSUM_RANGE;
		csum->partial = true;
		csum->start = le16(hdr + 6);
		csum->offset = le16(hdr + 8);
	}
	if (flen > bufsize)
		return VIRTIO_NET_ERR_TOO_LONG;
	if (!range_in_mem(c, false, VIRTIO_NET_HDR_SIZE, c->readable_len))
		return VIRTIO_NET_ERR_COPY;
	for (size_t i = 0; i < flen; i++)
		frame[i] = mem[chain_addr(c, false, VIRTIO_NET_HDR_SIZE + i)];
	return VIRTIO_NET_OK;
}

/* Runs tx_read on a chain; on success leaves the frame for rx. */
static bool run_tx(struct input *in, struct flat *f, struct virtq_memory *m,
		   uint8_t *frame, size_t *len, struct virtio_net_csum *csum)
{
	static struct virtq_chain c;
	uint64_t features = take(in, 1) & 3;	/* CSUM, GUEST_CSUM */
	size_t bufsize = take(in, 2) % (MAX_BUFSIZE + 1);
	uint8_t *buf = malloc(bufsize ? bufsize : 1);
	uint8_t *want = malloc(MAX_SEGS * 1600);
	uint8_t *before = malloc(MEM_SIZE);
	struct virtio_net_csum want_csum;
	enum virtio_net_status st, want_st;
	bool ok;

	take_chain(in, &c);
	memcpy(before, f->bytes, MEM_SIZE);
	want_st = tx_oracle(&c, f->bytes, features, bufsize, want, &want_csum);
	st = virtio_net_tx_read(&c, m, features, buf, bufsize, len, csum);
	CHECK(st == want_st);
	CHECK(memcmp(before, f->bytes, MEM_SIZE) == 0);	/* only read */
	CHECK(virtio_net_status_str(st) != NULL);
	if (st == VIRTIO_NET_ERR_TOO_LONG)
		CHECK(*len == c.readable_len - VIRTIO_NET_HDR_SIZE &&
		      *len > bufsize);
	else if (st != VIRTIO_NET_OK)
		CHECK(*len == 0);
	if (st != VIRTIO_NET_OK)
		CHECK(!csum->partial);
	ok = st == VIRTIO_NET_OK;
	if (ok) {
		CHECK(*len == c.readable_len - VIRTIO_NET_HDR_SIZE);
		CHECK(*len <= bufsize);
		CHECK(memcmp(buf, want, *len) == 0);
		CHECK(csum->partial == want_csum.partial);
		if (csum->partial) {
			CHECK(features & VIRTIO_NET_F_CSUM);
			CHECK(csum->start == want_csum.start &&
			      csum->offset == want_csum.offset);
			CHECK(virtio_net_csum_in_frame(*len, csum->start,
						       csum->offset));
		}
		/* Frames longer than rx takes are cut; the csum then too. */
		if (*len > MAX_RX_FRAME)
			*len = MAX_RX_FRAME;
		if (csum->partial &&
		    !ref_in_frame(*len, csum->start, csum->offset))
			csum->partial = false;
		memcpy(frame, buf, *len);
	}
	free(before);
	free(want);
	free(buf);
	return ok;
}

/* ------------------------------------------------------------ receive */

/* An arbitrary frame and checksum request, when tx gave none. */
static void take_frame(struct input *in, uint8_t *frame, size_t *len,
		       struct virtio_net_csum *csum)
{
	*len = take(in, 2) % (MAX_RX_FRAME + 1);
	for (size_t i = 0; i < *len; i++)
		frame[i] = (uint8_t)(take(in, 1) ^ i);
	csum->partial = take(in, 1) & 1;
	csum->start = (uint16_t)take(in, 2);
	csum->offset = (uint16_t)take(in, 2);
	if (take(in, 1) & 1) {	/* often a plausible one */
		csum->start %= 128;
		csum->offset %= 32;
	}
}

/* What the driver should find in the writable area: a header, then the
 * frame, its partial checksum (csum) either passed on in the header or
 * completed in the frame, or neither (csum may then be NULL). */
static void expected_image(uint8_t *out, const uint8_t *frame, size_t len,
			   const struct virtio_net_csum *csum, bool pass_on,
			   bool complete)
{
	memset(out, 0, VIRTIO_NET_HDR_SIZE);
	out[10] = 1;	/* num_buffers */
	if (pass_on) {
		out[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		out[6] = (uint8_t)csum->start;
		out[7] = (uint8_t)(csum->start >> 8);
		out[8] = (uint8_t)csum->offset;
		out[9] = (uint8_t)(csum->offset >> 8);
	}
	memcpy(out + VIRTIO_NET_HDR_SIZE, frame, len);
	if (complete) {
		uint16_t c = ref_csum(frame, len, csum->start);
		uint8_t *field = out + VIRTIO_NET_HDR_SIZE + csum->start +
				 csum->offset;

		field[0] = (uint8_t)(c >> 8);
		field[1] = (uint8_t)c;
	}
}

static void run_rx(struct input *in, struct flat *f, struct virtq_memory *m,
		   const uint8_t *frame, size_t len,
		   const struct virtio_net_csum *csum)
{
	static struct virtq_chain c;
	uint64_t features = take(in, 1) & 3;
	bool use_csum = take(in, 1) & 1;
	const struct virtio_net_csum *cs = use_csum ? csum : NULL;
	bool partial = cs != NULL && cs->partial;
	bool pass_on = partial && (features & VIRTIO_NET_F_GUEST_CSUM);
	uint8_t *before = malloc(MEM_SIZE);
	uint8_t *covered = calloc(MEM_SIZE, 1);	/* may be written */
	size_t need = VIRTIO_NET_HDR_SIZE + len;
	enum virtio_net_status st, want_st = VIRTIO_NET_OK;
	uint32_t written = 12345;
	bool overlap = false;

	take_chain(in, &c);
	memcpy(before, f->bytes, MEM_SIZE);
	if (c.writable_len < need)
		want_st = VIRTIO_NET_ERR_RX_TOO_SMALL;
	else if (partial && !ref_in_frame(len, cs->start, cs->offset))
		want_st = VIRTIO_NET_ERR_CSUM_RANGE;
	else if (!range_in_mem(&c, true, 0, need))
		want_st = VIRTIO_NET_ERR_COPY;
	st = virtio_net_rx_write(&c, m, features, frame, len, cs, &written);
	CHECK(st == want_st);
	if (st != VIRTIO_NET_OK)
		CHECK(written == 0);
	if (st == VIRTIO_NET_ERR_RX_TOO_SMALL || st == VIRTIO_NET_ERR_CSUM_RANGE)
		CHECK(memcmp(before, f->bytes, MEM_SIZE) == 0);
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
	uint8_t *frame = malloc(MAX_BUFSIZE);
	struct virtio_net_csum csum = { false, 0, 0 };
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
	if (!run_tx(&in, &f, &m, frame, &len, &csum))
		take_frame(&in, frame, &len, &csum);
	run_rx(&in, &f, &m, frame, len, &csum);
	free(frame);
	free(f.bytes);
	return 0;
}
