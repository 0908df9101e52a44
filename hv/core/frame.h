/* The machine's physical frames: every 4 KiB page of RAM the hypervisor and
 * its guests may use. Physical addresses are identity mapped, so a frame's
 * address can be dereferenced as it is. */
#ifndef CORE_FRAME_H
#define CORE_FRAME_H

#include <stdint.h>

#include "lib/memmap.h"

/* `m` must be normalized, with the image, boot modules and firmware tables
 * already reserved. Places the allocator's bitmap in RAM below `limit` (the
 * part mapped at the time) and reserves it in `m`. */
void frames_init(struct memmap *m, uint64_t limit);

/* `count` contiguous frames, the first aligned to `align` frames. Returns
 * the physical address, 0 when there is no such run. */
uint64_t frame_alloc(uint64_t count, uint64_t align);
uint64_t frame_alloc_zeroed(uint64_t count);
/* Zeroed frames, from the clean pool when it has the run (no zeroing then). */
uint64_t frame_alloc_zeroed_aligned(uint64_t count, uint64_t align);
void frame_free(uint64_t phys, uint64_t count);

/* Zeroes up to max_frames dirty frames and makes them clean; false when
 * there was nothing to scrub. For idle CPUs: it takes no lock while it
 * writes. */
bool frames_scrub(uint64_t max_frames);

uint64_t frames_free_count(void);	/* clean and dirty */
uint64_t frames_clean_count(void);
uint64_t frames_total_count(void);	/* frames that were ever free */

#endif
