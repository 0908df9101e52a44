/* Guest page walks (Intel SDM vol. 3 ch. 4, AMD APM vol. 2 ch. 5). Each
 * level reads one entry through the callback, stops at P=0 or a reserved
 * bit, folds R/W, U/S and NX into the result, and ends at a leaf: a PTE, or
 * an entry with PS=1 where the level allows a large page. Entries are
 * little-endian bytes, assembled here so that the code is endian-neutral. */
#include "lib/x86_pagewalk.h"

#define PAGE_SIZE 4096ull
#define PAGE_MASK (~(PAGE_SIZE - 1))

static uint64_t bits(unsigned hi, unsigned lo)
{
	return ((hi >= 63 ? 0 : (1ull << (hi + 1))) - 1) & ~((1ull << lo) - 1);
}

static unsigned phys_width(const struct x86_paging *p)
{
	if (p->maxphyaddr == 0 || p->maxphyaddr > 52)
		return 52;
	if (p->maxphyaddr < 32)
		return 32;
	return p->maxphyaddr;
}

enum x86_paging_mode x86_paging_mode_of(const struct x86_paging *p)
{
	bool pg = p->cr0 & X86_CR0_PG, pae = p->cr4 & X86_CR4_PAE;

	if (p->efer & X86_EFER_LMA) {
		if (!pg || !pae)
			return X86_PAGING_INVALID;
		return (p->cr4 & X86_CR4_LA57) ? X86_PAGING_LONG5
					       : X86_PAGING_LONG4;
	}
	if (!pg)
		return X86_PAGING_OFF;
	return pae ? X86_PAGING_PAE : X86_PAGING_32;
}

static bool read_entry(x86_read_phys_fn read_phys, void *ctx, uint64_t gpa,
		       unsigned len, uint64_t *out)
{
	uint8_t b[8];
	uint64_t v = 0;

	if (!read_phys(ctx, gpa, b, len))
		return false;
	for (unsigned i = 0; i < len; i++)
		v |= (uint64_t)b[i] << (8 * i);
	*out = v;
	return true;
}

/* Reads the entry at table[index] into out->entry; the status of the read
 * and the present check. */
static enum x86_walk_status step(x86_read_phys_fn read_phys, void *ctx,
				 uint64_t table, unsigned index,
				 unsigned entry_size, unsigned level,
				 struct x86_walk *out)
{
	out->level = level;
	out->entry_gpa = table + (uint64_t)index * entry_size;
	out->entry = 0;
	if (!read_entry(read_phys, ctx, out->entry_gpa, entry_size, &out->entry))
		return X86_WALK_READ_FAILED;
	if (!(out->entry & X86_PTE_P))
		return X86_WALK_NOT_PRESENT;
	return X86_WALK_OK;
}

static void fold_perms(struct x86_walk *out, uint64_t e, bool nxe)
{
	if (!(e & X86_PTE_RW))
		out->writable = false;
	if (!(e & X86_PTE_US))
		out->user = false;
	if (nxe && (e & X86_PTE_NX))
		out->nx = true;
}

static enum x86_walk_status leaf(struct x86_walk *out, uint64_t frame,
				 uint64_t page_size, uint64_t la)
{
	out->page_size = page_size;
	out->gpa = (frame & ~(page_size - 1)) | (la & (page_size - 1));
	return X86_WALK_OK;
}

static enum x86_walk_status walk_long(const struct x86_paging *p,
				      unsigned levels, uint64_t la,
				      x86_read_phys_fn read_phys, void *ctx,
				      struct x86_walk *out)
{
	unsigned width = phys_width(p), va_bits = 12 + 9 * levels;
	bool nxe = p->efer & X86_EFER_NXE;
	uint64_t addr = bits(width - 1, 12);
	uint64_t rsvd_phys = width < 52 ? bits(51, width) : 0;
	uint64_t rsvd_nx = nxe ? 0 : X86_PTE_NX;
	uint64_t table = p->cr3 & addr;
	int64_t top = (int64_t)(la << (64 - va_bits)) >> (64 - va_bits);
	enum x86_walk_status st;

	if ((uint64_t)top != la)
		return X86_WALK_NONCANONICAL;

	for (unsigned level = levels; level >= 1; level--) {
		unsigned shift = 12 + 9 * (level - 1);
		uint64_t e, rsvd = rsvd_phys | rsvd_nx;

		st = step(read_phys, ctx, table, (la >> shift) & 511, 8, level,
			  out);
		if (st != X86_WALK_OK)
			return st;
		e = out->entry;
		if (level >= 4)
			rsvd |= X86_PTE_PS;	/* PML4E, PML5E: MBZ */
		else if (level == 3 && (e & X86_PTE_PS))
			rsvd |= bits(29, 13);	/* 1 GiB page */
		else if (level == 2 && (e & X86_PTE_PS))
			rsvd |= bits(20, 13);	/* 2 MiB page */
		if (e & rsvd)
			return X86_WALK_RESERVED;
		fold_perms(out, e, nxe);
		if (level == 1 || ((level == 2 || level == 3) && (e & X86_PTE_PS)))
			return leaf(out, e & addr, 1ull << shift, la);
		table = e & addr;
	}
	return X86_WALK_BAD_STATE; /* not reached */
}

static enum x86_walk_status walk_pae(const struct x86_paging *p, uint64_t la,
				     x86_read_phys_fn read_phys, void *ctx,
				     struct x86_walk *out)
{
	unsigned width = phys_width(p);
	bool nxe = p->efer & X86_EFER_NXE;
	uint64_t addr = bits(width - 1, 12);
	uint64_t rsvd_high = bits(62, width) | (nxe ? 0 : X86_PTE_NX);
	enum x86_walk_status st;
	uint64_t e;

	/* PDPTE: no R/W, U/S or NX; those bits are reserved. */
	st = step(read_phys, ctx, p->cr3 & 0xffffffe0u, (la >> 30) & 3, 8, 3,
		  out);
	if (st != X86_WALK_OK)
		return st;
	if (out->entry & (bits(63, width) | bits(8, 5) | bits(2, 1)))
		return X86_WALK_RESERVED;

	st = step(read_phys, ctx, out->entry & addr, (la >> 21) & 511, 8, 2,
		  out);
	if (st != X86_WALK_OK)
		return st;
	e = out->entry;
	if (e & (rsvd_high | ((e & X86_PTE_PS) ? bits(20, 13) : 0)))
		return X86_WALK_RESERVED;
	fold_perms(out, e, nxe);
	if (e & X86_PTE_PS)
		return leaf(out, e & addr, 2ull << 20, la);

	st = step(read_phys, ctx, e & addr, (la >> 12) & 511, 8, 1, out);
	if (st != X86_WALK_OK)
		return st;
	e = out->entry;
	if (e & rsvd_high)
		return X86_WALK_RESERVED;
	fold_perms(out, e, nxe);
	return leaf(out, e & addr, PAGE_SIZE, la);
}

static enum x86_walk_status walk_32(const struct x86_paging *p, uint64_t la,
				    x86_read_phys_fn read_phys, void *ctx,
				    struct x86_walk *out)
{
	unsigned width = phys_width(p);
	enum x86_walk_status st;
	uint64_t e;

	st = step(read_phys, ctx, p->cr3 & 0xfffff000u, (la >> 22) & 1023, 4,
		  2, out);
	if (st != X86_WALK_OK)
		return st;
	e = out->entry;
	if ((p->cr4 & X86_CR4_PSE) && (e & X86_PTE_PS)) {
		/* 4 MiB page: bits 20:13 are physical address bits 39:32
		 * (PSE-36/40), bit 21 is reserved, and so are the bits that
		 * name addresses at or above MAXPHYADDR. */
		uint64_t rsvd = 1ull << 21;
		uint64_t frame;

		if (width < 40)
			rsvd |= bits(20, 13 + (width - 32));
		if (e & rsvd)
			return X86_WALK_RESERVED;
		fold_perms(out, e, false);
		frame = (e & 0xffc00000u) | (((e >> 13) & 0xff) << 32);
		return leaf(out, frame, 4ull << 20, la);
	}
	fold_perms(out, e, false);

	st = step(read_phys, ctx, e & 0xfffff000u, (la >> 12) & 1023, 4, 1,
		  out);
	if (st != X86_WALK_OK)
		return st;
	e = out->entry;
	fold_perms(out, e, false);
	return leaf(out, e & 0xfffff000u, PAGE_SIZE, la);
}

enum x86_walk_status x86_pagewalk(const struct x86_paging *p, uint64_t la,
				  x86_read_phys_fn read_phys, void *ctx,
				  struct x86_walk *out)
{
	enum x86_paging_mode mode = x86_paging_mode_of(p);

	*out = (struct x86_walk){ .writable = true, .user = true };
	switch (mode) {
	case X86_PAGING_OFF:
		return leaf(out, la & 0xffffffffu, PAGE_SIZE, la);
	case X86_PAGING_32:
		return walk_32(p, la & 0xffffffffu, read_phys, ctx, out);
	case X86_PAGING_PAE:
		return walk_pae(p, la & 0xffffffffu, read_phys, ctx, out);
	case X86_PAGING_LONG4:
		return walk_long(p, 4, la, read_phys, ctx, out);
	case X86_PAGING_LONG5:
		return walk_long(p, 5, la, read_phys, ctx, out);
	case X86_PAGING_INVALID:
		break;
	}
	return X86_WALK_BAD_STATE;
}

bool x86_walk_permits(const struct x86_paging *p, const struct x86_walk *w,
		      unsigned access, bool ac)
{
	bool user = access & X86_PF_U, write = access & X86_PF_W;
	bool fetch = access & X86_PF_I;

	if (x86_paging_mode_of(p) == X86_PAGING_OFF)
		return true;
	if (user && !w->user)
		return false;
	if (!user && w->user) {
		if (fetch && (p->cr4 & X86_CR4_SMEP))
			return false;
		if (!fetch && (p->cr4 & X86_CR4_SMAP) && !ac)
			return false;
	}
	if (write && !w->writable && (user || (p->cr0 & X86_CR0_WP)))
		return false;
	if (fetch && w->nx)
		return false;
	return true;
}

uint32_t x86_pf_error_code(const struct x86_paging *p,
			   enum x86_walk_status st, unsigned access)
{
	enum x86_paging_mode mode = x86_paging_mode_of(p);
	uint32_t code = access & (X86_PF_W | X86_PF_U);

	if (st != X86_WALK_NOT_PRESENT)
		code |= X86_PF_P;
	if (st == X86_WALK_RESERVED)
		code |= X86_PF_RSVD;
	if ((access & X86_PF_I) &&
	    ((p->cr4 & X86_CR4_SMEP) ||
	     ((p->efer & X86_EFER_NXE) && mode != X86_PAGING_32)))
		code |= X86_PF_I;
	return code;
}

enum x86_walk_status x86_read_linear(const struct x86_paging *p, uint64_t la,
				     void *buf, size_t len,
				     x86_read_phys_fn read_phys, void *ctx,
				     size_t *done, struct x86_walk *fault)
{
	uint8_t *dst = buf;
	size_t copied = 0;
	enum x86_walk_status st = X86_WALK_OK;
	struct x86_walk w;

	while (copied < len) {
		uint64_t addr = la + copied;
		uint64_t chunk;

		/* Outside long mode linear addresses wrap at 4 GiB. */
		if (!(p->efer & X86_EFER_LMA))
			addr &= 0xffffffffu;
		st = x86_pagewalk(p, addr, read_phys, ctx, &w);
		if (st != X86_WALK_OK)
			break;
		chunk = PAGE_SIZE - (addr & (PAGE_SIZE - 1));
		if (chunk > len - copied)
			chunk = len - copied;
		if (!read_phys(ctx, w.gpa, dst + copied, (size_t)chunk)) {
			st = X86_WALK_READ_FAILED;
			break;
		}
		copied += (size_t)chunk;
	}
	if (done != NULL)
		*done = copied;
	if (fault != NULL && st != X86_WALK_OK)
		*fault = w;
	return st;
}

size_t x86_fetch_insn(const struct x86_paging *p, enum x86_cpu_mode mode,
		      uint64_t cs_base, uint64_t rip,
		      uint8_t buf[X86_MAX_INSN_LEN],
		      x86_read_phys_fn read_phys, void *ctx,
		      enum x86_walk_status *status)
{
	uint64_t la = mode == X86_MODE_64 ? rip : (cs_base + rip) & 0xffffffffu;
	enum x86_walk_status st;
	size_t done = 0;

	st = x86_read_linear(p, la, buf, X86_MAX_INSN_LEN, read_phys, ctx,
			     &done, NULL);
	if (status != NULL)
		*status = st;
	return done;
}

const char *x86_walk_status_str(enum x86_walk_status s)
{
	switch (s) {
	case X86_WALK_OK: return "ok";
	case X86_WALK_NOT_PRESENT: return "page not present";
	case X86_WALK_RESERVED: return "reserved bit set in a page-table entry";
	case X86_WALK_NONCANONICAL: return "non-canonical address";
	case X86_WALK_READ_FAILED: return "page table or page outside guest RAM";
	case X86_WALK_BAD_STATE: return "inconsistent paging state";
	}
	return "unknown status";
}

const char *x86_paging_mode_str(enum x86_paging_mode m)
{
	switch (m) {
	case X86_PAGING_OFF: return "off";
	case X86_PAGING_32: return "32-bit";
	case X86_PAGING_PAE: return "PAE";
	case X86_PAGING_LONG4: return "4-level";
	case X86_PAGING_LONG5: return "5-level";
	case X86_PAGING_INVALID: return "invalid";
	}
	return "unknown";
}
