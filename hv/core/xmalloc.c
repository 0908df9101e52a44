#include "core/xmalloc.h"
#include "core/frame.h"
#include "core/panic.h"
#include "core/spinlock.h"

static struct heap heap;
static struct spinlock heap_lock = SPINLOCK_INIT;

static void *heap_frames_alloc(void *ctx, size_t npages)
{
	(void)ctx;
	return (void *)(uintptr_t)frame_alloc(npages, 1);
}

static void heap_frames_free(void *ctx, void *pages, size_t npages)
{
	(void)ctx;
	frame_free((uint64_t)(uintptr_t)pages, npages);
}

void xmalloc_init(void)
{
	static const struct heap_page_source frames = {
		.alloc_pages = heap_frames_alloc,
		.free_pages = heap_frames_free,
	};

	heap_init(&heap, &frames);
}

void *xmalloc(size_t size)
{
	unsigned long flags = spin_lock_irqsave(&heap_lock);
	void *p = heap_alloc(&heap, size);

	spin_unlock_irqrestore(&heap_lock, flags);
	return p;
}

void *xzalloc(size_t size)
{
	unsigned long flags = spin_lock_irqsave(&heap_lock);
	void *p = heap_zalloc(&heap, size);

	spin_unlock_irqrestore(&heap_lock, flags);
	return p;
}

void xfree(void *p)
{
	unsigned long flags = spin_lock_irqsave(&heap_lock);
	bool ok = heap_free(&heap, p);

	spin_unlock_irqrestore(&heap_lock, flags);
	if (!ok)
		panic("heap: bad free of %p\n", p);
}

void xmalloc_stats(struct heap_stats *out)
{
	unsigned long flags = spin_lock_irqsave(&heap_lock);

	heap_get_stats(&heap, out);
	spin_unlock_irqrestore(&heap_lock, flags);
}
