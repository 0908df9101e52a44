/* Writes the fuzzers' seed inputs into OUTDIR/{cpio,cmdline,acpi,xl_config}/, at build
 * time, so that no binary file is committed. Usage: gen_seeds OUTDIR */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct buf {
	uint8_t data[4096];
	size_t len;
};

static void put(struct buf *b, const void *p, size_t n)
{
	if (b->len + n > sizeof(b->data)) {
		fprintf(stderr, "gen_seeds: seed too large\n");
		exit(1);
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

static void put_u8(struct buf *b, uint8_t v) { put(b, &v, 1); }
static void put_u16(struct buf *b, uint16_t v) { put(b, &v, 2); }
static void put_u32(struct buf *b, uint32_t v) { put(b, &v, 4); }
static void put_u64(struct buf *b, uint64_t v) { put(b, &v, 8); }

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

/* ------------------------------------------------------------------ cpio */

static void cpio_pad(struct buf *b)
{
	static const uint8_t zeros[4];

	put(b, zeros, (4 - b->len % 4) % 4);
}

static void cpio_entry(struct buf *b, const char *name, unsigned mode,
		       const char *content)
{
	char hdr[111];
	size_t size = strlen(content);

	snprintf(hdr, sizeof(hdr),
		 "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 1u, mode, 0u, 0u, 1u, 0u, (unsigned)size, 0u, 0u, 0u, 0u,
		 (unsigned)strlen(name) + 1, 0u);
	put(b, hdr, 110);
	put(b, name, strlen(name) + 1);
	cpio_pad(b);
	put(b, content, size);
	cpio_pad(b);
}

static void cpio_seeds(const char *dir)
{
	struct buf b = {.len = 0};

	cpio_entry(&b, ".", 040755, "");
	cpio_entry(&b, "auto", 040755, "");
	cpio_entry(&b, "auto/a.cfg", 0100644, "name = \"a\"\nmemory = 64\n");
	cpio_entry(&b, "./kernels/k", 0100644, "ELF...");
	cpio_entry(&b, "TRAILER!!!", 0, "");
	write_seed(dir, "bundle", b.data, b.len);

	b.len = 0;
	cpio_entry(&b, "/auto/a.cfg", 0100644, "x");
	cpio_entry(&b, "auto/a.cfg", 0100644, "second");
	cpio_entry(&b, "TRAILER!!!", 0, "");
	write_seed(dir, "duplicate", b.data, b.len);

	b.len = 0;
	cpio_entry(&b, "TRAILER!!!", 0, "");
	write_seed(dir, "trailer-only", b.data, b.len);

	b.len = 0;
	cpio_entry(&b, "f", 0100644, "no trailer");
	write_seed(dir, "no-trailer", b.data, b.len);
}

/* --------------------------------------------------------------- cmdline */

static void cmdline_seeds(const char *dir)
{
	static const char *const lines[] = {
		"loglevel=info",
		"loglevel=debug mem=512M nosmp loglevel=warn",
		"console=\"ttyS0 115200\" a=0x10k a=\"open",
		"mem=0xffffffffffffffff cpus=4G x= =y \"q=1 2\"",
		"18446744073709551615",
		"0x1fG",
	};
	char name[16];

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		snprintf(name, sizeof(name), "line%zu", i);
		write_seed(dir, name, lines[i], strlen(lines[i]));
	}
}

/* ------------------------------------------------------------------ acpi */

/* The fuzzer's first byte: 1 = patch the length, 2 = fix the checksum. */
#define MODE_FIX_ALL 3

static void acpi_header(struct buf *b, const char *sig)
{
	put_u8(b, MODE_FIX_ALL);
	put(b, sig, 4);
	put_u32(b, 0);			/* length: patched by the fuzzer */
	put_u8(b, 1);			/* revision */
	put_u8(b, 0);			/* checksum: fixed by the fuzzer */
	put(b, "VESTA ", 6);
	put(b, "FUZZSEED", 8);
	put_u32(b, 1);
	put_u32(b, 0);
	put_u32(b, 0);
}

static void acpi_seeds(const char *dir)
{
	struct buf b = {.len = 0};

	acpi_header(&b, "APIC");
	put_u32(&b, 0xfee00000);
	put_u32(&b, 1);
	/* LAPIC x2 (one disabled), IOAPIC, ISO, LAPIC override, x2APIC. */
	put(&b, (uint8_t[]){0, 8, 0, 0, 1, 0, 0, 0}, 8);
	put(&b, (uint8_t[]){0, 8, 1, 1, 0, 0, 0, 0}, 8);
	put(&b, (uint8_t[]){1, 12, 8, 0}, 4);
	put_u32(&b, 0xfec00000);
	put_u32(&b, 0);
	put(&b, (uint8_t[]){2, 10, 0, 0}, 4);
	put_u32(&b, 2);
	put_u16(&b, 0);
	put(&b, (uint8_t[]){5, 12, 0, 0}, 4);
	put_u64(&b, 0xfee00000);
	put(&b, (uint8_t[]){9, 16, 0, 0}, 4);
	put_u32(&b, 0x100);
	put_u32(&b, 1);
	put_u32(&b, 7);
	put(&b, (uint8_t[]){4, 6, 0xff, 0, 0, 1}, 6);	/* NMI: skipped */
	write_seed(dir, "madt", b.data, b.len);

	b.len = 0;
	acpi_header(&b, "XSDT");
	put_u64(&b, 0x7fe0000);
	put_u64(&b, 0x7fe1000);
	write_seed(dir, "xsdt", b.data, b.len);

	b.len = 0;
	acpi_header(&b, "RSDT");
	put_u32(&b, 0x7fe0000);
	write_seed(dir, "rsdt", b.data, b.len);

	/* An RSDP revision 2 (checksums left to find). */
	b.len = 0;
	put_u8(&b, 0);
	put(&b, "RSD PTR ", 8);
	put_u8(&b, 0);
	put(&b, "VESTA ", 6);
	put_u8(&b, 2);
	put_u32(&b, 0x7fe0000);
	put_u32(&b, 36);
	put_u64(&b, 0x7fe1000);
	put_u8(&b, 0);
	put(&b, (uint8_t[]){0, 0, 0}, 3);
	write_seed(dir, "rsdp", b.data, b.len);
}

/* ------------------------------------------------------------- xl_config */

static void xl_config_seeds(const char *dir)
{
	static const char *const configs[] = {
		/* Every key the parser reads. */
		"# a full config\n"
		"name = \"web-1\"\n"
		"memory = 0x200\n"
		"vcpus = 4; maxvcpus = 8\n"
		"kernel = \"/kernels/vmlinuz\"\n"
		"ramdisk = '/kernels/initrd.img'\n"
		"cmdline = \"console=ttyS0 \\\"q\\\" \\x41\\101\\t\"\n"
		"cpu_weight = 512\n"
		"cap = 150\n"
		"cpus = \"all,^1,3-4\"\n"
		"on_poweroff = \"preserve\"\n"
		"on_reboot = 'destroy'\n"
		"on_crash = \"restart\"\n"
		"disk = [ 'file:/img/web.raw,xvda,w',\n"
		"         'phy:/dev/sdb,xvdb,r', ]\n"
		"vif = [ '' ]\n",
		/* Xen's example shape, with keys that only warn. */
		"type = \"hvm\"\r\nname = \"example.hvm\"\r\nmemory = 128\r\n"
		"kernel = \"/boot/vmlinux\"\r\nextra = \"quiet\"\r\n"
		"root = \"/dev/xvda1 ro\"\r\nvnc = 1\r\nserial = 'pty'\r\n"
		"cpus = [ \"0-1\", 5 ]\r\nfoo = [ 1, 'two' ]\r\n",
		/* Duplicates and a syntax error at the end. */
		"name='a';memory=1;kernel='k';memory=2;name='b'\ncpus=7\n"
		"disk = [\n'x'\n,'y'\n",
		/* Errors of several kinds. */
		"name = 'a b'\nmemory = 512M\n",
		"on_crash = \"rename-restart\"\ncmdline = \"\\q\"\n",
		"disk += [ 'a' ]\nvcpus = 010\n",
	};
	char name[16];

	for (size_t i = 0; i < sizeof(configs) / sizeof(configs[0]); i++) {
		snprintf(name, sizeof(name), "config%zu", i);
		write_seed(dir, name, configs[i], strlen(configs[i]));
	}
}

int main(int argc, char **argv)
{
	char dir[4096];

	if (argc != 2) {
		fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
		return 2;
	}
	make_dir(argv[1]);
	snprintf(dir, sizeof(dir), "%s/cpio", argv[1]);
	make_dir(dir);
	cpio_seeds(dir);
	snprintf(dir, sizeof(dir), "%s/cmdline", argv[1]);
	make_dir(dir);
	cmdline_seeds(dir);
	snprintf(dir, sizeof(dir), "%s/acpi", argv[1]);
	make_dir(dir);
	acpi_seeds(dir);
	snprintf(dir, sizeof(dir), "%s/xl_config", argv[1]);
	make_dir(dir);
	xl_config_seeds(dir);
	return 0;
}
