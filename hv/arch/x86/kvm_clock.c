#include "arch/x86/kvm_clock.h"
#include "arch/x86/svm/vmcb.h"
#include "arch/x86/tsc.h"
#include "core/arch.h"
#include "core/domain.h"
#include "core/guest_memory.h"
#include "lib/string.h"

/* Feature bits of leaf 0x40000001 EAX, Linux's
 * arch/x86/include/uapi/asm/kvm_para.h. */
#define KVM_FEATURE_CLOCKSOURCE2 (1u << 3)
#define KVM_FEATURE_STEAL_TIME (1u << 5)	/* kvm_steal_time.c */
#define KVM_FEATURE_PV_EOI (1u << 6)	/* kvm_pv_eoi.c */
#define KVM_FEATURE_CLOCKSOURCE_STABLE_BIT (1u << 24)
#define PVCLOCK_TSC_STABLE_BIT (1u << 0)
#define KVM_SYSTEM_TIME_ENABLE 1ull
#define NS_PER_SEC 1000000000ull

struct cpuid_regs kvm_cpuid_leaf(uint32_t leaf)
{
	struct cpuid_regs r = {0, 0, 0, 0};

	if (leaf == CPUID_KVM_SIGNATURE_LEAF) {
		r.eax = CPUID_KVM_FEATURES_LEAF;
		memcpy(&r.ebx, "KVMK", 4);
		memcpy(&r.ecx, "VMKV", 4);
		memcpy(&r.edx, "M\0\0\0", 4);
	} else if (leaf == CPUID_KVM_FEATURES_LEAF) {
		r.eax = KVM_FEATURE_CLOCKSOURCE2 | KVM_FEATURE_PV_EOI |
			KVM_FEATURE_STEAL_TIME |
			KVM_FEATURE_CLOCKSOURCE_STABLE_BIT;
	}
	return r;
}

/* mul and shift with ((delta << shift) * mul) >> 32 = delta * 1e6 / khz. */
static void pvclock_scale(uint64_t khz, uint32_t *mul, int8_t *shift)
{
	uint64_t scaled = (1000000ull << 32) / khz;	/* ns per tick, 32.32 */
	int8_t s = 0;

	while (scaled >> 32) {
		scaled >>= 1;
		s++;
	}
	*mul = (uint32_t)scaled;
	*shift = s;
}

/* The TSC is invariant and the same on every CPU, so one sample stays
 * right for good: written once, flagged stable. */
static void write_time_info(struct vcpu *v, uint64_t gpa)
{
	struct pvclock_vcpu_time_info ti = {.version = 2, .flags = PVCLOCK_TSC_STABLE_BIT};
	uint64_t host_tsc = rdtsc();

	ti.tsc_timestamp = host_tsc + v->arch.vmcb->control.tsc_offset;
	uint32_t mul;
	int8_t shift;

	ti.system_time = tsc_to_ns(host_tsc - tsc_from_time_ns(v->domain->created_ns));
	pvclock_scale(tsc_khz(), &mul, &shift);
	ti.tsc_to_system_mul = mul;
	ti.tsc_shift = shift;
	copy_to_guest(v->domain, gpa, &ti, sizeof(ti));
}

/* Wall-clock time at the domain's kvmclock zero (its creation), from the
 * host's RTC read at boot. */
static void write_wall_clock(struct vcpu *v, uint64_t gpa)
{
	uint64_t created = v->domain->created_ns;
	struct pvclock_wall_clock wc = {
		.version = 2,
		.sec = (uint32_t)(arch_wall_clock_at_boot() + (int64_t)(created / NS_PER_SEC)),
		.nsec = (uint32_t)(created % NS_PER_SEC),
	};

	copy_to_guest(v->domain, gpa, &wc, sizeof(wc));
}

bool kvm_clock_msr_read(struct vcpu *v, uint32_t msr, uint64_t *value)
{
	if (msr == MSR_KVM_SYSTEM_TIME_NEW) {
		*value = v->arch.kvm_system_time_msr;
		return true;
	}
	if (msr == MSR_KVM_WALL_CLOCK_NEW) {
		*value = 0;
		return true;
	}
	return false;
}

bool kvm_clock_msr_write(struct vcpu *v, uint32_t msr, uint64_t value)
{
	if (msr == MSR_KVM_SYSTEM_TIME_NEW) {
		v->arch.kvm_system_time_msr = value;
		if (value & KVM_SYSTEM_TIME_ENABLE)
			write_time_info(v, value & ~KVM_SYSTEM_TIME_ENABLE);
		return true;
	}
	if (msr == MSR_KVM_WALL_CLOCK_NEW) {
		write_wall_clock(v, value);
		return true;
	}
	return false;
}
