#include "lib/cpu_burn.h"

/* Knuth's MMIX constants. */
#define LCG_MULTIPLIER 6364136223846793005ull
#define LCG_INCREMENT 1442695040888963407ull

uint64_t cpu_burn(uint64_t iterations, uint64_t seed)
{
	uint64_t x = seed;

	for (uint64_t i = 0; i < iterations; i++) {
		x = x * LCG_MULTIPLIER + LCG_INCREMENT;
		__asm__ volatile("" : "+r"(x));	/* no closed form, please */
	}
	return x;
}
