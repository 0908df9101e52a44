#include "core/sched.h"
#include "core/arch.h"
#include "core/domain.h"
#include "core/domain_actions.h"
#include "core/frame.h"
#include "core/log.h"
#include "core/shell.h"
#include "core/spinlock.h"

#define SCHED_MAX_CPUS 256
#define IDLE_WAKE_NS 1000000000ull	/* an idle CPU looks around each second */
/* An idle CPU zeroes this much free memory between looks at its queue:
 * 2 MiB, a few milliseconds even under emulation. */
#define SCRUB_BATCH_FRAMES 512
/* The boot CPU polls the console for the shell this often when idle. */
#define SHELL_POLL_NS 20000000ull

struct runqueue {
	struct vcpu *head, *tail;
};

/* One lock for the queues, vCPU states and the domain table: simple and
 * enough for the CPU counts we run on; per-CPU locks can come later. */
static struct spinlock sched_lock = SPINLOCK_INIT;
static struct runqueue runqueues[SCHED_MAX_CPUS];
static struct vcpu *blocked_list;
static volatile bool resched_pending[SCHED_MAX_CPUS];
static volatile bool cpu_idle[SCHED_MAX_CPUS];
static uint64_t next_account_ns;

void sched_lock_acquire(void)
{
	spin_lock(&sched_lock);
}

void sched_lock_release(void)
{
	spin_unlock(&sched_lock);
}

static bool affinity_allows(const struct vcpu *v, unsigned cpu)
{
	return v->affinity[cpu / 64] & (1ull << (cpu % 64));
}

static unsigned first_allowed_cpu(const struct vcpu *v)
{
	unsigned cpus = arch_cpu_count();

	if (v->processor < cpus && affinity_allows(v, v->processor))
		return v->processor;
	for (unsigned cpu = 0; cpu < cpus; cpu++)
		if (affinity_allows(v, cpu))
			return cpu;
	return 0;	/* domain_create refuses masks with no online CPU */
}

static void runq_push(struct vcpu *v)
{
	struct runqueue *rq = &runqueues[v->processor];

	v->runq_next = NULL;
	if (rq->tail)
		rq->tail->runq_next = v;
	else
		rq->head = v;
	rq->tail = v;
}

static void runq_unlink(struct runqueue *rq, struct vcpu *prev, struct vcpu *v)
{
	if (prev)
		prev->runq_next = v->runq_next;
	else
		rq->head = v->runq_next;
	if (rq->tail == v)
		rq->tail = prev;
	v->runq_next = NULL;
}

static void runq_remove(struct vcpu *v)
{
	struct runqueue *rq = &runqueues[v->processor];
	struct vcpu *prev = NULL;

	for (struct vcpu *it = rq->head; it; prev = it, it = it->runq_next)
		if (it == v) {
			runq_unlink(rq, prev, v);
			return;
		}
}

static void blocked_remove(struct vcpu *v)
{
	struct vcpu **link = &blocked_list;

	for (; *link; link = &(*link)->runq_next)
		if (*link == v) {
			*link = v->runq_next;
			v->runq_next = NULL;
			return;
		}
}

static void kick(unsigned cpu)
{
	if (cpu != arch_this_cpu())
		arch_kick_cpu(cpu);
	else
		resched_pending[cpu] = true;
}

/* RUNNABLE and off any CPU: onto a queue, and that CPU looks again (it may
 * idle, or run a vCPU on a long slice because it was alone). */
static void make_runnable(struct vcpu *v)
{
	v->state = VCPU_RUNNABLE;
	if (v->on_cpu)
		return;		/* its CPU requeues it when it gets off */
	v->runnable_since_ns = arch_time_ns();
	v->processor = first_allowed_cpu(v);
	runq_push(v);
	kick(v->processor);
}

void sched_vcpu_start(struct vcpu *v)
{
	spin_lock(&sched_lock);
	if (v->state == VCPU_DOWN)
		make_runnable(v);
	spin_unlock(&sched_lock);
}

void sched_block(struct vcpu *v, uint64_t deadline_ns)
{
	spin_lock(&sched_lock);
	if (v->state == VCPU_RUNNING &&
	    (deadline_ns == 0 || deadline_ns > arch_time_ns())) {
		v->state = VCPU_BLOCKED;
		v->wake_at_ns = deadline_ns;
		v->runq_next = blocked_list;
		blocked_list = v;
	}
	spin_unlock(&sched_lock);
}

/* As in Xen's credit scheduler, a vCPU that wakes with credit left is
 * boosted: it runs before the others at the kick make_runnable sends, so
 * waiting on a timer or an event costs no slice. One that spends more than
 * its share loses the boost. */
static void wake_blocked(struct vcpu *v)
{
	v->boosted = v->credit_ns >= 0;
	make_runnable(v);
}

void sched_wake(struct vcpu *v)
{
	spin_lock(&sched_lock);
	if (v->state == VCPU_BLOCKED) {
		blocked_remove(v);
		wake_blocked(v);
	}
	spin_unlock(&sched_lock);
}

void vcpu_kick(struct vcpu *v)
{
	spin_lock(&sched_lock);
	if (v->state == VCPU_BLOCKED) {
		blocked_remove(v);
		wake_blocked(v);
	} else if (v->on_cpu) {
		kick(v->processor);
	}
	spin_unlock(&sched_lock);
}

void sched_yield(struct vcpu *v)
{
	(void)v;
	resched_pending[arch_this_cpu()] = true;
}

static void take_vcpu_off(struct vcpu *v)
{
	if (v->state == VCPU_BLOCKED)
		blocked_remove(v);
	else if (v->state == VCPU_RUNNABLE && !v->on_cpu)
		runq_remove(v);
	if (v->on_cpu)
		kick(v->processor);
}

void sched_stop_domain(struct domain *d)
{
	spin_lock(&sched_lock);
	for (unsigned i = 0; i < d->vcpu_count; i++) {
		struct vcpu *v = &d->vcpus[i];
		take_vcpu_off(v);
		v->state = VCPU_DOWN;
	}
	spin_unlock(&sched_lock);
}

void sched_pause_domain(struct domain *d)
{
	spin_lock(&sched_lock);
	d->paused = true;
	for (unsigned i = 0; i < d->vcpu_count; i++)
		if (d->vcpus[i].on_cpu)
			kick(d->vcpus[i].processor);
	spin_unlock(&sched_lock);
}

static void kick_idle_cpus(void)
{
	for (unsigned cpu = 0; cpu < arch_cpu_count(); cpu++)
		if (cpu_idle[cpu])
			kick(cpu);
}

void sched_resume_domain(struct domain *d)
{
	spin_lock(&sched_lock);
	d->paused = false;
	kick_idle_cpus();
	spin_unlock(&sched_lock);
}

unsigned sched_domain_vcpus_on_cpu(const struct domain *d)
{
	unsigned n = 0;

	spin_lock(&sched_lock);
	for (unsigned i = 0; i < d->vcpu_count; i++)
		n += d->vcpus[i].on_cpu;
	spin_unlock(&sched_lock);
	return n;
}

bool sched_vcpu_should_stop(struct vcpu *v)
{
	return v->state != VCPU_RUNNING || v->domain->paused ||
	       resched_pending[v->processor];
}

void sched_timer_interrupt(void)
{
	resched_pending[arch_this_cpu()] = true;
}

/* Wakes blocked vCPUs whose deadline passed; returns the next deadline
 * among those that will wake on `cpu` (each CPU's timer serves its own,
 * so two idle CPUs do not both wake, and IPI each other, for one). */
static uint64_t wake_expired(uint64_t now, unsigned cpu)
{
	uint64_t next = UINT64_MAX;
	struct vcpu **link = &blocked_list;

	while (*link) {
		struct vcpu *v = *link;
		if (v->wake_at_ns && v->wake_at_ns <= now) {
			*link = v->runq_next;
			v->runq_next = NULL;
			wake_blocked(v);
			continue;
		}
		if (v->wake_at_ns && v->wake_at_ns < next && v->processor == cpu)
			next = v->wake_at_ns;
		link = &v->runq_next;
	}
	return next;
}

/* Priorities, highest first, as in Xen's credit scheduler. */
enum sched_priority {
	PRIO_OVER,	/* out of credit */
	PRIO_UNDER,	/* credit left */
	PRIO_BOOST,	/* just woken with credit left */
};

static enum sched_priority priority(const struct vcpu *v)
{
	return v->boosted ? PRIO_BOOST : v->credit_ns > 0 ? PRIO_UNDER : PRIO_OVER;
}

static bool eligible(const struct vcpu *v, unsigned cpu, enum sched_priority at_least)
{
	return !v->parked_by_cap && !v->domain->paused &&
	       affinity_allows(v, cpu) && priority(v) >= at_least;
}

static struct vcpu *runq_take(unsigned from, unsigned cpu,
			      enum sched_priority at_least)
{
	struct runqueue *rq = &runqueues[from];
	struct vcpu *prev = NULL;

	for (struct vcpu *v = rq->head; v; prev = v, v = v->runq_next)
		if (eligible(v, cpu, at_least)) {
			runq_unlink(rq, prev, v);
			return v;
		}
	return NULL;
}

/* Highest priority first; within one, own queue before stealing. */
static struct vcpu *pick_next(unsigned cpu)
{
	unsigned cpus = arch_cpu_count();

	for (int prio = PRIO_BOOST; prio >= PRIO_OVER; prio--) {
		for (unsigned i = 0; i < cpus; i++) {
			struct vcpu *v = runq_take((cpu + i) % cpus, cpu,
						   (enum sched_priority)prio);
			if (v)
				return v;
		}
	}
	return NULL;
}

/* Whether any queued vCPU could run on `cpu` (then slices stay short). */
static bool anyone_waiting_for(unsigned cpu)
{
	for (unsigned q = 0; q < arch_cpu_count(); q++)
		for (struct vcpu *v = runqueues[q].head; v; v = v->runq_next)
			if (eligible(v, cpu, PRIO_OVER))
				return true;
	return false;
}

/* A capped vCPU runs no longer than its credit, so it meets its cap; a
 * vCPU alone runs long, so a busy guest is not interrupted for nothing
 * (a wake-up elsewhere kicks this CPU at once). */
static uint64_t slice_for(const struct vcpu *v, unsigned cpu)
{
	if (v->domain->config.cap)
		return v->credit_ns > 0 && (uint64_t)v->credit_ns < SCHED_SLICE_NS
			       ? (uint64_t)v->credit_ns
			       : SCHED_SLICE_NS;
	return anyone_waiting_for(cpu) ? SCHED_SLICE_NS : SCHED_ALONE_SLICE_NS;
}

static struct vcpu *schedule(unsigned cpu, uint64_t *deadline)
{
	uint64_t now = arch_time_ns();

	spin_lock(&sched_lock);
	if (now >= next_account_ns) {
		if (sched_credit_account())
			kick_idle_cpus();
		next_account_ns = now + SCHED_ACCOUNT_PERIOD_NS;
	}
	uint64_t next_wake = wake_expired(now, cpu);
	struct vcpu *v = pick_next(cpu);
	uint64_t slice = v ? slice_for(v, cpu) : 0;
	if (v) {
		if (v->runnable_since_ns && now > v->runnable_since_ns)
			v->steal_ns += now - v->runnable_since_ns;
		v->runnable_since_ns = 0;
		v->state = VCPU_RUNNING;
		v->on_cpu = true;
		v->processor = cpu;
		v->run_start_ns = now;
	}
	cpu_idle[cpu] = v == NULL;
	resched_pending[cpu] = false;
	spin_unlock(&sched_lock);

	uint64_t end = now + (v ? slice : cpu == 0 ? SHELL_POLL_NS : IDLE_WAKE_NS);
	/* Credits must come on time even when every CPU runs long slices. */
	if (v && next_account_ns < end)
		end = next_account_ns;
	*deadline = next_wake < end ? next_wake : end;
	return v;
}

static void descheduled(struct vcpu *v)
{
	uint64_t used = arch_time_ns() - v->run_start_ns;

	spin_lock(&sched_lock);
	v->on_cpu = false;
	v->boosted = false;
	v->cpu_time_ns += used;
	v->credit_ns -= (int64_t)used;
	if (v->state == VCPU_RUNNING || v->state == VCPU_RUNNABLE) {
		v->state = VCPU_RUNNABLE;
		v->runnable_since_ns = arch_time_ns();
		runq_push(v);
	}
	spin_unlock(&sched_lock);
}

void sched_run_this_cpu(void)
{
	unsigned cpu = arch_this_cpu();

	for (;;) {
		uint64_t deadline;
		struct vcpu *v = schedule(cpu, &deadline);

		arch_timer_arm(deadline);
		if (v) {
			arch_vcpu_run(v);
			descheduled(v);
		} else if (!resched_pending[cpu] && !frames_scrub(SCRUB_BATCH_FRAMES)) {
			arch_idle();
		}
		if (cpu == 0) {
			domain_actions_run();
			shell_poll();
		}
	}
}
