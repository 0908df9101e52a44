#include "core/domain.h"
#include "core/arch.h"
#include "core/domain_actions.h"
#include "core/domain_build.h"
#include "core/frame.h"
#include "core/log.h"
#include "core/sched.h"
#include "core/xmalloc.h"
#include "lib/format.h"
#include "lib/string.h"
#include "vesta/hypercall.h"

static struct domain *domain_table[DOMAIN_MAX];
static unsigned next_domain_id = 1;

struct domain *domain_table_slot(unsigned slot)
{
	return slot < DOMAIN_MAX ? domain_table[slot] : NULL;
}

const char *domain_state_name(enum domain_state s)
{
	static const char *const names[] = {
		[DOMAIN_RUNNING] = "running",   [DOMAIN_BLOCKED] = "blocked",
		[DOMAIN_PAUSED] = "paused",     [DOMAIN_SHUTDOWN] = "shutdown",
		[DOMAIN_CRASHED] = "crashed",   [DOMAIN_DYING] = "dying",
	};
	return s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

/* A free slot, or -1; under the scheduler lock. */
static int domain_table_insert(struct domain *d)
{
	for (unsigned slot = 0; slot < DOMAIN_MAX; slot++) {
		if (!domain_table[slot]) {
			domain_table[slot] = d;
			return (int)slot;
		}
	}
	return -1;
}

static void domain_table_remove(struct domain *d)
{
	for (unsigned slot = 0; slot < DOMAIN_MAX; slot++)
		if (domain_table[slot] == d)
			domain_table[slot] = NULL;
}

static bool domain_name_taken(const char *name)
{
	for (unsigned slot = 0; slot < DOMAIN_MAX; slot++)
		if (domain_table[slot] && strcmp(domain_table[slot]->name, name) == 0)
			return true;
	return false;
}

static void vcpus_init(struct domain *d)
{
	for (unsigned i = 0; i < d->vcpu_count; i++) {
		struct vcpu *v = &d->vcpus[i];
		v->domain = d;
		v->id = i;
		v->state = VCPU_DOWN;
		for (unsigned w = 0; w < 4; w++)
			v->affinity[w] = d->config.cpus_given ? d->config.cpus[w] : ~0ull;
		v->processor = i % arch_cpu_count();
		vlapic_reset(&v->vlapic, i, i == 0);
	}
}

static bool affinity_has_online_cpu(const struct domain_config *cfg)
{
	for (unsigned cpu = 0; cpu < arch_cpu_count(); cpu++)
		if (xlcfg_cpu_allowed(cfg, cpu))
			return true;
	return false;
}

/* Everything a domain owns, freed; safe on a half-built domain. */
static void domain_free(struct domain *d)
{
	for (unsigned i = 0; d->vcpus && i < d->vcpu_count; i++)
		arch_vcpu_destroy(&d->vcpus[i]);
	arch_domain_destroy(d);
	domain_virtio_destroy(d);
	domain_ram_free(d);
	xfree(d->vcpus);
	xfree(d);
}

static struct domain *domain_alloc(const struct domain_config *cfg,
				   const char *config_path)
{
	struct domain *d = xzalloc(sizeof(*d));

	if (!d)
		return NULL;
	d->config = *cfg;
	memcpy(d->name, cfg->name, sizeof(d->name));
	fmt_snprintf(d->config_path, sizeof(d->config_path), "%s", config_path);
	d->vcpu_count = cfg->vcpus;
	d->vcpus = xzalloc(sizeof(struct vcpu) * cfg->vcpus);
	if (!d->vcpus) {
		xfree(d);
		return NULL;
	}
	vcpus_init(d);
	return d;
}

static bool domain_register(struct domain *d)
{
	bool ok;

	sched_lock_acquire();
	ok = !domain_name_taken(d->name) && domain_table_insert(d) >= 0;
	if (ok)
		d->id = next_domain_id++;
	sched_lock_release();
	return ok;
}

struct domain *domain_create(const struct domain_config *cfg,
			     const char *config_path)
{
	uint64_t start_ns = arch_time_ns();
	uint64_t free_before = frames_free_count();

	if (!affinity_has_online_cpu(cfg)) {
		log_err("domain %s: error: cpus= names no online CPU\n", cfg->name);
		return NULL;
	}
	struct domain *d = domain_alloc(cfg, config_path);
	if (!d) {
		log_err("domain %s: error: out of monitor memory\n", cfg->name);
		return NULL;
	}
	if (!domain_register(d)) {
		log_err("domain %s: error: the name is taken, or %u domains exist\n",
			cfg->name, DOMAIN_MAX);
		domain_free(d);
		return NULL;
	}
	d->created_ns = arch_time_ns();
	d->created_tsc = rdtsc();
	if (!domain_platform_init(d) || !domain_virtio_init(d) ||
	    !arch_domain_init(d) || !domain_build(d)) {
		sched_lock_acquire();
		domain_table_remove(d);
		sched_lock_release();
		domain_free(d);
		return NULL;
	}
	d->state = DOMAIN_RUNNING;
	d->vcpus[0].started = true;
	sched_vcpu_start(&d->vcpus[0]);
	uint64_t overhead_frames = free_before - frames_free_count() -
				   d->ram_bytes / PAGE_SIZE;
	log_info("domain %s: created, id %u, %lu MiB, %u vCPUs in %lu us, monitor memory %lu KiB\n",
		 d->name, d->id, d->ram_bytes >> 20, d->vcpu_count,
		 (arch_time_ns() - start_ns) / 1000, overhead_frames * PAGE_SIZE >> 10);
	return d;
}

/* One line a benchmark can read: lifetime, CPU time and exits by class. */
static void log_domain_statistics(const struct domain *d)
{
	uint64_t cpu_ns = 0, exits[EXIT_CLASS_COUNT] = {0}, total = 0;

	for (unsigned i = 0; i < d->vcpu_count; i++) {
		cpu_ns += d->vcpus[i].cpu_time_ns;
		for (unsigned c = 0; c < EXIT_CLASS_COUNT; c++)
			exits[c] += d->vcpus[i].exits[c];
	}
	for (unsigned c = 0; c < EXIT_CLASS_COUNT; c++)
		total += exits[c];
	log_info("domain %s: destroyed after %lu ms: cpu %lu ms, exits %lu (interrupt %lu cpuid %lu msr %lu io %lu hypercall %lu hlt %lu npf %lu other %lu)\n",
		 d->name, (arch_time_ns() - d->created_ns) / 1000000,
		 cpu_ns / 1000000, total, exits[EXIT_CLASS_INTERRUPT],
		 exits[EXIT_CLASS_CPUID], exits[EXIT_CLASS_MSR], exits[EXIT_CLASS_IO],
		 exits[EXIT_CLASS_HYPERCALL], exits[EXIT_CLASS_HLT],
		 exits[EXIT_CLASS_NPF], exits[EXIT_CLASS_OTHER]);
}

void domain_destroy(struct domain *d)
{
	sched_stop_domain(d);
	d->state = DOMAIN_DYING;
	while (sched_domain_vcpus_on_cpu(d))
		arch_cpu_relax();
	sched_lock_acquire();
	domain_table_remove(d);
	sched_lock_release();
	domain_console_flush(d);
	log_domain_statistics(d);
	domain_free(d);
}

static enum xlcfg_action action_for(const struct domain *d, uint32_t reason)
{
	switch (reason) {
	case VESTA_SHUTDOWN_POWEROFF:
		return d->config.on_poweroff;
	case VESTA_SHUTDOWN_REBOOT:
		return d->config.on_reboot;
	default:
		return d->config.on_crash;
	}
}

static void domain_stop(struct domain *d, enum domain_state state,
			uint32_t reason)
{
	if (d->state == DOMAIN_SHUTDOWN || d->state == DOMAIN_CRASHED ||
	    d->state == DOMAIN_DYING)
		return;		/* already stopping: the first reason stands */
	d->state = state;
	d->shutdown_reason = reason;
	sched_stop_domain(d);
	domain_action_request(d, action_for(d, reason));
}

void domain_shutdown(struct domain *d, uint32_t reason)
{
	static const char *const what[] = {"powered off", "rebooted", "crashed itself"};

	domain_console_flush(d);
	log_info("domain %s: %s\n", d->name, what[reason]);
	domain_stop(d, reason == VESTA_SHUTDOWN_CRASH ? DOMAIN_CRASHED : DOMAIN_SHUTDOWN,
		    reason);
}

void domain_crash(struct domain *d, const char *fmt, ...)
{
	char why[160];
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	domain_console_flush(d);
	log_err("domain %s (id %u): crashed: %s\n", d->name, d->id, why);
	domain_stop(d, DOMAIN_CRASHED, VESTA_SHUTDOWN_CRASH);
}

struct domain *domain_by_name(const char *name)
{
	struct domain *found = NULL;

	sched_lock_acquire();
	for (unsigned slot = 0; slot < DOMAIN_MAX && !found; slot++)
		if (domain_table[slot] && strcmp(domain_table[slot]->name, name) == 0)
			found = domain_table[slot];
	sched_lock_release();
	return found;
}

struct domain *domain_by_id(unsigned id)
{
	struct domain *found = NULL;

	sched_lock_acquire();
	for (unsigned slot = 0; slot < DOMAIN_MAX && !found; slot++)
		if (domain_table[slot] && domain_table[slot]->id == id)
			found = domain_table[slot];
	sched_lock_release();
	return found;
}

unsigned domain_count(void)
{
	unsigned n = 0;

	sched_lock_acquire();
	for (unsigned slot = 0; slot < DOMAIN_MAX; slot++)
		n += domain_table[slot] != NULL;
	sched_lock_release();
	return n;
}

void domain_for_each(void (*fn)(struct domain *d, void *ctx), void *ctx)
{
	sched_lock_acquire();
	for (unsigned slot = 0; slot < DOMAIN_MAX; slot++)
		if (domain_table[slot])
			fn(domain_table[slot], ctx);
	sched_lock_release();
}
