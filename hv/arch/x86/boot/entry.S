/*
 * The hypervisor's first instructions. Two ways in, both in 32-bit protected
 * mode with paging off:
 *   PVH (QEMU -kernel, Xen's HVM direct boot ABI): EBX = hvm_start_info.
 *   Multiboot2 (GRUB): EAX = MB2_BOOTLOADER_MAGIC, EBX = boot information.
 * Both build identity page tables for the first 4 GiB, enter long mode and
 * call boot_main(protocol, info) on the boot stack.
 */
#include "arch/x86/layout.h"
#include "arch/x86/boot/long_mode.h"

#define PTE_P 0x1
#define PTE_W 0x2
#define PTE_PS 0x80

	.section .multiboot2, "a"
	.balign 8
mb2_header:
	.long MB2_HEADER_MAGIC
	.long MB2_ARCH_I386
	.long mb2_header_end - mb2_header
	.long -(MB2_HEADER_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
	/* end tag: type 0, flags 0, size 8 */
	.short 0
	.short 0
	.long 8
mb2_header_end:

	/* ELF note read by QEMU's PVH loader; the descriptor is 8 bytes as in
	 * Linux, since QEMU reads a pointer-sized value for ELF64. */
	.section .note.vesta, "a", @note
	.balign 4
	.long 4				/* namesz: "Xen\0" */
	.long 8				/* descsz */
	.long XEN_ELFNOTE_PHYS32_ENTRY
	.asciz "Xen"
	.balign 4
	.quad pvh_entry
	.balign 4

	.section .text.boot, "ax"
	.code32
	.globl pvh_entry
pvh_entry:
	movl $BOOT_PROTOCOL_PVH, %edi
	movl %ebx, %esi
	jmp start32

	.globl mb2_entry
mb2_entry:
	cmpl $MB2_BOOTLOADER_MAGIC, %eax
	jne early_fail
	movl $BOOT_PROTOCOL_MULTIBOOT2, %edi
	movl %ebx, %esi

start32:
	cli
	cld
	movl %edi, %ebp			/* protocol; ESI keeps the info pointer */

	/* Loaders zero .bss already; be sure, the page tables live there. */
	movl $__bss_start, %edi
	movl $__bss_end, %ecx
	subl %edi, %ecx
	xorl %eax, %eax
	rep stosb
	movl $(boot_stack + BOOT_STACK_SIZE), %esp

	/* Long mode and NX are required: AMD-V hosts all have both. */
	movl $0x80000001, %eax
	cpuid
	btl $29, %edx			/* LM */
	jnc early_fail
	btl $20, %edx			/* NX */
	jnc early_fail

	/* PML4[0] -> PDPT; PDPT[0..3] -> four page directories of 2 MiB
	 * pages covering 0..4 GiB, writable and executable. */
	movl $boot_pdpt, %eax
	orl $(PTE_P | PTE_W), %eax
	movl %eax, boot_pml4

	xorl %ecx, %ecx
1:	movl %ecx, %eax
	shll $12, %eax
	addl $boot_pd, %eax
	orl $(PTE_P | PTE_W), %eax
	movl %eax, boot_pdpt(, %ecx, 8)
	incl %ecx
	cmpl $4, %ecx
	jne 1b

	xorl %ecx, %ecx			/* 2048 entries, entry i maps i * 2 MiB */
2:	movl %ecx, %eax
	shll $21, %eax
	orl $(PTE_P | PTE_W | PTE_PS), %eax
	movl %eax, boot_pd(, %ecx, 8)
	movl %ecx, %eax
	shrl $11, %eax			/* bits 32+ of i * 2 MiB */
	movl %eax, boot_pd + 4(, %ecx, 8)
	incl %ecx
	cmpl $2048, %ecx
	jne 2b

	movl $boot_pml4, %eax
	enable_long_mode

	lgdt boot_gdt_ptr
	ljmp $SEL_CODE64, $start64

early_fail:
	/* No console yet: say it on COM1 with bare port writes. */
	movl $early_fail_msg, %esi
3:	lodsb
	testb %al, %al
	jz 5f
	movw $0x3fd, %dx		/* wait for THR empty (LSR bit 5) */
	movb %al, %bl
4:	inb %dx, %al
	testb $0x20, %al
	jz 4b
	movw $0x3f8, %dx
	movb %bl, %al
	outb %al, %dx
	jmp 3b
5:	cli
	hlt
	jmp 5b

	.code64
start64:
	movw $SEL_DATA, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	xorw %ax, %ax
	movw %ax, %fs
	movw %ax, %gs
	movq $(boot_stack + BOOT_STACK_SIZE), %rsp
	movl %ebp, %edi			/* zero-extends protocol and info */
	movl %esi, %esi
	xorl %ebp, %ebp			/* ends stack traces here */
	call boot_main
6:	cli
	hlt
	jmp 6b

	.section .rodata
early_fail_msg:
	.asciz "vesta: this CPU lacks long mode or NX, or the boot loader is not Multiboot2/PVH\r\n"

	/* Used by the BSP until C builds the real GDT, and by the AP
	 * trampoline (same selectors as the per-CPU GDTs, see layout.h). */
	.balign 16
	.globl boot_gdt
boot_gdt:
	.quad 0
	.quad 0x00af9a000000ffff	/* SEL_CODE64 */
	.quad 0x00cf92000000ffff	/* SEL_DATA */
	.quad 0x00cf9a000000ffff	/* SEL_CODE32 */
boot_gdt_end:
	.if boot_gdt_end - boot_gdt - BOOT_GDT_ENTRIES * 8
	.error "BOOT_GDT_ENTRIES does not match boot_gdt"
	.endif
boot_gdt_ptr:
	.short boot_gdt_end - boot_gdt - 1
	.quad boot_gdt

	.section .bss.boot, "aw", @nobits
	.balign 4096
	.globl boot_pml4
boot_pml4:
	.skip 4096
boot_pdpt:
	.skip 4096
boot_pd:
	.skip 4 * 4096
	.globl boot_stack
boot_stack:
	.skip BOOT_STACK_SIZE
