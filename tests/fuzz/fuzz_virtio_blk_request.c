/* libFuzzer target: the virtio-blk request handler (lib/virtio_blk_request.c)
 * over a small copy-on-write disk (lib/block_store.c), on chains and guest
 * memory built from the input. Several requests run on one disk, so its
 * chunks go through every state. The checks trap on:
 *   - a read of guest memory outside the chain's readable buffers, or a
 *     write outside its writable ones;
 *   - an answer that breaks the header's promises (status, written
 *     length, the status byte where it belongs);
 *   - a disk that disagrees with a flat model of it (IN returns what the
 *     model holds; OUT and WRITE_ZEROES change it as the model says);
 *   - any change to the base image (a checksum), a write to a read-only
 *     disk, memory left allocated after block_store_destroy.
 *
 * Input: a 6-byte disk header (flags: read-only, discard, serial, chunks
 * zeroed beforehand; the image size; a pattern salt; an allocation
 * budget), then up to 8 requests of 5 bytes (buffer counts, type,
 * sector) plus 4 per buffer (address, length); the rest fills guest RAM
 * (64 KiB at guest-physical 0). Most requests are well-formed chains
 * whose sector and lengths may still be wrong; the others are laid out by
 * the input, with or without a header written for them (build_chain). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/block_store.h"
#include "lib/virtio_blk_request.h"
#include "lib/virtq.h"

#define CHECK(cond)                      \
	do {                             \
		if (!(cond))             \
			__builtin_trap(); \
	} while (0)

#define RAM_SIZE 65536u
#define CHUNK BLOCK_STORE_CHUNK_SIZE
#define CHUNK_SECTORS (CHUNK / 512)
/* Up to three chunks and a bit: a short last chunk, a few table slots. */
#define DISK_MAX_SECTORS (3 * CHUNK / 512 + 64)
#define MAX_REQUESTS 8
#define DISK_HEADER 6
#define REQUEST_HEADER 5
#define BUFFER_SPEC 4

struct guest {
	uint8_t ram[RAM_SIZE];
	const struct virtq_chain *chain;
};

struct pool {
	long outstanding;
	long allocs_left;	/* < 0: unlimited */
};

static struct guest guest;

static bool inside(const struct virtq_chain *c, unsigned first, unsigned end,
		   uint64_t gpa, size_t len)
{
	for (unsigned i = first; i < end; i++) {
		if (gpa >= c->seg[i].addr &&
		    gpa + len <= c->seg[i].addr + c->seg[i].len)
			return true;
	}
	return false;
}

static bool ram_read(void *ctx, uint64_t gpa, void *dst, size_t len)
{
	struct guest *g = ctx;

	CHECK(inside(g->chain, 0, g->chain->readable, gpa, len));
	if (gpa > RAM_SIZE || len > RAM_SIZE - gpa)
		return false;
	memcpy(dst, g->ram + gpa, len);
	return true;
}

static bool ram_write(void *ctx, uint64_t gpa, const void *src, size_t len)
{
	struct guest *g = ctx;

	CHECK(inside(g->chain, g->chain->readable, g->chain->count, gpa, len));
	if (gpa > RAM_SIZE || len > RAM_SIZE - gpa)
		return false;
	memcpy(g->ram + gpa, src, len);
	return true;
}

static bool ram_is_ram(void *ctx, uint64_t gpa, uint64_t len)
{
	(void)ctx;
	return gpa <= RAM_SIZE && len <= RAM_SIZE - gpa;
}

static void *pool_alloc(void *ctx)
{
	struct pool *p = ctx;
	void *mem;

	if (p->allocs_left == 0)
		return NULL;
	if (p->allocs_left > 0)
		p->allocs_left--;
	mem = malloc(CHUNK);
	CHECK(mem != NULL);
	memset(mem, 0xa5, CHUNK);
	p->outstanding++;
	return mem;
}

static void pool_free(void *ctx, void *chunk)
{
	struct pool *p = ctx;

	p->outstanding--;
	free(chunk);
}

/* FNV-1a over 8-byte words, then the odd tail bytes. */
static uint64_t checksum(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t v;

		memcpy(&v, p + i, 8);
		h = (h ^ v) * 0x100000001b3ull;
	}
	for (; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

/* Distinct sectors without a byte-by-byte loop: one patterned sector,
 * copied, each copy stamped with its number. */
static void fill_image(uint8_t *image, uint64_t size, uint8_t salt)
{
	uint8_t sector[512];

	for (size_t i = 0; i < sizeof(sector); i++)
		sector[i] = (uint8_t)(i * 31 + salt);
	for (uint64_t off = 0; off < size; off += 512) {
		size_t n = size - off < 512 ? (size_t)(size - off) : 512;

		memcpy(image + off, sector, n);
		image[off] = (uint8_t)(off >> 9);
		if (n > 1)
			image[off + 1] = (uint8_t)(off >> 17);
	}
}

static uint32_t le16(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint64_t le_n(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* Bytes of the chain's readable (writable) side from `offset`, as the
 * guest would see them. */
static void gather(const struct virtq_chain *c, bool writable, size_t offset,
		   uint8_t *out, size_t len)
{
	unsigned first = writable ? c->readable : 0;
	unsigned end = writable ? c->count : c->readable;

	for (unsigned i = first; i < end && len > 0; i++) {
		size_t n;

		if (offset >= c->seg[i].len) {
			offset -= c->seg[i].len;
			continue;
		}
		n = c->seg[i].len - offset;
		if (n > len)
			n = len;
		memcpy(out, guest.ram + c->seg[i].addr + offset, n);
		out += n;
		len -= n;
		offset = 0;
	}
}

/* ----------------------------------------------------------- the model */

struct world {
	struct block_store store;
	struct vblk_disk disk;
	struct virtq_memory mem;
	uint8_t *model;		/* what the disk must read as */
	uint64_t capacity;
};

static void resync(struct world *w)
{
	CHECK(block_store_read(&w->store, 0, w->model, w->capacity) ==
	      BLOCK_STORE_OK);
}

/* Whether two of the chain's writable buffers overlap: then a later write
 * may cover an earlier one, and the guest cannot see all the data. */
static bool writable_overlap(const struct virtq_chain *c)
{
	for (unsigned i = c->readable; i < c->count; i++) {
		for (unsigned j = i + 1; j < c->count; j++) {
			if (c->seg[i].addr < c->seg[j].addr + c->seg[j].len &&
			    c->seg[j].addr < c->seg[i].addr + c->seg[i].len)
				return true;
		}
	}
	return false;
}

/* A discard or write zeroes that succeeded had 1..16 segments, each
 * with only `allowed` flags, within the limit and within the disk. */
static void check_segments_ok(const struct world *w, const uint8_t *in,
			      size_t out_len, uint32_t allowed)
{
	size_t n = out_len / VIRTIO_BLK_DWZ_SEGMENT_SIZE;

	CHECK(!w->disk.read_only);
	CHECK(out_len % VIRTIO_BLK_DWZ_SEGMENT_SIZE == 0);
	CHECK(n >= 1 && n <= VIRTIO_BLK_MAX_DISCARD_SEG);
	for (size_t i = 0; i < n; i++) {
		const uint8_t *seg = in + VIRTIO_BLK_REQ_HEADER_SIZE + 16 * i;
		uint64_t sector = le_n(seg, 8);
		uint64_t num = le_n(seg + 8, 4);

		CHECK((le_n(seg + 12, 4) & ~(uint64_t)allowed) == 0);
		CHECK(num <= VIRTIO_BLK_MAX_DISCARD_SECTORS);
		CHECK(sector <= w->capacity / 512 &&
		      num <= w->capacity / 512 - sector);
	}
}

/* The model after a successful request; `in` is the chain's readable
 * side as it was before the request (the device writes only after it has
 * read, but its writes may land on readable bytes the guest aliased). */
static void follow(struct world *w, const struct virtq_chain *c,
		   const uint8_t *in)
{
	uint32_t type = (uint32_t)le_n(in, 4);
	uint64_t off = le_n(in + 8, 8) * 512;
	size_t out_len = c->readable_len - VIRTIO_BLK_REQ_HEADER_SIZE;
	bool visible = !writable_overlap(c);

	if (type == VIRTIO_BLK_T_IN) {
		size_t len = c->writable_len - 1;

		uint8_t *got = malloc(len + 1);

		CHECK(got != NULL);
		CHECK(len % 512 == 0 && len <= VIRTIO_BLK_MAX_DATA);
		CHECK(off / 512 <= w->capacity / 512 && off + len <= w->capacity);
		gather(c, true, 0, got, len);
		CHECK(!visible || memcmp(got, w->model + off, len) == 0);
		free(got);
	} else if (type == VIRTIO_BLK_T_OUT) {
		CHECK(!w->disk.read_only);
		CHECK(out_len % 512 == 0 && out_len <= VIRTIO_BLK_MAX_DATA);
		CHECK(off / 512 <= w->capacity / 512 && off + out_len <= w->capacity);
		memcpy(w->model + off, in + VIRTIO_BLK_REQ_HEADER_SIZE, out_len);
	} else if (type == VIRTIO_BLK_T_WRITE_ZEROES) {
		check_segments_ok(w, in, out_len, VIRTIO_BLK_DWZ_F_UNMAP);
		for (size_t i = 0; i < out_len / 16; i++) {
			const uint8_t *seg = in + VIRTIO_BLK_REQ_HEADER_SIZE + 16 * i;

			off = le_n(seg, 8) * 512;
			memset(w->model + off, 0, le_n(seg + 8, 4) * 512);
		}
	} else if (type == VIRTIO_BLK_T_DISCARD) {
		CHECK(w->disk.discard);
		check_segments_ok(w, in, out_len, 0);
		resync(w);	/* any content, as long as it stays */
	} else if (type == VIRTIO_BLK_T_GET_ID) {
		CHECK(c->writable_len - 1 >= VIRTIO_BLK_ID_BYTES);
		uint8_t id[VIRTIO_BLK_ID_BYTES];

		gather(c, true, 0, id, sizeof(id));
		CHECK(!visible || memcmp(id, w->disk.serial, sizeof(id)) == 0);
	} else {
		CHECK(type == VIRTIO_BLK_T_FLUSH);
	}
}

/* ---------------------------------------------------------- the requests */

static const uint32_t request_types[8] = {
	VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT, VIRTIO_BLK_T_FLUSH,
	VIRTIO_BLK_T_GET_ID, VIRTIO_BLK_T_DISCARD, VIRTIO_BLK_T_WRITE_ZEROES,
	VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT,
};

/* A buffer: a 16-bit address and a 16-bit length. An address with its
 * top bit set means "right after the previous buffer", so layouts without
 * overlaps are easy to find. The length's top two bits pick its unit:
 * 0 bytes (14 bits), 1 sectors, 2 sectors and a status byte, 3 a header
 * and that many discard segments (low byte each time). */
static void add_buffer(struct virtq_chain *c, const uint8_t *spec,
		       bool writable, uint64_t *cursor)
{
	uint64_t addr = le16(spec);
	uint32_t len = le16(spec + 2);
	uint32_t low = len & 0xff;

	if (addr & 0x8000)
		addr = *cursor < RAM_SIZE ? *cursor : RAM_SIZE;
	switch (len >> 14) {
	case 0: len &= 0x3fff; break;
	case 1: len = low * 512; break;
	case 2: len = low * 512 + 1; break;
	default: len = VIRTIO_BLK_REQ_HEADER_SIZE + (low % 18) * 16; break;
	}
	if (len > RAM_SIZE - addr)
		len = RAM_SIZE - (uint32_t)addr;
	*cursor = addr + len;
	if (len == 0)
		return;		/* virtq_pop drops zero-length buffers */
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

/* Mostly sectors on or near the disk; sometimes ones made to overflow. */
static uint64_t pick_sector(const uint8_t *q, uint64_t cap_sectors)
{
	static const uint64_t far[8] = {
		UINT64_MAX, UINT64_MAX - 1, 1ull << 55, (1ull << 55) - 1,
		1ull << 63, 1ull << 32, UINT64_MAX << 9, UINT64_MAX >> 9,
	};
	uint64_t near = le16(q + 2) % (cap_sectors + 4);

	if (q[4] >= 0xf0)
		return far[q[4] & 7] - near % 4;
	/* Chunk-aligned, to read back what a discard made of a chunk. */
	return q[4] & 0x40 ? near - near % CHUNK_SECTORS : near;
}

static uint64_t next_random(uint64_t *state)
{
	*state = *state * 6364136223846793005ull + 1442695040888963407ull;
	return *state >> 33;
}

/* The discard / write-zeroes segments after a template header: valid
 * ones, except that one request in four gets one bad segment (a reserved
 * flag, unmap, a range past the disk, or too many sectors). */
static void template_segments(uint8_t *p, size_t room, uint64_t seed,
			      uint64_t cap_sectors)
{
	size_t count = room / VIRTIO_BLK_DWZ_SEGMENT_SIZE;
	uint64_t r = next_random(&seed);
	size_t bad = r % 4 == 0 ? (size_t)(r >> 2) % (count ? count : 1) : count;

	for (size_t i = 0; i < count; i++) {
		uint8_t *seg = p + i * VIRTIO_BLK_DWZ_SEGMENT_SIZE;
		uint64_t sector = next_random(&seed) % (cap_sectors + 1);
		uint64_t most = cap_sectors - sector;
		uint32_t num = (uint32_t)(next_random(&seed) % (most < 300 ? most + 1 : 300));
		uint32_t flags = next_random(&seed) % 2;	/* unmap */

		if (next_random(&seed) % 3 == 0) {
			/* A whole chunk, where the disk has one. */
			sector -= sector % CHUNK_SECTORS;
			most = cap_sectors - sector;
			num = most < CHUNK_SECTORS ? (uint32_t)most : CHUNK_SECTORS;
		}

		if (i == bad) {
			switch (next_random(&seed) % 4) {
			case 0: flags = 2; break;
			case 1: flags = 1; break;	/* bad on a discard only */
			case 2: num = (uint32_t)most + 1; break;
			default: num = VIRTIO_BLK_MAX_DISCARD_SECTORS + 1; break;
			}
		}
		memcpy(seg, &sector, 8);
		memcpy(seg + 8, &num, 4);
		memcpy(seg + 12, &flags, 4);
	}
}

static void push_buffer(struct virtq_chain *c, uint64_t *cursor, uint32_t len,
			bool writable)
{
	uint8_t spec[4] = { 0, 0x80, (uint8_t)len, (uint8_t)(len >> 8) };

	add_buffer(c, spec, writable, cursor);
}

/* A well-formed chain for `type`: the header (and for discard and write
 * zeroes 1-4 segments) in one buffer, 0-3 data buffers of 0-8 sectors
 * each (their specs' low bytes), the status byte alone. The data side
 * and the sector are still the fuzzer's to get wrong. */
static void shape_chain(struct virtq_chain *c, const uint8_t *q,
			uint32_t type, uint64_t *cursor)
{
	bool dwz = type == VIRTIO_BLK_T_DISCARD ||
		   type == VIRTIO_BLK_T_WRITE_ZEROES;
	bool data_in = type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID;
	unsigned ndata = (q[0] & 0x0f) % 4;

	push_buffer(c, cursor, VIRTIO_BLK_REQ_HEADER_SIZE +
				       (dwz ? 16u * (1 + (q[0] >> 4) % 4) : 0),
		    false);
	for (unsigned i = 0; i < ndata && !dwz; i++) {
		const uint8_t *spec = q + REQUEST_HEADER + i * BUFFER_SPEC;
		uint32_t len = type == VIRTIO_BLK_T_GET_ID ? VIRTIO_BLK_ID_BYTES
							     : spec[2] % 9 * 512u;

		push_buffer(c, cursor, len, data_in);
	}
	push_buffer(c, cursor, 1, true);
}

/* Builds one chain from the input at *p; false when the input ends. The
 * type byte's top bits choose: 0-1 a well-formed chain (shape_chain),
 * 2 buffers as the specs say with a header written into the first one,
 * 3 buffers as the specs say over RAM as it is. */
static bool build_chain(const uint8_t **p, const uint8_t *end,
			struct virtq_chain *c, uint64_t cap_sectors)
{
	const uint8_t *q = *p;
	unsigned nbuf, mode, nread;
	uint64_t cursor = 0x100;
	uint32_t type;

	if (end - q < REQUEST_HEADER)
		return false;
	nbuf = (q[0] & 0x0f) + 1;
	if ((size_t)(end - q) < REQUEST_HEADER + (size_t)nbuf * BUFFER_SPEC)
		return false;
	*p = q + REQUEST_HEADER + (size_t)nbuf * BUFFER_SPEC;
	memset(c, 0, sizeof(*c));
	mode = q[1] >> 6;
	type = request_types[q[1] % 8];
	if (mode < 2) {
		shape_chain(c, q, type, &cursor);
	} else {
		nread = (q[0] >> 4) % (nbuf + 1);
		for (unsigned i = 0; i < nbuf; i++)
			add_buffer(c, q + REQUEST_HEADER + i * BUFFER_SPEC,
				   i >= nread, &cursor);
	}
	if (mode < 3 && c->readable > 0) {
		uint64_t sector = pick_sector(q, cap_sectors);
		uint8_t hdr[VIRTIO_BLK_REQ_HEADER_SIZE] = { 0 };
		size_t len = c->seg[0].len;
		uint8_t *first = guest.ram + c->seg[0].addr;

		memcpy(hdr, &type, 4);
		memcpy(hdr + 8, &sector, 8);
		memcpy(first, hdr, len < sizeof(hdr) ? len : sizeof(hdr));
		if (len > sizeof(hdr) && (type == VIRTIO_BLK_T_DISCARD ||
					  type == VIRTIO_BLK_T_WRITE_ZEROES))
			template_segments(first + sizeof(hdr), len - sizeof(hdr),
					  le16(q + 2) ^ (uint64_t)q[4] << 16,
					  cap_sectors);
	}
	return true;
}

static void check_answer(struct world *w, const struct virtq_chain *c,
			 const uint8_t *in, enum vblk_fault fault,
			 const struct vblk_result *r)
{
	const struct virtq_seg *last;

	CHECK(vblk_fault_str(fault) != NULL);
	if (c->writable_len == 0) {
		CHECK(fault == VBLK_FAULT_NO_STATUS);
		return;
	}
	if (c->readable_len < VIRTIO_BLK_REQ_HEADER_SIZE) {
		CHECK(fault == VBLK_FAULT_NO_HEADER);
		return;
	}
	/* Every buffer is RAM and the lengths are true: no other fault. */
	CHECK(fault == VBLK_FAULT_NONE);
	CHECK(r->status <= VIRTIO_BLK_S_UNSUPP);
	CHECK(r->written >= 1 && r->written <= c->writable_len);
	/* The status is written last, into the last writable byte. */
	last = &c->seg[c->count - 1];
	CHECK(guest.ram[last->addr + last->len - 1] == r->status);
	if (r->status != VIRTIO_BLK_S_OK) {
		CHECK(r->written == 1);
		/* A failed write leaves its range undefined. */
		resync(w);
		return;
	}
	follow(w, c, in);
}

/* What the device offers agrees with the disk. */
static void check_offer(const struct world *w)
{
	uint64_t f = vblk_features(&w->disk);
	uint8_t cfg[VIRTIO_BLK_CONFIG_SIZE];

	CHECK(!!(f & VIRTIO_BLK_F_RO) == w->disk.read_only);
	CHECK(!(f & VIRTIO_BLK_F_DISCARD) ||
	      (!w->disk.read_only && w->disk.discard));
	CHECK(!(f & VIRTIO_BLK_F_WRITE_ZEROES) || !w->disk.read_only);
	CHECK(f & VIRTIO_BLK_F_FLUSH);
	vblk_config_space(&w->disk, cfg);
	CHECK(le_n(cfg + VIRTIO_BLK_CFG_CAPACITY, 8) == w->capacity / 512);
	CHECK(le_n(cfg + VIRTIO_BLK_CFG_SEG_MAX, 4) + 2 <= VIRTQ_CHAIN_MAX_SEGS);
}

/* Guest RAM: the input after the requests, zero-padded. */
static void fill_ram(const uint8_t *p, const uint8_t *end)
{
	for (unsigned i = 0; i < MAX_REQUESTS && end - p >= REQUEST_HEADER; i++)
		p += REQUEST_HEADER + (size_t)((p[0] & 0x0f) + 1) * BUFFER_SPEC;
	memset(guest.ram, 0, RAM_SIZE);
	if (p < end) {
		size_t n = (size_t)(end - p);

		memcpy(guest.ram, p, n < RAM_SIZE ? n : RAM_SIZE);
	}
}

static void run_requests(struct world *w, const uint8_t *p, const uint8_t *end)
{
	struct virtq_chain *c = malloc(sizeof(*c));

	CHECK(c != NULL);
	guest.chain = c;
	fill_ram(p, end);
	for (unsigned i = 0; i < MAX_REQUESTS; i++) {
		struct vblk_result r = { 0xff, 0xffffffffu };
		enum vblk_fault fault;
		uint8_t *in;

		if (!build_chain(&p, end, c, w->capacity / 512))
			break;
		if (c->count == 0)
			continue;	/* virtq_pop never gives one */
		/* What the handler will read, before it writes anything. */
		in = malloc(c->readable_len + 1);
		CHECK(in != NULL);
		gather(c, false, 0, in, c->readable_len);
		fault = vblk_handle(&w->disk, c, &w->mem, &r);
		check_answer(w, c, in, fault, &r);
		free(in);
	}
	free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct world *w;
	struct pool pool;
	struct block_store_ops ops = { &pool, pool_alloc, pool_free };
	uint8_t *image;
	uint64_t image_size, sum;

	if (size < DISK_HEADER)
		return 0;
	w = calloc(1, sizeof(*w));
	CHECK(w != NULL);
	image_size = (le16(data + 1) % (DISK_MAX_SECTORS + 1)) * 512 +
		     data[3] % 512;
	image = malloc(image_size ? image_size : 1);
	w->model = malloc(image_size ? image_size : 1);
	CHECK(image != NULL && w->model != NULL);
	fill_image(image, image_size, data[4]);
	sum = checksum(image, image_size);
	pool.outstanding = 0;
	pool.allocs_left = data[5] < 0x40 ? data[5] % 16 : -1;
	CHECK(block_store_init(&w->store, image, image_size, &ops));
	w->capacity = block_store_capacity(&w->store);
	memcpy(w->model, image, w->capacity);
	w->disk.store = &w->store;
	w->disk.read_only = data[0] & 1;
	w->disk.discard = data[0] & 2;
	vblk_set_serial(&w->disk, data[0] & 4 ? "vesta-fuzz-guest-xvda" : "xvda");
	w->mem = (struct virtq_memory){ &guest, ram_read, ram_write, ram_is_ram };
	check_offer(w);
	/* Bits 3-5 of the first byte zero chunks 0-2 beforehand, so that
	 * requests meet zero chunks without having to make them first. */
	for (unsigned i = 0; i < 3; i++) {
		uint64_t off = (uint64_t)i * CHUNK;

		if ((data[0] >> (3 + i) & 1) && off + CHUNK <= w->capacity) {
			/* Without memory for its table page a discard keeps
			 * the data: the model reads what it did. */
			CHECK(block_store_discard(&w->store, off, CHUNK) ==
			      BLOCK_STORE_OK);
			CHECK(block_store_read(&w->store, off, w->model + off,
					       CHUNK) == BLOCK_STORE_OK);
		}
	}

	run_requests(w, data + DISK_HEADER, data + size);

	/* The disk agrees with the model, whole. */
	{
		uint8_t *again = malloc(w->capacity ? w->capacity : 1);
		CHECK(again != NULL);
		CHECK(block_store_read(&w->store, 0, again, w->capacity) ==
		      BLOCK_STORE_OK);
		CHECK(memcmp(again, w->model, w->capacity) == 0);
		free(again);
	}
	if (w->disk.read_only)
		CHECK(w->store.private_chunks == 0);
	block_store_destroy(&w->store);
	CHECK(pool.outstanding == 0);
	CHECK(checksum(image, image_size) == sum);
	free(image);
	free(w->model);
	free(w);
	return 0;
}
