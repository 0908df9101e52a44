/* Domain configs in xl.cfg(5) syntax, read the way Xen's libxlu reads them
 * (tools/libs/util/libxlu_cfg_l.l): a lexer turns the text into tokens, a
 * small parser checks each `key = value` setting, and the value is applied
 * to struct domain_config at once. Lists are checked whole first, then
 * their items are lexed a second time by the key that uses them, so no
 * memory is needed for them. Every read is bounded by the input's length;
 * no NUL terminator is assumed. docs/config.md is the user's reference. */
#include "lib/xl_config.h"

#include <stdarg.h>

#include "lib/format.h"
#include "lib/string.h"
#include "lib/xl_disk.h"
#include "lib/xl_vif.h"

/* A guest's RAM cannot exceed what 52-bit physical addresses reach
 * (AMD64 APM vol. 2, 5.3.1: MAXPHYADDR is at most 52): 2^52 bytes. */
#define MEMORY_MAX_MIB (1ull << 32)
/* xl.cfg(5) "cpu_weight": 1..65535, default 256 (Xen's credit scheduler). */
#define CPU_WEIGHT_MIN 1
#define CPU_WEIGHT_MAX 65535
#define CPU_WEIGHT_DEFAULT 256
/* xl.cfg(5) "cap": percent of one physical CPU, 0 = no cap; a domain can
 * use at most 100 per vCPU. */
#define CAP_MAX (100 * XLCFG_MAX_VCPUS)
/* How much of a value as written an error message quotes. */
#define QUOTE_MAX 40
/* The longest item of a `cpus` string ("^123-255" is 8). */
#define CPU_ITEM_MAX 24
/* The longest on_* action word we compare ("coredump-restart" is 16). */
#define ACTION_WORD_MAX 24

/* ------------------------------------------------------------------ lexer */

enum tok_kind {
	TOK_EOF,
	TOK_NEWLINE,
	TOK_IDENT,
	TOK_NUMBER,
	TOK_STRING,	/* text includes the quotes */
	TOK_EQUALS,
	TOK_SEMICOLON,
	TOK_COMMA,
	TOK_LBRACKET,
	TOK_RBRACKET,
	TOK_ERROR,	/* lexer.error says what */
};

enum lex_error {
	LEX_OK,
	LEX_UNTERMINATED_STRING,
	LEX_BAD_ESCAPE,
	LEX_NUL_IN_STRING,
	LEX_PLUS_EQUALS,
	LEX_UNEXPECTED,
};

struct token {
	enum tok_kind kind;
	const char *text;	/* as written, inside the input */
	size_t len;
	unsigned line;
};

struct lexer {
	const char *pos;
	const char *end;
	unsigned line;
	enum lex_error error;
	unsigned char bad_byte;	/* LEX_BAD_ESCAPE, LEX_UNEXPECTED */
};

static bool is_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int hex_value(char c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static char simple_escape(char c)
{
	switch (c) {
	case '\\': return '\\';
	case '"': return '"';
	case '\'': return '\'';
	case 'n': return '\n';
	case 't': return '\t';
	case 'r': return '\r';
	case 'a': return '\a';
	case 'b': return '\b';
	case 'f': return '\f';
	case 'v': return '\v';
	default: return 0;
	}
}

/* \xHH: exactly two hex digits. */
static size_t hex_escape(const char *p, const char *end, unsigned *value)
{
	if (end - p < 4 || hex_value(p[2]) < 0 || hex_value(p[3]) < 0)
		return 0;
	*value = (unsigned)(hex_value(p[2]) * 16 + hex_value(p[3]));
	return 4;
}

/* \O, \OO or \OOO in octal, at most 0377. */
static size_t octal_escape(const char *p, const char *end, unsigned *value)
{
	size_t n = 1;

	*value = 0;
	while (n <= 3 && p + n < end && p[n] >= '0' && p[n] <= '7') {
		*value = *value * 8 + (unsigned)(p[n] - '0');
		n++;
	}
	return *value > 0xff ? 0 : n;
}

/* The escape at p (a backslash, with p < end): how many bytes it takes,
 * 0 if it is not a valid one; *out is the character it stands for (the
 * C escapes libxlu's xlu__cfgl_dequote knows). */
static size_t decode_escape(const char *p, const char *end, char *out)
{
	unsigned value = 0;
	size_t n;

	if (end - p < 2)
		return 0;
	if (simple_escape(p[1]) != 0) {
		*out = simple_escape(p[1]);
		return 2;
	}
	if (p[1] == 'x')
		n = hex_escape(p, end, &value);
	else if (p[1] >= '0' && p[1] <= '7')
		n = octal_escape(p, end, &value);
	else
		return 0;
	*out = (char)value;
	return n;
}

static enum tok_kind lex_fail(struct lexer *lx, enum lex_error e,
			      unsigned char bad)
{
	lx->error = e;
	lx->bad_byte = bad;
	return TOK_ERROR;
}

/* A quoted string ends on its own line, as in libxlu. */
static enum tok_kind lex_string(struct lexer *lx)
{
	const char quote = *lx->pos;
	const char *p = lx->pos + 1;

	while (p < lx->end && *p != quote && *p != '\n') {
		char c;
		size_t n;

		if (*p == '\0')	/* would cut the C string short */
			return lex_fail(lx, LEX_NUL_IN_STRING, 0);
		if (*p != '\\') {
			p++;
			continue;
		}
		if (p + 1 >= lx->end || p[1] == '\n')
			break;
		n = decode_escape(p, lx->end, &c);
		if (n == 0)
			return lex_fail(lx, LEX_BAD_ESCAPE, (unsigned char)p[1]);
		if (c == '\0')
			return lex_fail(lx, LEX_NUL_IN_STRING, 0);
		p += n;
	}
	if (p >= lx->end || *p != quote)
		return lex_fail(lx, LEX_UNTERMINATED_STRING, 0);
	lx->pos = p + 1;
	return TOK_STRING;
}

/* Identifiers and numbers run over letters, digits and '_'; a number's
 * digits are checked by whoever reads it, so that "512M" is one token the
 * error message can quote. */
static enum tok_kind lex_word(struct lexer *lx, enum tok_kind kind)
{
	const char *p = lx->pos;

	while (p < lx->end && (is_letter(*p) || is_digit(*p)))
		p++;
	lx->pos = p;
	return kind;
}

static enum tok_kind lex_punct(struct lexer *lx)
{
	char c = *lx->pos;

	switch (c) {
	case '=': lx->pos++; return TOK_EQUALS;
	case ';': lx->pos++; return TOK_SEMICOLON;
	case ',': lx->pos++; return TOK_COMMA;
	case '[': lx->pos++; return TOK_LBRACKET;
	case ']': lx->pos++; return TOK_RBRACKET;
	case '\n': lx->pos++; return TOK_NEWLINE;
	case '"': case '\'': return lex_string(lx);
	}
	if (c == '+' && lx->end - lx->pos >= 2 && lx->pos[1] == '=')
		return lex_fail(lx, LEX_PLUS_EQUALS, 0);
	return lex_fail(lx, LEX_UNEXPECTED, (unsigned char)c);
}

/* Blanks and '\r' (files written on Windows) separate tokens; '#' starts a
 * comment that the newline after it ends. */
static void skip_blanks_and_comment(struct lexer *lx)
{
	while (lx->pos < lx->end &&
	       (*lx->pos == ' ' || *lx->pos == '\t' || *lx->pos == '\r'))
		lx->pos++;
	if (lx->pos < lx->end && *lx->pos == '#') {
		while (lx->pos < lx->end && *lx->pos != '\n')
			lx->pos++;
	}
}

static void next_token(struct lexer *lx, struct token *t)
{
	skip_blanks_and_comment(lx);
	t->text = lx->pos;
	t->line = lx->line;
	if (lx->pos >= lx->end)
		t->kind = TOK_EOF;
	else if (is_letter(*lx->pos))
		t->kind = lex_word(lx, TOK_IDENT);
	else if (is_digit(*lx->pos))
		t->kind = lex_word(lx, TOK_NUMBER);
	else
		t->kind = lex_punct(lx);
	t->len = (size_t)(lx->pos - t->text);
	if (t->kind == TOK_NEWLINE)
		lx->line++;
}

/* -------------------------------------------------------- string values */

/* The characters of a string token, escapes decoded. */
struct str_iter {
	const char *p;
	const char *end;
};

static void str_iter_init(struct str_iter *it, const struct token *t)
{
	it->p = t->text + 1;
	it->end = t->text + t->len - 1;	/* before the closing quote */
}

static bool str_next(struct str_iter *it, char *c)
{
	size_t n = 1;

	if (it->p >= it->end)
		return false;
	*c = *it->p;
	if (*it->p == '\\') {
		n = decode_escape(it->p, it->end, c);
		if (n == 0) {	/* the lexer let no such escape through */
			*c = '\\';
			n = 1;
		}
	}
	it->p += n;
	return true;
}

/* Decodes into dst (NUL-terminated, truncated to cap - 1); returns the
 * whole decoded length, so that len >= cap means "too long". */
static size_t decode_string(const struct token *t, char *dst, size_t cap)
{
	struct str_iter it;
	size_t len = 0;
	char c;

	str_iter_init(&it, t);
	while (str_next(&it, &c)) {
		if (len + 1 < cap)
			dst[len] = c;
		len++;
	}
	if (cap > 0)
		dst[len < cap ? len : cap - 1] = '\0';
	return len;
}

static bool string_equals(const struct token *t, const char *s)
{
	char word[ACTION_WORD_MAX];

	return decode_string(t, word, sizeof(word)) < sizeof(word) &&
	       strcmp(word, s) == 0;
}

/* ---------------------------------------------------------------- values */

enum value_kind {
	VALUE_STRING,
	VALUE_NUMBER,
	VALUE_LIST,
};

struct value {
	enum value_kind kind;
	struct token atom;	/* VALUE_STRING, VALUE_NUMBER */
	struct lexer list;	/* VALUE_LIST: positioned after the '[' */
	size_t count;		/* VALUE_LIST: items */
	unsigned line;		/* of the first token */
};

/* Items of a list already checked by parse_list: strings and numbers
 * between newlines and commas, up to the ']'. */
static bool list_next(struct lexer *lx, struct token *item)
{
	for (;;) {
		next_token(lx, item);
		switch (item->kind) {
		case TOK_STRING:
		case TOK_NUMBER:
			return true;
		case TOK_NEWLINE:
		case TOK_COMMA:
			continue;
		default:
			return false;
		}
	}
}

enum number_status {
	NUMBER_OK,
	NUMBER_BAD,
	NUMBER_TOO_BIG,
};

/* Decimal without leading zeros, or 0x hex: libxlu's strtol(..., 0) would
 * read "010" as octal 8, so that spelling is refused rather than guessed. */
static enum number_status parse_number(const struct token *t, uint64_t *out)
{
	const char *p = t->text, *end = t->text + t->len;
	unsigned base = 10;
	uint64_t v = 0;

	if (t->len > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	} else if (t->len > 1 && p[0] == '0') {
		return NUMBER_BAD;
	}
	if (p == end)
		return NUMBER_BAD;
	bool too_big = false;

	for (; p < end; p++) {
		int d = hex_value(*p);

		if (d < 0 || (unsigned)d >= base)
			return NUMBER_BAD;
		if (v > (UINT64_MAX - (uint64_t)d) / base)
			too_big = true;
		v = v * base + (uint64_t)d;
	}
	*out = v;
	return too_big ? NUMBER_TOO_BIG : NUMBER_OK;
}

/* ---------------------------------------------------------- diagnostics */

/* The keys the parser reads (key_names below). */
enum key_id {
	KEY_NAME,
	KEY_MEMORY,
	KEY_VCPUS,
	KEY_MAXVCPUS,
	KEY_KERNEL,
	KEY_RAMDISK,
	KEY_CMDLINE,
	KEY_EXTRA,
	KEY_ROOT,
	KEY_CPU_WEIGHT,
	KEY_CAP,
	KEY_CPUS,
	KEY_ON_POWEROFF,
	KEY_ON_REBOOT,
	KEY_ON_CRASH,
	KEY_DISK,
	KEY_VIF,
	KEY_COUNT,
	KEY_UNKNOWN = KEY_COUNT,
};

struct parser {
	struct lexer lx;
	struct domain_config *cfg;
	struct xlcfg_diagnostic *err;
	xlcfg_warn_fn warn;
	void *warn_ctx;
	const char *key;	/* of the setting being read */
	size_t key_len;
	unsigned seen[KEY_COUNT]; /* line each key was last set on, 0 = not */
	struct token root;	/* `root` and `extra`, composed at the end */
	struct token extra;
	uint64_t maxvcpus;
};

static void fill_diagnostic(struct xlcfg_diagnostic *d, unsigned line,
			    const char *key, size_t key_len, const char *fmt,
			    va_list ap)
{
	if (key_len >= sizeof(d->key))
		key_len = sizeof(d->key) - 1;
	d->line = line;
	memcpy(d->key, key, key_len);
	d->key[key_len] = '\0';
	fmt_vsnprintf(d->message, sizeof(d->message), fmt, ap);
	/* Values quoted from the file may hold control characters; a
	 * diagnostic stays one printable line. */
	for (char *c = d->message; *c != '\0'; c++) {
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	}
}

/* Records the error for the current key; always returns false. */
__attribute__((format(printf, 3, 4)))
static bool fail(struct parser *p, unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fill_diagnostic(p->err, line, p->key, p->key_len, fmt, ap);
	va_end(ap);
	return false;
}

/* A syntax error: no key, "syntax: " before the message. */
__attribute__((format(printf, 3, 4)))
static bool fail_syntax(struct parser *p, unsigned line, const char *fmt, ...)
{
	char message[sizeof(p->err->message)];
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	p->key_len = 0;
	return fail(p, line, "syntax: %s", message);
}

__attribute__((format(printf, 3, 4)))
static void warn(struct parser *p, unsigned line, const char *fmt, ...)
{
	struct xlcfg_diagnostic w;
	va_list ap;

	if (p->warn == NULL)
		return;
	va_start(ap, fmt);
	fill_diagnostic(&w, line, p->key, p->key_len, fmt, ap);
	va_end(ap);
	p->warn(p->warn_ctx, &w);
}

/* A token as written, for messages: at most QUOTE_MAX characters, control
 * bytes shown as '?' so that a message stays one printable line. */
static const char *quote_token(const struct token *t, char *buf, size_t cap)
{
	size_t n = t->len, out = 0;
	bool cut = n > QUOTE_MAX;

	if (cut)
		n = QUOTE_MAX - 3;
	for (size_t i = 0; i < n && out + 1 < cap; i++) {
		unsigned char c = (unsigned char)t->text[i];

		buf[out++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	for (int i = 0; cut && i < 3 && out + 1 < cap; i++)
		buf[out++] = '.';
	buf[out] = '\0';
	return buf;
}

static const char *quote_value(const struct value *v, char *buf, size_t cap)
{
	if (v->kind == VALUE_LIST)
		return "a list";
	return quote_token(&v->atom, buf, cap);
}

/* -------------------------------------------------------------- parser */

static bool lex_error(struct parser *p, const struct token *t)
{
	const struct lexer *lx = &p->lx;

	switch (lx->error) {
	case LEX_UNTERMINATED_STRING:
		return fail_syntax(p, t->line, "unterminated string");
	case LEX_BAD_ESCAPE:
		if (lx->bad_byte >= 0x20 && lx->bad_byte < 0x7f)
			return fail_syntax(p, t->line,
					   "invalid escape '\\%c' in string",
					   lx->bad_byte);
		return fail_syntax(p, t->line, "invalid escape in string");
	case LEX_NUL_IN_STRING:
		return fail_syntax(p, t->line, "a string cannot hold NUL");
	case LEX_PLUS_EQUALS:
		return fail_syntax(p, t->line, "'+=' is not supported");
	default:
		if (lx->bad_byte > 0x20 && lx->bad_byte < 0x7f)
			return fail_syntax(p, t->line,
					   "unexpected character '%c'",
					   lx->bad_byte);
		return fail_syntax(p, t->line, "unexpected byte 0x%02x",
				   lx->bad_byte);
	}
}

/* Next token; false (with the error recorded) if it is not a token. */
static bool get_token(struct parser *p, struct token *t)
{
	next_token(&p->lx, t);
	return t->kind != TOK_ERROR || lex_error(p, t);
}

static void skip_newlines(struct parser *p, struct token *t, bool *ok)
{
	while ((*ok = get_token(p, t)) && t->kind == TOK_NEWLINE)
		;
}

/* After the '[': items, commas, newlines, an optional trailing comma, ']'.
 * Leaves v->list positioned after the '[' for list_next. */
static bool parse_list(struct parser *p, struct value *v)
{
	struct token t;
	bool ok, want_item = true;

	v->kind = VALUE_LIST;
	v->list = p->lx;
	v->count = 0;
	for (;;) {
		skip_newlines(p, &t, &ok);
		if (!ok)
			return false;
		if (t.kind == TOK_RBRACKET)
			return true;
		if (t.kind == TOK_EOF)
			return fail_syntax(p, v->line,
					   "unterminated list (no ']')");
		if (want_item && (t.kind == TOK_STRING || t.kind == TOK_NUMBER)) {
			v->count++;
			want_item = false;
		} else if (!want_item && t.kind == TOK_COMMA) {
			want_item = true;
		} else if (t.kind == TOK_LBRACKET) {
			return fail_syntax(p, t.line, "lists cannot be nested");
		} else {
			return fail_syntax(p, t.line, want_item ?
					   "expected a value or ']' in list" :
					   "expected ',' or ']' in list");
		}
	}
}

static bool parse_value(struct parser *p, struct value *v)
{
	struct token t;

	if (!get_token(p, &t))
		return false;
	v->line = t.line;
	v->atom = t;
	switch (t.kind) {
	case TOK_STRING:
		v->kind = VALUE_STRING;
		return true;
	case TOK_NUMBER:
		v->kind = VALUE_NUMBER;
		return true;
	case TOK_LBRACKET:
		return parse_list(p, v);
	default:
		return fail_syntax(p, t.line, "expected a value after '='");
	}
}

/* ------------------------------------------------------ typed settings */

static bool want_string(struct parser *p, const struct value *v)
{
	char q[QUOTE_MAX + 1];

	if (v->kind == VALUE_STRING)
		return true;
	return fail(p, v->line, "want a \"string\", got %s",
		    quote_value(v, q, sizeof(q)));
}

/* A string that must fit in dst[cap]; empty allowed when allow_empty. */
static bool set_string(struct parser *p, const struct value *v, char *dst,
		       size_t cap, bool allow_empty)
{
	if (!want_string(p, v))
		return false;
	size_t len = decode_string(&v->atom, dst, cap);

	if (len >= cap)
		return fail(p, v->line, "longer than %zu characters", cap - 1);
	if (len == 0 && !allow_empty)
		return fail(p, v->line, "must not be empty");
	return true;
}

/* A number in [min, max]; `what` names the unit for the error message. */
static bool set_number(struct parser *p, const struct value *v,
		       const char *what, uint64_t min, uint64_t max,
		       uint64_t *out)
{
	char q[QUOTE_MAX + 1];
	enum number_status s = NUMBER_BAD;

	if (v->kind == VALUE_NUMBER)
		s = parse_number(&v->atom, out);
	if (s == NUMBER_BAD)
		return fail(p, v->line, "want %s, got %s", what,
			    quote_value(v, q, sizeof(q)));
	if (s == NUMBER_TOO_BIG || *out < min || *out > max)
		return fail(p, v->line, "%s is out of range %llu..%llu",
			    quote_value(v, q, sizeof(q)),
			    (unsigned long long)min, (unsigned long long)max);
	return true;
}

static bool set_u32(struct parser *p, const struct value *v, uint32_t min,
		    uint32_t max, uint32_t *out)
{
	uint64_t n;

	if (!set_number(p, v, "a number", min, max, &n))
		return false;
	*out = (uint32_t)n;
	return true;
}

static bool name_char_ok(char c)
{
	return is_letter(c) || is_digit(c) || c == '.' || c == '-';
}

static bool set_name(struct parser *p, const struct value *v)
{
	char *name = p->cfg->name;

	if (!set_string(p, v, name, XLCFG_NAME_MAX, false))
		return false;
	for (const char *c = name; *c != '\0'; c++) {
		if (!name_char_ok(*c))
			return fail(p, v->line,
				    "\"%s\": only letters, digits, '_', '.' and '-'",
				    name);
	}
	return true;
}

/* The longest command line `root` or `extra` alone may give. */
static bool check_cmdline_part(struct parser *p, const struct value *v,
			       struct token *keep)
{
	char scratch[1];

	if (!want_string(p, v))
		return false;
	if (decode_string(&v->atom, scratch, 0) >= XLCFG_CMDLINE_MAX)
		return fail(p, v->line, "longer than %d characters",
			    XLCFG_CMDLINE_MAX - 1);
	*keep = v->atom;
	return true;
}

static bool set_action(struct parser *p, const struct value *v,
		       enum xlcfg_action *out)
{
	static const char *const unsupported[] = {
		"rename-restart", "coredump-destroy", "coredump-restart",
		"soft-reset",
	};
	char q[QUOTE_MAX + 1];

	if (!want_string(p, v))
		return false;
	for (int a = XLCFG_ACTION_DESTROY; a <= XLCFG_ACTION_PRESERVE; a++) {
		if (string_equals(&v->atom, xlcfg_action_name(a))) {
			*out = (enum xlcfg_action)a;
			return true;
		}
	}
	for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++) {
		if (string_equals(&v->atom, unsupported[i]))
			return fail(p, v->line,
				    "\"%s\" is not supported (use destroy, restart or preserve)",
				    unsupported[i]);
	}
	return fail(p, v->line, "want destroy, restart or preserve, got %s",
		    quote_value(v, q, sizeof(q)));
}

/* Each entry checked here, so that a bad one names its file and line;
 * the device builders parse them again. */
static bool disk_spec_ok(const char *spec, unsigned index, char *err,
			 size_t err_len)
{
	struct xl_disk disk;

	(void)index;
	return xl_disk_parse(spec, &disk, err, err_len);
}

/* The domain's name only picks a default MAC: any will do to check. */
static bool vif_spec_ok(const char *spec, unsigned index, char *err,
			size_t err_len)
{
	struct xl_vif vif;

	return xl_vif_parse(spec, "check", index, &vif, err, err_len);
}

/* disk and vif: a list of strings, each kept as written (after escapes),
 * "" included: xl's `vif = [ '' ]` asks for one default interface. */
static bool set_devices(struct parser *p, const struct value *v,
			char list[][XLCFG_DEVICE_SPEC_MAX], size_t *count,
			bool (*spec_ok)(const char *spec, unsigned index,
					char *err, size_t err_len))
{
	char err[80];

	char q[QUOTE_MAX + 1];
	struct lexer lx = v->list;
	struct token item;

	if (v->kind != VALUE_LIST)
		return fail(p, v->line, "want a [ list ] of strings, got %s",
			    quote_value(v, q, sizeof(q)));
	*count = 0;
	while (list_next(&lx, &item)) {
		if (item.kind != TOK_STRING)
			return fail(p, item.line, "want a \"string\", got %s",
				    quote_token(&item, q, sizeof(q)));
		if (*count == XLCFG_MAX_DEVICES)
			return fail(p, item.line, "more than %d entries",
				    XLCFG_MAX_DEVICES);
		if (decode_string(&item, list[*count], XLCFG_DEVICE_SPEC_MAX) >=
		    XLCFG_DEVICE_SPEC_MAX)
			return fail(p, item.line,
				    "entry longer than %d characters",
				    XLCFG_DEVICE_SPEC_MAX - 1);
		if (!spec_ok(list[*count], (unsigned)*count, err, sizeof(err)))
			return fail(p, item.line, "%s", err);
		(*count)++;
	}
	return true;
}

/* ------------------------------------------------------------ cpus mask */

typedef uint64_t cpu_mask[XLCFG_MAX_CPUS / 64];

static void mask_range(cpu_mask m, unsigned first, unsigned last, bool set)
{
	for (unsigned c = first; c <= last; c++) {
		if (set)
			m[c / 64] |= 1ull << (c % 64);
		else
			m[c / 64] &= ~(1ull << (c % 64));
	}
}

static bool mask_empty(const cpu_mask m)
{
	for (size_t i = 0; i < XLCFG_MAX_CPUS / 64; i++) {
		if (m[i] != 0)
			return false;
	}
	return true;
}

/* A CPU index in decimal, up to XLCFG_MAX_CPUS - 1; *bad tells a number
 * out of range (for the message) from a non-number. */
static bool parse_cpu(const char **s, unsigned *cpu, bool *too_big)
{
	const char *p = *s;
	unsigned v = 0;

	*too_big = false;
	if (!is_digit(*p))
		return false;
	for (; is_digit(*p); p++) {
		v = v * 10 + (unsigned)(*p - '0');
		if (v >= XLCFG_MAX_CPUS) {
			*too_big = true;
			v = XLCFG_MAX_CPUS;	/* stays above the limit */
		}
	}
	*s = p;
	*cpu = v;
	return !*too_big;
}

/* One item of a cpus string, NUL-terminated and trimmed: "all", "N",
 * "N-M", each optionally after '^' (which removes those CPUs), applied to
 * m in order as xl's parse_cpurange does. */
static bool apply_cpu_item(struct parser *p, unsigned line, const char *item,
			   cpu_mask m)
{
	const char *s = item;
	bool remove = *s == '^', too_big;
	unsigned first, last;

	if (remove)
		s++;
	if (strcmp(s, "all") == 0) {
		mask_range(m, 0, XLCFG_MAX_CPUS - 1, !remove);
		return true;
	}
	if (strncmp(s, "nodes:", 6) == 0)
		return fail(p, line, "\"%s\": NUMA node sets are not supported",
			    item);
	if (!parse_cpu(&s, &first, &too_big))
		goto bad;
	last = first;
	if (*s == '-') {
		s++;
		if (!parse_cpu(&s, &last, &too_big))
			goto bad;
	}
	if (*s != '\0')
		goto bad;
	if (last < first)
		return fail(p, line, "\"%s\": range ends before it starts", item);
	mask_range(m, first, last, !remove);
	return true;
bad:
	if (too_big)
		return fail(p, line, "\"%s\": CPUs are numbered 0..%d", item,
			    XLCFG_MAX_CPUS - 1);
	return fail(p, line, "\"%s\" is not a CPU, a range or \"all\"", item);
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Trims blanks and applies the item collected in buf[0..len). */
static bool finish_cpu_item(struct parser *p, unsigned line, char *buf,
			    size_t len, cpu_mask m)
{
	char *start = buf;

	while (len > 0 && is_blank(buf[len - 1]))
		len--;
	buf[len] = '\0';
	while (is_blank(*start))
		start++;
	return apply_cpu_item(p, line, start, m);
}

/* A cpus string: items separated by commas, into the mask m. */
static bool apply_cpu_string(struct parser *p, const struct token *t,
			     cpu_mask m)
{
	char buf[CPU_ITEM_MAX + 1];
	struct str_iter it;
	size_t len = 0;
	char c;

	str_iter_init(&it, t);
	for (;;) {
		bool more = str_next(&it, &c);

		if (!more || c == ',') {
			if (len > CPU_ITEM_MAX)
				return fail(p, t->line,
					    "\"%.*s...\" is not a CPU, a range or \"all\"",
					    CPU_ITEM_MAX, buf);
			if (!finish_cpu_item(p, t->line, buf, len, m))
				return false;
			if (!more)
				return true;
			len = 0;
			continue;
		}
		if (len < CPU_ITEM_MAX)
			buf[len] = c;
		len++;
	}
}

/* One cpus value, a string or a number, into a fresh mask. */
static bool cpu_value_mask(struct parser *p, const struct token *t,
			   cpu_mask m)
{
	char q[QUOTE_MAX + 1];
	uint64_t n;

	memset(m, 0, sizeof(cpu_mask));
	if (t->kind == TOK_NUMBER) {
		if (parse_number(t, &n) != NUMBER_OK || n >= XLCFG_MAX_CPUS)
			return fail(p, t->line, "%s: CPUs are numbered 0..%d",
				    quote_token(t, q, sizeof(q)),
				    XLCFG_MAX_CPUS - 1);
		mask_range(m, (unsigned)n, (unsigned)n, true);
		return true;
	}
	if (!apply_cpu_string(p, t, m))
		return false;
	if (mask_empty(m))
		return fail(p, t->line, "%s selects no CPU",
			    quote_token(t, q, sizeof(q)));
	return true;
}

/* cpus = "0-3,6" | 2 | [ "0-1", 3 ]. xl pins vCPU i to list item i; one
 * mask per domain here, so a list gives the union (and says so). */
static bool set_cpus(struct parser *p, const struct value *v)
{
	struct domain_config *c = p->cfg;
	cpu_mask item;

	memset(c->cpus, 0, sizeof(c->cpus));
	if (v->kind != VALUE_LIST) {
		if (!cpu_value_mask(p, &v->atom, item))
			return false;
		memcpy(c->cpus, item, sizeof(item));
	} else {
		struct lexer lx = v->list;
		struct token t;

		if (v->count == 0)
			return fail(p, v->line, "an empty list selects no CPU");
		while (list_next(&lx, &t)) {
			if (!cpu_value_mask(p, &t, item))
				return false;
			for (size_t i = 0; i < XLCFG_MAX_CPUS / 64; i++)
				c->cpus[i] |= item[i];
		}
		if (v->count > 1)
			warn(p, v->line,
			     "xl pins vCPU i to item i; here every vCPU gets the union of the %zu items",
			     v->count);
	}
	c->cpus_given = true;
	return true;
}

/* ------------------------------------------------------------------ keys */

static const char *const key_names[KEY_COUNT] = {
	[KEY_NAME] = "name",
	[KEY_MEMORY] = "memory",
	[KEY_VCPUS] = "vcpus",
	[KEY_MAXVCPUS] = "maxvcpus",
	[KEY_KERNEL] = "kernel",
	[KEY_RAMDISK] = "ramdisk",
	[KEY_CMDLINE] = "cmdline",
	[KEY_EXTRA] = "extra",
	[KEY_ROOT] = "root",
	[KEY_CPU_WEIGHT] = "cpu_weight",
	[KEY_CAP] = "cap",
	[KEY_CPUS] = "cpus",
	[KEY_ON_POWEROFF] = "on_poweroff",
	[KEY_ON_REBOOT] = "on_reboot",
	[KEY_ON_CRASH] = "on_crash",
	[KEY_DISK] = "disk",
	[KEY_VIF] = "vif",
};

/* xl.cfg(5) keys that mean something to Xen but not here: accepted with a
 * warning that says so, where an unknown key gets "unknown key". */
static const char *const ignored_keys[] = {
	"type", "builder", "boot", "serial", "on_watchdog", "on_soft_reset",
	"uuid", "bootloader", "bootloader_args", "maxmem", "pool", "cpus_soft",
	"device_model_version", "device_model_override", "vnc", "vnclisten",
	"vncdisplay", "vncunused", "vncpasswd", "sdl", "opengl", "vga",
	"stdvga", "videoram", "usb", "usbdevice", "usbctrl", "usbdev", "acpi",
	"apic", "pae", "hap", "nestedhvm", "viridian", "localtime",
	"rtc_timeoffset", "tsc_mode", "seclabel", "vfb", "vkb", "channel",
	"pci", "xen_platform_pci", "shadow_memory", "soundhw", "keymap",
	"nographic", "hpet", "timer_mode", "vtpm", "p9", "firmware", "bios",
	"pvh", "console", "max_grant_frames", "max_maptrack_frames",
	"e820_host", "claim_mode", "driver_domain", "device_tree",
	"gic_version", "vuart",
};

static bool key_is(const struct parser *p, const char *name)
{
	return strlen(name) == p->key_len && memcmp(p->key, name, p->key_len) == 0;
}

static enum key_id find_key(const struct parser *p)
{
	for (int k = 0; k < KEY_COUNT; k++) {
		if (key_is(p, key_names[k]))
			return (enum key_id)k;
	}
	return KEY_UNKNOWN;
}

static void warn_unused_key(struct parser *p, unsigned line)
{
	for (size_t i = 0; i < sizeof(ignored_keys) / sizeof(ignored_keys[0]); i++) {
		if (key_is(p, ignored_keys[i])) {
			warn(p, line, "not used by Vesta, ignored");
			return;
		}
	}
	warn(p, line, "unknown key, ignored");
}

static bool apply(struct parser *p, enum key_id k, const struct value *v)
{
	struct domain_config *c = p->cfg;

	switch (k) {
	case KEY_NAME:
		return set_name(p, v);
	case KEY_MEMORY:
		return set_number(p, v, "a number of MiB", 1, MEMORY_MAX_MIB,
				  &c->memory_mib);
	case KEY_VCPUS:
		return set_u32(p, v, 1, XLCFG_MAX_VCPUS, &c->vcpus);
	case KEY_MAXVCPUS:
		return set_number(p, v, "a number", 1, XLCFG_MAX_VCPUS,
				  &p->maxvcpus);
	case KEY_KERNEL:
		return set_string(p, v, c->kernel, XLCFG_PATH_MAX, false);
	case KEY_RAMDISK:
		return set_string(p, v, c->ramdisk, XLCFG_PATH_MAX, true);
	case KEY_CMDLINE:
		return set_string(p, v, c->cmdline, XLCFG_CMDLINE_MAX, true);
	case KEY_EXTRA:
		return check_cmdline_part(p, v, &p->extra);
	case KEY_ROOT:
		return check_cmdline_part(p, v, &p->root);
	case KEY_CPU_WEIGHT:
		return set_u32(p, v, CPU_WEIGHT_MIN, CPU_WEIGHT_MAX,
			       &c->cpu_weight);
	case KEY_CAP:
		return set_u32(p, v, 0, CAP_MAX, &c->cap);
	case KEY_CPUS:
		return set_cpus(p, v);
	case KEY_ON_POWEROFF:
		return set_action(p, v, &c->on_poweroff);
	case KEY_ON_REBOOT:
		return set_action(p, v, &c->on_reboot);
	case KEY_ON_CRASH:
		return set_action(p, v, &c->on_crash);
	case KEY_DISK:
		return set_devices(p, v, c->disk, &c->disk_count, disk_spec_ok);
	case KEY_VIF:
		return set_devices(p, v, c->vif, &c->vif_count, vif_spec_ok);
	default:
		return true;
	}
}

static bool parse_setting(struct parser *p, const struct token *key)
{
	struct token t;
	struct value v;

	p->key = key->text;
	p->key_len = key->len;
	if (!get_token(p, &t))
		return false;
	if (t.kind != TOK_EQUALS)
		return fail_syntax(p, t.line, "expected '=' after key");
	if (!parse_value(p, &v))
		return false;
	if (!get_token(p, &t))
		return false;
	if (t.kind != TOK_NEWLINE && t.kind != TOK_SEMICOLON &&
	    t.kind != TOK_EOF)
		return fail_syntax(p, t.line,
				   "expected ';' or a new line after the value");

	p->key = key->text;	/* fail_syntax cleared it */
	p->key_len = key->len;
	enum key_id k = find_key(p);

	if (k == KEY_UNKNOWN) {
		warn_unused_key(p, key->line);
		return true;
	}
	if (p->seen[k] != 0)
		warn(p, key->line, "set again, replaces line %u", p->seen[k]);
	p->seen[k] = key->line;
	return apply(p, k, &v);
}

/* ------------------------------------------------------- after the text */

/* Diagnostics after the text name the key they are about. */
static void select_key(struct parser *p, enum key_id k)
{
	p->key = key_names[k];
	p->key_len = strlen(key_names[k]);
}

static bool check_required(struct parser *p)
{
	static const enum key_id required[] = {KEY_NAME, KEY_MEMORY, KEY_KERNEL};

	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		if (p->seen[required[i]] == 0) {
			select_key(p, required[i]);
			return fail(p, 0, "missing (required)");
		}
	}
	return true;
}

/* xl accepts maxvcpus > vcpus for vCPU hot-plug, which Vesta lacks. */
static bool check_maxvcpus(struct parser *p)
{
	unsigned line = p->seen[KEY_MAXVCPUS];
	uint32_t vcpus = p->cfg->vcpus;

	if (line == 0)
		return true;
	select_key(p, KEY_MAXVCPUS);
	if (p->maxvcpus < vcpus)
		return fail(p, line, "%llu is less than vcpus (%u)",
			    (unsigned long long)p->maxvcpus, vcpus);
	if (p->maxvcpus > vcpus)
		warn(p, line, "no vCPU hot-plug: the domain has vcpus = %u",
		     vcpus);
	return true;
}

/* Appends a string token's text to dst at *len; false if it overflows. */
static bool append(char *dst, size_t cap, size_t *len, const struct token *t)
{
	size_t n = decode_string(t, dst + *len, cap - *len);

	*len += n;
	return *len < cap;
}

static bool append_text(char *dst, size_t cap, size_t *len, const char *s)
{
	size_t n = strlen(s);

	if (*len + n >= cap)
		return false;
	memcpy(dst + *len, s, n + 1);
	*len += n;
	return true;
}

/* xl.cfg(5): cmdline wins; otherwise the command line is "root=ROOT EXTRA"
 * from whichever of the two is set. */
static bool compose_cmdline(struct parser *p)
{
	static const enum key_id parts[] = {KEY_ROOT, KEY_EXTRA};
	char *dst = p->cfg->cmdline;
	size_t len = 0;
	bool fits = true;

	if (p->seen[KEY_CMDLINE] != 0) {
		for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
			if (p->seen[parts[i]] == 0)
				continue;
			select_key(p, parts[i]);
			warn(p, p->seen[parts[i]],
			     "ignored: cmdline (line %u) wins",
			     p->seen[KEY_CMDLINE]);
		}
		return true;
	}
	dst[0] = '\0';
	if (p->seen[KEY_ROOT] != 0)
		fits = append_text(dst, XLCFG_CMDLINE_MAX, &len, "root=") &&
		       append(dst, XLCFG_CMDLINE_MAX, &len, &p->root);
	if (fits && p->seen[KEY_ROOT] != 0 && p->seen[KEY_EXTRA] != 0)
		fits = append_text(dst, XLCFG_CMDLINE_MAX, &len, " ");
	if (fits && p->seen[KEY_EXTRA] != 0)
		fits = append(dst, XLCFG_CMDLINE_MAX, &len, &p->extra);
	if (fits)
		return true;
	enum key_id last = p->seen[KEY_EXTRA] != 0 ? KEY_EXTRA : KEY_ROOT;

	select_key(p, last);
	return fail(p, p->seen[last],
		    "\"root=ROOT EXTRA\" is longer than %d characters",
		    XLCFG_CMDLINE_MAX - 1);
}

static void set_defaults(struct domain_config *c)
{
	memset(c, 0, sizeof(*c));
	c->vcpus = 1;
	c->cpu_weight = CPU_WEIGHT_DEFAULT;
	memset(c->cpus, 0xff, sizeof(c->cpus));
	c->on_poweroff = XLCFG_ACTION_DESTROY;
	c->on_reboot = XLCFG_ACTION_RESTART;
	c->on_crash = XLCFG_ACTION_DESTROY;
}

/* Settings, empty statements (';' or a blank line) until the end. */
static bool parse_file(struct parser *p)
{
	struct token t;

	for (;;) {
		if (!get_token(p, &t))
			return false;
		switch (t.kind) {
		case TOK_EOF:
			return true;
		case TOK_NEWLINE:
		case TOK_SEMICOLON:
			continue;
		case TOK_IDENT:
			if (!parse_setting(p, &t))
				return false;
			continue;
		default:
			return fail_syntax(p, t.line,
					   "expected a key at the start of a setting");
		}
	}
}

bool xlcfg_parse(const char *text, size_t len, struct domain_config *out,
		 struct xlcfg_diagnostic *err, xlcfg_warn_fn warn_fn, void *ctx)
{
	struct xlcfg_diagnostic unused;
	struct parser p = {
		.lx = {.pos = text, .end = text + len, .line = 1},
		.cfg = out,
		.err = err != NULL ? err : &unused,
		.warn = warn_fn,
		.warn_ctx = ctx,
		.key = "",
	};

	if (text == NULL)
		p.lx.end = p.lx.pos = "";
	set_defaults(out);
	return parse_file(&p) && check_required(&p) && check_maxvcpus(&p) &&
	       compose_cmdline(&p);
}

bool xlcfg_cpu_allowed(const struct domain_config *c, unsigned cpu)
{
	if (cpu >= XLCFG_MAX_CPUS)
		return !c->cpus_given;
	return (c->cpus[cpu / 64] >> (cpu % 64)) & 1;
}

const char *xlcfg_action_name(enum xlcfg_action a)
{
	switch (a) {
	case XLCFG_ACTION_DESTROY: return "destroy";
	case XLCFG_ACTION_RESTART: return "restart";
	case XLCFG_ACTION_PRESERVE: return "preserve";
	default: return "unknown";
	}
}
