/* Per-CPU state. GS base points at the CPU's struct percpu, whose first
 * field points at itself, so this_cpu() is one load. */
#ifndef ARCH_X86_PERCPU_H
#define ARCH_X86_PERCPU_H

#include <stdbool.h>
#include <stdint.h>

#include "core/spinlock.h"

struct vcpu;

#define MAX_CPUS 256

/* 64-bit TSS, AMD APM vol. 2, 12.2.5 "64-Bit Task State Segment". */
struct __attribute__((packed)) tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
};

/* Interrupt stack table slots (1-based, as IDT gates name them). */
#define IST_NMI 1
#define IST_DOUBLE_FAULT 2
#define IST_MACHINE_CHECK 3
#define IST_COUNT 3

#define GDT_ENTRIES 6	/* null, code64, data, code32, TSS (two slots) */

struct cpu_call {
	struct spinlock lock;	/* one caller at a time */
	void (*fn)(void *arg);
	void *arg;
	uint32_t done;
};

struct percpu {
	struct percpu *self;	/* must stay first: this_cpu() reads %gs:0 */
	unsigned index;
	uint32_t apic_id;
	bool online;
	uint64_t stack_base;
	uint64_t stack_top;
	uint64_t gdt[GDT_ENTRIES] __attribute__((aligned(16)));
	struct tss64 tss;
	struct cpu_call call;
	uint64_t timer_interrupts;
	uint64_t sched_deadline_ns;	/* the scheduler's timer */
	uint64_t timer_armed_ns;	/* what the LAPIC timer is set to */

	/* AMD-V */
	uint64_t svm_hsave_pa;		/* VM_HSAVE_PA: the CPU's own area */
	uint64_t svm_host_vmcb_pa;	/* host state VMRUN does not save */
	uint32_t svm_next_asid;
	uint64_t svm_asid_generation;
	struct vcpu *current_vcpu;
};

extern struct percpu percpu_table[MAX_CPUS];
extern unsigned cpus_online;
extern unsigned cpus_present;

static inline struct percpu *this_cpu(void)
{
	struct percpu *p;

	__asm__ volatile("movq %%gs:0, %0" : "=r"(p));
	return p;
}

/* Sets GS base, loads the CPU's GDT, TSS and the shared IDT. */
void percpu_load(struct percpu *cpu);

#endif
