/* The devices every domain has (hv/vdev): COM1 (16550A at 0x3f8), the
 * CMOS clock (0x70/0x71) and the reset and poweroff paths. The last step
 * resets the machine (i8042 command 0xfe, or cmdline `poweroff`: the ACPI
 * sleep control register with S5): the hypervisor applies on_reboot or
 * on_poweroff, so a line after it means it did not. */
#include "guest.h"

#define COM1 0x3f8
#define UART_LSR 5
#define UART_LCR 3
#define UART_MCR 4
#define UART_SCR 7
#define UART_IIR 2
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY 0x20
#define LCR_DLAB 0x80
#define MCR_LOOPBACK 0x10
#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71

static void com1_puts(const char *s)
{
	for (; *s; s++) {
		while (!(inb(COM1 + UART_LSR) & LSR_THR_EMPTY))
			cpu_relax();
		outb(COM1, (uint8_t)*s);
	}
}

static void check_uart(void)
{
	com1_puts("platform: this line came through COM1\n");
	check(inb(COM1 + UART_LSR) & LSR_THR_EMPTY, "COM1 LSR shows THR empty");
	outb(COM1 + UART_SCR, 0x5a);
	check(inb(COM1 + UART_SCR) == 0x5a, "COM1 scratch register keeps 0x5a");
	outb(COM1 + UART_LCR, LCR_DLAB);
	outb(COM1, 0x01);
	outb(COM1 + 1, 0x00);
	check(inb(COM1) == 0x01, "COM1 divisor latch reads back 115200 baud");
	outb(COM1 + UART_LCR, 0x03);
	outb(COM1 + UART_MCR, MCR_LOOPBACK);
	outb(COM1, 'Q');
	bool ready = inb(COM1 + UART_LSR) & LSR_DATA_READY;
	check(ready && inb(COM1) == 'Q', "COM1 loopback returns the byte sent");
	outb(COM1 + UART_MCR, 0);
	check((inb(COM1 + UART_IIR) & 0x01) == 1, "COM1 has no interrupt pending");
}

static uint8_t cmos(uint8_t reg)
{
	outb(CMOS_INDEX, reg);
	return inb(CMOS_DATA);
}

static unsigned bcd(uint8_t v)
{
	return (v >> 4) * 10 + (v & 0x0f);
}

static void check_rtc(void)
{
	unsigned year = bcd(cmos(0x09)), month = bcd(cmos(0x08)), day = bcd(cmos(0x07));
	unsigned s0 = bcd(cmos(0x00));

	check(year >= 24 && month >= 1 && month <= 12 && day >= 1 && day <= 31,
	      "RTC date 20%02u-%02u-%02u", year, month, day);
	check(!(cmos(0x0a) & 0x80), "RTC never shows an update in progress");
	check(cmos(0x0d) & 0x80, "RTC says its time is valid");
	sleep_ns(1100 * NS_PER_MS);
	unsigned s1 = bcd(cmos(0x00));
	unsigned passed = (s1 + 60 - s0) % 60;
	check(passed >= 1 && passed <= 3, "RTC seconds advance: %u -> %u", s0, s1);
}

void guest_main(const struct pvh_start_info *si)
{
	char value[4];

	(void)si;
	check_uart();
	check_rtc();
	print_result();
	if (cmdline_get(guest_cmdline(), "poweroff", value, sizeof(value))) {
		printf("platform: ACPI S5 through the sleep control register\n");
		outb(0x600, (5 << 2) | 0x20);
	} else {
		printf("platform: resetting through the i8042\n");
		outb(0x64, 0xfe);
	}
	fail("still running after the reset or poweroff request");
}
