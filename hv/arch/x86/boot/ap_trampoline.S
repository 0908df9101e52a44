/*
 * Start-up code of the secondary CPUs. smp.c copies it to TRAMPOLINE_PHYS
 * and fills ap_params; a STARTUP IPI starts the CPU here in real mode with
 * CS = TRAMPOLINE_PHYS >> 4, IP = 0. It goes through protected mode into
 * long mode on the boot page tables (identity, first 4 GiB) and jumps to
 * ap_entry(percpu) on its own stack. Code and data here are addressed as
 * TRAMPOLINE_PHYS + offset, since this is not where it was linked.
 */
#include "arch/x86/layout.h"
#include "arch/x86/boot/long_mode.h"

#define AT(label) (TRAMPOLINE_PHYS + ((label) - ap_trampoline_start))

	.section .rodata
	.balign 16
	.globl ap_trampoline_start
ap_trampoline_start:
	.code16
	cli
	cld
	movw %cs, %ax
	movw %ax, %ds
	lgdtl (tramp_gdt_ptr - ap_trampoline_start)
	movl %cr0, %eax
	orl $1, %eax			/* CR0.PE */
	movl %eax, %cr0
	ljmpl $SEL_CODE32, $AT(tramp32)

	.code32
tramp32:
	movw $SEL_DATA, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movl AT(ap_params_cr3), %eax
	enable_long_mode
	ljmp $SEL_CODE64, $AT(tramp64)

	.code64
tramp64:
	movq AT(ap_params_stack), %rsp
	movq AT(ap_params_percpu), %rdi
	movq AT(ap_params_entry), %rax
	xorl %ebp, %ebp
	jmp *%rax

	/* The boot GDT in the image: lgdt takes a 32-bit base even in
	 * real mode, and only this pointer must be reachable through DS. */
tramp_gdt_ptr:
	.short BOOT_GDT_ENTRIES * 8 - 1
	.long boot_gdt

	/* struct ap_params in smp.c */
	.balign 8
	.globl ap_params
ap_params:
ap_params_cr3:
	.quad 0
ap_params_stack:
	.quad 0
ap_params_percpu:
	.quad 0
ap_params_entry:
	.quad 0
	.globl ap_trampoline_end
ap_trampoline_end:
