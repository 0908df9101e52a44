/* The small interface core/ calls into the architecture code. */
#ifndef CORE_ARCH_H
#define CORE_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/x86/cpu.h"

static inline void arch_cpu_relax(void)
{
	cpu_relax();
}

static inline unsigned long arch_irq_save(void)
{
	unsigned long flags = read_rflags();

	irq_disable();
	return flags;
}

static inline void arch_irq_restore(unsigned long flags)
{
	if (flags & RFLAGS_IF)
		irq_enable();
}

/* The hypervisor's console device (COM1 on x86). */
void arch_console_write(const char *s, size_t len);

/* A byte typed on the console, or -1 when none is waiting. */
int arch_console_getc(void);

/* Nanoseconds since boot, monotonic, the same on every CPU. */
uint64_t arch_time_ns(void);

/* Seconds since 1970 (UTC) when arch_time_ns() was 0; 0 if unknown. */
int64_t arch_wall_clock_at_boot(void);

/* The CPU's random number source (RDRAND): whether there is one, and
 * len bytes from it (false if it failed). */
bool arch_has_random(void);
bool arch_random_bytes(void *buf, size_t len);

unsigned arch_cpu_count(void);
unsigned arch_this_cpu(void);

/* Prints a stack trace of the calling code (for panic()). */
void arch_panic_stack_trace(void);

/* Stops every other CPU (for a panic); returns how many acknowledged. */
unsigned arch_stop_other_cpus(void);
__attribute__((noreturn)) void arch_halt(void);
/* Waits for the next interrupt with interrupts enabled. */
void arch_idle(void);

/* Runs fn(arg) on CPU `cpu` (an index, 0 = boot CPU); waits for it to
 * finish when `wait`. Returns false for a CPU that is not online. */
bool arch_call_on_cpu(unsigned cpu, void (*fn)(void *), void *arg, bool wait);

/* ------------------------------------------------ hardware virtualization */
struct domain;
struct vcpu;

/* Finds and enables AMD-V on every online CPU. Returns false, with
 * *why_not set, when the machine cannot run guests. */
bool arch_virt_init(const char **why_not);
const char *arch_virt_features(void);	/* for the log */

bool arch_domain_init(struct domain *d);
bool arch_domain_map_ram(struct domain *d, uint64_t gpa, uint64_t hpa,
			 uint64_t size);
void arch_domain_destroy(struct domain *d);

/* The first vCPU's state at entry: the PVH boot ABI (32-bit protected
 * mode, paging off, EBX = start info). */
bool arch_vcpu_init_pvh(struct vcpu *v, uint64_t entry, uint64_t start_info_gpa);
/* The first vCPU of a Linux domain: the state lib/linux_boot.c planned
 * (64-bit entry or PVH), plus what VMRUN itself needs. */
struct linux_entry_state;
bool arch_vcpu_init_linux(struct vcpu *v, const struct linux_entry_state *st);
/* A secondary vCPU started by VESTA_HC_VCPU_UP: the model's mode and
 * address space, at rip with RSP = rsp and RDI = arg. */
bool arch_vcpu_init_like(struct vcpu *v, const struct vcpu *model,
			 uint64_t rip, uint64_t rsp, uint64_t arg);
/* An application processor woken by INIT and STARTUP: real mode at
 * vector << 12 (Intel SDM vol. 3, 9.4.4.1, "Typical AP Initialization"). */
bool arch_vcpu_init_sipi(struct vcpu *v, uint8_t vector);
void arch_vcpu_destroy(struct vcpu *v);
/* Runs v on this CPU until sched_vcpu_should_stop(v) says to stop. */
void arch_vcpu_run(struct vcpu *v);

/* The scheduler's one-shot timer on this CPU. */
void arch_timer_arm(uint64_t deadline_ns);
/* Makes CPU `cpu` leave its guest or idle loop and look at its runqueue. */
void arch_kick_cpu(unsigned cpu);
bool arch_cpu_online(unsigned cpu);
/* Every CPU but the boot CPU leaves its idle loop to run fn, for good. */
void arch_start_secondary_cpus(void (*fn)(void));

#endif
