/* Guest page-table walker: translates a guest linear address to a
 * guest-physical one from the guest's CR0/CR3/CR4/EFER, the way the CPU
 * does, to fetch the instruction at a faulting RIP or read guest memory
 * named by a guest pointer. Handled: paging off, 32-bit paging (with PSE
 * 4 MiB pages and PSE-36/40 high address bits), PAE (2 MiB pages), 4- and
 * 5-level long mode (2 MiB and 1 GiB pages). Page-table entries are read
 * through a callback, so the walker is pure code that runs anywhere.
 *
 * Not done: setting Accessed/Dirty bits (the walk reads only), protection
 * keys, the PAE PDPTE registers (the PDPTEs are read from memory, as AMD
 * CPUs do on every walk), and CR0.CD/PAT memory types. */
#ifndef LIB_X86_PAGEWALK_H
#define LIB_X86_PAGEWALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/x86_decode.h"

#define X86_CR0_PE (1ull << 0)
#define X86_CR0_WP (1ull << 16)
#define X86_CR0_PG (1ull << 31)
#define X86_CR4_PSE (1ull << 4)
#define X86_CR4_PAE (1ull << 5)
#define X86_CR4_LA57 (1ull << 12)
#define X86_CR4_SMEP (1ull << 20)
#define X86_CR4_SMAP (1ull << 21)
#define X86_EFER_LME (1ull << 8)
#define X86_EFER_LMA (1ull << 10)
#define X86_EFER_NXE (1ull << 11)

/* Page-table entry bits. */
#define X86_PTE_P (1ull << 0)
#define X86_PTE_RW (1ull << 1)
#define X86_PTE_US (1ull << 2)
#define X86_PTE_A (1ull << 5)
#define X86_PTE_D (1ull << 6)
#define X86_PTE_PS (1ull << 7)
#define X86_PTE_NX (1ull << 63)

/* #PF error code bits; also the access flags of x86_walk_permits. */
#define X86_PF_P (1u << 0)
#define X86_PF_W (1u << 1)	/* a write */
#define X86_PF_U (1u << 2)	/* at CPL 3 */
#define X86_PF_RSVD (1u << 3)
#define X86_PF_I (1u << 4)	/* an instruction fetch */

enum x86_paging_mode {
	X86_PAGING_OFF,
	X86_PAGING_32,
	X86_PAGING_PAE,
	X86_PAGING_LONG4,
	X86_PAGING_LONG5,
	X86_PAGING_INVALID,	/* e.g. EFER.LMA without CR0.PG and CR4.PAE */
};

/* The guest's paging state, as in its VMCB. */
struct x86_paging {
	uint64_t cr0, cr3, cr4, efer;
	/* The guest's physical address width (CPUID 0x80000008 EAX[7:0]);
	 * 0 means 52. Entry bits above it are reserved. */
	unsigned maxphyaddr;
};

/* Reads len bytes of guest-physical memory at gpa; false if any of them
 * is not guest RAM. */
typedef bool (*x86_read_phys_fn)(void *ctx, uint64_t gpa, void *buf,
				 size_t len);

enum x86_walk_status {
	X86_WALK_OK = 0,
	X86_WALK_NOT_PRESENT,	/* an entry with P=0: #PF */
	X86_WALK_RESERVED,	/* a reserved bit set in an entry: #PF(RSVD) */
	X86_WALK_NONCANONICAL,	/* long mode: #GP, not #PF */
	X86_WALK_READ_FAILED,	/* a table lies outside guest RAM */
	X86_WALK_BAD_STATE,	/* inconsistent CR0/CR4/EFER */
};

struct x86_walk {
	/* X86_WALK_OK: the translation of the page holding the address. */
	uint64_t gpa;
	uint64_t page_size;	/* 4 KiB, 2 MiB, 4 MiB or 1 GiB */
	/* The effective permissions over every level: writable and user if
	 * every entry allows it, nx if any entry forbids execution (only with
	 * EFER.NXE). Paging off: writable, user, executable. */
	bool writable, user, nx;
	/* Where the walk ended (on success or fault): the level of the last
	 * entry read (1 = page table ... 5 = PML5; 0 when none was read), the
	 * entry's value and its guest-physical address. */
	unsigned level;
	uint64_t entry;
	uint64_t entry_gpa;
};

enum x86_paging_mode x86_paging_mode_of(const struct x86_paging *p);

/* Translates linear address la. Outside long mode la is taken modulo
 * 2^32. out is filled on every status (gpa and page_size only on OK). */
enum x86_walk_status x86_pagewalk(const struct x86_paging *p, uint64_t la,
				  x86_read_phys_fn read_phys, void *ctx,
				  struct x86_walk *out);

/* Whether a successful walk allows the access: `access` is a set of
 * X86_PF_W, X86_PF_U and X86_PF_I. Follows CR0.WP, CR4.SMEP, CR4.SMAP
 * (with RFLAGS.AC = ac for supervisor data accesses) and NX. */
bool x86_walk_permits(const struct x86_paging *p, const struct x86_walk *w,
		      unsigned access, bool ac);

/* The #PF error code to inject for `access` that failed with status st
 * (NOT_PRESENT, RESERVED) or, with st OK, was not permitted. */
uint32_t x86_pf_error_code(const struct x86_paging *p,
			   enum x86_walk_status st, unsigned access);

/* Reads len bytes of guest linear memory at la, page by page. Returns the
 * status of the first page that fails; *done (may be NULL) is the number
 * of bytes copied before it, *fault (may be NULL) that page's walk. */
enum x86_walk_status x86_read_linear(const struct x86_paging *p, uint64_t la,
				     void *buf, size_t len,
				     x86_read_phys_fn read_phys, void *ctx,
				     size_t *done, struct x86_walk *fault);

/* Fetches the bytes of the instruction at cs_base:rip for the decoder: up
 * to 15 bytes from linear address cs_base + rip (the base is ignored in
 * 64-bit mode; outside it the sum wraps at 4 GiB). Reads what lies on the first page, then the next page; stops at the
 * first page that does not translate or read. Returns the number of bytes
 * in buf (0-15); *status (may be NULL) is the walk status of the page
 * that stopped it, X86_WALK_OK when all 15 were read. Decoding what was
 * read gives either a result or TRUNCATED, and then *status says why. */
size_t x86_fetch_insn(const struct x86_paging *p, enum x86_cpu_mode mode,
		      uint64_t cs_base, uint64_t rip,
		      uint8_t buf[X86_MAX_INSN_LEN],
		      x86_read_phys_fn read_phys, void *ctx,
		      enum x86_walk_status *status);

const char *x86_walk_status_str(enum x86_walk_status s);
const char *x86_paging_mode_str(enum x86_paging_mode m);

#endif
