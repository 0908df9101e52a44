/* Bitmap frame allocator: one bit per 4 KiB frame, set = in use. Searches
 * are next-fit from a hint and skip whole 64-frame words when they are
 * full, so the common case touches few words. */
#include "lib/frame_pool.h"

#define BITS_PER_WORD 64u

static uint64_t word_count(uint64_t nframes)
{
	return (nframes + BITS_PER_WORD - 1) / BITS_PER_WORD;
}

size_t frame_pool_bitmap_bytes(uint64_t nframes)
{
	return (size_t)(word_count(nframes) * sizeof(uint64_t));
}

/* Bits [first, first + n) of one word, n in 1..64. */
static uint64_t bit_mask(unsigned first, unsigned n)
{
	uint64_t ones = n == BITS_PER_WORD ? ~0ull : (1ull << n) - 1;

	return ones << first;
}

/* Counts set bits without __builtin_popcount, which would need libgcc
 * unless the CPU's POPCNT is enabled. */
static unsigned popcount64(uint64_t x)
{
	x = x - ((x >> 1) & 0x5555555555555555ull);
	x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
	return (unsigned)((x * 0x0101010101010101ull) >> 56);
}

/* Sets (in_use) or clears bits [idx, idx + count) and keeps free_frames
 * right by counting only the bits that change. */
static void mark_range(struct frame_pool *p, uint64_t idx, uint64_t count,
		       bool in_use)
{
	while (count > 0) {
		unsigned bit = (unsigned)(idx % BITS_PER_WORD);
		unsigned n = BITS_PER_WORD - bit;

		if (n > count)
			n = (unsigned)count;

		uint64_t mask = bit_mask(bit, n);
		uint64_t *w = &p->bitmap[idx / BITS_PER_WORD];

		if (in_use) {
			p->free_frames -= n - popcount64(*w & mask);
			*w |= mask;
		} else {
			p->free_frames += popcount64(*w & mask);
			*w &= ~mask;
		}
		idx += n;
		count -= n;
	}
}

void frame_pool_init(struct frame_pool *p, uint64_t *bitmap, uint64_t base_pfn,
		     uint64_t nframes)
{
	p->bitmap = bitmap;
	p->base_pfn = base_pfn;
	p->nframes = nframes;
	p->free_frames = 0;
	p->next_hint = 0;
	/* The tail bits past nframes stay set, so searches never take them. */
	for (uint64_t i = 0; i < word_count(nframes); i++)
		bitmap[i] = ~0ull;
}

/* Clips [pfn, pfn + count) to the pool; false if nothing is left. */
static bool clip_to_pool(const struct frame_pool *p, uint64_t pfn,
			 uint64_t count, uint64_t *idx, uint64_t *n)
{
	uint64_t start = pfn < p->base_pfn ? p->base_pfn : pfn;
	uint64_t end = pfn + count < pfn ? UINT64_MAX : pfn + count;
	uint64_t pool_end = p->base_pfn + p->nframes;

	if (end > pool_end)
		end = pool_end;
	if (start >= end)
		return false;
	*idx = start - p->base_pfn;
	*n = end - start;
	return true;
}

void frame_pool_release(struct frame_pool *p, uint64_t pfn, uint64_t count)
{
	uint64_t idx, n;

	if (clip_to_pool(p, pfn, count, &idx, &n))
		mark_range(p, idx, n, false);
}

void frame_pool_reserve(struct frame_pool *p, uint64_t pfn, uint64_t count)
{
	uint64_t idx, n;

	if (clip_to_pool(p, pfn, count, &idx, &n))
		mark_range(p, idx, n, true);
}

static bool bit_is_set(const struct frame_pool *p, uint64_t idx)
{
	return (p->bitmap[idx / BITS_PER_WORD] >> (idx % BITS_PER_WORD)) & 1;
}

/* The first index in [idx, end) whose bit equals `set`; end if none.
 * Whole words that cannot match are skipped at once. */
static uint64_t find_bit(const struct frame_pool *p, uint64_t idx,
			 uint64_t end, bool set)
{
	while (idx < end) {
		unsigned bit = (unsigned)(idx % BITS_PER_WORD);
		uint64_t w = p->bitmap[idx / BITS_PER_WORD];
		uint64_t candidates = (set ? w : ~w) >> bit;

		if (candidates != 0) {
			uint64_t found = idx + (uint64_t)__builtin_ctzll(candidates);

			return found < end ? found : end;
		}
		idx += BITS_PER_WORD - bit;
	}
	return end;
}

/* The lowest index >= idx whose frame number is a multiple of align;
 * false if that passes limit. */
static bool align_index(const struct frame_pool *p, uint64_t idx,
			uint64_t align, uint64_t limit, uint64_t *out)
{
	uint64_t pfn = p->base_pfn + idx;
	uint64_t aligned = (pfn + align - 1) & ~(align - 1);

	if (aligned < pfn || aligned - p->base_pfn >= limit)
		return false;
	*out = aligned - p->base_pfn;
	return true;
}

/* Looks for `count` free frames starting at an aligned index in
 * [from, to) (the run itself may extend up to nframes). */
static bool search(const struct frame_pool *p, uint64_t from, uint64_t to,
		   uint64_t count, uint64_t align, uint64_t *idx_out)
{
	uint64_t idx = from;

	while (align_index(p, idx, align, to, &idx)) {
		idx = find_bit(p, idx, to, false);
		if (idx == to || !align_index(p, idx, align, to, &idx))
			return false;
		if (count > p->nframes - idx)
			return false;

		uint64_t used = find_bit(p, idx, idx + count, true);

		if (used == idx + count) {
			*idx_out = idx;
			return true;
		}
		idx = used + 1;
	}
	return false;
}

bool frame_pool_alloc(struct frame_pool *p, uint64_t count, uint64_t align,
		      uint64_t *pfn)
{
	uint64_t idx;
	uint64_t hint = p->next_hint < p->nframes ? p->next_hint : 0;

	if (align == 0)
		align = 1;
	if (count == 0 || count > p->free_frames || (align & (align - 1)) != 0)
		return false;
	/* Next fit: from the hint to the end, then from the start. */
	if (!search(p, hint, p->nframes, count, align, &idx) &&
	    !(hint > 0 && search(p, 0, hint, count, align, &idx)))
		return false;
	mark_range(p, idx, count, true);
	p->next_hint = idx + count;
	*pfn = p->base_pfn + idx;
	return true;
}

bool frame_pool_free(struct frame_pool *p, uint64_t pfn, uint64_t count)
{
	uint64_t idx;

	if (count == 0 || pfn < p->base_pfn || pfn - p->base_pfn >= p->nframes ||
	    count > p->nframes - (pfn - p->base_pfn))
		return false;
	idx = pfn - p->base_pfn;
	if (find_bit(p, idx, idx + count, false) != idx + count)
		return false;
	mark_range(p, idx, count, false);
	return true;
}

bool frame_pool_is_free(const struct frame_pool *p, uint64_t pfn)
{
	if (pfn < p->base_pfn || pfn - p->base_pfn >= p->nframes)
		return false;
	return !bit_is_set(p, pfn - p->base_pfn);
}

uint64_t frame_pool_free_count(const struct frame_pool *p)
{
	return p->free_frames;
}
