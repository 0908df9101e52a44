/* The host's 16550 UART on COM1: the hypervisor console. Polled, no
 * interrupts: output must work in any state, panics included. */
#include "arch/x86/uart.h"
#include "arch/x86/cpu.h"
#include "core/arch.h"

/* 16550 registers (offsets from the base port) and bits, from the
 * National Semiconductor PC16550D datasheet. */
#define COM1_BASE 0x3f8
#define UART_THR 0	/* transmit holding (write) */
#define UART_RBR 0	/* receive buffer (read) */
#define UART_DLL 0	/* divisor latch low, with LCR.DLAB */
#define UART_IER 1
#define UART_DLM 1	/* divisor latch high, with LCR.DLAB */
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define LCR_8N1 0x03
#define LCR_DLAB 0x80
#define FCR_ENABLE_CLEAR 0x07
#define MCR_DTR_RTS_OUT2 0x0b
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY 0x20
#define UART_CLOCK_DIVISOR_115200 1	/* 1.8432 MHz / 16 / 115200 */

void uart_init(void)
{
	outb(COM1_BASE + UART_IER, 0);
	outb(COM1_BASE + UART_LCR, LCR_DLAB);
	outb(COM1_BASE + UART_DLL, UART_CLOCK_DIVISOR_115200);
	outb(COM1_BASE + UART_DLM, 0);
	outb(COM1_BASE + UART_LCR, LCR_8N1);
	outb(COM1_BASE + UART_FCR, FCR_ENABLE_CLEAR);
	outb(COM1_BASE + UART_MCR, MCR_DTR_RTS_OUT2);
}

static void uart_putc_raw(char c)
{
	while (!(inb(COM1_BASE + UART_LSR) & LSR_THR_EMPTY))
		cpu_relax();
	outb(COM1_BASE + UART_THR, (uint8_t)c);
}

void uart_putc(char c)
{
	if (c == '\n')
		uart_putc_raw('\r');
	uart_putc_raw(c);
}

int uart_getc_nonblocking(void)
{
	if (!(inb(COM1_BASE + UART_LSR) & LSR_DATA_READY))
		return -1;
	return inb(COM1_BASE + UART_RBR);
}

void arch_console_write(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		uart_putc(s[i]);
}

int arch_console_getc(void)
{
	return uart_getc_nonblocking();
}
