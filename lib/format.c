/* printf-style formatting without libc. Integer conversions follow C11
 * 7.21.6.1 (flags, width, precision, length modifiers); %p is always
 * "0x" and 16 hex digits so that addresses line up in logs. */
#include "lib/format.h"

#include <stdbool.h>
#include <stdint.h>

/* Octal needs the most digits: 22 for 64 bits. */
#define FMT_MAX_DIGITS 24

struct fmt_out {
	fmt_putc_fn putc;
	void *ctx;
	int count;
};

struct fmt_spec {
	bool left;		/* '-' */
	bool zero_pad;		/* '0' */
	bool plus;		/* '+' */
	bool space;		/* ' ' */
	bool alt;		/* '#' */
	int width;		/* 0 = none */
	int precision;		/* -1 = none */
	char length;		/* 'H' (hh), 'h', 'l', 'L' (ll), 'z', 't', 'j' or 0 */
	char conv;
};

static void out_char(struct fmt_out *o, char c)
{
	o->putc(c, o->ctx);
	o->count++;
}

static void out_repeat(struct fmt_out *o, char c, int n)
{
	for (int i = 0; i < n; i++)
		out_char(o, c);
}

static void out_chars(struct fmt_out *o, const char *s, int n)
{
	for (int i = 0; i < n; i++)
		out_char(o, s[i]);
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Reads a decimal field width or precision; saturates rather than wraps. */
static int parse_decimal(const char **p)
{
	int n = 0;

	while (is_digit(**p)) {
		if (n < 100000000)
			n = n * 10 + (**p - '0');
		(*p)++;
	}
	return n;
}

static const char *parse_flags(const char *p, struct fmt_spec *spec)
{
	for (;; p++) {
		switch (*p) {
		case '-': spec->left = true; break;
		case '0': spec->zero_pad = true; break;
		case '+': spec->plus = true; break;
		case ' ': spec->space = true; break;
		case '#': spec->alt = true; break;
		default: return p;
		}
	}
}

/* A negative '*' width means the '-' flag plus the width (C11 7.21.6.1p5). */
static const char *parse_width(const char *p, struct fmt_spec *spec,
			       va_list *ap)
{
	if (*p == '*') {
		int w = va_arg(*ap, int);

		if (w < 0) {
			spec->left = true;
			w = w == INT32_MIN ? INT32_MAX : -w;
		}
		spec->width = w;
		return p + 1;
	}
	spec->width = parse_decimal(&p);
	return p;
}

/* A negative '*' precision counts as none given. */
static const char *parse_precision(const char *p, struct fmt_spec *spec,
				   va_list *ap)
{
	spec->precision = -1;
	if (*p != '.')
		return p;
	p++;
	if (*p == '*') {
		int prec = va_arg(*ap, int);

		spec->precision = prec < 0 ? -1 : prec;
		return p + 1;
	}
	spec->precision = parse_decimal(&p);
	return p;
}

static const char *parse_length(const char *p, struct fmt_spec *spec)
{
	spec->length = 0;
	if ((p[0] == 'h' || p[0] == 'l') && p[1] == p[0]) {
		spec->length = p[0] == 'h' ? 'H' : 'L';
		return p + 2;
	}
	if (*p == 'h' || *p == 'l' || *p == 'z' || *p == 't' || *p == 'j') {
		spec->length = *p;
		return p + 1;
	}
	return p;
}

/* Fetches a signed argument of the size the length modifier names. */
static int64_t fetch_signed(const struct fmt_spec *spec, va_list *ap)
{
	switch (spec->length) {
	case 'H': return (signed char)va_arg(*ap, int);
	case 'h': return (short)va_arg(*ap, int);
	case 'l': return va_arg(*ap, long);
	case 'L': return va_arg(*ap, long long);
	case 'z': return (int64_t)va_arg(*ap, size_t);
	case 't': return va_arg(*ap, ptrdiff_t);
	case 'j': return va_arg(*ap, intmax_t);
	default: return va_arg(*ap, int);
	}
}

static uint64_t fetch_unsigned(const struct fmt_spec *spec, va_list *ap)
{
	switch (spec->length) {
	case 'H': return (unsigned char)va_arg(*ap, unsigned int);
	case 'h': return (unsigned short)va_arg(*ap, unsigned int);
	case 'l': return va_arg(*ap, unsigned long);
	case 'L': return va_arg(*ap, unsigned long long);
	case 'z': return va_arg(*ap, size_t);
	case 't': return (uint64_t)va_arg(*ap, ptrdiff_t);
	case 'j': return va_arg(*ap, uintmax_t);
	default: return va_arg(*ap, unsigned int);
	}
}

/* Writes the digits of v in base (8, 10 or 16) into buf, most significant
 * first; returns how many. Zero gives no digits: precision decides. */
static int to_digits(uint64_t v, unsigned base, bool upper,
		     char buf[FMT_MAX_DIGITS])
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char rev[FMT_MAX_DIGITS];
	int n = 0;

	while (v != 0) {
		rev[n++] = digits[v % base];
		v /= base;
	}
	for (int i = 0; i < n; i++)
		buf[i] = rev[n - 1 - i];
	return n;
}

/* Emits a converted integer: padding, sign, prefix, leading zeros, digits. */
static void emit_integer(struct fmt_out *o, const struct fmt_spec *spec,
			 const char *sign_prefix, const char *digits,
			 int ndigits)
{
	int prefix_len = 0;

	while (sign_prefix[prefix_len] != '\0')
		prefix_len++;

	/* Precision is the minimum number of digits; 1 when not given. */
	int precision = spec->precision < 0 ? 1 : spec->precision;
	int zeros = precision > ndigits ? precision - ndigits : 0;

	/* '#' with %o: the first digit must be a zero. */
	if (spec->alt && spec->conv == 'o' && zeros == 0 &&
	    (ndigits == 0 || digits[0] != '0'))
		zeros = 1;

	int len = prefix_len + zeros + ndigits;
	int pad = spec->width > len ? spec->width - len : 0;

	/* '0' is ignored with '-' or with a precision (C11 7.21.6.1p6). */
	if (spec->zero_pad && !spec->left && spec->precision < 0) {
		zeros += pad;
		pad = 0;
	}
	if (!spec->left)
		out_repeat(o, ' ', pad);
	out_chars(o, sign_prefix, prefix_len);
	out_repeat(o, '0', zeros);
	out_chars(o, digits, ndigits);
	if (spec->left)
		out_repeat(o, ' ', pad);
}

static void format_signed(struct fmt_out *o, const struct fmt_spec *spec,
			  int64_t v)
{
	char digits[FMT_MAX_DIGITS];
	/* Negate in unsigned arithmetic so that INT64_MIN works too. */
	uint64_t magnitude = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	int n = to_digits(magnitude, 10, false, digits);
	const char *sign = v < 0 ? "-" : spec->plus ? "+" : spec->space ? " " : "";

	emit_integer(o, spec, sign, digits, n);
}

static void format_unsigned(struct fmt_out *o, const struct fmt_spec *spec,
			    uint64_t v)
{
	char digits[FMT_MAX_DIGITS];
	unsigned base = spec->conv == 'o' ? 8 : spec->conv == 'u' ? 10 : 16;
	int n = to_digits(v, base, spec->conv == 'X', digits);
	const char *prefix = "";

	if (spec->alt && v != 0 && spec->conv == 'x')
		prefix = "0x";
	if (spec->alt && v != 0 && spec->conv == 'X')
		prefix = "0X";
	emit_integer(o, spec, prefix, digits, n);
}

/* %p: always 0x and all 16 digits, whatever the value. */
static void format_pointer(struct fmt_out *o, const struct fmt_spec *spec,
			   const void *p)
{
	struct fmt_spec hex = *spec;

	hex.conv = 'x';
	hex.alt = false;
	hex.plus = false;
	hex.space = false;
	hex.zero_pad = false;
	hex.precision = 16;

	char digits[FMT_MAX_DIGITS];
	int n = to_digits((uint64_t)(uintptr_t)p, 16, false, digits);

	emit_integer(o, &hex, "0x", digits, n);
}

/* Strings and characters pad with spaces only; '0' does not apply. */
static void format_string(struct fmt_out *o, const struct fmt_spec *spec,
			  const char *s)
{
	if (s == NULL)
		s = "(null)";

	int len = 0;

	while ((spec->precision < 0 || len < spec->precision) && s[len] != '\0')
		len++;

	int pad = spec->width > len ? spec->width - len : 0;

	if (!spec->left)
		out_repeat(o, ' ', pad);
	out_chars(o, s, len);
	if (spec->left)
		out_repeat(o, ' ', pad);
}

static void format_char(struct fmt_out *o, const struct fmt_spec *spec, char c)
{
	int pad = spec->width > 1 ? spec->width - 1 : 0;

	if (!spec->left)
		out_repeat(o, ' ', pad);
	out_char(o, c);
	if (spec->left)
		out_repeat(o, ' ', pad);
}

/* Converts one argument. Returns false for an unknown conversion. */
static bool format_conversion(struct fmt_out *o, const struct fmt_spec *spec,
			      va_list *ap)
{
	switch (spec->conv) {
	case 'd':
	case 'i':
		format_signed(o, spec, fetch_signed(spec, ap));
		return true;
	case 'u':
	case 'x':
	case 'X':
	case 'o':
		format_unsigned(o, spec, fetch_unsigned(spec, ap));
		return true;
	case 'c':
		format_char(o, spec, (char)va_arg(*ap, int));
		return true;
	case 's':
		format_string(o, spec, va_arg(*ap, const char *));
		return true;
	case 'p':
		format_pointer(o, spec, va_arg(*ap, const void *));
		return true;
	case '%':
		out_char(o, '%');
		return true;
	default:
		return false;
	}
}

/* Handles the directive after a '%'; returns where the format goes on.
 * An unknown or unfinished directive is printed as it stands. */
static const char *format_directive(struct fmt_out *o, const char *start,
				    va_list *ap)
{
	struct fmt_spec spec = {0};
	const char *p = start + 1;

	p = parse_flags(p, &spec);
	p = parse_width(p, &spec, ap);
	p = parse_precision(p, &spec, ap);
	p = parse_length(p, &spec);
	spec.conv = *p;
	if (spec.conv != '\0' && format_conversion(o, &spec, ap))
		return p + 1;
	out_chars(o, start, (int)(p - start));
	return p;
}

int fmt_vformat(fmt_putc_fn putc, void *ctx, const char *fmt, va_list ap)
{
	struct fmt_out o = {.putc = putc, .ctx = ctx, .count = 0};
	va_list args;

	/* A va_list parameter cannot portably be passed on by address. */
	va_copy(args, ap);
	while (*fmt != '\0') {
		if (*fmt == '%')
			fmt = format_directive(&o, fmt, &args);
		else
			out_char(&o, *fmt++);
	}
	va_end(args);
	return o.count;
}

struct fmt_buffer {
	char *buf;
	size_t size;
	size_t used;	/* characters stored, never more than size - 1 */
};

static void buffer_putc(char c, void *ctx)
{
	struct fmt_buffer *b = ctx;

	if (b->used + 1 < b->size)
		b->buf[b->used++] = c;
}

int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct fmt_buffer b = {.buf = buf, .size = size, .used = 0};
	int n = fmt_vformat(buffer_putc, &b, fmt, ap);

	if (size > 0)
		buf[b.used] = '\0';
	return n;
}

int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int n = fmt_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
