/* Physical memory map. memmap_normalize and memmap_reserve rebuild the table
 * with one sweep over the addresses where some range starts or ends: between
 * two such boundaries the type is constant, so each piece gets the winning
 * type of the ranges that cover it and equal neighbours merge. Ranges are
 * few (firmware maps have tens), so the quadratic sweep costs nothing. */
#include "lib/memmap.h"

#include "lib/string.h"

/* Every range is kept with base + size <= MEMMAP_TOP, so that its end is
 * representable and no sum below can wrap. */
#define MEMMAP_TOP UINT64_MAX

void memmap_init(struct memmap *m)
{
	m->count = 0;
}

static uint64_t range_end(const struct memmap_range *r)
{
	return r->base + r->size;
}

bool memmap_add(struct memmap *m, uint64_t base, uint64_t size, uint32_t type)
{
	if (size > MEMMAP_TOP - base)
		size = MEMMAP_TOP - base;
	if (size == 0)
		return true;
	if (m->count == MEMMAP_MAX_RANGES)
		return false;
	m->ranges[m->count++] = (struct memmap_range){
		.base = base, .size = size, .type = type};
	return true;
}

/* Which type wins where two overlap: anything not usable beats usable, and
 * between two unusable types the higher number wins. */
static uint32_t winning_type(uint32_t a, uint32_t b)
{
	if (a == MEMMAP_USABLE)
		return b;
	if (b == MEMMAP_USABLE)
		return a;
	return a > b ? a : b;
}

/* An optional reservation applied during the sweep: usable bytes inside
 * [base, end) become MEMMAP_HYPERVISOR. */
struct reservation {
	uint64_t base;
	uint64_t end;	/* base == end: none */
};

/* The type at addr, false when no range covers it. */
static bool type_at(const struct memmap_range *src, size_t n,
		    const struct reservation *rsv, uint64_t addr,
		    uint32_t *type)
{
	bool covered = false;
	uint32_t t = 0;

	for (size_t i = 0; i < n; i++) {
		if (addr < src[i].base || addr >= range_end(&src[i]))
			continue;
		t = covered ? winning_type(t, src[i].type) : src[i].type;
		covered = true;
	}
	if (t == MEMMAP_USABLE && addr >= rsv->base && addr < rsv->end)
		t = MEMMAP_HYPERVISOR;
	*type = t;
	return covered;
}

static void consider_boundary(uint64_t candidate, uint64_t after,
			      uint64_t *best, bool *found)
{
	if (candidate > after && (!*found || candidate < *best)) {
		*best = candidate;
		*found = true;
	}
}

/* The lowest boundary strictly above addr, false when there is none. */
static bool next_boundary(const struct memmap_range *src, size_t n,
			  const struct reservation *rsv, uint64_t addr,
			  uint64_t *next)
{
	bool found = false;
	uint64_t best = 0;

	for (size_t i = 0; i < n; i++) {
		consider_boundary(src[i].base, addr, &best, &found);
		consider_boundary(range_end(&src[i]), addr, &best, &found);
	}
	consider_boundary(rsv->base, addr, &best, &found);
	consider_boundary(rsv->end, addr, &best, &found);
	*next = best;
	return found;
}

/* Collects the sweep's output: a pending piece grows while neighbours of
 * its type follow, and is written out when something else comes. With no
 * output table it only counts. */
struct builder {
	struct memmap *out;		/* NULL: count only */
	struct memmap_range pending;
	bool has_pending;
	size_t count;			/* pieces produced, even past the table */
};

/* Rounds up to a page; saturates at the top of the address space. */
static uint64_t page_up(uint64_t a)
{
	uint64_t r = (a + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);

	return r < a ? MEMMAP_TOP : r;
}

static uint64_t page_down(uint64_t a)
{
	return a & ~(PAGE_SIZE - 1);
}

/* Usable RAM is only handed out in whole pages, so a usable piece shrinks
 * inward to page boundaries. False when nothing is left. */
static bool shrink_to_pages(struct memmap_range *r)
{
	uint64_t start = page_up(r->base), end = page_down(range_end(r));

	if (end <= start)
		return false;
	r->base = start;
	r->size = end - start;
	return true;
}

/* Writes out the pending piece. It cannot touch the previous one with the
 * same type: the pending piece would have grown over it instead, and a
 * usable piece that shrinks to nothing leaves a gap behind. */
static void builder_flush(struct builder *b)
{
	struct memmap_range r = b->pending;

	if (!b->has_pending)
		return;
	b->has_pending = false;
	if (r.type == MEMMAP_USABLE && !shrink_to_pages(&r))
		return;
	if (b->out != NULL && b->count < MEMMAP_MAX_RANGES)
		b->out->ranges[b->count] = r;
	b->count++;
}

static void builder_add(struct builder *b, uint64_t base, uint64_t end,
			uint32_t type)
{
	struct memmap_range *p = &b->pending;

	if (b->has_pending && p->type == type && range_end(p) == base) {
		p->size = end - p->base;
		return;
	}
	builder_flush(b);
	*p = (struct memmap_range){.base = base, .size = end - base,
				   .type = type};
	b->has_pending = true;
}

/* Sweeps src into out (NULL: only counts); returns how many ranges the
 * result has, which may be more than out could take. */
static size_t sweep(const struct memmap_range *src, size_t n,
		    const struct reservation *rsv, struct memmap *out)
{
	struct builder b = {.out = out};
	uint64_t addr, next;
	uint32_t type;

	if (n == 0)
		return 0;
	addr = src[0].base;
	for (size_t i = 1; i < n; i++)
		addr = src[i].base < addr ? src[i].base : addr;
	while (next_boundary(src, n, rsv, addr, &next)) {
		if (type_at(src, n, rsv, addr, &type))
			builder_add(&b, addr, next, type);
		addr = next;
	}
	builder_flush(&b);
	return b.count;
}

/* Rebuilds m from its own ranges, copied aside (about 3 KiB of stack). */
static void rebuild(struct memmap *m, const struct reservation *rsv)
{
	struct memmap_range src[MEMMAP_MAX_RANGES];
	size_t n = m->count;
	size_t produced;

	memcpy(src, m->ranges, n * sizeof(src[0]));
	produced = sweep(src, n, rsv, m);
	m->count = produced < MEMMAP_MAX_RANGES ? produced : MEMMAP_MAX_RANGES;
}

/* Should the result not fit (it can have twice as many ranges as the
 * input), the ranges past the table's end are left out: that only ever
 * loses memory, never hands out a reserved byte. */
void memmap_normalize(struct memmap *m)
{
	struct reservation none = {0, 0};

	rebuild(m, &none);
}

bool memmap_reserve(struct memmap *m, uint64_t base, uint64_t size)
{
	uint64_t end = size > MEMMAP_TOP - base ? MEMMAP_TOP : base + size;
	struct reservation rsv = {page_down(base), page_up(end)};

	if (size == 0)
		return true;
	/* Refuse rather than record the reservation only in part: the caller
	 * would hand out memory it believes is taken. */
	if (sweep(m->ranges, m->count, &rsv, NULL) > MEMMAP_MAX_RANGES)
		return false;
	rebuild(m, &rsv);
	return true;
}

uint64_t memmap_bytes_of_type(const struct memmap *m, uint32_t type)
{
	uint64_t total = 0;

	for (size_t i = 0; i < m->count; i++) {
		if (m->ranges[i].type == type)
			total += m->ranges[i].size;
	}
	return total;
}

uint64_t memmap_usable_end(const struct memmap *m)
{
	uint64_t end = 0;

	for (size_t i = 0; i < m->count; i++) {
		const struct memmap_range *r = &m->ranges[i];

		if (r->type == MEMMAP_USABLE && range_end(r) > end)
			end = range_end(r);
	}
	return end;
}

/* The lowest aligned base of size bytes inside r and below limit. */
static bool fit_in_range(const struct memmap_range *r, uint64_t size,
			 uint64_t align, uint64_t limit, uint64_t *base)
{
	uint64_t end = range_end(r) < limit ? range_end(r) : limit;
	uint64_t start = (r->base + align - 1) & ~(align - 1);

	if (start < r->base || start >= end || size > end - start)
		return false;
	*base = start;
	return true;
}

bool memmap_find_free(const struct memmap *m, uint64_t size, uint64_t align,
		      uint64_t limit, uint64_t *base)
{
	bool found = false;
	uint64_t candidate;

	if (align < PAGE_SIZE)
		align = PAGE_SIZE;
	if (size == 0 || (align & (align - 1)) != 0)
		return false;
	/* The table is sorted once normalized, but taking the minimum keeps
	 * the answer right for a table that is not. */
	for (size_t i = 0; i < m->count; i++) {
		if (m->ranges[i].type == MEMMAP_USABLE &&
		    fit_in_range(&m->ranges[i], size, align, limit, &candidate) &&
		    (!found || candidate < *base)) {
			*base = candidate;
			found = true;
		}
	}
	return found;
}

const char *memmap_type_name(uint32_t type)
{
	switch (type) {
	case MEMMAP_USABLE: return "usable";
	case MEMMAP_RESERVED: return "reserved";
	case MEMMAP_ACPI_RECLAIM: return "ACPI reclaimable";
	case MEMMAP_ACPI_NVS: return "ACPI NVS";
	case MEMMAP_BAD: return "bad";
	case MEMMAP_HYPERVISOR: return "hypervisor";
	default: return "unknown";
	}
}
