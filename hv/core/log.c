#include "core/log.h"
#include "core/arch.h"
#include "core/spinlock.h"
#include "lib/format.h"
#include "lib/string.h"

static enum log_level log_level = LOG_INFO;
static struct spinlock console_lock = SPINLOCK_INIT;
static bool panic_mode;
/* The log ring, under console_lock (racy only in panic mode). */
static char log_ring[LOG_RING_SIZE];
static uint64_t log_ring_written;

void log_set_level(enum log_level level)
{
	log_level = level;
}

bool log_parse_level(const char *name, enum log_level *out)
{
	static const char *const names[] = {"err", "warn", "info", "debug"};

	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(name, names[i]) == 0 ||
		    (name[0] == (char)('0' + i) && name[1] == '\0')) {
			*out = (enum log_level)i;
			return true;
		}
	}
	return false;
}

void log_enter_panic_mode(void)
{
	__atomic_store_n(&panic_mode, true, __ATOMIC_SEQ_CST);
}

/* Buffers a line's worth so the UART is fed in runs, not per character. */
struct console_buffer {
	char data[128];
	size_t used;
	bool keep;	/* also into the log ring */
};

static void console_buffer_flush(struct console_buffer *b)
{
	arch_console_write(b->data, b->used);
	b->used = 0;
}

static void console_buffer_putc(char c, void *ctx)
{
	struct console_buffer *b = ctx;

	b->data[b->used++] = c;
	if (b->keep)
		log_ring[log_ring_written++ % LOG_RING_SIZE] = c;
	if (b->used == sizeof(b->data) || c == '\n')
		console_buffer_flush(b);
}

static void console_output(const char *fmt, va_list ap, bool keep)
{
	struct console_buffer buf = {.used = 0, .keep = keep};
	bool locked = !__atomic_load_n(&panic_mode, __ATOMIC_SEQ_CST);
	unsigned long flags = 0;

	if (locked)
		flags = spin_lock_irqsave(&console_lock);
	fmt_vformat(console_buffer_putc, &buf, fmt, ap);
	if (buf.used)
		console_buffer_flush(&buf);
	if (locked)
		spin_unlock_irqrestore(&console_lock, flags);
}

void console_vprintf(const char *fmt, va_list ap)
{
	console_output(fmt, ap, true);
}

void console_printf_nolog(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	console_output(fmt, ap, false);
	va_end(ap);
}

size_t log_ring_read(uint64_t *cursor, char *buf, size_t size)
{
	unsigned long flags = spin_lock_irqsave(&console_lock);
	uint64_t end = log_ring_written;
	uint64_t from = *cursor < end ? *cursor : end;

	if (end - from > LOG_RING_SIZE)
		from = end - LOG_RING_SIZE;	/* overwritten: skip */
	size_t n = end - from < size ? (size_t)(end - from) : size;
	for (size_t i = 0; i < n; i++)
		buf[i] = log_ring[(from + i) % LOG_RING_SIZE];
	spin_unlock_irqrestore(&console_lock, flags);
	*cursor = from + n;
	return n;
}

void console_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	console_vprintf(fmt, ap);
	va_end(ap);
}

void log_printf(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	console_vprintf(fmt, ap);
	va_end(ap);
}
