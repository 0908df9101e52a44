/* Copy-on-write chunks over a read-only image (lib/block_store.h). Every
 * offset is checked against the capacity with subtractions that cannot
 * wrap before it picks a chunk; the image is only ever a memcpy source. */
#include "lib/block_store.h"

#include "lib/string.h"

/* What a zero chunk's table entry holds: an address no chunk can have. */
static uint8_t zero_marker;
#define ZERO_CHUNK ((void *)&zero_marker)

bool block_store_init(struct block_store *s, const void *base, uint64_t size,
		      const struct block_store_ops *ops)
{
	memset(s, 0, sizeof(*s));
	if (size > BLOCK_STORE_MAX_SIZE)
		return false;
	s->base = base;
	s->capacity = size - size % BLOCK_STORE_SECTOR_SIZE;
	s->chunk_count = (s->capacity + BLOCK_STORE_CHUNK_SIZE - 1) >>
			 BLOCK_STORE_CHUNK_SHIFT;
	s->ops = *ops;
	return true;
}

uint64_t block_store_capacity(const struct block_store *s)
{
	return s->capacity;
}

static bool in_range(const struct block_store *s, uint64_t off, uint64_t len)
{
	return off <= s->capacity && len <= s->capacity - off;
}

static uint64_t chunk_start(uint64_t chunk)
{
	return chunk << BLOCK_STORE_CHUNK_SHIFT;
}

/* The chunk's bytes inside the capacity: the last one may be short. */
static size_t chunk_len(const struct block_store *s, uint64_t chunk)
{
	uint64_t left = s->capacity - chunk_start(chunk);

	return left < BLOCK_STORE_CHUNK_SIZE ? (size_t)left
					     : BLOCK_STORE_CHUNK_SIZE;
}

/* --------------------------------------------------------------- the table */

static void *entry(const struct block_store *s, uint64_t chunk)
{
	void **page = s->pages[chunk / BLOCK_STORE_ENTRIES_PER_PAGE];

	return page ? page[chunk % BLOCK_STORE_ENTRIES_PER_PAGE] : NULL;
}

/* The chunk's table slot, allocating its page on first need (a new page
 * says "base" for all its chunks). NULL when there is no memory. */
static void **slot(struct block_store *s, uint64_t chunk)
{
	void ***page = &s->pages[chunk / BLOCK_STORE_ENTRIES_PER_PAGE];

	if (!*page) {
		*page = s->ops.alloc_chunk(s->ops.ctx);
		if (!*page)
			return NULL;
		memset(*page, 0, BLOCK_STORE_CHUNK_SIZE);
		s->table_pages++;
	}
	return &(*page)[chunk % BLOCK_STORE_ENTRIES_PER_PAGE];
}

static bool is_private(const void *e)
{
	return e != NULL && e != ZERO_CHUNK;
}

/* Gives the chunk its own memory, filled with what it read as before. */
static uint8_t *make_private(struct block_store *s, uint64_t chunk)
{
	void **e = slot(s, chunk);
	uint8_t *mem;

	if (!e)
		return NULL;
	if (is_private(*e))
		return *e;
	mem = s->ops.alloc_chunk(s->ops.ctx);
	if (!mem)
		return NULL;
	if (*e == ZERO_CHUNK)
		memset(mem, 0, chunk_len(s, chunk));
	else
		memcpy(mem, s->base + chunk_start(chunk), chunk_len(s, chunk));
	*e = mem;
	s->private_chunks++;
	return mem;
}

/* Turns a chunk into a zero chunk, freeing its memory. */
static bool make_zero(struct block_store *s, uint64_t chunk)
{
	void **e = slot(s, chunk);

	if (!e)
		return false;
	if (is_private(*e)) {
		s->ops.free_chunk(s->ops.ctx, *e);
		s->private_chunks--;
	}
	*e = ZERO_CHUNK;
	return true;
}

/* ------------------------------------------------------------ data access */

/* The piece of [off, off + len) inside off's chunk. */
static size_t piece_len(uint64_t off, uint64_t len)
{
	uint64_t to_end = BLOCK_STORE_CHUNK_SIZE - (off & (BLOCK_STORE_CHUNK_SIZE - 1));

	return (size_t)(len < to_end ? len : to_end);
}

enum block_store_status block_store_map_read(const struct block_store *s,
					     uint64_t off, uint64_t len,
					     const void **src, size_t *n)
{
	uint64_t chunk = off >> BLOCK_STORE_CHUNK_SHIFT;
	size_t in_chunk = (size_t)(off & (BLOCK_STORE_CHUNK_SIZE - 1));
	void *e;

	*src = NULL;
	*n = 0;
	if (!in_range(s, off, len))
		return BLOCK_STORE_ERR_RANGE;
	if (len == 0)
		return BLOCK_STORE_OK;
	*n = piece_len(off, len);
	e = entry(s, chunk);
	if (e == NULL)
		*src = s->base + off;
	else if (e != ZERO_CHUNK)
		*src = (const uint8_t *)e + in_chunk;
	return BLOCK_STORE_OK;
}

enum block_store_status block_store_map_write(struct block_store *s,
					      uint64_t off, uint64_t len,
					      void **dst, size_t *n)
{
	uint8_t *mem;

	*dst = NULL;
	*n = 0;
	if (!in_range(s, off, len))
		return BLOCK_STORE_ERR_RANGE;
	if (len == 0)
		return BLOCK_STORE_OK;
	mem = make_private(s, off >> BLOCK_STORE_CHUNK_SHIFT);
	if (!mem)
		return BLOCK_STORE_ERR_NOMEM;
	*dst = mem + (off & (BLOCK_STORE_CHUNK_SIZE - 1));
	*n = piece_len(off, len);
	return BLOCK_STORE_OK;
}

enum block_store_status block_store_read(const struct block_store *s,
					 uint64_t off, void *dst, size_t len)
{
	uint8_t *out = dst;

	if (!in_range(s, off, len))
		return BLOCK_STORE_ERR_RANGE;
	while (len > 0) {
		const void *src;
		size_t n;

		block_store_map_read(s, off, len, &src, &n);
		if (src)
			memcpy(out, src, n);
		else
			memset(out, 0, n);
		out += n;
		off += n;
		len -= n;
	}
	return BLOCK_STORE_OK;
}

enum block_store_status block_store_write(struct block_store *s, uint64_t off,
					  const void *src, size_t len)
{
	const uint8_t *in = src;

	if (!in_range(s, off, len))
		return BLOCK_STORE_ERR_RANGE;
	while (len > 0) {
		void *dst;
		size_t n;
		enum block_store_status st = block_store_map_write(s, off, len,
								   &dst, &n);

		if (st != BLOCK_STORE_OK)
			return st;
		memcpy(dst, in, n);
		in += n;
		off += n;
		len -= n;
	}
	return BLOCK_STORE_OK;
}

/* ------------------------------------------------------------------ zeroes */

/* Zeroes [off, off + n) inside one chunk. Whole chunks become zero chunks;
 * a part of a base chunk is copied first only when `must` (write zeroes),
 * else left (discard). */
static enum block_store_status zero_piece(struct block_store *s, uint64_t off,
					  size_t n, bool must)
{
	uint64_t chunk = off >> BLOCK_STORE_CHUNK_SHIFT;
	void *e = entry(s, chunk);
	uint8_t *mem;

	if (n == chunk_len(s, chunk)) {
		/* A discard may keep the data when the table is out of room. */
		return make_zero(s, chunk) || !must ? BLOCK_STORE_OK
						    : BLOCK_STORE_ERR_NOMEM;
	}
	if (e == ZERO_CHUNK || (e == NULL && !must))
		return BLOCK_STORE_OK;
	mem = make_private(s, chunk);
	if (!mem)
		return BLOCK_STORE_ERR_NOMEM;
	memset(mem + (off & (BLOCK_STORE_CHUNK_SIZE - 1)), 0, n);
	return BLOCK_STORE_OK;
}

static enum block_store_status zero_range(struct block_store *s, uint64_t off,
					  uint64_t len, bool must)
{
	if (!in_range(s, off, len))
		return BLOCK_STORE_ERR_RANGE;
	while (len > 0) {
		size_t n = piece_len(off, len);
		enum block_store_status st = zero_piece(s, off, n, must);

		if (st != BLOCK_STORE_OK)
			return st;
		off += n;
		len -= n;
	}
	return BLOCK_STORE_OK;
}

enum block_store_status block_store_discard(struct block_store *s,
					    uint64_t off, uint64_t len)
{
	return zero_range(s, off, len, false);
}

enum block_store_status block_store_write_zeroes(struct block_store *s,
						 uint64_t off, uint64_t len)
{
	return zero_range(s, off, len, true);
}

/* ------------------------------------------------------------- lifetime */

uint64_t block_store_memory_bytes(const struct block_store *s)
{
	return (s->private_chunks + s->table_pages) *
	       (uint64_t)BLOCK_STORE_CHUNK_SIZE;
}

static void free_page(struct block_store *s, void **page)
{
	for (size_t i = 0; i < BLOCK_STORE_ENTRIES_PER_PAGE; i++) {
		if (is_private(page[i]))
			s->ops.free_chunk(s->ops.ctx, page[i]);
	}
	s->ops.free_chunk(s->ops.ctx, page);
}

void block_store_destroy(struct block_store *s)
{
	struct block_store_ops ops = s->ops;

	for (size_t p = 0; p < BLOCK_STORE_MAX_PAGES; p++) {
		if (s->pages[p])
			free_page(s, s->pages[p]);
	}
	memset(s, 0, sizeof(*s));
	s->ops = ops;
}
