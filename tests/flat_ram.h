/* Guest RAM for host tests and fuzz targets: a flat buffer behind the
 * struct virtq_memory callbacks, refusing any range that is not wholly
 * inside it (or that wraps), as the monitor's copy_from_guest does.
 *
 *   static uint8_t ram[RAM_SIZE];
 *   static struct flat_ram flat = {ram, RAM_SIZE};
 *   static const struct virtq_memory mem = FLAT_RAM_MEMORY(&flat);
 */
#ifndef TESTS_FLAT_RAM_H
#define TESTS_FLAT_RAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/virtq.h"

struct flat_ram {
	uint8_t *bytes;
	uint64_t size;
};

static inline bool flat_ram_has(const struct flat_ram *r, uint64_t gpa,
				uint64_t len)
{
	return gpa <= r->size && len <= r->size - gpa;
}

static inline bool flat_ram_read(void *ctx, uint64_t gpa, void *dst, size_t len)
{
	const struct flat_ram *r = ctx;

	if (!flat_ram_has(r, gpa, len))
		return false;
	memcpy(dst, r->bytes + gpa, len);
	return true;
}

static inline bool flat_ram_write(void *ctx, uint64_t gpa, const void *src,
				  size_t len)
{
	struct flat_ram *r = ctx;

	if (!flat_ram_has(r, gpa, len))
		return false;
	memcpy(r->bytes + gpa, src, len);
	return true;
}

static inline bool flat_ram_is_ram(void *ctx, uint64_t gpa, uint64_t len)
{
	return flat_ram_has(ctx, gpa, len);
}

#define FLAT_RAM_MEMORY(r)                                            \
	{ .ctx = (r), .read = flat_ram_read, .write = flat_ram_write, \
	  .is_ram = flat_ram_is_ram }

#endif
