/* libFuzzer target: the xl.cfg parser on arbitrary text. libFuzzer hands
 * over a heap copy of exactly `size` bytes, without a NUL, so ASan reports
 * any read past the text. Every answer is checked against the header's
 * promises; a parsed config is written back out in xl syntax and must
 * parse again to the very same config. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xl_config.h"

#define CHECK(cond)                      \
	do {                             \
		if (!(cond))             \
			__builtin_trap(); \
	} while (0)

/* Room for the longest config the writer can produce: every string
 * escaped to 4 bytes a character. */
#define OUT_MAX 32768

struct out {
	char text[OUT_MAX];
	size_t len;
};

static unsigned text_lines;	/* of the current input, for the checks */

static void check_terminated(const char *s, size_t cap)
{
	CHECK(strnlen(s, cap) < cap);
}

static void check_diagnostic(const struct xlcfg_diagnostic *d)
{
	check_terminated(d->key, sizeof(d->key));
	check_terminated(d->message, sizeof(d->message));
	CHECK(d->message[0] != '\0');
	CHECK(d->line <= text_lines);
	for (const char *c = d->message; *c != '\0'; c++)
		CHECK((unsigned char)*c >= 0x20 && *c != 0x7f);
}

static void check_warning(void *ctx, const struct xlcfg_diagnostic *w)
{
	(void)ctx;
	check_diagnostic(w);
	CHECK(w->line >= 1);
	CHECK(w->key[0] != '\0');
}

static void check_error(const struct xlcfg_diagnostic *e)
{
	check_diagnostic(e);
	if (e->key[0] == '\0')
		CHECK(strncmp(e->message, "syntax: ", 8) == 0 && e->line >= 1);
	if (e->line == 0)
		CHECK(strcmp(e->message, "missing (required)") == 0);
}

static void check_name(const char *name)
{
	check_terminated(name, XLCFG_NAME_MAX);
	CHECK(name[0] != '\0');
	for (const char *c = name; *c != '\0'; c++)
		CHECK((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || strchr("_.-", *c) != NULL);
}

static void check_config(const struct domain_config *c)
{
	check_name(c->name);
	CHECK(c->memory_mib >= 1 && c->memory_mib <= (1ull << 32));
	CHECK(c->vcpus >= 1 && c->vcpus <= XLCFG_MAX_VCPUS);
	check_terminated(c->kernel, XLCFG_PATH_MAX);
	CHECK(c->kernel[0] != '\0');
	check_terminated(c->ramdisk, XLCFG_PATH_MAX);
	check_terminated(c->cmdline, XLCFG_CMDLINE_MAX);
	CHECK(c->cpu_weight >= 1 && c->cpu_weight <= 65535);
	CHECK(c->cap <= 100 * XLCFG_MAX_VCPUS);
	bool any = false;

	for (unsigned cpu = 0; cpu < XLCFG_MAX_CPUS; cpu++)
		any |= xlcfg_cpu_allowed(c, cpu);
	CHECK(any);
	CHECK(c->on_poweroff <= XLCFG_ACTION_PRESERVE);
	CHECK(c->on_reboot <= XLCFG_ACTION_PRESERVE);
	CHECK(c->on_crash <= XLCFG_ACTION_PRESERVE);
	CHECK(c->disk_count <= XLCFG_MAX_DEVICES);
	CHECK(c->vif_count <= XLCFG_MAX_DEVICES);
	for (size_t i = 0; i < c->disk_count; i++)
		check_terminated(c->disk[i], XLCFG_DEVICE_SPEC_MAX);
	for (size_t i = 0; i < c->vif_count; i++)
		check_terminated(c->vif[i], XLCFG_DEVICE_SPEC_MAX);
}

/* ------------------------------------------------ writing a config back */

static void put(struct out *o, const char *s)
{
	size_t n = strlen(s);

	CHECK(o->len + n < OUT_MAX);
	memcpy(o->text + o->len, s, n);
	o->len += n;
}

/* A double-quoted string: '\\' and '"' escaped, other bytes below 0x20
 * as \xHH, the rest as they are. */
static void put_string(struct out *o, const char *s)
{
	char esc[8];

	put(o, "\"");
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\\' || c == '"')
			snprintf(esc, sizeof(esc), "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			snprintf(esc, sizeof(esc), "\\x%02x", c);
		else
			snprintf(esc, sizeof(esc), "%c", c);
		put(o, esc);
	}
	put(o, "\"");
}

static void put_setting(struct out *o, const char *key, const char *value)
{
	put(o, key);
	put(o, " = ");
	put_string(o, value);
	put(o, "\n");
}

static void put_number(struct out *o, const char *key, unsigned long long v,
		       bool hex)
{
	char line[64];

	snprintf(line, sizeof(line), hex ? "%s=0x%llx;" : "%s = %llu\n", key, v);
	put(o, line);
}

static void put_list(struct out *o, const char *key,
		     const char list[][XLCFG_DEVICE_SPEC_MAX], size_t count)
{
	put(o, key);
	put(o, " = [\n");
	for (size_t i = 0; i < count; i++) {
		put(o, "  ");
		put_string(o, list[i]);
		put(o, ",\n");
	}
	put(o, "]\n");
}

/* cpus as a string of single CPUs and ranges: "0-3,6". */
static void put_cpus(struct out *o, const struct domain_config *c)
{
	char item[32];
	bool first = true;

	put(o, "cpus = \"");
	for (unsigned cpu = 0; cpu < XLCFG_MAX_CPUS; cpu++) {
		unsigned last = cpu;

		if (!xlcfg_cpu_allowed(c, cpu))
			continue;
		while (last + 1 < XLCFG_MAX_CPUS && xlcfg_cpu_allowed(c, last + 1))
			last++;
		if (last == cpu)
			snprintf(item, sizeof(item), "%s%u", first ? "" : ",", cpu);
		else
			snprintf(item, sizeof(item), "%s%u-%u", first ? "" : ",",
				 cpu, last);
		put(o, item);
		first = false;
		cpu = last;
	}
	put(o, "\"\n");
}

static void write_config(struct out *o, const struct domain_config *c)
{
	o->len = 0;
	put_setting(o, "name", c->name);
	put_number(o, "memory", c->memory_mib, true);
	put_number(o, "vcpus", c->vcpus, false);
	put_setting(o, "kernel", c->kernel);
	put_setting(o, "ramdisk", c->ramdisk);
	put_setting(o, "cmdline", c->cmdline);
	put_number(o, "cpu_weight", c->cpu_weight, false);
	put_number(o, "cap", c->cap, true);
	if (c->cpus_given)
		put_cpus(o, c);
	put_setting(o, "on_poweroff", xlcfg_action_name(c->on_poweroff));
	put_setting(o, "on_reboot", xlcfg_action_name(c->on_reboot));
	put_setting(o, "on_crash", xlcfg_action_name(c->on_crash));
	put_list(o, "disk", c->disk, c->disk_count);
	put_list(o, "vif", c->vif, c->vif_count);
}

static void check_same(const struct domain_config *a,
		       const struct domain_config *b)
{
	CHECK(strcmp(a->name, b->name) == 0);
	CHECK(a->memory_mib == b->memory_mib && a->vcpus == b->vcpus);
	CHECK(strcmp(a->kernel, b->kernel) == 0);
	CHECK(strcmp(a->ramdisk, b->ramdisk) == 0);
	CHECK(strcmp(a->cmdline, b->cmdline) == 0);
	CHECK(a->cpu_weight == b->cpu_weight && a->cap == b->cap);
	CHECK(a->cpus_given == b->cpus_given);
	CHECK(memcmp(a->cpus, b->cpus, sizeof(a->cpus)) == 0);
	CHECK(a->on_poweroff == b->on_poweroff);
	CHECK(a->on_reboot == b->on_reboot && a->on_crash == b->on_crash);
	CHECK(a->disk_count == b->disk_count && a->vif_count == b->vif_count);
	for (size_t i = 0; i < a->disk_count; i++)
		CHECK(strcmp(a->disk[i], b->disk[i]) == 0);
	for (size_t i = 0; i < a->vif_count; i++)
		CHECK(strcmp(a->vif[i], b->vif[i]) == 0);
}

static void check_round_trip(const struct domain_config *c)
{
	static struct out o;
	static struct domain_config again;
	struct xlcfg_diagnostic err;

	write_config(&o, c);
	char *copy = malloc(o.len);

	CHECK(copy != NULL);
	memcpy(copy, o.text, o.len);
	CHECK(xlcfg_parse(copy, o.len, &again, &err, NULL, NULL));
	free(copy);
	check_same(c, &again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct domain_config first, second;
	struct xlcfg_diagnostic err1, err2;
	const char *text = (const char *)data;

	text_lines = 1;
	for (size_t i = 0; i < size; i++)
		text_lines += data[i] == '\n';

	memset(&err1, 0, sizeof(err1));
	memset(&err2, 0, sizeof(err2));
	bool ok = xlcfg_parse(text, size, &first, &err1, check_warning, NULL);

	/* Deterministic: the same text gives the same answer. */
	CHECK(xlcfg_parse(text, size, &second, &err2, NULL, NULL) == ok);
	if (!ok) {
		check_error(&err1);
		CHECK(memcmp(&err1, &err2, sizeof(err1)) == 0);
		return 0;
	}
	CHECK(memcmp(&first, &second, sizeof(first)) == 0);
	check_config(&first);
	check_round_trip(&first);
	return 0;
}
