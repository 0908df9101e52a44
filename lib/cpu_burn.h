/* The CPU-bound loop of the benchmarks: the same code runs in a test guest
 * and in the monitor on the bare machine, so their times compare. */
#ifndef LIB_CPU_BURN_H
#define LIB_CPU_BURN_H

#include <stdint.h>

/* `iterations` rounds of a 64-bit LCG from `seed`; returns the last value
 * so the work cannot be optimized away. */
uint64_t cpu_burn(uint64_t iterations, uint64_t seed);

#endif
