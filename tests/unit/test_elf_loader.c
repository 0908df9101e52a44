/* lib/elf_loader.c on ELF images built here in memory: good ones with one
 * to three segments and PVH notes, then broken in every way the parser
 * must catch; loading into a RAM buffer and through a callback; and the
 * hypervisor's own build/vesta.elf when it has been built. Each image is
 * handed over in a heap block of exactly its size, for ASan. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/elf_loader.h"

/* ------------------------------------------------------ the ELF writer */

#define IMAGE_MAX 8192
#define EHDR_SIZE 64
#define PHDR_SIZE 56
/* Program headers go after the ELF header, data after room for these. */
#define PHDR_SLOTS 20
#define DATA_START (EHDR_SIZE + PHDR_SLOTS * PHDR_SIZE)

#define PT_LOAD 1
#define PT_NOTE 4
#define PT_GNU_STACK 0x6474e551
#define XEN_ELFNOTE_ENTRY 1
#define XEN_ELFNOTE_PHYS32_ENTRY 18

struct image {
	uint8_t b[IMAGE_MAX];
	size_t len;
	uint16_t phnum;
};

static void set_u16(struct image *im, size_t at, uint16_t v) { memcpy(im->b + at, &v, 2); }
static void set_u32(struct image *im, size_t at, uint32_t v) { memcpy(im->b + at, &v, 4); }
static void set_u64(struct image *im, size_t at, uint64_t v) { memcpy(im->b + at, &v, 8); }

/* An ELF header for x86-64 ET_EXEC with no program headers yet. */
static void image_init(struct image *im)
{
	memset(im, 0, sizeof(*im));
	memcpy(im->b, "\x7f" "ELF", 4);
	im->b[4] = 2;			/* ELFCLASS64 */
	im->b[5] = 1;			/* ELFDATA2LSB */
	im->b[6] = 1;			/* EV_CURRENT */
	set_u16(im, 16, 2);		/* ET_EXEC */
	set_u16(im, 18, 62);		/* EM_X86_64 */
	set_u32(im, 20, 1);		/* e_version */
	set_u64(im, 24, 0x100000);	/* e_entry */
	set_u64(im, 32, EHDR_SIZE);	/* e_phoff */
	set_u16(im, 52, EHDR_SIZE);	/* e_ehsize */
	set_u16(im, 54, PHDR_SIZE);	/* e_phentsize */
	im->len = DATA_START;
}

/* Appends bytes at an 8-aligned offset; returns that offset. */
static uint64_t add_data(struct image *im, const void *p, size_t n)
{
	size_t at = (im->len + 7) & ~(size_t)7;

	assert_true(at + n <= IMAGE_MAX);
	memcpy(im->b + at, p, n);
	im->len = at + n;
	return at;
}

struct phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

static size_t phdr_at(uint16_t i)
{
	return EHDR_SIZE + (size_t)i * PHDR_SIZE;
}

static uint16_t add_phdr(struct image *im, const struct phdr *ph)
{
	uint16_t i = im->phnum++;
	size_t at = phdr_at(i);

	assert_true(i < PHDR_SLOTS);
	set_u32(im, at, ph->type);
	set_u32(im, at + 4, ph->flags);
	set_u64(im, at + 8, ph->offset);
	set_u64(im, at + 16, ph->vaddr);
	set_u64(im, at + 24, ph->paddr);
	set_u64(im, at + 32, ph->filesz);
	set_u64(im, at + 40, ph->memsz);
	set_u64(im, at + 48, ph->align);
	set_u16(im, 56, im->phnum);
	return i;
}

/* A PT_LOAD of `filesz` patterned bytes (seed + i) at paddr, vaddr
 * 0xffffffff80000000 + paddr as in a kernel. */
static uint16_t add_load(struct image *im, uint64_t paddr, size_t filesz,
			 uint64_t memsz, uint32_t flags, uint8_t seed)
{
	uint8_t data[2048];

	assert_true(filesz <= sizeof(data));
	for (size_t i = 0; i < filesz; i++)
		data[i] = (uint8_t)(seed + i);
	struct phdr ph = {
		.type = PT_LOAD, .flags = flags,
		.offset = add_data(im, data, filesz),
		.vaddr = 0xffffffff80000000ull + paddr, .paddr = paddr,
		.filesz = filesz, .memsz = memsz, .align = 0x1000,
	};

	return add_phdr(im, &ph);
}

/* A note: header, name padded, descriptor padded, to `align`. */
struct notes {
	uint8_t b[512];
	size_t len;
};

static void put_note(struct notes *n, const char *name, uint32_t namesz,
		     uint32_t type, const void *desc, uint32_t descsz,
		     size_t align)
{
	uint32_t hdr[3] = {namesz, descsz, type};

	memcpy(n->b + n->len, hdr, sizeof(hdr));
	n->len += sizeof(hdr);
	memcpy(n->b + n->len, name, namesz);
	n->len = (n->len + namesz + align - 1) & ~(align - 1);
	memcpy(n->b + n->len, desc, descsz);
	n->len = (n->len + descsz + align - 1) & ~(align - 1);
	assert_true(n->len <= sizeof(n->b));
}

static void put_pvh_note(struct notes *n, uint64_t entry, uint32_t descsz,
			 size_t align)
{
	put_note(n, "Xen", 4, XEN_ELFNOTE_PHYS32_ENTRY, &entry, descsz, align);
}

static uint16_t add_notes(struct image *im, const struct notes *n,
			  uint64_t align)
{
	struct phdr ph = {
		.type = PT_NOTE, .flags = ELF_PF_R,
		.offset = add_data(im, n->b, n->len),
		.filesz = n->len, .memsz = n->len, .align = align,
	};

	return add_phdr(im, &ph);
}

/* Parses an exactly sized heap copy of the first len bytes. */
static enum elf_status parse_len(const struct image *im, size_t len,
				 struct elf_image *out)
{
	void *copy = malloc(len > 0 ? len : 1);
	enum elf_status s;

	assert_non_null(copy);
	memcpy(copy, im->b, len);
	s = elf_parse(copy, len, out);
	free(copy);
	return s;
}

static enum elf_status parse(const struct image *im, struct elf_image *out)
{
	return parse_len(im, im->len, out);
}

static void expect_status(const struct image *im, enum elf_status want)
{
	struct elf_image out;
	enum elf_status got = parse(im, &out);

	if (got != want) {
		print_error("got %s, wanted %s\n", elf_status_str(got),
			    elf_status_str(want));
		fail();
	}
}

/* Two loads (text, data with bss) and a PVH note: the usual kernel. */
static void kernel_image(struct image *im, uint32_t pvh_descsz)
{
	struct notes n = {.len = 0};

	image_init(im);
	add_load(im, 0x100000, 600, 600, ELF_PF_R | ELF_PF_X, 1);
	add_load(im, 0x102000, 300, 0x1000, ELF_PF_R | ELF_PF_W, 100);
	put_pvh_note(&n, 0x100040, pvh_descsz, 4);
	add_notes(im, &n, 4);
}

/* ------------------------------------------------------------ good ones */

static void test_one_segment(void **state)
{
	(void)state;
	struct image im;
	struct elf_image out;

	image_init(&im);
	add_load(&im, 0x1000, 256, 256 + 64, ELF_PF_R | ELF_PF_X, 7);
	assert_int_equal(parse(&im, &out), ELF_OK);
	assert_int_equal(out.segment_count, 1);
	assert_int_equal(out.entry, 0x100000);
	assert_false(out.has_pvh_entry);
	assert_int_equal(out.paddr_low, 0x1000);
	assert_int_equal(out.paddr_end, 0x1000 + 320);
	assert_int_equal(out.image_size, im.len);
	assert_int_equal(out.segments[0].paddr, 0x1000);
	assert_int_equal(out.segments[0].vaddr, 0xffffffff80001000ull);
	assert_int_equal(out.segments[0].filesz, 256);
	assert_int_equal(out.segments[0].memsz, 320);
	assert_int_equal(out.segments[0].flags, ELF_PF_R | ELF_PF_X);
	assert_memory_equal(im.b + out.segments[0].offset, "\x07\x08\x09", 3);
}

static void test_three_segments_loaded(void **state)
{
	(void)state;
	struct image im;
	struct elf_image out;
	const uint64_t ram_size = 0x10000;
	uint8_t *ram = malloc(ram_size);
	struct phdr stack = {.type = PT_GNU_STACK, .flags = ELF_PF_R | ELF_PF_W};

	image_init(&im);
	add_load(&im, 0x4000, 100, 100, ELF_PF_R | ELF_PF_X, 1);
	add_phdr(&im, &stack);			/* other types are skipped */
	add_load(&im, 0x2000, 50, 0x200, ELF_PF_R | ELF_PF_W, 200);
	add_load(&im, 0x8000, 0, 0x1000, ELF_PF_R | ELF_PF_W, 0);	/* bss */
	add_load(&im, 0x9000, 0, 0, ELF_PF_R, 0);	/* empty: not kept */
	assert_int_equal(parse(&im, &out), ELF_OK);
	assert_int_equal(out.segment_count, 3);
	assert_int_equal(out.paddr_low, 0x2000);
	assert_int_equal(out.paddr_end, 0x9000);
	/* File order is kept. */
	assert_int_equal(out.segments[0].paddr, 0x4000);
	assert_int_equal(out.segments[1].paddr, 0x2000);
	assert_int_equal(out.segments[2].paddr, 0x8000);

	assert_non_null(ram);
	memset(ram, 0xaa, ram_size);
	assert_int_equal(elf_load(&out, im.b, ram, ram_size), ELF_OK);
	for (uint64_t a = 0; a < ram_size; a++) {
		uint8_t want = 0xaa;

		if (a >= 0x4000 && a < 0x4000 + 100)
			want = (uint8_t)(1 + (a - 0x4000));
		else if (a >= 0x2000 && a < 0x2000 + 50)
			want = (uint8_t)(200 + (a - 0x2000));
		else if ((a >= 0x2000 + 50 && a < 0x2200) ||
			 (a >= 0x8000 && a < 0x9000))
			want = 0;
		if (ram[a] != want) {
			print_error("ram[0x%llx] = 0x%02x, wanted 0x%02x\n",
				    (unsigned long long)a, ram[a], want);
			fail();
		}
	}
	free(ram);
}

static void test_pvh_note_4_and_8_bytes(void **state)
{
	(void)state;
	struct image im;
	struct elf_image out;

	kernel_image(&im, 4);
	assert_int_equal(parse(&im, &out), ELF_OK);
	assert_true(out.has_pvh_entry);
	assert_int_equal(out.pvh_entry, 0x100040);
	assert_int_equal(out.segment_count, 2);

	kernel_image(&im, 8);
	assert_int_equal(parse(&im, &out), ELF_OK);
	assert_true(out.has_pvh_entry);
	assert_int_equal(out.pvh_entry, 0x100040);
}

/* The PVH note among others, as in vmlinux: odd name lengths padded, a
 * Xen note of another type, a GNU note, and a second note segment. */
static void test_pvh_note_among_others(void **state)
{
	(void)state;
	struct image im;
	struct elf_image out;
	struct notes first = {.len = 0}, second = {.len = 0};
	uint8_t build_id[20] = {1, 2, 3};
	uint64_t xen_entry = 0xffffffff81000000ull;

	image_init(&im);
	add_load(&im, 0x1000000, 64, 64, ELF_PF_R | ELF_PF_X, 3);
	put_note(&first, "GNU", 4, 3, build_id, sizeof(build_id), 4);
	put_note(&first, "Linux", 6, 6, "6.1", 4, 4);
	put_note(&first, "Xen", 4, XEN_ELFNOTE_ENTRY, &xen_entry, 8, 4);
	/* Named "Xen" but without its NUL: not Xen's note. */
	put_note(&first, "Xen", 3, XEN_ELFNOTE_PHYS32_ENTRY, &xen_entry, 8, 4);
	put_note(&first, "", 0, 0, "", 0, 4);
	add_notes(&im, &first, 4);
	put_note(&second, "GNU", 4, 5, build_id, 16, 8);
	put_pvh_note(&second, 0x1000010, 4, 8);
	add_notes(&im, &second, 8);
	assert_int_equal(parse(&im, &out), ELF_OK);
	assert_true(out.has_pvh_entry);
	assert_int_equal(out.pvh_entry, 0x1000010);

	/* Padding after the last note, too short for another: ignored. */
	image_init(&im);
	add_load(&im, 0x1000000, 64, 64, ELF_PF_R | ELF_PF_X, 3);
	first.len = 0;
	put_pvh_note(&first, 0x1000000, 4, 4);
	first.len += 8;
	add_notes(&im, &first, 4);
	assert_int_equal(parse(&im, &out), ELF_OK);
	assert_int_equal(out.pvh_entry, 0x1000000);
}

static void test_entry_point_checks(void **state)
{
	(void)state;
	struct image im;
	struct elf_image out;
	struct notes n = {.len = 0};

	/* The last byte of a segment's bss is loaded memory. */
	image_init(&im);
	add_load(&im, 0x100000, 16, 0x1000, ELF_PF_R | ELF_PF_X, 0);
	put_pvh_note(&n, 0x100fff, 4, 4);
	add_notes(&im, &n, 4);
	assert_int_equal(parse(&im, &out), ELF_OK);

	image_init(&im);
	add_load(&im, 0x100000, 16, 0x1000, ELF_PF_R | ELF_PF_X, 0);
	n.len = 0;
	put_pvh_note(&n, 0x101000, 4, 4);
	add_notes(&im, &n, 4);
	expect_status(&im, ELF_ERR_ENTRY);

	image_init(&im);
	add_load(&im, 0x100000, 16, 0x1000, ELF_PF_R | ELF_PF_X, 0);
	n.len = 0;
	put_pvh_note(&n, 0xfffff, 8, 4);
	add_notes(&im, &n, 4);
	expect_status(&im, ELF_ERR_ENTRY);
}

/* ------------------------------------------------------------ bad ones */

/* Every prefix of a good image fails, with the status of what it cuts. */
static void test_truncated_everywhere(void **state)
{
	(void)state;
	struct image im;
	struct elf_image out;

	kernel_image(&im, 8);
	assert_int_equal(parse(&im, &out), ELF_OK);
	for (size_t len = 0; len < im.len; len++) {
		enum elf_status s = parse_len(&im, len, &out);
		enum elf_status want = ELF_ERR_SEGMENT;

		if (len < EHDR_SIZE)
			want = ELF_ERR_TRUNCATED;
		else if (len < phdr_at(im.phnum))
			want = ELF_ERR_PHDR;
		if (s != want) {
			print_error("len %zu: got %s, wanted %s\n", len,
				    elf_status_str(s), elf_status_str(want));
			fail();
		}
	}
	assert_int_equal(elf_parse(NULL, 0, &out), ELF_ERR_TRUNCATED);
}

static void test_bad_identification(void **state)
{
	(void)state;
	struct image im;

	for (size_t i = 0; i < 4; i++) {
		kernel_image(&im, 4);
		im.b[i] ^= 0x20;
		expect_status(&im, ELF_ERR_MAGIC);
	}
	kernel_image(&im, 4);
	im.b[4] = 1;			/* ELFCLASS32 */
	expect_status(&im, ELF_ERR_CLASS);
	kernel_image(&im, 4);
	im.b[5] = 2;			/* ELFDATA2MSB */
	expect_status(&im, ELF_ERR_ENCODING);
	kernel_image(&im, 4);
	im.b[6] = 0;
	expect_status(&im, ELF_ERR_VERSION);
	kernel_image(&im, 4);
	set_u32(&im, 20, 2);
	expect_status(&im, ELF_ERR_VERSION);
	kernel_image(&im, 4);
	set_u16(&im, 16, 3);		/* ET_DYN */
	expect_status(&im, ELF_ERR_TYPE);
	kernel_image(&im, 4);
	set_u16(&im, 16, 1);		/* ET_REL */
	expect_status(&im, ELF_ERR_TYPE);
	kernel_image(&im, 4);
	set_u16(&im, 18, 3);		/* EM_386 */
	expect_status(&im, ELF_ERR_MACHINE);
	kernel_image(&im, 4);
	set_u16(&im, 18, 183);		/* EM_AARCH64 */
	expect_status(&im, ELF_ERR_MACHINE);
}

static void test_program_header_table(void **state)
{
	(void)state;
	struct image im;

	kernel_image(&im, 4);
	set_u16(&im, 54, 32);			/* the ELF32 size */
	expect_status(&im, ELF_ERR_PHDR);
	kernel_image(&im, 4);
	set_u16(&im, 54, 64);
	expect_status(&im, ELF_ERR_PHDR);
	kernel_image(&im, 4);
	set_u64(&im, 32, im.len);		/* e_phoff at the end */
	expect_status(&im, ELF_ERR_PHDR);
	kernel_image(&im, 4);
	set_u64(&im, 32, im.len - PHDR_SIZE * 3 + 1);	/* last one cut */
	expect_status(&im, ELF_ERR_PHDR);
	kernel_image(&im, 4);
	set_u64(&im, 32, UINT64_MAX - 16);	/* offset + size wraps */
	expect_status(&im, ELF_ERR_PHDR);
	kernel_image(&im, 4);
	set_u16(&im, 56, 0xffff);		/* PN_XNUM */
	expect_status(&im, ELF_ERR_PHDR);
	kernel_image(&im, 4);
	set_u16(&im, 56, 200);			/* past the end */
	expect_status(&im, ELF_ERR_PHDR);
	kernel_image(&im, 4);
	set_u16(&im, 56, 0);			/* no headers */
	expect_status(&im, ELF_ERR_NO_SEGMENTS);
	/* The table may sit anywhere in the file. */
	kernel_image(&im, 4);
	uint64_t moved = add_data(&im, im.b + EHDR_SIZE, 3 * PHDR_SIZE);

	memset(im.b + EHDR_SIZE, 0xee, 3 * PHDR_SIZE);
	set_u64(&im, 32, moved);
	expect_status(&im, ELF_OK);
}

static void test_segment_bounds(void **state)
{
	(void)state;
	struct image im;
	const size_t filesz = phdr_at(0) + 32, offset = phdr_at(0) + 8;

	/* filesz one byte past the end of the file. */
	kernel_image(&im, 4);
	set_u64(&im, offset, im.len - 600 + 1);
	expect_status(&im, ELF_ERR_SEGMENT);
	/* Exactly at the end is fine when the segment is the last bytes. */
	image_init(&im);
	add_load(&im, 0x1000, 16, 16, ELF_PF_R, 0);
	set_u64(&im, offset, im.len - 16);
	expect_status(&im, ELF_OK);
	set_u64(&im, offset, im.len - 15);
	expect_status(&im, ELF_ERR_SEGMENT);
	/* An offset that makes offset + filesz wrap. */
	kernel_image(&im, 4);
	set_u64(&im, offset, UINT64_MAX - 100);
	expect_status(&im, ELF_ERR_SEGMENT);
	kernel_image(&im, 4);
	set_u64(&im, filesz, UINT64_MAX);
	set_u64(&im, filesz + 8, UINT64_MAX);
	expect_status(&im, ELF_ERR_SEGMENT);
	/* A bss-only segment still needs a sane offset. */
	image_init(&im);
	add_load(&im, 0x1000, 0, 0x100, ELF_PF_R, 0);
	set_u64(&im, offset, im.len + 1);
	expect_status(&im, ELF_ERR_SEGMENT);
	/* A note segment past the end. */
	kernel_image(&im, 4);
	set_u64(&im, phdr_at(2) + 32, 4096);
	expect_status(&im, ELF_ERR_SEGMENT);
}

static void test_filesz_and_overflow(void **state)
{
	(void)state;
	struct image im;
	const size_t ph = phdr_at(1);

	kernel_image(&im, 4);
	set_u64(&im, ph + 40, 299);		/* memsz < filesz 300 */
	expect_status(&im, ELF_ERR_FILESZ);
	kernel_image(&im, 4);
	set_u64(&im, ph + 24, UINT64_MAX - 0xfff);	/* paddr + memsz wraps */
	expect_status(&im, ELF_ERR_OVERFLOW);
	kernel_image(&im, 4);
	set_u64(&im, ph + 24, UINT64_MAX - 0x1000);	/* ends at 2^64 - 1 */
	struct elf_image out;

	assert_int_equal(parse(&im, &out), ELF_OK);
	assert_int_equal(out.paddr_end, UINT64_MAX);
	kernel_image(&im, 4);
	set_u64(&im, ph + 16, UINT64_MAX - 0x10);	/* vaddr + memsz wraps */
	expect_status(&im, ELF_ERR_OVERFLOW);
	kernel_image(&im, 4);
	set_u64(&im, ph + 40, UINT64_MAX);	/* memsz huge */
	expect_status(&im, ELF_ERR_OVERFLOW);
}

static void test_segment_count_and_overlap(void **state)
{
	(void)state;
	struct image im;
	struct elf_image out;

	image_init(&im);
	for (int i = 0; i < ELF_MAX_SEGMENTS; i++)
		add_load(&im, 0x1000 * (uint64_t)(i + 1), 8, 0x1000, ELF_PF_R, 0);
	add_load(&im, 0x100000, 0, 0, ELF_PF_R, 0);	/* empty: not counted */
	assert_int_equal(parse(&im, &out), ELF_OK);
	assert_int_equal(out.segment_count, ELF_MAX_SEGMENTS);
	add_load(&im, 0x200000, 8, 8, ELF_PF_R, 0);
	expect_status(&im, ELF_ERR_TOO_MANY_SEGMENTS);

	/* Only notes, or only empty loads: nothing to load. */
	image_init(&im);
	struct notes n = {.len = 0};

	put_note(&n, "GNU", 4, 3, "abcd", 4, 4);
	add_notes(&im, &n, 4);
	expect_status(&im, ELF_ERR_NO_SEGMENTS);
	add_load(&im, 0x1000, 0, 0, ELF_PF_R, 0);
	expect_status(&im, ELF_ERR_NO_SEGMENTS);

	/* Touching is fine, one byte of overlap is not (in either order). */
	image_init(&im);
	add_load(&im, 0x2000, 16, 0x1000, ELF_PF_R, 0);
	add_load(&im, 0x3000, 16, 0x1000, ELF_PF_R, 0);
	add_load(&im, 0x1000, 16, 0x1000, ELF_PF_R, 0);
	assert_int_equal(parse(&im, &out), ELF_OK);
	add_load(&im, 0x3fff, 1, 1, ELF_PF_R, 0);
	expect_status(&im, ELF_ERR_OVERLAP);
	image_init(&im);
	add_load(&im, 0x2000, 16, 0x1000, ELF_PF_R, 0);
	add_load(&im, 0x1000, 16, 0x1001, ELF_PF_R, 0);
	expect_status(&im, ELF_ERR_OVERLAP);
	image_init(&im);
	add_load(&im, 0x2000, 16, 0x10, ELF_PF_R, 0);
	add_load(&im, 0x1000, 16, 0x4000, ELF_PF_R, 0);	/* contains it */
	expect_status(&im, ELF_ERR_OVERLAP);
}

/* An image whose note segment holds just `n`. */
static void note_image(struct image *im, const struct notes *n)
{
	image_init(im);
	add_load(im, 0x100000, 16, 0x1000, ELF_PF_R | ELF_PF_X, 0);
	add_notes(im, n, 4);
}

static void test_bad_notes(void **state)
{
	(void)state;
	struct image im;
	struct notes n;
	uint64_t entry = 0x100000;

	/* namesz past the segment. */
	n.len = 0;
	put_note(&n, "Xen", 4, XEN_ELFNOTE_PHYS32_ENTRY, &entry, 4, 4);
	memcpy(n.b, &(uint32_t){13}, 4);
	note_image(&im, &n);
	expect_status(&im, ELF_ERR_NOTE);
	memcpy(n.b, &(uint32_t){UINT32_MAX}, 4);
	note_image(&im, &n);
	expect_status(&im, ELF_ERR_NOTE);
	/* descsz past the segment. */
	n.len = 0;
	put_note(&n, "Xen", 4, XEN_ELFNOTE_PHYS32_ENTRY, &entry, 4, 4);
	memcpy(n.b + 4, &(uint32_t){5}, 4);
	note_image(&im, &n);
	expect_status(&im, ELF_ERR_NOTE);
	memcpy(n.b + 4, &(uint32_t){UINT32_MAX}, 4);
	note_image(&im, &n);
	expect_status(&im, ELF_ERR_NOTE);
	/* A PHYS32_ENTRY descriptor of 2 or 16 bytes. */
	n.len = 0;
	put_note(&n, "Xen", 4, XEN_ELFNOTE_PHYS32_ENTRY, &entry, 2, 4);
	note_image(&im, &n);
	expect_status(&im, ELF_ERR_NOTE);
	n.len = 0;
	put_note(&n, "Xen", 4, XEN_ELFNOTE_PHYS32_ENTRY, "0123456789abcdef",
		 16, 4);
	note_image(&im, &n);
	expect_status(&im, ELF_ERR_NOTE);
	/* An 8-byte entry above 4 GiB. */
	n.len = 0;
	put_pvh_note(&n, 0x100000000ull, 8, 4);
	note_image(&im, &n);
	expect_status(&im, ELF_ERR_NOTE);
	/* Damage in a note after the PVH one is still found. */
	n.len = 0;
	put_pvh_note(&n, entry, 4, 4);
	put_note(&n, "GNU", 4, 3, "abcd", 4, 4);
	memcpy(n.b + 20, &(uint32_t){64}, 4);	/* the second's namesz */
	note_image(&im, &n);
	expect_status(&im, ELF_ERR_NOTE);
}

/* ------------------------------------------------------------- loading */

static void test_load_does_not_fit(void **state)
{
	(void)state;
	struct image im;
	struct elf_image out;
	uint64_t ram_size = 0x102000 + 0x1000;	/* the bss ends exactly here */
	uint8_t *ram = malloc(ram_size);

	assert_non_null(ram);
	kernel_image(&im, 4);
	assert_int_equal(parse(&im, &out), ELF_OK);
	assert_int_equal(elf_load(&out, im.b, ram, ram_size), ELF_OK);
	assert_memory_equal(ram + 0x100000, im.b + out.segments[0].offset, 600);

	/* One byte short: refused before anything is written. */
	memset(ram, 0x55, ram_size);
	assert_int_equal(elf_load(&out, im.b, ram, ram_size - 1),
			 ELF_ERR_DOES_NOT_FIT);
	for (uint64_t a = 0; a < ram_size; a++)
		assert_int_equal(ram[a], 0x55);
	assert_int_equal(elf_load(&out, im.b, ram, 0), ELF_ERR_DOES_NOT_FIT);
	assert_int_equal(elf_load(&out, im.b, ram, 0x100000),
			 ELF_ERR_DOES_NOT_FIT);
	free(ram);

	/* A segment ending at 2^64 - 1 fits no smaller RAM, and the check
	 * comes before the first segment (which would fit) is written. */
	kernel_image(&im, 4);
	set_u64(&im, phdr_at(1) + 24, UINT64_MAX - 0x1000);
	assert_int_equal(parse(&im, &out), ELF_OK);
	assert_int_equal(elf_load(&out, im.b, NULL, UINT64_MAX - 1),
			 ELF_ERR_DOES_NOT_FIT);
}

struct write_log {
	struct {
		uint64_t paddr, len;
		bool zeros;
		uint8_t first;
	} calls[8];
	size_t count;
	size_t refuse_at;	/* the call that fails; -1 never */
};

static bool log_write(void *ctx, uint64_t paddr, const void *src, uint64_t len)
{
	struct write_log *log = ctx;
	size_t i = log->count++;

	assert_true(i < 8);
	log->calls[i].paddr = paddr;
	log->calls[i].len = len;
	log->calls[i].zeros = src == NULL;
	log->calls[i].first = src != NULL ? *(const uint8_t *)src : 0;
	return i != log->refuse_at;
}

static void test_load_through_callback(void **state)
{
	(void)state;
	struct image im;
	struct elf_image out;
	struct write_log log = {.count = 0, .refuse_at = (size_t)-1};

	kernel_image(&im, 4);
	assert_int_equal(parse(&im, &out), ELF_OK);
	assert_int_equal(elf_load_with(&out, im.b, log_write, &log), ELF_OK);
	assert_int_equal(log.count, 3);		/* text; data, then its bss */
	assert_int_equal(log.calls[0].paddr, 0x100000);
	assert_int_equal(log.calls[0].len, 600);
	assert_false(log.calls[0].zeros);
	assert_int_equal(log.calls[0].first, 1);
	assert_int_equal(log.calls[1].paddr, 0x102000);
	assert_int_equal(log.calls[1].len, 300);
	assert_int_equal(log.calls[1].first, 100);
	assert_int_equal(log.calls[2].paddr, 0x102000 + 300);
	assert_int_equal(log.calls[2].len, 0x1000 - 300);
	assert_true(log.calls[2].zeros);

	for (size_t refuse = 0; refuse < 3; refuse++) {
		log.count = 0;
		log.refuse_at = refuse;
		assert_int_equal(elf_load_with(&out, im.b, log_write, &log),
				 ELF_ERR_DOES_NOT_FIT);
		assert_int_equal(log.count, refuse + 1);
	}

	/* A description that does not match its image is caught. */
	out.image_size = 100;
	log.count = 0;
	log.refuse_at = (size_t)-1;
	assert_int_equal(elf_load_with(&out, im.b, log_write, &log),
			 ELF_ERR_SEGMENT);
	assert_int_equal(log.count, 0);
}

static void test_status_strings(void **state)
{
	(void)state;

	for (int s = ELF_OK; s <= ELF_ERR_DOES_NOT_FIT; s++) {
		const char *str = elf_status_str((enum elf_status)s);

		assert_non_null(str);
		assert_true(strlen(str) > 0);
		for (int t = ELF_OK; t < s; t++)
			assert_string_not_equal(str,
						elf_status_str((enum elf_status)t));
	}
	assert_string_equal(elf_status_str((enum elf_status)1000),
			    "unknown ELF status");
}

/* ------------------------------------------- the hypervisor's own image */

static void *read_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	void *data = NULL;
	long len;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) > 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (data = malloc((size_t)len)) != NULL &&
	    fread(data, 1, (size_t)len, f) != (size_t)len) {
		free(data);
		data = NULL;
	}
	fclose(f);
	*size = data != NULL ? (size_t)len : 0;
	return data;
}

/* The address of a symbol, from nm; false if nm or the symbol is missing. */
static bool symbol_address(const char *path, const char *symbol,
			   uint64_t *addr)
{
	char cmd[512], line[512], name[256], type[8];
	unsigned long long value;
	bool found = false;
	FILE *p;

	/* POSIX format: "name type value size" on each line. */
	snprintf(cmd, sizeof(cmd), "nm -P '%s' 2>/dev/null", path);
	p = popen(cmd, "r");
	if (p == NULL)
		return false;
	while (!found && fgets(line, sizeof(line), p) != NULL) {
		if (sscanf(line, "%255s %7s %llx", name, type, &value) == 3 &&
		    strcmp(name, symbol) == 0) {
			*addr = value;
			found = true;
		}
	}
	pclose(p);
	return found;
}

/* build/vesta.elf (or $VESTA_ELF) from `make hv`: its PVH note must name
 * pvh_entry. Skipped when the image has not been built. */
static void test_hypervisor_image(void **state)
{
	(void)state;
	const char *path = getenv("VESTA_ELF");
	struct elf_image out;
	uint64_t pvh_entry;
	size_t size;
	void *data;

	if (path == NULL)
		path = "build/vesta.elf";
	data = read_file(path, &size);
	if (data == NULL) {
		print_message("%s not built: skipped\n", path);
		skip();
	}
	assert_int_equal(elf_parse(data, size, &out), ELF_OK);
	assert_true(out.has_pvh_entry);
	if (!symbol_address(path, "pvh_entry", &pvh_entry)) {
		free(data);
		print_message("nm found no pvh_entry in %s: skipped\n", path);
		skip();
	}
	assert_int_equal(out.pvh_entry, pvh_entry);

	/* And it loads where it is linked. */
	uint8_t *ram = calloc(1, out.paddr_end);

	assert_non_null(ram);
	assert_int_equal(elf_load(&out, data, ram, out.paddr_end), ELF_OK);
	for (size_t i = 0; i < out.segment_count; i++) {
		const struct elf_segment *seg = &out.segments[i];

		assert_memory_equal(ram + seg->paddr,
				    (uint8_t *)data + seg->offset, seg->filesz);
	}
	free(ram);
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_segment),
		cmocka_unit_test(test_three_segments_loaded),
		cmocka_unit_test(test_pvh_note_4_and_8_bytes),
		cmocka_unit_test(test_pvh_note_among_others),
		cmocka_unit_test(test_entry_point_checks),
		cmocka_unit_test(test_truncated_everywhere),
		cmocka_unit_test(test_bad_identification),
		cmocka_unit_test(test_program_header_table),
		cmocka_unit_test(test_segment_bounds),
		cmocka_unit_test(test_filesz_and_overflow),
		cmocka_unit_test(test_segment_count_and_overlap),
		cmocka_unit_test(test_bad_notes),
		cmocka_unit_test(test_load_does_not_fit),
		cmocka_unit_test(test_load_through_callback),
		cmocka_unit_test(test_status_strings),
		cmocka_unit_test(test_hypervisor_image),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
