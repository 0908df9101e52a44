/* A domain's MMIO regions: guest-physical ranges its device models answer
 * (the local APIC page, the I/O APIC, later virtio-mmio). An access there
 * is a nested page fault that the arch code decodes and sends here; any
 * other fault outside RAM crashes the domain. */
#ifndef VDEV_MMIO_BUS_H
#define VDEV_MMIO_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MMIO_BUS_MAX_REGIONS 24	/* two APICs, the virtio devices */

struct mmio_region {
	const char *name;
	uint64_t base, size;
	void *opaque;
	/* `accessor` is the vCPU that made the access (per-vCPU devices such
	 * as the local APIC need it); offset is from base; size 1, 2, 4, 8.
	 * Return false to have the access treated as a bad one. */
	bool (*read)(void *opaque, void *accessor, uint64_t offset,
		     unsigned size, uint64_t *value);
	bool (*write)(void *opaque, void *accessor, uint64_t offset,
		      unsigned size, uint64_t value);
};

struct mmio_bus {
	struct mmio_region regions[MMIO_BUS_MAX_REGIONS];
	unsigned count;
};

bool mmio_bus_add(struct mmio_bus *bus, const struct mmio_region *r);
const struct mmio_region *mmio_bus_find(const struct mmio_bus *bus, uint64_t gpa);

#endif
