/* A domain's private, copy-on-write view of a disk image: the image itself
 * (a file of the boot bundle, in memory) is only ever read, and each
 * 64 KiB chunk the guest changes gets a private copy. A chunk is in one of
 * three states:
 *   base     reads come from the image; costs nothing;
 *   private  reads and writes go to the chunk's own memory;
 *   zero     reads as zeros (after a discard or write-zeroes); costs
 *            nothing.
 * Memory comes from the owner's callbacks, so the hypervisor hands out
 * frames and host tests malloc. The store knows nothing of domains: its
 * owner (the domain's config slot) keeps it across guest reboots.
 *
 * Not thread-safe: the device that owns it serializes requests. */
#ifndef LIB_BLOCK_STORE_H
#define LIB_BLOCK_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BLOCK_STORE_SECTOR_SIZE 512u

/* 64 KiB chunks. Smaller ones cost more bookkeeping (8 bytes of table
 * per chunk, one allocation each: 4 KiB chunks of a 4 GiB image need an
 * 8 MiB table) and more allocations on a sequential write; larger ones
 * cost more memory and copying per scattered small write (a 4 KiB
 * journal write dirties a whole chunk: 2 MiB chunks would make that
 * 512-fold). 64 KiB keeps the table at 1/8192 of the image, the first
 * write to a chunk at one 64 KiB copy, and is what the device advertises
 * as its discard alignment, so a guest's fstrim frees whole chunks. It
 * is 16 contiguous 4 KiB frames for the hypervisor's allocator. */
#define BLOCK_STORE_CHUNK_SHIFT 16
#define BLOCK_STORE_CHUNK_SIZE (1u << BLOCK_STORE_CHUNK_SHIFT)

/* The chunk table lives in chunk-sized pages allocated on first use, each
 * covering this many chunks (512 MiB of disk). */
#define BLOCK_STORE_ENTRIES_PER_PAGE (BLOCK_STORE_CHUNK_SIZE / sizeof(void *))
/* The largest image: 64 GiB, 128 table pages. (A bundle file is at most
 * 4 GiB - 1: cpio newc sizes are 32-bit.) */
#define BLOCK_STORE_MAX_PAGES 128u
#define BLOCK_STORE_MAX_SIZE \
	((uint64_t)BLOCK_STORE_MAX_PAGES * BLOCK_STORE_ENTRIES_PER_PAGE * \
	 BLOCK_STORE_CHUNK_SIZE)

struct block_store_ops {
	void *ctx;
	/* BLOCK_STORE_CHUNK_SIZE bytes of any content, aligned for pointers;
	 * NULL when there is no memory. */
	void *(*alloc_chunk)(void *ctx);
	void (*free_chunk)(void *ctx, void *chunk);
};

struct block_store {
	const uint8_t *base;	/* the image, read only */
	uint64_t capacity;	/* bytes: the image's size rounded down to 512 */
	uint64_t chunk_count;
	struct block_store_ops ops;
	/* Per chunk: NULL (base), the zero marker, or its private memory. */
	void **pages[BLOCK_STORE_MAX_PAGES];
	uint64_t private_chunks;
	uint32_t table_pages;
};

enum block_store_status {
	BLOCK_STORE_OK = 0,
	BLOCK_STORE_ERR_RANGE,	/* a byte past the capacity */
	BLOCK_STORE_ERR_NOMEM,	/* alloc_chunk found no memory */
};

/* A store over `size` bytes at `base` with nothing changed. False when
 * the image is larger than BLOCK_STORE_MAX_SIZE. Allocates nothing. */
bool block_store_init(struct block_store *s, const void *base, uint64_t size,
		      const struct block_store_ops *ops);

uint64_t block_store_capacity(const struct block_store *s);

/* Copies bytes out and in. A write that runs out of memory returns
 * BLOCK_STORE_ERR_NOMEM having written the chunks before the one that
 * failed (like a disk's failed write, it leaves the range undefined). */
enum block_store_status block_store_read(const struct block_store *s,
					 uint64_t off, void *dst, size_t len);
enum block_store_status block_store_write(struct block_store *s, uint64_t off,
					  const void *src, size_t len);

/* Discard: every chunk the range covers whole becomes a zero chunk, its
 * memory freed; the covered part of a private chunk is zeroed; a partly
 * covered base chunk is left as it is (reads after a discard may return
 * anything, virtio 1.2 5.2.6). Allocates no data chunk, only, on first
 * need, a table page (64 KiB per 512 MiB of disk); without one, the
 * chunks keep their data. Never fails but for the range. */
enum block_store_status block_store_discard(struct block_store *s,
					    uint64_t off, uint64_t len);

/* Write zeroes: afterwards the range reads as zeros. Whole chunks become
 * zero chunks (freeing memory); a partly covered base chunk gets a private
 * copy, so this can fail with BLOCK_STORE_ERR_NOMEM. */
enum block_store_status block_store_write_zeroes(struct block_store *s,
						 uint64_t off, uint64_t len);

/* Zero-copy access for the device, one chunk at a time: *n is how many
 * bytes from `off` lie in its chunk (at most len). map_read sets *src to
 * them, or to NULL when they read as zeros; map_write gives the chunk a
 * private copy first and sets *dst to its bytes. With len 0, *n is 0. */
enum block_store_status block_store_map_read(const struct block_store *s,
					     uint64_t off, uint64_t len,
					     const void **src, size_t *n);
enum block_store_status block_store_map_write(struct block_store *s,
					      uint64_t off, uint64_t len,
					      void **dst, size_t *n);

/* Memory the store holds: private chunks and table pages. */
uint64_t block_store_memory_bytes(const struct block_store *s);

/* Frees every chunk and table page; the store is then empty (capacity 0)
 * until initialized again. */
void block_store_destroy(struct block_store *s);

#endif
