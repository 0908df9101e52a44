/* A virtual I/O APIC (82093AA datasheet): 24 redirection entries that turn
 * a device's interrupt line (a GSI) into a message to the local APICs. The
 * guest programs it through two MMIO registers; delivery goes through a
 * callback, so it knows nothing of vCPUs. */
#ifndef VDEV_VIOAPIC_H
#define VDEV_VIOAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "core/spinlock.h"

#define VIOAPIC_BASE 0xfec00000ull
#define VIOAPIC_MMIO_SIZE 0x1000
#define VIOAPIC_PINS 24

struct vioapic_message {
	uint32_t dest;		/* APIC id, or logical bits */
	bool dest_logical;
	uint8_t vector;
	uint8_t delivery_mode;	/* 0 fixed, 1 lowest priority, ... */
	bool level_triggered;
};

struct vioapic {
	struct spinlock lock;
	uint32_t id;
	uint32_t select;			/* IOREGSEL */
	uint64_t redirection[VIOAPIC_PINS];
	uint32_t line_level;			/* bit per pin: asserted */
	void *owner;
	void (*deliver)(void *owner, const struct vioapic_message *msg);
};

void vioapic_init(struct vioapic *io, uint32_t id, void *owner,
		  void (*deliver)(void *owner, const struct vioapic_message *msg));
/* MMIO at offset 0x00 (IOREGSEL) and 0x10 (IOWIN), 32-bit. */
uint32_t vioapic_mmio_read(struct vioapic *io, uint64_t offset);
void vioapic_mmio_write(struct vioapic *io, uint64_t offset, uint32_t value);
/* A device drives pin `gsi` high or low. */
void vioapic_set_line(struct vioapic *io, unsigned gsi, bool level);
/* A local APIC's EOI of `vector`: ends level-triggered deliveries. */
void vioapic_eoi(struct vioapic *io, uint8_t vector);

#endif
