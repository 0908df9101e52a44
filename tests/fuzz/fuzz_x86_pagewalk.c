/* libFuzzer target: the guest page walker on arbitrary page tables. The
 * first 24 bytes are the paging state and the address; the rest is guest
 * RAM from guest-physical 0 (reads past it fail, as outside guest RAM).
 * CR3 points into that RAM most of the time. The checks trap on any
 * translation that is not self-consistent. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/x86_decode.h"
#include "lib/x86_pagewalk.h"

#define CHECK(cond)                      \
	do {                             \
		if (!(cond))             \
			__builtin_trap(); \
	} while (0)

#define HEADER 24

struct ram {
	const uint8_t *base;
	size_t size;
};

static bool read_phys(void *ctx, uint64_t gpa, void *buf, size_t len)
{
	const struct ram *r = ctx;

	if (gpa >= r->size || len > r->size - gpa)
		return false;
	memcpy(buf, r->base + gpa, len);
	return true;
}

static uint64_t le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ram ram;
	struct x86_paging p;
	struct x86_walk w;
	enum x86_walk_status st;
	enum x86_paging_mode mode;
	uint64_t la, page;
	uint8_t flags, buf[32];
	size_t done;

	if (size < HEADER)
		return 0;
	ram.base = data + HEADER;
	ram.size = size - HEADER;

	flags = data[0];
	p.cr0 = X86_CR0_PE | ((flags & 1) ? X86_CR0_PG : 0) |
		((flags & 2) ? X86_CR0_WP : 0);
	p.cr4 = ((flags & 4) ? X86_CR4_PAE : 0) | ((flags & 8) ? X86_CR4_PSE : 0) |
		((flags & 16) ? X86_CR4_LA57 : 0) | ((flags & 32) ? X86_CR4_SMEP : 0);
	p.efer = ((flags & 64) ? X86_EFER_LMA | X86_EFER_LME : 0) |
		 ((flags & 128) ? X86_EFER_NXE : 0);
	p.maxphyaddr = data[1] % 64;
	p.cr3 = le(data + 2, 4) & 0xfffff;
	if (data[6] & 1)	/* now and then anywhere */
		p.cr3 = le(data + 2, 8);
	la = le(data + 10, 8);

	mode = x86_paging_mode_of(&p);
	memset(&w, 0xa5, sizeof(w));
	st = x86_pagewalk(&p, la, read_phys, &ram, &w);
	CHECK(st <= X86_WALK_BAD_STATE);
	CHECK(x86_walk_status_str(st) != NULL);
	CHECK(w.level <= 5);
	CHECK((st == X86_WALK_BAD_STATE) == (mode == X86_PAGING_INVALID));

	if (st == X86_WALK_OK) {
		page = w.page_size;
		CHECK(page == 1ull << 12 || page == 1ull << 21 ||
		      page == 1ull << 22 || page == 1ull << 30);
		switch (mode) {
		case X86_PAGING_OFF:
			CHECK(w.gpa == (la & 0xffffffffu) && w.level == 0);
			CHECK(w.writable && w.user && !w.nx);
			break;
		case X86_PAGING_32:
			CHECK(page == 1ull << 12 || page == 1ull << 22);
			CHECK(!w.nx);
			CHECK(w.gpa < (1ull << 40));
			CHECK(((w.gpa ^ la) & (page - 1)) == 0);
			break;
		case X86_PAGING_PAE:
			CHECK(page == 1ull << 12 || page == 1ull << 21);
			CHECK(w.gpa < (1ull << 52));
			CHECK(((w.gpa ^ la) & (page - 1)) == 0);
			break;
		default:
			CHECK(page != 1ull << 22);
			CHECK(w.gpa < (1ull << 52));
			CHECK(((w.gpa ^ la) & (page - 1)) == 0);
			break;
		}
		if (w.nx)
			CHECK(p.efer & X86_EFER_NXE);
		if (mode != X86_PAGING_OFF) {
			unsigned width = p.maxphyaddr == 0 || p.maxphyaddr > 52 ? 52
					 : p.maxphyaddr < 32 ? 32 : p.maxphyaddr;

			CHECK(w.level >= 1);
			CHECK(w.gpa >> width == 0);
		}
		/* The permission check agrees with the bits it reports. */
		if (!w.user)
			CHECK(!x86_walk_permits(&p, &w, X86_PF_U, false) ||
			      mode == X86_PAGING_OFF);
		if (w.nx)
			CHECK(!x86_walk_permits(&p, &w, X86_PF_I, false));
	} else if (st != X86_WALK_BAD_STATE && st != X86_WALK_NONCANONICAL) {
		CHECK(w.level >= 1);
		CHECK(x86_pf_error_code(&p, st, X86_PF_W) & X86_PF_W);
	}
	if (st == X86_WALK_NONCANONICAL)
		CHECK(mode == X86_PAGING_LONG4 || mode == X86_PAGING_LONG5);

	/* A read across a page boundary: all or a prefix, never more. */
	done = 99;
	st = x86_read_linear(&p, la, buf, sizeof(buf), read_phys, &ram, &done,
			     &w);
	CHECK(done <= sizeof(buf));
	CHECK((st == X86_WALK_OK) == (done == sizeof(buf)));

	done = x86_fetch_insn(&p, (enum x86_cpu_mode)(data[18] % 3),
			      le(data + 19, 4), la, buf, read_phys, &ram, &st);
	CHECK(done <= X86_MAX_INSN_LEN);
	CHECK((st == X86_WALK_OK) == (done == X86_MAX_INSN_LEN));
	return 0;
}
