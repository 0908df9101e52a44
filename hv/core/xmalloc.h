/* The hypervisor heap: small objects from lib/heap.c over frames. */
#ifndef CORE_XMALLOC_H
#define CORE_XMALLOC_H

#include <stddef.h>

#include "lib/heap.h"

void xmalloc_init(void);
void *xmalloc(size_t size);	/* NULL when out of memory */
void *xzalloc(size_t size);
void xfree(void *p);		/* NULL is fine; a bad pointer panics */
void xmalloc_stats(struct heap_stats *out);

#endif
