/* A virtual CPU: a schedulable context that belongs to a domain. */
#ifndef CORE_VCPU_H
#define CORE_VCPU_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/vcpu_arch.h"
#include "vdev/vlapic.h"

struct domain;

enum vcpu_state {
	VCPU_DOWN,	/* not started yet (secondary vCPUs), or finished */
	VCPU_RUNNABLE,	/* on a runqueue */
	VCPU_RUNNING,	/* on a physical CPU now */
	VCPU_BLOCKED,	/* waiting for a deadline or a wake-up */
};

/* Why a vCPU has exited, for the `top` statistics. */
enum vcpu_exit_class {
	EXIT_CLASS_INTERRUPT,
	EXIT_CLASS_CPUID,
	EXIT_CLASS_MSR,
	EXIT_CLASS_IO,
	EXIT_CLASS_HYPERCALL,
	EXIT_CLASS_HLT,
	EXIT_CLASS_NPF,
	EXIT_CLASS_OTHER,
	EXIT_CLASS_COUNT,
};

struct vcpu {
	struct domain *domain;
	unsigned id;
	enum vcpu_state state;
	bool started;			/* claimed by its first start, atomically */
	bool init_received;		/* INIT came: a STARTUP may start it */
	unsigned processor;		/* the CPU whose runqueue it is on */
	uint64_t affinity[4];		/* allowed physical CPUs */

	/* scheduler (sched.c), under its lock */
	bool on_cpu;			/* inside arch_vcpu_run now */
	struct vcpu *runq_next;		/* runqueue or blocked list */
	int64_t credit_ns;		/* sched_credit.c */
	bool parked_by_cap;
	bool boosted;			/* woke up with credit: runs first */
	uint64_t wake_at_ns;		/* BLOCKED: 0 = no deadline */
	uint64_t run_start_ns;
	uint64_t runnable_since_ns;	/* queued but not running: 0 = no */
	uint64_t steal_ns;		/* time spent so, for steal time */

	/* statistics */
	uint64_t cpu_time_ns;
	uint64_t exits[EXIT_CLASS_COUNT];

	struct vlapic vlapic;
	struct arch_vcpu arch;
};

/* Makes v look at its pending interrupts: wakes it if blocked, sends its
 * CPU a kick if it runs elsewhere (sched.c). */
void vcpu_kick(struct vcpu *v);
/* Delivers an IPI that sender's local APIC asked for (vcpu_irq.c). */
void vcpu_send_ipi(struct vcpu *sender, const struct vlapic_ipi *ipi);
/* Raises `vector` in v's local APIC and kicks it. */
void vcpu_raise_irq(struct vcpu *v, uint8_t vector);

#endif
