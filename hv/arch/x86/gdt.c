/* Per-CPU GDT and TSS. Each CPU needs its own TSS (for its IST stacks), and
 * so its own GDT, since loading a TSS marks its descriptor busy. */
#include "arch/x86/layout.h"
#include "arch/x86/msr.h"
#include "arch/x86/cpu.h"
#include "arch/x86/percpu.h"
#include "arch/x86/trap.h"

/* Code and data descriptors, AMD APM vol. 2, 4.8 "Long-Mode Segment
 * Descriptors"; the same values as boot_gdt in entry.S. */
#define DESC_CODE64 0x00af9a000000ffffull
#define DESC_DATA 0x00cf92000000ffffull
#define DESC_CODE32 0x00cf9a000000ffffull
#define TSS_TYPE_AVAILABLE_64 0x9
#define DESC_PRESENT (1ull << 47)

static void gdt_set_tss(uint64_t *gdt, const struct tss64 *tss)
{
	uint64_t base = (uint64_t)(uintptr_t)tss;
	uint64_t limit = sizeof(*tss) - 1;

	gdt[SEL_TSS / 8] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
			   ((uint64_t)TSS_TYPE_AVAILABLE_64 << 40) | DESC_PRESENT |
			   (((limit >> 16) & 0xf) << 48) |
			   (((base >> 24) & 0xff) << 56);
	gdt[SEL_TSS / 8 + 1] = base >> 32;
}

static void gdt_load(const uint64_t *gdt)
{
	struct __attribute__((packed)) {
		uint16_t limit;
		uint64_t base;
	} ptr = {GDT_ENTRIES * 8 - 1, (uint64_t)(uintptr_t)gdt};

	__asm__ volatile("lgdt %0\n\t"
			 "pushq %1\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "movw %w2, %%ds\n\t"
			 "movw %w2, %%es\n\t"
			 "movw %w2, %%ss\n\t"
			 :
			 : "m"(ptr), "i"(SEL_CODE64), "r"(SEL_DATA)
			 : "rax", "memory");
	__asm__ volatile("ltr %w0" ::"r"(SEL_TSS));
}

void percpu_load(struct percpu *cpu)
{
	cpu->self = cpu;
	cpu->gdt[0] = 0;
	cpu->gdt[SEL_CODE64 / 8] = DESC_CODE64;
	cpu->gdt[SEL_DATA / 8] = DESC_DATA;
	cpu->gdt[SEL_CODE32 / 8] = DESC_CODE32;
	gdt_set_tss(cpu->gdt, &cpu->tss);
	cpu->tss.iomap_base = sizeof(cpu->tss);	/* no I/O bitmap */
	gdt_load(cpu->gdt);
	wrmsr(MSR_GS_BASE, (uint64_t)(uintptr_t)cpu);
	idt_load();
}
