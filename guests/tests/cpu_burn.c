/* A CPU-bound guest for benchmarks (figures, not pass/fail).
 *   iterations=N (default 200M): runs N rounds of a 64-bit LCG, measures
 *     them with TIME_NOW, prints `burn: N iterations in T ns` and powers off.
 *   forever: spins forever in chunks, printing every second how many
 *     iterations it has done (for CPU-share measurements beside others).
 *   chunk=N (default 1M): iterations between two TIME_NOW in `forever`. */
#include "guest.h"
#include "lib/cpu_burn.h"

/* The loop is lib/cpu_burn.c, the same code the monitor runs for
 * debug.burn, so the two times compare (bench/domains.py). */
static uint64_t burn(uint64_t iterations, uint64_t x)
{
	return cpu_burn(iterations, x);
}

static void burn_forever(uint64_t chunk)
{
	uint64_t x = 1, total = 0, start = time_now();
	uint64_t last_total = 0, last = start, next = start + NS_PER_S;

	for (;;) {
		x = burn(chunk, x);
		total += chunk;

		uint64_t now = time_now();

		if (now < next)
			continue;
		printf("burn: %lu iterations at %lu ms (%lu in the last %lu ms)\n",
		       total, (now - start) / NS_PER_MS, total - last_total,
		       (now - last) / NS_PER_MS);
		last_total = total;
		last = now;
		next += NS_PER_S;
		if (next <= now)
			next = now + NS_PER_S;
	}
}

void guest_main(const struct pvh_start_info *si)
{
	const char *cmdline = guest_cmdline();
	uint64_t iterations = 200000000, chunk = 1000000;
	char value[8];

	(void)si;
	cmdline_get_u64(cmdline, "iterations", &iterations);
	cmdline_get_u64(cmdline, "chunk", &chunk);
	if (chunk == 0)
		chunk = 1;
	if (cmdline_get(cmdline, "forever", value, sizeof(value)))
		burn_forever(chunk);

	uint64_t t0 = time_now();
	uint64_t x = burn(iterations, 1);
	uint64_t t1 = time_now();
	uint64_t ns = t1 - t0;

	printf("burn: %lu iterations in %lu ns (%lu.%03lu ns each, checksum %#lx)\n",
	       iterations, ns, iterations ? ns / iterations : 0,
	       iterations ? ns * 1000 / iterations % 1000 : 0, x);
}
