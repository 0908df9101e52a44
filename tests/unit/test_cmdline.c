/* lib/cmdline.c: tokens, quotes, last-wins lookups and number syntax. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/cmdline.h"

#define MAX_TOKENS 16

/* A token's key and value as strings, for easy comparison. */
struct parsed {
	char key[64];
	char value[64];
	bool has_value;
};

static size_t tokenize(const char *cmdline, struct parsed *out)
{
	struct cmdline_iter it;
	struct cmdline_token tok;
	size_t n = 0;

	cmdline_iter_init(&it, cmdline);
	while (cmdline_next(&it, &tok)) {
		assert_true(n < MAX_TOKENS);
		assert_true(tok.key_len < sizeof(out[n].key));
		memcpy(out[n].key, tok.key, tok.key_len);
		out[n].key[tok.key_len] = '\0';
		out[n].has_value = tok.value != NULL;
		if (tok.value != NULL) {
			assert_true(tok.value_len < sizeof(out[n].value));
			memcpy(out[n].value, tok.value, tok.value_len);
			out[n].value[tok.value_len] = '\0';
		}
		n++;
	}
	/* The end stays the end. */
	assert_false(cmdline_next(&it, &tok));
	return n;
}

static void test_plain_tokens(void **state)
{
	(void)state;
	struct parsed t[MAX_TOKENS];

	assert_int_equal(tokenize("  loglevel=debug\tnosmp \n mem=2G  ", t), 3);
	assert_string_equal(t[0].key, "loglevel");
	assert_true(t[0].has_value);
	assert_string_equal(t[0].value, "debug");
	assert_string_equal(t[1].key, "nosmp");
	assert_false(t[1].has_value);
	assert_string_equal(t[2].key, "mem");
	assert_string_equal(t[2].value, "2G");
}

static void test_empty_and_null(void **state)
{
	(void)state;
	struct parsed t[MAX_TOKENS];
	char value[8] = "keep";

	assert_int_equal(tokenize("", t), 0);
	assert_int_equal(tokenize("   \t\n ", t), 0);
	assert_int_equal(tokenize(NULL, t), 0);
	assert_false(cmdline_get(NULL, "x", value, sizeof(value)));
	assert_string_equal(value, "keep");
}

static void test_values_with_equals_and_empty(void **state)
{
	(void)state;
	struct parsed t[MAX_TOKENS];

	assert_int_equal(tokenize("a=b=c empty= =novalue", t), 3);
	assert_string_equal(t[0].key, "a");
	assert_string_equal(t[0].value, "b=c");
	assert_string_equal(t[1].key, "empty");
	assert_true(t[1].has_value);
	assert_string_equal(t[1].value, "");
	assert_string_equal(t[2].key, "");
	assert_string_equal(t[2].value, "novalue");
}

static void test_quotes(void **state)
{
	(void)state;
	struct parsed t[MAX_TOKENS];

	assert_int_equal(
		tokenize("console=\"ttyS0 115200\" x=\"\" y=\"a=b c\" z", t), 4);
	assert_string_equal(t[0].key, "console");
	assert_string_equal(t[0].value, "ttyS0 115200");
	assert_string_equal(t[1].key, "x");
	assert_true(t[1].has_value);
	assert_string_equal(t[1].value, "");
	assert_string_equal(t[2].key, "y");
	assert_string_equal(t[2].value, "a=b c");
	assert_string_equal(t[3].key, "z");

	/* An unterminated quote runs to the end; the quote is dropped. */
	assert_int_equal(tokenize("a=1 b=\"open ended  ", t), 2);
	assert_string_equal(t[1].value, "open ended  ");

	/* Quotes inside a value are kept; spaces inside them don't split. */
	assert_int_equal(tokenize("k=pre\"in side\"post next", t), 2);
	assert_string_equal(t[0].value, "pre\"in side\"post");
	assert_string_equal(t[1].key, "next");

	/* A lone quote as the whole value. */
	assert_int_equal(tokenize("q=\"", t), 1);
	assert_string_equal(t[0].value, "");
}

/* Linux also lets the whole token be quoted, and takes the first '=' even
 * when a quote comes before it. */
static void test_whole_token_quoted(void **state)
{
	(void)state;
	struct parsed t[MAX_TOKENS];

	assert_int_equal(tokenize("\"console=ttyS0 115200\" \"flag\" next", t), 3);
	assert_string_equal(t[0].key, "console");
	assert_string_equal(t[0].value, "ttyS0 115200");
	assert_string_equal(t[1].key, "flag");
	assert_false(t[1].has_value);
	assert_string_equal(t[2].key, "next");

	assert_int_equal(tokenize("\"a b", t), 1);
	assert_string_equal(t[0].key, "a b");
	assert_int_equal(tokenize("\"", t), 1);
	assert_string_equal(t[0].key, "");
	assert_false(t[0].has_value);
	assert_int_equal(tokenize("\"\"", t), 1);
	assert_string_equal(t[0].key, "");

	assert_int_equal(tokenize("x\"=y\" z", t), 2);
	assert_string_equal(t[0].key, "x\"");
	assert_string_equal(t[0].value, "y\"");
	assert_string_equal(t[1].key, "z");

	char value[16];

	assert_true(cmdline_get("\"name=a b\"", "name", value, sizeof(value)));
	assert_string_equal(value, "a b");
}

static void test_get_last_wins(void **state)
{
	(void)state;
	char value[32];
	const char *line = "loglevel=info debug loglevel=warn logleveL=x log=1";

	assert_true(cmdline_get(line, "loglevel", value, sizeof(value)));
	assert_string_equal(value, "warn");
	assert_true(cmdline_get(line, "log", value, sizeof(value)));
	assert_string_equal(value, "1");
	/* A key without '=' reads as "". */
	assert_true(cmdline_get(line, "debug", value, sizeof(value)));
	assert_string_equal(value, "");
	/* Prefixes and case variants are other keys. */
	assert_false(cmdline_get(line, "logl", value, sizeof(value)));
	assert_false(cmdline_get(line, "LOGLEVEL", value, sizeof(value)));
	/* A later bare key still wins over an earlier value. */
	assert_true(cmdline_get("a=1 a", "a", value, sizeof(value)));
	assert_string_equal(value, "");
}

static void test_get_truncates(void **state)
{
	(void)state;
	char value[8];

	memset(value, 'Z', sizeof(value));
	assert_true(cmdline_get("name=abcdefghijkl", "name", value, 5));
	assert_string_equal(value, "abcd");
	assert_int_equal(value[5], 'Z');
	assert_true(cmdline_get("name=abcdefghijkl", "name", value, 1));
	assert_string_equal(value, "");
	/* Size 0: a presence check that writes nothing. */
	assert_true(cmdline_get("name=abc", "name", NULL, 0));
	assert_false(cmdline_get("name=abc", "other", NULL, 0));
	assert_true(cmdline_get("name=\"a b\"", "name", value, sizeof(value)));
	assert_string_equal(value, "a b");
}

static void expect_u64(const char *s, uint64_t want)
{
	uint64_t got = 0;

	if (!parse_u64(s, strlen(s), &got))
		fail_msg("parse_u64(\"%s\") failed", s);
	assert_int_equal(got, want);
}

static void expect_malformed(const char *s)
{
	uint64_t got = 0x5a5a;

	if (parse_u64(s, strlen(s), &got))
		fail_msg("parse_u64(\"%s\") accepted", s);
	assert_int_equal(got, 0x5a5a);
}

static void test_parse_numbers(void **state)
{
	(void)state;
	expect_u64("0", 0);
	expect_u64("42", 42);
	expect_u64("007", 7);	/* decimal, not octal */
	expect_u64("0x10", 16);
	expect_u64("0XfF", 255);
	expect_u64("4k", 4096);
	expect_u64("4K", 4096);
	expect_u64("3m", 3ull << 20);
	expect_u64("2G", 2ull << 30);
	expect_u64("0x10M", 16ull << 20);
	expect_u64("0x1b", 0x1b);	/* b is a digit here, not a suffix */
	expect_u64("18446744073709551615", UINT64_MAX);
	expect_u64("0xffffffffffffffff", UINT64_MAX);
	expect_u64("17179869183G", 17179869183ull << 30);
}

static void test_parse_malformed(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"", "k", "x", "0x", "0xg", "0xk", "-1", "+1", " 1", "1 ", "1.5",
		"12a", "1kk", "1kb", "1T", "0b101", "18446744073709551616",
		"0x10000000000000000", "17179869184G", "16777216T",
		"99999999999999999999999",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_malformed(bad[i]);
	/* NULL and zero length. */
	uint64_t v = 9;

	assert_false(parse_u64(NULL, 0, &v));
	assert_false(parse_u64("5", 0, &v));
	assert_int_equal(v, 9);
}

/* parse_u64 reads exactly len bytes: the rest of the buffer is not its. */
static void test_parse_respects_length(void **state)
{
	(void)state;
	char *exact = malloc(3);
	uint64_t v = 0;

	assert_non_null(exact);
	memcpy(exact, "12k", 3);	/* no NUL: ASan catches a read past */
	assert_true(parse_u64(exact, 3, &v));
	assert_int_equal(v, 12 * 1024);
	assert_true(parse_u64(exact, 2, &v));
	assert_int_equal(v, 12);
	assert_true(parse_u64(exact, 1, &v));
	assert_int_equal(v, 1);
	free(exact);
}

static void test_get_u64(void **state)
{
	(void)state;
	uint64_t v = 1;
	const char *line = "mem=512M cpus=4 cpus=0x8 bad=12q flag quoted=\"64k\"";

	assert_true(cmdline_get_u64(line, "mem", &v));
	assert_int_equal(v, 512ull << 20);
	assert_true(cmdline_get_u64(line, "cpus", &v));
	assert_int_equal(v, 8);
	assert_true(cmdline_get_u64(line, "quoted", &v));
	assert_int_equal(v, 64 * 1024);

	v = 77;
	assert_false(cmdline_get_u64(line, "bad", &v));
	assert_false(cmdline_get_u64(line, "flag", &v));
	assert_false(cmdline_get_u64(line, "absent", &v));
	assert_int_equal(v, 77);
	/* The last occurrence decides, even when it is malformed. */
	assert_false(cmdline_get_u64("n=1 n=oops", "n", &v));
	assert_int_equal(v, 77);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_tokens),
		cmocka_unit_test(test_empty_and_null),
		cmocka_unit_test(test_values_with_equals_and_empty),
		cmocka_unit_test(test_quotes),
		cmocka_unit_test(test_whole_token_quoted),
		cmocka_unit_test(test_get_last_wins),
		cmocka_unit_test(test_get_truncates),
		cmocka_unit_test(test_parse_numbers),
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_parse_respects_length),
		cmocka_unit_test(test_get_u64),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
