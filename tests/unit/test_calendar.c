#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "lib/calendar.h"

static void known_dates(void **state)
{
	(void)state;
	assert_int_equal(days_from_civil(1970, 1, 1), 0);
	assert_int_equal(days_from_civil(2000, 3, 1), 11017);
	assert_int_equal(days_from_civil(1969, 12, 31), -1);
	struct civil_time t = {2026, 11, 25, 21, 6, 2, 0};
	assert_int_equal(civil_to_epoch(&t), 1795640762);
}

/* Every day from 1900 to 2400 against the C library's timegm/gmtime_r. */
static void matches_libc_for_five_centuries(void **state)
{
	(void)state;
	for (int64_t s = -2208988800LL; s < 13569465600LL; s += 86400 + 3661) {
		struct civil_time ours;
		struct tm theirs;
		time_t tt = (time_t)s;
		epoch_to_civil(s, &ours);
		gmtime_r(&tt, &theirs);
		assert_int_equal(ours.year, theirs.tm_year + 1900);
		assert_int_equal(ours.month, theirs.tm_mon + 1);
		assert_int_equal(ours.day, theirs.tm_mday);
		assert_int_equal(ours.hour, theirs.tm_hour);
		assert_int_equal(ours.minute, theirs.tm_min);
		assert_int_equal(ours.second, theirs.tm_sec);
		assert_int_equal(ours.weekday, theirs.tm_wday);
		assert_int_equal(civil_to_epoch(&ours), s);
	}
}

static void bcd_round_trips(void **state)
{
	(void)state;
	for (unsigned v = 0; v < 100; v++)
		assert_int_equal(binary_from_bcd(bcd_from_binary((uint8_t)v)), v);
	assert_int_equal(bcd_from_binary(59), 0x59);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(known_dates),
		cmocka_unit_test(matches_libc_for_five_centuries),
		cmocka_unit_test(bcd_round_trips),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
