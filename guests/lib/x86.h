/* x86 instructions for test guests: CPUID, MSRs, I/O ports, control
 * registers, and the exception table that lets an instruction fault and
 * carry on ("rdmsr_safe"). */
#ifndef GUEST_X86_H
#define GUEST_X86_H

#include <stdbool.h>
#include <stdint.h>

/* Exception vectors (AMD APM vol. 2, 8.2). */
#define X86_DE 0
#define X86_DB 1
#define X86_NMI 2
#define X86_BP 3
#define X86_OF 4
#define X86_BR 5
#define X86_UD 6
#define X86_NM 7
#define X86_DF 8
#define X86_TS 10
#define X86_NP 11
#define X86_SS 12
#define X86_GP 13
#define X86_PF 14
#define X86_MF 16
#define X86_AC 17
#define X86_MC 18
#define X86_XM 19
#define X86_CP 21
#define X86_VC 29
#define X86_SX 30

/* Selectors of the framework's GDT (entry.S). */
#define GUEST_SEL_CODE64 0x08
#define GUEST_SEL_DATA 0x10

#define MSR_TSC 0x00000010
#define MSR_SYSENTER_CS 0x00000174
#define MSR_SYSENTER_ESP 0x00000175
#define MSR_SYSENTER_EIP 0x00000176
#define MSR_PAT 0x00000277
#define MSR_EFER 0xc0000080
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SFMASK 0xc0000084
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102
#define MSR_VM_CR 0xc0010114
#define MSR_VM_HSAVE_PA 0xc0010117

#define EFER_SCE (1ull << 0)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)
#define EFER_SVME (1ull << 12)

/*
 * The exception table. ASM_EXTABLE(fault, fixup) in an asm statement says:
 * if the instruction at label `fault` raises an exception (vectors 0-31,
 * not NMI), resume at label `fixup` with R11 = the exception info instead
 * of reporting "unexpected exception". The info is EXINFO_VALID | error
 * code << 8 | vector, so it is never 0: an asm that starts with R11 = 0
 * can tell whether it faulted. Interrupts never take a fixup.
 */
#define ASM_EXTABLE(fault, fixup)                 \
	".pushsection .ex_table, \"a\"\n\t"       \
	".balign 8\n\t"                           \
	".quad " #fault ", " #fixup "\n\t"        \
	".popsection\n\t"

#define EXINFO_VALID (1ull << 63)
static inline unsigned exinfo_vector(uint64_t exinfo)
{
	return (unsigned)(exinfo & 0xff);
}
static inline uint32_t exinfo_error(uint64_t exinfo)
{
	return (uint32_t)(exinfo >> 8);
}

/* A short name for a vector: "#GP", "#PF"... or "vector" for others. */
const char *exception_name(unsigned vector);

static inline void cpuid_count(uint32_t leaf, uint32_t subleaf, uint32_t *a,
			       uint32_t *b, uint32_t *c, uint32_t *d)
{
	__asm__ volatile("cpuid"
			 : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d)
			 : "a"(leaf), "c"(subleaf));
}

static inline void cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c,
			 uint32_t *d)
{
	cpuid_count(leaf, 0, a, b, c, d);
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t val)
{
	__asm__ volatile("wrmsr"
			 :
			 : "c"(msr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32))
			 : "memory");
}

/* RDMSR that may fault: returns 0 and sets *val, or the exception info
 * (see ASM_EXTABLE) and leaves *val alone. */
static inline uint64_t rdmsr_try(uint32_t msr, uint64_t *val)
{
	uint32_t lo, hi;
	register uint64_t exinfo __asm__("r11") = 0;

	__asm__ volatile("1: rdmsr\n2:\n\t" ASM_EXTABLE(1b, 2b)
			 : "=a"(lo), "=d"(hi), "+r"(exinfo)
			 : "c"(msr));
	if (exinfo == 0)
		*val = (uint64_t)hi << 32 | lo;
	return exinfo;
}

static inline uint64_t wrmsr_try(uint32_t msr, uint64_t val)
{
	register uint64_t exinfo __asm__("r11") = 0;

	__asm__ volatile("1: wrmsr\n2:\n\t" ASM_EXTABLE(1b, 2b)
			 : "+r"(exinfo)
			 : "c"(msr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32))
			 : "memory");
	return exinfo;
}

/* False when the instruction faulted (any exception). */
static inline bool rdmsr_safe(uint32_t msr, uint64_t *val)
{
	return rdmsr_try(msr, val) == 0;
}

static inline bool wrmsr_safe(uint32_t msr, uint64_t val)
{
	return wrmsr_try(msr, val) == 0;
}

/* Memory accesses that may fault (a #PF, a #GP on a non-canonical
 * address): 0 or the exception info. */
static inline uint64_t read64_try(const volatile void *p, uint64_t *val)
{
	uint64_t v = 0;
	register uint64_t exinfo __asm__("r11") = 0;

	__asm__ volatile("1: movq (%2), %0\n2:\n\t" ASM_EXTABLE(1b, 2b)
			 : "+r"(v), "+r"(exinfo)
			 : "r"(p)
			 : "memory");
	if (exinfo == 0)
		*val = v;
	return exinfo;
}

static inline uint64_t write64_try(volatile void *p, uint64_t val)
{
	register uint64_t exinfo __asm__("r11") = 0;

	__asm__ volatile("1: movq %1, (%2)\n2:\n\t" ASM_EXTABLE(1b, 2b)
			 : "+r"(exinfo)
			 : "r"(val), "r"(p)
			 : "memory");
	return exinfo;
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t v;

	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint64_t read_cr0(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}

static inline uint64_t read_cr2(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

static inline uint64_t read_cr3(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

static inline void write_cr3(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}

static inline uint64_t read_cr4(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

static inline uint64_t read_rflags(void)
{
	uint64_t v;

	__asm__ volatile("pushfq\n\tpopq %0" : "=r"(v));
	return v;
}

static inline void invlpg(const void *p)
{
	__asm__ volatile("invlpg (%0)" : : "r"(p) : "memory");
}

static inline void cli(void)
{
	__asm__ volatile("cli" : : : "memory");
}

static inline void cpu_relax(void)
{
	__asm__ volatile("pause" : : : "memory");
}

struct __attribute__((packed)) desc_ptr {
	uint16_t limit;
	uint64_t base;
};

static inline void lidt(const struct desc_ptr *p)
{
	__asm__ volatile("lidt %0" : : "m"(*p) : "memory");
}

static inline void sidt(struct desc_ptr *p)
{
	__asm__ volatile("sidt %0" : "=m"(*p));
}

#endif
