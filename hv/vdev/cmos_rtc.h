/* The MC146818 CMOS clock at ports 0x70/0x71: Linux reads the date from
 * it at boot, and without one it spends seconds probing (DESIGN.md). Its
 * time is the host's wall clock; writes to the time registers are ignored
 * (the guest keeps its own offset). */
#ifndef VDEV_CMOS_RTC_H
#define VDEV_CMOS_RTC_H

#include <stdbool.h>
#include <stdint.h>

#include "vdev/ioport_bus.h"

#define CMOS_RTC_BASE 0x70
#define CMOS_NVRAM_SIZE 128

struct cmos_rtc {
	uint8_t index;
	uint8_t reg_a, reg_b;
	uint8_t nvram[CMOS_NVRAM_SIZE];
	void *owner;
	/* Seconds since 1970 now (UTC). */
	int64_t (*now)(void *owner);
};

void cmos_rtc_init(struct cmos_rtc *rtc, void *owner, int64_t (*now)(void *owner));
bool cmos_rtc_attach(struct cmos_rtc *rtc, struct ioport_bus *bus);
uint8_t cmos_rtc_read(struct cmos_rtc *rtc, uint8_t reg);
void cmos_rtc_write(struct cmos_rtc *rtc, uint8_t reg, uint8_t value);

#endif
