#include "core/options.h"
#include "lib/cmdline.h"
#include "lib/string.h"

#define OPTION_VALUE_MAX 32

static const char *const fault_names[] = {
	[DEBUG_FAULT_PAGE] = "pf",
	[DEBUG_FAULT_GENERAL_PROTECTION] = "gp",
	[DEBUG_FAULT_INVALID_OPCODE] = "ud",
	[DEBUG_FAULT_DIVIDE] = "de",
};

static bool token_is(const struct cmdline_token *t, const char *key)
{
	return t->key_len == strlen(key) && memcmp(t->key, key, t->key_len) == 0;
}

static void token_value(const struct cmdline_token *t, char *buf, size_t size)
{
	size_t len = t->value ? t->value_len : 0;

	if (len >= size)
		len = size - 1;
	if (len)
		memcpy(buf, t->value, len);
	buf[len] = '\0';
}

static bool parse_fault(const char *value, enum debug_fault_kind *out)
{
	for (unsigned i = 1; i < sizeof(fault_names) / sizeof(fault_names[0]); i++) {
		if (strcmp(value, fault_names[i]) == 0) {
			*out = (enum debug_fault_kind)i;
			return true;
		}
	}
	return false;
}

static void option_apply(const struct cmdline_token *t, struct hv_options *out)
{
	char value[OPTION_VALUE_MAX];
	uint64_t number;

	token_value(t, value, sizeof(value));
	if (token_is(t, "loglevel")) {
		if (!log_parse_level(value, &out->log_level))
			log_err("cmdline: error: loglevel='%s': want err, warn, info or debug\n",
				value);
	} else if (token_is(t, "debug.fault")) {
		if (!parse_fault(value, &out->debug_fault))
			log_err("cmdline: error: debug.fault='%s': want pf, gp, ud or de\n",
				value);
	} else if (token_is(t, "debug.fault_cpu")) {
		if (parse_u64(value, strlen(value), &number) && number < 0x10000)
			out->debug_fault_cpu = (unsigned)number;
		else
			log_err("cmdline: error: debug.fault_cpu='%s': want a CPU number\n",
				value);
	} else if (token_is(t, "debug.burn") || token_is(t, "debug.churn")) {
		uint64_t *slot = token_is(t, "debug.burn") ? &out->debug_burn
							   : &out->debug_churn;
		if (!parse_u64(value, strlen(value), slot))
			log_err("cmdline: error: %.*s='%s': want a number\n",
				(int)t->key_len, t->key, value);
	} else {
		log_warn("cmdline: unknown option '%.*s'\n", (int)t->key_len, t->key);
	}
}

void options_parse(const char *cmdline, struct hv_options *out)
{
	struct cmdline_iter it;
	struct cmdline_token t;

	*out = (struct hv_options){.log_level = LOG_INFO};
	/* The log level first, so the rest is reported at the right level. */
	char level[OPTION_VALUE_MAX];
	if (cmdline_get(cmdline, "loglevel", level, sizeof(level)))
		log_parse_level(level, &out->log_level);
	log_set_level(out->log_level);

	cmdline_iter_init(&it, cmdline);
	while (cmdline_next(&it, &t))
		option_apply(&t, out);
	log_set_level(out->log_level);
}
