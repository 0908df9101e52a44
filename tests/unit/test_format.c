/* lib/format.c against the host libc's snprintf, which is the reference
 * for every conversion both define the same way (all but %p). */
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "lib/format.h"

static int compared;

/* Formats with both and requires the same text and the same return. */
#define COMPARE(fmt, ...)                                                   \
	do {                                                                \
		char want[512], got[512];                                   \
		int want_n = snprintf(want, sizeof(want), fmt, __VA_ARGS__); \
		int got_n = fmt_snprintf(got, sizeof(got), fmt, __VA_ARGS__); \
		if (strcmp(want, got) != 0 || want_n != got_n)              \
			print_error("format \"%s\": libc \"%s\" (%d), ours \"%s\" (%d)\n", \
				    fmt, want, want_n, got, got_n);         \
		assert_string_equal(got, want);                             \
		assert_int_equal(got_n, want_n);                            \
		compared++;                                                 \
	} while (0)

static void test_literals_and_percent(void **state)
{
	(void)state;
	char buf[64];

	assert_int_equal(fmt_snprintf(buf, sizeof(buf), "plain text"), 10);
	assert_string_equal(buf, "plain text");
	assert_int_equal(fmt_snprintf(buf, sizeof(buf), "100%%"), 4);
	assert_string_equal(buf, "100%");
	assert_int_equal(fmt_snprintf(buf, sizeof(buf), "%s", ""), 0);
	assert_string_equal(buf, "");
}

static const long long signed_values[] = {
	0, 1, -1, 7, -7, 42, -42, 127, -128, 255, 32767, -32768, 65535,
	INT_MAX, INT_MIN, 1234567890, -987654321, LLONG_MAX, LLONG_MIN,
	(long long)UINT_MAX, 0x123456789abcLL,
};

static const char *const flag_sets[] = {
	"", "-", "0", "+", " ", "#", "-+", "0+", "0 ", "-0", "+ ", "#0", "-#",
	"#+0", "-+ #0",
};

static const char *const widths[] = {"", "1", "3", "8", "25"};
static const char *const precisions[] = {"", ".", ".0", ".1", ".3", ".12", ".30"};

/* Length modifier, and a cast of v to the type it names, per conversion. */
static void compare_one(const char *fmt, const char *len, char conv,
			long long v)
{
	bool is_signed = conv == 'd' || conv == 'i';

	if (strcmp(len, "hh") == 0) {
		if (is_signed)
			COMPARE(fmt, (signed char)v);
		else
			COMPARE(fmt, (unsigned char)v);
	} else if (strcmp(len, "h") == 0) {
		if (is_signed)
			COMPARE(fmt, (short)v);
		else
			COMPARE(fmt, (unsigned short)v);
	} else if (strcmp(len, "l") == 0) {
		if (is_signed)
			COMPARE(fmt, (long)v);
		else
			COMPARE(fmt, (unsigned long)v);
	} else if (strcmp(len, "ll") == 0) {
		if (is_signed)
			COMPARE(fmt, v);
		else
			COMPARE(fmt, (unsigned long long)v);
	} else if (strcmp(len, "z") == 0) {
		if (is_signed)
			COMPARE(fmt, (ptrdiff_t)v);	/* ssize_t's width */
		else
			COMPARE(fmt, (size_t)v);
	} else if (strcmp(len, "t") == 0) {
		if (is_signed)
			COMPARE(fmt, (ptrdiff_t)v);
		else
			COMPARE(fmt, (size_t)v);	/* unsigned ptrdiff_t */
	} else if (strcmp(len, "j") == 0) {
		if (is_signed)
			COMPARE(fmt, (intmax_t)v);
		else
			COMPARE(fmt, (uintmax_t)v);
	} else {
		if (is_signed)
			COMPARE(fmt, (int)v);
		else
			COMPARE(fmt, (unsigned int)v);
	}
}

/* '#' is undefined for d, i and u in C; only x, X and o get it. */
static bool flags_allowed(const char *flags, char conv)
{
	return strchr(flags, '#') == NULL || conv == 'x' || conv == 'X' ||
	       conv == 'o';
}

static void test_integers_against_libc(void **state)
{
	(void)state;
	static const char convs[] = "diuxXo";
	static const char *const lens[] = {"", "hh", "h", "l", "ll", "z", "t", "j"};
	char fmt[64];

	for (size_t c = 0; c < sizeof(convs) - 1; c++)
	for (size_t f = 0; f < sizeof(flag_sets) / sizeof(flag_sets[0]); f++)
	for (size_t w = 0; w < sizeof(widths) / sizeof(widths[0]); w++)
	for (size_t p = 0; p < sizeof(precisions) / sizeof(precisions[0]); p++)
	for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++)
	for (size_t v = 0; v < sizeof(signed_values) / sizeof(signed_values[0]); v++) {
		if (!flags_allowed(flag_sets[f], convs[c]))
			continue;
		snprintf(fmt, sizeof(fmt), "[%%%s%s%s%s%c]", flag_sets[f],
			 widths[w], precisions[p], lens[l], convs[c]);
		compare_one(fmt, lens[l], convs[c], signed_values[v]);
	}
	assert_true(compared > 10000);
}

static void test_star_width_and_precision(void **state)
{
	(void)state;
	for (int w = -12; w <= 12; w += 3) {
		for (int p = -2; p <= 6; p++) {
			COMPARE("[%*.*d]", w, p, -123);
			COMPARE("[%-*.*x]", w, p, 0xbeefu);
			COMPARE("[%*.*s]", w, p, "hello");
			COMPARE("[%0*d]", w, 77);
		}
	}
}

static void test_strings_and_chars(void **state)
{
	(void)state;
	static const char *const strs[] = {"", "a", "hello", "a longer string!"};
	static const char *const fmts[] = {
		"[%s]", "[%10s]", "[%-10s]", "[%.3s]", "[%10.2s]", "[%-10.0s]",
		"[%.20s]", "[%1s]",
	};

	for (size_t s = 0; s < sizeof(strs) / sizeof(strs[0]); s++)
		for (size_t f = 0; f < sizeof(fmts) / sizeof(fmts[0]); f++)
			COMPARE(fmts[f], strs[s]);

	static const char *const cfmts[] = {"[%c]", "[%5c]", "[%-5c]", "[%1c]"};

	for (size_t f = 0; f < sizeof(cfmts) / sizeof(cfmts[0]); f++) {
		COMPARE(cfmts[f], 'x');
		COMPARE(cfmts[f], ' ');
		COMPARE(cfmts[f], 200);	/* an int holding a non-ASCII char */
	}
	COMPARE("%s=%d %s%c", "key", 5, "tail", '!');
}

static void test_null_string(void **state)
{
	(void)state;
	char buf[32];
	/* volatile: gcc warns about a NULL it can see, as it should. */
	const char *volatile null = NULL;

	assert_int_equal(fmt_snprintf(buf, sizeof(buf), "<%s>", null), 8);
	assert_string_equal(buf, "<(null)>");
	fmt_snprintf(buf, sizeof(buf), "<%8s>", null);
	assert_string_equal(buf, "<  (null)>");
}

static void test_pointer(void **state)
{
	(void)state;
	char buf[64];

	assert_int_equal(fmt_snprintf(buf, sizeof(buf), "%p", (void *)0), 18);
	assert_string_equal(buf, "0x0000000000000000");
	fmt_snprintf(buf, sizeof(buf), "%p", (void *)0xffffffff80001234ull);
	assert_string_equal(buf, "0xffffffff80001234");
	fmt_snprintf(buf, sizeof(buf), "[%20p]", (void *)0x1234);
	assert_string_equal(buf, "[  0x0000000000001234]");
	fmt_snprintf(buf, sizeof(buf), "[%-20p]", (void *)0xabc);
	assert_string_equal(buf, "[0x0000000000000abc  ]");
}

static void test_truncation(void **state)
{
	(void)state;
	char buf[16];

	/* Returns the full length, stores size - 1 characters and a NUL. */
	memset(buf, 'Z', sizeof(buf));
	assert_int_equal(fmt_snprintf(buf, 6, "%d-%s", 12345, "abcdef"), 12);
	assert_string_equal(buf, "12345");
	assert_int_equal(buf[6], 'Z');

	memset(buf, 'Z', sizeof(buf));
	assert_int_equal(fmt_snprintf(buf, 1, "abc"), 3);
	assert_int_equal(buf[0], '\0');
	assert_int_equal(buf[1], 'Z');

	/* size 0: nothing written, not even the NUL; buf may be NULL. */
	memset(buf, 'Z', sizeof(buf));
	assert_int_equal(fmt_snprintf(buf, 0, "abc"), 3);
	assert_int_equal(buf[0], 'Z');
	assert_int_equal(fmt_snprintf(NULL, 0, "%x", 0xabcdefu), 6);

	for (size_t size = 1; size <= sizeof(buf); size++) {
		char want[16];

		snprintf(want, size, "%05d|%-4s|", -42, "ab");
		fmt_snprintf(buf, size, "%05d|%-4s|", -42, "ab");
		assert_string_equal(buf, want);
	}
}

struct collector {
	char text[64];
	size_t len;
};

static void collect(char c, void *ctx)
{
	struct collector *col = ctx;

	if (col->len + 1 < sizeof(col->text))
		col->text[col->len++] = c;
	col->text[col->len] = '\0';
}

static int format_to_collector(struct collector *col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int n = fmt_vformat(collect, col, fmt, ap);
	va_end(ap);
	return n;
}

static void test_vformat_callback(void **state)
{
	(void)state;
	struct collector col = {.len = 0};

	assert_int_equal(format_to_collector(&col, "cpu%u: %s", 3u, "up"), 8);
	assert_string_equal(col.text, "cpu3: up");
	assert_int_equal(col.len, 8);
}

/* Not C: an unknown or unfinished directive is printed as it stands. */
static void test_unknown_directives(void **state)
{
	(void)state;
	char buf[32];

	/* Built at run time so that the compiler's format check lets it by. */
	char fmt[16];

	strcpy(fmt, "a%yb");
	assert_int_equal(fmt_snprintf(buf, sizeof(buf), fmt, 0), 4);
	assert_string_equal(buf, "a%yb");
	strcpy(fmt, "end%");
	assert_int_equal(fmt_snprintf(buf, sizeof(buf), fmt, 0), 4);
	assert_string_equal(buf, "end%");
	strcpy(fmt, "x%-5");
	fmt_snprintf(buf, sizeof(buf), fmt, 0);
	assert_string_equal(buf, "x%-5");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_literals_and_percent),
		cmocka_unit_test(test_integers_against_libc),
		cmocka_unit_test(test_star_width_and_precision),
		cmocka_unit_test(test_strings_and_chars),
		cmocka_unit_test(test_null_string),
		cmocka_unit_test(test_pointer),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_vformat_callback),
		cmocka_unit_test(test_unknown_directives),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
