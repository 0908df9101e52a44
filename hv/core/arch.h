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

/* Nanoseconds since boot, monotonic, the same on every CPU. */
uint64_t arch_time_ns(void);

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

#endif
