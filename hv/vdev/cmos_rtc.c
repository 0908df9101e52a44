#include "vdev/cmos_rtc.h"
#include "lib/calendar.h"
#include "lib/string.h"

/* Registers, MC146818A datasheet (and the PC's century byte at 0x32). */
#define RTC_SECONDS 0x00
#define RTC_MINUTES 0x02
#define RTC_HOURS 0x04
#define RTC_WEEKDAY 0x06
#define RTC_DAY 0x07
#define RTC_MONTH 0x08
#define RTC_YEAR 0x09
#define RTC_REG_A 0x0a
#define RTC_REG_B 0x0b
#define RTC_REG_C 0x0c
#define RTC_REG_D 0x0d
#define RTC_CENTURY 0x32
#define REG_A_DIVIDER_32KHZ 0x26	/* UIP clear: reads never wait */
#define REG_B_24H 0x02
#define REG_B_BINARY 0x04
#define REG_D_VALID 0x80
#define INDEX_MASK 0x7f			/* bit 7 is the NMI mask */

void cmos_rtc_init(struct cmos_rtc *rtc, void *owner, int64_t (*now)(void *owner))
{
	memset(rtc, 0, sizeof(*rtc));
	rtc->owner = owner;
	rtc->now = now;
	rtc->reg_a = REG_A_DIVIDER_32KHZ;
	rtc->reg_b = REG_B_24H;
}

static uint8_t encode(const struct cmos_rtc *rtc, uint8_t value)
{
	return (rtc->reg_b & REG_B_BINARY) ? value : bcd_from_binary(value);
}

static uint8_t encode_hour(const struct cmos_rtc *rtc, uint8_t hour)
{
	if (rtc->reg_b & REG_B_24H)
		return encode(rtc, hour);
	uint8_t h12 = hour % 12 ? hour % 12 : 12;
	return (uint8_t)(encode(rtc, h12) | (hour >= 12 ? 0x80 : 0));
}

static uint8_t clock_field(const struct cmos_rtc *rtc, uint8_t reg)
{
	struct civil_time t;

	epoch_to_civil(rtc->now(rtc->owner), &t);
	switch (reg) {
	case RTC_SECONDS: return encode(rtc, t.second);
	case RTC_MINUTES: return encode(rtc, t.minute);
	case RTC_HOURS: return encode_hour(rtc, t.hour);
	case RTC_WEEKDAY: return encode(rtc, (uint8_t)(t.weekday + 1));
	case RTC_DAY: return encode(rtc, t.day);
	case RTC_MONTH: return encode(rtc, t.month);
	case RTC_YEAR: return encode(rtc, (uint8_t)(t.year % 100));
	default: return encode(rtc, (uint8_t)(t.year / 100));	/* century */
	}
}

uint8_t cmos_rtc_read(struct cmos_rtc *rtc, uint8_t reg)
{
	switch (reg) {
	case RTC_SECONDS: case RTC_MINUTES: case RTC_HOURS: case RTC_WEEKDAY:
	case RTC_DAY: case RTC_MONTH: case RTC_YEAR: case RTC_CENTURY:
		return clock_field(rtc, reg);
	case RTC_REG_A: return rtc->reg_a;
	case RTC_REG_B: return rtc->reg_b;
	case RTC_REG_C: return 0;		/* no interrupt flags */
	case RTC_REG_D: return REG_D_VALID;
	default: return rtc->nvram[reg & INDEX_MASK];
	}
}

void cmos_rtc_write(struct cmos_rtc *rtc, uint8_t reg, uint8_t value)
{
	if (reg == RTC_REG_A)
		rtc->reg_a = (uint8_t)(value & 0x7f);
	else if (reg == RTC_REG_B)
		rtc->reg_b = value;
	else if (reg > RTC_REG_D && reg != RTC_CENTURY)
		rtc->nvram[reg & INDEX_MASK] = value;
}

static uint32_t port_read(void *opaque, uint16_t port, unsigned size)
{
	struct cmos_rtc *rtc = opaque;

	(void)size;
	return port == CMOS_RTC_BASE ? rtc->index : cmos_rtc_read(rtc, rtc->index);
}

static void port_write(void *opaque, uint16_t port, unsigned size, uint32_t value)
{
	struct cmos_rtc *rtc = opaque;

	(void)size;
	if (port == CMOS_RTC_BASE)
		rtc->index = (uint8_t)(value & INDEX_MASK);
	else
		cmos_rtc_write(rtc, rtc->index, (uint8_t)value);
}

bool cmos_rtc_attach(struct cmos_rtc *rtc, struct ioport_bus *bus)
{
	struct ioport_device dev = {
		.name = "cmos_rtc", .base = CMOS_RTC_BASE, .count = 2, .opaque = rtc,
		.read = port_read, .write = port_write,
	};

	return ioport_bus_add(bus, &dev);
}
