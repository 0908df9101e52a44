/* The hypervisor's own page tables: an identity ("direct") map of the first
 * 4 GiB and of all RAM, non-executable except the image's text; the image's
 * rodata and text read-only; page 0 unmapped to catch NULL pointers. */
#ifndef ARCH_X86_PAGING_H
#define ARCH_X86_PAGING_H

#include <stdint.h>

#include "lib/memmap.h"

/* Builds the tables (frames from the frame allocator) and loads them. */
void paging_init(const struct memmap *m);
/* Loads the tables on a secondary CPU. */
void paging_load(void);
uint64_t paging_mapped_end(void);

#endif
