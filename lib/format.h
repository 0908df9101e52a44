/* printf-style formatting without libc, shared by the hypervisor and host tests. */
#ifndef LIB_FORMAT_H
#define LIB_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

/*
 * Supported: %d %i %u %x %X %o %c %s %p %%, flags '-' '0' '+' ' ' '#',
 * field width and precision (numbers or '*'), length modifiers hh h l ll z t j.
 * %p prints 0x followed by 16 hex digits. A NULL %s prints "(null)".
 * No floating point.
 */
typedef void (*fmt_putc_fn)(char c, void *ctx);

/* Formats into the callback; returns the number of characters emitted. */
int fmt_vformat(fmt_putc_fn putc, void *ctx, const char *fmt, va_list ap);

/* Like C's vsnprintf: always NUL-terminates when size > 0, returns the length
 * the full output would have had. */
int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
