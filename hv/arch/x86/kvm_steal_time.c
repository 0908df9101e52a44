#include "arch/x86/kvm_steal_time.h"
#include "core/domain.h"
#include "core/guest_memory.h"

#define STEAL_ENABLE 1ull
#define STEAL_RESERVED_MASK 0x3eull	/* bits 1..5 */
#define STEAL_ALIGN 64

static uint64_t steal_gpa(const struct vcpu *v)
{
	return v->arch.steal_time_msr & ~(STEAL_ALIGN - 1ull);
}

bool kvm_steal_time_msr_read(struct vcpu *v, uint32_t msr, uint64_t *value)
{
	if (msr != MSR_KVM_STEAL_TIME)
		return false;
	*value = v->arch.steal_time_msr;
	return true;
}

bool kvm_steal_time_msr_write(struct vcpu *v, uint32_t msr, uint64_t value)
{
	if (msr != MSR_KVM_STEAL_TIME || (value & STEAL_RESERVED_MASK))
		return false;
	if ((value & STEAL_ENABLE) &&
	    !guest_range_is_ram(v->domain, value & ~(STEAL_ALIGN - 1ull),
				sizeof(struct kvm_steal_time)))
		return false;
	v->arch.steal_time_msr = value;
	kvm_steal_time_update(v);
	return true;
}

/* The vCPU is not running while this runs, and each vCPU only reads its
 * own record, so the odd-even version is enough to keep reads whole. */
void kvm_steal_time_update(struct vcpu *v)
{
	if (!(v->arch.steal_time_msr & STEAL_ENABLE))
		return;
	struct kvm_steal_time st = {0};
	uint64_t gpa = steal_gpa(v);

	v->arch.steal_time_version += 2;
	st.version = v->arch.steal_time_version - 1;
	copy_to_guest(v->domain, gpa + 8, &st.version, sizeof(st.version));
	st.steal = v->steal_ns;
	copy_to_guest(v->domain, gpa, &st.steal, sizeof(st.steal));
	st.version = v->arch.steal_time_version;
	copy_to_guest(v->domain, gpa + 8, &st.version, sizeof(st.version));
}
