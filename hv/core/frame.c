#include "core/frame.h"
#include "core/log.h"
#include "core/panic.h"
#include "core/spinlock.h"
#include "lib/frame_pool.h"
#include "lib/string.h"

static struct frame_pool pool;
static struct spinlock pool_lock = SPINLOCK_INIT;
static uint64_t total_frames;

void frames_init(struct memmap *m, uint64_t limit)
{
	uint64_t nframes = memmap_usable_end(m) >> PAGE_SHIFT;
	uint64_t bitmap_bytes = frame_pool_bitmap_bytes(nframes);
	uint64_t bitmap_phys;

	if (nframes == 0)
		panic("frames: the memory map has no usable RAM\n");
	if (!memmap_find_free(m, bitmap_bytes, PAGE_SIZE, limit, &bitmap_phys))
		panic("frames: no room below %#lx for a %lu-byte frame bitmap\n",
		      limit, bitmap_bytes);
	memmap_reserve(m, bitmap_phys, bitmap_bytes);

	frame_pool_init(&pool, (uint64_t *)(uintptr_t)bitmap_phys, 0, nframes);
	for (size_t i = 0; i < m->count; i++) {
		const struct memmap_range *r = &m->ranges[i];
		if (r->type == MEMMAP_USABLE)
			frame_pool_release(&pool, r->base >> PAGE_SHIFT,
					   r->size >> PAGE_SHIFT);
	}
	total_frames = frame_pool_free_count(&pool);
	log_debug("frames: %lu frames, %lu free, bitmap at %#lx\n", nframes, total_frames, bitmap_phys);
}

uint64_t frame_alloc(uint64_t count, uint64_t align)
{
	uint64_t pfn;
	unsigned long flags = spin_lock_irqsave(&pool_lock);
	bool ok = frame_pool_alloc(&pool, count, align, &pfn);

	spin_unlock_irqrestore(&pool_lock, flags);
	return ok ? pfn << PAGE_SHIFT : 0;
}

uint64_t frame_alloc_zeroed(uint64_t count)
{
	uint64_t phys = frame_alloc(count, 1);

	if (phys)
		memset((void *)(uintptr_t)phys, 0, count * PAGE_SIZE);
	return phys;
}

void frame_free(uint64_t phys, uint64_t count)
{
	unsigned long flags = spin_lock_irqsave(&pool_lock);
	bool ok = frame_pool_free(&pool, phys >> PAGE_SHIFT, count);

	spin_unlock_irqrestore(&pool_lock, flags);
	if (!ok)
		panic("frames: bad free of %lu frames at %#lx\n", count, phys);
}

uint64_t frames_free_count(void)
{
	return frame_pool_free_count(&pool);
}

uint64_t frames_total_count(void)
{
	return total_frames;
}
