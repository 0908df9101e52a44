/* A bitmap allocator of 4 KiB physical frames. Pure bookkeeping: the caller
 * provides the bitmap storage, so the same code runs in host tests. */
#ifndef LIB_FRAME_POOL_H
#define LIB_FRAME_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct frame_pool {
	uint64_t *bitmap;	/* bit set = frame in use (or not RAM) */
	uint64_t base_pfn;	/* frame number of bit 0 */
	uint64_t nframes;
	uint64_t free_frames;
	uint64_t next_hint;	/* where the next search starts */
};

/* Bytes of bitmap storage needed for nframes (a multiple of 8). */
size_t frame_pool_bitmap_bytes(uint64_t nframes);

/* Every frame starts in use; release the usable ones afterwards. */
void frame_pool_init(struct frame_pool *p, uint64_t *bitmap, uint64_t base_pfn,
		     uint64_t nframes);

/* Marks frames free (at init) or in use (reservations). Frames outside the
 * pool are ignored. */
void frame_pool_release(struct frame_pool *p, uint64_t pfn, uint64_t count);
void frame_pool_reserve(struct frame_pool *p, uint64_t pfn, uint64_t count);

/* Allocates `count` contiguous frames whose first frame number is a
 * multiple of `align` (a power of two, in frames; 1 = any). */
bool frame_pool_alloc(struct frame_pool *p, uint64_t count, uint64_t align,
		      uint64_t *pfn);

/* Frees frames from frame_pool_alloc. Returns false, changing nothing, if
 * any of them is outside the pool or already free (a double free). */
bool frame_pool_free(struct frame_pool *p, uint64_t pfn, uint64_t count);

bool frame_pool_is_free(const struct frame_pool *p, uint64_t pfn);
uint64_t frame_pool_free_count(const struct frame_pool *p);

#endif
