/* What the hypervisor does with its own exceptions and interrupts. */
#include "arch/x86/trap.h"
#include "arch/x86/cpu.h"
#include "arch/x86/lapic.h"
#include "arch/x86/percpu.h"
#include "arch/x86/smp.h"
#include "core/log.h"
#include "core/panic.h"

static irq_handler_fn irq_handlers[256];

static const char *const exception_names[32] = {
	[0] = "#DE divide error",
	[1] = "#DB debug",
	[2] = "NMI",
	[3] = "#BP breakpoint",
	[4] = "#OF overflow",
	[5] = "#BR bound range",
	[6] = "#UD invalid opcode",
	[7] = "#NM device not available",
	[8] = "#DF double fault",
	[10] = "#TS invalid TSS",
	[11] = "#NP segment not present",
	[12] = "#SS stack fault",
	[13] = "#GP general protection",
	[14] = "#PF page fault",
	[16] = "#MF x87 floating point",
	[17] = "#AC alignment check",
	[18] = "#MC machine check",
	[19] = "#XF SIMD floating point",
	[21] = "#CP control protection",
	[28] = "#HV hypervisor injection",
	[29] = "#VC VMM communication",
	[30] = "#SX security",
};

void trap_set_irq_handler(uint8_t vector, irq_handler_fn fn)
{
	irq_handlers[vector] = fn;
}

static void print_registers(const struct trap_frame *f)
{
	console_printf("RIP=%016lx RSP=%016lx RFLAGS=%016lx CS=%04lx SS=%04lx\n",
		       f->rip, f->rsp, f->rflags, f->cs, f->ss);
	console_printf("RAX=%016lx RBX=%016lx RCX=%016lx RDX=%016lx\n",
		       f->rax, f->rbx, f->rcx, f->rdx);
	console_printf("RSI=%016lx RDI=%016lx RBP=%016lx R8 =%016lx\n",
		       f->rsi, f->rdi, f->rbp, f->r8);
	console_printf("R9 =%016lx R10=%016lx R11=%016lx R12=%016lx\n",
		       f->r9, f->r10, f->r11, f->r12);
	console_printf("R13=%016lx R14=%016lx R15=%016lx\n", f->r13, f->r14,
		       f->r15);
	console_printf("CR0=%016lx CR2=%016lx CR3=%016lx CR4=%016lx\n",
		       read_cr0(), read_cr2(), read_cr3(), read_cr4());
}

static __attribute__((noreturn)) void trap_panic(const struct trap_frame *f)
{
	const char *name = f->vector < 32 ? exception_names[f->vector] : NULL;
	struct percpu *cpu = this_cpu();

	if (!panic_begin())
		cpu_halt_forever();
	console_printf("PANIC: cpu %u: %s, vector=%lu error=0x%lx\n", cpu->index,
		       name ? name : "reserved exception", f->vector,
		       f->error_code);
	print_registers(f);
	panic_print_stack_trace(f->rip, f->rbp, cpu->stack_base, cpu->stack_top);
	panic_end();
}

static void trap_nmi(const struct trap_frame *f)
{
	if (panic_in_progress())
		smp_stopped_by_panic();
	log_warn("trap: warning: cpu %u: NMI at %#lx ignored\n",
		 this_cpu()->index, f->rip);
}

void trap_dispatch(struct trap_frame *f)
{
	if (f->vector == VEC_NMI) {
		trap_nmi(f);
		return;
	}
	if (f->vector < VEC_FIRST_EXTERNAL)
		trap_panic(f);

	irq_handler_fn handler = irq_handlers[f->vector];
	if (handler) {
		handler(f);
		return;
	}
	if (f->vector >= VEC_PIC_BASE && f->vector < VEC_PIC_BASE + 16)
		return;		/* a masked 8259's spurious IRQ: no EOI */
	if (f->vector != VEC_SPURIOUS) {
		log_warn("trap: warning: cpu %u: unexpected interrupt vector %lu\n",
			 this_cpu()->index, f->vector);
		lapic_eoi();
	}
}
