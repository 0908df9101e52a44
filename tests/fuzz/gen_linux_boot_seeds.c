/* Writes the seed inputs of fuzz_linux_boot into OUTDIR/ at build time, so
 * that no binary file is committed (as tests/fuzz/gen_seeds.c does for
 * the other targets): small bzImages with protocol 2.12 to 2.15 headers
 * shaped like Debian's, each followed by the 16 bytes the target reads as
 * the domain (RAM, initrd, command line, reserved ranges).
 * Usage: gen_linux_boot_seeds OUTDIR */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SETUP_SECTS 4
#define KERNEL_SIZE 0x400
#define PARAMS 16

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

static void put16(uint8_t *b, size_t at, uint16_t v) { memcpy(b + at, &v, 2); }
static void put32(uint8_t *b, size_t at, uint32_t v) { memcpy(b + at, &v, 4); }
static void put64(uint8_t *b, size_t at, uint64_t v) { memcpy(b + at, &v, 8); }

struct seed {
	const char *name;
	uint16_t version;
	uint8_t header_len;		/* byte at 0x201 */
	uint8_t setup_sects;
	uint8_t relocatable;
	uint16_t xloadflags;
	uint32_t init_size;
	uint64_t pref_address;
	uint32_t initrd_addr_max;
	/* The domain: RAM MiB - 1, initrd bytes, command line length,
	 * reserved range count and bases (64 KiB units), flags. */
	uint16_t ram_mib;
	uint32_t initrd;
	uint16_t cmdline;
	uint8_t reserved;
	uint16_t bases[3];
	uint8_t flags;
};

static const struct seed seeds[] = {
	{"debian-like", 0x020f, 0x6a, SETUP_SECTS, 1, 0x7f, 0x3f98000,
	 0x1000000, 0x7fffffff, 511, 0x598c00, 40, 0, {0}, 0},
	{"small", 0x020f, 0x6a, SETUP_SECTS, 1, 0x03, 0x200000,
	 0x1000000, 0x7fffffff, 31, 0x100000, 2047, 1, {0x000f}, 0},
	{"proto-2.12", 0x020c, 0x66, 0, 1, 0x01, 0x800000,
	 0x1000000, 0x37ffffff, 127, 0x10000, 10, 2, {0x0100, 0x7000}, 0x20},
	{"fixed", 0x020d, 0x66, 2, 0, 0x01, 0x400000,
	 0x100000, 0x7fffffff, 63, 0x3000, 0, 1, {0x0010}, 0x80},
	{"4g", 0x020f, 0x6a, SETUP_SECTS, 1, 0x7f, 0x1000000,
	 0x1000000, 0x7fffffff, 6143, 0x4000000, 200, 3, {0xfec0, 0x0009, 0x2000}, 0x40},
};

static void make(const char *dir, const struct seed *s)
{
	unsigned sects = s->setup_sects ? s->setup_sects : 4;
	size_t kernel_offset = (sects + 1) * 512;
	size_t len = kernel_offset + KERNEL_SIZE + PARAMS;
	uint8_t *b = calloc(1, len);
	uint8_t *p = b + len - PARAMS;

	if (b == NULL)
		exit(1);
	b[0x1f1] = s->setup_sects;
	put32(b, 0x1f4, KERNEL_SIZE / 16);
	put16(b, 0x1fa, 0xffff);
	put16(b, 0x1fe, 0xaa55);
	b[0x200] = 0xeb;
	b[0x201] = s->header_len;
	memcpy(b + 0x202, "HdrS", 4);
	put16(b, 0x206, s->version);
	put16(b, 0x20e, 0x240);
	memcpy(b + 0x440, "6.1.0-seed", 11);
	b[0x211] = 0x01;
	put32(b, 0x214, 0x100000);
	put32(b, 0x22c, s->initrd_addr_max);
	put32(b, 0x230, 0x200000);
	b[0x234] = s->relocatable;
	b[0x235] = 21;
	put16(b, 0x236, s->xloadflags);
	put32(b, 0x238, 2047);
	put32(b, 0x248, 0x100);
	put32(b, 0x24c, 0x80);
	put64(b, 0x258, s->pref_address);
	put32(b, 0x260, s->init_size);
	put32(b, 0x264, 0x190);
	if (s->header_len >= 0x6a)
		put32(b, 0x268, 0x300);
	memcpy(b + kernel_offset + 0x100, "\xfd" "7zXZ", 5);
	put16(p, 0, s->ram_mib);
	put32(p, 2, s->initrd);
	put16(p, 6, s->cmdline);
	p[8] = s->reserved;
	for (int i = 0; i < 3; i++)
		put16(p, 9 + 2 * i, s->bases[i]);
	p[14] = 0x03;
	p[13] = 0x12;
	p[15] = s->flags;
	write_seed(dir, s->name, b, len);
	free(b);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
		return 2;
	}
	make_dir(argv[1]);
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++)
		make(argv[1], &seeds[i]);
	return 0;
}
