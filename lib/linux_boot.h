/* Booting an unmodified Linux kernel as a guest, two ways (docs/linux-boot.md):
 *
 *  - a bzImage through the x86 boot protocol's 64-bit entry
 *    (Documentation/arch/x86/boot.rst, "64-bit Boot Protocol"): the
 *    protected-mode kernel is copied to its load address, a boot_params
 *    page describes the command line, initrd, memory map and RSDP, and
 *    the vCPU starts in long mode at load + 0x200 with RSI = boot_params;
 *  - a vmlinux ELF through its PVH entry (lib/elf_loader.c finds it): a
 *    pvh_start_info page, the vCPU in 32-bit protected mode, EBX = it.
 *
 * The steps: bzimage_parse (or elf_parse) describes the kernel;
 * linux_plan_bzimage / linux_plan_pvh choose every guest-physical address
 * for the RAM the domain has; the builders fill boot_params, the E820
 * map, the PVH start info, the GDT and identity page tables in buffers;
 * linux_entry_state gives the registers; linux_load_bzimage does all of
 * it through a write callback. Everything is pure: no allocation, no
 * read outside the image handed in, no write outside the buffers. */
#ifndef LIB_LINUX_BOOT_H
#define LIB_LINUX_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "include/vesta/linux_boot_params.h"
#include "include/vesta/pvh_start_info.h"
#include "lib/elf_loader.h"

enum linux_boot_status {
	LINUX_BOOT_OK = 0,
	/* bzimage_parse */
	LINUX_BOOT_ERR_TRUNCATED,	/* the file ends inside the setup header,
					 * the setup code or syssize's kernel */
	LINUX_BOOT_ERR_BOOT_FLAG,	/* no 0xaa55 at 0x1fe */
	LINUX_BOOT_ERR_MAGIC,		/* no "HdrS" at 0x202: not a bzImage */
	LINUX_BOOT_ERR_VERSION,		/* boot protocol older than 2.12 */
	LINUX_BOOT_ERR_HEADER,		/* no short jump at 0x200, or the header
					 * it measures ends before 0x268 or
					 * after 0x290 */
	LINUX_BOOT_ERR_NOT_BZIMAGE,	/* LOADED_HIGH clear: a zImage */
	LINUX_BOOT_ERR_NOT_64BIT,	/* XLF_KERNEL_64 clear */
	LINUX_BOOT_ERR_NO_ENTRY,	/* the kernel ends before its 64-bit entry */
	LINUX_BOOT_ERR_ALIGNMENT,	/* relocatable, but kernel_alignment is not
					 * a power of two in [4 KiB, 1 GiB] */
	LINUX_BOOT_ERR_PREF_ADDRESS,	/* pref_address not page-aligned, or the
					 * kernel would run above 4 GiB */
	LINUX_BOOT_ERR_INIT_SIZE,	/* init_size smaller than the kernel */
	LINUX_BOOT_ERR_PAYLOAD,		/* the payload lies outside the kernel */
	/* planning */
	LINUX_BOOT_ERR_NO_PVH_ENTRY,	/* the ELF has no PHYS32_ENTRY note */
	LINUX_BOOT_ERR_RESERVED,	/* a bad reserved range: empty, wrapping,
					 * typed RAM, overlapping another, or
					 * more than LINUX_MAX_RESERVED */
	LINUX_BOOT_ERR_CMDLINE,		/* longer than the kernel accepts */
	LINUX_BOOT_ERR_KERNEL_ROOM,	/* no room for the kernel's init_size */
	LINUX_BOOT_ERR_INITRD_ROOM,	/* no room for the initrd */
	LINUX_BOOT_ERR_LOW_ROOM,	/* no room below 640 KiB for boot data */
	LINUX_BOOT_ERR_E820_FULL,	/* the memory map needs too many entries */
	/* building and loading */
	LINUX_BOOT_ERR_BUFFER,		/* a buffer is too small or misaligned */
	LINUX_BOOT_ERR_ARGUMENT,	/* inconsistent plan, image or request */
	LINUX_BOOT_ERR_WRITE,		/* the write callback refused */
};

const char *linux_boot_status_str(enum linux_boot_status s);

/* ------------------------------------------------------------- bzImage */

enum linux_payload_format {
	LINUX_PAYLOAD_NONE = 0,		/* payload_length 0 */
	LINUX_PAYLOAD_UNKNOWN,
	LINUX_PAYLOAD_GZIP,
	LINUX_PAYLOAD_BZIP2,
	LINUX_PAYLOAD_LZMA,
	LINUX_PAYLOAD_XZ,
	LINUX_PAYLOAD_LZO,
	LINUX_PAYLOAD_LZ4,
	LINUX_PAYLOAD_ZSTD,
	LINUX_PAYLOAD_ELF,		/* uncompressed */
};

const char *linux_payload_name(enum linux_payload_format f);

#define BZIMAGE_VERSION_STRING_MAX 128

struct bzimage_info {
	size_t image_size;		/* the size bzimage_parse was given */
	uint16_t version;		/* protocol, e.g. 0x020f for 2.15 */
	size_t header_end;		/* 0x202 + byte at 0x201 */
	uint8_t setup_sects;		/* as written (0 stays 0) */
	uint64_t kernel_offset;		/* (setup_sects or 4, + 1) * 512: the
					 * protected-mode kernel's file offset */
	uint64_t kernel_size;		/* the rest of the file: what is loaded */
	uint64_t syssize_bytes;		/* syssize * 16 (<= kernel_size) */
	uint8_t loadflags;
	uint16_t xloadflags;
	bool relocatable;
	uint32_t kernel_alignment;	/* a power of two when relocatable */
	uint8_t min_alignment;		/* log2 */
	uint64_t pref_address;		/* where it runs if not relocatable */
	uint32_t init_size;		/* bytes it needs from where it runs */
	uint32_t initrd_addr_max;	/* highest byte the initrd may occupy */
	uint32_t cmdline_size;		/* longest command line, NUL excluded */
	uint32_t payload_offset;	/* from the protected-mode kernel's start */
	uint32_t payload_length;
	enum linux_payload_format payload_format;
	uint32_t handover_offset;
	uint32_t kernel_info_offset;	/* protocol 2.15+, else 0 */
	/* The kernel_version string (e.g. "6.1.0-18-amd64 (debian-kernel@...)
	 * #1 SMP ..."), cut at BZIMAGE_VERSION_STRING_MAX - 1 bytes; "" when
	 * the header has none or it points outside the setup code. */
	char version_string[BZIMAGE_VERSION_STRING_MAX];
};

/* Checks a bzImage for the 64-bit boot protocol and describes it; *out is
 * meaningful only on LINUX_BOOT_OK. Requires protocol 2.12 (Linux 3.8),
 * the first with xloadflags, hence XLF_KERNEL_64 saying that the 64-bit
 * entry exists, and with the ext_* fields for addresses above 4 GiB. */
enum linux_boot_status bzimage_parse(const void *image, size_t size,
				     struct bzimage_info *out);

/* -------------------------------------------------------------- memory */

/* Guest-physical ranges the hypervisor keeps for itself (ACPI tables,
 * firmware areas, MMIO windows): never used for placement, and reported
 * in the E820 map with their own type (never E820_TYPE_RAM). */
#define LINUX_MAX_RESERVED 32

struct linux_mem_range {
	uint64_t base;
	uint64_t size;
	uint32_t type;			/* E820_TYPE_* */
};

/* A domain's guest-physical memory: RAM is [0, ram_size), except the PC's
 * legacy window [0xa0000, 0x100000), which is never RAM in the E820 map
 * (Linux would drop it anyway), and except the reserved ranges. */
struct linux_guest_memory {
	uint64_t ram_size;
	const struct linux_mem_range *reserved;
	size_t reserved_count;
};

#define LINUX_LEGACY_HOLE_START UINT64_C(0xa0000)
#define LINUX_LEGACY_HOLE_END UINT64_C(0x100000)

/* Writes the E820 map of `mem`, sorted by address: RAM pieces and the
 * reserved ranges with their types. At most `max` entries. */
enum linux_boot_status linux_e820_build(const struct linux_guest_memory *mem,
					struct boot_e820_entry *out,
					size_t max, size_t *count);

/* ------------------------------------------------------------ planning */

struct linux_boot_request {
	struct linux_guest_memory mem;
	uint64_t initrd_size;		/* 0: no initrd */
	size_t cmdline_len;		/* without the NUL */
	uint64_t rsdp_addr;		/* guest-physical RSDP, 0: none */
	bool gib_pages;			/* identity map with 1 GiB pages (the
					 * CPU must have them) instead of 2 MiB */
};

enum linux_boot_mode {
	LINUX_BOOT_64BIT = 1,		/* bzImage, 64-bit entry */
	LINUX_BOOT_PVH,			/* vmlinux ELF, PVH entry */
};

/* Where things go; every range is page-aligned and disjoint from the
 * others, from the reserved ranges and from the legacy window. */
struct linux_boot_plan {
	enum linux_boot_mode mode;
	uint64_t kernel_addr;		/* bzImage: load address of the protected-
					 * mode kernel; PVH: the lowest segment */
	uint64_t kernel_end;		/* kernel_addr + init_size (PVH: the ELF's
					 * end), page-aligned: kept free */
	uint64_t kernel_load_size;	/* bzImage: bytes copied from the file */
	uint64_t entry;			/* kernel_addr + 0x200, or the PVH entry */
	uint64_t initrd_addr;		/* 0 when there is none */
	uint64_t initrd_size;
	uint64_t boot_params_addr;	/* zero page, or the PVH start info page */
	uint64_t cmdline_addr;		/* always set: an empty line is "" */
	uint64_t cmdline_len;		/* without the NUL */
	uint32_t cmdline_max;		/* the kernel's cmdline_size */
	/* 64-bit entry only (0 for PVH): */
	uint64_t gdt_addr;		/* one page, LINUX_GDT_SIZE bytes used */
	uint64_t stack_top;		/* a page of stack below this */
	uint64_t page_tables_addr;
	uint64_t page_tables_size;
	uint64_t identity_map_bytes;	/* whole GiB, mapped 1:1 from 0 */
	bool gib_pages;
	/* On an error, one line saying what does not fit, e.g. "the kernel
	 * needs 80 MiB of RAM (init_size 64 MiB from 16 MiB), the domain has
	 * 64 MiB"; on success, "". */
	char message[192];
};

/* Plans a bzImage boot: the kernel at pref_address when [pref_address,
 * + init_size) is free RAM, else (relocatable kernels only) at the lowest
 * kernel_alignment-aligned address above it that is; the initrd as high
 * as its limit allows; boot data in low memory. */
enum linux_boot_status linux_plan_bzimage(const struct bzimage_info *k,
					  const struct linux_boot_request *req,
					  struct linux_boot_plan *plan);

/* Plans a PVH boot of a parsed vmlinux: its segments stay where the ELF
 * puts them; the initrd and the start info page as for a bzImage. The
 * command line may hold LINUX_PVH_CMDLINE_MAX bytes (x86's
 * COMMAND_LINE_SIZE - 1: an ELF does not say). */
#define LINUX_PVH_CMDLINE_MAX 2047
enum linux_boot_status linux_plan_pvh(const struct elf_image *k,
				      const struct linux_boot_request *req,
				      struct linux_boot_plan *plan);

/* ------------------------------------------------------------ builders */

/* Fills a zeroed boot_params: the setup header copied from the image
 * (0x1f1 up to its end), type_of_loader 0xff, LOADED_HIGH, no heap,
 * cmd_line_ptr, ramdisk_image/size with their ext_* high halves,
 * acpi_rsdp_addr and the E820 map. `image` must be the buffer that
 * bzimage_parse described in *k. */
enum linux_boot_status linux_build_boot_params(struct boot_params *bp,
					       const void *image, size_t size,
					       const struct bzimage_info *k,
					       const struct linux_boot_plan *plan,
					       const struct linux_boot_request *req);

/* The GDT of the 64-bit entry: null, null, __BOOT_CS (0x10) 64-bit code,
 * __BOOT_DS (0x18) data, both flat 4 GiB. */
#define LINUX_GDT_ENTRIES 4
#define LINUX_GDT_SIZE (LINUX_GDT_ENTRIES * 8)
enum linux_boot_status linux_build_gdt(void *buf, size_t size);

/* Identity page tables (4-level) mapping guest-physical [0, gib GiB) with
 * 2 MiB pages (or 1 GiB pages), present and writable, for a buffer that
 * will sit at guest-physical buf_gpa (4 KiB-aligned): the PML4 at
 * buf_gpa (the CR3 value), one PDPT after it, then (2 MiB pages) one
 * page directory per GiB. gib is 1..512. */
size_t linux_identity_map_size(uint64_t gib, bool gib_pages);
enum linux_boot_status linux_build_identity_map(void *buf, size_t size,
						uint64_t buf_gpa, uint64_t gib,
						bool gib_pages);

/* The PVH start info page: struct pvh_start_info at offset 0 (version 1),
 * the initrd as module 0 at LINUX_PVH_MODLIST_OFFSET, the memory map at
 * LINUX_PVH_MEMMAP_OFFSET (at most LINUX_PVH_MEMMAP_MAX entries: Linux
 * appends one of its own to the 128 of its zero page), the command line
 * and RSDP addresses. The page goes to plan->boot_params_addr. */
#define LINUX_PVH_MODLIST_OFFSET 0x40
#define LINUX_PVH_MEMMAP_OFFSET 0x80
#define LINUX_PVH_MEMMAP_MAX (E820_MAX_ENTRIES_ZEROPAGE - 1)
#define LINUX_PVH_PAGE_SIZE 4096
enum linux_boot_status linux_build_pvh_start_info(void *page, size_t size,
						  const struct linux_boot_plan *plan,
						  const struct linux_boot_request *req);

/* --------------------------------------------------------- entry state */

/* A segment register as the VMCB holds it (AMD APM vol. 2, 15.5.1):
 * attrib = descriptor bits 40..47 (type, S, DPL, P) in bits 0..7 and
 * bits 52..55 (AVL, L, D/B, G) in bits 8..11. */
struct linux_segment {
	uint16_t selector;
	uint16_t attrib;
	uint32_t limit;
	uint64_t base;
};

#define LINUX_SEG_CODE64 0x0a9b		/* G, L, P, S, execute/read, accessed */
#define LINUX_SEG_CODE32 0x0c9b		/* G, D, P, S, execute/read, accessed */
#define LINUX_SEG_DATA 0x0c93		/* G, B, P, S, read/write, accessed */
#define LINUX_SEG_TSS_BUSY 0x008b	/* P, busy 32/64-bit TSS */
#define LINUX_SEG_LDT 0x0082		/* P, LDT */

#define LINUX_CR0_PE (1ull << 0)
#define LINUX_CR0_ET (1ull << 4)
#define LINUX_CR0_NE (1ull << 5)
#define LINUX_CR0_PG (1ull << 31)
#define LINUX_CR4_PAE (1ull << 5)
#define LINUX_EFER_LME (1ull << 8)
#define LINUX_EFER_LMA (1ull << 10)
#define LINUX_RFLAGS_RESERVED (1ull << 1)	/* always 1; IF (bit 9) clear */

/* The state the first vCPU starts in; the hypervisor copies it into the
 * VMCB (and adds EFER.SVME, which VMRUN requires). Registers not named
 * here are zero. */
struct linux_entry_state {
	enum linux_boot_mode mode;
	uint64_t rip;
	uint64_t rsp;			/* 64-bit: stack_top; PVH: 0 */
	uint64_t rflags;
	uint64_t rsi;			/* 64-bit: boot_params */
	uint64_t rbx;			/* PVH: start info */
	uint64_t cr0, cr3, cr4, efer;
	struct linux_segment cs, ds, es, ss, fs, gs, tr, ldtr;
	uint64_t gdt_base;
	uint16_t gdt_limit;
	uint64_t idt_base;
	uint16_t idt_limit;		/* 0: any exception shuts the guest down */
};

void linux_entry_state(const struct linux_boot_plan *plan,
		       struct linux_entry_state *st);

/* --------------------------------------------------------------- loading */

/* Writes len bytes at guest-physical gpa (a copy of src, or zeros when
 * src is NULL); false when that is not guest RAM. Same as elf_write_fn. */
typedef bool (*linux_write_fn)(void *ctx, uint64_t gpa, const void *src,
			       uint64_t len);

/* Writes a planned bzImage boot into guest memory through write_fn: the
 * protected-mode kernel (the rest of the file), the initrd (initrd_size
 * bytes at `initrd`), the command line (plan->cmdline_len bytes of
 * `cmdline` and a NUL), boot_params, the GDT, a zeroed stack page and the
 * page tables. The rest of [kernel_addr, kernel_end) is not written:
 * guest RAM starts zeroed and the kernel clears its own .bss. `scratch`
 * is a caller buffer of LINUX_SCRATCH_SIZE bytes, any alignment, for
 * boot_params and then one page-table page at a time (the hypervisor's
 * stacks are too small for them). Stops at the first write refused
 * (LINUX_BOOT_ERR_WRITE). */
#define LINUX_SCRATCH_SIZE 4096
enum linux_boot_status linux_load_bzimage(const void *image, size_t size,
					  const struct bzimage_info *k,
					  const struct linux_boot_plan *plan,
					  const struct linux_boot_request *req,
					  const char *cmdline,
					  const void *initrd,
					  void *scratch,
					  linux_write_fn write_fn, void *ctx);

/* The same for a PVH boot of a parsed vmlinux: its segments
 * (elf_load_with), the initrd, the command line and the start info page
 * (built in `scratch`). */
enum linux_boot_status linux_load_pvh(const void *image, size_t size,
				      const struct elf_image *k,
				      const struct linux_boot_plan *plan,
				      const struct linux_boot_request *req,
				      const char *cmdline,
				      const void *initrd,
				      void *scratch,
				      linux_write_fn write_fn, void *ctx);

#endif
