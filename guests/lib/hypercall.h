/* Vesta hypercalls from a test guest: VMMCALL with RAX = number, RDI RSI
 * RDX R10 R8 = arguments, RAX = result (include/vesta/hypercall.h).
 *
 * The VMMCALL sits in the exception table: where no hypervisor intercepts
 * it (plain QEMU, or a hypervisor that forgot to), it raises #UD and the
 * wrapper returns HC_FAULTED instead of crashing the guest. HC_FAULTED is no
 * VESTA_E* value, so a check that expects a real result fails. */
#ifndef GUEST_HYPERCALL_H
#define GUEST_HYPERCALL_H

#include <stdint.h>

#include "vesta/hypercall.h"
#include "x86.h"

#define HC_FAULTED (-4096L)

static inline long hypercall5(uint64_t nr, uint64_t a1, uint64_t a2,
			      uint64_t a3, uint64_t a4, uint64_t a5)
{
	register uint64_t r10 __asm__("r10") = a4;
	register uint64_t r8 __asm__("r8") = a5;
	register uint64_t exinfo __asm__("r11") = 0;
	uint64_t rax = nr;

	__asm__ volatile("1: vmmcall\n2:\n\t" ASM_EXTABLE(1b, 2b)
			 : "+a"(rax), "+r"(exinfo)
			 : "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8)
			 : "memory");
	return exinfo != 0 ? HC_FAULTED : (long)rax;
}

static inline long hypercall0(uint64_t nr)
{
	return hypercall5(nr, 0, 0, 0, 0, 0);
}

static inline long hypercall1(uint64_t nr, uint64_t a1)
{
	return hypercall5(nr, a1, 0, 0, 0, 0);
}

static inline long hypercall2(uint64_t nr, uint64_t a1, uint64_t a2)
{
	return hypercall5(nr, a1, a2, 0, 0, 0);
}

static inline long hypercall4(uint64_t nr, uint64_t a1, uint64_t a2,
			      uint64_t a3, uint64_t a4)
{
	return hypercall5(nr, a1, a2, a3, a4, 0);
}

/* One wrapper per hypercall; addresses are guest-physical, which in a test
 * guest (identity mapped) is the same as a pointer. */
static inline long hc_version(void)
{
	return hypercall0(VESTA_HC_VERSION);
}

static inline long hc_console_write(uint64_t buf_gpa, uint64_t len)
{
	return hypercall2(VESTA_HC_CONSOLE_WRITE, buf_gpa, len);
}

static inline long hc_yield(void)
{
	return hypercall0(VESTA_HC_YIELD);
}

static inline long hc_block_until(uint64_t deadline_ns)
{
	return hypercall1(VESTA_HC_BLOCK_UNTIL, deadline_ns);
}

static inline long hc_time_now(void)
{
	return hypercall0(VESTA_HC_TIME_NOW);
}

static inline long hc_shutdown(uint64_t reason)
{
	return hypercall1(VESTA_HC_SHUTDOWN, reason);
}

static inline long hc_domain_info(uint64_t info_gpa, uint64_t size)
{
	return hypercall2(VESTA_HC_DOMAIN_INFO, info_gpa, size);
}

static inline long hc_vcpu_up(uint64_t vcpu_id, uint64_t rip, uint64_t rsp,
			      uint64_t arg)
{
	return hypercall4(VESTA_HC_VCPU_UP, vcpu_id, rip, rsp, arg);
}

static inline long hc_vcpu_wake(uint64_t vcpu_id)
{
	return hypercall1(VESTA_HC_VCPU_WAKE, vcpu_id);
}

#endif
