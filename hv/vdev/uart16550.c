#include "vdev/uart16550.h"
#include "lib/string.h"

/* Register offsets and bits, PC16550D datasheet, table 2. */
#define REG_RBR_THR_DLL 0
#define REG_IER_DLM 1
#define REG_IIR_FCR 2
#define REG_LCR 3
#define REG_MCR 4
#define REG_LSR 5
#define REG_MSR 6
#define REG_SCR 7
#define IER_RX_AVAILABLE 0x01
#define IER_THR_EMPTY 0x02
#define IIR_NONE 0x01
#define IIR_THR_EMPTY 0x02
#define IIR_RX_AVAILABLE 0x04
#define IIR_FIFO_ENABLED 0xc0
#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02
#define LCR_DLAB 0x80
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY 0x20
#define LSR_TRANSMITTER_EMPTY 0x40
#define MCR_LOOPBACK 0x10
#define MSR_CTS_DSR_DCD 0xb0	/* a modem that is there and ready */

void uart16550_init(struct uart16550 *u, void *owner,
		    void (*output)(void *owner, char c),
		    void (*set_irq)(void *owner, bool level))
{
	memset(u, 0, sizeof(*u));
	u->owner = owner;
	u->output = output;
	u->set_irq = set_irq;
	u->dll = 12;	/* 9600 baud, the reset value */
}

static uint8_t pending_interrupt(const struct uart16550 *u)
{
	if ((u->ier & IER_RX_AVAILABLE) && u->rx_count)
		return IIR_RX_AVAILABLE;
	if ((u->ier & IER_THR_EMPTY) && u->thre_pending)
		return IIR_THR_EMPTY;
	return IIR_NONE;
}

/* The line's new level, or -1 if unchanged; under the lock. The line is
 * driven outside it (signal_irq): that takes the I/O APIC's locks. */
static int update_irq_level(struct uart16550 *u)
{
	bool level = pending_interrupt(u) != IIR_NONE;

	if (level == u->irq_level)
		return -1;
	u->irq_level = level;
	return level;
}

static void signal_irq(struct uart16550 *u, int level)
{
	if (level >= 0 && u->set_irq)
		u->set_irq(u->owner, level);
}

static uint8_t rx_pop(struct uart16550 *u)
{
	if (!u->rx_count)
		return 0;
	uint8_t byte = u->rx[u->rx_head];
	u->rx_head = (u->rx_head + 1) % UART16550_FIFO_SIZE;
	u->rx_count--;
	return byte;
}

static bool rx_push(struct uart16550 *u, uint8_t byte)
{
	if (u->rx_count == UART16550_FIFO_SIZE)
		return false;
	u->rx[(u->rx_head + u->rx_count) % UART16550_FIFO_SIZE] = byte;
	u->rx_count++;
	return true;
}

bool uart16550_receive(struct uart16550 *u, uint8_t byte)
{
	spin_lock(&u->lock);
	bool ok = rx_push(u, byte);
	bool level = update_irq_level(u);
	spin_unlock(&u->lock);
	signal_irq(u, level);
	return ok;
}

static uint8_t read_iir(struct uart16550 *u)
{
	uint8_t iir = pending_interrupt(u);

	if (iir == IIR_THR_EMPTY)
		u->thre_pending = false;	/* reading IIR acknowledges it */
	return iir | ((u->fcr & FCR_ENABLE) ? IIR_FIFO_ENABLED : 0);
}

uint8_t uart16550_read(struct uart16550 *u, unsigned offset)
{
	spin_lock(&u->lock);
	bool dlab = u->lcr & LCR_DLAB;
	uint8_t value = 0;

	switch (offset) {
	case REG_RBR_THR_DLL: value = dlab ? u->dll : rx_pop(u); break;
	case REG_IER_DLM: value = dlab ? u->dlm : u->ier; break;
	case REG_IIR_FCR: value = read_iir(u); break;
	case REG_LCR: value = u->lcr; break;
	case REG_MCR: value = u->mcr; break;
	case REG_LSR:
		value = LSR_THR_EMPTY | LSR_TRANSMITTER_EMPTY |
			(u->rx_count ? LSR_DATA_READY : 0);
		break;
	case REG_MSR:
		/* In loopback, the modem inputs follow the outputs (datasheet
		 * 8.6.5); Linux probes the UART that way. */
		value = (u->mcr & MCR_LOOPBACK) ? (uint8_t)((u->mcr & 0x0f) << 4)
						: MSR_CTS_DSR_DCD;
		break;
	case REG_SCR: value = u->scr; break;
	}
	int level = update_irq_level(u);
	spin_unlock(&u->lock);
	signal_irq(u, level);
	return value;
}

static void transmit(struct uart16550 *u, uint8_t byte)
{
	if (u->mcr & MCR_LOOPBACK)
		rx_push(u, byte);
	else if (u->output)
		u->output(u->owner, (char)byte);
	u->thre_pending = true;
}

void uart16550_write(struct uart16550 *u, unsigned offset, uint8_t value)
{
	spin_lock(&u->lock);
	bool dlab = u->lcr & LCR_DLAB;

	switch (offset) {
	case REG_RBR_THR_DLL:
		if (dlab)
			u->dll = value;
		else
			transmit(u, value);
		break;
	case REG_IER_DLM:
		if (dlab) {
			u->dlm = value;
		} else {
			/* Enabling the THR-empty interrupt raises it at once. */
			if ((value & IER_THR_EMPTY) && !(u->ier & IER_THR_EMPTY))
				u->thre_pending = true;
			u->ier = value & 0x0f;
		}
		break;
	case REG_IIR_FCR:
		u->fcr = value;
		if (value & FCR_CLEAR_RX)
			u->rx_count = 0;
		break;
	case REG_LCR: u->lcr = value; break;
	case REG_MCR: u->mcr = value & 0x1f; break;
	case REG_SCR: u->scr = value; break;
	}
	int level = update_irq_level(u);
	spin_unlock(&u->lock);
	signal_irq(u, level);
}

static uint32_t port_read(void *opaque, uint16_t port, unsigned size)
{
	struct uart16550 *u = opaque;

	(void)size;	/* a wider access reads the first register only */
	return uart16550_read(u, port & 7);
}

static void port_write(void *opaque, uint16_t port, unsigned size, uint32_t value)
{
	(void)size;
	uart16550_write(opaque, port & 7, (uint8_t)value);
}

bool uart16550_attach(struct uart16550 *u, struct ioport_bus *bus, uint16_t base)
{
	struct ioport_device dev = {
		.name = "uart16550", .base = base, .count = 8, .opaque = u,
		.read = port_read, .write = port_write,
	};

	return ioport_bus_add(bus, &dev);
}
