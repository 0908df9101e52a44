/* The CPUID a guest sees: the host's, with the hypervisor bit shown and
 * what Vesta does not virtualize hidden. */
#include "arch/x86/guest_policy.h"
#include "arch/x86/kvm_clock.h"
#include "core/domain.h"
#include "lib/string.h"
#include "vesta/hypercall.h"

/* Feature bits, AMD APM vol. 3, appendix E.3. */
#define CPUID_1_ECX_MONITOR (1u << 3)
#define CPUID_1_ECX_VMX (1u << 5)
#define CPUID_1_ECX_X2APIC (1u << 21)
#define CPUID_1_ECX_TSC_DEADLINE (1u << 24)
#define CPUID_1_ECX_XSAVE (1u << 26)
#define CPUID_1_ECX_OSXSAVE (1u << 27)
#define CPUID_1_ECX_AVX (1u << 28)
#define CPUID_1_ECX_HYPERVISOR (1u << 31)
#define CPUID_1_EDX_MCE (1u << 7)
#define CPUID_1_EDX_MCA (1u << 14)
#define CPUID_7_EBX_AVX2 (1u << 5)
#define CPUID_7_EBX_AVX512_MASK 0xdc230000u	/* AVX-512 F/DQ/IFMA/PF/ER/CD/BW/VL */
#define CPUID_80000001_ECX_SVM (1u << 2)
#define CPUID_80000001_EDX_RDTSCP (1u << 27)
#define CPUID_7_ECX_RDPID (1u << 22)
#define CPUID_6_EAX_ARAT (1u << 2)
#define CPUID_80000007_EDX_INVARIANT_TSC (1u << 8)
#define CPUID_LEAF_XSAVE 0xd
#define CPUID_LEAF_SVM 0x8000000a
#define CPUID_HYPERVISOR_FIRST 0x40000000
#define CPUID_HYPERVISOR_LAST 0x4fffffff

static struct cpuid_regs cpuid_vesta_leaf(uint32_t leaf)
{
	struct cpuid_regs r = {0, 0, 0, 0};

	if (leaf == CPUID_VESTA_BASE) {
		r.eax = CPUID_VESTA_BASE + 1;
		memcpy(&r.ebx, CPUID_VESTA_SIGNATURE, 4);
		memcpy(&r.ecx, CPUID_VESTA_SIGNATURE + 4, 4);
		memcpy(&r.edx, CPUID_VESTA_SIGNATURE + 8, 4);
	} else if (leaf == CPUID_VESTA_BASE + 1) {
		r.eax = (VESTA_ABI_MAJOR << 16) | VESTA_ABI_MINOR;
	}
	return r;
}

struct cpuid_regs cpuid_for_guest(const struct vcpu *v, uint32_t leaf,
				  uint32_t subleaf)
{
	if (leaf == CPUID_KVM_SIGNATURE_LEAF || leaf == CPUID_KVM_FEATURES_LEAF)
		return kvm_cpuid_leaf(leaf);
	if (leaf >= CPUID_HYPERVISOR_FIRST && leaf <= CPUID_HYPERVISOR_LAST)
		return cpuid_vesta_leaf(leaf);

	struct cpuid_regs r = cpuid(leaf, subleaf);
	switch (leaf) {
	case 1:
		/* XSAVE state is not switched between guests yet: hide it. */
		r.ecx &= ~(CPUID_1_ECX_MONITOR | CPUID_1_ECX_VMX |
			   CPUID_1_ECX_XSAVE | CPUID_1_ECX_OSXSAVE |
			   CPUID_1_ECX_AVX);
		/* The virtual local APIC (vdev/vlapic.c) has both. */
		r.ecx |= CPUID_1_ECX_HYPERVISOR | CPUID_1_ECX_X2APIC |
			 CPUID_1_ECX_TSC_DEADLINE;
		r.ebx = (r.ebx & 0x00ffffff) | (v->id << 24);	/* APIC id */
		/* No virtual machine-check banks: a guest that saw MCA would
		 * read their MSRs and panic on the #GP. */
		r.edx &= ~(CPUID_1_EDX_MCE | CPUID_1_EDX_MCA);
		break;
	case 6:
		/* The virtual APIC timer keeps running in every C-state. */
		r.eax |= CPUID_6_EAX_ARAT;
		break;
	case 7:
		if (subleaf == 0) {
			r.ebx &= ~(CPUID_7_EBX_AVX2 | CPUID_7_EBX_AVX512_MASK);
			r.ecx &= ~CPUID_7_ECX_RDPID;
		}
		break;
	case 0x80000007:
		/* Guests get the host's TSC, which Vesta requires to be
		 * invariant; without this Linux distrusts it on SMP guests. */
		r.edx |= CPUID_80000007_EDX_INVARIANT_TSC;
		break;
	case CPUID_LEAF_XSAVE:
	case CPUID_LEAF_SVM:
		r = (struct cpuid_regs){0, 0, 0, 0};
		break;
	case 0x80000001:
		r.ecx &= ~CPUID_80000001_ECX_SVM;
		/* TSC_AUX is not switched between guests: no RDTSCP, RDPID. */
		r.edx &= ~CPUID_80000001_EDX_RDTSCP;
		break;
	}
	return r;
}
