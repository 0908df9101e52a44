/* The console: VESTA_HC_CONSOLE_WRITE under Vesta, COM1 otherwise (a
 * debugging fallback for running a test guest on plain QEMU). printf
 * formats with lib/format.c into a buffer on the stack and writes it in
 * one piece, so that lines of different vCPUs do not interleave. */
#include "guest.h"

#define COM1 0x3f8
#define PRINTF_BUFFER 256

static struct spinlock uart_lock;
static bool uart_ready;

static void uart_init(void)
{
	outb(COM1 + 1, 0x00);	/* no interrupts */
	outb(COM1 + 3, 0x80);	/* DLAB */
	outb(COM1 + 0, 0x01);	/* 115200 baud */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03);	/* 8N1 */
	outb(COM1 + 2, 0xc7);	/* FIFOs on and cleared */
	outb(COM1 + 4, 0x03);	/* DTR, RTS */
	uart_ready = true;
}

static void uart_putc(char c)
{
	/* Bounded wait for THR empty: a port with no UART reads 0xff. */
	for (unsigned i = 0; i < 100000 && !(inb(COM1 + 5) & 0x20); i++)
		cpu_relax();
	outb(COM1, (uint8_t)c);
}

static void uart_write(const char *s, size_t len)
{
	spin_lock(&uart_lock);
	if (!uart_ready)
		uart_init();
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n')
			uart_putc('\r');
		uart_putc(s[i]);
	}
	spin_unlock(&uart_lock);
}

void console_write(const char *s, size_t len)
{
	if (!vesta_present) {
		uart_write(s, len);
		return;
	}
	while (len > 0) {
		size_t n = len < VESTA_CONSOLE_WRITE_MAX ? len
							 : VESTA_CONSOLE_WRITE_MAX;
		long r = hc_console_write((uint64_t)s, n);

		if (r <= 0) {
			/* The console hypercall is broken: say it where a
			 * human may still see it. */
			static const char msg[] =
				"console: CONSOLE_WRITE failed; rest on COM1\n";

			uart_write(msg, sizeof(msg) - 1);
			uart_write(s, len);
			return;
		}
		s += r;
		len -= (size_t)r;
	}
}

struct printf_buffer {
	char data[PRINTF_BUFFER];
	size_t used;
};

static void printf_putc(char c, void *ctx)
{
	struct printf_buffer *b = ctx;

	if (b->used == sizeof(b->data)) {
		console_write(b->data, b->used);
		b->used = 0;
	}
	b->data[b->used++] = c;
}

int vprintf(const char *fmt, va_list ap)
{
	struct printf_buffer b;

	b.used = 0;
	int n = fmt_vformat(printf_putc, &b, fmt, ap);

	if (b.used > 0)
		console_write(b.data, b.used);
	return n;
}

int printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int n = vprintf(fmt, ap);
	va_end(ap);
	return n;
}
