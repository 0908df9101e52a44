/* A vCPU on AMD-V: its VMCB, ASID, FPU state and the run loop. */
#include "arch/x86/svm/svm_vcpu.h"
#include "arch/x86/cpu.h"
#include "arch/x86/guest_policy.h"
#include "arch/x86/kvm_pv_eoi.h"
#include "arch/x86/kvm_steal_time.h"
#include "arch/x86/msr.h"
#include "arch/x86/percpu.h"
#include "arch/x86/svm/npt.h"
#include "arch/x86/svm/svm.h"
#include "arch/x86/svm/vmcb.h"
#include "arch/x86/tsc.h"
#include "arch/x86/virt.h"
#include "core/arch.h"
#include "core/domain.h"
#include "core/frame.h"
#include "core/sched.h"
#include "lib/linux_boot.h"
#include "lib/string.h"

_Static_assert(__builtin_offsetof(struct guest_regs, rsi) == 24, "svm_entry.S");
_Static_assert(__builtin_offsetof(struct guest_regs, r15) == 104, "svm_entry.S");

/* Segment attributes (descriptor bits 40..47, 52..55), APM vol. 2, 4.7. */
#define SEG_CODE32_FLAT 0x0c9b	/* G, D, P, S, execute/read, accessed */
#define SEG_DATA32_FLAT 0x0c93	/* G, B, P, S, read/write, accessed */
#define SEG_TSS32_BUSY 0x008b
#define SEG_LDT 0x0082
/* Reset values, APM vol. 2, 14.1.3 and 15.5.1. */
#define GUEST_CR0_PE_ET 0x11
#define GUEST_RFLAGS_RESET 0x2
#define GUEST_DR6_RESET 0xffff0ff0
#define GUEST_DR7_RESET 0x400
#define GUEST_PAT_RESET 0x0007040600070406ull

/* Legacy FXSAVE area: x87 and SSE state, AMD APM vol. 5, FXSAVE. */
#define FXSAVE_FCW 0x037f
#define FXSAVE_MXCSR 0x1f80

void svm_vmrun(uint64_t guest_vmcb_pa, struct guest_regs *regs,
	       uint64_t host_vmcb_pa);

static void extra_state_reset(struct arch_vcpu *a)
{
	memset(a->dr, 0, sizeof(a->dr));
	a->mtrr_def_type = GUEST_MTRR_DEF_TYPE_RESET;
	memset(a->fpu, 0, sizeof(a->fpu));
	*(uint16_t *)&a->fpu[0] = FXSAVE_FCW;
	*(uint32_t *)&a->fpu[24] = FXSAVE_MXCSR;
}

static bool vcpu_vmcb_alloc(struct vcpu *v)
{
	uint64_t pa = frame_alloc_zeroed(1);

	if (!pa)
		return false;
	v->arch.vmcb = (struct vmcb *)(uintptr_t)pa;
	extra_state_reset(&v->arch);
	return true;
}

static void vmcb_set_intercepts(struct vmcb_control *c)
{
	c->intercept_exceptions = INTERCEPT_EXCEPTION(18);	/* #MC */
	c->intercept_misc1 = INTERCEPT_INTR | INTERCEPT_NMI | INTERCEPT_SMI |
			     INTERCEPT_INIT | INTERCEPT_CPUID | INTERCEPT_INVD |
			     INTERCEPT_HLT | INTERCEPT_INVLPGA | INTERCEPT_IOIO |
			     INTERCEPT_MSR | INTERCEPT_TASK_SWITCH |
			     INTERCEPT_SHUTDOWN;
	c->intercept_misc2 = INTERCEPT_VMRUN | INTERCEPT_VMMCALL |
			     INTERCEPT_VMLOAD | INTERCEPT_VMSAVE |
			     INTERCEPT_STGI | INTERCEPT_CLGI | INTERCEPT_SKINIT |
			     INTERCEPT_WBINVD | INTERCEPT_MONITOR |
			     INTERCEPT_MWAIT | INTERCEPT_MWAIT_CONDITIONAL |
			     INTERCEPT_XSETBV;
	c->iopm_base_pa = svm_iopm_pa();
	c->msrpm_base_pa = svm_msrpm_pa();
	c->vintr = VINTR_MASKING;
	c->np_enable = NP_ENABLE;
}

static void vmcb_set_segment(struct vmcb_segment *s, uint16_t sel,
			     uint16_t attrib, uint32_t limit)
{
	*s = (struct vmcb_segment){.selector = sel, .attrib = attrib,
				   .limit = limit, .base = 0};
}

bool arch_vcpu_init_pvh(struct vcpu *v, uint64_t entry, uint64_t start_info_gpa)
{
	if (!vcpu_vmcb_alloc(v))
		return false;
	struct vmcb *vmcb = v->arch.vmcb;
	struct vmcb_save *s = &vmcb->save;

	vmcb_set_intercepts(&vmcb->control);
	vmcb->control.n_cr3 = (uint64_t)(uintptr_t)v->domain->arch.npt_root;
	vmcb->control.tsc_offset = -v->domain->created_tsc;
	vmcb_set_segment(&s->cs, 0x10, SEG_CODE32_FLAT, 0xffffffff);
	vmcb_set_segment(&s->ds, 0x18, SEG_DATA32_FLAT, 0xffffffff);
	s->es = s->ss = s->fs = s->gs = s->ds;
	vmcb_set_segment(&s->tr, 0, SEG_TSS32_BUSY, 0x67);
	vmcb_set_segment(&s->ldtr, 0, SEG_LDT, 0xffff);
	vmcb_set_segment(&s->gdtr, 0, 0, 0xffff);
	vmcb_set_segment(&s->idtr, 0, 0, 0xffff);
	s->cr0 = GUEST_CR0_PE_ET;
	s->efer = EFER_SVME;	/* VMRUN requires it; the guest sees 0 */
	s->rflags = GUEST_RFLAGS_RESET;
	s->rip = entry;
	s->dr6 = GUEST_DR6_RESET;
	s->dr7 = GUEST_DR7_RESET;
	s->g_pat = GUEST_PAT_RESET;
	memset(&v->arch.regs, 0, sizeof(v->arch.regs));
	v->arch.regs.rbx = start_info_gpa;
	return true;
}

/* Real-mode segments, APM vol. 2, 14.1.5 (reset state). */
#define SEG_REAL_CODE 0x009b
#define SEG_REAL_DATA 0x0093
#define CR0_ET_ONLY 0x10

bool arch_vcpu_init_sipi(struct vcpu *v, uint8_t vector)
{
	if (!arch_vcpu_init_pvh(v, 0, 0))
		return false;
	struct vmcb_save *s = &v->arch.vmcb->save;
	vmcb_set_segment(&s->cs, (uint16_t)(vector << 8), SEG_REAL_CODE, 0xffff);
	s->cs.base = (uint64_t)vector << 12;
	vmcb_set_segment(&s->ds, 0, SEG_REAL_DATA, 0xffff);
	s->es = s->ss = s->fs = s->gs = s->ds;
	s->cr0 = CR0_ET_ONLY;
	s->rip = 0;
	return true;
}

static void vmcb_segment_from(struct vmcb_segment *dst, const struct linux_segment *src)
{
	*dst = (struct vmcb_segment){.selector = src->selector, .attrib = src->attrib,
				     .limit = src->limit, .base = src->base};
}

bool arch_vcpu_init_linux(struct vcpu *v, const struct linux_entry_state *st)
{
	if (!arch_vcpu_init_pvh(v, st->rip, st->rbx))
		return false;
	struct vmcb_save *s = &v->arch.vmcb->save;
	vmcb_segment_from(&s->cs, &st->cs);
	vmcb_segment_from(&s->ds, &st->ds);
	vmcb_segment_from(&s->es, &st->es);
	vmcb_segment_from(&s->ss, &st->ss);
	vmcb_segment_from(&s->fs, &st->fs);
	vmcb_segment_from(&s->gs, &st->gs);
	vmcb_segment_from(&s->tr, &st->tr);
	vmcb_segment_from(&s->ldtr, &st->ldtr);
	s->gdtr = (struct vmcb_segment){.limit = st->gdt_limit, .base = st->gdt_base};
	s->idtr = (struct vmcb_segment){.limit = st->idt_limit, .base = st->idt_base};
	s->cr0 = st->cr0;
	s->cr3 = st->cr3;
	s->cr4 = st->cr4;
	s->efer = st->efer | EFER_SVME;
	s->rflags = st->rflags;
	s->rsp = st->rsp;
	v->arch.regs.rsi = st->rsi;
	return true;
}

bool arch_vcpu_init_like(struct vcpu *v, const struct vcpu *model, uint64_t rip,
			 uint64_t rsp, uint64_t arg)
{
	if (!vcpu_vmcb_alloc(v))
		return false;
	struct vmcb *vmcb = v->arch.vmcb;

	vmcb->control = model->arch.vmcb->control;
	vmcb->save = model->arch.vmcb->save;
	vmcb->control.exitcode = 0;
	vmcb->control.eventinj = 0;
	vmcb->control.interrupt_shadow = 0;
	vmcb->control.guest_asid = 0;
	vmcb->save.rip = rip;
	vmcb->save.rsp = rsp;
	vmcb->save.rax = 0;
	vmcb->save.rflags = GUEST_RFLAGS_RESET;
	memset(&v->arch.regs, 0, sizeof(v->arch.regs));
	v->arch.regs.rdi = arg;
	v->arch.asid = 0;
	return true;
}

void arch_vcpu_destroy(struct vcpu *v)
{
	if (v->arch.vmcb)
		frame_free((uint64_t)(uintptr_t)v->arch.vmcb, 1);
	v->arch.vmcb = NULL;
}

/* ASIDs are handed out in generations per CPU and never reused within one:
 * when they run out, a new generation starts with a full TLB flush. So a
 * destroyed domain's stale TLB entries can never serve another guest. */
static void svm_assign_asid(struct vcpu *v, struct percpu *cpu)
{
	struct vmcb_control *c = &v->arch.vmcb->control;

	c->tlb_control = TLB_CONTROL_NOTHING;
	if (v->arch.asid && v->arch.asid_cpu == cpu->index &&
	    v->arch.asid_generation == cpu->svm_asid_generation)
		return;
	if (cpu->svm_next_asid == 0 ||
	    cpu->svm_next_asid >= svm_features.asid_count) {
		cpu->svm_asid_generation++;
		cpu->svm_next_asid = 1;
		c->tlb_control = TLB_CONTROL_FLUSH_ALL;
	}
	v->arch.asid = cpu->svm_next_asid++;
	v->arch.asid_cpu = cpu->index;
	v->arch.asid_generation = cpu->svm_asid_generation;
	c->guest_asid = v->arch.asid;
}

static void svm_world_switch(struct vcpu *v, struct percpu *cpu)
{
	svm_assign_asid(v, cpu);
	__asm__ volatile("clgi" ::: "memory");
	/* IF = 1 at VMRUN: with V_INTR_MASKING, host interrupts are gated by
	 * the host IF saved then, and must make the guest exit. GIF = 0
	 * keeps them pending until the exit is handled. */
	irq_enable();
	svm_vmrun((uint64_t)(uintptr_t)v->arch.vmcb, &v->arch.regs,
		  cpu->svm_host_vmcb_pa);
	irq_disable();
	__asm__ volatile("stgi" ::: "memory");
}

/* Lets interrupts that made the guest exit reach their host handlers. */
static void take_pending_interrupts(void)
{
	__asm__ volatile("sti; nop; cli" ::: "memory");
}

/* Guest state the VMCB does not hold, swapped once per run, not per exit:
 * the host itself uses neither the FPU nor breakpoints. */
static void guest_extra_state_load(const struct arch_vcpu *a)
{
	__asm__ volatile("fxrstor64 %0" ::"m"(a->fpu));
	__asm__ volatile("mov %0, %%db0" ::"r"(a->dr[0]));
	__asm__ volatile("mov %0, %%db1" ::"r"(a->dr[1]));
	__asm__ volatile("mov %0, %%db2" ::"r"(a->dr[2]));
	__asm__ volatile("mov %0, %%db3" ::"r"(a->dr[3]));
}

static void guest_extra_state_save(struct arch_vcpu *a)
{
	__asm__ volatile("fxsave64 %0" : "=m"(a->fpu));
	__asm__ volatile("mov %%db0, %0" : "=r"(a->dr[0]));
	__asm__ volatile("mov %%db1, %0" : "=r"(a->dr[1]));
	__asm__ volatile("mov %%db2, %0" : "=r"(a->dr[2]));
	__asm__ volatile("mov %%db3, %0" : "=r"(a->dr[3]));
}

static void interrupt_window_request(struct vmcb_control *c, bool on)
{
	if (on) {
		c->vintr |= VINTR_V_IRQ | VINTR_IGN_TPR | (0xfull << VINTR_PRIO_SHIFT);
		c->intercept_misc1 |= INTERCEPT_VINTR;
	} else {
		c->vintr &= ~(VINTR_V_IRQ | VINTR_IGN_TPR | (0xfull << VINTR_PRIO_SHIFT));
		c->intercept_misc1 &= ~INTERCEPT_VINTR;
	}
}

/* The highest pending interrupt of the virtual APIC goes in if the guest
 * can take it now; else a virtual interrupt request makes the guest exit
 * (VINTR) the moment it can, APM vol. 2, 15.21.4. */
static void inject_pending_interrupt(struct vcpu *v)
{
	struct vmcb *vmcb = v->arch.vmcb;
	struct vmcb_control *c = &vmcb->control;

	if (c->eventinj & EVENTINJ_VALID)
		return;		/* an exception or a re-injection goes first */
	int vector = vlapic_pending(&v->vlapic);
	if (vector < 0) {
		interrupt_window_request(c, false);
		return;
	}
	bool can_take = (vmcb->save.rflags & RFLAGS_IF) &&
			!(c->interrupt_shadow & INTERRUPT_SHADOW_ACTIVE);
	if (!can_take) {
		interrupt_window_request(c, true);
		return;
	}
	interrupt_window_request(c, false);
	vlapic_accept(&v->vlapic, (uint8_t)vector);
	kvm_pv_eoi_on_inject(v);
	c->eventinj = EVENTINJ_VALID | EVENTINJ_TYPE_INTR | (uint64_t)vector;
}

void arch_vcpu_run(struct vcpu *v)
{
	struct percpu *cpu = this_cpu();

	guest_extra_state_load(&v->arch);
	kvm_steal_time_update(v);
	while (!sched_vcpu_should_stop(v)) {
		virt_timer_arm_for_guest(vlapic_timer_update(&v->vlapic, arch_time_ns()));
		inject_pending_interrupt(v);
		svm_world_switch(v, cpu);
		svm_handle_exit(v);
		take_pending_interrupts();
	}
	guest_extra_state_save(&v->arch);
	virt_timer_arm_for_guest(0);
}
