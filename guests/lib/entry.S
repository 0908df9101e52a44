/*
 * A test guest's first instructions, entered through the PVH ABI (the ELF
 * note below): 32-bit protected mode, paging off, flat CS/DS/ES/SS,
 * interrupts off, EBX = guest-physical address of struct pvh_start_info.
 * Like Vesta's own entry (hv/arch/x86/boot/entry.S): zero .bss, build
 * identity page tables for the first 4 GiB, enable PAE, EFER.LME (and NXE
 * when CPUID has NX), paging, load a 64-bit GDT and call
 * guest_start(start_info) in C on the boot stack.
 *
 * Page tables: PML4[0] -> PDPT; PDPT[0..3] -> four page directories of
 * 2 MiB pages, except the first 2 MiB, which uses 4 KiB pages so that
 * page 0 can stay unmapped (a NULL dereference faults).
 */

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define PTE_P 0x1
#define PTE_W 0x2
#define PTE_PS 0x80
#define BOOT_STACK_SIZE 16384
#define SEL_CODE64 0x08
#define SEL_DATA 0x10

	/* The PVH ELF note: name "Xen", type 18, an 8-byte descriptor with
	 * the 32-bit entry address (QEMU reads a pointer-sized value for
	 * ELF64, as for Linux). */
	.section .note.pvh, "a", @note
	.balign 4
	.long 4				/* namesz: "Xen\0" */
	.long 8				/* descsz */
	.long XEN_ELFNOTE_PHYS32_ENTRY
	.asciz "Xen"
	.balign 4
	.quad pvh_entry
	.balign 4

	.section .text.entry, "ax"
	.code32
	.globl pvh_entry
pvh_entry:
	cli
	cld
	movl %ebx, %esi			/* start info, kept across the setup */

	/* The loader zeroes .bss already (p_memsz > p_filesz); be sure,
	 * the page tables live there. */
	movl $__bss_start, %edi
	movl $__bss_end, %ecx
	subl %edi, %ecx
	xorl %eax, %eax
	rep stosb
	movl $(boot_stack + BOOT_STACK_SIZE), %esp

	/* PML4[0] -> PDPT */
	movl $guest_pdpt, %eax
	orl $(PTE_P | PTE_W), %eax
	movl %eax, guest_pml4

	/* PDPT[0..3] -> guest_pd + i * 4 KiB */
	xorl %ecx, %ecx
1:	movl %ecx, %eax
	shll $12, %eax
	addl $guest_pd, %eax
	orl $(PTE_P | PTE_W), %eax
	movl %eax, guest_pdpt(, %ecx, 8)
	incl %ecx
	cmpl $4, %ecx
	jne 1b

	/* PD entries 1..2047 map i * 2 MiB (all below 4 GiB: the upper
	 * halves stay zero); entry 0 points to the 4 KiB page table. */
	movl $1, %ecx
2:	movl %ecx, %eax
	shll $21, %eax
	orl $(PTE_P | PTE_W | PTE_PS), %eax
	movl %eax, guest_pd(, %ecx, 8)
	incl %ecx
	cmpl $2048, %ecx
	jne 2b
	movl $guest_pt0, %eax
	orl $(PTE_P | PTE_W), %eax
	movl %eax, guest_pd

	/* guest_pt0 entries 1..511 map pages 1..511; entry 0 stays empty. */
	movl $1, %ecx
3:	movl %ecx, %eax
	shll $12, %eax
	orl $(PTE_P | PTE_W), %eax
	movl %eax, guest_pt0(, %ecx, 8)
	incl %ecx
	cmpl $512, %ecx
	jne 3b

	/* NX where the CPU has it (CPUID 0x80000001 EDX[20]); EDI = the
	 * EFER bits to set. */
	movl $(1 << 8), %edi		/* EFER.LME */
	movl $0x80000000, %eax
	cpuid
	cmpl $0x80000001, %eax
	jb 4f
	movl $0x80000001, %eax
	cpuid
	btl $20, %edx
	jnc 4f
	orl $(1 << 11), %edi		/* EFER.NXE */
4:
	movl %cr4, %eax
	orl $0x20, %eax			/* CR4.PAE */
	movl %eax, %cr4
	movl $guest_pml4, %eax
	movl %eax, %cr3
	movl $0xc0000080, %ecx		/* EFER is virtualized: read, OR, write */
	rdmsr
	orl %edi, %eax
	wrmsr
	movl %cr0, %eax
	orl $0x80010001, %eax		/* CR0.PG | CR0.WP | CR0.PE */
	movl %eax, %cr0

	lgdt guest_gdt_ptr
	ljmp $SEL_CODE64, $start64

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
	movl %esi, %edi			/* zero-extends the start info address */
	xorl %ebp, %ebp
	call guest_start
5:	cli
	hlt
	jmp 5b

/*
 * A secondary vCPU, started by VESTA_HC_VCPU_UP in 64-bit mode with the
 * boot vCPU's CR3, RSP = the top of its stack and RDI = its struct
 * vcpu_start_record. It loads the GDT and calls secondary_main(record),
 * which loads the IDT.
 */
	.text
	.globl secondary_entry
secondary_entry:
	cli
	cld
	call gdt_load			/* keeps RDI */
	xorl %ebp, %ebp
	call secondary_main
7:	cli
	hlt
	jmp 7b

/* void gdt_load(void): loads the framework's GDT and reloads DS, ES, SS
 * and, through a far return, CS. Clobbers RAX only. */
	.globl gdt_load
gdt_load:
	lgdt guest_gdt_ptr(%rip)
	movw $SEL_DATA, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	pushq $SEL_CODE64
	leaq 6f(%rip), %rax
	pushq %rax
	lretq
6:	ret

	.section .rodata
	.balign 16
guest_gdt:
	.quad 0
	.quad 0x00af9a000000ffff	/* SEL_CODE64: long mode, DPL 0 */
	.quad 0x00cf92000000ffff	/* SEL_DATA: flat, writable */
guest_gdt_end:
	.balign 8
	.skip 6				/* so that the base below is aligned */
	.globl guest_gdt_ptr
guest_gdt_ptr:
	.short guest_gdt_end - guest_gdt - 1
	.quad guest_gdt

	.section .bss
	.balign 4096
	.globl guest_pml4, guest_pdpt, guest_pd, guest_pt0
guest_pml4:
	.skip 4096
guest_pdpt:
	.skip 4096
guest_pd:
	.skip 4 * 4096
guest_pt0:
	.skip 4096
	.globl boot_stack
boot_stack:
	.skip BOOT_STACK_SIZE
