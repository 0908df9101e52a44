/* Entering long mode, shared by the boot CPU's entry and the APs'
 * trampoline (assembly only). */
#ifndef ARCH_X86_BOOT_LONG_MODE_H
#define ARCH_X86_BOOT_LONG_MODE_H

/* AMD APM vol. 2: CR0 (3.1.1), CR4 (3.1.3), EFER (3.1.7). */
#define LM_CR0_PE 0x00000001
#define LM_CR0_WP 0x00010000
#define LM_CR0_PG 0x80000000
#define LM_CR4_PAE 0x00000020
#define LM_MSR_EFER 0xc0000080
#define LM_EFER_LME 0x00000100
#define LM_EFER_NXE 0x00000800

/* From 32-bit protected mode, paging off, EAX = the PML4's physical
 * address: CR3, PAE, EFER.LME and NXE, then paging (APM vol. 2, 14.6.1).
 * A far jump to 64-bit code must follow. Clobbers EAX, ECX, EDX. */
.macro enable_long_mode
	movl %eax, %cr3
	movl %cr4, %eax
	orl $LM_CR4_PAE, %eax
	movl %eax, %cr4
	movl $LM_MSR_EFER, %ecx
	rdmsr
	orl $(LM_EFER_LME | LM_EFER_NXE), %eax
	wrmsr
	movl %cr0, %eax
	orl $(LM_CR0_PG | LM_CR0_WP | LM_CR0_PE), %eax
	movl %eax, %cr0
.endm

#endif
