/* The x86 part of a vCPU, embedded in struct vcpu (core/vcpu.h). */
#ifndef ARCH_X86_VCPU_ARCH_H
#define ARCH_X86_VCPU_ARCH_H

#include <stdint.h>

/* Guest registers the hardware does not keep in the VMCB (RAX, RSP, RIP
 * and RFLAGS are there). Order fixed: svm_entry.S uses these offsets. */
struct guest_regs {
	uint64_t rbx, rcx, rdx, rsi, rdi, rbp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
};

struct vmcb;

struct arch_vcpu {
	struct vmcb *vmcb;
	struct guest_regs regs;
	uint32_t asid;
	uint32_t asid_cpu;		/* where that ASID is valid */
	uint64_t asid_generation;
	uint64_t kvm_system_time_msr;	/* kvm_clock.c */
	uint64_t pv_eoi_msr;		/* kvm_pv_eoi.c */
	uint64_t steal_time_msr;	/* kvm_steal_time.c */
	uint32_t steal_time_version;
	bool pv_eoi_pending;
	uint64_t mtrr_def_type;		/* msr_policy.c */
	/* DR0-DR3 are not in the VMCB: without this, one guest could read
	 * another's breakpoint addresses. */
	uint64_t dr[4];
	/* x87/SSE state (FXSAVE format): guests share the physical FPU. */
	uint8_t fpu[512] __attribute__((aligned(16)));
};

struct arch_domain {
	uint64_t *npt_root;		/* nested PML4 */
	uint64_t npt_table_pages;	/* for the per-domain overhead figure */
};

#endif
