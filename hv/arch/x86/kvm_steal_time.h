/* KVM's steal time (Documentation/virt/kvm/x86/msr.rst,
 * MSR_KVM_STEAL_TIME): how long each vCPU waited, runnable, for a physical
 * CPU, so the guest's accounting (/proc/stat "steal") shows oversubscribed
 * CPUs. Written before each run of the vCPU. */
#ifndef ARCH_X86_KVM_STEAL_TIME_H
#define ARCH_X86_KVM_STEAL_TIME_H

#include <stdbool.h>
#include <stdint.h>

#define MSR_KVM_STEAL_TIME 0x4b564d03

struct vcpu;

/* struct kvm_steal_time, Linux's arch/x86/include/uapi/asm/kvm_para.h. */
struct kvm_steal_time {
	uint64_t steal;		/* ns */
	uint32_t version;	/* odd while being written */
	uint32_t flags;
	uint8_t preempted;
	uint8_t u8_pad[3];
	uint32_t pad[11];
};
_Static_assert(sizeof(struct kvm_steal_time) == 64, "KVM steal time ABI");

bool kvm_steal_time_msr_read(struct vcpu *v, uint32_t msr, uint64_t *value);
bool kvm_steal_time_msr_write(struct vcpu *v, uint32_t msr, uint64_t value);
void kvm_steal_time_update(struct vcpu *v);

#endif
