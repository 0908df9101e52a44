/* The scheduler: proportional share with weights and caps, after Xen's
 * credit scheduler (docs/scheduler.md). Per-CPU runqueues, idle CPUs steal
 * work, blocked vCPUs are off the queues until a deadline or a wake-up. */
#ifndef CORE_SCHED_H
#define CORE_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "core/vcpu.h"

#define SCHED_SLICE_NS 10000000ull		/* 10 ms */
#define SCHED_ACCOUNT_PERIOD_NS 30000000ull	/* credits every 30 ms */
#define SCHED_ALONE_SLICE_NS 100000000ull	/* no one else wants the CPU */

struct domain;

/* A vCPU joins: DOWN -> RUNNABLE on a CPU its affinity allows. */
void sched_vcpu_start(struct vcpu *v);
/* The running vCPU waits until deadline_ns (0: only a wake-up). */
void sched_block(struct vcpu *v, uint64_t deadline_ns);
void sched_wake(struct vcpu *v);
void sched_yield(struct vcpu *v);
/* Takes every vCPU of d off the CPUs and queues (DOWN), paused or for
 * good. Returns at once; domain_vcpus_on_cpu() says when they are off. */
void sched_stop_domain(struct domain *d);
/* Puts d's vCPUs that were started back on the queues (unpause). */
void sched_resume_domain(struct domain *d);
unsigned sched_domain_vcpus_on_cpu(const struct domain *d);

/* For arch_vcpu_run: leave the guest now? */
bool sched_vcpu_should_stop(struct vcpu *v);
/* The scheduler's timer or a kick: look at the runqueues again. */
void sched_timer_interrupt(void);

/* Each CPU's loop, after boot. */
__attribute__((noreturn)) void sched_run_this_cpu(void);

/* Credit accounting (sched_credit.c), under the scheduler lock, once a
 * period. Returns true when a vCPU parked by its cap may run again. */
bool sched_credit_account(void);

#endif
