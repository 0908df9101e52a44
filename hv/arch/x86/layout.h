/* Fixed addresses and selectors, shared by assembly and C. */
#ifndef ARCH_X86_LAYOUT_H
#define ARCH_X86_LAYOUT_H

/* The image is linked and loaded at 2 MiB, identity mapped: virtual address
 * equals physical address everywhere in the hypervisor (its direct map). */
#define HV_LOAD_ADDR 0x200000

/* GDT selectors: the same in the boot GDT, the AP trampoline's GDT and the
 * per-CPU GDTs, so a CPU never reloads CS while switching between them. */
#define SEL_CODE64 0x08
#define SEL_DATA 0x10
#define SEL_CODE32 0x18
#define SEL_TSS 0x20
#define BOOT_GDT_ENTRIES 4	/* null, code64, data, code32 */

/* Where the AP start-up code is copied: a SIPI vector names a 4 KiB page
 * below 1 MiB (AMD APM vol. 2, 16.5 "Interprocessor Interrupts"). */
#define TRAMPOLINE_PHYS 0x8000

#define BOOT_STACK_SIZE 16384
#define CPU_STACK_SIZE 16384
#define IST_STACK_SIZE 4096

#define BOOT_PROTOCOL_PVH 1
#define BOOT_PROTOCOL_MULTIBOOT2 2

/* Multiboot2 specification 1.0, 3.1.1 (header) and 3.2 (machine state). */
#define MB2_HEADER_MAGIC 0xe85250d6
#define MB2_BOOTLOADER_MAGIC 0x36d76289
#define MB2_ARCH_I386 0

/* Xen's public/elfnote.h: the 32-bit PVH entry point. */
#define XEN_ELFNOTE_PHYS32_ENTRY 18

#endif
