#ifndef ARCH_X86_SVM_SVM_VCPU_H
#define ARCH_X86_SVM_SVM_VCPU_H

struct vcpu;

/* Handles the exit recorded in v's VMCB (svm_exit.c). */
void svm_handle_exit(struct vcpu *v);

#endif
