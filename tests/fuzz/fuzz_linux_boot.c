/* libFuzzer target: bzimage_parse on arbitrary bytes, then, for what it
 * accepts, the planner, boot_params, page tables, the entry state and a
 * load through a checking write callback; the E820 builder and the PVH
 * planner on every input. The last 16 bytes of the input also choose the
 * domain: RAM size, initrd size, command line length, up to 3 reserved
 * ranges. libFuzzer hands over a heap copy of exactly `size` bytes, so
 * ASan reports any read past the image; the invariants below trap on any
 * inconsistent answer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/linux_boot.h"

#define CHECK(cond)                      \
	do {                             \
		if (!(cond))             \
			__builtin_trap(); \
	} while (0)

#define MIB 0x100000ull
#define GIB 0x40000000ull
#define PARAMS 16

static uint64_t le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = n; i > 0; i--)
		v = v << 8 | p[i - 1];
	return v;
}

struct domain {
	struct linux_mem_range res[3];
	struct linux_boot_request req;
};

/* The domain the last PARAMS bytes describe (a default one when the
 * input is shorter). */
static void domain_from(const uint8_t *data, size_t size, struct domain *d)
{
	static const uint8_t none[PARAMS];
	const uint8_t *p = size >= PARAMS ? data + size - PARAMS : none;
	size_t n = p[8] % 4;

	memset(d, 0, sizeof(*d));
	d->req.mem.ram_size = (1 + le(p, 2) % 8192) * MIB - (p[15] & 0x80 ? 0x400 : 0);
	d->req.initrd_size = le(p + 2, 4) >> (p[15] & 15);
	d->req.cmdline_len = le(p + 6, 2) % 4096;
	d->req.rsdp_addr = 0xe0000;
	d->req.gib_pages = p[15] & 0x40;
	for (size_t i = 0; i < n; i++) {
		uint64_t v = le(p + 9 + 2 * i, 2);

		/* Anywhere in the first 4 GiB at 64 KiB granularity, 4 KiB to
		 * 16 MiB long, sometimes unaligned or typed RAM (refused). */
		d->res[i].base = (v << 16) + (p[15] & 0x20 ? 0x123 : 0);
		d->res[i].size = (uint64_t)(1 + (p[14 - i] & 0x3f)) << (12 + (v & 3) * 2);
		d->res[i].type = 2 + (p[13] >> (2 * i) & 3);
		if (p[15] & 0x10 && i == 0)
			d->res[i].type = E820_TYPE_RAM;
	}
	d->req.mem.reserved = d->res;
	d->req.mem.reserved_count = n;
}

static int overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return alen != 0 && blen != 0 && a < b + blen && b < a + alen;
}

static int in_reserved(const struct linux_guest_memory *mem, uint64_t a,
		       uint64_t len)
{
	for (size_t i = 0; i < mem->reserved_count; i++) {
		uint64_t base = mem->reserved[i].base & ~0xfffull;

		if (overlap(a, len, base,
			    mem->reserved[i].base + mem->reserved[i].size - base))
			return 1;
	}
	return 0;
}

/* Every range placed is aligned RAM outside page 0, the legacy window and
 * the reserved ranges, below 4 GiB, and disjoint from the others. */
static void check_plan(const struct linux_boot_plan *p,
		       const struct linux_boot_request *req)
{
	int b64 = p->mode == LINUX_BOOT_64BIT;
	uint64_t r[7][2] = {
		{p->kernel_addr, p->kernel_end - p->kernel_addr},
		{p->initrd_addr, (p->initrd_size + 0xfff) & ~0xfffull},
		{p->boot_params_addr, 0x1000},
		{p->cmdline_addr, (p->cmdline_len + 1 + 0xfff) & ~0xfffull},
		{p->gdt_addr, b64 ? 0x1000 : 0},
		{p->stack_top - 0x1000, b64 ? 0x1000 : 0},
		{p->page_tables_addr, p->page_tables_size},
	};

	CHECK(p->message[0] == '\0');
	CHECK(p->kernel_end > p->kernel_addr);
	CHECK(p->initrd_size == req->initrd_size);
	CHECK((p->initrd_addr == 0) == (p->initrd_size == 0));
	for (int i = 0; i < 7; i++) {
		if (r[i][1] == 0)
			continue;
		CHECK(r[i][0] % 0x1000 == 0 && r[i][0] >= 0x1000);
		CHECK(r[i][0] + r[i][1] <= req->mem.ram_size);
		CHECK(r[i][0] + r[i][1] <= 4 * GIB);
		CHECK(!overlap(r[i][0], r[i][1], 0xa0000, 0x60000));
		CHECK(!in_reserved(&req->mem, r[i][0], r[i][1]));
		for (int j = 0; j < i; j++)
			CHECK(!overlap(r[i][0], r[i][1], r[j][0], r[j][1]));
	}
	if (b64) {
		CHECK(p->entry == p->kernel_addr + 0x200);
		CHECK(p->identity_map_bytes % GIB == 0);
		CHECK(p->identity_map_bytes >= p->kernel_end);
		CHECK(p->identity_map_bytes >= p->initrd_addr + p->initrd_size);
		CHECK(p->page_tables_size ==
		      linux_identity_map_size(p->identity_map_bytes / GIB,
					      p->gib_pages));
	}
}

struct sink {
	const struct linux_boot_request *req;
	uint64_t sum;
	unsigned writes;
};

/* Every write lands in RAM outside the legacy window; its source is
 * read whole (ASan checks it). */
static bool sink_write(void *ctx, uint64_t gpa, const void *src, uint64_t len)
{
	struct sink *s = ctx;
	const uint8_t *b = src;

	CHECK(len > 0);
	CHECK(gpa + len <= s->req->mem.ram_size && gpa + len > gpa);
	CHECK(!overlap(gpa, len, 0xa0000, 0x60000));
	CHECK(!in_reserved(&s->req->mem, gpa, len));
	if (b != NULL) {
		for (uint64_t i = 0; i < len; i++)
			s->sum += b[i];
	}
	s->writes++;
	return true;
}

static void check_info(const uint8_t *data, size_t size,
		       const struct bzimage_info *k)
{
	CHECK(k->image_size == size);
	CHECK(k->version >= 0x020c);
	CHECK(k->header_end >= 0x268 && k->header_end <= 0x290);
	CHECK(k->kernel_offset >= 0x400 && k->kernel_offset <= size);
	CHECK(k->kernel_offset + k->kernel_size == size);
	CHECK(k->kernel_size > 0x200);
	CHECK(k->syssize_bytes <= k->kernel_size);
	CHECK(k->init_size >= k->syssize_bytes);
	CHECK(k->xloadflags & LINUX_XLF_KERNEL_64);
	CHECK(k->loadflags & LINUX_LOADED_HIGH);
	CHECK(!k->relocatable || (k->kernel_alignment >= 0x1000 &&
				  (k->kernel_alignment & (k->kernel_alignment - 1)) == 0));
	CHECK((uint64_t)k->payload_offset + k->payload_length <= k->kernel_size ||
	      k->payload_length == 0);
	CHECK(memchr(k->version_string, '\0', sizeof(k->version_string)) != NULL);
	CHECK(data[0x202] == 'H' && data[0x205] == 'S');
}

static void boot_bzimage(const uint8_t *data, size_t size,
			 const struct bzimage_info *k, const struct domain *d)
{
	struct linux_boot_plan p;
	struct linux_entry_state st;
	enum linux_boot_status s = linux_plan_bzimage(k, &d->req, &p);
	struct boot_params *bp;
	uint8_t *tables, *scratch;
	static char cmdline[4096];
	struct sink sink = {.req = &d->req};

	if (s != LINUX_BOOT_OK) {
		CHECK(p.message[0] != '\0');
		return;
	}
	check_plan(&p, &d->req);
	bp = malloc(sizeof(*bp));
	CHECK(bp != NULL);
	CHECK(linux_build_boot_params(bp, data, size, k, &p, &d->req) ==
	      LINUX_BOOT_OK);
	CHECK(memcmp((uint8_t *)bp + 0x1f1, data + 0x1f1, 0x210 - 0x1f1) == 0);
	CHECK(bp->hdr.type_of_loader == 0xff);
	CHECK(bp->hdr.loadflags & LINUX_LOADED_HIGH);
	CHECK(bp->hdr.cmd_line_ptr == p.cmdline_addr);
	CHECK(bp->hdr.ramdisk_image == p.initrd_addr);
	CHECK(bp->e820_entries > 0 && bp->e820_entries <= E820_MAX_ENTRIES_ZEROPAGE);
	for (unsigned i = 1; i < bp->e820_entries; i++)
		CHECK(bp->e820_table[i].addr >= bp->e820_table[i - 1].addr +
					       bp->e820_table[i - 1].size);
	free(bp);

	tables = malloc(p.page_tables_size);
	CHECK(tables != NULL);
	CHECK(linux_build_identity_map(tables, p.page_tables_size,
				       p.page_tables_addr,
				       p.identity_map_bytes / GIB,
				       p.gib_pages) == LINUX_BOOT_OK);
	CHECK(le(tables, 8) == ((p.page_tables_addr + 0x1000) | 3));
	free(tables);

	linux_entry_state(&p, &st);
	CHECK(st.rip == p.entry && st.rsi == p.boot_params_addr);
	CHECK(st.cr3 == p.page_tables_addr && st.cs.selector == 0x10);

	scratch = malloc(LINUX_SCRATCH_SIZE);
	CHECK(scratch != NULL);
	/* The initrd's bytes: the image itself, as long as it lasts. */
	if (d->req.initrd_size <= size)
		CHECK(linux_load_bzimage(data, size, k, &p, &d->req, cmdline,
					 data, scratch, sink_write, &sink) ==
		      LINUX_BOOT_OK);
	free(scratch);
}

static void boot_pvh(const struct domain *d, const uint8_t *p)
{
	struct elf_image k;
	struct linux_boot_plan plan;
	uint8_t *page;

	memset(&k, 0, sizeof(k));
	k.has_pvh_entry = true;
	k.segment_count = 1;
	k.paddr_low = (le(p, 2) & 0xfff) << 16;
	k.paddr_end = k.paddr_low + 1 + (le(p + 2, 3) << 8);
	k.pvh_entry = (uint32_t)k.paddr_low;
	if (linux_plan_pvh(&k, &d->req, &plan) != LINUX_BOOT_OK) {
		CHECK(plan.message[0] != '\0');
		return;
	}
	check_plan(&plan, &d->req);
	page = malloc(LINUX_PVH_PAGE_SIZE);
	CHECK(page != NULL);
	CHECK(linux_build_pvh_start_info(page, LINUX_PVH_PAGE_SIZE, &plan,
					 &d->req) == LINUX_BOOT_OK);
	CHECK(le(page, 4) == PVH_START_MAGIC);
	CHECK(le(page + 48, 4) <= LINUX_PVH_MEMMAP_MAX);
	free(page);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bzimage_info k;
	struct domain d;
	struct boot_e820_entry e820[E820_MAX_ENTRIES_ZEROPAGE];
	size_t n;
	enum linux_boot_status s = bzimage_parse(data, size, &k);

	domain_from(data, size, &d);
	if (s == LINUX_BOOT_OK) {
		check_info(data, size, &k);
		boot_bzimage(data, size, &k, &d);
	}
	CHECK(linux_boot_status_str(s) != NULL);

	/* The memory map alone: sorted, disjoint, RAM never in the legacy
	 * window. */
	if (linux_e820_build(&d.req.mem, e820, E820_MAX_ENTRIES_ZEROPAGE, &n) ==
	    LINUX_BOOT_OK) {
		for (size_t i = 0; i < n; i++) {
			CHECK(e820[i].size > 0);
			CHECK(e820[i].type != E820_TYPE_RAM ||
			      !overlap(e820[i].addr, e820[i].size, 0xa0000, 0x60000));
			if (i > 0)
				CHECK(e820[i].addr >= e820[i - 1].addr + e820[i - 1].size);
		}
	}
	if (size >= PARAMS)
		boot_pvh(&d, data + size - PARAMS + 3);
	return 0;
}
