/* The x86 side of running guests that is not specific to AMD-V: turning
 * virtualization on everywhere, the scheduler's timer and kicks. */
#include "arch/x86/cpu.h"
#include "arch/x86/lapic.h"
#include "arch/x86/percpu.h"
#include "arch/x86/svm/svm.h"
#include "arch/x86/trap.h"
#include "arch/x86/tsc.h"
#include "core/arch.h"
#include "core/log.h"
#include "core/sched.h"
#include "lib/format.h"

static char features_text[96];

static void reschedule_interrupt(struct trap_frame *f)
{
	(void)f;
	lapic_eoi();
	sched_timer_interrupt();
}

/* The one LAPIC timer serves the scheduler and the running vCPU's virtual
 * timer; only the scheduler's deadline calls for a reschedule. The guest's
 * is noticed by the run loop (vlapic_timer_update). */
static void timer_fired(void)
{
	if (arch_time_ns() >= this_cpu()->sched_deadline_ns)
		sched_timer_interrupt();
}

static void enable_on_this_cpu(void *unused)
{
	(void)unused;
	/* FXSAVE/FXRSTOR of guest state need OSFXSR (APM vol. 2, 11.5). */
	write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
	svm_enable_this_cpu();
}

bool arch_virt_init(const char **why_not)
{
	if (!svm_detect(why_not))
		return false;
	trap_set_irq_handler(VEC_RESCHEDULE, reschedule_interrupt);
	lapic_timer_set_handler(timer_fired);
	for (unsigned cpu = 0; cpu < arch_cpu_count(); cpu++)
		arch_call_on_cpu(cpu, enable_on_this_cpu, NULL, true);
	fmt_snprintf(features_text, sizeof(features_text),
		     "AMD-V with nested paging, %u ASIDs%s%s%s%s",
		     svm_features.asid_count,
		     svm_features.nrip_save ? ", NRIP save" : "",
		     svm_features.vmcb_clean ? ", VMCB clean bits" : "",
		     svm_features.flush_by_asid ? ", flush by ASID" : "",
		     svm_features.decode_assists ? ", decode assists" : "");
	return true;
}

const char *arch_virt_features(void)
{
	return features_text;
}

void arch_timer_arm(uint64_t deadline_ns)
{
	struct percpu *cpu = this_cpu();

	cpu->sched_deadline_ns = deadline_ns;
	cpu->timer_armed_ns = deadline_ns;
	lapic_timer_arm(tsc_from_time_ns(deadline_ns));
}

void virt_timer_arm_for_guest(uint64_t guest_deadline_ns)
{
	struct percpu *cpu = this_cpu();
	uint64_t want = cpu->sched_deadline_ns;

	if (guest_deadline_ns && guest_deadline_ns < want)
		want = guest_deadline_ns;
	if (want != cpu->timer_armed_ns) {
		cpu->timer_armed_ns = want;
		lapic_timer_arm(tsc_from_time_ns(want));
	}
}

void arch_kick_cpu(unsigned cpu)
{
	if (cpu < cpus_present && percpu_table[cpu].online)
		lapic_send_ipi(percpu_table[cpu].apic_id, VEC_RESCHEDULE);
}

bool arch_cpu_online(unsigned cpu)
{
	return cpu < cpus_present && percpu_table[cpu].online;
}
