/*
 * void svm_vmrun(uint64_t guest_vmcb_pa, struct guest_regs *regs,
 *                uint64_t host_vmcb_pa)
 *
 * One world switch: save the host state VMRUN does not (FS, GS, TR, LDTR,
 * the syscall MSRs: VMSAVE into the CPU's host VMCB), load the guest's
 * general registers, VMLOAD + VMRUN + VMSAVE the guest VMCB, store the
 * guest's registers, restore the host's. Called with GIF = 0.
 */
#define REG_RBX 0
#define REG_RCX 8
#define REG_RDX 16
#define REG_RSI 24
#define REG_RDI 32
#define REG_RBP 40
#define REG_R8 48
#define REG_R9 56
#define REG_R10 64
#define REG_R11 72
#define REG_R12 80
#define REG_R13 88
#define REG_R14 96
#define REG_R15 104

	.section .text
	.code64
	.globl svm_vmrun
svm_vmrun:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	pushq %rdx			/* 16(%rsp): host VMCB */
	pushq %rsi			/*  8(%rsp): guest registers */
	pushq %rdi			/*  0(%rsp): guest VMCB */

	movq %rdx, %rax
	vmsave %rax

	movq REG_RBX(%rsi), %rbx
	movq REG_RCX(%rsi), %rcx
	movq REG_RDX(%rsi), %rdx
	movq REG_RDI(%rsi), %rdi
	movq REG_RBP(%rsi), %rbp
	movq REG_R8(%rsi), %r8
	movq REG_R9(%rsi), %r9
	movq REG_R10(%rsi), %r10
	movq REG_R11(%rsi), %r11
	movq REG_R12(%rsi), %r12
	movq REG_R13(%rsi), %r13
	movq REG_R14(%rsi), %r14
	movq REG_R15(%rsi), %r15
	movq REG_RSI(%rsi), %rsi

	movq (%rsp), %rax
	vmload %rax
	vmrun %rax
	vmsave %rax

	pushq %rsi			/* the guest's RSI, while RSI finds regs */
	movq 16(%rsp), %rsi
	popq REG_RSI(%rsi)
	movq %rbx, REG_RBX(%rsi)
	movq %rcx, REG_RCX(%rsi)
	movq %rdx, REG_RDX(%rsi)
	movq %rdi, REG_RDI(%rsi)
	movq %rbp, REG_RBP(%rsi)
	movq %r8, REG_R8(%rsi)
	movq %r9, REG_R9(%rsi)
	movq %r10, REG_R10(%rsi)
	movq %r11, REG_R11(%rsi)
	movq %r12, REG_R12(%rsi)
	movq %r13, REG_R13(%rsi)
	movq %r14, REG_R14(%rsi)
	movq %r15, REG_R15(%rsi)

	movq 16(%rsp), %rax
	vmload %rax
	addq $24, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret
