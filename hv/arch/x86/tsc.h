/* The TSC as the hypervisor's clock. Assumes an invariant TSC, synchronised
 * across CPUs by the firmware (true of the AMD-V hosts we target). */
#ifndef ARCH_X86_TSC_H
#define ARCH_X86_TSC_H

#include <stdint.h>

/* Finds the TSC frequency: CPUID 0x15/0x16 where given, else the PIT.
 * Returns a static string naming the source, for the log. */
const char *tsc_calibrate(void);
uint64_t tsc_khz(void);
uint64_t tsc_to_ns(uint64_t ticks);
uint64_t ns_to_tsc(uint64_t ns);
void tsc_delay_us(uint64_t us);
/* The TSC value at which arch_time_ns() reaches ns. */
uint64_t tsc_from_time_ns(uint64_t ns);

/* Reads the host CMOS clock (host_rtc.c), after the TSC is calibrated. */
void host_rtc_read(void);

#endif
