/* Writes the seed inputs of fuzz_x86_decode and fuzz_x86_pagewalk into
 * OUTDIR/{x86_decode,x86_pagewalk}/ at build time, so that no binary file
 * is committed (as tests/fuzz/gen_seeds.c does for the other targets).
 * Usage: gen_x86_seeds OUTDIR */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void make_dir(const char *path)
{
	if (mkdir(path, 0755) != 0 && errno != EEXIST) {
		perror(path);
		exit(1);
	}
}

static void write_seed(const char *dir, const char *name, const void *p,
		       size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* ------------------------------------------------------------ decoder */

/* The mode byte (0: 16-bit, 1: 32-bit, 2: 64-bit), then the bytes. */
static const struct {
	uint8_t len;
	uint8_t bytes[16];
} insns[] = {
	{ 3, { 2, 0x8b, 0x07 } },				/* mov (%rdi),%eax */
	{ 3, { 2, 0x89, 0x37 } },				/* mov %esi,(%rdi) */
	{ 3, { 2, 0x88, 0x23 } },				/* mov %ah,(%rbx) */
	{ 4, { 2, 0x45, 0x8a, 0x08 } },				/* mov (%r8),%r9b */
	{ 6, { 2, 0x4c, 0x89, 0x64, 0xcd, 0xf8 } },		/* mov %r12,-8(%rbp,%rcx,8) */
	{ 7, { 2, 0x8b, 0x0d, 0x78, 0x56, 0x34, 0x12 } },	/* rip-relative */
	{ 8, { 2, 0x66, 0x8b, 0x90, 0xb0, 0, 0, 0 } },		/* mov 0xb0(%rax),%dx */
	{ 11, { 2, 0xc7, 0x80, 0xb0, 0, 0, 0, 0, 0, 0, 0 } },	/* movl $0,0xb0(%rax) */
	{ 10, { 2, 0x48, 0xc7, 0x44, 0x24, 0x08, 0xff, 0xff, 0xff, 0xff } },
	{ 4, { 2, 0x0f, 0xb6, 0x07 } },				/* movzbl */
	{ 5, { 2, 0x4c, 0x0f, 0xbf, 0x07 } },			/* movswq */
	{ 4, { 2, 0x48, 0x63, 0x07 } },				/* movslq */
	{ 10, { 2, 0xa1, 0x20, 0x00, 0xe0, 0xfe, 0, 0, 0, 0 } },	/* movabs */
	{ 5, { 2, 0xf0, 0x83, 0x0f, 0x01 } },			/* lock orl $1 */
	{ 4, { 2, 0xf6, 0x07, 0x01 } },				/* testb $1 */
	{ 3, { 2, 0x87, 0x07 } },				/* xchg */
	{ 4, { 2, 0x48, 0x2b, 0x17 } },				/* sub (%rdi),%rdx */
	{ 5, { 2, 0x48, 0x66, 0x89, 0x07 } },			/* REX then 66 */
	{ 3, { 2, 0xf3, 0xa5 } },				/* rep movsl */
	{ 6, { 1, 0xa1, 0xb0, 0x00, 0xe0, 0xfe } },		/* 32-bit moffs */
	{ 11, { 1, 0xc7, 0x05, 0xb0, 0x00, 0xe0, 0xfe, 0, 0, 0, 0 } },
	{ 5, { 1, 0x67, 0x66, 0x8b, 0x00 } },			/* 16-bit addressing */
	{ 3, { 0, 0x8b, 0x07 } },				/* mov (%bx),%ax */
	{ 9, { 0, 0x67, 0x66, 0xc7, 0x03, 0x78, 0x56, 0x34, 0x12 } },
};

static void decode_seeds(const char *dir)
{
	char name[32];

	for (size_t i = 0; i < sizeof(insns) / sizeof(insns[0]); i++) {
		snprintf(name, sizeof(name), "insn%zu", i);
		write_seed(dir, name, insns[i].bytes, insns[i].len);
	}
}

/* ---------------------------------------------------------- page walker */

/* Header (see fuzz_x86_pagewalk.c): flags, maxphyaddr, cr3 (8), la (8),
 * mode, cs base (4), then 1 spare byte; RAM follows from address 0. */
#define HEADER 24
#define RAM (6 * 4096)

static uint8_t image[HEADER + RAM];

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void entry(uint64_t gpa, uint64_t v, unsigned n)
{
	put_le(image + HEADER + gpa, v, n);
}

static void header(uint8_t flags, uint64_t cr3, uint64_t la)
{
	memset(image, 0, sizeof(image));
	image[0] = flags;
	image[1] = 48;
	put_le(image + 2, cr3, 4);	/* data[6] stays 0: cr3 as given */
	put_le(image + 10, la, 8);
	image[18] = 2;
}

static void pagewalk_seeds(const char *dir)
{
	/* flags: 1 PG, 2 WP, 4 PAE, 8 PSE, 16 LA57, 32 SMEP, 64 LMA, 128 NXE */
	const uint64_t kva = 0xffffffff81000000ull;

	/* 4-level, 4 KiB page: PML4 0x1000, PDPT 0x2000, PD 0x3000, PT 0x4000 */
	header(1 | 2 | 4 | 64 | 128, 0x1000, kva + 0x10);
	entry(0x1000 + 8 * 511, 0x2000 | 3, 8);
	entry(0x2000 + 8 * 510, 0x3000 | 3, 8);
	entry(0x3000 + 8 * 8, 0x4000 | 3, 8);
	entry(0x4000, 0x5000 | 3, 8);
	write_seed(dir, "long4_4k", image, sizeof(image));

	/* 4-level, 2 MiB and 1 GiB pages */
	header(1 | 4 | 64 | 128, 0x1000, 0x40000000);
	entry(0x1000, 0x2000 | 7, 8);
	entry(0x2000 + 8, 0x3000 | 7, 8);
	entry(0x3000, 0x200000 | 0x87, 8);
	entry(0x2000 + 16, 0x80000000ull | 0x87, 8);
	write_seed(dir, "long4_large", image, sizeof(image));

	/* 5-level */
	header(1 | 4 | 16 | 64 | 128, 0x1000, 0x0080000000001000ull);
	entry(0x1000 + 8 * 0x80, 0x2000 | 3, 8);
	entry(0x2000, 0x3000 | 3, 8);
	entry(0x3000, 0x4000 | 3, 8);
	entry(0x4000, 0x5000 | 3, 8);
	entry(0x5000 + 8, 0x1000 | 3, 8);
	write_seed(dir, "long5", image, sizeof(image));

	/* PAE: PDPT at 0x1020, PD 0x2000 (2 MiB page at index 0), PT 0x3000 */
	header(1 | 4 | 128, 0x1020, 0xc0201000);
	entry(0x1020 + 8 * 3, 0x2000 | 1, 8);
	entry(0x2000, 0x400000 | 0x83, 8);
	entry(0x2000 + 8, 0x3000 | 3, 8);
	entry(0x3000 + 8, 0x5000 | 3 | (1ull << 63), 8);
	write_seed(dir, "pae", image, sizeof(image));

	/* 32-bit: PD 0x1000, PT 0x2000, a 4 MiB page at 0xc0000000 */
	header(1 | 8, 0x1000, 0xc0012345);
	entry(0x1000 + 4 * 1, 0x2000 | 7, 4);
	entry(0x2000 + 4 * 1, 0x5000 | 7, 4);
	entry(0x1000 + 4 * 0x300, 0x01c00000 | (0x12 << 13) | 0x83, 4);
	write_seed(dir, "legacy32", image, sizeof(image));

	/* paging off, 32-bit code with a CS base */
	header(0, 0, 0x3ff8);
	image[18] = 1;
	put_le(image + 19, 0x1000, 4);
	write_seed(dir, "off", image, sizeof(image));
}

int main(int argc, char **argv)
{
	char dir[4096];

	if (argc != 2) {
		fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
		return 2;
	}
	make_dir(argv[1]);
	snprintf(dir, sizeof(dir), "%s/x86_decode", argv[1]);
	make_dir(dir);
	decode_seeds(dir);
	snprintf(dir, sizeof(dir), "%s/x86_pagewalk", argv[1]);
	make_dir(dir);
	pagewalk_seeds(dir);
	return 0;
}
