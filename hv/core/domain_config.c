#include "core/domain_config.h"
#include "core/bundle.h"
#include "core/domain.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "lib/string.h"

#define AUTO_DIR "auto/"
#define CONFIG_SUFFIX ".cfg"

/* FILE:LINE: KEY: MESSAGE; a syntax error has no key, a missing key no
 * line (docs/config.md). */
static void config_report(const char *level, const char *path,
			  const struct xlcfg_diagnostic *e)
{
	enum log_level lv = level[0] == 'e' ? LOG_ERR : LOG_WARN;

	if (e->line == 0)
		log_printf(lv, "config: %s: %s: %s: %s\n", level, path, e->key, e->message);
	else if (e->key[0] == '\0')
		log_printf(lv, "config: %s: %s:%u: %s\n", level, path, e->line, e->message);
	else
		log_printf(lv, "config: %s: %s:%u: %s: %s\n", level, path, e->line,
			   e->key, e->message);
}

static void config_warning(void *path, const struct xlcfg_diagnostic *w)
{
	config_report("warning", path, w);
}

struct domain *domain_create_from_bundle(const char *path)
{
	struct cpio_file f;
	struct xlcfg_diagnostic err;

	if (!bundle_find(path, &f)) {
		log_err("config: error: %s: not in the bundle\n", path);
		return NULL;
	}
	/* A domain_config is a few KiB: keep it off the 16 KiB stack. */
	struct domain_config *cfg = xmalloc(sizeof(*cfg));
	if (!cfg) {
		log_err("config: error: %s: out of monitor memory\n", path);
		return NULL;
	}
	struct domain *d = NULL;
	if (xlcfg_parse(f.data, f.size, cfg, &err, config_warning, (void *)path))
		d = domain_create(cfg, path);
	else
		config_report("error", path, &err);
	xfree(cfg);
	return d;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void start_one(const struct cpio_file *f, void *started)
{
	if (has_suffix(f->name, CONFIG_SUFFIX) &&
	    domain_create_from_bundle(f->name))
		(*(unsigned *)started)++;
}

unsigned domain_start_auto(void)
{
	unsigned started = 0;

	bundle_for_each(AUTO_DIR, start_one, &started);
	return started;
}
