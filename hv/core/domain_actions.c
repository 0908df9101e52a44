#include "core/domain_actions.h"
#include "core/domain.h"
#include "core/log.h"
#include "core/sched.h"
#include "core/spinlock.h"
#include "core/arch.h"
#include "lib/string.h"

/* A domain that stops this often in a row, each time within
 * QUICK_STOP_NS of its start, is in a boot loop: it is not restarted again
 * (xl would go on for ever), so the log stays readable. */
#define MAX_RESTARTS 20
#define QUICK_STOP_NS 1000000000ull

static struct spinlock actions_lock = SPINLOCK_INIT;

void domain_action_request(struct domain *d, enum xlcfg_action action)
{
	spin_lock(&actions_lock);
	d->pending_action = action;
	d->action_pending = true;
	spin_unlock(&actions_lock);
	arch_kick_cpu(0);
}

/* Takes one ready request off the table, or NULL. */
static struct domain *take_ready_request(void)
{
	for (unsigned slot = 0; slot < DOMAIN_MAX; slot++) {
		struct domain *d = domain_table_slot(slot);
		if (!d || !__atomic_load_n(&d->action_pending, __ATOMIC_ACQUIRE))
			continue;
		if (sched_domain_vcpus_on_cpu(d))
			continue;
		spin_lock(&actions_lock);
		bool mine = d->action_pending;
		d->action_pending = false;
		spin_unlock(&actions_lock);
		if (mine)
			return d;
	}
	return NULL;
}

static void domain_restart(struct domain *d)
{
	struct domain_config cfg = d->config;
	char path[XLCFG_PATH_MAX];
	bool quick = arch_time_ns() - d->created_ns < QUICK_STOP_NS;
	unsigned restarts = quick ? d->restarts + 1 : 0;

	memcpy(path, d->config_path, sizeof(path));
	domain_destroy(d);
	if (restarts > MAX_RESTARTS) {
		log_err("domain %s: error: stopped %u times in a row within a second of its start; not restarted again\n",
			cfg.name, MAX_RESTARTS);
		return;
	}
	struct domain *fresh = domain_create(&cfg, path);
	if (fresh)
		fresh->restarts = restarts;
}

/* Only the boot CPU creates and destroys domains, so no other CPU can
 * free a domain under this walk of the table. */
void domain_actions_run(void)
{
	struct domain *d;

	while ((d = take_ready_request()) != NULL) {
		switch (d->pending_action) {
		case XLCFG_ACTION_DESTROY:
			domain_destroy(d);
			break;
		case XLCFG_ACTION_RESTART:
			domain_restart(d);
			break;
		case XLCFG_ACTION_PRESERVE:
			log_info("domain %s: preserved (on_* = preserve)\n", d->name);
			break;
		}
	}
}
