/* I/O ports and MSRs nobody backs: reads and writes across the whole port
 * space (in big steps, every width, the 0xffff edge) and at the legacy
 * platform's ports, and a few MSRs through the safe helpers. A port with no
 * device must read all ones and swallow writes; nothing here may crash the
 * domain. Ports where a PC (and later Vesta's virtual platform) may have a
 * device are exercised but not held to all ones; writes avoid values that
 * reset or power off a PC, so the guest also runs on plain QEMU.
 * cmdline `string`: also REP INS/OUTS (string I/O). */
#include "guest.h"

struct port_range {
	uint16_t first, last;
	const char *what;
};

/* Where a device may live: reads are only reported, and the sweep does not
 * write here. */
static const struct port_range maybe_backed[] = {
	{0x0000, 0x001f, "DMA 1"},
	{0x0020, 0x0021, "PIC 1"},
	{0x0040, 0x0043, "PIT"},
	{0x0060, 0x0064, "keyboard controller, port B"},
	{0x0070, 0x0071, "CMOS RTC"},
	{0x0080, 0x008f, "DMA pages, POST"},
	{0x0092, 0x0092, "A20 / fast reset"},
	{0x00a0, 0x00a1, "PIC 2"},
	{0x00b2, 0x00b3, "APM / SMI"},
	{0x00c0, 0x00df, "DMA 2"},
	{0x00f0, 0x00ff, "FPU, debug exit"},
	{0x0170, 0x0177, "IDE 2"},
	{0x01f0, 0x01f7, "IDE 1"},
	{0x0278, 0x027f, "LPT 2"},
	{0x02e8, 0x02ff, "COM 4, COM 2"},
	{0x0376, 0x0376, "IDE 2 control"},
	{0x0378, 0x037f, "LPT 1"},
	{0x03b0, 0x03df, "VGA"},
	{0x03e8, 0x03ef, "COM 3"},
	{0x03f0, 0x03f7, "floppy, IDE 1 control"},
	{0x03f8, 0x03ff, "COM 1"},
	{0x0400, 0x047f, "ACPI, debug console"},
	{0x04d0, 0x04d1, "ELCR"},
	{0x0500, 0x05ff, "fw_cfg, isa-debug-exit"},
	{0x0600, 0x06ff, "ACPI PM (q35/i440fx)"},
	{0x0cf8, 0x0cff, "PCI configuration, reset"},
	{0xaf00, 0xafff, "CPU hotplug"},
	{0xb000, 0xb0ff, "ACPI PM (old i440fx)"},
	{0xc000, 0xc0ff, "PCI I/O BARs (QEMU)"},
};

static unsigned checked, not_ones;

static bool in_maybe_backed(uint32_t first, uint32_t last)
{
	for (unsigned i = 0; i < ARRAY_SIZE(maybe_backed); i++)
		if (first <= maybe_backed[i].last && last >= maybe_backed[i].first)
			return true;
	return false;
}

static void expect_ones(uint16_t port, unsigned width, uint32_t got)
{
	uint32_t ones = width == 4 ? 0xffffffffu : (1u << (8 * width)) - 1;

	checked++;
	if (got != ones) {
		not_ones++;
		if (not_ones <= 16)
			fail("in%c %#x -> %#x, want %#x (no device there)",
			     "bwxl"[width - 1], port, got, ones);
	}
}

/* Each width at one port; the all-ones check where no device may be. */
static void read_port(uint16_t port)
{
	uint8_t b = inb(port);
	uint16_t w = inw(port);
	uint32_t l = inl(port);

	if (!in_maybe_backed(port, port))
		expect_ones(port, 1, b);
	if (port <= 0xfffe && !in_maybe_backed(port, port + 1u))
		expect_ones(port, 2, w);
	if (port <= 0xfffc && !in_maybe_backed(port, port + 3u))
		expect_ones(port, 4, l);
}

/* Each width at one port, where no device may be (a byte of a wide write
 * can reach a reset register: 0x92, 0xcf9). */
static void write_port(uint16_t port, uint32_t val)
{
	if (!in_maybe_backed(port, port))
		outb(port, (uint8_t)val);
	if (!in_maybe_backed(port, port + 1u))
		outw(port, (uint16_t)val);
	if (!in_maybe_backed(port, port + 3u))
		outl(port, val);
}

static void sweep(void)
{
	unsigned ports = 0;

	/* Step 0x101: every 257th port, so each low byte shows up once. */
	for (uint32_t port = 0; port <= 0xffff; port += 0x101) {
		write_port((uint16_t)port, 0x5a5aa5a5);
		read_port((uint16_t)port);
		ports++;
	}
	/* Unassigned ports next to devices, and the top of the space, where
	 * a 16- or 32-bit access runs past port 0xffff. */
	static const uint16_t edges[] = {
		0x0022, 0x0044, 0x0078, 0x00a2, 0x0100, 0x0200, 0x0300,
		0x03e0, 0x0800, 0x0cf0, 0x1000, 0x4000, 0x8000, 0xa000,
		0xfffc, 0xfffd, 0xfffe, 0xffff,
	};

	for (unsigned i = 0; i < ARRAY_SIZE(edges); i++) {
		write_port(edges[i], 0xffffffff);
		write_port(edges[i], 0);
		read_port(edges[i]);
		ports++;
	}
	printf("io_ports: swept %u ports, %u all-ones checks, %u failed\n",
	       ports, checked, not_ones);
	check(not_ones == 0, "reads of %u unbacked port/width pairs return all "
	      "ones", checked);
}

/* The legacy platform, gently: register selects and reads, no resets. */
static void legacy_ports(void)
{
	outb(0x20, 0x0a);		/* PIC 1: OCW3, read IRR next */
	uint8_t irr = inb(0x20);
	outb(0x21, 0xff);		/* mask everything */
	uint8_t imr = inb(0x21);
	outb(0xa0, 0x0a);
	outb(0xa1, 0xff);
	uint8_t imr2 = inb(0xa1);

	outb(0x70, 0x0f);		/* CMOS: shutdown status register */
	uint8_t cmos = inb(0x71);
	uint8_t kbd = inb(0x64);	/* 8042 status */
	uint8_t portb = inb(0x61);
	uint8_t lsr = inb(0x3fd);	/* COM1 line status */
	outb(0x3ff, 0xa5);		/* COM1 scratch */
	uint8_t scratch = inb(0x3ff);

	outl(0xcf8, 0x80000000u);	/* PCI 00:00.0 register 0 */
	uint32_t id = inl(0xcfc);
	outl(0xcf8, 0);
	outb(0x80, 0x42);		/* POST code */
	uint8_t pit = inb(0x40);

	printf("io_ports: PIC irr=%#x imr=%#x/%#x CMOS[0xf]=%#x 8042=%#x "
	       "port61=%#x COM1 lsr=%#x scratch=%#x PCI 00:00.0=%#x PIT=%#x\n",
	       irr, imr, imr2, cmos, kbd, portb, lsr, scratch, id, pit);
	pass("legacy platform ports read and written, still alive");
}

static void string_io(void)
{
	static uint8_t buf[4096];

	memset(buf, 0, sizeof(buf));
	void *dst = buf;
	uint64_t n = sizeof(buf);

	__asm__ volatile("rep insb" : "+D"(dst), "+c"(n) : "d"(0x1234) : "memory");
	unsigned ones = 0;

	for (unsigned i = 0; i < sizeof(buf); i++)
		ones += buf[i] == 0xff;
	check(ones == sizeof(buf), "rep insb of 4096 bytes from port 0x1234: "
	      "%u all ones", ones);

	const void *src = buf;

	n = sizeof(buf) / 4;
	__asm__ volatile("rep outsl" : "+S"(src), "+c"(n) : "d"(0x1234) : "memory");
	pass("rep outsl to port 0x1234, still alive");
}

static void msrs(void)
{
	static const uint32_t numbers[] = {
		0x00000000, 0x00000001, 0x0000001b, 0x0000003a, 0x0000008b,
		0x000000e7, 0x000000e8, 0x00000200, 0x00000c80, 0x40000000,
		0x4b564d00, 0xc0000103, 0xc0010015, 0xc0011029, 0xdeadbeef,
	};

	for (unsigned i = 0; i < ARRAY_SIZE(numbers); i++) {
		uint64_t val = 0;
		uint64_t rd = rdmsr_try(numbers[i], &val);
		/* Write back what was read: where an MSR is really backed,
		 * nothing changes. */
		uint64_t wr = wrmsr_try(numbers[i], rd == 0 ? val : 0);

		if (rd == 0)
			printf("io_ports: msr %#x = %#lx, write back %s\n",
			       numbers[i], val,
			       wr == 0 ? "ok" : exception_name(exinfo_vector(wr)));
		else
			printf("io_ports: msr %#x: read %s, write %s\n",
			       numbers[i], exception_name(exinfo_vector(rd)),
			       wr == 0 ? "ok" : exception_name(exinfo_vector(wr)));
	}
	pass("%zu MSRs read and written with the safe helpers, still alive",
	     ARRAY_SIZE(numbers));
}

void guest_main(const struct pvh_start_info *si)
{
	char value[8];

	(void)si;
	sweep();
	legacy_ports();
	if (cmdline_get(guest_cmdline(), "string", value, sizeof(value)))
		string_io();
	msrs();
	pass("still alive after all of it");
}
