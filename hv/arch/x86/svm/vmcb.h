/* The virtual machine control block, AMD APM vol. 2, appendix B ("Layout
 * of VMCB"): a 4 KiB page, control area at 0, state save area at 0x400. */
#ifndef ARCH_X86_SVM_VMCB_H
#define ARCH_X86_SVM_VMCB_H

#include <stddef.h>
#include <stdint.h>

/* Intercept vector 3 (control offset 0x00c), table B-1. */
#define INTERCEPT_INTR (1u << 0)
#define INTERCEPT_NMI (1u << 1)
#define INTERCEPT_SMI (1u << 2)
#define INTERCEPT_INIT (1u << 3)
#define INTERCEPT_VINTR (1u << 4)
#define INTERCEPT_CPUID (1u << 18)
#define INTERCEPT_INVD (1u << 22)
#define INTERCEPT_HLT (1u << 24)
#define INTERCEPT_INVLPGA (1u << 26)
#define INTERCEPT_IOIO (1u << 27)
#define INTERCEPT_MSR (1u << 28)
#define INTERCEPT_TASK_SWITCH (1u << 29)
#define INTERCEPT_SHUTDOWN (1u << 31)
/* Intercept vector 4 (control offset 0x010). */
#define INTERCEPT_VMRUN (1u << 0)
#define INTERCEPT_VMMCALL (1u << 1)
#define INTERCEPT_VMLOAD (1u << 2)
#define INTERCEPT_VMSAVE (1u << 3)
#define INTERCEPT_STGI (1u << 4)
#define INTERCEPT_CLGI (1u << 5)
#define INTERCEPT_SKINIT (1u << 6)
#define INTERCEPT_WBINVD (1u << 9)
#define INTERCEPT_MONITOR (1u << 10)
#define INTERCEPT_MWAIT (1u << 11)
#define INTERCEPT_MWAIT_CONDITIONAL (1u << 12)
#define INTERCEPT_XSETBV (1u << 13)

/* Exception intercepts are bit (vector) of control offset 0x008. */
#define INTERCEPT_EXCEPTION(vector) (1u << (vector))

/* TLB_CONTROL, control offset 0x05c. */
#define TLB_CONTROL_NOTHING 0
#define TLB_CONTROL_FLUSH_ALL 1

/* VINTR, control offset 0x060, APM vol. 2, 15.21.4. */
#define VINTR_V_IRQ (1ull << 8)
#define VINTR_PRIO_SHIFT 16
#define VINTR_IGN_TPR (1ull << 20)
#define VINTR_MASKING (1ull << 24)
/* INTERRUPT_SHADOW, control offset 0x068. */
#define INTERRUPT_SHADOW_ACTIVE (1ull << 0)

/* NP_ENABLE, control offset 0x090. */
#define NP_ENABLE (1ull << 0)

/* EVENTINJ, control offset 0x0a8, APM vol. 2, 15.20. */
#define EVENTINJ_VALID (1ull << 31)
#define EVENTINJ_ERROR_VALID (1ull << 11)
#define EVENTINJ_TYPE_INTR (0ull << 8)
#define EVENTINJ_TYPE_NMI (2ull << 8)
#define EVENTINJ_TYPE_EXCEPTION (3ull << 8)

/* Exit codes, APM vol. 2, appendix C. */
#define VMEXIT_EXCEPTION_BASE 0x040
#define VMEXIT_INTR 0x060
#define VMEXIT_NMI 0x061
#define VMEXIT_SMI 0x062
#define VMEXIT_INIT 0x063
#define VMEXIT_VINTR 0x064
#define VMEXIT_CPUID 0x072
#define VMEXIT_INVD 0x076
#define VMEXIT_PAUSE 0x077
#define VMEXIT_HLT 0x078
#define VMEXIT_INVLPGA 0x07a
#define VMEXIT_IOIO 0x07b
#define VMEXIT_MSR 0x07c
#define VMEXIT_TASK_SWITCH 0x07d
#define VMEXIT_SHUTDOWN 0x07f
#define VMEXIT_VMRUN 0x080
#define VMEXIT_VMMCALL 0x081
#define VMEXIT_VMLOAD 0x082
#define VMEXIT_VMSAVE 0x083
#define VMEXIT_STGI 0x084
#define VMEXIT_CLGI 0x085
#define VMEXIT_SKINIT 0x086
#define VMEXIT_WBINVD 0x089
#define VMEXIT_MONITOR 0x08a
#define VMEXIT_MWAIT 0x08b
#define VMEXIT_MWAIT_CONDITIONAL 0x08c
#define VMEXIT_XSETBV 0x08d
#define VMEXIT_NPF 0x400
#define VMEXIT_INVALID ((uint64_t)-1)

/* IOIO EXITINFO1, APM vol. 2, 15.10.2 figure 15-2. */
#define IOIO_TYPE_IN (1u << 0)
#define IOIO_STRING (1u << 2)
#define IOIO_REP (1u << 3)
#define IOIO_SIZE_SHIFT 4	/* bits 4..6: 1, 2 or 4 bytes, one-hot */
#define IOIO_PORT_SHIFT 16

struct __attribute__((packed)) vmcb_segment {
	uint16_t selector;
	uint16_t attrib;	/* descriptor bits 40..47 and 52..55 */
	uint32_t limit;
	uint64_t base;
};

struct __attribute__((packed)) vmcb_control {
	uint32_t intercept_cr;		/* 0x000: reads low, writes high */
	uint32_t intercept_dr;		/* 0x004 */
	uint32_t intercept_exceptions;	/* 0x008 */
	uint32_t intercept_misc1;	/* 0x00c */
	uint32_t intercept_misc2;	/* 0x010 */
	uint32_t intercept_misc3;	/* 0x014 */
	uint8_t reserved_018[0x03c - 0x018];
	uint16_t pause_filter_threshold;	/* 0x03c */
	uint16_t pause_filter_count;	/* 0x03e */
	uint64_t iopm_base_pa;		/* 0x040 */
	uint64_t msrpm_base_pa;		/* 0x048 */
	uint64_t tsc_offset;		/* 0x050 */
	uint32_t guest_asid;		/* 0x058 */
	uint8_t tlb_control;		/* 0x05c */
	uint8_t reserved_05d[3];
	uint64_t vintr;			/* 0x060 */
	uint64_t interrupt_shadow;	/* 0x068 */
	uint64_t exitcode;		/* 0x070 */
	uint64_t exitinfo1;		/* 0x078 */
	uint64_t exitinfo2;		/* 0x080 */
	uint64_t exitintinfo;		/* 0x088 */
	uint64_t np_enable;		/* 0x090 */
	uint64_t avic_apic_bar;		/* 0x098 */
	uint64_t ghcb_pa;		/* 0x0a0 */
	uint64_t eventinj;		/* 0x0a8 */
	uint64_t n_cr3;			/* 0x0b0 */
	uint64_t virt_ext;		/* 0x0b8 */
	uint32_t clean_bits;		/* 0x0c0 */
	uint32_t reserved_0c4;
	uint64_t next_rip;		/* 0x0c8 */
	uint8_t insn_len;		/* 0x0d0 */
	uint8_t insn_bytes[15];
	uint8_t reserved_0e0[0x400 - 0x0e0];
};

struct __attribute__((packed)) vmcb_save {
	struct vmcb_segment es, cs, ss, ds, fs, gs;	/* 0x400 */
	struct vmcb_segment gdtr, ldtr, idtr, tr;	/* 0x460 */
	uint8_t reserved_4a0[0x4cb - 0x4a0];
	uint8_t cpl;			/* 0x4cb */
	uint32_t reserved_4cc;
	uint64_t efer;			/* 0x4d0 */
	uint8_t reserved_4d8[0x548 - 0x4d8];
	uint64_t cr4;			/* 0x548 */
	uint64_t cr3;
	uint64_t cr0;
	uint64_t dr7;
	uint64_t dr6;
	uint64_t rflags;
	uint64_t rip;			/* 0x578 */
	uint8_t reserved_580[0x5d8 - 0x580];
	uint64_t rsp;			/* 0x5d8 */
	uint64_t s_cet, ssp, isst_addr;
	uint64_t rax;			/* 0x5f8 */
	uint64_t star, lstar, cstar, sfmask, kernel_gs_base;	/* 0x600 */
	uint64_t sysenter_cs, sysenter_esp, sysenter_eip;	/* 0x628 */
	uint64_t cr2;			/* 0x640 */
	uint8_t reserved_648[0x668 - 0x648];
	uint64_t g_pat;			/* 0x668 */
	uint64_t dbgctl, br_from, br_to, last_excp_from, last_excp_to;
};

struct vmcb {
	struct vmcb_control control;
	struct vmcb_save save;
	uint8_t reserved_698[4096 - 0x698];
} __attribute__((aligned(4096)));

_Static_assert(offsetof(struct vmcb_control, iopm_base_pa) == 0x040, "VMCB");
_Static_assert(offsetof(struct vmcb_control, exitcode) == 0x070, "VMCB");
_Static_assert(offsetof(struct vmcb_control, eventinj) == 0x0a8, "VMCB");
_Static_assert(offsetof(struct vmcb_control, next_rip) == 0x0c8, "VMCB");
_Static_assert(offsetof(struct vmcb, save) == 0x400, "VMCB");
_Static_assert(offsetof(struct vmcb_save, cpl) == 0x0cb, "VMCB");
_Static_assert(offsetof(struct vmcb_save, efer) == 0x0d0, "VMCB");
_Static_assert(offsetof(struct vmcb_save, cr4) == 0x148, "VMCB");
_Static_assert(offsetof(struct vmcb_save, rip) == 0x178, "VMCB");
_Static_assert(offsetof(struct vmcb_save, rsp) == 0x1d8, "VMCB");
_Static_assert(offsetof(struct vmcb_save, rax) == 0x1f8, "VMCB");
_Static_assert(offsetof(struct vmcb_save, cr2) == 0x240, "VMCB");
_Static_assert(offsetof(struct vmcb_save, g_pat) == 0x268, "VMCB");
_Static_assert(sizeof(struct vmcb) == 4096, "VMCB");

#endif
