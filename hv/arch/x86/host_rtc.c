/* Reads the host's CMOS clock once at boot, for the guests' wall clock
 * (their RTC and kvmclock). MC146818A datasheet for the registers. */
#include "arch/x86/cpu.h"
#include "core/arch.h"
#include "core/log.h"
#include "lib/calendar.h"

#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71
#define REG_A_UPDATE_IN_PROGRESS 0x80
#define REG_B_24H 0x02
#define REG_B_BINARY 0x04
#define HOUR_PM 0x80
#define UIP_WAIT_LIMIT 1000000
#define NS_PER_SEC 1000000000ll

static int64_t wall_clock_at_boot;	/* seconds since 1970 at arch_time_ns() 0 */

static uint8_t cmos_read(uint8_t reg)
{
	outb(CMOS_INDEX, reg);
	return inb(CMOS_DATA);
}

static uint8_t field(uint8_t raw, uint8_t reg_b)
{
	return (reg_b & REG_B_BINARY) ? raw : binary_from_bcd(raw);
}

static uint8_t hour_24(uint8_t raw, uint8_t reg_b)
{
	uint8_t hour = field(raw & 0x7f, reg_b);

	if (!(reg_b & REG_B_24H))
		hour = (uint8_t)(hour % 12 + ((raw & HOUR_PM) ? 12 : 0));
	return hour;
}

void host_rtc_read(void)
{
	for (unsigned i = 0; i < UIP_WAIT_LIMIT &&
			     (cmos_read(0x0a) & REG_A_UPDATE_IN_PROGRESS); i++)
		cpu_relax();
	uint8_t b = cmos_read(0x0b);
	struct civil_time t = {
		.second = field(cmos_read(0x00), b),
		.minute = field(cmos_read(0x02), b),
		.hour = hour_24(cmos_read(0x04), b),
		.day = field(cmos_read(0x07), b),
		.month = field(cmos_read(0x08), b),
		.year = 2000 + field(cmos_read(0x09), b),	/* no century byte in
								 * the hardware-reduced
								 * world: assume 20xx */
	};
	if (t.month < 1 || t.month > 12 || t.day < 1 || t.day > 31) {
		log_warn("time: warning: the host RTC reads nonsense; guests start in 1970\n");
		return;
	}
	wall_clock_at_boot = civil_to_epoch(&t) - (int64_t)arch_time_ns() / NS_PER_SEC;
	log_info("time: wall clock %04d-%02u-%02u %02u:%02u:%02u UTC (host RTC)\n",
		 t.year, t.month, t.day, t.hour, t.minute, t.second);
}

int64_t arch_wall_clock_at_boot(void)
{
	return wall_clock_at_boot;
}
