/* The host's local APIC in xAPIC (MMIO) mode: IPIs and the timer. */
#ifndef ARCH_X86_LAPIC_H
#define ARCH_X86_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

/* Per-CPU setup: enable, spurious vector, mask the LVTs. */
void lapic_init_cpu(void);
uint32_t lapic_id(void);
void lapic_eoi(void);

void lapic_send_ipi(uint32_t apic_id, uint8_t vector);
void lapic_send_nmi(uint32_t apic_id);
void lapic_send_init(uint32_t apic_id);
void lapic_send_startup(uint32_t apic_id, uint32_t trampoline_phys);

/* Once, on the boot CPU, after the TSC is calibrated: picks TSC-deadline
 * mode when CPUID offers it, else measures the timer against the TSC. */
void lapic_timer_init(void);
/* One-shot interrupt on VEC_LAPIC_TIMER at (or just after) tsc_deadline. */
void lapic_timer_arm(uint64_t tsc_deadline);
void lapic_timer_cancel(void);
/* Called from the timer interrupt, after the count is kept and EOI sent. */
void lapic_timer_set_handler(void (*fn)(void));
const char *lapic_timer_mode_name(void);
uint64_t lapic_timer_khz(void);	/* 0 in TSC-deadline mode */

#endif
