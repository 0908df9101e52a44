/* Small-object heap. A slab is one page holding objects of one size class:
 * a header, a table of the sizes the callers asked for (0 = slot free, which
 * is also how a double free is caught), then the objects. Free slots form a
 * list threaded through the objects themselves. An allocation above the
 * largest class gets its own run of pages behind a small header. Empty slabs
 * go straight back to the page source, so pages_held falls back to where it
 * was once everything is freed. */
#include "lib/heap.h"

#include "lib/string.h"

#define HEAP_ALIGN 16u
#define SLAB_MAGIC 0x51ab51abu
#define LARGE_MAGIC 0x1a26e000u
/* Marks the end of a slab's free list. */
#define SLOT_NONE 0xffffu

struct heap_slab {
	uint32_t magic;
	uint16_t class_index;
	uint16_t slot_count;
	uint16_t free_count;
	uint16_t free_head;	/* first free slot, SLOT_NONE when full */
	uint32_t data_offset;	/* of slot 0 from the page start */
	struct heap *owner;
	struct heap_slab *prev;	/* in owner->partial[class_index] */
	struct heap_slab *next;
	uint16_t sizes[];	/* requested size per slot, 0 = free */
};

struct heap_large {
	uint32_t magic;
	struct heap *owner;
	size_t npages;
	size_t size;		/* as requested */
};

/* The object follows the large header at the next aligned offset. */
#define LARGE_HEADER_SIZE \
	((sizeof(struct heap_large) + HEAP_ALIGN - 1) & ~(size_t)(HEAP_ALIGN - 1))

static size_t align_up(size_t v, size_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static size_t class_size(unsigned class_index)
{
	return (size_t)1 << (class_index + HEAP_MIN_CLASS_SHIFT);
}

/* The smallest class that holds size (size <= the largest class). */
static unsigned class_of(size_t size)
{
	unsigned c = 0;

	while (class_size(c) < size)
		c++;
	return c;
}

void heap_init(struct heap *h, const struct heap_page_source *source)
{
	h->source = *source;
	for (unsigned c = 0; c < HEAP_CLASS_COUNT; c++)
		h->partial[c] = NULL;
	h->stats = (struct heap_stats){0};
}

/* ------------------------------------------------------------ slab lists */

static void partial_push(struct heap *h, struct heap_slab *s)
{
	struct heap_slab **head = &h->partial[s->class_index];

	s->prev = NULL;
	s->next = *head;
	if (*head != NULL)
		(*head)->prev = s;
	*head = s;
}

static void partial_remove(struct heap *h, struct heap_slab *s)
{
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		h->partial[s->class_index] = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	s->prev = s->next = NULL;
}

/* ----------------------------------------------------------------- slabs */

static uint8_t *slot_address(struct heap_slab *s, unsigned slot)
{
	return (uint8_t *)s + s->data_offset + (size_t)slot * class_size(s->class_index);
}

/* Free slots hold the index of the next free slot in their first bytes. */
static void slot_set_next(struct heap_slab *s, unsigned slot, uint16_t next)
{
	memcpy(slot_address(s, slot), &next, sizeof(next));
}

static uint16_t slot_get_next(struct heap_slab *s, unsigned slot)
{
	uint16_t next;

	memcpy(&next, slot_address(s, slot), sizeof(next));
	return next;
}

/* How many objects of object_size fit in a page after the header and one
 * size entry per object. */
static unsigned slots_per_page(size_t object_size)
{
	unsigned n = (HEAP_PAGE_SIZE - sizeof(struct heap_slab)) /
		     (object_size + sizeof(uint16_t));

	while (n > 0 && align_up(sizeof(struct heap_slab) + n * sizeof(uint16_t),
				 HEAP_ALIGN) + n * object_size > HEAP_PAGE_SIZE)
		n--;
	return n;
}

static struct heap_slab *slab_create(struct heap *h, unsigned class_index)
{
	struct heap_slab *s = h->source.alloc_pages(h->source.ctx, 1);
	unsigned n = slots_per_page(class_size(class_index));

	if (s == NULL)
		return NULL;
	*s = (struct heap_slab){
		.magic = SLAB_MAGIC,
		.class_index = (uint16_t)class_index,
		.slot_count = (uint16_t)n,
		.free_count = (uint16_t)n,
		.free_head = 0,
		.data_offset = (uint32_t)align_up(
			sizeof(struct heap_slab) + n * sizeof(uint16_t), HEAP_ALIGN),
		.owner = h,
	};
	for (unsigned i = 0; i < n; i++) {
		s->sizes[i] = 0;
		slot_set_next(s, i, (uint16_t)(i + 1 < n ? i + 1 : SLOT_NONE));
	}
	h->stats.pages_held++;
	partial_push(h, s);
	return s;
}

static void slab_destroy(struct heap *h, struct heap_slab *s)
{
	partial_remove(h, s);
	s->magic = 0;	/* a stale pointer into it is no longer recognised */
	h->source.free_pages(h->source.ctx, s, 1);
	h->stats.pages_held--;
}

/* Rebuilds the free list from the size table, which is the authority: a
 * write after free may have scribbled over a link. */
static void slab_rebuild_free_list(struct heap_slab *s)
{
	uint16_t head = SLOT_NONE;

	for (unsigned i = s->slot_count; i-- > 0;) {
		if (s->sizes[i] == 0) {
			slot_set_next(s, i, head);
			head = (uint16_t)i;
		}
	}
	s->free_head = head;
}

static bool slot_is_free(const struct heap_slab *s, uint16_t slot)
{
	return slot < s->slot_count && s->sizes[slot] == 0;
}

static void *slab_take(struct heap *h, struct heap_slab *s, size_t size)
{
	if (!slot_is_free(s, s->free_head))
		slab_rebuild_free_list(s);

	uint16_t slot = s->free_head;

	s->free_head = slot_get_next(s, slot);
	s->sizes[slot] = (uint16_t)size;
	if (--s->free_count == 0)
		partial_remove(h, s);
	return slot_address(s, slot);
}

static void *alloc_small(struct heap *h, size_t size)
{
	unsigned c = class_of(size);
	struct heap_slab *s = h->partial[c];

	if (s == NULL)
		s = slab_create(h, c);
	return s == NULL ? NULL : slab_take(h, s, size);
}

/* The slot p is in, or false when p is not the start of a live object. */
static bool slab_slot_of(struct heap_slab *s, const uint8_t *p, unsigned *slot)
{
	size_t offset = (size_t)(p - (const uint8_t *)s);

	if (s->class_index >= HEAP_CLASS_COUNT)
		return false;

	size_t size = class_size(s->class_index);

	if (offset < s->data_offset || (offset - s->data_offset) % size != 0)
		return false;
	*slot = (unsigned)((offset - s->data_offset) / size);
	return *slot < s->slot_count && s->sizes[*slot] != 0;
}

static bool free_small(struct heap *h, struct heap_slab *s, uint8_t *p)
{
	unsigned slot;

	if (!slab_slot_of(s, p, &slot))
		return false;
	h->stats.bytes_in_use -= s->sizes[slot];
	s->sizes[slot] = 0;
	slot_set_next(s, slot, s->free_head);
	s->free_head = (uint16_t)slot;
	if (s->free_count++ == 0)
		partial_push(h, s);
	if (s->free_count == s->slot_count)
		slab_destroy(h, s);
	return true;
}

/* ---------------------------------------------------- large allocations */

static void *alloc_large(struct heap *h, size_t size)
{
	if (size > SIZE_MAX - LARGE_HEADER_SIZE - HEAP_PAGE_SIZE)
		return NULL;

	size_t npages = align_up(size + LARGE_HEADER_SIZE, HEAP_PAGE_SIZE) /
			HEAP_PAGE_SIZE;
	struct heap_large *l = h->source.alloc_pages(h->source.ctx, npages);

	if (l == NULL)
		return NULL;
	*l = (struct heap_large){.magic = LARGE_MAGIC, .owner = h,
				 .npages = npages, .size = size};
	h->stats.pages_held += npages;
	return (uint8_t *)l + LARGE_HEADER_SIZE;
}

static bool free_large(struct heap *h, struct heap_large *l, uint8_t *p)
{
	if (p != (uint8_t *)l + LARGE_HEADER_SIZE)
		return false;
	h->stats.bytes_in_use -= l->size;
	h->stats.pages_held -= l->npages;
	l->magic = 0;
	h->source.free_pages(h->source.ctx, l, l->npages);
	return true;
}

/* ------------------------------------------------------------ interface */

void *heap_alloc(struct heap *h, size_t size)
{
	void *p;

	if (size == 0)
		return NULL;
	if (size <= class_size(HEAP_CLASS_COUNT - 1))
		p = alloc_small(h, size);
	else
		p = alloc_large(h, size);
	if (p != NULL) {
		h->stats.bytes_in_use += size;
		h->stats.live_allocations++;
	}
	return p;
}

void *heap_zalloc(struct heap *h, size_t size)
{
	void *p = heap_alloc(h, size);

	if (p != NULL)
		memset(p, 0, size);
	return p;
}

/* Both headers start with their magic at the page start, so the page of p
 * says which kind of allocation p is. Every object starts in the first page
 * of its run, so that page is found by rounding down. */
bool heap_free(struct heap *h, void *p)
{
	uint8_t *obj = p;
	uint8_t *page = (uint8_t *)((uintptr_t)p & ~(uintptr_t)(HEAP_PAGE_SIZE - 1));
	const uint32_t *magic = (const uint32_t *)page;
	bool ok = false;

	if (p == NULL)
		return true;
	if ((uintptr_t)p % HEAP_ALIGN != 0 || obj == page)
		return false;
	if (*magic == SLAB_MAGIC && ((struct heap_slab *)page)->owner == h)
		ok = free_small(h, (struct heap_slab *)page, obj);
	else if (*magic == LARGE_MAGIC && ((struct heap_large *)page)->owner == h)
		ok = free_large(h, (struct heap_large *)page, obj);
	if (ok)
		h->stats.live_allocations--;
	return ok;
}

void heap_get_stats(const struct heap *h, struct heap_stats *out)
{
	*out = h->stats;
}
