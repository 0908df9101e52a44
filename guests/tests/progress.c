/* A well-behaved guest: prints `progress N` every period (100 ms, by
 * BLOCK_UNTIL on absolute deadlines so that it does not drift) COUNT
 * times, then PASS if no wake-up was later than max_late_ms, and powers
 * off. Run beside spin_irq_off: the spinner must not starve it.
 * cmdline: period_ms=N (100), count=N (20), max_late_ms=N (100). */
#include "guest.h"

void guest_main(const struct pvh_start_info *si)
{
	uint64_t period_ms = 100, count = 20, max_late_ms = 100;
	const char *cmdline = guest_cmdline();

	(void)si;
	cmdline_get_u64(cmdline, "period_ms", &period_ms);
	cmdline_get_u64(cmdline, "count", &count);
	cmdline_get_u64(cmdline, "max_late_ms", &max_late_ms);

	uint64_t start = time_now(), worst = 0;

	for (uint64_t n = 1; n <= count; n++) {
		uint64_t deadline = start + n * period_ms * NS_PER_MS;
		uint64_t now;

		while ((now = time_now()) < deadline)
			block_until(deadline);
		uint64_t late = now - deadline;

		if (late > worst)
			worst = late;
		printf("progress %lu (t=%lu ms, %lu us late)\n", n,
		       (now - start) / NS_PER_MS, late / NS_PER_US);
	}
	uint64_t total = time_now() - start;

	check(worst <= max_late_ms * NS_PER_MS,
	      "%lu progress lines in %lu ms, worst wake-up %lu us late "
	      "(allowed %lu ms)", count, total / NS_PER_MS, worst / NS_PER_US,
	      max_late_ms);
}
