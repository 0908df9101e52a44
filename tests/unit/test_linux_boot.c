/* lib/linux_boot.c: bzImage headers built here in memory (good ones, every
 * version and flag case, truncated at every length, broken fields); the
 * planner on small and large domains, initrd limits and reserved ranges
 * in the way; boot_params bytes at their documented offsets; the E820
 * map; the GDT and identity page tables, walked like the CPU would; the
 * PVH start info; loading both ways into a RAM buffer; and Debian's
 * kernel from cache/linux/ when it is there ($LINUX_BZIMAGE,
 * $LINUX_VMLINUX, $LINUX_INITRD override the paths). Images are handed
 * over in heap blocks of exactly their size, for ASan. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/linux_boot.h"

#define KIB 0x400ull
#define MIB 0x100000ull
#define GIB 0x40000000ull

/* -------------------------------------------------- the bzImage writer */

#define BZ_MAX 0x4000

struct bz {
	uint8_t b[BZ_MAX];
	size_t len;
};

static void put8(struct bz *z, size_t at, uint8_t v) { z->b[at] = v; }
static void put16(struct bz *z, size_t at, uint16_t v) { memcpy(z->b + at, &v, 2); }
static void put32(struct bz *z, size_t at, uint32_t v) { memcpy(z->b + at, &v, 4); }
static void put64(struct bz *z, size_t at, uint64_t v) { memcpy(z->b + at, &v, 8); }

static uint64_t get_le(const void *p, unsigned n)
{
	uint64_t v = 0;

	memcpy(&v, p, n);
	return v;
}

#define KVER "6.1.0-test-amd64 (vesta@unit) #1 SMP"
#define KERNEL_OFFSET 0xa00		/* (4 + 1) * 512 */
#define KERNEL_SIZE 0x1000
#define PAYLOAD_OFFSET 0x300
#define PAYLOAD_LENGTH 0x100

/* A protocol 2.15 bzImage like Debian's: setup_sects 4, a 4 KiB
 * protected-mode kernel (syssize exact) with an xz payload, relocatable
 * at 2 MiB alignment, preferring 16 MiB, init_size 64 MiB. */
static void bz_init(struct bz *z)
{
	memset(z, 0, sizeof(*z));
	put8(z, 0x1f1, 4);			/* setup_sects */
	put32(z, 0x1f4, KERNEL_SIZE / 16);	/* syssize */
	put16(z, 0x1fa, 0xffff);		/* vid_mode: normal */
	put16(z, 0x1fe, 0xaa55);
	put8(z, 0x200, 0xeb);
	put8(z, 0x201, 0x6a);			/* header ends at 0x26c */
	put32(z, 0x202, 0x53726448);		/* "HdrS" */
	put16(z, 0x206, 0x020f);
	put16(z, 0x20e, 0x400);			/* version string at 0x600 */
	put8(z, 0x211, 0x01);			/* LOADED_HIGH */
	put32(z, 0x214, 0x100000);		/* code32_start */
	put32(z, 0x22c, 0x7fffffff);		/* initrd_addr_max */
	put32(z, 0x230, 0x200000);		/* kernel_alignment */
	put8(z, 0x234, 1);			/* relocatable_kernel */
	put8(z, 0x235, 21);			/* min_alignment */
	put16(z, 0x236, 0x7f);			/* xloadflags, as Debian's */
	put32(z, 0x238, 2047);			/* cmdline_size */
	put32(z, 0x248, PAYLOAD_OFFSET);
	put32(z, 0x24c, PAYLOAD_LENGTH);
	put64(z, 0x258, 0x1000000);		/* pref_address */
	put32(z, 0x260, 0x4000000);		/* init_size: 64 MiB */
	put32(z, 0x264, 0x190);			/* handover_offset */
	put32(z, 0x268, 0x800);			/* kernel_info_offset */
	memcpy(z->b + 0x600, KVER, sizeof(KVER));
	for (size_t i = 0; i < KERNEL_SIZE; i++)
		z->b[KERNEL_OFFSET + i] = (uint8_t)(i * 7 + 3);
	memcpy(z->b + KERNEL_OFFSET + PAYLOAD_OFFSET, "\xfd" "7zXZ\0", 6);
	z->len = KERNEL_OFFSET + KERNEL_SIZE;
}

/* Parses an exactly sized heap copy of the first len bytes. */
static enum linux_boot_status parse_len(const struct bz *z, size_t len,
					struct bzimage_info *out)
{
	void *copy = malloc(len > 0 ? len : 1);
	enum linux_boot_status s;

	assert_non_null(copy);
	memcpy(copy, z->b, len);
	s = bzimage_parse(copy, len, out);
	free(copy);
	return s;
}

static enum linux_boot_status parse(const struct bz *z, struct bzimage_info *out)
{
	return parse_len(z, z->len, out);
}

static void expect_status(const struct bz *z, enum linux_boot_status want)
{
	struct bzimage_info out;
	enum linux_boot_status got = parse(z, &out);

	if (got != want) {
		print_error("got \"%s\", wanted \"%s\"\n",
			    linux_boot_status_str(got),
			    linux_boot_status_str(want));
		fail();
	}
}

static void good_info(struct bzimage_info *k)
{
	struct bz z;

	bz_init(&z);
	assert_int_equal(parse(&z, k), LINUX_BOOT_OK);
}

/* ------------------------------------------------------------- parsing */

static void test_parse_good(void **state)
{
	(void)state;
	struct bz z;
	struct bzimage_info k;

	bz_init(&z);
	assert_int_equal(parse(&z, &k), LINUX_BOOT_OK);
	assert_int_equal(k.image_size, z.len);
	assert_int_equal(k.version, 0x020f);
	assert_int_equal(k.header_end, 0x26c);
	assert_int_equal(k.setup_sects, 4);
	assert_int_equal(k.kernel_offset, KERNEL_OFFSET);
	assert_int_equal(k.kernel_size, KERNEL_SIZE);
	assert_int_equal(k.syssize_bytes, KERNEL_SIZE);
	assert_int_equal(k.loadflags, 0x01);
	assert_int_equal(k.xloadflags, 0x7f);
	assert_true(k.relocatable);
	assert_int_equal(k.kernel_alignment, 0x200000);
	assert_int_equal(k.min_alignment, 21);
	assert_int_equal(k.pref_address, 0x1000000);
	assert_int_equal(k.init_size, 0x4000000);
	assert_int_equal(k.initrd_addr_max, 0x7fffffff);
	assert_int_equal(k.cmdline_size, 2047);
	assert_int_equal(k.payload_offset, PAYLOAD_OFFSET);
	assert_int_equal(k.payload_length, PAYLOAD_LENGTH);
	assert_int_equal(k.payload_format, LINUX_PAYLOAD_XZ);
	assert_string_equal(linux_payload_name(k.payload_format), "xz");
	assert_int_equal(k.handover_offset, 0x190);
	assert_int_equal(k.kernel_info_offset, 0x800);
	assert_string_equal(k.version_string, KVER);
}

static void test_setup_sects(void **state)
{
	(void)state;
	struct bz z;
	struct bzimage_info k;

	/* 0 means 4: the same layout. */
	bz_init(&z);
	put8(&z, 0x1f1, 0);
	assert_int_equal(parse(&z, &k), LINUX_BOOT_OK);
	assert_int_equal(k.setup_sects, 0);
	assert_int_equal(k.kernel_offset, KERNEL_OFFSET);
	assert_int_equal(k.kernel_size, KERNEL_SIZE);

	/* 2 sectors of setup: the kernel starts at 0x600, so 0x400 more of
	 * it (syssize says the first 4 KiB are the kernel). The version
	 * string at 0x600 is now outside the setup code. */
	put8(&z, 0x1f1, 2);
	assert_int_equal(parse(&z, &k), LINUX_BOOT_OK);
	assert_int_equal(k.kernel_offset, 0x600);
	assert_int_equal(k.kernel_size, KERNEL_SIZE + 0x400);
	assert_string_equal(k.version_string, "");

	/* 30 sectors: the file ends inside the setup code. */
	put8(&z, 0x1f1, 30);
	expect_status(&z, LINUX_BOOT_ERR_TRUNCATED);

	/* 1 sector: the kernel starts at 0x400; a trailing signature
	 * past syssize is loaded too. */
	bz_init(&z);
	put8(&z, 0x1f1, 1);
	put16(&z, 0x20e, 0);
	assert_int_equal(parse(&z, &k), LINUX_BOOT_OK);
	assert_int_equal(k.kernel_offset, 0x400);
	assert_int_equal(k.kernel_size, z.len - 0x400);
	assert_int_equal(k.syssize_bytes, KERNEL_SIZE);
}

static void test_versions(void **state)
{
	(void)state;
	struct bz z;
	struct bzimage_info k;

	bz_init(&z);
	put16(&z, 0x206, 0x020b);		/* 2.11: no xloadflags */
	expect_status(&z, LINUX_BOOT_ERR_VERSION);
	put16(&z, 0x206, 0x0200);
	expect_status(&z, LINUX_BOOT_ERR_VERSION);

	/* 2.12 with its 0x268-byte header: kernel_info_offset is not read
	 * even though the bytes there are not zero. */
	put16(&z, 0x206, 0x020c);
	put8(&z, 0x201, 0x66);
	assert_int_equal(parse(&z, &k), LINUX_BOOT_OK);
	assert_int_equal(k.version, 0x020c);
	assert_int_equal(k.header_end, 0x268);
	assert_int_equal(k.kernel_info_offset, 0);
	/* 2.15 claiming a short header: the same. */
	put16(&z, 0x206, 0x020f);
	assert_int_equal(parse(&z, &k), LINUX_BOOT_OK);
	assert_int_equal(k.kernel_info_offset, 0);
	/* 2.12 with a 2.15-length header: still not read. */
	put16(&z, 0x206, 0x020d);
	put8(&z, 0x201, 0x6a);
	assert_int_equal(parse(&z, &k), LINUX_BOOT_OK);
	assert_int_equal(k.kernel_info_offset, 0);
	/* A future version with a longer header, up to 0x290. */
	put16(&z, 0x206, 0x0210);
	put8(&z, 0x201, 0x8e);
	assert_int_equal(parse(&z, &k), LINUX_BOOT_OK);
	assert_int_equal(k.header_end, 0x290);
	assert_int_equal(k.kernel_info_offset, 0x800);
}

static void test_header_length(void **state)
{
	(void)state;
	struct bz z;

	bz_init(&z);
	put8(&z, 0x201, 0x65);			/* ends at 0x267 */
	expect_status(&z, LINUX_BOOT_ERR_HEADER);
	put8(&z, 0x201, 0x8f);			/* 0x291: past the hole */
	expect_status(&z, LINUX_BOOT_ERR_HEADER);
	put8(&z, 0x201, 0xff);
	expect_status(&z, LINUX_BOOT_ERR_HEADER);
	put8(&z, 0x201, 0x00);
	expect_status(&z, LINUX_BOOT_ERR_HEADER);
	bz_init(&z);
	put8(&z, 0x200, 0xe9);			/* a near jump */
	expect_status(&z, LINUX_BOOT_ERR_HEADER);
}

static void test_magic_and_flags(void **state)
{
	(void)state;
	struct bz z;
	struct bzimage_info k;

	bz_init(&z);
	put32(&z, 0x202, 0x53726449);
	expect_status(&z, LINUX_BOOT_ERR_MAGIC);
	bz_init(&z);
	put16(&z, 0x1fe, 0x55aa);
	expect_status(&z, LINUX_BOOT_ERR_BOOT_FLAG);
	bz_init(&z);
	put8(&z, 0x211, 0x80);			/* LOADED_HIGH clear */
	expect_status(&z, LINUX_BOOT_ERR_NOT_BZIMAGE);
	bz_init(&z);
	put16(&z, 0x236, 0x7e);			/* XLF_KERNEL_64 clear */
	expect_status(&z, LINUX_BOOT_ERR_NOT_64BIT);
	put16(&z, 0x236, 0x01);			/* only it */
	assert_int_equal(parse(&z, &k), LINUX_BOOT_OK);
	assert_int_equal(k.xloadflags, 0x01);

	/* An ELF file (vmlinux) or zeros are not bzImages. */
	memset(z.b, 0, sizeof(z.b));
	memcpy(z.b, "\x7f" "ELF", 4);
	z.len = 0x1000;
	expect_status(&z, LINUX_BOOT_ERR_MAGIC);
	assert_int_equal(bzimage_parse(NULL, 100, &k), LINUX_BOOT_ERR_TRUNCATED);
}

/* Cut anywhere, the image is refused as truncated: syssize covers the
 * whole protected-mode kernel. */
static void test_truncated_everywhere(void **state)
{
	(void)state;
	struct bz z;
	struct bzimage_info k;

	bz_init(&z);
	for (size_t len = 0; len < z.len; len++) {
		enum linux_boot_status s = parse_len(&z, len, &k);

		if (s != LINUX_BOOT_ERR_TRUNCATED) {
			print_error("length %zu: %s\n", len,
				    linux_boot_status_str(s));
			fail();
		}
	}
	assert_int_equal(parse_len(&z, z.len, &k), LINUX_BOOT_OK);
}

static void test_entry_and_sizes(void **state)
{
	(void)state;
	struct bz z;

	/* A kernel of exactly 0x200 bytes has no byte at its entry. */
	bz_init(&z);
	put32(&z, 0x1f4, 0x200 / 16);
	put32(&z, 0x24c, 0);
	z.len = KERNEL_OFFSET + 0x200;
	expect_status(&z, LINUX_BOOT_ERR_NO_ENTRY);
	z.len++;
	expect_status(&z, LINUX_BOOT_OK);

	/* init_size below the kernel, or zero. */
	bz_init(&z);
	put32(&z, 0x260, KERNEL_SIZE - 16);
	expect_status(&z, LINUX_BOOT_ERR_INIT_SIZE);
	put32(&z, 0x260, 0);
	expect_status(&z, LINUX_BOOT_ERR_INIT_SIZE);
	put32(&z, 0x260, KERNEL_SIZE);
	expect_status(&z, LINUX_BOOT_OK);
}

static void test_alignment(void **state)
{
	(void)state;
	struct bz z;
	struct bzimage_info k;
	static const uint32_t bad[] = {0, 3, 0x800, 0x300000, 0x80000000};

	bz_init(&z);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put32(&z, 0x230, bad[i]);
		expect_status(&z, LINUX_BOOT_ERR_ALIGNMENT);
	}
	put32(&z, 0x230, 0x1000);
	expect_status(&z, LINUX_BOOT_OK);
	put32(&z, 0x230, 0x40000000);
	expect_status(&z, LINUX_BOOT_OK);
	/* Not relocatable: the alignment does not matter. */
	put8(&z, 0x234, 0);
	put32(&z, 0x230, 0);
	assert_int_equal(parse(&z, &k), LINUX_BOOT_OK);
	assert_false(k.relocatable);
}

static void test_pref_address(void **state)
{
	(void)state;
	struct bz z;

	bz_init(&z);
	put64(&z, 0x258, 0x1000800);		/* not page-aligned */
	expect_status(&z, LINUX_BOOT_ERR_PREF_ADDRESS);
	put64(&z, 0x258, 0xfe000000);		/* + 64 MiB > 4 GiB */
	expect_status(&z, LINUX_BOOT_ERR_PREF_ADDRESS);
	put64(&z, 0x258, 0xfc000000);		/* ends at 4 GiB exactly */
	expect_status(&z, LINUX_BOOT_OK);
	put64(&z, 0x258, 0x100000000ull);
	expect_status(&z, LINUX_BOOT_ERR_PREF_ADDRESS);
	put64(&z, 0x258, 0xfffffffffffff000ull);
	expect_status(&z, LINUX_BOOT_ERR_PREF_ADDRESS);
	put64(&z, 0x258, 0);			/* 0: 1 MiB is assumed */
	expect_status(&z, LINUX_BOOT_OK);
	put32(&z, 0x260, 0xffffffff);		/* 1 MiB + 4 GiB - 1 */
	expect_status(&z, LINUX_BOOT_ERR_PREF_ADDRESS);
}

static void test_payload(void **state)
{
	(void)state;
	static const struct {
		const char *magic;
		size_t len;
		enum linux_payload_format f;
		const char *name;
	} formats[] = {
		{"\x1f\x8b", 2, LINUX_PAYLOAD_GZIP, "gzip"},
		{"\x1f\x9e", 2, LINUX_PAYLOAD_GZIP, "gzip"},
		{"BZh", 3, LINUX_PAYLOAD_BZIP2, "bzip2"},
		{"\x5d\x00\x00", 3, LINUX_PAYLOAD_LZMA, "lzma"},
		{"\xfd" "7zXZ", 5, LINUX_PAYLOAD_XZ, "xz"},
		{"\x02\x21\x4c\x18", 4, LINUX_PAYLOAD_LZ4, "lz4"},
		{"\x28\xb5\x2f\xfd", 4, LINUX_PAYLOAD_ZSTD, "zstd"},
		{"\x89LZO", 4, LINUX_PAYLOAD_LZO, "lzo"},
		{"\x7f" "ELF", 4, LINUX_PAYLOAD_ELF, "elf"},
		{"\x00\x00\x00\x00", 4, LINUX_PAYLOAD_UNKNOWN, "unknown"},
	};
	struct bz z;
	struct bzimage_info k;

	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		bz_init(&z);
		memcpy(z.b + KERNEL_OFFSET + PAYLOAD_OFFSET, formats[i].magic,
		       formats[i].len);
		assert_int_equal(parse(&z, &k), LINUX_BOOT_OK);
		assert_int_equal(k.payload_format, formats[i].f);
		assert_string_equal(linux_payload_name(k.payload_format),
				    formats[i].name);
	}
	/* No payload; a one-byte payload has no recognizable magic. */
	bz_init(&z);
	put32(&z, 0x24c, 0);
	assert_int_equal(parse(&z, &k), LINUX_BOOT_OK);
	assert_int_equal(k.payload_format, LINUX_PAYLOAD_NONE);
	put32(&z, 0x24c, 1);
	assert_int_equal(parse(&z, &k), LINUX_BOOT_OK);
	assert_int_equal(k.payload_format, LINUX_PAYLOAD_UNKNOWN);
	/* The last byte of the kernel; one past it; wrapping offsets. */
	put32(&z, 0x248, KERNEL_SIZE - 1);
	expect_status(&z, LINUX_BOOT_OK);
	put32(&z, 0x248, KERNEL_SIZE);
	expect_status(&z, LINUX_BOOT_ERR_PAYLOAD);
	put32(&z, 0x248, 0x10);
	put32(&z, 0x24c, 0xfffffff8);
	expect_status(&z, LINUX_BOOT_ERR_PAYLOAD);
	put32(&z, 0x248, 0xffffffff);
	put32(&z, 0x24c, 2);
	expect_status(&z, LINUX_BOOT_ERR_PAYLOAD);
	assert_string_equal(linux_payload_name((enum linux_payload_format)99),
			    "unknown");
}

static void test_version_string(void **state)
{
	(void)state;
	struct bz z;
	struct bzimage_info k;

	/* Control characters become '?'. */
	bz_init(&z);
	memcpy(z.b + 0x600, "6.1\t\x80x", 7);
	assert_int_equal(parse(&z, &k), LINUX_BOOT_OK);
	assert_string_equal(k.version_string, "6.1??x");
	/* Unterminated: cut at the end of the setup code. */
	put16(&z, 0x20e, KERNEL_OFFSET - 0x200 - 3);
	memcpy(z.b + KERNEL_OFFSET - 3, "abc", 3);
	assert_int_equal(parse(&z, &k), LINUX_BOOT_OK);
	assert_string_equal(k.version_string, "abc");
	/* Pointing into the kernel, or past the file: none. */
	put16(&z, 0x20e, KERNEL_OFFSET - 0x200);
	assert_int_equal(parse(&z, &k), LINUX_BOOT_OK);
	assert_string_equal(k.version_string, "");
	put16(&z, 0x20e, 0xffff);
	assert_int_equal(parse(&z, &k), LINUX_BOOT_OK);
	assert_string_equal(k.version_string, "");
	/* Long: cut to the buffer. */
	bz_init(&z);
	memset(z.b + 0x600, 'v', 0x300);
	assert_int_equal(parse(&z, &k), LINUX_BOOT_OK);
	assert_int_equal(strlen(k.version_string), BZIMAGE_VERSION_STRING_MAX - 1);
}

/* ------------------------------------------------------------- planner */

static struct linux_boot_request request(uint64_t ram, uint64_t initrd,
					 size_t cmdline_len)
{
	return (struct linux_boot_request){
		.mem = {.ram_size = ram},
		.initrd_size = initrd,
		.cmdline_len = cmdline_len,
		.rsdp_addr = 0xe0000,
	};
}

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return alen != 0 && blen != 0 && a < b + blen && b < a + alen;
}

/* Everything placed is page-aligned RAM below 4 GiB, outside page 0, the
 * legacy window and the reserved ranges, and disjoint. */
static void check_plan(const struct linux_boot_plan *p,
		       const struct linux_boot_request *req)
{
	uint64_t r[7][2] = {
		{p->kernel_addr, p->kernel_end - p->kernel_addr},
		{p->initrd_addr, (p->initrd_size + 0xfff) & ~0xfffull},
		{p->boot_params_addr, 0x1000},
		{p->cmdline_addr, (p->cmdline_len + 1 + 0xfff) & ~0xfffull},
		{p->gdt_addr, p->mode == LINUX_BOOT_64BIT ? 0x1000 : 0},
		{p->stack_top - 0x1000, p->mode == LINUX_BOOT_64BIT ? 0x1000 : 0},
		{p->page_tables_addr, p->page_tables_size},
	};

	assert_string_equal(p->message, "");
	for (int i = 0; i < 7; i++) {
		if (r[i][1] == 0)
			continue;
		assert_int_equal(r[i][0] % 0x1000, 0);
		assert_true(r[i][0] >= 0x1000);
		assert_true(r[i][0] + r[i][1] <= req->mem.ram_size);
		assert_true(r[i][0] + r[i][1] <= 4 * GIB);
		assert_false(overlaps(r[i][0], r[i][1], 0xa0000, 0x60000));
		for (size_t j = 0; j < req->mem.reserved_count; j++)
			assert_false(overlaps(r[i][0], r[i][1],
					      req->mem.reserved[j].base & ~0xfffull,
					      req->mem.reserved[j].size +
					      (req->mem.reserved[j].base & 0xfff)));
		for (int j = 0; j < i; j++)
			assert_false(overlaps(r[i][0], r[i][1], r[j][0], r[j][1]));
	}
	if (p->mode == LINUX_BOOT_64BIT) {
		assert_int_equal(p->entry, p->kernel_addr + 0x200);
		assert_true(p->identity_map_bytes >= p->kernel_end);
		assert_true(p->identity_map_bytes >= p->initrd_addr + p->initrd_size);
		assert_int_equal(p->identity_map_bytes % GIB, 0);
	}
}

static void expect_message(const struct linux_boot_plan *p, const char *want)
{
	if (strstr(p->message, want) == NULL) {
		print_error("message \"%s\" lacks \"%s\"\n", p->message, want);
		fail();
	}
}

static void test_plan_default(void **state)
{
	(void)state;
	struct bzimage_info k;
	struct linux_boot_request req = request(512 * MIB, 10 * MIB + 5, 30);
	struct linux_boot_plan p;

	good_info(&k);
	assert_int_equal(linux_plan_bzimage(&k, &req, &p), LINUX_BOOT_OK);
	check_plan(&p, &req);
	assert_int_equal(p.mode, LINUX_BOOT_64BIT);
	assert_int_equal(p.kernel_addr, 16 * MIB);
	assert_int_equal(p.kernel_end, 80 * MIB);
	assert_int_equal(p.kernel_load_size, KERNEL_SIZE);
	assert_int_equal(p.entry, 16 * MIB + 0x200);
	/* As high as it goes: the end of RAM, page-aligned. */
	assert_int_equal(p.initrd_addr, 512 * MIB - 10 * MIB - 0x1000);
	assert_int_equal(p.initrd_size, 10 * MIB + 5);
	/* Boot data from 4 KiB up. */
	assert_int_equal(p.boot_params_addr, 0x1000);
	assert_int_equal(p.cmdline_addr, 0x2000);
	assert_int_equal(p.cmdline_len, 30);
	assert_int_equal(p.cmdline_max, 2047);
	assert_int_equal(p.gdt_addr, 0x3000);
	assert_int_equal(p.stack_top, 0x5000);
	assert_int_equal(p.page_tables_addr, 0x5000);
	assert_int_equal(p.identity_map_bytes, GIB);
	assert_int_equal(p.page_tables_size, 3 * 0x1000);

	/* No initrd; 1 GiB pages. */
	req = request(512 * MIB, 0, 0);
	req.gib_pages = true;
	assert_int_equal(linux_plan_bzimage(&k, &req, &p), LINUX_BOOT_OK);
	check_plan(&p, &req);
	assert_int_equal(p.initrd_addr, 0);
	assert_int_equal(p.initrd_size, 0);
	assert_true(p.gib_pages);
	assert_int_equal(p.page_tables_size, 2 * 0x1000);
}

static void test_plan_small_ram(void **state)
{
	(void)state;
	struct bzimage_info k;
	struct linux_boot_request req = request(64 * MIB, 0, 0);
	struct linux_boot_plan p;

	good_info(&k);
	assert_int_equal(linux_plan_bzimage(&k, &req, &p),
			 LINUX_BOOT_ERR_KERNEL_ROOM);
	assert_string_equal(p.message,
			    "the kernel needs 80 MiB of RAM (init_size 64 MiB from 16 MiB), the domain has 64 MiB");
	/* Exactly enough for the kernel. */
	req = request(80 * MIB, 0, 0);
	assert_int_equal(linux_plan_bzimage(&k, &req, &p), LINUX_BOOT_OK);
	check_plan(&p, &req);
	/* ... but not for an initrd larger than the 15 MiB between the
	 * legacy window and the kernel. */
	req = request(80 * MIB, 16 * MIB, 0);
	assert_int_equal(linux_plan_bzimage(&k, &req, &p),
			 LINUX_BOOT_ERR_INITRD_ROOM);
	assert_string_equal(p.message,
			    "the initrd (16 MiB) does not fit beside the kernel (16-80 MiB): the domain needs at least 96 MiB, it has 80 MiB");
	req = request(81 * MIB, 1 * MIB, 0);
	assert_int_equal(linux_plan_bzimage(&k, &req, &p), LINUX_BOOT_OK);
	check_plan(&p, &req);
	assert_int_equal(p.initrd_addr, 80 * MIB);
	/* An initrd squeezed between the boot data and the kernel? No:
	 * it stays above 1 MiB, and 1-16 MiB is free. */
	req = request(80 * MIB, 8 * MIB, 0);
	assert_int_equal(linux_plan_bzimage(&k, &req, &p), LINUX_BOOT_OK);
	check_plan(&p, &req);
	assert_int_equal(p.initrd_addr, 8 * MIB);
	req = request(80 * MIB, 15 * MIB + 1, 0);
	assert_int_equal(linux_plan_bzimage(&k, &req, &p),
			 LINUX_BOOT_ERR_INITRD_ROOM);
	/* Not a page. */
	req = request(0, 0, 0);
	assert_int_equal(linux_plan_bzimage(&k, &req, &p),
			 LINUX_BOOT_ERR_KERNEL_ROOM);
}

static void test_plan_init_size_too_big(void **state)
{
	(void)state;
	struct bz z;
	struct bzimage_info k;
	struct linux_boot_request req = request(3 * GIB, 0, 0);
	struct linux_boot_plan p;

	bz_init(&z);
	put32(&z, 0x260, 0xf0000000);		/* 3.75 GiB */
	put64(&z, 0x258, 0x1000000);
	assert_int_equal(parse(&z, &k), LINUX_BOOT_OK);
	assert_int_equal(linux_plan_bzimage(&k, &req, &p),
			 LINUX_BOOT_ERR_KERNEL_ROOM);
	assert_string_equal(p.message,
			    "the kernel needs 3856 MiB of RAM (init_size 3840 MiB from 16 MiB), the domain has 3072 MiB");
	/* More RAM does not help past 4 GiB: 1 MiB (pref_address 0)
	 * aligned up to 1 GiB, plus 4080 MiB. */
	req = request(8 * GIB, 0, 0);
	put32(&z, 0x260, 0xff000000);
	put64(&z, 0x258, 0);
	put32(&z, 0x230, 0x40000000);
	assert_int_equal(parse(&z, &k), LINUX_BOOT_OK);
	assert_int_equal(linux_plan_bzimage(&k, &req, &p),
			 LINUX_BOOT_ERR_KERNEL_ROOM);
	expect_message(&p, "above 4 GiB");
}

static void test_plan_large_ram(void **state)
{
	(void)state;
	struct bz z;
	struct bzimage_info k;
	struct linux_boot_request req = request(8 * GIB, 100 * MIB, 100);
	struct linux_boot_plan p;

	/* Above-4G capable: the initrd ends at 4 GiB, not at initrd_addr_max
	 * or the end of RAM; the map covers 4 GiB. */
	good_info(&k);
	assert_int_equal(linux_plan_bzimage(&k, &req, &p), LINUX_BOOT_OK);
	check_plan(&p, &req);
	assert_int_equal(p.initrd_addr, 4 * GIB - 100 * MIB);
	assert_int_equal(p.identity_map_bytes, 4 * GIB);
	assert_int_equal(p.page_tables_size, 6 * 0x1000);

	/* Without the flag: below initrd_addr_max + 1 = 2 GiB. */
	bz_init(&z);
	put16(&z, 0x236, 0x01);
	assert_int_equal(parse(&z, &k), LINUX_BOOT_OK);
	assert_int_equal(linux_plan_bzimage(&k, &req, &p), LINUX_BOOT_OK);
	check_plan(&p, &req);
	assert_int_equal(p.initrd_addr, 2 * GIB - 100 * MIB);
	assert_int_equal(p.identity_map_bytes, 2 * GIB);
	assert_int_equal(p.page_tables_size, 4 * 0x1000);

	/* An old-style limit, not page-aligned: the last byte at most
	 * 0x37ffefff, so the initrd starts page-aligned below. */
	put32(&z, 0x22c, 0x37ffefff);
	assert_int_equal(parse(&z, &k), LINUX_BOOT_OK);
	req.initrd_size = 0x1000;
	assert_int_equal(linux_plan_bzimage(&k, &req, &p), LINUX_BOOT_OK);
	check_plan(&p, &req);
	assert_int_equal(p.initrd_addr, 0x37ffe000);

	/* An initrd larger than the room below the limit. */
	put32(&z, 0x22c, 0x7fffffff);
	assert_int_equal(parse(&z, &k), LINUX_BOOT_OK);
	req.initrd_size = 2 * GIB;
	assert_int_equal(linux_plan_bzimage(&k, &req, &p),
			 LINUX_BOOT_ERR_INITRD_ROOM);
	assert_string_equal(p.message,
			    "the initrd (2048 MiB) does not fit below its limit of 2048 MiB beside the kernel (16-80 MiB)");
	req.initrd_size = 5 * GIB;
	assert_int_equal(linux_plan_bzimage(&k, &req, &p),
			 LINUX_BOOT_ERR_INITRD_ROOM);
	expect_message(&p, "more than 4 GiB");

	/* Exactly 4 GiB of RAM with the initrd at the very top. */
	good_info(&k);
	req = request(4 * GIB, 4096, 0);
	assert_int_equal(linux_plan_bzimage(&k, &req, &p), LINUX_BOOT_OK);
	check_plan(&p, &req);
	assert_int_equal(p.initrd_addr, 4 * GIB - 4096);
}

static void test_plan_reserved(void **state)
{
	(void)state;
	struct bz z;
	struct bzimage_info k;
	struct linux_mem_range res[4] = {
		{.base = 16 * MIB, .size = 1 * MIB, .type = E820_TYPE_RESERVED},
		{.base = 0x1800, .size = 0x1000, .type = E820_TYPE_ACPI},
		{.base = 500 * MIB + 1, .size = 12 * MIB - 1, .type = E820_TYPE_RESERVED},
		{.base = 0xe0000, .size = 0x20000, .type = E820_TYPE_RESERVED},
	};
	struct linux_boot_request req = request(512 * MIB, 8 * MIB, 300);
	struct linux_boot_plan p;

	/* pref_address is taken: the next 2 MiB boundary past the range.
	 * The initrd goes below the range at the top, boot data around the
	 * ACPI pages at 0x1000-0x2fff. */
	req.mem.reserved = res;
	req.mem.reserved_count = 4;
	good_info(&k);
	assert_int_equal(linux_plan_bzimage(&k, &req, &p), LINUX_BOOT_OK);
	check_plan(&p, &req);
	assert_int_equal(p.kernel_addr, 18 * MIB);
	assert_int_equal(p.kernel_end, 82 * MIB);
	assert_int_equal(p.initrd_addr, 500 * MIB - 8 * MIB);
	assert_int_equal(p.boot_params_addr, 0x3000);
	assert_int_equal(p.cmdline_addr, 0x4000);
	assert_int_equal(p.gdt_addr, 0x5000);

	/* Not relocatable: it has to run at pref_address. */
	bz_init(&z);
	put8(&z, 0x234, 0);
	assert_int_equal(parse(&z, &k), LINUX_BOOT_OK);
	assert_int_equal(linux_plan_bzimage(&k, &req, &p),
			 LINUX_BOOT_ERR_KERNEL_ROOM);
	assert_string_equal(p.message,
			    "the kernel is not relocatable and must run at 0x1000000-0x5000000, which overlaps reserved range 0x1000000-0x1100000");
	req.mem.reserved = res + 1;
	req.mem.reserved_count = 3;
	assert_int_equal(linux_plan_bzimage(&k, &req, &p), LINUX_BOOT_OK);
	check_plan(&p, &req);
	assert_int_equal(p.kernel_addr, 16 * MIB);
	/* ... and its pref_address inside the legacy window. */
	put64(&z, 0x258, 0x90000);
	assert_int_equal(parse(&z, &k), LINUX_BOOT_OK);
	assert_int_equal(linux_plan_bzimage(&k, &req, &p),
			 LINUX_BOOT_ERR_KERNEL_ROOM);
	expect_message(&p, "the legacy window 0xa0000-0x100000");

	/* Relocatable with every 2 MiB slot blocked up to the end of RAM. */
	good_info(&k);
	res[0] = (struct linux_mem_range){.base = 70 * MIB, .size = 300 * MIB,
					  .type = E820_TYPE_RESERVED};
	req = request(400 * MIB, 0, 0);
	req.mem.reserved = res;
	req.mem.reserved_count = 1;
	assert_int_equal(linux_plan_bzimage(&k, &req, &p),
			 LINUX_BOOT_ERR_KERNEL_ROOM);
	assert_string_equal(p.message,
			    "no room for the kernel's 64 MiB (init_size) at a 2048 KiB-aligned address from 16 MiB below 400 MiB: reserved ranges are in the way");
	req.mem.ram_size = 434 * MIB;
	assert_int_equal(linux_plan_bzimage(&k, &req, &p), LINUX_BOOT_OK);
	assert_int_equal(p.kernel_addr, 370 * MIB);
	check_plan(&p, &req);

	/* The initrd goes below a reserved page near the top of RAM when
	 * the room above is too small, but not into the kernel. */
	req = request(200 * MIB, 30 * MIB, 0);
	res[0] = (struct linux_mem_range){.base = 180 * MIB, .size = 1,
					  .type = E820_TYPE_RESERVED};
	req.mem.reserved = res;
	req.mem.reserved_count = 1;
	assert_int_equal(linux_plan_bzimage(&k, &req, &p), LINUX_BOOT_OK);
	check_plan(&p, &req);
	assert_int_equal(p.initrd_addr, 150 * MIB);
	req.initrd_size = 19 * MIB;
	assert_int_equal(linux_plan_bzimage(&k, &req, &p), LINUX_BOOT_OK);
	check_plan(&p, &req);
	assert_int_equal(p.initrd_addr, 181 * MIB);
	req.initrd_size = 100 * MIB;
	assert_int_equal(linux_plan_bzimage(&k, &req, &p), LINUX_BOOT_OK);
	check_plan(&p, &req);
	assert_int_equal(p.initrd_addr, 80 * MIB);
	req.initrd_size = 100 * MIB + 1;
	assert_int_equal(linux_plan_bzimage(&k, &req, &p),
			 LINUX_BOOT_ERR_INITRD_ROOM);
}

static void test_plan_low_memory(void **state)
{
	(void)state;
	struct bzimage_info k;
	struct linux_mem_range res[2] = {
		{.base = 0x1000, .size = 0x93000, .type = E820_TYPE_RESERVED},
		{.base = 0x9e000, .size = 0x2000, .type = E820_TYPE_ACPI},
	};
	struct linux_boot_request req = request(256 * MIB, 0, 0);
	struct linux_boot_plan p;

	/* Boot data fills low memory upwards from the reserved range, but
	 * keeps out of 0x9d000-0x9efff, where the decompressor puts its
	 * trampoline while it still runs on our page tables. */
	good_info(&k);
	req.mem.reserved = res;
	req.mem.reserved_count = 1;
	assert_int_equal(linux_plan_bzimage(&k, &req, &p), LINUX_BOOT_OK);
	check_plan(&p, &req);
	assert_int_equal(p.boot_params_addr, 0x94000);
	assert_int_equal(p.page_tables_addr, 0x98000);
	/* Room for the zero page, cmdline, GDT and stack below it, and
	 * one page above it: not for the page tables. */
	res[0].size = 0x96000;
	assert_int_equal(linux_plan_bzimage(&k, &req, &p),
			 LINUX_BOOT_ERR_LOW_ROOM);
	assert_string_equal(p.message,
			    "no room below 640 KiB for the page tables (12 KiB): reserved ranges are in the way");
	/* With RAM ending at 0x9e000 the trampoline moves to 0x9c000. */
	res[0].size = 0x99000;
	req.mem.reserved_count = 2;
	assert_int_equal(linux_plan_bzimage(&k, &req, &p),
			 LINUX_BOOT_ERR_LOW_ROOM);
	assert_string_equal(p.message,
			    "no room below 640 KiB for the GDT (4 KiB): reserved ranges are in the way");
	res[0].size = 0x9f000;
	req.mem.reserved_count = 1;
	assert_int_equal(linux_plan_bzimage(&k, &req, &p),
			 LINUX_BOOT_ERR_LOW_ROOM);
	expect_message(&p, "boot_params");
	/* PVH has no decompressor: its start info may go there. */
	struct elf_image pk = {.has_pvh_entry = true, .pvh_entry = 0x1000000,
			       .paddr_low = 0x1000000, .paddr_end = 0x2000000,
			       .segment_count = 1};

	res[0].size = 0x9b000;
	assert_int_equal(linux_plan_pvh(&pk, &req, &p), LINUX_BOOT_OK);
	check_plan(&p, &req);
	assert_int_equal(p.boot_params_addr, 0x9c000);
	assert_int_equal(p.cmdline_addr, 0x9d000);

	/* RAM that ends below 640 KiB limits the boot data too. */
	req = request(0x3000, 0, 0);
	assert_int_equal(linux_plan_bzimage(&k, &req, &p),
			 LINUX_BOOT_ERR_KERNEL_ROOM);
}

static void test_plan_cmdline(void **state)
{
	(void)state;
	struct bz z;
	struct bzimage_info k;
	struct linux_boot_request req = request(256 * MIB, 0, 2048);
	struct linux_boot_plan p;

	good_info(&k);
	assert_int_equal(linux_plan_bzimage(&k, &req, &p), LINUX_BOOT_ERR_CMDLINE);
	assert_string_equal(p.message,
			    "the command line is 2048 bytes, the kernel takes at most 2047");
	req.cmdline_len = 2047;
	assert_int_equal(linux_plan_bzimage(&k, &req, &p), LINUX_BOOT_OK);
	check_plan(&p, &req);
	assert_int_equal(p.gdt_addr - p.cmdline_addr, 0x1000);
	/* A kernel with a larger limit: the line takes two pages. */
	bz_init(&z);
	put32(&z, 0x238, 8191);
	assert_int_equal(parse(&z, &k), LINUX_BOOT_OK);
	req.cmdline_len = 4096;
	assert_int_equal(linux_plan_bzimage(&k, &req, &p), LINUX_BOOT_OK);
	check_plan(&p, &req);
	assert_int_equal(p.gdt_addr - p.cmdline_addr, 0x2000);
}

static void test_plan_bad_reserved(void **state)
{
	(void)state;
	struct bzimage_info k;
	struct linux_mem_range res[LINUX_MAX_RESERVED + 1];
	struct linux_boot_request req = request(256 * MIB, 0, 0);
	struct linux_boot_plan p;
	size_t count;
	struct boot_e820_entry e820[4];

	good_info(&k);
	req.mem.reserved = res;
	req.mem.reserved_count = 2;
	res[0] = (struct linux_mem_range){0x9f000, 0x1000, E820_TYPE_RESERVED};
	res[1] = (struct linux_mem_range){0x9f800, 0x1000, E820_TYPE_ACPI};
	assert_int_equal(linux_plan_bzimage(&k, &req, &p), LINUX_BOOT_ERR_RESERVED);
	expect_message(&p, "bad reserved");
	assert_int_equal(linux_e820_build(&req.mem, e820, 4, &count),
			 LINUX_BOOT_ERR_RESERVED);
	assert_int_equal(count, 0);
	res[1] = (struct linux_mem_range){0x9f000, 0x1000, E820_TYPE_ACPI};
	assert_int_equal(linux_plan_bzimage(&k, &req, &p), LINUX_BOOT_ERR_RESERVED);
	res[1] = (struct linux_mem_range){0x9e000, 0x1000, E820_TYPE_RAM};
	assert_int_equal(linux_plan_bzimage(&k, &req, &p), LINUX_BOOT_ERR_RESERVED);
	res[1] = (struct linux_mem_range){0x9e000, 0x1000, 0};
	assert_int_equal(linux_plan_bzimage(&k, &req, &p), LINUX_BOOT_ERR_RESERVED);
	res[1] = (struct linux_mem_range){0x9e000, 0, E820_TYPE_ACPI};
	assert_int_equal(linux_plan_bzimage(&k, &req, &p), LINUX_BOOT_ERR_RESERVED);
	res[1] = (struct linux_mem_range){0xfffffffffffff000ull, 0x2000, 2};
	assert_int_equal(linux_plan_bzimage(&k, &req, &p), LINUX_BOOT_ERR_RESERVED);
	res[1] = (struct linux_mem_range){0x9e000, 0x1000, E820_TYPE_ACPI};
	assert_int_equal(linux_plan_bzimage(&k, &req, &p), LINUX_BOOT_OK);
	/* Too many. */
	for (size_t i = 0; i <= LINUX_MAX_RESERVED; i++)
		res[i] = (struct linux_mem_range){0x200000000ull + i * 0x2000,
						  0x1000, E820_TYPE_RESERVED};
	req.mem.reserved_count = LINUX_MAX_RESERVED;
	assert_int_equal(linux_plan_bzimage(&k, &req, &p), LINUX_BOOT_OK);
	req.mem.reserved_count = LINUX_MAX_RESERVED + 1;
	assert_int_equal(linux_plan_bzimage(&k, &req, &p), LINUX_BOOT_ERR_RESERVED);
	/* A count without an array; absurd RAM. */
	req.mem.reserved = NULL;
	req.mem.reserved_count = 1;
	assert_int_equal(linux_plan_bzimage(&k, &req, &p), LINUX_BOOT_ERR_RESERVED);
	req = request(1ull << 53, 0, 0);
	assert_int_equal(linux_plan_bzimage(&k, &req, &p), LINUX_BOOT_ERR_ARGUMENT);
}

/* ----------------------------------------------------------------- E820 */

static void expect_e820(const struct boot_e820_entry *e, uint64_t addr,
			uint64_t size, uint32_t type)
{
	if (e->addr != addr || e->size != size || e->type != type) {
		print_error("entry %#llx+%#llx type %u, wanted %#llx+%#llx type %u\n",
			    (unsigned long long)e->addr,
			    (unsigned long long)e->size, e->type,
			    (unsigned long long)addr, (unsigned long long)size,
			    type);
		fail();
	}
}

static void test_e820(void **state)
{
	(void)state;
	struct boot_e820_entry e[E820_MAX_ENTRIES_ZEROPAGE];
	struct linux_guest_memory mem = {.ram_size = 512 * MIB};
	size_t n;
	/* Given out of order: an MMIO window past RAM, the BIOS area, ACPI
	 * tables at the top of low RAM and a hole in high RAM. */
	struct linux_mem_range res[] = {
		{0xfec00000, 0x1000, E820_TYPE_RESERVED},
		{0xf0000, 0x10000, E820_TYPE_RESERVED},
		{0x9fc00, 0x400, E820_TYPE_ACPI},
		{256 * MIB, 2 * MIB, E820_TYPE_NVS},
	};

	assert_int_equal(linux_e820_build(&mem, e, 128, &n), LINUX_BOOT_OK);
	assert_int_equal(n, 2);
	expect_e820(&e[0], 0, 0xa0000, E820_TYPE_RAM);
	expect_e820(&e[1], 0x100000, 511 * MIB, E820_TYPE_RAM);

	mem.reserved = res;
	mem.reserved_count = 4;
	assert_int_equal(linux_e820_build(&mem, e, 128, &n), LINUX_BOOT_OK);
	assert_int_equal(n, 7);
	expect_e820(&e[0], 0, 0x9fc00, E820_TYPE_RAM);
	expect_e820(&e[1], 0x9fc00, 0x400, E820_TYPE_ACPI);
	expect_e820(&e[2], 0xf0000, 0x10000, E820_TYPE_RESERVED);
	expect_e820(&e[3], 0x100000, 255 * MIB, E820_TYPE_RAM);
	expect_e820(&e[4], 256 * MIB, 2 * MIB, E820_TYPE_NVS);
	expect_e820(&e[5], 258 * MIB, 254 * MIB, E820_TYPE_RAM);
	expect_e820(&e[6], 0xfec00000, 0x1000, E820_TYPE_RESERVED);

	/* Full: the first entries are written, then an error. */
	assert_int_equal(linux_e820_build(&mem, e, 6, &n), LINUX_BOOT_ERR_E820_FULL);
	assert_int_equal(n, 0);
	assert_int_equal(linux_e820_build(&mem, e, 7, &n), LINUX_BOOT_OK);

	/* RAM below 640 KiB only; a range straddling the end of RAM; a
	 * range covering RAM's start. */
	mem.ram_size = 0x80000;
	res[0] = (struct linux_mem_range){0x7f000, 0x2000, E820_TYPE_RESERVED};
	res[1] = (struct linux_mem_range){0, 0x1000, E820_TYPE_RESERVED};
	mem.reserved_count = 2;
	assert_int_equal(linux_e820_build(&mem, e, 128, &n), LINUX_BOOT_OK);
	assert_int_equal(n, 3);
	expect_e820(&e[0], 0, 0x1000, E820_TYPE_RESERVED);
	expect_e820(&e[1], 0x1000, 0x7e000, E820_TYPE_RAM);
	expect_e820(&e[2], 0x7f000, 0x2000, E820_TYPE_RESERVED);

	/* No RAM at all. */
	mem.ram_size = 0;
	mem.reserved_count = 0;
	assert_int_equal(linux_e820_build(&mem, e, 128, &n), LINUX_BOOT_OK);
	assert_int_equal(n, 0);

	/* 32 reserved ranges in 4 GiB of RAM: 32 + 34 entries. */
	struct linux_mem_range many[LINUX_MAX_RESERVED];

	for (size_t i = 0; i < LINUX_MAX_RESERVED; i++)
		many[i] = (struct linux_mem_range){
			(LINUX_MAX_RESERVED - i) * 64 * MIB, 4096, E820_TYPE_RESERVED};
	mem = (struct linux_guest_memory){.ram_size = 4 * GIB,
		.reserved = many, .reserved_count = LINUX_MAX_RESERVED};
	assert_int_equal(linux_e820_build(&mem, e, 128, &n), LINUX_BOOT_OK);
	assert_int_equal(n, 2 * LINUX_MAX_RESERVED + 2);
	for (size_t i = 1; i < n; i++) {
		uint64_t end = e[i - 1].addr + e[i - 1].size;

		assert_int_equal(e[i].addr, end == 0xa0000 ? 0x100000 : end);
	}
}

/* ----------------------------------------------------------- boot_params */

static void *copy_of(const struct bz *z)
{
	void *p = malloc(z->len);

	assert_non_null(p);
	memcpy(p, z->b, z->len);
	return p;
}

static void test_boot_params(void **state)
{
	(void)state;
	struct bz z;
	struct bzimage_info k;
	struct linux_mem_range acpi = {0x9f000, 0x1000, E820_TYPE_ACPI};
	struct linux_boot_request req = request(512 * MIB, 0x123456, 77);
	struct linux_boot_plan p;
	struct boot_params *bp = malloc(sizeof(*bp));
	const uint8_t *raw = (const uint8_t *)bp;
	void *image;

	assert_non_null(bp);
	bz_init(&z);
	put8(&z, 0x211, 0x81 | 0x40 | 0x20 | 0x02);	/* heap, keep, quiet, kaslr */
	put8(&z, 0x1ef, 0xff);			/* the file's sentinel */
	put64(&z, 0x250, 0xdeadbeef);		/* setup_data */
	put32(&z, 0x23c, 2);			/* hardware_subarch Xen */
	memset(z.b + 0x26c, 0xcc, 0x290 - 0x26c);	/* past the header */
	image = copy_of(&z);
	assert_int_equal(bzimage_parse(image, z.len, &k), LINUX_BOOT_OK);
	req.mem.reserved = &acpi;
	req.mem.reserved_count = 1;
	assert_int_equal(linux_plan_bzimage(&k, &req, &p), LINUX_BOOT_OK);
	memset(bp, 0x5a, sizeof(*bp));
	assert_int_equal(linux_build_boot_params(bp, image, z.len, &k, &p, &req),
			 LINUX_BOOT_OK);

	/* The header: as in the file, but for the fields a loader writes. */
	assert_memory_equal(raw + 0x1f1, z.b + 0x1f1, 0x210 - 0x1f1);
	assert_int_equal(raw[0x1f1], 4);
	assert_memory_equal(raw + 0x202, "HdrS", 4);
	assert_int_equal(get_le(raw + 0x206, 2), 0x020f);
	assert_int_equal(raw[0x210], 0xff);			/* type_of_loader */
	assert_int_equal(raw[0x211], 0x21);			/* LOADED_HIGH | QUIET */
	assert_int_equal(get_le(raw + 0x214, 4), p.kernel_addr);	/* code32_start */
	assert_int_equal(get_le(raw + 0x218, 4), p.initrd_addr);
	assert_int_equal(get_le(raw + 0x21c, 4), 0x123456);
	assert_int_equal(get_le(raw + 0x224, 2), 0);		/* heap_end_ptr */
	assert_int_equal(get_le(raw + 0x228, 4), p.cmdline_addr);
	assert_memory_equal(raw + 0x22c, z.b + 0x22c, 0x23c - 0x22c);
	assert_int_equal(get_le(raw + 0x23c, 4), 0);		/* hardware_subarch */
	assert_int_equal(get_le(raw + 0x240, 8), 0);
	assert_memory_equal(raw + 0x248, z.b + 0x248, 8);
	assert_int_equal(get_le(raw + 0x250, 8), 0);		/* setup_data */
	assert_memory_equal(raw + 0x258, z.b + 0x258, 0x26c - 0x258);
	assert_int_equal(get_le(raw + 0x258, 8), 0x1000000);	/* pref_address */
	assert_int_equal(get_le(raw + 0x260, 4), 0x4000000);	/* init_size */
	/* Nothing else from the file: not its sentinel, nor bytes past the
	 * header's end. */
	for (size_t i = 0; i < 0x1f1; i++) {
		if (i == 0x70)
			i += 8;				/* acpi_rsdp_addr */
		if (i == 0x1e8)
			continue;			/* e820_entries */
		if (raw[i] != 0) {
			print_error("byte %#zx is %#x\n", i, raw[i]);
			fail();
		}
	}
	for (size_t i = 0x26c; i < 0x2d0; i++)
		assert_int_equal(raw[i], 0);
	assert_int_equal(get_le(raw + 0x70, 8), 0xe0000);	/* acpi_rsdp_addr */
	assert_int_equal(get_le(raw + 0xc0, 4), 0);		/* ext_ramdisk_image */
	assert_int_equal(get_le(raw + 0xc4, 4), 0);
	assert_int_equal(get_le(raw + 0xc8, 4), 0);		/* ext_cmd_line_ptr */
	/* The E820 map at 0x2d0, 20 bytes an entry. */
	assert_int_equal(raw[0x1e8], 3);
	assert_int_equal(get_le(raw + 0x2d0, 8), 0);
	assert_int_equal(get_le(raw + 0x2d8, 8), 0x9f000);
	assert_int_equal(get_le(raw + 0x2e0, 4), E820_TYPE_RAM);
	assert_int_equal(get_le(raw + 0x2e4, 8), 0x9f000);
	assert_int_equal(get_le(raw + 0x2ec, 8), 0x1000);
	assert_int_equal(get_le(raw + 0x2f4, 4), E820_TYPE_ACPI);
	assert_int_equal(get_le(raw + 0x2f8, 8), 0x100000);
	assert_int_equal(get_le(raw + 0x300, 8), 511 * MIB);
	assert_int_equal(get_le(raw + 0x308, 4), E820_TYPE_RAM);
	for (size_t i = 0x2d0 + 3 * 20; i < 4096; i++)
		assert_int_equal(raw[i], 0);

	/* Addresses above 4 GiB go to the ext_* high halves. */
	struct linux_boot_plan high = p;

	high.cmdline_addr = 0x123456000ull;
	high.initrd_addr = 0x200001000ull;
	high.initrd_size = 0x300000123ull;
	assert_int_equal(linux_build_boot_params(bp, image, z.len, &k, &high, &req),
			 LINUX_BOOT_OK);
	assert_int_equal(get_le(raw + 0x228, 4), 0x23456000);
	assert_int_equal(get_le(raw + 0xc8, 4), 0x1);
	assert_int_equal(get_le(raw + 0x218, 4), 0x00001000);
	assert_int_equal(get_le(raw + 0xc0, 4), 0x2);
	assert_int_equal(get_le(raw + 0x21c, 4), 0x00000123);
	assert_int_equal(get_le(raw + 0xc4, 4), 0x3);

	/* Refusals: another image size, a PVH plan, a header length that
	 * changed since parsing, bad reserved ranges. */
	assert_int_equal(linux_build_boot_params(bp, image, z.len - 1, &k, &p, &req),
			 LINUX_BOOT_ERR_ARGUMENT);
	high.mode = LINUX_BOOT_PVH;
	assert_int_equal(linux_build_boot_params(bp, image, z.len, &k, &high, &req),
			 LINUX_BOOT_ERR_ARGUMENT);
	((uint8_t *)image)[0x201] = 0x8e;
	assert_int_equal(linux_build_boot_params(bp, image, z.len, &k, &p, &req),
			 LINUX_BOOT_ERR_ARGUMENT);
	((uint8_t *)image)[0x201] = 0x6a;
	assert_int_equal(linux_build_boot_params(bp, NULL, z.len, &k, &p, &req),
			 LINUX_BOOT_ERR_ARGUMENT);
	acpi.type = E820_TYPE_RAM;
	assert_int_equal(linux_build_boot_params(bp, image, z.len, &k, &p, &req),
			 LINUX_BOOT_ERR_RESERVED);
	free(image);
	free(bp);
}

/* A 2.12 header is 0x268 bytes: what follows in the file is not copied. */
static void test_boot_params_short_header(void **state)
{
	(void)state;
	struct bz z;
	struct bzimage_info k;
	struct linux_boot_request req = request(128 * MIB, 0, 0);
	struct linux_boot_plan p;
	struct boot_params *bp = malloc(sizeof(*bp));
	const uint8_t *raw = (const uint8_t *)bp;
	void *image;

	assert_non_null(bp);
	bz_init(&z);
	put16(&z, 0x206, 0x020c);
	put8(&z, 0x201, 0x66);
	image = copy_of(&z);
	assert_int_equal(bzimage_parse(image, z.len, &k), LINUX_BOOT_OK);
	assert_int_equal(linux_plan_bzimage(&k, &req, &p), LINUX_BOOT_OK);
	assert_int_equal(linux_build_boot_params(bp, image, z.len, &k, &p, &req),
			 LINUX_BOOT_OK);
	assert_int_equal(get_le(raw + 0x264, 4), 0x190);
	assert_int_equal(get_le(raw + 0x268, 4), 0);	/* file has 0x800 */
	assert_int_equal(bp->hdr.kernel_info_offset, 0);
	assert_int_equal(bp->hdr.cmd_line_ptr, p.cmdline_addr);
	assert_int_equal(bp->e820_entries, 2);
	assert_int_equal(bp->e820_table[1].size, 127 * MIB);
	assert_int_equal(bp->acpi_rsdp_addr, 0xe0000);
	free(image);
	free(bp);
}

/* ------------------------------------------------- GDT and page tables */

static void test_gdt(void **state)
{
	(void)state;
	uint8_t g[LINUX_GDT_SIZE + 1];

	memset(g, 0xee, sizeof(g));
	assert_int_equal(linux_build_gdt(g, LINUX_GDT_SIZE), LINUX_BOOT_OK);
	assert_int_equal(get_le(g, 8), 0);
	assert_int_equal(get_le(g + 8, 8), 0);
	assert_int_equal(get_le(g + 0x10, 8), 0x00af9b000000ffffull);
	assert_int_equal(get_le(g + 0x18, 8), 0x00cf93000000ffffull);
	assert_int_equal(g[LINUX_GDT_SIZE], 0xee);
	assert_int_equal(linux_build_gdt(g, LINUX_GDT_SIZE - 1), LINUX_BOOT_ERR_BUFFER);
	assert_int_equal(linux_build_gdt(NULL, 100), LINUX_BOOT_ERR_BUFFER);
}

/* Translates va through 4-level tables held in `mem` (guest-physical
 * mem_gpa onward), as the CPU would; false if not present. */
static bool walk(const uint8_t *mem, uint64_t mem_gpa, size_t mem_size,
		 uint64_t cr3, uint64_t va, uint64_t *pa)
{
	uint64_t table = cr3 & ~0xfffull;

	for (int level = 3; level >= 0; level--) {
		uint64_t idx = (va >> (12 + 9 * level)) & 511, e;

		assert_true(table >= mem_gpa && table - mem_gpa + 4096 <= mem_size);
		e = get_le(mem + (table - mem_gpa) + idx * 8, 8);
		if (!(e & 1))
			return false;
		assert_true(e & 2);			/* writable */
		if (level > 0 && level < 3 && (e & 0x80)) {
			uint64_t size = 1ull << (12 + 9 * level);

			*pa = (e & 0x000ffffffffff000ull & ~(size - 1)) | (va & (size - 1));
			return true;
		}
		assert_int_equal(level == 3 ? e & 0x80 : 0, 0);
		table = e & 0x000ffffffffff000ull;
	}
	*pa = table | (va & 0xfff);
	return true;
}

static void check_identity(const uint8_t *buf, uint64_t gpa, size_t size,
			   uint64_t gib)
{
	static const uint64_t probes[] = {
		0, 0x1234, 0x1fffff, 0x200000, 0x1000200, 0x3fffffff,
		0x40000000, 0x7ffff123, 0xbfe00000, 0xfee00000, 0xffffffff,
		0x100000000ull, 0x17fffffffull, 0x1ffffffffull,
	};
	uint64_t pa;

	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		bool present = walk(buf, gpa, size, gpa, probes[i], &pa);

		assert_int_equal(present, probes[i] < gib * GIB);
		if (present)
			assert_int_equal(pa, probes[i]);
	}
}

static void test_identity_map(void **state)
{
	(void)state;
	const uint64_t gpa = 0x5000;
	size_t size = linux_identity_map_size(4, false);
	uint8_t *buf = malloc(size + 4096);

	assert_non_null(buf);
	assert_int_equal(size, 6 * 4096);
	memset(buf, 0xee, size + 4096);
	assert_int_equal(linux_build_identity_map(buf, size, gpa, 4, false),
			 LINUX_BOOT_OK);
	assert_int_equal(buf[size], 0xee);
	/* PML4: one entry, the PDPT right after it. */
	assert_int_equal(get_le(buf, 8), 0x6003);
	for (int i = 1; i < 512; i++)
		assert_int_equal(get_le(buf + i * 8, 8), 0);
	/* PDPT: one page directory per GiB. */
	for (int i = 0; i < 4; i++)
		assert_int_equal(get_le(buf + 4096 + i * 8, 8),
				 0x7003 + i * 0x1000ull);
	assert_int_equal(get_le(buf + 4096 + 4 * 8, 8), 0);
	/* 2 MiB pages. */
	assert_int_equal(get_le(buf + 2 * 4096, 8), 0x83);
	assert_int_equal(get_le(buf + 2 * 4096 + 8, 8), 0x200083);
	assert_int_equal(get_le(buf + 5 * 4096 + 511 * 8, 8), 0xffe00083ull);
	check_identity(buf, gpa, size, 4);

	/* One GiB; 1 GiB pages. */
	assert_int_equal(linux_build_identity_map(buf, size, gpa, 1, false),
			 LINUX_BOOT_OK);
	check_identity(buf, gpa, size, 1);
	assert_int_equal(linux_identity_map_size(8, true), 2 * 4096);
	assert_int_equal(linux_build_identity_map(buf, 2 * 4096, 0x100000, 8, true),
			 LINUX_BOOT_OK);
	assert_int_equal(get_le(buf, 8), 0x101003);
	assert_int_equal(get_le(buf + 4096, 8), 0x83);
	assert_int_equal(get_le(buf + 4096 + 7 * 8, 8), 0x1c0000083ull);
	assert_int_equal(get_le(buf + 4096 + 8 * 8, 8), 0);
	check_identity(buf, 0x100000, 2 * 4096, 8);

	/* Refusals. */
	assert_int_equal(linux_identity_map_size(0, false), 0);
	assert_int_equal(linux_identity_map_size(513, true), 0);
	assert_int_equal(linux_identity_map_size(512, false), 514 * 4096);
	assert_int_equal(linux_build_identity_map(buf, size, gpa, 0, false),
			 LINUX_BOOT_ERR_ARGUMENT);
	assert_int_equal(linux_build_identity_map(buf, size, gpa + 8, 1, false),
			 LINUX_BOOT_ERR_ARGUMENT);
	assert_int_equal(linux_build_identity_map(buf, 3 * 4096 - 1, gpa, 1, false),
			 LINUX_BOOT_ERR_BUFFER);
	assert_int_equal(linux_build_identity_map(NULL, size, gpa, 1, false),
			 LINUX_BOOT_ERR_BUFFER);
	free(buf);
}

/* ---------------------------------------------------------- entry state */

static void expect_segment(const struct linux_segment *s, uint16_t sel,
			   uint16_t attrib)
{
	assert_int_equal(s->selector, sel);
	assert_int_equal(s->attrib, attrib);
	assert_int_equal(s->limit, 0xffffffff);
	assert_int_equal(s->base, 0);
}

static void test_entry_state(void **state)
{
	(void)state;
	struct bzimage_info k;
	struct linux_boot_request req = request(512 * MIB, 0, 0);
	struct linux_boot_plan p;
	struct linux_entry_state st;

	good_info(&k);
	assert_int_equal(linux_plan_bzimage(&k, &req, &p), LINUX_BOOT_OK);
	linux_entry_state(&p, &st);
	assert_int_equal(st.mode, LINUX_BOOT_64BIT);
	assert_int_equal(st.rip, 0x1000200);
	assert_int_equal(st.rsi, p.boot_params_addr);
	assert_int_equal(st.rbx, 0);
	assert_int_equal(st.rsp, p.stack_top);
	assert_int_equal(st.rflags, 0x2);		/* IF clear */
	assert_int_equal(st.cr0, 0x80000031);		/* PG NE ET PE */
	assert_int_equal(st.cr3, p.page_tables_addr);
	assert_int_equal(st.cr4, 0x20);			/* PAE */
	assert_int_equal(st.efer, 0x500);		/* LMA LME */
	expect_segment(&st.cs, 0x10, 0x0a9b);
	expect_segment(&st.ds, 0x18, 0x0c93);
	expect_segment(&st.es, 0x18, 0x0c93);
	expect_segment(&st.ss, 0x18, 0x0c93);
	expect_segment(&st.fs, 0x18, 0x0c93);
	expect_segment(&st.gs, 0x18, 0x0c93);
	assert_int_equal(st.tr.attrib, 0x8b);
	assert_int_equal(st.tr.limit, 0x67);
	assert_int_equal(st.ldtr.attrib, 0x82);
	assert_int_equal(st.gdt_base, p.gdt_addr);
	assert_int_equal(st.gdt_limit, 31);
	assert_int_equal(st.idt_base, 0);
	assert_int_equal(st.idt_limit, 0);
}

/* ------------------------------------------------------------------ PVH */

static struct elf_image pvh_kernel(void)
{
	struct elf_image k = {
		.image_size = 1000,
		.has_pvh_entry = true,
		.pvh_entry = 0x1000850,
		.paddr_low = 0x1000000,
		.paddr_end = 0x4a00000 - 0x800,
		.segment_count = 1,
	};

	return k;
}

static void test_plan_pvh(void **state)
{
	(void)state;
	struct elf_image k = pvh_kernel();
	struct linux_mem_range res = {0xfec00000, 0x1000, E820_TYPE_RESERVED};
	struct linux_boot_request req = request(256 * MIB, 8 * MIB, 20);
	struct linux_boot_plan p;
	struct linux_entry_state st;
	uint8_t *page = malloc(LINUX_PVH_PAGE_SIZE);

	assert_non_null(page);
	req.mem.reserved = &res;
	req.mem.reserved_count = 1;
	assert_int_equal(linux_plan_pvh(&k, &req, &p), LINUX_BOOT_OK);
	check_plan(&p, &req);
	assert_int_equal(p.mode, LINUX_BOOT_PVH);
	assert_int_equal(p.kernel_addr, 16 * MIB);
	assert_int_equal(p.kernel_end, 74 * MIB);
	assert_int_equal(p.entry, 0x1000850);
	assert_int_equal(p.initrd_addr, 248 * MIB);
	assert_int_equal(p.boot_params_addr, 0x1000);
	assert_int_equal(p.cmdline_addr, 0x2000);
	assert_int_equal(p.cmdline_max, LINUX_PVH_CMDLINE_MAX);
	assert_int_equal(p.page_tables_size, 0);
	assert_int_equal(p.gdt_addr, 0);

	linux_entry_state(&p, &st);
	assert_int_equal(st.mode, LINUX_BOOT_PVH);
	assert_int_equal(st.rip, 0x1000850);
	assert_int_equal(st.rbx, 0x1000);
	assert_int_equal(st.rsi, 0);
	assert_int_equal(st.cr0, 0x11);
	assert_int_equal(st.cr3, 0);
	assert_int_equal(st.cr4, 0);
	assert_int_equal(st.efer, 0);
	assert_int_equal(st.rflags, 0x2);
	expect_segment(&st.cs, 0x10, 0x0c9b);
	expect_segment(&st.ss, 0x18, 0x0c93);
	assert_int_equal(st.tr.attrib, 0x8b);

	/* The start info page. */
	memset(page, 0xee, LINUX_PVH_PAGE_SIZE);
	assert_int_equal(linux_build_pvh_start_info(page, LINUX_PVH_PAGE_SIZE, &p, &req),
			 LINUX_BOOT_OK);
	assert_int_equal(get_le(page, 4), PVH_START_MAGIC);
	assert_int_equal(get_le(page + 4, 4), 1);		/* version */
	assert_int_equal(get_le(page + 8, 4), 0);		/* flags */
	assert_int_equal(get_le(page + 12, 4), 1);		/* nr_modules */
	assert_int_equal(get_le(page + 16, 8), 0x1040);		/* modlist */
	assert_int_equal(get_le(page + 24, 8), 0x2000);		/* cmdline */
	assert_int_equal(get_le(page + 32, 8), 0xe0000);	/* rsdp */
	assert_int_equal(get_le(page + 40, 8), 0x1080);		/* memmap */
	assert_int_equal(get_le(page + 48, 4), 3);
	assert_int_equal(get_le(page + 0x40, 8), 248 * MIB);	/* module 0 */
	assert_int_equal(get_le(page + 0x48, 8), 8 * MIB);
	assert_int_equal(get_le(page + 0x50, 8), 0);
	assert_int_equal(get_le(page + 0x80, 8), 0);		/* memmap[0] */
	assert_int_equal(get_le(page + 0x88, 8), 0xa0000);
	assert_int_equal(get_le(page + 0x90, 4), E820_TYPE_RAM);
	assert_int_equal(get_le(page + 0x98, 8), 0x100000);	/* memmap[1] */
	assert_int_equal(get_le(page + 0xa0, 8), 255 * MIB);
	assert_int_equal(get_le(page + 0xb0, 8), 0xfec00000);	/* memmap[2] */
	assert_int_equal(get_le(page + 0xb8, 8), 0x1000);
	assert_int_equal(get_le(page + 0xc0, 4), E820_TYPE_RESERVED);
	for (size_t i = 0xc8; i < LINUX_PVH_PAGE_SIZE; i++)
		assert_int_equal(page[i], 0);

	/* Without an initrd: no module. */
	req.initrd_size = 0;
	assert_int_equal(linux_plan_pvh(&k, &req, &p), LINUX_BOOT_OK);
	assert_int_equal(linux_build_pvh_start_info(page, LINUX_PVH_PAGE_SIZE, &p, &req),
			 LINUX_BOOT_OK);
	assert_int_equal(get_le(page + 12, 4), 0);
	assert_int_equal(get_le(page + 16, 8), 0);
	assert_int_equal(get_le(page + 0x40, 8), 0);
	assert_int_equal(linux_build_pvh_start_info(page, 4095, &p, &req),
			 LINUX_BOOT_ERR_BUFFER);
	p.mode = LINUX_BOOT_64BIT;
	assert_int_equal(linux_build_pvh_start_info(page, 4096, &p, &req),
			 LINUX_BOOT_ERR_ARGUMENT);

	/* Not enough RAM; a reserved range in the way; no note; too long a
	 * command line; segments above 4 GiB. */
	req = request(64 * MIB, 0, 0);
	assert_int_equal(linux_plan_pvh(&k, &req, &p), LINUX_BOOT_ERR_KERNEL_ROOM);
	assert_string_equal(p.message,
			    "the kernel needs 74 MiB of RAM (its segments end at 0x49ff800), the domain has 64 MiB");
	req = request(256 * MIB, 0, 0);
	res = (struct linux_mem_range){70 * MIB, 0x1000, E820_TYPE_RESERVED};
	req.mem.reserved = &res;
	req.mem.reserved_count = 1;
	assert_int_equal(linux_plan_pvh(&k, &req, &p), LINUX_BOOT_ERR_KERNEL_ROOM);
	assert_string_equal(p.message, "the kernel's segments 0x1000000-0x4a00000 overlap reserved range 0x4600000-0x4601000");
	req.mem.reserved_count = 0;
	req.cmdline_len = 2048;
	assert_int_equal(linux_plan_pvh(&k, &req, &p), LINUX_BOOT_ERR_CMDLINE);
	req.cmdline_len = 0;
	k.has_pvh_entry = false;
	assert_int_equal(linux_plan_pvh(&k, &req, &p), LINUX_BOOT_ERR_NO_PVH_ENTRY);
	expect_message(&p, "PHYS32_ENTRY");
	k = pvh_kernel();
	k.paddr_end = 5 * GIB;
	assert_int_equal(linux_plan_pvh(&k, &req, &p), LINUX_BOOT_ERR_KERNEL_ROOM);
	free(page);
}

/* -------------------------------------------------------------- loading */

struct ram {
	uint8_t *b;
	uint64_t size;
	int writes, refuse_at;
};

static bool ram_write(void *ctx, uint64_t gpa, const void *src, uint64_t len)
{
	struct ram *r = ctx;

	if (r->refuse_at >= 0 && r->writes++ == r->refuse_at)
		return false;
	if (gpa > r->size || len > r->size - gpa)
		return false;
	if (src != NULL)
		memcpy(r->b + gpa, src, len);
	else
		memset(r->b + gpa, 0, len);
	return true;
}

static void test_load_bzimage(void **state)
{
	(void)state;
	struct bz z;
	struct bzimage_info k;
	struct linux_boot_request req = request(96 * MIB, 5000, 0);
	struct linux_boot_plan p;
	struct ram ram = {.size = 96 * MIB, .refuse_at = -1};
	const char *cmdline = "console=ttyS0 root=/dev/ram0";
	uint8_t initrd[5000];
	uint8_t *scratch = malloc(LINUX_SCRATCH_SIZE);
	struct boot_params *bp = malloc(sizeof(*bp));
	uint8_t gdt[LINUX_GDT_SIZE];
	uint64_t pa;
	void *image;

	assert_non_null(scratch);
	assert_non_null(bp);
	ram.b = malloc(ram.size);
	assert_non_null(ram.b);
	memset(ram.b, 0x77, ram.size);
	for (size_t i = 0; i < sizeof(initrd); i++)
		initrd[i] = (uint8_t)(i ^ 0x5a);
	bz_init(&z);
	z.len += 100;				/* a trailing signature */
	image = copy_of(&z);
	assert_int_equal(bzimage_parse(image, z.len, &k), LINUX_BOOT_OK);
	req.cmdline_len = strlen(cmdline);
	assert_int_equal(linux_plan_bzimage(&k, &req, &p), LINUX_BOOT_OK);
	assert_int_equal(linux_load_bzimage(image, z.len, &k, &p, &req, cmdline,
					    initrd, scratch, ram_write, &ram),
			 LINUX_BOOT_OK);

	/* The kernel, signature included, then untouched RAM. */
	assert_memory_equal(ram.b + 16 * MIB, z.b + KERNEL_OFFSET, KERNEL_SIZE + 100);
	assert_int_equal(ram.b[16 * MIB + KERNEL_SIZE + 100], 0x77);
	assert_memory_equal(ram.b + p.initrd_addr, initrd, sizeof(initrd));
	assert_int_equal(p.initrd_addr, 96 * MIB - 0x2000);
	assert_string_equal((char *)ram.b + p.cmdline_addr, cmdline);
	assert_int_equal(linux_build_boot_params(bp, image, z.len, &k, &p, &req),
			 LINUX_BOOT_OK);
	assert_memory_equal(ram.b + p.boot_params_addr, bp, 4096);
	assert_int_equal(linux_build_gdt(gdt, sizeof(gdt)), LINUX_BOOT_OK);
	assert_memory_equal(ram.b + p.gdt_addr, gdt, sizeof(gdt));
	for (uint64_t a = p.stack_top - 4096; a < p.stack_top; a++)
		assert_int_equal(ram.b[a], 0);
	/* The tables map the kernel, boot_params, command line and initrd. */
	assert_true(walk(ram.b, 0, ram.size, p.page_tables_addr, p.entry, &pa));
	assert_int_equal(pa, p.entry);
	assert_true(walk(ram.b, 0, ram.size, p.page_tables_addr,
			 p.kernel_end - 1, &pa));
	assert_true(walk(ram.b, 0, ram.size, p.page_tables_addr,
			 p.boot_params_addr, &pa));
	assert_true(walk(ram.b, 0, ram.size, p.page_tables_addr,
			 p.initrd_addr + 4999, &pa));
	assert_int_equal(pa, p.initrd_addr + 4999);
	assert_false(walk(ram.b, 0, ram.size, p.page_tables_addr, GIB, &pa));

	/* Each write refused in turn is reported. */
	for (int n = 0;; n++) {
		enum linux_boot_status s;

		ram.writes = 0;
		ram.refuse_at = n;
		s = linux_load_bzimage(image, z.len, &k, &p, &req, cmdline,
				       initrd, scratch, ram_write, &ram);
		if (s == LINUX_BOOT_OK) {
			assert_true(n > 6);
			break;
		}
		assert_int_equal(s, LINUX_BOOT_ERR_WRITE);
	}
	ram.refuse_at = -1;

	/* Inconsistent arguments. */
	assert_int_equal(linux_load_bzimage(image, z.len, &k, &p, &req, cmdline,
					    initrd, NULL, ram_write, &ram),
			 LINUX_BOOT_ERR_BUFFER);
	assert_int_equal(linux_load_bzimage(image, z.len, &k, &p, &req, NULL,
					    initrd, scratch, ram_write, &ram),
			 LINUX_BOOT_ERR_ARGUMENT);
	assert_int_equal(linux_load_bzimage(image, z.len, &k, &p, &req, cmdline,
					    NULL, scratch, ram_write, &ram),
			 LINUX_BOOT_ERR_ARGUMENT);
	assert_int_equal(linux_load_bzimage(image, z.len - 1, &k, &p, &req, cmdline,
					    initrd, scratch, ram_write, &ram),
			 LINUX_BOOT_ERR_ARGUMENT);
	req.initrd_size++;
	assert_int_equal(linux_load_bzimage(image, z.len, &k, &p, &req, cmdline,
					    initrd, scratch, ram_write, &ram),
			 LINUX_BOOT_ERR_ARGUMENT);
	req.initrd_size--;
	p.page_tables_size += 4096;
	assert_int_equal(linux_load_bzimage(image, z.len, &k, &p, &req, cmdline,
					    initrd, scratch, ram_write, &ram),
			 LINUX_BOOT_ERR_ARGUMENT);
	free(image);
	free(ram.b);
	free(bp);
	free(scratch);
}

/* A minimal vmlinux-like ELF: one PT_LOAD at 16 MiB and the PVH note. */
static size_t make_elf(uint8_t *b, size_t cap)
{
	const size_t phoff = 64, data = 0x100, notes = 0xc0;
	const size_t filesz = 0x80, memsz = 0x3000;

	assert_true(cap >= data + filesz);
	memset(b, 0, cap);
	memcpy(b, "\x7f" "ELF\x02\x01\x01", 7);
	memcpy(b + 16, &(uint16_t){2}, 2);		/* ET_EXEC */
	memcpy(b + 18, &(uint16_t){62}, 2);		/* EM_X86_64 */
	memcpy(b + 20, &(uint32_t){1}, 4);
	memcpy(b + 24, &(uint64_t){0x1000000}, 8);
	memcpy(b + 32, &(uint64_t){phoff}, 8);
	memcpy(b + 54, &(uint16_t){56}, 2);
	memcpy(b + 56, &(uint16_t){2}, 2);
	/* PT_LOAD */
	uint8_t *ph = b + phoff;
	memcpy(ph, &(uint32_t){1}, 4);
	memcpy(ph + 4, &(uint32_t){5}, 4);
	memcpy(ph + 8, &(uint64_t){data}, 8);
	memcpy(ph + 16, &(uint64_t){0xffffffff81000000ull}, 8);
	memcpy(ph + 24, &(uint64_t){0x1000000}, 8);
	memcpy(ph + 32, &(uint64_t){filesz}, 8);
	memcpy(ph + 40, &(uint64_t){memsz}, 8);
	/* PT_NOTE: "Xen", type 18, 8-byte entry */
	ph += 56;
	memcpy(ph, &(uint32_t){4}, 4);
	memcpy(ph + 8, &(uint64_t){notes}, 8);
	memcpy(ph + 32, &(uint64_t){24}, 8);
	memcpy(ph + 40, &(uint64_t){24}, 8);
	memcpy(ph + 48, &(uint64_t){4}, 8);
	memcpy(b + notes, &(uint32_t){4}, 4);
	memcpy(b + notes + 4, &(uint32_t){8}, 4);
	memcpy(b + notes + 8, &(uint32_t){18}, 4);
	memcpy(b + notes + 12, "Xen", 4);
	memcpy(b + notes + 16, &(uint64_t){0x1000040}, 8);
	for (size_t i = 0; i < filesz; i++)
		b[data + i] = (uint8_t)(0x90 + i);
	return data + filesz;
}

static void test_load_pvh(void **state)
{
	(void)state;
	uint8_t elf[0x200];
	size_t len = make_elf(elf, sizeof(elf));
	struct elf_image k;
	struct linux_boot_request req = request(32 * MIB, 3, 5);
	struct linux_boot_plan p;
	struct ram ram = {.size = 32 * MIB, .refuse_at = -1};
	uint8_t *scratch = malloc(LINUX_SCRATCH_SIZE);
	uint8_t *page = malloc(LINUX_PVH_PAGE_SIZE);

	assert_non_null(scratch);
	assert_non_null(page);
	ram.b = malloc(ram.size);
	assert_non_null(ram.b);
	memset(ram.b, 0x77, ram.size);
	assert_int_equal(elf_parse(elf, len, &k), ELF_OK);
	assert_true(k.has_pvh_entry);
	assert_int_equal(linux_plan_pvh(&k, &req, &p), LINUX_BOOT_OK);
	check_plan(&p, &req);
	assert_int_equal(p.kernel_end, 16 * MIB + 0x3000);
	assert_int_equal(linux_load_pvh(elf, len, &k, &p, &req, "quiet", "abc",
					scratch, ram_write, &ram),
			 LINUX_BOOT_OK);
	assert_memory_equal(ram.b + 16 * MIB, elf + 0x100, 0x80);
	assert_int_equal(ram.b[16 * MIB + 0x80], 0);		/* bss */
	assert_int_equal(ram.b[16 * MIB + 0x2fff], 0);
	assert_memory_equal(ram.b + p.initrd_addr, "abc", 3);
	assert_int_equal(p.initrd_addr, 32 * MIB - 0x1000);
	assert_string_equal((char *)ram.b + p.cmdline_addr, "quiet");
	assert_int_equal(linux_build_pvh_start_info(page, LINUX_PVH_PAGE_SIZE, &p, &req),
			 LINUX_BOOT_OK);
	assert_memory_equal(ram.b + p.boot_params_addr, page, LINUX_PVH_PAGE_SIZE);

	ram.refuse_at = 1;
	ram.writes = 0;
	assert_int_equal(linux_load_pvh(elf, len, &k, &p, &req, "quiet", "abc",
					scratch, ram_write, &ram),
			 LINUX_BOOT_ERR_WRITE);
	ram.refuse_at = -1;
	assert_int_equal(linux_load_pvh(elf, len - 1, &k, &p, &req, "quiet", "abc",
					scratch, ram_write, &ram),
			 LINUX_BOOT_ERR_ARGUMENT);
	p.entry++;
	assert_int_equal(linux_load_pvh(elf, len, &k, &p, &req, "quiet", "abc",
					scratch, ram_write, &ram),
			 LINUX_BOOT_ERR_ARGUMENT);
	free(ram.b);
	free(page);
	free(scratch);
}

static void test_status_strings(void **state)
{
	(void)state;
	for (int s = LINUX_BOOT_OK; s <= LINUX_BOOT_ERR_WRITE; s++) {
		const char *str = linux_boot_status_str((enum linux_boot_status)s);

		assert_non_null(str);
		assert_string_not_equal(str, "unknown Linux boot status");
		for (int t = LINUX_BOOT_OK; t < s; t++)
			assert_string_not_equal(str,
				linux_boot_status_str((enum linux_boot_status)t));
	}
	assert_string_equal(linux_boot_status_str((enum linux_boot_status)1000),
			    "unknown Linux boot status");
}

/* ------------------------------------------------- Debian's real kernel */

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

static const char *path_or(const char *env, const char *fallback)
{
	const char *p = getenv(env);

	return p != NULL ? p : fallback;
}

static uint64_t initrd_size(void)
{
	size_t size = 0;
	void *data = read_file(path_or("LINUX_INITRD", "cache/linux/initramfs.cpio"),
			       &size);

	free(data);
	return data != NULL ? size : 32 * MIB;
}

static void test_debian_bzimage(void **state)
{
	(void)state;
	const char *path = path_or("LINUX_BZIMAGE", "cache/linux/vmlinuz");
	struct bzimage_info k;
	struct linux_boot_request req = request(512 * MIB, initrd_size(), 200);
	struct linux_boot_plan p;
	struct ram ram = {.size = 512 * MIB, .refuse_at = -1};
	uint8_t *scratch, *initrd;
	char cmdline[201];
	size_t size;
	void *data = read_file(path, &size);
	uint64_t pa;

	if (data == NULL) {
		print_message("%s not there: skipped\n", path);
		skip();
	}
	assert_int_equal(bzimage_parse(data, size, &k), LINUX_BOOT_OK);
	print_message("%s: protocol %u.%02u, \"%s\"\n", path, k.version >> 8,
		      k.version & 0xff, k.version_string);
	print_message("  setup_sects %u, kernel at file offset %#llx, %llu bytes (syssize %llu), payload %s %u bytes\n",
		      k.setup_sects, (unsigned long long)k.kernel_offset,
		      (unsigned long long)k.kernel_size,
		      (unsigned long long)k.syssize_bytes,
		      linux_payload_name(k.payload_format), k.payload_length);
	print_message("  loadflags %#x xloadflags %#x relocatable %d kernel_alignment %#x min_alignment %u\n",
		      k.loadflags, k.xloadflags, k.relocatable,
		      k.kernel_alignment, k.min_alignment);
	print_message("  pref_address %#llx init_size %#x (%u MiB) initrd_addr_max %#x cmdline_size %u\n",
		      (unsigned long long)k.pref_address, k.init_size,
		      (unsigned)((k.init_size + MIB - 1) / MIB),
		      k.initrd_addr_max, k.cmdline_size);
	assert_true(k.version >= 0x020c);
	assert_true(k.xloadflags & LINUX_XLF_KERNEL_64);
	assert_true(k.relocatable);
	assert_int_equal(k.payload_format != LINUX_PAYLOAD_UNKNOWN, true);

	assert_int_equal(linux_plan_bzimage(&k, &req, &p), LINUX_BOOT_OK);
	check_plan(&p, &req);
	print_message("  in 512 MiB: kernel %#llx-%#llx entry %#llx, initrd %#llx+%#llx, zero page %#llx, cmdline %#llx, page tables %#llx (%llu GiB)\n",
		      (unsigned long long)p.kernel_addr,
		      (unsigned long long)p.kernel_end,
		      (unsigned long long)p.entry,
		      (unsigned long long)p.initrd_addr,
		      (unsigned long long)p.initrd_size,
		      (unsigned long long)p.boot_params_addr,
		      (unsigned long long)p.cmdline_addr,
		      (unsigned long long)p.page_tables_addr,
		      (unsigned long long)(p.identity_map_bytes / GIB));

	/* Loaded whole into RAM. */
	scratch = malloc(LINUX_SCRATCH_SIZE);
	initrd = calloc(1, req.initrd_size);
	ram.b = calloc(1, ram.size);
	assert_non_null(scratch);
	assert_non_null(initrd);
	assert_non_null(ram.b);
	memset(cmdline, 'x', 200);
	cmdline[200] = '\0';
	assert_int_equal(linux_load_bzimage(data, size, &k, &p, &req, cmdline,
					    initrd, scratch, ram_write, &ram),
			 LINUX_BOOT_OK);
	assert_memory_equal(ram.b + p.kernel_addr,
			    (uint8_t *)data + k.kernel_offset, k.kernel_size);
	assert_memory_equal(ram.b + p.boot_params_addr + 0x202, "HdrS", 4);
	assert_true(walk(ram.b, 0, ram.size, p.page_tables_addr, p.entry, &pa));

	/* The smallest domain it fits in, without and with its initrd. */
	req = request(64 * MIB, 0, 0);
	assert_int_equal(linux_plan_bzimage(&k, &req, &p), LINUX_BOOT_ERR_KERNEL_ROOM);
	print_message("  in 64 MiB: %s\n", p.message);
	free(ram.b);
	free(initrd);
	free(scratch);
	free(data);
}

static void test_debian_vmlinux(void **state)
{
	(void)state;
	const char *path = path_or("LINUX_VMLINUX", "cache/linux/vmlinux");
	struct elf_image k;
	struct linux_boot_request req = request(512 * MIB, initrd_size(), 20);
	struct linux_boot_plan p;
	size_t size;
	void *data = read_file(path, &size);

	if (data == NULL) {
		print_message("%s not there: skipped\n", path);
		skip();
	}
	assert_int_equal(elf_parse(data, size, &k), ELF_OK);
	print_message("%s: %zu segments %#llx-%#llx, PVH entry %s %#x\n", path,
		      k.segment_count, (unsigned long long)k.paddr_low,
		      (unsigned long long)k.paddr_end,
		      k.has_pvh_entry ? "yes" : "no", k.pvh_entry);
	assert_true(k.has_pvh_entry);
	assert_int_equal(linux_plan_pvh(&k, &req, &p), LINUX_BOOT_OK);
	check_plan(&p, &req);
	print_message("  in 512 MiB: kernel %#llx-%#llx, initrd %#llx+%#llx, start info %#llx, cmdline %#llx\n",
		      (unsigned long long)p.kernel_addr,
		      (unsigned long long)p.kernel_end,
		      (unsigned long long)p.initrd_addr,
		      (unsigned long long)p.initrd_size,
		      (unsigned long long)p.boot_params_addr,
		      (unsigned long long)p.cmdline_addr);
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_setup_sects),
		cmocka_unit_test(test_versions),
		cmocka_unit_test(test_header_length),
		cmocka_unit_test(test_magic_and_flags),
		cmocka_unit_test(test_truncated_everywhere),
		cmocka_unit_test(test_entry_and_sizes),
		cmocka_unit_test(test_alignment),
		cmocka_unit_test(test_pref_address),
		cmocka_unit_test(test_payload),
		cmocka_unit_test(test_version_string),
		cmocka_unit_test(test_plan_default),
		cmocka_unit_test(test_plan_small_ram),
		cmocka_unit_test(test_plan_init_size_too_big),
		cmocka_unit_test(test_plan_large_ram),
		cmocka_unit_test(test_plan_reserved),
		cmocka_unit_test(test_plan_low_memory),
		cmocka_unit_test(test_plan_cmdline),
		cmocka_unit_test(test_plan_bad_reserved),
		cmocka_unit_test(test_e820),
		cmocka_unit_test(test_boot_params),
		cmocka_unit_test(test_boot_params_short_header),
		cmocka_unit_test(test_gdt),
		cmocka_unit_test(test_identity_map),
		cmocka_unit_test(test_entry_state),
		cmocka_unit_test(test_plan_pvh),
		cmocka_unit_test(test_load_bzimage),
		cmocka_unit_test(test_load_pvh),
		cmocka_unit_test(test_status_strings),
		cmocka_unit_test(test_debian_bzimage),
		cmocka_unit_test(test_debian_vmlinux),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
