/* A domain's I/O port space: the port ranges its device models answer.
 * Accesses to any other port read all ones and drop writes, as on a bus
 * where nothing answers. */
#ifndef VDEV_IOPORT_BUS_H
#define VDEV_IOPORT_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IOPORT_BUS_MAX_DEVICES 8

struct ioport_device {
	const char *name;
	uint16_t base;
	uint16_t count;
	void *opaque;
	/* size is 1, 2 or 4; port is absolute */
	uint32_t (*read)(void *opaque, uint16_t port, unsigned size);
	void (*write)(void *opaque, uint16_t port, unsigned size, uint32_t value);
};

struct ioport_bus {
	struct ioport_device devices[IOPORT_BUS_MAX_DEVICES];
	unsigned count;
};

/* False if the table is full or the range overlaps another device. */
bool ioport_bus_add(struct ioport_bus *bus, const struct ioport_device *dev);
uint32_t ioport_bus_read(struct ioport_bus *bus, uint16_t port, unsigned size);
void ioport_bus_write(struct ioport_bus *bus, uint16_t port, unsigned size,
		      uint32_t value);

#endif
