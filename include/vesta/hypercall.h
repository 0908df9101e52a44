/*
 * Vesta's hypercall ABI, version 1.0 (docs/hypercalls.md).
 *
 * A guest calls the hypervisor with VMMCALL:
 *   RAX = hypercall number (VESTA_HC_*), in Vesta's own range, apart from
 *         the KVM numbers (1..12) that Linux guests use;
 *   RDI, RSI, RDX, R10, R8 = arguments 1..5 (the System V syscall order);
 *   RAX on return = a result >= 0, or a negative VESTA_E* error.
 * Every other register is preserved. Guest addresses are guest-physical.
 * Layouts here are fixed: little-endian, naturally aligned, sizes asserted.
 */
#ifndef VESTA_HYPERCALL_H
#define VESTA_HYPERCALL_H

#include <stdint.h>

#define VESTA_ABI_MAJOR 1
#define VESTA_ABI_MINOR 0

#define VESTA_HC_BASE 0x56450000u	/* "VE" in the high half */

enum vesta_hypercall {
	/* () -> (VESTA_ABI_MAJOR << 16) | VESTA_ABI_MINOR */
	VESTA_HC_VERSION = VESTA_HC_BASE + 0,
	/* (buf_gpa, len) -> bytes written; len <= VESTA_CONSOLE_WRITE_MAX */
	VESTA_HC_CONSOLE_WRITE = VESTA_HC_BASE + 1,
	/* () -> 0: give up the CPU to another runnable vCPU */
	VESTA_HC_YIELD = VESTA_HC_BASE + 2,
	/* (deadline_ns) -> 0: block until the domain clock reaches deadline_ns
	 * (VESTA_HC_TIME_NOW's clock) or the vCPU is woken (VESTA_HC_VCPU_WAKE);
	 * a deadline in the past returns at once */
	VESTA_HC_BLOCK_UNTIL = VESTA_HC_BASE + 3,
	/* () -> nanoseconds since the domain was created, monotonic */
	VESTA_HC_TIME_NOW = VESTA_HC_BASE + 4,
	/* (reason: VESTA_SHUTDOWN_*) -> does not return on success */
	VESTA_HC_SHUTDOWN = VESTA_HC_BASE + 5,
	/* (info_gpa, size) -> 0: fills struct vesta_domain_info (size must be
	 * at least sizeof(struct vesta_domain_info)) */
	VESTA_HC_DOMAIN_INFO = VESTA_HC_BASE + 6,
	/* (vcpu_id, rip, rsp, arg) -> 0: starts a vCPU that has not started,
	 * in the caller's mode and address space (same CR0/CR3/CR4/EFER and
	 * segments), at rip with RSP = rsp and RDI = arg */
	VESTA_HC_VCPU_UP = VESTA_HC_BASE + 7,
	/* (vcpu_id) -> 0: wakes that vCPU if it is blocked */
	VESTA_HC_VCPU_WAKE = VESTA_HC_BASE + 8,
};

/* Errors, as negative return values; the numbers are Linux's errno. */
#define VESTA_EPERM 1
#define VESTA_ENOENT 2
#define VESTA_EFAULT 14	/* a guest address outside the domain's RAM */
#define VESTA_EBUSY 16
#define VESTA_EINVAL 22
#define VESTA_ENOSYS 38	/* no such hypercall */

#define VESTA_CONSOLE_WRITE_MAX 4096

enum vesta_shutdown_reason {
	VESTA_SHUTDOWN_POWEROFF = 0,
	VESTA_SHUTDOWN_REBOOT = 1,
	VESTA_SHUTDOWN_CRASH = 2,
};

#define VESTA_DOMAIN_NAME_MAX 32

struct vesta_domain_info {
	uint32_t domid;
	uint32_t vcpu_count;
	uint32_t vcpu_id;		/* of the calling vCPU */
	uint32_t reserved;
	uint64_t memory_bytes;		/* guest RAM, from guest-physical 0 */
	char name[VESTA_DOMAIN_NAME_MAX];	/* NUL-terminated */
};

_Static_assert(sizeof(struct vesta_domain_info) == 56,
	       "struct vesta_domain_info layout is ABI");

#endif
