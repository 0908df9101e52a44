/* KVM's paravirtual end of interrupt (Documentation/virt/kvm/x86/msr.rst,
 * MSR_KVM_PV_EOI_EN): when only one interrupt is in service, Vesta sets a
 * flag in guest memory as it injects it, and the guest ends the interrupt
 * by clearing the flag instead of writing the EOI register, an exit saved
 * per interrupt. Vesta reads the flag back at each exit (svm_exit.c): the
 * guest can only have cleared it while it ran. */
#ifndef ARCH_X86_KVM_PV_EOI_H
#define ARCH_X86_KVM_PV_EOI_H

#include <stdbool.h>
#include <stdint.h>

#define MSR_KVM_PV_EOI_EN 0x4b564d04

struct vcpu;

bool kvm_pv_eoi_msr_read(struct vcpu *v, uint32_t msr, uint64_t *value);
/* False: not this MSR, or a bad address (the caller injects #GP). */
bool kvm_pv_eoi_msr_write(struct vcpu *v, uint32_t msr, uint64_t value);
/* At each exit: if the guest cleared the flag, end its interrupt. */
void kvm_pv_eoi_sync(struct vcpu *v);
/* Vesta is about to inject `vector`: set the flag if it may be used. */
void kvm_pv_eoi_on_inject(struct vcpu *v);

#endif
