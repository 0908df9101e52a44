/* The test-guest framework (docs/guests.md). A test guest is one file in
 * guests/tests/ that includes this header and defines
 *
 *	void guest_main(const struct pvh_start_info *si);
 *
 * The framework has entered long mode, loaded its GDT and IDT and found the
 * console before calling it; when guest_main returns, it prints
 * "RESULT: passed=N failed=M" and powers the domain off. */
#ifndef GUEST_GUEST_H
#define GUEST_GUEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hypercall.h"
#include "lib/cmdline.h"
#include "lib/format.h"
#include "lib/string.h"
#include "vesta/pvh_start_info.h"
#include "x86.h"

/* uint64_t constants (unsigned long: printf with %lu). */
#define NS_PER_US ((uint64_t)1000)
#define NS_PER_MS ((uint64_t)1000000)
#define NS_PER_S ((uint64_t)1000000000)
#define MIB ((uint64_t)1 << 20)

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The most vCPUs vcpu_start() can start (static stacks in .bss). */
#define GUEST_MAX_VCPUS 64
#define GUEST_VCPU_STACK_SIZE 8192

/* The test's entry point. */
void guest_main(const struct pvh_start_info *si);

/* The test's name: guests.mk compiles guests/tests/NAME.c with
 * -DGUEST_NAME='"NAME"'; the framework prints it at start. */
extern const char guest_name[];
#ifdef GUEST_NAME
const char guest_name[] = GUEST_NAME;
#endif

/* ------------------------------------------------------------- console */

/* Lines go to VESTA_HC_CONSOLE_WRITE, or to COM1 when no Vesta is found
 * (see vesta_present). Each printf call is one console write when it fits
 * in 256 bytes, so lines from several vCPUs do not mix. */
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap);
void console_write(const char *s, size_t len);

/* --------------------------------------------------------------- checks */

/* Prints "PASS: <message>" or "FAIL: <message>", counts it and returns
 * cond. Safe from any vCPU. C evaluates cond and the format arguments in
 * no fixed order: compute a value before the call if cond sets it. */
bool check(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void pass(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "SKIP: <message>": a check that does not apply here; not counted. */
void skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints "RESULT: passed=N failed=M". */
void print_result(void);

/* "RESULT: ...", then VESTA_HC_SHUTDOWN(POWEROFF). */
__attribute__((noreturn)) void guest_finish(void);

/* VESTA_HC_SHUTDOWN(reason); never returns. If the hypercall returns (no
 * Vesta, or a broken one), says so and powers off QEMU through ACPI. */
__attribute__((noreturn)) void guest_shutdown(unsigned reason);

/* ---------------------------------------------------------- environment */

/* True when CPUID 0x40000100 shows "VestaVestaVe". */
extern bool vesta_present;

/* The PVH start info, and a copy of the command line made at start (its
 * first 1023 bytes; "" if none). */
extern const struct pvh_start_info *start_info;
const char *guest_cmdline(void);

/* VESTA_HC_DOMAIN_INFO for the calling vCPU; false (and a zeroed *info)
 * when the hypercall fails. */
bool domain_info(struct vesta_domain_info *info);

/* The end of guest RAM: DOMAIN_INFO's memory_bytes, else the end of the
 * highest usable range of the PVH memory map. */
uint64_t guest_ram_bytes(void);

/* Makes guest-physical pa accessible and returns a pointer to it. The
 * first 4 GiB are identity mapped from entry (2 MiB pages; page 0 is not
 * mapped so that NULL faults); above that, one 1 GiB window below
 * 512 GiB is mapped at a time, identity too. NULL if pa is out of reach. */
volatile void *phys_map(uint64_t pa);

/* ------------------------------------------------------------------ time */

/* Nanoseconds from VESTA_HC_TIME_NOW; without Vesta, the TSC count (a rough
 * stand-in so that loops still end on plain QEMU). */
uint64_t time_now(void);
/* VESTA_HC_BLOCK_UNTIL; without Vesta, spins until time_now() passes. */
void block_until(uint64_t deadline_ns);
void sleep_ns(uint64_t ns);

/* ------------------------------------------------------------------ SMP */

/* Starts vCPU id (1..GUEST_MAX_VCPUS-1) with VESTA_HC_VCPU_UP on its own
 * stack: it loads the GDT and IDT, calls fn(arg), and when fn returns,
 * blocks forever. Returns the hypercall's result. */
long vcpu_start(uint32_t id, void (*fn)(void *arg), void *arg);

struct spinlock {
	uint32_t locked;
};

static inline void spin_lock(struct spinlock *l)
{
	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE) != 0)
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED) != 0)
			cpu_relax();
}

static inline void spin_unlock(struct spinlock *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

/* ----------------------------------------------------------- internals */

/* The general registers and the exception frame, as trap_entry.S
 * pushes them. */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};

void count_failure(void);	/* a failure reported elsewhere */
void gdt_load(void);	/* entry.S: loads the GDT, reloads segments */
void trap_init(void);	/* builds the IDT and loads it */
/* Runs fn (with interrupts off) for external interrupt `vector` >= 32;
 * the handler sends its own EOI. Without one, an interrupt is a FAIL. */
void irq_set_handler(uint8_t vector, void (*fn)(uint8_t vector));
void trap_load(void);	/* loads it on a secondary vCPU */
const struct desc_ptr *trap_idt_ptr(void);

#endif
