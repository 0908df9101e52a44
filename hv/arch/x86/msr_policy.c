/* The MSRs a guest may touch when intercepted. Anything not listed here
 * raises #GP in the guest, as a CPU does for an MSR it lacks. The
 * passthrough ones (FS/GS bases, syscall MSRs) never exit: svm.c. */
#include "arch/x86/guest_policy.h"
#include "arch/x86/msr.h"
#include "arch/x86/svm/vmcb.h"
#include "arch/x86/kvm_clock.h"
#include "arch/x86/kvm_pv_eoi.h"
#include "arch/x86/kvm_steal_time.h"
#include "arch/x86/tsc.h"
#include "core/arch.h"
#include "core/domain.h"

#define MSR_TSC 0x00000010
#define MSR_PAT 0x00000277

static bool is_x2apic_msr(uint32_t msr)
{
	return msr >= VLAPIC_X2APIC_MSR_FIRST && msr <= VLAPIC_X2APIC_MSR_LAST;
}

/* The monitor's clock when the guest's TSC reads `guest_tsc`. */
static uint64_t guest_tsc_to_time_ns(const struct vmcb *vmcb, uint64_t guest_tsc)
{
	uint64_t host_tsc = guest_tsc - vmcb->control.tsc_offset;
	uint64_t now_tsc = rdtsc();

	if (host_tsc <= now_tsc)
		return arch_time_ns();	/* already due */
	return arch_time_ns() + tsc_to_ns(host_tsc - now_tsc);
}
/* EFER bits a guest may set, AMD APM vol. 2, 3.1.7. */
#define EFER_LMA (1ul << 10)
#define EFER_GUEST_WRITABLE (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)
/* PAT memory types that exist (APM vol. 2, 7.8.1): UC WC WT WP WB UC-. */
#define PAT_VALID_TYPES_MASK 0xf3u

static bool pat_is_valid(uint64_t pat)
{
	for (unsigned i = 0; i < 8; i++) {
		uint8_t type = (uint8_t)(pat >> (i * 8));
		if (type > 7 || !(PAT_VALID_TYPES_MASK & (1u << type)))
			return false;
	}
	return true;
}

bool msr_read_for_guest(struct vcpu *v, uint32_t msr, uint64_t *value)
{
	struct vmcb *vmcb = v->arch.vmcb;

	switch (msr) {
	case MSR_EFER:
		*value = vmcb->save.efer & ~EFER_SVME;	/* LMA as the CPU set it */
		return true;
	case MSR_TSC:
		*value = rdtsc() + vmcb->control.tsc_offset;
		return true;
	case MSR_PAT:
		*value = vmcb->save.g_pat;
		return true;
	case MSR_APIC_BASE:
		*value = v->vlapic.apic_base;
		return true;
	case MSR_TSC_DEADLINE:
		*value = v->vlapic.tsc_deadline;
		return true;
	default:
		if (is_x2apic_msr(msr))
			return x2apic_msr_read(&v->vlapic, msr, arch_time_ns(), value);
		return kvm_clock_msr_read(v, msr, value) ||
		       kvm_pv_eoi_msr_read(v, msr, value) ||
		       kvm_steal_time_msr_read(v, msr, value);
	}
}

static bool x2apic_write(struct vcpu *v, uint32_t msr, uint64_t value)
{
	struct vlapic_ipi ipi;

	if (!x2apic_msr_write(&v->vlapic, msr, value, arch_time_ns(), &ipi))
		return false;
	if (ipi.kind != VLAPIC_IPI_NONE)
		vcpu_send_ipi(v, &ipi);
	return true;
}

bool msr_write_for_guest(struct vcpu *v, uint32_t msr, uint64_t value)
{
	struct vmcb *vmcb = v->arch.vmcb;

	switch (msr) {
	case MSR_EFER:
		if (value & ~EFER_GUEST_WRITABLE)
			return false;
		/* LME may not change while paging is on (APM vol. 2, 14.6.1). */
		if ((vmcb->save.cr0 & CR0_PG) &&
		    ((value ^ vmcb->save.efer) & EFER_LME))
			return false;
		/* LMA belongs to the CPU: it follows LME and CR0.PG. */
		vmcb->save.efer = (value & ~EFER_LMA) | (vmcb->save.efer & EFER_LMA) |
				  EFER_SVME;
		return true;
	case MSR_TSC:
		vmcb->control.tsc_offset = value - rdtsc();
		return true;
	case MSR_PAT:
		if (!pat_is_valid(value))
			return false;
		vmcb->save.g_pat = value;
		return true;
	case MSR_APIC_BASE:
		return vlapic_apic_base_write(&v->vlapic, value);
	case MSR_TSC_DEADLINE:
		vlapic_set_tsc_deadline(&v->vlapic, value,
					value ? guest_tsc_to_time_ns(vmcb, value) : 0);
		return true;
	default:
		if (is_x2apic_msr(msr))
			return x2apic_write(v, msr, value);
		return kvm_clock_msr_write(v, msr, value) ||
		       kvm_pv_eoi_msr_write(v, msr, value) ||
		       kvm_steal_time_msr_write(v, msr, value);
	}
}
