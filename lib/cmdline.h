/* Linux-style command lines: space-separated "key", "key=value" or
 * key="quoted value" tokens. Used for the hypervisor's own command line. */
#ifndef LIB_CMDLINE_H
#define LIB_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cmdline_token {
	const char *key;
	size_t key_len;
	const char *value;	/* NULL when the token has no '=' */
	size_t value_len;	/* without the surrounding quotes */
};

struct cmdline_iter {
	const char *pos;
};

void cmdline_iter_init(struct cmdline_iter *it, const char *cmdline);
/* Returns false at the end. A NULL cmdline is an empty one. */
bool cmdline_next(struct cmdline_iter *it, struct cmdline_token *tok);

/* The last occurrence of key wins, as in Linux. Returns false if absent.
 * The value is copied NUL-terminated and truncated to value_size - 1;
 * a key without '=' yields "". */
bool cmdline_get(const char *cmdline, const char *key, char *value,
		 size_t value_size);

/* Parses decimal or 0x-hex, with an optional k/K, m/M, g/G suffix.
 * Returns false if absent or malformed (then *out is unchanged). */
bool cmdline_get_u64(const char *cmdline, const char *key, uint64_t *out);

/* Parses a whole string as a number in the same syntax; false if malformed. */
bool parse_u64(const char *s, size_t len, uint64_t *out);

#endif
