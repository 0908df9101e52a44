/* Free frames live in one of two pools: `dirty` (contents unknown: fresh
 * from boot or given back by a domain) and `clean` (known to be zero).
 * Guest RAM comes from the clean pool, so building a domain does not wait
 * for megabytes of zeroing; idle CPUs move frames from dirty to clean
 * (frames_scrub), the way Xen scrubs pages in its idle loop. */
#include "core/frame.h"
#include "core/log.h"
#include "core/panic.h"
#include "core/spinlock.h"
#include "lib/frame_pool.h"
#include "lib/string.h"

static struct frame_pool dirty, clean;
static struct spinlock pool_lock = SPINLOCK_INIT;
static uint64_t total_frames;

void frames_init(struct memmap *m, uint64_t limit)
{
	uint64_t nframes = memmap_usable_end(m) >> PAGE_SHIFT;
	uint64_t bitmap_bytes = frame_pool_bitmap_bytes(nframes);
	uint64_t bitmaps_phys;

	if (nframes == 0)
		panic("frames: the memory map has no usable RAM\n");
	if (!memmap_find_free(m, 2 * bitmap_bytes, PAGE_SIZE, limit, &bitmaps_phys))
		panic("frames: no room below %#lx for two %lu-byte frame bitmaps\n",
		      limit, bitmap_bytes);
	memmap_reserve(m, bitmaps_phys, 2 * bitmap_bytes);

	frame_pool_init(&dirty, (uint64_t *)(uintptr_t)bitmaps_phys, 0, nframes);
	frame_pool_init(&clean, (uint64_t *)(uintptr_t)(bitmaps_phys + bitmap_bytes),
			0, nframes);
	for (size_t i = 0; i < m->count; i++) {
		const struct memmap_range *r = &m->ranges[i];
		if (r->type == MEMMAP_USABLE)
			frame_pool_release(&dirty, r->base >> PAGE_SHIFT,
					   r->size >> PAGE_SHIFT);
	}
	total_frames = frame_pool_free_count(&dirty);
	log_debug("frames: %lu frames, %lu free, bitmaps at %#lx\n", nframes,
		  total_frames, bitmaps_phys);
}

/* From `first` if it has such a run, else from the other pool. */
static uint64_t pools_alloc(struct frame_pool *first, struct frame_pool *second,
			    uint64_t count, uint64_t align, bool *was_clean)
{
	uint64_t pfn;
	unsigned long flags = spin_lock_irqsave(&pool_lock);
	bool ok = frame_pool_alloc(first, count, align, &pfn);

	*was_clean = first == &clean;
	if (!ok) {
		ok = frame_pool_alloc(second, count, align, &pfn);
		*was_clean = second == &clean;
	}
	spin_unlock_irqrestore(&pool_lock, flags);
	return ok ? pfn << PAGE_SHIFT : 0;
}

/* The monitor's own frames come from the dirty pool first: it writes them
 * anyway, and the clean ones are worth more to guests. */
uint64_t frame_alloc(uint64_t count, uint64_t align)
{
	bool was_clean;

	return pools_alloc(&dirty, &clean, count, align, &was_clean);
}

uint64_t frame_alloc_zeroed_aligned(uint64_t count, uint64_t align)
{
	bool was_clean;
	uint64_t phys = pools_alloc(&clean, &dirty, count, align, &was_clean);

	if (phys && !was_clean)
		memset((void *)(uintptr_t)phys, 0, count * PAGE_SIZE);
	return phys;
}

uint64_t frame_alloc_zeroed(uint64_t count)
{
	return frame_alloc_zeroed_aligned(count, 1);
}

/* Both pools must hold every frame as in use, or it was not allocated. */
static bool frames_allocated(uint64_t pfn, uint64_t count)
{
	for (uint64_t i = 0; i < count; i++)
		if (frame_pool_is_free(&clean, pfn + i))
			return false;
	return true;
}

void frame_free(uint64_t phys, uint64_t count)
{
	uint64_t pfn = phys >> PAGE_SHIFT;
	unsigned long flags = spin_lock_irqsave(&pool_lock);
	bool ok = frames_allocated(pfn, count) && frame_pool_free(&dirty, pfn, count);

	spin_unlock_irqrestore(&pool_lock, flags);
	if (!ok)
		panic("frames: bad free of %lu frames at %#lx\n", count, phys);
}

bool frames_scrub(uint64_t max_frames)
{
	uint64_t n = max_frames, pfn = 0;
	unsigned long flags = spin_lock_irqsave(&pool_lock);
	bool got = false;

	for (; n && !(got = frame_pool_alloc(&dirty, n, 1, &pfn)); n /= 2)
		;
	spin_unlock_irqrestore(&pool_lock, flags);
	if (!got)
		return false;
	memset((void *)(uintptr_t)(pfn << PAGE_SHIFT), 0, n * PAGE_SIZE);
	flags = spin_lock_irqsave(&pool_lock);
	frame_pool_free(&clean, pfn, n);
	spin_unlock_irqrestore(&pool_lock, flags);
	return true;
}

uint64_t frames_free_count(void)
{
	return frame_pool_free_count(&dirty) + frame_pool_free_count(&clean);
}

uint64_t frames_clean_count(void)
{
	return frame_pool_free_count(&clean);
}

uint64_t frames_total_count(void)
{
	return total_frames;
}
