/* VESTA_HC_BLOCK_UNTIL against VESTA_HC_TIME_NOW: a vCPU blocked until
 * now + 1, 10 and 50 ms wakes no earlier than the deadline and not much
 * later. The tolerance is generous because the tests run under emulation:
 * cmdline tolerance_ms=N (default 20). The measured lateness is printed. */
#include "guest.h"

static const uint64_t delays_ms[] = {1, 10, 50};

void guest_main(const struct pvh_start_info *si)
{
	uint64_t tolerance_ms = 20;

	(void)si;
	cmdline_get_u64(guest_cmdline(), "tolerance_ms", &tolerance_ms);
	printf("timer: tolerance %lu ms\n", tolerance_ms);

	for (unsigned i = 0; i < ARRAY_SIZE(delays_ms); i++) {
		long t0 = hc_time_now();

		if (!check(t0 >= 0, "TIME_NOW -> %ld", t0))
			return;
		uint64_t deadline = (uint64_t)t0 + delays_ms[i] * NS_PER_MS;
		long r = hc_block_until(deadline);
		long t1 = hc_time_now();
		long late_ns = t1 - (long)deadline;
		long late_us = late_ns / 1000;

		long abs_us = late_us < 0 ? -late_us : late_us;

		printf("timer: now+%lu ms: woke %ld.%03ld ms %s the deadline\n",
		       delays_ms[i], abs_us / 1000, abs_us % 1000,
		       late_ns < 0 ? "BEFORE" : "after");
		check(r == 0, "BLOCK_UNTIL(now+%lu ms) -> %ld", delays_ms[i], r);
		check(late_ns >= 0, "now+%lu ms: not woken before the deadline "
		      "(lateness %ld us)", delays_ms[i], late_us);
		check(late_ns <= (long)(tolerance_ms * NS_PER_MS),
		      "now+%lu ms: woken within %lu ms of the deadline "
		      "(lateness %ld us)", delays_ms[i], tolerance_ms, late_us);
	}
}
