/* lib/x86_pagewalk.c on page tables built here in a buffer that stands for
 * guest RAM: every paging mode and page size, the permission bits, faults
 * (not present at each level, reserved bits, tables outside RAM,
 * non-canonical addresses), permission checks and #PF error codes, reads
 * across page boundaries and the instruction fetch for the decoder. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/x86_decode.h"
#include "lib/x86_pagewalk.h"

#define RAM_SIZE (2u << 20)
#define PAGE 4096u

#define P X86_PTE_P
#define RW X86_PTE_RW
#define US X86_PTE_US
#define PS X86_PTE_PS
#define NX X86_PTE_NX

struct guest {
	uint8_t *ram;
	uint64_t next_free;	/* bump allocator for table pages */
	unsigned reads;
};

static bool read_phys(void *ctx, uint64_t gpa, void *buf, size_t len)
{
	struct guest *g = ctx;

	g->reads++;
	if (gpa >= RAM_SIZE || len > RAM_SIZE - gpa)
		return false;
	memcpy(buf, g->ram + gpa, len);
	return true;
}

static int setup(void **state)
{
	struct guest *g = calloc(1, sizeof(*g));

	if (g == NULL)
		return -1;
	g->ram = calloc(1, RAM_SIZE);
	if (g->ram == NULL)
		return -1;
	g->next_free = 0x10000;
	*state = g;
	return 0;
}

static int teardown(void **state)
{
	struct guest *g = *state;

	free(g->ram);
	free(g);
	return 0;
}

static uint64_t alloc_page(struct guest *g)
{
	uint64_t gpa = g->next_free;

	assert_true(gpa + PAGE <= RAM_SIZE);
	g->next_free += PAGE;
	memset(g->ram + gpa, 0, PAGE);
	return gpa;
}

static void put64(struct guest *g, uint64_t gpa, uint64_t v)
{
	assert_true(gpa + 8 <= RAM_SIZE);
	memcpy(g->ram + gpa, &v, 8);
}

static uint64_t get64(struct guest *g, uint64_t gpa)
{
	uint64_t v;

	memcpy(&v, g->ram + gpa, 8);
	return v;
}

static void put32(struct guest *g, uint64_t gpa, uint32_t v)
{
	assert_true(gpa + 4 <= RAM_SIZE);
	memcpy(g->ram + gpa, &v, 4);
}

/* Maps la in a long-mode (levels 4 or 5) or PAE (levels 3; the PDPT is
 * the root) hierarchy rooted at `root`: the leaf is at leaf_level (1: 4 KiB
 * PTE, 2: 2 MiB, 3: 1 GiB) with frame|leaf_flags; tables are made as
 * needed with table_flags. Returns the leaf entry's address. */
static uint64_t map(struct guest *g, uint64_t root, unsigned levels,
		    uint64_t la, unsigned leaf_level, uint64_t frame,
		    uint64_t leaf_flags, uint64_t table_flags)
{
	uint64_t table = root;

	for (unsigned level = levels; level > leaf_level; level--) {
		unsigned shift = 12 + 9 * (level - 1);
		unsigned index = levels == 3 && level == 3 ? (la >> 30) & 3
							  : (la >> shift) & 511;
		uint64_t slot = table + 8ull * index;
		uint64_t e = get64(g, slot);

		if (!(e & P)) {
			/* PAE PDPTEs take only P. */
			uint64_t flags = levels == 3 && level == 3 ? P : table_flags;

			e = alloc_page(g) | flags;
			put64(g, slot, e);
		}
		table = e & 0x000ffffffffff000ull;
	}
	{
		unsigned shift = 12 + 9 * (leaf_level - 1);
		uint64_t slot = table + 8ull * ((la >> shift) & 511);

		put64(g, slot, frame | leaf_flags | (leaf_level > 1 ? PS : 0));
		return slot;
	}
}

static struct x86_paging long_mode(uint64_t cr3, bool la57)
{
	return (struct x86_paging){
		.cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_WP,
		.cr3 = cr3,
		.cr4 = X86_CR4_PAE | (la57 ? X86_CR4_LA57 : 0),
		.efer = X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE,
		.maxphyaddr = 48,
	};
}

static void expect_ok(const struct x86_paging *p, struct guest *g,
		      uint64_t la, uint64_t gpa, uint64_t page_size,
		      struct x86_walk *w)
{
	enum x86_walk_status st = x86_pagewalk(p, la, read_phys, g, w);

	if (st != X86_WALK_OK)
		fail_msg("la %#llx: %s (level %u entry %#llx)",
			 (unsigned long long)la, x86_walk_status_str(st), w->level,
			 (unsigned long long)w->entry);
	if (w->gpa != gpa || w->page_size != page_size)
		fail_msg("la %#llx: gpa %#llx size %#llx, want %#llx size %#llx",
			 (unsigned long long)la, (unsigned long long)w->gpa,
			 (unsigned long long)w->page_size,
			 (unsigned long long)gpa, (unsigned long long)page_size);
}

static enum x86_walk_status walk(const struct x86_paging *p, struct guest *g,
				 uint64_t la, struct x86_walk *w)
{
	return x86_pagewalk(p, la, read_phys, g, w);
}

/* ------------------------------------------------------------- modes */

static void test_mode_of(void **state)
{
	struct x86_paging p = { 0 };

	(void)state;
	assert_int_equal(x86_paging_mode_of(&p), X86_PAGING_OFF);
	p.cr0 = X86_CR0_PG;
	assert_int_equal(x86_paging_mode_of(&p), X86_PAGING_32);
	p.cr4 = X86_CR4_PAE;
	assert_int_equal(x86_paging_mode_of(&p), X86_PAGING_PAE);
	p.efer = X86_EFER_LMA;
	assert_int_equal(x86_paging_mode_of(&p), X86_PAGING_LONG4);
	p.cr4 |= X86_CR4_LA57;
	assert_int_equal(x86_paging_mode_of(&p), X86_PAGING_LONG5);
	p.cr0 = 0;
	assert_int_equal(x86_paging_mode_of(&p), X86_PAGING_INVALID);
	p.cr0 = X86_CR0_PG;
	p.cr4 = 0;
	assert_int_equal(x86_paging_mode_of(&p), X86_PAGING_INVALID);
	assert_string_equal(x86_paging_mode_str(X86_PAGING_PAE), "PAE");
	assert_string_equal(x86_paging_mode_str((enum x86_paging_mode)77), "unknown");
}

static void test_paging_off(void **state)
{
	struct guest *g = *state;
	struct x86_paging p = { .cr0 = X86_CR0_PE };
	struct x86_walk w;

	g->reads = 0;
	expect_ok(&p, g, 0xfee000b0, 0xfee000b0, PAGE, &w);
	assert_true(w.writable && w.user && !w.nx);
	assert_int_equal(w.level, 0);
	/* Linear addresses are 32 bits wide outside long mode. */
	expect_ok(&p, g, 0x1fee000b0ull, 0xfee000b0, PAGE, &w);
	assert_int_equal(g->reads, 0);

	p.efer = X86_EFER_LMA; /* long mode without paging cannot be */
	assert_int_equal(walk(&p, g, 0, &w), X86_WALK_BAD_STATE);
}

static void test_legacy_32(void **state)
{
	struct guest *g = *state;
	uint64_t pd = alloc_page(g), pt = alloc_page(g);
	struct x86_paging p = {
		.cr0 = X86_CR0_PE | X86_CR0_PG, .cr3 = pd | 0x18 /* PWT PCD */,
		.cr4 = X86_CR4_PSE, .maxphyaddr = 40,
	};
	struct x86_walk w;

	/* 4 KiB: 0x00401000 -> 0x00055000 */
	put32(g, pd + 4 * 1, (uint32_t)(pt | P | RW | US));
	put32(g, pt + 4 * 1, 0x00055000 | P | US);
	expect_ok(&p, g, 0x00401abc, 0x00055abc, PAGE, &w);
	assert_false(w.writable);
	assert_true(w.user);
	assert_false(w.nx);
	assert_int_equal(w.level, 1);
	assert_int_equal(w.entry_gpa, pt + 4);
	/* The upper 32 bits of la are dropped. */
	expect_ok(&p, g, 0x1200401abcull, 0x00055abc, PAGE, &w);

	/* A supervisor PDE makes the page supervisor. */
	put32(g, pd + 4 * 1, (uint32_t)(pt | P | RW));
	expect_ok(&p, g, 0x00401000, 0x00055000, PAGE, &w);
	assert_false(w.user);

	/* Not present PTE, then PDE. */
	assert_int_equal(walk(&p, g, 0x00402000, &w), X86_WALK_NOT_PRESENT);
	assert_int_equal(w.level, 1);
	assert_int_equal(walk(&p, g, 0x00800000, &w), X86_WALK_NOT_PRESENT);
	assert_int_equal(w.level, 2);
	assert_int_equal(w.entry_gpa, pd + 4 * 2);

	/* 4 MiB page at 0xc0000000 -> 0x01c00000, PSE-36 bits 20:13 = 0x12
	 * put it at 0x12_01c00000. */
	put32(g, pd + 4 * 0x300, 0x01c00000 | (0x12u << 13) | P | RW | PS);
	expect_ok(&p, g, 0xc0123456, 0x1201c00000ull + 0x123456, 4u << 20, &w);
	assert_true(w.writable);
	assert_false(w.user);
	assert_int_equal(w.level, 2);

	/* With MAXPHYADDR 36 the address bit 36 (entry bit 17) is reserved. */
	p.maxphyaddr = 36;
	assert_int_equal(walk(&p, g, 0xc0123456, &w), X86_WALK_RESERVED);
	put32(g, pd + 4 * 0x300, 0x01c00000 | (0x2u << 13) | P | RW | PS);
	expect_ok(&p, g, 0xc0000000, 0x201c00000ull, 4u << 20, &w);
	p.maxphyaddr = 40;
	/* Bit 21 is reserved. */
	put32(g, pd + 4 * 0x300, 0x01c00000 | (1u << 21) | P | RW | PS);
	assert_int_equal(walk(&p, g, 0xc0000000, &w), X86_WALK_RESERVED);

	/* Without CR4.PSE the PS bit is ignored: the PDE names a page table. */
	put32(g, pd + 4 * 0x301, (uint32_t)(pt | P | RW | US | PS));
	put32(g, pt + 4 * 5, 0x00077000 | P | RW | US);
	p.cr4 = 0;
	expect_ok(&p, g, 0xc0405010, 0x00077010, PAGE, &w);
	assert_true(w.writable && w.user);

	/* A page directory outside guest RAM. */
	p.cr3 = 0xfff00000;
	assert_int_equal(walk(&p, g, 0, &w), X86_WALK_READ_FAILED);
	assert_int_equal(w.entry_gpa, 0xfff00000);
}

static void test_pae(void **state)
{
	struct guest *g = *state;
	uint64_t pdpt = alloc_page(g) + 0x20; /* 32-byte aligned is enough */
	struct x86_paging p = {
		.cr0 = X86_CR0_PE | X86_CR0_PG, .cr3 = pdpt,
		.cr4 = X86_CR4_PAE, .efer = X86_EFER_NXE, .maxphyaddr = 40,
	};
	struct x86_walk w;
	uint64_t slot;

	/* 4 KiB: 0xc0001000 -> 0x12_3456_7000 (above 4 GiB), NX */
	map(g, pdpt, 3, 0xc0001000, 1, 0x1234567000ull, P | RW | NX,
	    P | RW | US);
	expect_ok(&p, g, 0xc0001234, 0x1234567234ull, PAGE, &w);
	assert_true(w.writable);
	assert_false(w.user);
	assert_true(w.nx);
	assert_int_equal(w.level, 1);

	/* 2 MiB: 0x40200000 -> 0x00600000 */
	slot = map(g, pdpt, 3, 0x40200000, 2, 0x00600000, P | US, P | RW | US);
	expect_ok(&p, g, 0x402abcde, 0x006abcde, 2u << 20, &w);
	assert_false(w.writable);
	assert_true(w.user);
	assert_false(w.nx);
	assert_int_equal(w.level, 2);

	/* 2 MiB page with bit 13 set: reserved. */
	put64(g, slot, 0x00600000 | P | PS | (1ull << 13));
	assert_int_equal(walk(&p, g, 0x40200000, &w), X86_WALK_RESERVED);
	/* Address bits at or above MAXPHYADDR: reserved. */
	put64(g, slot, (1ull << 40) | 0x00600000 | P | PS);
	assert_int_equal(walk(&p, g, 0x40200000, &w), X86_WALK_RESERVED);
	put64(g, slot, 0x00600000 | P | PS);
	expect_ok(&p, g, 0x40200000, 0x00600000, 2u << 20, &w);

	/* NX without EFER.NXE: reserved. */
	p.efer = 0;
	assert_int_equal(walk(&p, g, 0xc0001000, &w), X86_WALK_RESERVED);
	assert_int_equal(w.level, 1);
	p.efer = X86_EFER_NXE;

	/* PDPTE with R/W set (reserved in PAE), then not present. */
	put64(g, pdpt + 8 * 1, get64(g, pdpt + 8 * 1) | RW);
	assert_int_equal(walk(&p, g, 0x40200000, &w), X86_WALK_RESERVED);
	assert_int_equal(w.level, 3);
	assert_int_equal(walk(&p, g, 0x80000000, &w), X86_WALK_NOT_PRESENT);
	assert_int_equal(w.level, 3);
	assert_int_equal(w.entry_gpa, pdpt + 16);
	/* Not present in the PD. */
	assert_int_equal(walk(&p, g, 0xc0400000, &w), X86_WALK_NOT_PRESENT);
	assert_int_equal(w.level, 2);
}

static void test_long4(void **state)
{
	struct guest *g = *state;
	uint64_t pml4 = alloc_page(g);
	struct x86_paging p = long_mode(pml4, false);
	const uint64_t kva = 0xffffffff81000000ull;
	struct x86_walk w;
	uint64_t slot, pml4e;

	/* 4 KiB in the kernel's high half -> 0x0000_7fff_f000 */
	map(g, pml4, 4, kva, 1, 0x7ffff000, P | RW, P | RW);
	expect_ok(&p, g, kva + 0x123, 0x7ffff123, PAGE, &w);
	assert_true(w.writable);
	assert_false(w.user);
	assert_false(w.nx);
	assert_int_equal(w.level, 1);

	/* 2 MiB */
	slot = map(g, pml4, 4, 0x40000000ull, 2, 0x80000000ull, P | RW | US | NX,
		   P | RW | US);
	expect_ok(&p, g, 0x400fffff, 0x800fffff, 2u << 20, &w);
	assert_true(w.user && w.writable && w.nx);
	assert_int_equal(w.level, 2);
	put64(g, slot, get64(g, slot) | (1ull << 20));
	assert_int_equal(walk(&p, g, 0x40000000, &w), X86_WALK_RESERVED);

	/* 1 GiB */
	slot = map(g, pml4, 4, 0x8000000000ull, 3, 0x40000000ull, P | US,
		   P | RW | US);
	expect_ok(&p, g, 0x8012345678ull, 0x52345678ull, 1u << 30, &w);
	assert_false(w.writable);
	assert_true(w.user);
	assert_int_equal(w.level, 3);
	put64(g, slot, get64(g, slot) | (1ull << 29));
	assert_int_equal(walk(&p, g, 0x8000000000ull, &w), X86_WALK_RESERVED);
	put64(g, slot, 0x40000000ull | P | PS | (1ull << 12)); /* PAT: fine */
	expect_ok(&p, g, 0x8000000000ull, 0x40000000ull, 1u << 30, &w);

	/* Bits 62:52 are ignored (software, protection keys); bits 51:48
	 * are reserved with MAXPHYADDR 48; NX is reserved without NXE. */
	put64(g, slot, 0x40000000ull | P | PS | (0x7ffull << 52));
	expect_ok(&p, g, 0x8000000000ull, 0x40000000ull, 1u << 30, &w);
	put64(g, slot, 0x40000000ull | P | PS | (1ull << 48));
	assert_int_equal(walk(&p, g, 0x8000000000ull, &w), X86_WALK_RESERVED);
	p.maxphyaddr = 52;
	expect_ok(&p, g, 0x8000000000ull, 0x1000040000000ull, 1u << 30, &w);
	p.maxphyaddr = 48;
	put64(g, slot, 0x40000000ull | P | PS | NX);
	p.efer &= ~X86_EFER_NXE;
	assert_int_equal(walk(&p, g, 0x8000000000ull, &w), X86_WALK_RESERVED);
	p.efer |= X86_EFER_NXE;
	expect_ok(&p, g, 0x8000000000ull, 0x40000000ull, 1u << 30, &w);
	assert_true(w.nx);

	/* PS in a PML4E is reserved. */
	pml4e = get64(g, pml4 + 8 * 1);
	put64(g, pml4 + 8 * 1, pml4e | PS);
	assert_int_equal(walk(&p, g, 0x8000000000ull, &w), X86_WALK_RESERVED);
	assert_int_equal(w.level, 4);
	put64(g, pml4 + 8 * 1, pml4e);

	/* Non-canonical addresses, and not present at each level. */
	assert_int_equal(walk(&p, g, 0x0000800000000000ull, &w), X86_WALK_NONCANONICAL);
	assert_int_equal(walk(&p, g, 0xffff7fffffffffffull, &w), X86_WALK_NONCANONICAL);
	assert_int_equal(walk(&p, g, 0x0000700000000000ull, &w), X86_WALK_NOT_PRESENT);
	assert_int_equal(w.level, 4);
	assert_int_equal(walk(&p, g, 0xffffffffc0000000ull, &w), X86_WALK_NOT_PRESENT);
	assert_int_equal(w.level, 3);
	assert_int_equal(walk(&p, g, kva + (2u << 20), &w), X86_WALK_NOT_PRESENT);
	assert_int_equal(w.level, 2);
	assert_int_equal(walk(&p, g, kva + PAGE, &w), X86_WALK_NOT_PRESENT);
	assert_int_equal(w.level, 1);

	/* A table outside guest RAM. */
	put64(g, pml4 + 8 * 2, 0x7f00000000ull | P | RW);
	assert_int_equal(walk(&p, g, 0x10000000000ull, &w), X86_WALK_READ_FAILED);
	assert_int_equal(w.level, 3);
	assert_int_equal(w.entry_gpa, 0x7f00000000ull);

	/* CR3's low bits (PCID, PWT, PCD) are not address bits. */
	p.cr3 = pml4 | 0xfff;
	expect_ok(&p, g, kva, 0x7ffff000, PAGE, &w);
}

static void test_long5(void **state)
{
	struct guest *g = *state;
	uint64_t pml5 = alloc_page(g);
	struct x86_paging p = long_mode(pml5, true);
	const uint64_t la = 0x0123456789abcdefull & ((1ull << 56) - 1);
	struct x86_walk w;

	map(g, pml5, 5, la, 1, 0x00abc000, P | RW | US, P | RW | US);
	expect_ok(&p, g, la, 0x00abcdef, PAGE, &w);
	assert_int_equal(w.level, 1);
	map(g, pml5, 5, 0xff00000000000000ull, 2, 0x00200000, P | RW, P | RW);
	expect_ok(&p, g, 0xff00000000012345ull, 0x00212345, 2u << 20, &w);
	map(g, pml5, 5, 0xff80000040000000ull, 3, 0xc0000000ull, P | RW, P | RW);
	expect_ok(&p, g, 0xff80000040000001ull, 0xc0000001ull, 1u << 30, &w);

	/* 57-bit canonical; the same address is non-canonical for 4 levels. */
	assert_int_equal(walk(&p, g, 0x0100000000000000ull, &w), X86_WALK_NONCANONICAL);
	assert_int_equal(walk(&p, g, 0x0080000000000000ull, &w), X86_WALK_NOT_PRESENT);
	assert_int_equal(w.level, 5);
	p.cr4 &= ~X86_CR4_LA57;
	assert_int_equal(walk(&p, g, la, &w), X86_WALK_NONCANONICAL);
	p.cr4 |= X86_CR4_LA57;

	/* PS in a PML5E is reserved. */
	put64(g, pml5 + 8 * ((la >> 48) & 511),
	      get64(g, pml5 + 8 * ((la >> 48) & 511)) | PS);
	assert_int_equal(walk(&p, g, la, &w), X86_WALK_RESERVED);
	assert_int_equal(w.level, 5);
}

/* ---------------------------------------------------- permissions, #PF */

static void test_permits(void **state)
{
	struct x86_paging p = long_mode(0, false);
	struct x86_walk w = { .writable = false, .user = false, .nx = false };

	(void)state;
	/* Supervisor, read-only page. */
	assert_true(x86_walk_permits(&p, &w, 0, false));
	assert_false(x86_walk_permits(&p, &w, X86_PF_W, false));
	p.cr0 &= ~X86_CR0_WP;
	assert_true(x86_walk_permits(&p, &w, X86_PF_W, false));
	assert_false(x86_walk_permits(&p, &w, X86_PF_U, false));
	assert_true(x86_walk_permits(&p, &w, X86_PF_I, false));
	w.nx = true;
	assert_false(x86_walk_permits(&p, &w, X86_PF_I, false));

	/* A user page from supervisor mode: SMEP and SMAP. */
	w = (struct x86_walk){ .writable = true, .user = true };
	assert_true(x86_walk_permits(&p, &w, X86_PF_I, false));
	assert_true(x86_walk_permits(&p, &w, X86_PF_U | X86_PF_W, false));
	p.cr4 |= X86_CR4_SMEP;
	assert_false(x86_walk_permits(&p, &w, X86_PF_I, false));
	assert_true(x86_walk_permits(&p, &w, X86_PF_U | X86_PF_I, false));
	p.cr4 |= X86_CR4_SMAP;
	assert_false(x86_walk_permits(&p, &w, 0, false));
	assert_true(x86_walk_permits(&p, &w, 0, true));
	assert_true(x86_walk_permits(&p, &w, X86_PF_U, false));

	/* Paging off allows everything. */
	p = (struct x86_paging){ 0 };
	assert_true(x86_walk_permits(&p, &w, X86_PF_W | X86_PF_U | X86_PF_I, false));
}

static void test_pf_error_code(void **state)
{
	struct x86_paging p = long_mode(0, false);
	struct x86_paging legacy = { .cr0 = X86_CR0_PG, .efer = X86_EFER_NXE };

	(void)state;
	assert_int_equal(x86_pf_error_code(&p, X86_WALK_NOT_PRESENT, X86_PF_W), X86_PF_W);
	assert_int_equal(x86_pf_error_code(&p, X86_WALK_OK, X86_PF_W | X86_PF_U),
			 X86_PF_P | X86_PF_W | X86_PF_U);
	assert_int_equal(x86_pf_error_code(&p, X86_WALK_RESERVED, 0),
			 X86_PF_P | X86_PF_RSVD);
	assert_int_equal(x86_pf_error_code(&p, X86_WALK_NOT_PRESENT, X86_PF_I), X86_PF_I);
	/* 32-bit paging has no NX: I only with SMEP. */
	assert_int_equal(x86_pf_error_code(&legacy, X86_WALK_NOT_PRESENT, X86_PF_I), 0);
	legacy.cr4 = X86_CR4_SMEP;
	assert_int_equal(x86_pf_error_code(&legacy, X86_WALK_NOT_PRESENT, X86_PF_I), X86_PF_I);
	p.efer &= ~X86_EFER_NXE;
	assert_int_equal(x86_pf_error_code(&p, X86_WALK_NOT_PRESENT, X86_PF_I), 0);
}

/* ------------------------------------------- linear reads and fetches */

/* Two virtually adjacent pages 0x7000_0000_0fff/0x...1000 in long mode,
 * backed by frames that are not adjacent; returns the paging state. */
static struct x86_paging two_pages(struct guest *g, uint64_t va,
				   uint64_t *frame0, uint64_t *frame1)
{
	uint64_t pml4 = alloc_page(g);

	*frame0 = alloc_page(g);
	alloc_page(g); /* a gap */
	*frame1 = alloc_page(g);
	map(g, pml4, 4, va, 1, *frame0, P | RW, P | RW);
	map(g, pml4, 4, va + PAGE, 1, *frame1, P | RW, P | RW);
	return long_mode(pml4, false);
}

static void test_read_linear(void **state)
{
	struct guest *g = *state;
	const uint64_t va = 0x0000700000000000ull;
	uint64_t f0, f1, slot;
	struct x86_paging p = two_pages(g, va, &f0, &f1);
	struct x86_walk fault;
	uint8_t buf[64];
	size_t done = 99;

	for (unsigned i = 0; i < 32; i++) {
		g->ram[f0 + PAGE - 16 + i % 16] = (uint8_t)(0xa0 + i);
		g->ram[f1 + i] = (uint8_t)(0xb0 + i);
	}
	assert_int_equal(x86_read_linear(&p, va + PAGE - 16, buf, 32, read_phys,
					 g, &done, &fault), X86_WALK_OK);
	assert_int_equal(done, 32);
	assert_memory_equal(buf, g->ram + f0 + PAGE - 16, 16);
	assert_memory_equal(buf + 16, g->ram + f1, 16);

	assert_int_equal(x86_read_linear(&p, va, buf, 0, read_phys, g, NULL,
					 NULL), X86_WALK_OK);

	/* The second page not present: the bytes of the first are there. */
	slot = map(g, p.cr3, 4, va + PAGE, 1, f1, 0, P | RW);
	assert_int_equal(x86_read_linear(&p, va + PAGE - 16, buf, 32, read_phys,
					 g, &done, &fault), X86_WALK_NOT_PRESENT);
	assert_int_equal(done, 16);
	assert_int_equal(fault.level, 1);
	assert_int_equal(fault.entry_gpa, slot);

	/* The second page maps outside guest RAM. */
	put64(g, slot, 0x7f000000ull | P);
	assert_int_equal(x86_read_linear(&p, va + PAGE - 16, buf, 32, read_phys,
					 g, &done, NULL), X86_WALK_READ_FAILED);
	assert_int_equal(done, 16);
	put64(g, slot, f1 | P | RW);

	/* Outside long mode, 4 GiB wraps to 0 (paging off). */
	{
		struct x86_paging off = { 0 };

		g->ram[0] = 0x5a;
		assert_int_equal(x86_read_linear(&off, 0xffffffffull, buf, 2,
						 read_phys, g, &done, NULL),
				 X86_WALK_READ_FAILED);
		assert_int_equal(done, 0);
		assert_int_equal(x86_read_linear(&off, 0x100000000ull, buf, 1,
						 read_phys, g, &done, NULL),
				 X86_WALK_OK);
		assert_int_equal(buf[0], 0x5a);
	}
}

static void test_fetch_insn(void **state)
{
	struct guest *g = *state;
	const uint64_t va = 0x0000700000100000ull;
	/* movl $0x0,0xb0(%rax): 10 bytes, split 3 + 7 over the pages. */
	static const uint8_t insn[] = { 0xc7, 0x80, 0xb0, 0x00, 0x00, 0x00,
					0x00, 0x00, 0x00, 0x00 };
	uint64_t f0, f1, slot;
	struct x86_paging p = two_pages(g, va, &f0, &f1);
	enum x86_walk_status st;
	struct x86_insn in;
	uint8_t buf[X86_MAX_INSN_LEN];
	size_t n;

	memcpy(g->ram + f0 + PAGE - 3, insn, 3);
	memcpy(g->ram + f1, insn + 3, sizeof(insn) - 3);
	n = x86_fetch_insn(&p, X86_MODE_64, 0x12345 /* ignored */, va + PAGE - 3,
			   buf, read_phys, g, &st);
	assert_int_equal(st, X86_WALK_OK);
	assert_int_equal(n, X86_MAX_INSN_LEN);
	assert_memory_equal(buf, insn, sizeof(insn));
	assert_int_equal(x86_decode(buf, n, X86_MODE_64, &in), X86_DECODE_OK);
	assert_int_equal(in.len, sizeof(insn));

	/* Second page gone: 3 bytes, TRUNCATED, and the walk says why. */
	slot = map(g, p.cr3, 4, va + PAGE, 1, f1, 0, P | RW);
	n = x86_fetch_insn(&p, X86_MODE_64, 0, va + PAGE - 3, buf, read_phys,
			   g, &st);
	assert_int_equal(n, 3);
	assert_int_equal(st, X86_WALK_NOT_PRESENT);
	assert_int_equal(x86_decode(buf, n, X86_MODE_64, &in), X86_DECODE_TRUNCATED);
	/* An instruction that fits the first page still decodes. */
	g->ram[f0 + PAGE - 3] = 0x8b;
	g->ram[f0 + PAGE - 2] = 0x07;
	assert_int_equal(x86_decode(buf, 0, X86_MODE_64, &in), X86_DECODE_TRUNCATED);
	n = x86_fetch_insn(&p, X86_MODE_64, 0, va + PAGE - 3, buf, read_phys,
			   g, &st);
	assert_int_equal(x86_decode(buf, n, X86_MODE_64, &in), X86_DECODE_OK);
	assert_int_equal(in.len, 2);
	put64(g, slot, f1 | P | RW);

	/* 32-bit code with paging off: CS base + EIP, wrapping at 4 GiB. */
	{
		struct x86_paging off = { .cr0 = X86_CR0_PE };
		uint64_t at = 0x3000;

		memcpy(g->ram + at, (const uint8_t[]){ 0xa1, 0xb0, 0x00, 0xe0, 0xfe },
		       5);
		n = x86_fetch_insn(&off, X86_MODE_32, 0xfffff000ull, at + 0x1000,
				   buf, read_phys, g, &st);
		assert_int_equal(n, X86_MAX_INSN_LEN);
		assert_int_equal(x86_decode(buf, n, X86_MODE_32, &in), X86_DECODE_OK);
		assert_int_equal(in.len, 5);
		assert_int_equal(in.kind, X86_MMIO_READ);

		/* Real mode: CS base 0x3000 (segment 0x300) + IP 0. */
		n = x86_fetch_insn(&off, X86_MODE_16, 0x3000, 0, buf, read_phys,
				   g, &st);
		assert_int_equal(n, X86_MAX_INSN_LEN);
		assert_int_equal(buf[0], 0xa1);

		/* RIP in no RAM at all. */
		n = x86_fetch_insn(&off, X86_MODE_32, 0, 0xfee00000ull, buf,
				   read_phys, g, &st);
		assert_int_equal(n, 0);
		assert_int_equal(st, X86_WALK_READ_FAILED);
	}
	assert_int_equal(x86_fetch_insn(&p, X86_MODE_64, 0, 0x0000800000000000ull,
					buf, read_phys, g, NULL), 0);
}

static void test_strings(void **state)
{
	(void)state;
	for (int s = X86_WALK_OK; s <= X86_WALK_BAD_STATE; s++)
		assert_string_not_equal(x86_walk_status_str((enum x86_walk_status)s),
					"unknown status");
	assert_string_equal(x86_walk_status_str((enum x86_walk_status)50),
			    "unknown status");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mode_of),
		cmocka_unit_test_setup_teardown(test_paging_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_legacy_32, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pae, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long4, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long5, setup, teardown),
		cmocka_unit_test(test_permits),
		cmocka_unit_test(test_pf_error_code),
		cmocka_unit_test_setup_teardown(test_read_linear, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fetch_insn, setup, teardown),
		cmocka_unit_test(test_strings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
