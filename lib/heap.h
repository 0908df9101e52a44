/* A small-object heap over a page source: power-of-two size classes
 * (16 .. 2048 bytes) carved from single pages, larger requests get their own
 * run of pages. Every allocation is 16-byte aligned. */
#ifndef LIB_HEAP_H
#define LIB_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HEAP_PAGE_SIZE 4096u
#define HEAP_MIN_CLASS_SHIFT 4	/* 16 bytes */
#define HEAP_MAX_CLASS_SHIFT 11	/* 2048 bytes */
#define HEAP_CLASS_COUNT (HEAP_MAX_CLASS_SHIFT - HEAP_MIN_CLASS_SHIFT + 1)

struct heap_page_source {
	/* Returns `npages` contiguous, HEAP_PAGE_SIZE-aligned pages or NULL. */
	void *(*alloc_pages)(void *ctx, size_t npages);
	void (*free_pages)(void *ctx, void *pages, size_t npages);
	void *ctx;
};

struct heap_stats {
	size_t bytes_in_use;	/* as requested by callers */
	size_t pages_held;	/* taken from the page source */
	size_t live_allocations;
};

struct heap_slab;

struct heap {
	struct heap_page_source source;
	struct heap_slab *partial[HEAP_CLASS_COUNT]; /* slabs with free slots */
	struct heap_stats stats;
};

void heap_init(struct heap *h, const struct heap_page_source *source);
void *heap_alloc(struct heap *h, size_t size);	/* NULL on size 0 or OOM */
void *heap_zalloc(struct heap *h, size_t size);
/* NULL is ignored. Returns false if p was not a live allocation of this heap
 * that it can recognise (a double free of a small object, a bad pointer). */
bool heap_free(struct heap *h, void *p);
void heap_get_stats(const struct heap *h, struct heap_stats *out);

#endif
