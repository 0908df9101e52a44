/* Day counting with 400-year eras (146097 days each), so that every
 * calculation is a few integer divisions with no table and no loop. The
 * year is shifted to start on March 1, putting the leap day last. */
#include "lib/calendar.h"

#define DAYS_PER_ERA 146097
#define DAYS_1970_FROM_0000_03_01 719468
#define SECONDS_PER_DAY 86400

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

int64_t days_from_civil(int32_t year, unsigned month, unsigned day)
{
	int64_t y = (int64_t)year - (month <= 2);
	int64_t era = floor_div(y, 400);
	int64_t year_of_era = y - era * 400;			/* 0..399 */
	int64_t march_month = (month + 9) % 12;			/* March = 0 */
	int64_t day_of_year = (153 * march_month + 2) / 5 + day - 1;
	int64_t day_of_era = year_of_era * 365 + year_of_era / 4 -
			     year_of_era / 100 + day_of_year;

	return era * DAYS_PER_ERA + day_of_era - DAYS_1970_FROM_0000_03_01;
}

int64_t civil_to_epoch(const struct civil_time *t)
{
	return days_from_civil(t->year, t->month, t->day) * SECONDS_PER_DAY +
	       t->hour * 3600 + t->minute * 60 + t->second;
}

void epoch_to_civil(int64_t seconds, struct civil_time *out)
{
	int64_t days = floor_div(seconds, SECONDS_PER_DAY);
	int64_t rest = seconds - days * SECONDS_PER_DAY;
	int64_t z = days + DAYS_1970_FROM_0000_03_01;
	int64_t era = floor_div(z, DAYS_PER_ERA);
	int64_t day_of_era = z - era * DAYS_PER_ERA;
	int64_t year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 -
			       day_of_era / 146096) / 365;
	int64_t day_of_year = day_of_era -
			      (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
	int64_t march_month = (5 * day_of_year + 2) / 153;
	unsigned month = (unsigned)(march_month < 10 ? march_month + 3 : march_month - 9);

	out->year = (int32_t)(year_of_era + era * 400 + (month <= 2));
	out->month = (uint8_t)month;
	out->day = (uint8_t)(day_of_year - (153 * march_month + 2) / 5 + 1);
	out->hour = (uint8_t)(rest / 3600);
	out->minute = (uint8_t)(rest / 60 % 60);
	out->second = (uint8_t)(rest % 60);
	out->weekday = (uint8_t)((days % 7 + 7 + 4) % 7);	/* 1970-01-01: Thursday */
}

uint8_t bcd_from_binary(uint8_t value)
{
	return (uint8_t)(((value / 10) << 4) | (value % 10));
}

uint8_t binary_from_bcd(uint8_t bcd)
{
	return (uint8_t)((bcd >> 4) * 10 + (bcd & 0x0f));
}
