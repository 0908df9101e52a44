/* What a guest sees of the CPU: CPUID leaves and MSRs (x86, not specific
 * to AMD-V, so a VT-x backend can share it). */
#ifndef ARCH_X86_GUEST_POLICY_H
#define ARCH_X86_GUEST_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/cpu.h"

struct vcpu;

/* Vesta's own CPUID range, apart from 0x40000000-0x40000001, the KVM guest
 * interface (kvm_clock.h; DESIGN.md, "Linux guests"). */
#define CPUID_VESTA_BASE 0x40000100
#define CPUID_VESTA_SIGNATURE "VestaVestaVe"

struct cpuid_regs cpuid_for_guest(const struct vcpu *v, uint32_t leaf,
				  uint32_t subleaf);

/* MTRRdefType as firmware leaves it (SDM 11.11.2.1): MTRRs enabled, no
 * fixed ranges, everything write-back. MTRRcap offers no variable or fixed
 * ranges, so this is the whole memory-type map, and Linux 6.1 keeps PAT
 * (it turns PAT off when it finds no MTRRs). */
#define GUEST_MTRR_DEF_TYPE_RESET 0x806ull

/* Return false when the guest must get #GP. */
bool msr_read_for_guest(struct vcpu *v, uint32_t msr, uint64_t *value);
bool msr_write_for_guest(struct vcpu *v, uint32_t msr, uint64_t value);

#endif
