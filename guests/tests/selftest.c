/* The framework checks itself, on plain QEMU as under Vesta: long mode as
 * entry.S set it up, the IDT, exception-table fixups (#GP, #PF on the
 * unmapped page 0, #UD, #DE, #BP), printf, the command line, the clock.
 * cmdline `crash` ends with an unguarded UD2, to see the "unexpected
 * exception" report and the crash shutdown. */
#include "guest.h"

static void test_cpu_state(void)
{
	uint64_t cr0 = read_cr0(), cr4 = read_cr4(), efer = 0;
	struct desc_ptr idtr;

	check((cr0 & 0x80000001) == 0x80000001, "CR0.PG and CR0.PE (%#lx)", cr0);
	check(cr4 & 0x20, "CR4.PAE (%#lx)", cr4);
	bool ok = rdmsr_safe(MSR_EFER, &efer);

	check(ok && (efer & EFER_LMA), "EFER.LMA (%#lx)", efer);
	check(!(read_rflags() & 0x200), "interrupts off");
	gdt_load();	/* as a secondary vCPU does, here on the boot vCPU */
	uint16_t cs, ss;

	__asm__ volatile("mov %%cs, %0\n\tmov %%ss, %1" : "=r"(cs), "=r"(ss));
	check(cs == GUEST_SEL_CODE64 && ss == GUEST_SEL_DATA,
	      "GDT reloaded: CS=%#x SS=%#x", cs, ss);
	sidt(&idtr);
	check(idtr.base == trap_idt_ptr()->base && idtr.limit == 4095,
	      "IDT loaded (%#lx, limit %u)", idtr.base, idtr.limit);
}

static void test_fixups(void)
{
	uint64_t val = 0, e;

	/* QEMU's TCG reads unknown MSRs as 0 and ignores writes to them. */
	e = rdmsr_try(0x12345678, &val);
	if (e == 0 && !vesta_present)
		skip("rdmsr 0x12345678 does not fault here (QEMU TCG)");
	else
		check(e != 0 && exinfo_vector(e) == X86_GP &&
			      exinfo_error(e) == 0,
		      "rdmsr 0x12345678 -> #GP(0) recovered (exinfo %#lx)", e);
	e = wrmsr_try(0x12345678, 0);
	if (e == 0 && !vesta_present)
		skip("wrmsr 0x12345678 does not fault here (QEMU TCG)");
	else
		check(e != 0 && exinfo_vector(e) == X86_GP,
		      "wrmsr 0x12345678 -> #GP recovered (exinfo %#lx)", e);

	e = read64_try(NULL, &val);
	check(e != 0 && exinfo_vector(e) == X86_PF && !(exinfo_error(e) & 1),
	      "read of NULL -> #PF, not present (exinfo %#lx)", e);
	e = write64_try((void *)8, 1);
	check(e != 0 && exinfo_vector(e) == X86_PF && (exinfo_error(e) & 2),
	      "write to page 0 -> #PF, write (exinfo %#lx)", e);
	e = read64_try((void *)0x8000000000000000ull, &val);
	check(e != 0 && exinfo_vector(e) == X86_GP,
	      "read of a non-canonical address -> #GP (exinfo %#lx)", e);
	e = read64_try((void *)0x100000, &val);
	check(e == 0, "read of the image at 1 MiB works (%#lx)", val);

	register uint64_t ex __asm__("r11") = 0;

	__asm__ volatile("1: ud2\n2:\n\t" ASM_EXTABLE(1b, 2b) : "+r"(ex));
	check(ex != 0 && exinfo_vector(ex) == X86_UD, "ud2 -> #UD recovered");

	uint64_t dividend = 1, divisor = 0;

	ex = 0;
	__asm__ volatile("xorl %%edx, %%edx\n"
			 "1: divq %2\n2:\n\t" ASM_EXTABLE(1b, 2b)
			 : "+a"(dividend), "+r"(ex)
			 : "r"(divisor)
			 : "rdx");
	check(ex != 0 && exinfo_vector(ex) == X86_DE,
	      "divide by zero -> #DE recovered (vector 0 still seen)");

	/* #BP is a trap: the saved RIP is after INT3, so the table names
	 * the next instruction. */
	ex = 0;
	__asm__ volatile("int3\n1: nop\n2:\n\t" ASM_EXTABLE(1b, 2b) : "+r"(ex));
	check(ex != 0 && exinfo_vector(ex) == X86_BP, "int3 -> #BP recovered");
}

static void test_printf(void)
{
	char buf[128];

	fmt_snprintf(buf, sizeof(buf), "%d %u %#x %s %5.2s|%-3c|%lu %p", -42,
		     42u, 0xbeef, "str", "abc", 'z', 1ul << 40, (void *)0x1000);
	check(strcmp(buf, "-42 42 0xbeef str    ab|z  |1099511627776 "
			  "0x0000000000001000") == 0,
	      "printf formats: \"%s\"", buf);
}

static void test_cmdline(void)
{
	const char *cmdline = guest_cmdline();
	uint64_t n = 0;
	char value[32];

	printf("selftest: cmdline \"%s\"\n", cmdline);
	if (cmdline_get_u64(cmdline, "number", &n))
		printf("selftest: number=%lu\n", n);
	if (cmdline_get(cmdline, "word", value, sizeof(value)))
		printf("selftest: word=\"%s\"\n", value);
	check(start_info->magic == PVH_START_MAGIC, "PVH start info magic");
	check(guest_ram_bytes() >= 2 * MIB, "RAM size %lu MiB",
	      guest_ram_bytes() / MIB);
}

static void test_time(void)
{
	uint64_t t0 = time_now();

	sleep_ns(10 * NS_PER_MS);
	uint64_t t1 = time_now();

	check(t1 >= t0 + 10 * NS_PER_MS, "sleep_ns(10 ms) took %lu us%s",
	      (t1 - t0) / NS_PER_US, vesta_present ? "" : " (TSC ticks / 1000)");
}

void guest_main(const struct pvh_start_info *si)
{
	char value[8];

	(void)si;
	test_cpu_state();
	test_fixups();
	test_printf();
	test_cmdline();
	test_time();
	if (cmdline_get(guest_cmdline(), "crash", value, sizeof(value))) {
		printf("selftest: unguarded ud2 next\n");
		__asm__ volatile("ud2");
	}
	check(vesta_present, "running on Vesta (CPUID 0x40000100)");
}
