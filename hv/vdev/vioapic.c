#include "vdev/vioapic.h"
#include "lib/string.h"

/* Registers and redirection entry bits, 82093AA datasheet, 3.2. */
#define REG_ID 0x00
#define REG_VERSION 0x01
#define REG_ARBITRATION 0x02
#define REG_REDIRECTION_FIRST 0x10
#define IOAPIC_VERSION (0x11 | ((VIOAPIC_PINS - 1) << 16))
#define MMIO_IOREGSEL 0x00
#define MMIO_IOWIN 0x10
#define RTE_DELIVERY_SHIFT 8
#define RTE_DEST_LOGICAL (1ull << 11)
#define RTE_DELIVERY_PENDING (1ull << 12)
#define RTE_REMOTE_IRR (1ull << 14)
#define RTE_LEVEL (1ull << 15)
#define RTE_MASKED (1ull << 16)
#define RTE_DEST_SHIFT 56
#define RTE_READ_ONLY (RTE_DELIVERY_PENDING | RTE_REMOTE_IRR)

void vioapic_init(struct vioapic *io, uint32_t id, void *owner,
		  void (*deliver)(void *owner, const struct vioapic_message *msg))
{
	memset(io, 0, sizeof(*io));
	io->id = id;
	io->owner = owner;
	io->deliver = deliver;
	for (unsigned pin = 0; pin < VIOAPIC_PINS; pin++)
		io->redirection[pin] = RTE_MASKED;
}

/* Sends pin's message if it should go now; under the lock. Level-triggered
 * pins wait for the EOI (remote IRR) before they are sent again. */
static void try_deliver(struct vioapic *io, unsigned pin, struct vioapic_message *out,
			bool *send)
{
	uint64_t rte = io->redirection[pin];
	bool asserted = io->line_level & (1u << pin);

	*send = false;
	if ((rte & RTE_MASKED) || !asserted)
		return;
	if (rte & RTE_LEVEL) {
		if (rte & RTE_REMOTE_IRR)
			return;
		io->redirection[pin] |= RTE_REMOTE_IRR;
	}
	*out = (struct vioapic_message){
		.dest = (uint32_t)(rte >> RTE_DEST_SHIFT),
		.dest_logical = rte & RTE_DEST_LOGICAL,
		.vector = (uint8_t)rte,
		.delivery_mode = (uint8_t)((rte >> RTE_DELIVERY_SHIFT) & 7),
		.level_triggered = rte & RTE_LEVEL,
	};
	*send = true;
}

/* The callback runs outside the lock: it takes the local APICs' locks. */
static void deliver_pin(struct vioapic *io, unsigned pin)
{
	struct vioapic_message msg;
	bool send;

	spin_lock(&io->lock);
	try_deliver(io, pin, &msg, &send);
	spin_unlock(&io->lock);
	if (send)
		io->deliver(io->owner, &msg);
}

void vioapic_set_line(struct vioapic *io, unsigned gsi, bool level)
{
	if (gsi >= VIOAPIC_PINS)
		return;
	spin_lock(&io->lock);
	bool was = io->line_level & (1u << gsi);
	if (level)
		io->line_level |= 1u << gsi;
	else
		io->line_level &= ~(1u << gsi);
	bool edge_fired = level && !was;
	bool is_level = io->redirection[gsi] & RTE_LEVEL;
	spin_unlock(&io->lock);
	if (level && (edge_fired || is_level))
		deliver_pin(io, gsi);
	/* An edge is an event, not a state: forget it once delivered. */
	if (level && !is_level) {
		spin_lock(&io->lock);
		io->line_level &= ~(1u << gsi);
		spin_unlock(&io->lock);
	}
}

void vioapic_eoi(struct vioapic *io, uint8_t vector)
{
	for (unsigned pin = 0; pin < VIOAPIC_PINS; pin++) {
		spin_lock(&io->lock);
		uint64_t rte = io->redirection[pin];
		bool ends = (rte & RTE_LEVEL) && (rte & RTE_REMOTE_IRR) &&
			    (uint8_t)rte == vector;
		if (ends)
			io->redirection[pin] &= ~RTE_REMOTE_IRR;
		spin_unlock(&io->lock);
		if (ends)
			deliver_pin(io, pin);	/* still asserted: again */
	}
}

static uint32_t register_read(const struct vioapic *io, uint32_t reg)
{
	if (reg == REG_ID || reg == REG_ARBITRATION)
		return io->id << 24;
	if (reg == REG_VERSION)
		return IOAPIC_VERSION;
	if (reg >= REG_REDIRECTION_FIRST &&
	    reg < REG_REDIRECTION_FIRST + 2 * VIOAPIC_PINS) {
		uint64_t rte = io->redirection[(reg - REG_REDIRECTION_FIRST) / 2];
		return (reg & 1) ? (uint32_t)(rte >> 32) : (uint32_t)rte;
	}
	return 0xffffffffu;
}

uint32_t vioapic_mmio_read(struct vioapic *io, uint64_t offset)
{
	uint32_t value;

	spin_lock(&io->lock);
	value = offset == MMIO_IOREGSEL ? io->select
		: offset == MMIO_IOWIN	? register_read(io, io->select & 0xff)
					: 0;
	spin_unlock(&io->lock);
	return value;
}

/* Returns the pin whose entry changed, or -1. */
static int register_write(struct vioapic *io, uint32_t reg, uint32_t value)
{
	if (reg == REG_ID) {
		io->id = (value >> 24) & 0x0f;
		return -1;
	}
	if (reg < REG_REDIRECTION_FIRST || reg >= REG_REDIRECTION_FIRST + 2 * VIOAPIC_PINS)
		return -1;
	unsigned pin = (reg - REG_REDIRECTION_FIRST) / 2;
	uint64_t rte = io->redirection[pin];
	if (reg & 1)
		rte = (rte & 0xffffffffull) | ((uint64_t)value << 32);
	else
		rte = (rte & ~0xffffffffull) | (rte & RTE_READ_ONLY) |
		      ((uint64_t)value & ~RTE_READ_ONLY & 0xffffffffull);
	io->redirection[pin] = rte;
	return (int)pin;
}

void vioapic_mmio_write(struct vioapic *io, uint64_t offset, uint32_t value)
{
	int pin = -1;

	spin_lock(&io->lock);
	if (offset == MMIO_IOREGSEL)
		io->select = value & 0xff;
	else if (offset == MMIO_IOWIN)
		pin = register_write(io, io->select & 0xff, value);
	spin_unlock(&io->lock);
	/* Unmasking a level-triggered line that is asserted sends it now. */
	if (pin >= 0)
		deliver_pin(io, (unsigned)pin);
}
