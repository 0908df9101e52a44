/* Credit accounting, the model of Xen's credit scheduler: every period,
 * the CPU time of the period is shared among the domains that want to run,
 * in proportion to their weights, capped by their caps, then split among
 * their vCPUs. A vCPU with credit left (UNDER) runs before one without
 * (OVER); a capped vCPU out of credit is parked until the next period. */
#include "core/arch.h"
#include "core/domain.h"
#include "core/sched.h"

static bool vcpu_wants_cpu(const struct vcpu *v)
{
	return v->state == VCPU_RUNNABLE || v->state == VCPU_RUNNING;
}

static unsigned domain_active_vcpus(const struct domain *d)
{
	unsigned n = 0;

	if (d->paused)
		return 0;
	for (unsigned i = 0; i < d->vcpu_count; i++)
		n += vcpu_wants_cpu(&d->vcpus[i]);
	return n;
}

static uint64_t total_active_weight(void)
{
	uint64_t total = 0;

	for (unsigned slot = 0; slot < DOMAIN_MAX; slot++) {
		struct domain *d = domain_table_slot(slot);
		if (d && domain_active_vcpus(d))
			total += d->config.cpu_weight;
	}
	return total;
}

/* The CPUs that the vCPUs wanting to run may use: the time to share is
 * theirs alone, or pinned domains would be handed time they cannot get
 * and weights would stop meaning anything. */
static unsigned usable_cpus(void)
{
	uint64_t mask[4] = {0, 0, 0, 0};
	unsigned n = 0;

	for (unsigned slot = 0; slot < DOMAIN_MAX; slot++) {
		struct domain *d = domain_table_slot(slot);
		for (unsigned i = 0; d && !d->paused && i < d->vcpu_count; i++)
			if (vcpu_wants_cpu(&d->vcpus[i]))
				for (unsigned w = 0; w < 4; w++)
					mask[w] |= d->vcpus[i].affinity[w];
	}
	for (unsigned cpu = 0; cpu < arch_cpu_count(); cpu++)
		n += (mask[cpu / 64] >> (cpu % 64)) & 1;
	return n;
}

static int64_t clamp_credit(int64_t credit)
{
	const int64_t limit = (int64_t)SCHED_ACCOUNT_PERIOD_NS;

	return credit > limit ? limit : credit < -limit ? -limit : credit;
}

/* Returns true when a capped vCPU got credit back (its CPU may idle). */
static bool domain_account(struct domain *d, uint64_t cpu_ns_to_share,
			   uint64_t total_weight)
{
	bool unparked = false;

	unsigned active = domain_active_vcpus(d);
	uint64_t share = 0;

	if (active) {
		share = cpu_ns_to_share * d->config.cpu_weight / total_weight;
		if (d->config.cap)
			share = share < SCHED_ACCOUNT_PERIOD_NS * d->config.cap / 100
					? share
					: SCHED_ACCOUNT_PERIOD_NS * d->config.cap / 100;
		share /= active;
		if (share > SCHED_ACCOUNT_PERIOD_NS)
			share = SCHED_ACCOUNT_PERIOD_NS;
	}
	for (unsigned i = 0; i < d->vcpu_count; i++) {
		struct vcpu *v = &d->vcpus[i];
		if (!vcpu_wants_cpu(v)) {
			v->credit_ns = 0;	/* a sleeper starts afresh */
			v->parked_by_cap = false;
			continue;
		}
		v->credit_ns = clamp_credit(v->credit_ns + (int64_t)share);
		bool parked = d->config.cap && v->credit_ns <= 0;
		unparked |= v->parked_by_cap && !parked;
		v->parked_by_cap = parked;
	}
	return unparked;
}

bool sched_credit_account(void)
{
	uint64_t total_weight = total_active_weight();
	uint64_t cpu_ns = SCHED_ACCOUNT_PERIOD_NS * usable_cpus();
	bool unparked = false;

	for (unsigned slot = 0; slot < DOMAIN_MAX; slot++) {
		struct domain *d = domain_table_slot(slot);
		if (d)
			unparked |= domain_account(d, cpu_ns,
						   total_weight ? total_weight : 1);
	}
	return unparked;
}
