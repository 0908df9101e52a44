#include "arch/x86/kvm_pv_eoi.h"
#include "core/domain.h"
#include "core/guest_memory.h"

#define PV_EOI_ENABLE 1ull
#define PV_EOI_RESERVED 2ull
#define PV_EOI_FLAG 1u		/* bit 0 of the guest's 4-byte word */

static uint64_t pv_eoi_gpa(const struct vcpu *v)
{
	return v->arch.pv_eoi_msr & ~(PV_EOI_ENABLE | PV_EOI_RESERVED);
}

static bool flag_write(struct vcpu *v, uint32_t value)
{
	return copy_to_guest(v->domain, pv_eoi_gpa(v), &value, sizeof(value));
}

bool kvm_pv_eoi_msr_read(struct vcpu *v, uint32_t msr, uint64_t *value)
{
	if (msr != MSR_KVM_PV_EOI_EN)
		return false;
	*value = v->arch.pv_eoi_msr;
	return true;
}

bool kvm_pv_eoi_msr_write(struct vcpu *v, uint32_t msr, uint64_t value)
{
	if (msr != MSR_KVM_PV_EOI_EN || (value & PV_EOI_RESERVED))
		return false;
	uint64_t gpa = value & ~(PV_EOI_ENABLE | PV_EOI_RESERVED);
	if ((value & PV_EOI_ENABLE) && !guest_range_is_ram(v->domain, gpa, 4))
		return false;
	kvm_pv_eoi_sync(v);
	v->arch.pv_eoi_msr = value;
	v->arch.pv_eoi_pending = false;
	return true;
}

void kvm_pv_eoi_sync(struct vcpu *v)
{
	uint32_t word = PV_EOI_FLAG;

	if (!v->arch.pv_eoi_pending)
		return;
	copy_from_guest(v->domain, &word, pv_eoi_gpa(v), sizeof(word));
	if (!(word & PV_EOI_FLAG)) {
		vlapic_eoi_now(&v->vlapic);
		v->arch.pv_eoi_pending = false;
	}
}

void kvm_pv_eoi_on_inject(struct vcpu *v)
{
	if (!(v->arch.pv_eoi_msr & PV_EOI_ENABLE))
		return;
	if (v->arch.pv_eoi_pending) {
		/* A second interrupt on top: back to EOI by register for both. */
		flag_write(v, 0);
		v->arch.pv_eoi_pending = false;
		return;
	}
	/* Only when nothing else waits, as KVM does: the guest's EOI then
	 * needs no look at the request register. */
	if (!vlapic_any_requested(&v->vlapic) && flag_write(v, PV_EOI_FLAG))
		v->arch.pv_eoi_pending = true;
}
