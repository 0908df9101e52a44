/* Command line tokenizer with the rules of Linux's next_arg()
 * (lib/cmdline.c there): whitespace separates tokens except inside double
 * quotes; the first '=' splits key from value; a quote opening the value,
 * or the whole token ("key=a b"), is dropped with the token's closing
 * quote. The input is read only up to its NUL terminator. */
#include "lib/cmdline.h"

#include "lib/string.h"

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

void cmdline_iter_init(struct cmdline_iter *it, const char *cmdline)
{
	it->pos = cmdline == NULL ? "" : cmdline;
}

/* The end of the token starting at p: the first whitespace outside quotes,
 * or the NUL. *equals is the first '=' (NULL if none). */
static const char *scan_token(const char *p, bool in_quote,
			      const char **equals)
{
	*equals = NULL;
	for (; *p != '\0' && (in_quote || !is_space(*p)); p++) {
		if (*p == '=' && *equals == NULL)
			*equals = p;
		if (*p == '"')
			in_quote = !in_quote;
	}
	return p;
}

bool cmdline_next(struct cmdline_iter *it, struct cmdline_token *tok)
{
	const char *p = it->pos;
	const char *equals, *end;
	bool whole_quoted;

	while (is_space(*p))
		p++;
	if (*p == '\0') {
		it->pos = p;
		return false;
	}
	whole_quoted = *p == '"';
	if (whole_quoted)
		p++;
	end = scan_token(p, whole_quoted, &equals);
	it->pos = end;

	tok->key = p;
	tok->value = equals == NULL ? NULL : equals + 1;
	bool value_quoted = tok->value != NULL && *tok->value == '"';

	if (value_quoted)
		tok->value++;
	/* One closing quote goes, unless it is the opening one itself. */
	const char *content = tok->value != NULL ? tok->value : tok->key;

	if ((whole_quoted || value_quoted) && end > content && end[-1] == '"')
		end--;
	tok->key_len = (size_t)((equals != NULL ? equals : end) - tok->key);
	tok->value_len = tok->value == NULL ? 0 : (size_t)(end - tok->value);
	return true;
}

static bool key_matches(const struct cmdline_token *tok, const char *key)
{
	size_t len = strlen(key);

	return tok->key_len == len && memcmp(tok->key, key, len) == 0;
}

/* The last token named key, as Linux lets later parameters override. */
static bool find_last(const char *cmdline, const char *key,
		      struct cmdline_token *found)
{
	struct cmdline_iter it;
	struct cmdline_token tok;
	bool seen = false;

	cmdline_iter_init(&it, cmdline);
	while (cmdline_next(&it, &tok)) {
		if (key_matches(&tok, key)) {
			*found = tok;
			seen = true;
		}
	}
	return seen;
}

bool cmdline_get(const char *cmdline, const char *key, char *value,
		 size_t value_size)
{
	struct cmdline_token tok;

	if (!find_last(cmdline, key, &tok))
		return false;
	if (value_size == 0)
		return true;

	size_t n = tok.value_len < value_size - 1 ? tok.value_len : value_size - 1;

	if (n > 0)
		memcpy(value, tok.value, n);
	value[n] = '\0';
	return true;
}

bool cmdline_get_u64(const char *cmdline, const char *key, uint64_t *out)
{
	struct cmdline_token tok;

	if (!find_last(cmdline, key, &tok) || tok.value == NULL)
		return false;
	return parse_u64(tok.value, tok.value_len, out);
}

/* Binary multiples, as Linux's memparse(): 1k = 1024. */
static unsigned suffix_shift(char c)
{
	switch (c) {
	case 'k': case 'K': return 10;
	case 'm': case 'M': return 20;
	case 'g': case 'G': return 30;
	default: return 0;
	}
}

/* Value of a digit in base 16 or 10; -1 when c is not one. */
static int digit_value(char c, unsigned base)
{
	int v = -1;

	if (c >= '0' && c <= '9')
		v = c - '0';
	else if (base == 16 && c >= 'a' && c <= 'f')
		v = c - 'a' + 10;
	else if (base == 16 && c >= 'A' && c <= 'F')
		v = c - 'A' + 10;
	return v;
}

/* Accumulates digits [s, s+len) in base; false on overflow or a non-digit. */
static bool parse_digits(const char *s, size_t len, unsigned base,
			 uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		int d = digit_value(s[i], base);

		if (d < 0 || v > (UINT64_MAX - (uint64_t)d) / base)
			return false;
		v = v * base + (uint64_t)d;
	}
	*out = v;
	return true;
}

bool parse_u64(const char *s, size_t len, uint64_t *out)
{
	unsigned base = 10;
	unsigned shift = 0;
	uint64_t v;

	if (s == NULL || len == 0)
		return false;
	if (len > 1 && (shift = suffix_shift(s[len - 1])) != 0)
		len--;
	if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		len -= 2;
	}
	if (!parse_digits(s, len, base, &v))
		return false;
	if (shift != 0 && v > (UINT64_MAX >> shift))
		return false;
	*out = v << shift;
	return true;
}
