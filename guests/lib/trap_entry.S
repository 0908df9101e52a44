/* Exception and interrupt entry: one 16-byte stub per vector pushes a
 * dummy error code where the CPU pushes none, then the vector, then all
 * general registers (struct trap_frame in guest.h), and calls
 * trap_handler(frame). The handler may change the frame (RIP and R11 for
 * an exception-table fixup); it is popped back and IRETQ resumes. */

/* Exceptions that push an error code, AMD APM vol. 2, 8.2. */
#define HAS_ERROR_CODE(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || \
	(v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

	.text
	.code64
	.balign 16
	.globl trap_stubs
trap_stubs:
	vector = 0
	.rept 256
	.balign 16
	.if (HAS_ERROR_CODE(vector)) == 0
	pushq $0
	.endif
	pushq $vector
	jmp trap_common
	vector = vector + 1
	.endr

trap_common:
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	cld
	/* The CPU aligned RSP to 16 before pushing its frame; 6 + 1 + 15
	 * quadwords keep it aligned for the call. */
	movq %rsp, %rdi
	call trap_handler
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	addq $16, %rsp			/* vector and error code */
	iretq
