/* What happens after a #VMEXIT. Every exit a guest can cause ends here; an
 * exit not handled below crashes that domain and nothing else. */
#include "arch/x86/guest_policy.h"
#include "arch/x86/kvm_pv_eoi.h"
#include "arch/x86/svm/svm.h"
#include "arch/x86/svm/svm_vcpu.h"
#include "arch/x86/svm/vmcb.h"
#include "arch/x86/trap.h"
#include "core/domain.h"
#include "core/hypercall.h"
#include "core/arch.h"
#include "core/log.h"
#include "core/sched.h"

/* Instruction lengths for exits without NRIP save (QEMU's emulated AMD-V
 * has none): these instructions have exactly one encoding. */
#define LEN_CPUID 2
#define LEN_RDMSR_WRMSR 2
#define LEN_HLT 1
#define LEN_VMMCALL 3
#define LEN_INVD_WBINVD 2
#define LEN_XSETBV 3

static void advance_rip(struct vcpu *v, unsigned len)
{
	struct vmcb *vmcb = v->arch.vmcb;

	if (svm_features.nrip_save && vmcb->control.next_rip)
		vmcb->save.rip = vmcb->control.next_rip;
	else
		vmcb->save.rip += len;
	vmcb->control.interrupt_shadow = 0;
}

static void inject_exception(struct vcpu *v, uint8_t vector, bool has_error,
			     uint32_t error)
{
	v->arch.vmcb->control.eventinj =
		EVENTINJ_VALID | EVENTINJ_TYPE_EXCEPTION | vector |
		(has_error ? EVENTINJ_ERROR_VALID | ((uint64_t)error << 32) : 0);
}

static void exit_cpuid(struct vcpu *v)
{
	struct vmcb *vmcb = v->arch.vmcb;
	struct cpuid_regs r = cpuid_for_guest(v, (uint32_t)vmcb->save.rax,
					      (uint32_t)v->arch.regs.rcx);

	vmcb->save.rax = r.eax;
	v->arch.regs.rbx = r.ebx;
	v->arch.regs.rcx = r.ecx;
	v->arch.regs.rdx = r.edx;
	advance_rip(v, LEN_CPUID);
}

static void exit_msr(struct vcpu *v)
{
	struct vmcb *vmcb = v->arch.vmcb;
	uint32_t msr = (uint32_t)v->arch.regs.rcx;
	bool is_write = vmcb->control.exitinfo1 == 1;
	bool ok;

	if (is_write) {
		uint64_t value = (vmcb->save.rax & 0xffffffffu) |
				 (v->arch.regs.rdx << 32);
		ok = msr_write_for_guest(v, msr, value);
	} else {
		uint64_t value = 0;
		ok = msr_read_for_guest(v, msr, &value);
		if (ok) {
			vmcb->save.rax = value & 0xffffffffu;
			v->arch.regs.rdx = value >> 32;
		}
	}
	if (ok)
		advance_rip(v, LEN_RDMSR_WRMSR);
	else
		inject_exception(v, VEC_GENERAL_PROTECTION, true, 0);
}

/* IN and OUT go to the domain's port bus (vdev/ioport_bus.c); ports
 * without a device read all ones and drop writes. */
static void exit_ioio(struct vcpu *v)
{
	struct vmcb *vmcb = v->arch.vmcb;
	uint32_t info = (uint32_t)vmcb->control.exitinfo1;
	unsigned size = (info >> IOIO_SIZE_SHIFT) & 7;	/* 1, 2 or 4 */
	uint16_t port = (uint16_t)(info >> IOIO_PORT_SHIFT);

	if (info & IOIO_STRING) {
		domain_crash(v->domain, "string I/O on port %#x is not supported (rip %#lx)",
			     port, vmcb->save.rip);
		return;
	}
	if (info & IOIO_TYPE_IN) {
		uint64_t mask = size == 4 ? 0xffffffffull : (1ull << (size * 8)) - 1;
		uint64_t value = ioport_bus_read(&v->domain->io, port, size);
		/* A 32-bit IN zero-extends into RAX; narrower ones merge. */
		vmcb->save.rax = (size == 4 ? 0 : vmcb->save.rax & ~mask) | value;
	} else {
		ioport_bus_write(&v->domain->io, port, size,
				 (uint32_t)vmcb->save.rax);
	}
	vmcb->save.rip = vmcb->control.exitinfo2;	/* the next instruction */
}

static void exit_vmmcall(struct vcpu *v)
{
	struct vmcb *vmcb = v->arch.vmcb;
	const struct guest_regs *r = &v->arch.regs;
	uint64_t args[HYPERCALL_MAX_ARGS] = {r->rdi, r->rsi, r->rdx, r->r10, r->r8};
	uint64_t nr = vmcb->save.rax;

	/* Advance first: a hypercall that blocks resumes after VMMCALL. */
	advance_rip(v, LEN_VMMCALL);
	vmcb->save.rax = (uint64_t)hypercall_dispatch(v, nr, args);
}

/* HLT waits for an interrupt: the virtual APIC's timer deadline, an IPI,
 * or VESTA_HC_VCPU_WAKE. An interrupt already pending ends it at once. */
static void exit_hlt(struct vcpu *v)
{
	advance_rip(v, LEN_HLT);
	if (vlapic_pending(&v->vlapic) >= 0 &&
	    (v->arch.vmcb->save.rflags & RFLAGS_IF))
		return;
	sched_block(v, vlapic_timer_update(&v->vlapic, arch_time_ns()));
	/* Raised between the check and the block: the raiser saw us still
	 * running, so wake up ourselves. */
	if (vlapic_pending(&v->vlapic) >= 0)
		sched_wake(v);
}

/* An event the CPU was delivering when the exit came must be delivered
 * again, APM vol. 2, 15.7.2. */
static void reinject_interrupted_event(struct vmcb_control *c)
{
	if (c->exitintinfo & EVENTINJ_VALID) {
		c->eventinj = c->exitintinfo;
		c->exitintinfo = 0;
	}
}

/* The guest's state when it died, for whoever reads the log. */
static void log_guest_state(const struct vcpu *v)
{
	const struct vmcb *vmcb = v->arch.vmcb;
	const struct vmcb_save *s = &vmcb->save;
	const struct guest_regs *r = &v->arch.regs;

	log_err("domain %s: vcpu %u: cr0 %#lx cr2 %#lx cr3 %#lx cr4 %#lx efer %#lx rflags %#lx rsp %#lx cs %#x/%#x idtr %#lx/%#x exitintinfo %#lx\n",
		v->domain->name, v->id, s->cr0, s->cr2, s->cr3, s->cr4, s->efer,
		s->rflags, s->rsp, s->cs.selector, s->cs.attrib, s->idtr.base,
		s->idtr.limit, vmcb->control.exitintinfo);
	log_err("domain %s: vcpu %u: rax %#lx rbx %#lx rcx %#lx rdx %#lx rsi %#lx rdi %#lx rbp %#lx r8 %#lx r9 %#lx r10 %#lx r11 %#lx r12 %#lx r13 %#lx r14 %#lx r15 %#lx\n",
		v->domain->name, v->id, s->rax, r->rbx, r->rcx, r->rdx, r->rsi,
		r->rdi, r->rbp, r->r8, r->r9, r->r10, r->r11, r->r12, r->r13,
		r->r14, r->r15);
}

static void exit_crash(struct vcpu *v, const char *what)
{
	struct vmcb *vmcb = v->arch.vmcb;

	log_guest_state(v);
	domain_crash(v->domain, "%s (exit %#lx, info %#lx/%#lx) at rip %#lx on vcpu %u",
		     what, vmcb->control.exitcode, vmcb->control.exitinfo1,
		     vmcb->control.exitinfo2, vmcb->save.rip, v->id);
}

static void exit_npf(struct vcpu *v)
{
	struct vmcb *vmcb = v->arch.vmcb;

	if (svm_emulate_mmio(v, vmcb->control.exitinfo2))
		return;
	domain_crash(v->domain, "access to guest-physical %#lx outside its RAM (rip %#lx, vcpu %u)",
		     vmcb->control.exitinfo2, vmcb->save.rip, v->id);
}

static enum vcpu_exit_class exit_class(uint64_t code)
{
	switch (code) {
	case VMEXIT_INTR:
	case VMEXIT_NMI:
		return EXIT_CLASS_INTERRUPT;
	case VMEXIT_CPUID:
		return EXIT_CLASS_CPUID;
	case VMEXIT_MSR:
		return EXIT_CLASS_MSR;
	case VMEXIT_IOIO:
		return EXIT_CLASS_IO;
	case VMEXIT_VMMCALL:
		return EXIT_CLASS_HYPERCALL;
	case VMEXIT_HLT:
		return EXIT_CLASS_HLT;
	case VMEXIT_NPF:
		return EXIT_CLASS_NPF;
	default:
		return EXIT_CLASS_OTHER;
	}
}

void svm_handle_exit(struct vcpu *v)
{
	struct vmcb *vmcb = v->arch.vmcb;
	uint64_t code = vmcb->control.exitcode;

	v->exits[exit_class(code)]++;
	vmcb->control.eventinj = 0;
	reinject_interrupted_event(&vmcb->control);
	/* Before anything looks at the in-service vector (HLT does). */
	kvm_pv_eoi_sync(v);
	switch (code) {
	case VMEXIT_INTR:
	case VMEXIT_NMI:
	case VMEXIT_SMI:
		break;		/* taken by the host once GIF is set again */
	case VMEXIT_VINTR:
		break;		/* the guest can take an interrupt: next entry */
	case VMEXIT_CPUID:
		exit_cpuid(v);
		break;
	case VMEXIT_MSR:
		exit_msr(v);
		break;
	case VMEXIT_IOIO:
		exit_ioio(v);
		break;
	case VMEXIT_VMMCALL:
		exit_vmmcall(v);
		break;
	case VMEXIT_HLT:
		exit_hlt(v);
		break;
	case VMEXIT_INVD:
	case VMEXIT_WBINVD:
		advance_rip(v, LEN_INVD_WBINVD);	/* caches are coherent */
		break;
	case VMEXIT_VMRUN:
	case VMEXIT_VMLOAD:
	case VMEXIT_VMSAVE:
	case VMEXIT_STGI:
	case VMEXIT_CLGI:
	case VMEXIT_SKINIT:
	case VMEXIT_INVLPGA:
	case VMEXIT_MONITOR:
	case VMEXIT_MWAIT:
	case VMEXIT_MWAIT_CONDITIONAL:
	case VMEXIT_XSETBV:
		/* SVM, MONITOR and XSAVE are hidden from guests. */
		inject_exception(v, VEC_INVALID_OPCODE, false, 0);
		break;
	case VMEXIT_NPF:
		exit_npf(v);
		break;
	case VMEXIT_SHUTDOWN:
		exit_crash(v, "triple fault");
		break;
	case VMEXIT_INVALID:
		exit_crash(v, "invalid guest state");
		break;
	default:
		exit_crash(v, "unhandled exit");
		break;
	}
}
