/* The IDT and the exception handler: an exception at an instruction listed
 * in the exception table resumes at its fixup with R11 = the exception
 * info (x86.h, ASM_EXTABLE); anything else is a test failure that ends the
 * domain with VESTA_SHUTDOWN_CRASH. */
#include "guest.h"

struct idt_gate {
	uint16_t offset_low;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr;	/* P, DPL, type */
	uint16_t offset_mid;
	uint32_t offset_high;
	uint32_t reserved;
};

_Static_assert(sizeof(struct idt_gate) == 16, "64-bit IDT gate");

struct extable_entry {
	uint64_t fault;
	uint64_t fixup;
};

#define GATE_INTERRUPT 0x8e	/* present, DPL 0, 64-bit interrupt gate */
#define TRAP_STUB_SIZE 16

extern const char trap_stubs[];
extern const struct extable_entry __ex_table_start[], __ex_table_end[];

static struct idt_gate idt[256] __attribute__((aligned(16)));
static struct desc_ptr idt_ptr;
static uint32_t fatal_taken;

static const char *const exception_names[32] = {
	[X86_DE] = "#DE", [X86_DB] = "#DB", [X86_NMI] = "NMI",
	[X86_BP] = "#BP", [X86_OF] = "#OF", [X86_BR] = "#BR",
	[X86_UD] = "#UD", [X86_NM] = "#NM", [X86_DF] = "#DF",
	[X86_TS] = "#TS", [X86_NP] = "#NP", [X86_SS] = "#SS",
	[X86_GP] = "#GP", [X86_PF] = "#PF", [X86_MF] = "#MF",
	[X86_AC] = "#AC", [X86_MC] = "#MC", [X86_XM] = "#XM",
	[X86_CP] = "#CP", [X86_VC] = "#VC", [X86_SX] = "#SX",
};

const char *exception_name(unsigned vector)
{
	if (vector < 32 && exception_names[vector] != NULL)
		return exception_names[vector];
	return vector < 32 ? "reserved" : "interrupt";
}

void trap_init(void)
{
	for (unsigned v = 0; v < 256; v++) {
		uint64_t addr = (uint64_t)(trap_stubs + v * TRAP_STUB_SIZE);

		idt[v] = (struct idt_gate){
			.offset_low = (uint16_t)addr,
			.selector = GUEST_SEL_CODE64,
			.type_attr = GATE_INTERRUPT,
			.offset_mid = (uint16_t)(addr >> 16),
			.offset_high = (uint32_t)(addr >> 32),
		};
	}
	idt_ptr.limit = sizeof(idt) - 1;
	idt_ptr.base = (uint64_t)idt;
	trap_load();
}

void trap_load(void)
{
	lidt(&idt_ptr);
}

const struct desc_ptr *trap_idt_ptr(void)
{
	return &idt_ptr;
}

static const struct extable_entry *extable_find(uint64_t rip)
{
	for (const struct extable_entry *e = __ex_table_start;
	     e < __ex_table_end; e++)
		if (e->fault == rip)
			return e;
	return NULL;
}

static void (*irq_handlers[256])(uint8_t vector);

void irq_set_handler(uint8_t vector, void (*fn)(uint8_t vector))
{
	irq_handlers[vector] = fn;
}

void trap_handler(struct trap_frame *f);

void trap_handler(struct trap_frame *f)
{
	if (f->vector >= 32 && irq_handlers[f->vector]) {
		irq_handlers[f->vector]((uint8_t)f->vector);
		return;
	}

	/* Only exceptions take fixups: an interrupt's saved RIP is the next
	 * instruction, which may well be a table entry that has not run. */
	if (f->vector < 32 && f->vector != X86_NMI) {
		const struct extable_entry *e = extable_find(f->rip);

		if (e != NULL) {
			f->rip = e->fixup;
			f->r11 = EXINFO_VALID | (f->error & 0xffffffffull) << 8 |
				 f->vector;
			return;
		}
	}

	/* A second fatal exception (a fault while reporting, or on another
	 * vCPU at the same time) ends the domain without more words. */
	if (__atomic_exchange_n(&fatal_taken, 1, __ATOMIC_ACQ_REL) != 0)
		guest_shutdown(VESTA_SHUTDOWN_CRASH);

	char line[256];
	int n = fmt_snprintf(line, sizeof(line),
			     "FAIL: unexpected %s %lu at %p (%s error=%#lx",
			     f->vector < 32 ? "exception" : "interrupt",
			     f->vector, (void *)f->rip,
			     exception_name((unsigned)f->vector), f->error);

	if (f->vector == X86_PF && n < (int)sizeof(line))
		n += fmt_snprintf(line + n, sizeof(line) - n, " cr2=%p",
				  (void *)read_cr2());
	if (n < (int)sizeof(line))
		fmt_snprintf(line + n, sizeof(line) - n, " rsp=%p)",
			     (void *)f->rsp);
	printf("%s\n", line);
	printf("  rax=%#lx rbx=%#lx rcx=%#lx rdx=%#lx rsi=%#lx rdi=%#lx\n",
	       f->rax, f->rbx, f->rcx, f->rdx, f->rsi, f->rdi);
	count_failure();
	print_result();
	guest_shutdown(VESTA_SHUTDOWN_CRASH);
}
