#include "vdev/mmio_bus.h"

bool mmio_bus_add(struct mmio_bus *bus, const struct mmio_region *r)
{
	if (bus->count == MMIO_BUS_MAX_REGIONS || r->size == 0 ||
	    r->base + r->size < r->base)
		return false;
	for (unsigned i = 0; i < bus->count; i++) {
		const struct mmio_region *o = &bus->regions[i];
		if (r->base < o->base + o->size && o->base < r->base + r->size)
			return false;
	}
	bus->regions[bus->count++] = *r;
	return true;
}

const struct mmio_region *mmio_bus_find(const struct mmio_bus *bus, uint64_t gpa)
{
	for (unsigned i = 0; i < bus->count; i++) {
		const struct mmio_region *r = &bus->regions[i];
		if (gpa >= r->base && gpa - r->base < r->size)
			return r;
	}
	return NULL;
}
