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
/* AMD's hardware configuration register (PPR for family 17h, MSRC001_0015).
 * Linux reads it on every AMD CPU and warns unless TscFreqSel (bit 24)
 * says the TSC counts at the P0 frequency, which ours (invariant) does.
 * Nothing else in it is the guest's to change. */
#define MSR_AMD_HWCR 0xc0010015
#define HWCR_TSC_FREQ_SEL (1ul << 24)
/* AMD's northbridge configuration (MSRC001_001F): Linux sets
 * EnableCf8ExtCfg for PCI config access it never makes here. It reads 0
 * and ignores writes, as under KVM. */
#define MSR_AMD_NB_CFG 0xc001001f
/* MTRRs, SDM 11.11.1 and 11.11.2.1. */
#define MSR_MTRR_CAP 0x000000fe
#define MSR_MTRR_DEF_TYPE 0x000002ff
#define MTRR_DEF_TYPE_WRITABLE 0xcffull		/* E, FE, type */
#define MTRR_DEF_TYPE_FE (1ull << 10)
#define MTRR_TYPE_MASK 0xffull

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

/* The memory types an MTRR can hold (SDM 11.11.1): UC WC WT WP WB. */
#define MTRR_VALID_TYPES_MASK 0x73u

static bool mtrr_def_type_is_valid(uint64_t value)
{
	uint64_t type = value & MTRR_TYPE_MASK;

	/* No fixed ranges are offered, so FE cannot be set. */
	return !(value & ~MTRR_DEF_TYPE_WRITABLE) && !(value & MTRR_DEF_TYPE_FE) &&
	       type < 8 && (MTRR_VALID_TYPES_MASK & (1u << type));
}

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
	case MSR_AMD_HWCR:
		*value = HWCR_TSC_FREQ_SEL;
		return true;
	case MSR_AMD_NB_CFG:
	case MSR_MTRR_CAP:
		*value = 0;
		return true;
	case MSR_MTRR_DEF_TYPE:
		*value = v->arch.mtrr_def_type;
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
	case MSR_AMD_HWCR:
		return value == HWCR_TSC_FREQ_SEL;
	case MSR_AMD_NB_CFG:
		return true;
	case MSR_MTRR_DEF_TYPE:
		if (!mtrr_def_type_is_valid(value))
			return false;
		v->arch.mtrr_def_type = value;
		return true;
	default:
		if (is_x2apic_msr(msr))
			return x2apic_write(v, msr, value);
		return kvm_clock_msr_write(v, msr, value) ||
		       kvm_pv_eoi_msr_write(v, msr, value) ||
		       kvm_steal_time_msr_write(v, msr, value);
	}
}
