/* Proleptic Gregorian dates <-> days since 1970-01-01, for the RTCs. */
#ifndef LIB_CALENDAR_H
#define LIB_CALENDAR_H

#include <stdint.h>

struct civil_time {
	int32_t year;
	uint8_t month;		/* 1..12 */
	uint8_t day;		/* 1..31 */
	uint8_t hour, minute, second;
	uint8_t weekday;	/* 0 = Sunday */
};

int64_t days_from_civil(int32_t year, unsigned month, unsigned day);
/* Seconds since the epoch <-> broken-down UTC time. */
int64_t civil_to_epoch(const struct civil_time *t);
void epoch_to_civil(int64_t seconds, struct civil_time *out);

uint8_t bcd_from_binary(uint8_t value);	/* 0..99 */
uint8_t binary_from_bcd(uint8_t bcd);

#endif
