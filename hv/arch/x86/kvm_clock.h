/* The KVM guest interface's paravirtual clock (kvmclock), which Linux
 * already speaks (Documentation/virt/kvm/x86/msr.rst, cpuid.rst): it gives
 * a guest the TSC frequency and a stable clock, so Linux needs no PIT or
 * HPET to calibrate. Advertised in CPUID only because it is backed here. */
#ifndef ARCH_X86_KVM_CLOCK_H
#define ARCH_X86_KVM_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/cpu.h"

#define CPUID_KVM_SIGNATURE_LEAF 0x40000000
#define CPUID_KVM_FEATURES_LEAF 0x40000001
#define MSR_KVM_WALL_CLOCK_NEW 0x4b564d00
#define MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01

struct vcpu;

/* pvclock_vcpu_time_info, Linux's arch/x86/include/asm/pvclock-abi.h:
 * ns = system_time + (((tsc - tsc_timestamp) << tsc_shift) * mul >> 32). */
struct __attribute__((packed)) pvclock_vcpu_time_info {
	uint32_t version;		/* odd while being written */
	uint32_t pad0;
	uint64_t tsc_timestamp;
	uint64_t system_time;
	uint32_t tsc_to_system_mul;
	int8_t tsc_shift;
	uint8_t flags;
	uint8_t pad[2];
};

struct __attribute__((packed)) pvclock_wall_clock {
	uint32_t version;
	uint32_t sec;
	uint32_t nsec;
};

_Static_assert(sizeof(struct pvclock_vcpu_time_info) == 32, "pvclock ABI");
_Static_assert(sizeof(struct pvclock_wall_clock) == 12, "pvclock ABI");

struct cpuid_regs kvm_cpuid_leaf(uint32_t leaf);
bool kvm_clock_msr_read(struct vcpu *v, uint32_t msr, uint64_t *value);
/* False: not a kvmclock MSR (the caller injects #GP). */
bool kvm_clock_msr_write(struct vcpu *v, uint32_t msr, uint64_t value);

#endif
