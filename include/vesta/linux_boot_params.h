/*
 * The Linux x86 boot protocol's structures: the setup header a bzImage
 * carries at file offset 0x1f1, and struct boot_params (the "zero page")
 * that a 64-bit boot loader hands to the kernel in RSI. Layouts are fixed
 * by the kernel's ABI (Documentation/arch/x86/boot.rst and zero-page.rst;
 * arch/x86/include/uapi/asm/bootparam.h): little-endian, packed, offsets
 * relative to the start of boot_params, which are also the offsets in the
 * bzImage file for the setup header. Every offset a loader reads or writes
 * is pinned by a static assertion below.
 */
#ifndef VESTA_LINUX_BOOT_PARAMS_H
#define VESTA_LINUX_BOOT_PARAMS_H

#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------- setup header */

#define LINUX_BOOT_FLAG_MAGIC 0xaa55	/* boot_flag, 0x1fe */
#define LINUX_HDRS_MAGIC 0x53726448	/* "HdrS" at 0x202, little-endian */
#define LINUX_JUMP_OPCODE 0xeb		/* jump's first byte: a short jmp */
#define LINUX_SETUP_HEADER_OFFSET 0x1f1
/* The end of the setup header is 0x202 + the byte at 0x201 (the jump's
 * displacement, since the setup code starts right after the header). */
#define LINUX_HEADER_LENGTH_OFFSET 0x201
#define LINUX_HEADER_JUMP_BASE 0x202
/* setup_sects == 0 means 4 (boot.rst, note 1). */
#define LINUX_SETUP_SECTS_DEFAULT 4
#define LINUX_SECTOR_SIZE 512
/* The 64-bit entry is this far into the protected-mode kernel. */
#define LINUX_ENTRY64_OFFSET 0x200

/* loadflags (0x211). */
#define LINUX_LOADED_HIGH (1u << 0)	/* read: the kernel is a bzImage */
#define LINUX_KASLR_FLAG (1u << 1)	/* kernel internal */
#define LINUX_QUIET_FLAG (1u << 5)	/* write: no early messages */
#define LINUX_KEEP_SEGMENTS (1u << 6)	/* obsolete */
#define LINUX_CAN_USE_HEAP (1u << 7)	/* write: heap_end_ptr is valid */

/* xloadflags (0x236), protocol 2.12+. */
#define LINUX_XLF_KERNEL_64 (1u << 0)	/* 64-bit entry at load + 0x200 */
#define LINUX_XLF_CAN_BE_LOADED_ABOVE_4G (1u << 1)
#define LINUX_XLF_EFI_HANDOVER_32 (1u << 2)
#define LINUX_XLF_EFI_HANDOVER_64 (1u << 3)
#define LINUX_XLF_EFI_KEXEC (1u << 4)
#define LINUX_XLF_5LEVEL (1u << 5)
#define LINUX_XLF_5LEVEL_ENABLED (1u << 6)

/* type_of_loader (0x210): "0xFF = undefined" (no assigned id). */
#define LINUX_LOADER_UNDEFINED 0xff

/* The protocol versions that matter to a 64-bit loader. */
#define LINUX_PROTOCOL_2_10 0x020a	/* init_size, pref_address */
#define LINUX_PROTOCOL_2_12 0x020c	/* xloadflags, ext_* fields */
#define LINUX_PROTOCOL_2_15 0x020f	/* kernel_info_offset */

/* Segment selectors of the 32- and 64-bit boot protocols. */
#define LINUX_BOOT_CS 0x10
#define LINUX_BOOT_DS 0x18

struct __attribute__((packed)) linux_setup_header {
	uint8_t setup_sects;		/* 0x1f1 */
	uint16_t root_flags;		/* 0x1f2 */
	uint32_t syssize;		/* 0x1f4, 16-byte paragraphs */
	uint16_t ram_size;		/* 0x1f8, obsolete */
	uint16_t vid_mode;		/* 0x1fa */
	uint16_t root_dev;		/* 0x1fc */
	uint16_t boot_flag;		/* 0x1fe, 0xaa55 */
	uint16_t jump;			/* 0x200, 0xeb + header length */
	uint32_t header;		/* 0x202, "HdrS" */
	uint16_t version;		/* 0x206, (major << 8) | minor */
	uint32_t realmode_swtch;	/* 0x208 */
	uint16_t start_sys_seg;		/* 0x20c, obsolete */
	uint16_t kernel_version;	/* 0x20e, string at this + 0x200 */
	uint8_t type_of_loader;		/* 0x210 */
	uint8_t loadflags;		/* 0x211 */
	uint16_t setup_move_size;	/* 0x212 */
	uint32_t code32_start;		/* 0x214 */
	uint32_t ramdisk_image;		/* 0x218 */
	uint32_t ramdisk_size;		/* 0x21c */
	uint32_t bootsect_kludge;	/* 0x220, obsolete */
	uint16_t heap_end_ptr;		/* 0x224 */
	uint8_t ext_loader_ver;		/* 0x226 */
	uint8_t ext_loader_type;	/* 0x227 */
	uint32_t cmd_line_ptr;		/* 0x228 */
	uint32_t initrd_addr_max;	/* 0x22c, highest byte the initrd may use */
	uint32_t kernel_alignment;	/* 0x230 */
	uint8_t relocatable_kernel;	/* 0x234 */
	uint8_t min_alignment;		/* 0x235, log2 */
	uint16_t xloadflags;		/* 0x236 */
	uint32_t cmdline_size;		/* 0x238, without the NUL */
	uint32_t hardware_subarch;	/* 0x23c, 0 = PC */
	uint64_t hardware_subarch_data;	/* 0x240 */
	uint32_t payload_offset;	/* 0x248, from the protected-mode start */
	uint32_t payload_length;	/* 0x24c */
	uint64_t setup_data;		/* 0x250, linked list, 0 = none */
	uint64_t pref_address;		/* 0x258 */
	uint32_t init_size;		/* 0x260 */
	uint32_t handover_offset;	/* 0x264 */
	uint32_t kernel_info_offset;	/* 0x268 */
};					/* ends at 0x26c */

/* ------------------------------------------------------------------ e820 */

#define E820_MAX_ENTRIES_ZEROPAGE 128

/* Address range types (ACPI 6.5 table 15.4; Linux's enum e820_type). */
#define E820_TYPE_RAM 1
#define E820_TYPE_RESERVED 2
#define E820_TYPE_ACPI 3		/* ACPI reclaimable */
#define E820_TYPE_NVS 4			/* ACPI NVS */
#define E820_TYPE_UNUSABLE 5
#define E820_TYPE_PMEM 7

struct __attribute__((packed)) boot_e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
};

/* ----------------------------------------------------------- boot_params */

struct __attribute__((packed)) boot_params {
	uint8_t screen_info[0x40];	/* 0x000: all zero = no VGA text console */
	uint8_t apm_bios_info[0x14];	/* 0x040 */
	uint8_t _pad2[4];		/* 0x054 */
	uint64_t tboot_addr;		/* 0x058 */
	uint8_t ist_info[0x10];		/* 0x060 */
	uint64_t acpi_rsdp_addr;	/* 0x070 */
	uint8_t _pad3[8];		/* 0x078 */
	uint8_t hd0_info[16];		/* 0x080, obsolete */
	uint8_t hd1_info[16];		/* 0x090, obsolete */
	uint8_t sys_desc_table[0x10];	/* 0x0a0, obsolete */
	uint8_t olpc_ofw_header[0x10];	/* 0x0b0 */
	uint32_t ext_ramdisk_image;	/* 0x0c0: ramdisk_image bits 63:32 */
	uint32_t ext_ramdisk_size;	/* 0x0c4: ramdisk_size bits 63:32 */
	uint32_t ext_cmd_line_ptr;	/* 0x0c8: cmd_line_ptr bits 63:32 */
	uint8_t _pad4[112];		/* 0x0cc */
	uint32_t cc_blob_address;	/* 0x13c */
	uint8_t edid_info[0x80];	/* 0x140 */
	uint8_t efi_info[0x20];		/* 0x1c0 */
	uint32_t alt_mem_k;		/* 0x1e0 */
	uint32_t scratch;		/* 0x1e4 */
	uint8_t e820_entries;		/* 0x1e8 */
	uint8_t eddbuf_entries;		/* 0x1e9 */
	uint8_t edd_mbr_sig_buf_entries; /* 0x1ea */
	uint8_t kbd_status;		/* 0x1eb */
	uint8_t secure_boot;		/* 0x1ec */
	uint8_t _pad5[2];		/* 0x1ed */
	uint8_t sentinel;		/* 0x1ef: non-zero = loader copied too much */
	uint8_t _pad6[1];		/* 0x1f0 */
	struct linux_setup_header hdr;	/* 0x1f1 */
	uint8_t _pad7[0x290 - 0x1f1 - sizeof(struct linux_setup_header)];
	uint32_t edd_mbr_sig_buffer[16]; /* 0x290 */
	struct boot_e820_entry e820_table[E820_MAX_ENTRIES_ZEROPAGE]; /* 0x2d0 */
	uint8_t _pad8[48];		/* 0xcd0 */
	uint8_t eddbuf[6 * 82];		/* 0xd00 */
	uint8_t _pad9[276];		/* 0xeec */
};

/* The setup header may grow up to the edd_mbr_sig_buffer at 0x290. */
#define LINUX_SETUP_HEADER_MAX_END 0x290

#define LINUX_BP_OFFSET(field) __builtin_offsetof(struct boot_params, field)

_Static_assert(sizeof(struct boot_e820_entry) == 20, "e820 entry layout");
_Static_assert(sizeof(struct linux_setup_header) == 0x26c - 0x1f1,
	       "setup header layout");
_Static_assert(sizeof(struct boot_params) == 4096, "boot_params is one page");

_Static_assert(LINUX_BP_OFFSET(acpi_rsdp_addr) == 0x070, "acpi_rsdp_addr");
_Static_assert(LINUX_BP_OFFSET(ext_ramdisk_image) == 0x0c0, "ext_ramdisk_image");
_Static_assert(LINUX_BP_OFFSET(ext_ramdisk_size) == 0x0c4, "ext_ramdisk_size");
_Static_assert(LINUX_BP_OFFSET(ext_cmd_line_ptr) == 0x0c8, "ext_cmd_line_ptr");
_Static_assert(LINUX_BP_OFFSET(cc_blob_address) == 0x13c, "cc_blob_address");
_Static_assert(LINUX_BP_OFFSET(edid_info) == 0x140, "edid_info");
_Static_assert(LINUX_BP_OFFSET(efi_info) == 0x1c0, "efi_info");
_Static_assert(LINUX_BP_OFFSET(alt_mem_k) == 0x1e0, "alt_mem_k");
_Static_assert(LINUX_BP_OFFSET(e820_entries) == 0x1e8, "e820_entries");
_Static_assert(LINUX_BP_OFFSET(sentinel) == 0x1ef, "sentinel");
_Static_assert(LINUX_BP_OFFSET(hdr) == LINUX_SETUP_HEADER_OFFSET, "hdr");
_Static_assert(LINUX_BP_OFFSET(hdr.setup_sects) == 0x1f1, "setup_sects");
_Static_assert(LINUX_BP_OFFSET(hdr.syssize) == 0x1f4, "syssize");
_Static_assert(LINUX_BP_OFFSET(hdr.vid_mode) == 0x1fa, "vid_mode");
_Static_assert(LINUX_BP_OFFSET(hdr.boot_flag) == 0x1fe, "boot_flag");
_Static_assert(LINUX_BP_OFFSET(hdr.jump) == 0x200, "jump");
_Static_assert(LINUX_BP_OFFSET(hdr.header) == 0x202, "header");
_Static_assert(LINUX_BP_OFFSET(hdr.version) == 0x206, "version");
_Static_assert(LINUX_BP_OFFSET(hdr.kernel_version) == 0x20e, "kernel_version");
_Static_assert(LINUX_BP_OFFSET(hdr.type_of_loader) == 0x210, "type_of_loader");
_Static_assert(LINUX_BP_OFFSET(hdr.loadflags) == 0x211, "loadflags");
_Static_assert(LINUX_BP_OFFSET(hdr.code32_start) == 0x214, "code32_start");
_Static_assert(LINUX_BP_OFFSET(hdr.ramdisk_image) == 0x218, "ramdisk_image");
_Static_assert(LINUX_BP_OFFSET(hdr.ramdisk_size) == 0x21c, "ramdisk_size");
_Static_assert(LINUX_BP_OFFSET(hdr.heap_end_ptr) == 0x224, "heap_end_ptr");
_Static_assert(LINUX_BP_OFFSET(hdr.ext_loader_ver) == 0x226, "ext_loader_ver");
_Static_assert(LINUX_BP_OFFSET(hdr.cmd_line_ptr) == 0x228, "cmd_line_ptr");
_Static_assert(LINUX_BP_OFFSET(hdr.initrd_addr_max) == 0x22c, "initrd_addr_max");
_Static_assert(LINUX_BP_OFFSET(hdr.kernel_alignment) == 0x230, "kernel_alignment");
_Static_assert(LINUX_BP_OFFSET(hdr.relocatable_kernel) == 0x234, "relocatable_kernel");
_Static_assert(LINUX_BP_OFFSET(hdr.min_alignment) == 0x235, "min_alignment");
_Static_assert(LINUX_BP_OFFSET(hdr.xloadflags) == 0x236, "xloadflags");
_Static_assert(LINUX_BP_OFFSET(hdr.cmdline_size) == 0x238, "cmdline_size");
_Static_assert(LINUX_BP_OFFSET(hdr.hardware_subarch) == 0x23c, "hardware_subarch");
_Static_assert(LINUX_BP_OFFSET(hdr.payload_offset) == 0x248, "payload_offset");
_Static_assert(LINUX_BP_OFFSET(hdr.payload_length) == 0x24c, "payload_length");
_Static_assert(LINUX_BP_OFFSET(hdr.setup_data) == 0x250, "setup_data");
_Static_assert(LINUX_BP_OFFSET(hdr.pref_address) == 0x258, "pref_address");
_Static_assert(LINUX_BP_OFFSET(hdr.init_size) == 0x260, "init_size");
_Static_assert(LINUX_BP_OFFSET(hdr.handover_offset) == 0x264, "handover_offset");
_Static_assert(LINUX_BP_OFFSET(hdr.kernel_info_offset) == 0x268, "kernel_info_offset");
_Static_assert(LINUX_BP_OFFSET(edd_mbr_sig_buffer) == 0x290, "edd_mbr_sig_buffer");
_Static_assert(LINUX_BP_OFFSET(e820_table) == 0x2d0, "e820_table");
_Static_assert(LINUX_BP_OFFSET(_pad8) == 0xcd0, "_pad8");
_Static_assert(LINUX_BP_OFFSET(eddbuf) == 0xd00, "eddbuf");
_Static_assert(LINUX_BP_OFFSET(_pad9) == 0xeec, "_pad9");

#endif
