#include "vdev/ioport_bus.h"

static uint32_t all_ones(unsigned size)
{
	return size >= 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
}

bool ioport_bus_add(struct ioport_bus *bus, const struct ioport_device *dev)
{
	uint32_t end = (uint32_t)dev->base + dev->count;

	if (bus->count == IOPORT_BUS_MAX_DEVICES || dev->count == 0 || end > 0x10000)
		return false;
	for (unsigned i = 0; i < bus->count; i++) {
		const struct ioport_device *o = &bus->devices[i];
		if (dev->base < (uint32_t)o->base + o->count && o->base < end)
			return false;
	}
	bus->devices[bus->count++] = *dev;
	return true;
}

static struct ioport_device *find(struct ioport_bus *bus, uint16_t port)
{
	for (unsigned i = 0; i < bus->count; i++) {
		struct ioport_device *d = &bus->devices[i];
		if (port >= d->base && port - d->base < d->count)
			return d;
	}
	return NULL;
}

uint32_t ioport_bus_read(struct ioport_bus *bus, uint16_t port, unsigned size)
{
	struct ioport_device *d = find(bus, port);

	return d && d->read ? d->read(d->opaque, port, size) & all_ones(size)
			    : all_ones(size);
}

void ioport_bus_write(struct ioport_bus *bus, uint16_t port, unsigned size,
		      uint32_t value)
{
	struct ioport_device *d = find(bus, port);

	if (d && d->write)
		d->write(d->opaque, port, size, value & all_ones(size));
}
