/* The 16550A UART a guest sees at COM1 (0x3f8): output goes to the
 * domain's console, input comes from the shell's `console`. Transmission
 * is instant, so the transmitter is always empty. National Semiconductor
 * PC16550D datasheet for the registers. */
#ifndef VDEV_UART16550_H
#define VDEV_UART16550_H

#include <stdbool.h>
#include <stdint.h>

#include "core/spinlock.h"
#include "vdev/ioport_bus.h"

#define UART16550_COM1_BASE 0x3f8
#define UART16550_COM1_IRQ 4
/* Larger than a 16550's 16 bytes: the guest cannot tell, and a line
 * typed at the shell then never overruns. */
#define UART16550_FIFO_SIZE 256

struct uart16550 {
	struct spinlock lock;		/* the guest's vCPU and the shell */
	uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
	bool thre_pending;		/* THR-empty interrupt not yet read */
	uint8_t rx[UART16550_FIFO_SIZE];
	unsigned rx_head, rx_count;	/* rx_count <= UART16550_FIFO_SIZE */
	bool irq_level;
	void *owner;
	void (*output)(void *owner, char c);
	/* The interrupt line; may be NULL while no interrupt controller
	 * is wired (the guest then polls). */
	void (*set_irq)(void *owner, bool level);
};

void uart16550_init(struct uart16550 *u, void *owner,
		    void (*output)(void *owner, char c),
		    void (*set_irq)(void *owner, bool level));
/* Registers the UART's eight ports at `base` on the bus. */
bool uart16550_attach(struct uart16550 *u, struct ioport_bus *bus, uint16_t base);
/* A byte typed for the guest; false when the FIFO is full. */
bool uart16550_receive(struct uart16550 *u, uint8_t byte);

uint8_t uart16550_read(struct uart16550 *u, unsigned offset);
void uart16550_write(struct uart16550 *u, unsigned offset, uint8_t value);

#endif
