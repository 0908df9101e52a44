/* libFuzzer target: the command line tokenizer, lookups and number parser.
 * Tokens must stay inside the string; parse_u64 is also run on the raw,
 * unterminated input to prove it reads no further than its length. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cmdline.h"

#define CHECK(cond)                      \
	do {                             \
		if (!(cond))             \
			__builtin_trap(); \
	} while (0)

/* Keys looked up on every input: fixed ones, and the first token's. */
static const char *const keys[] = {"loglevel", "mem", "a", ""};

static void check_token(const char *line, size_t len,
			const struct cmdline_token *tok)
{
	const char *end = line + len;

	CHECK(tok->key >= line && tok->key + tok->key_len <= end);
	if (tok->value != NULL) {
		CHECK(tok->value >= tok->key + tok->key_len);
		CHECK(tok->value + tok->value_len <= end);
	} else {
		CHECK(tok->value_len == 0);
	}
}

static void check_lookups(const char *line, const char *key)
{
	char small[4], big[256];
	uint64_t v = 12345;

	bool in_small = cmdline_get(line, key, small, sizeof(small));
	bool in_big = cmdline_get(line, key, big, sizeof(big));

	CHECK(in_small == in_big);
	if (in_small) {
		CHECK(strlen(small) < sizeof(small));
		CHECK(strncmp(small, big, strlen(small)) == 0);
	}
	if (!cmdline_get_u64(line, key, &v))
		CHECK(v == 12345);
}

/* A parsed number printed in decimal parses back to itself. */
static void check_number_round_trip(const uint8_t *data, size_t size)
{
	uint64_t v, again;
	char text[32];

	if (!parse_u64((const char *)data, size, &v))
		return;
	int n = snprintf(text, sizeof(text), "%llu", (unsigned long long)v);

	CHECK(parse_u64(text, (size_t)n, &again) && again == v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = malloc(size + 1);
	struct cmdline_iter it;
	struct cmdline_token tok, first = {0};
	size_t tokens = 0;

	if (line == NULL)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	size_t len = strlen(line);

	cmdline_iter_init(&it, line);
	while (cmdline_next(&it, &tok)) {
		check_token(line, len, &tok);
		if (tokens++ == 0)
			first = tok;
		CHECK(tokens <= len);
	}
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		check_lookups(line, keys[i]);
	if (tokens > 0 && first.key_len < 64) {
		char key[64];

		memcpy(key, first.key, first.key_len);
		key[first.key_len] = '\0';
		/* The token's own key is always found. */
		CHECK(cmdline_get(line, key, NULL, 0));
		check_lookups(line, key);
	}
	check_number_round_trip(data, size);
	free(line);
	return 0;
}
