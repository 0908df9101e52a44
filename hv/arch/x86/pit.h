#ifndef ARCH_X86_PIT_H
#define ARCH_X86_PIT_H

#include <stdint.h>

/* Measures the TSC against the 8254 PIT over `ms` milliseconds. */
uint64_t pit_measure_tsc_khz(unsigned ms);

#endif
