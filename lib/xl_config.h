/* Domain configs in the syntax of Xen's xl.cfg(5): `key = value` settings,
 * values "strings" or 'strings', numbers, or [ lists, of, values ];
 * # comments; settings end at a newline or ';'. See docs/config.md. */
#ifndef LIB_XL_CONFIG_H
#define LIB_XL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XLCFG_NAME_MAX 32	/* with the NUL */
#define XLCFG_PATH_MAX 128
#define XLCFG_CMDLINE_MAX 512
#define XLCFG_MAX_VCPUS 64
#define XLCFG_MAX_CPUS 256	/* physical CPUs a `cpus` mask can name */
#define XLCFG_MAX_DEVICES 8	/* disk and vif entries each */
#define XLCFG_DEVICE_SPEC_MAX 128

enum xlcfg_action {
	XLCFG_ACTION_DESTROY = 0,
	XLCFG_ACTION_RESTART,
	XLCFG_ACTION_PRESERVE,
};

struct domain_config {
	char name[XLCFG_NAME_MAX];		/* required: [A-Za-z0-9_.-]+ */
	uint64_t memory_mib;			/* required, >= 1 */
	uint32_t vcpus;				/* default 1, 1..XLCFG_MAX_VCPUS */
	char kernel[XLCFG_PATH_MAX];		/* required, a bundle path */
	char ramdisk[XLCFG_PATH_MAX];		/* "" when absent */
	char cmdline[XLCFG_CMDLINE_MAX];	/* `cmdline`, or `extra` */
	uint32_t cpu_weight;			/* default 256, 1..65535 */
	uint32_t cap;				/* % of one CPU, 0 = no cap */
	uint64_t cpus[XLCFG_MAX_CPUS / 64];	/* allowed physical CPUs */
	bool cpus_given;			/* false: all CPUs (mask all ones) */
	enum xlcfg_action on_poweroff;		/* default destroy */
	enum xlcfg_action on_reboot;		/* default restart */
	enum xlcfg_action on_crash;		/* default destroy */
	/* Kept as written, for the device models to parse (later issues). */
	char disk[XLCFG_MAX_DEVICES][XLCFG_DEVICE_SPEC_MAX];
	size_t disk_count;
	char vif[XLCFG_MAX_DEVICES][XLCFG_DEVICE_SPEC_MAX];
	size_t vif_count;
};

struct xlcfg_diagnostic {
	unsigned line;		/* 1-based; of the offending value or token */
	char key[32];		/* the setting's key, "" for a syntax error */
	char message[96];
};

/* Called for things that do not stop the parse: an unknown key (xl ignores
 * them), a duplicate key (the last one wins). May be NULL. */
typedef void (*xlcfg_warn_fn)(void *ctx, const struct xlcfg_diagnostic *w);

/* Parses `len` bytes of `text` (no NUL needed). On success fills *out and
 * returns true. On the first error returns false with *err naming the line,
 * the key and what is wrong: a syntax error, a bad value (wrong type, out
 * of range, too long), or a missing required key (line 0 then). */
bool xlcfg_parse(const char *text, size_t len, struct domain_config *out,
		 struct xlcfg_diagnostic *err, xlcfg_warn_fn warn, void *ctx);

bool xlcfg_cpu_allowed(const struct domain_config *c, unsigned cpu);
const char *xlcfg_action_name(enum xlcfg_action a);

#endif
