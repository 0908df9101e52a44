#ifndef ARCH_X86_SVM_SVM_VCPU_H
#define ARCH_X86_SVM_SVM_VCPU_H

struct vcpu;

#include <stdbool.h>
#include <stdint.h>

/* Handles the exit recorded in v's VMCB (svm_exit.c). */
void svm_handle_exit(struct vcpu *v);
/* A nested page fault at gpa: emulates the access if a device region is
 * there (svm_mmio.c); false if none is. */
bool svm_emulate_mmio(struct vcpu *v, uint64_t gpa);

#endif
