/* libFuzzer target: lib/virtq.c, split virtqueues from the device's side.
 *
 * The input is a 16-byte header and the guest's memory: the header picks
 * the queue's size, negotiated features, where the three rings lie (some
 * choices fall outside RAM or misaligned), the 16-bit index the device
 * starts at (wraparound) and how many chains avail->idx says are there;
 * the bytes after it are RAM from guest-physical 0 (the rest of RAM_SIZE
 * is zero). The device then pops, reads, writes and pushes until the ring
 * is empty or an error, with its choices (offsets, lengths) drawn from a
 * generator seeded by the header. Its writes land in the same RAM as the
 * rings, as a guest's overlapping buffers would.
 *
 * Checked after each pop: the chain is the one a plain reference walk of
 * the descriptors finds (same buffers, readable ones first), every buffer
 * lies inside RAM, the lengths add up, copies move exactly the bytes they
 * should; an error takes nothing; each push lands at used->idx. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/virtq.h"
#include "tests/flat_ram.h"

#define CHECK(cond)                      \
	do {                             \
		if (!(cond))             \
			__builtin_trap(); \
	} while (0)

#define RAM_SIZE 0x2000u
#define HEADER 16

static uint8_t ram[RAM_SIZE];

static struct flat_ram flat = {ram, RAM_SIZE};
static const struct virtq_memory mem = FLAT_RAM_MEMORY(&flat);

static bool in_ram(uint64_t gpa, uint64_t len)
{
	return flat_ram_has(&flat, gpa, len);
}

static uint16_t get16(uint64_t gpa)
{
	return (uint16_t)(ram[gpa] | ram[gpa + 1] << 8);
}

static uint32_t get32(uint64_t gpa)
{
	return get16(gpa) | (uint32_t)get16(gpa + 2) << 16;
}

static uint64_t get64(uint64_t gpa)
{
	return get32(gpa) | (uint64_t)get32(gpa + 4) << 32;
}

static void put16(uint64_t gpa, uint16_t v)
{
	ram[gpa] = (uint8_t)v;
	ram[gpa + 1] = (uint8_t)(v >> 8);
}

static uint32_t rng_state;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

/* ------------------------------------------------------ reference walk */

/* What the chain should be, found the plain way. Only run on chains that
 * virtq_pop accepted, so the walk may trust the links; it is bounded all
 * the same, and any surprise is a failure. */
struct ref {
	unsigned count, readable;
	struct virtq_seg seg[VIRTQ_CHAIN_MAX_SEGS];
};

static void ref_add(struct ref *r, uint64_t d)
{
	uint32_t len = get32(d + 8);
	bool writable = get16(d + 12) & VIRTQ_DESC_F_WRITE;

	if (len == 0)
		return;
	CHECK(r->count < VIRTQ_CHAIN_MAX_SEGS);
	CHECK(writable || r->readable == r->count);	/* readable first */
	r->seg[r->count].addr = get64(d);
	r->seg[r->count].len = len;
	r->count++;
	if (!writable)
		r->readable++;
}

static void ref_walk_table(struct ref *r, uint64_t table, uint32_t entries,
			   uint32_t first, bool indirect_ok, bool is_indirect)
{
	uint32_t index = first;

	for (uint32_t steps = 0;; steps++) {
		CHECK(steps < entries && index < entries);
		uint64_t d = table + 16ull * index;
		CHECK(in_ram(d, 16));
		uint16_t flags = get16(d + 12);
		if (flags & VIRTQ_DESC_F_INDIRECT) {
			CHECK(indirect_ok && !is_indirect);
			CHECK(!(flags & VIRTQ_DESC_F_NEXT));
			ref_walk_table(r, get64(d), get32(d + 8) / 16, 0, false,
				       true);
			return;
		}
		ref_add(r, d);
		if (!(flags & VIRTQ_DESC_F_NEXT))
			return;
		index = get16(d + 14);
	}
}

/* --------------------------------------------------------------- checks */

static void check_chain(const struct virtq *q, const struct virtq_chain *c)
{
	uint64_t readable_len = 0, writable_len = 0;

	CHECK(c->head < q->size);
	CHECK(c->count <= VIRTQ_CHAIN_MAX_SEGS);
	CHECK(c->readable <= c->count);
	for (unsigned i = 0; i < c->count; i++) {
		const struct virtq_seg *s = &c->seg[i];
		CHECK(s->len > 0);
		CHECK(in_ram(s->addr, s->len));
		if (i < c->readable)
			readable_len += s->len;
		else
			writable_len += s->len;
	}
	CHECK(readable_len == c->readable_len);
	CHECK(writable_len == c->writable_len);

	static struct ref r;
	r.count = r.readable = 0;
	ref_walk_table(&r, q->desc_addr, q->size, c->head, q->indirect, false);
	CHECK(r.count == c->count && r.readable == c->readable);
	for (unsigned i = 0; i < c->count; i++)
		CHECK(r.seg[i].addr == c->seg[i].addr &&
		      r.seg[i].len == c->seg[i].len);
}

/* The byte at `offset` of the readable (or writable) part, the plain way. */
static uint64_t byte_addr(const struct virtq_chain *c, unsigned first,
			  unsigned end, uint64_t offset)
{
	for (unsigned i = first; i < end; i++) {
		if (offset < c->seg[i].len)
			return c->seg[i].addr + offset;
		offset -= c->seg[i].len;
	}
	__builtin_trap();
}

static size_t expected_copy(uint32_t total, size_t offset, size_t len)
{
	if (offset >= total)
		return 0;
	return len < total - offset ? len : total - offset;
}

static void check_read(const struct virtq_chain *c)
{
	uint8_t buf[64];
	size_t offset = rnd() % (c->readable_len + 16u);
	size_t len = rnd() % sizeof(buf);
	size_t n = virtq_chain_read(c, &mem, offset, buf, len);

	CHECK(n == expected_copy(c->readable_len, offset, len));
	for (size_t i = 0; i < n; i++)
		CHECK(buf[i] == ram[byte_addr(c, 0, c->readable, offset + i)]);
}

static void check_write(const struct virtq_chain *c)
{
	uint8_t buf[64];
	size_t offset = rnd() % (c->writable_len + 16u);
	size_t len = rnd() % sizeof(buf);

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)rnd();
	size_t n = virtq_chain_write(c, &mem, offset, buf, len);
	CHECK(n == expected_copy(c->writable_len, offset, len));
	/* Buffers may overlap each other: only the last byte is sure to be
	 * the last one written. */
	if (n)
		CHECK(ram[byte_addr(c, c->readable, c->count,
				    offset + n - 1)] == buf[n - 1]);
}

/* ------------------------------------------------------------- the run */

static void lay_queue(struct virtq *q, const uint8_t *h)
{
	uint8_t log2 = (h[0] >> 2) & 15;

	memset(q, 0, sizeof(*q));
	q->event_idx = h[0] & 1;
	q->indirect = h[0] & 2;
	/* Mostly a valid size; sometimes any 16-bit value. */
	q->size = (h[0] & 0x40) ? (uint16_t)(h[1] | h[2] << 8)
				: (uint16_t)(1u << (log2 > 9 ? log2 - 8 : log2));
	/* Ring addresses in their alignment units, a little past RAM too;
	 * h[0] bit 7 misaligns them by a byte. */
	q->desc_addr = (uint64_t)(h[5] | h[6] << 8) % (RAM_SIZE / 16 + 8) * 16;
	q->avail_addr = (uint64_t)(h[7] | h[8] << 8) % (RAM_SIZE / 2 + 8) * 2;
	q->used_addr = (uint64_t)(h[9] | h[10] << 8) % (RAM_SIZE / 4 + 8) * 4;
	if (h[0] & 0x80)
		q->used_addr++;
}

/* Start at a chosen index, as if that many chains had gone through, and
 * have avail->idx promise up to size chains (or leave RAM's value). */
static void start_at(struct virtq *q, const uint8_t *h)
{
	uint16_t start = (uint16_t)(h[3] | h[4] << 8);

	q->last_avail = start;
	q->used_idx = start;
	put16(q->used_addr + 2, start);
	if (h[11] != 0xff)
		put16(q->avail_addr + 2,
		      (uint16_t)(start + h[11] % (q->size + 1u)));
}

static bool take_one(struct virtq *q)
{
	static struct virtq_chain c;
	uint16_t last_avail = q->last_avail;
	bool got;

	enum virtq_error e = virtq_pop(q, &mem, &c, &got);
	if (e != VIRTQ_OK) {
		CHECK(!got && q->last_avail == last_avail);
		CHECK(e > VIRTQ_OK && e < VIRTQ_ERR_DISABLED);
		CHECK(virtq_error_str(e) != NULL);
		return false;
	}
	if (!got) {
		CHECK(q->last_avail == last_avail);
		return virtq_enable_notify(q, &mem, rnd() & 1);
	}
	CHECK(q->last_avail == (uint16_t)(last_avail + 1));
	check_chain(q, &c);
	for (unsigned i = rnd() % 3; i > 0; i--) {
		check_read(&c);
		check_write(&c);
	}
	uint16_t used_idx = q->used_idx;
	uint32_t written = c.writable_len ? rnd() % (c.writable_len + 1) : 0;
	CHECK(virtq_push(q, &mem, c.head, written) == VIRTQ_OK);
	CHECK(q->used_idx == (uint16_t)(used_idx + 1));
	CHECK(get16(q->used_addr + 2) == q->used_idx);
	uint64_t elem = q->used_addr + 4 + 8ull * (used_idx & (q->size - 1));
	CHECK(get32(elem) == c.head && get32(elem + 4) == written);
	if (rnd() & 1)
		(void)virtq_should_interrupt(q, &mem);
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct virtq q;
	uint8_t h[HEADER] = {0};

	memcpy(h, data, size < HEADER ? size : HEADER);
	memset(ram, 0, sizeof(ram));
	if (size > HEADER) {
		size_t n = size - HEADER;
		memcpy(ram, data + HEADER, n < RAM_SIZE ? n : RAM_SIZE);
	}
	rng_state = (h[12] | h[13] << 8 | h[14] << 16 | (uint32_t)h[15] << 24) | 1;

	lay_queue(&q, h);
	if (virtq_enable(&q, &mem) != VIRTQ_OK) {
		CHECK(!q.enabled);
		bool got;
		static struct virtq_chain c;
		CHECK(virtq_pop(&q, &mem, &c, &got) == VIRTQ_ERR_DISABLED);
		return 0;
	}
	CHECK(q.size && q.size <= VIRTQ_MAX_SIZE && !(q.size & (q.size - 1)));
	start_at(&q, h);
	/* Writes into RAM may make more chains appear: bounded. */
	for (unsigned i = 0; i < 2u * q.size + 8; i++)
		if (!take_one(&q))
			break;
	return 0;
}
