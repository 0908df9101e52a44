#include "arch/x86/tsc.h"
#include "arch/x86/cpu.h"
#include "arch/x86/pit.h"
#include "core/arch.h"

/* CPUID Fn0000_0015 (TSC/crystal ratio) and Fn0000_0016 (base MHz) are
 * Intel's; AMD parts do not have them and fall back to the PIT. */
#define CPUID_LEAF_TSC_CRYSTAL 0x15
#define CPUID_LEAF_FREQUENCY 0x16
#define PIT_CALIBRATION_MS 20
#define PIT_CALIBRATION_RUNS 3

static uint64_t khz;
static uint64_t ns_per_tick_fixed32;	/* ns per tick, 32.32 fixed point */
static uint64_t ticks_per_ns_fixed32;	/* ticks per ns, 32.32 fixed point */
static uint64_t boot_tsc;

static uint64_t tsc_khz_from_cpuid(void)
{
	uint32_t max_leaf = cpuid(0, 0).eax;

	if (max_leaf >= CPUID_LEAF_TSC_CRYSTAL) {
		struct cpuid_regs r = cpuid(CPUID_LEAF_TSC_CRYSTAL, 0);
		if (r.eax && r.ebx && r.ecx)
			return (uint64_t)r.ecx * r.ebx / r.eax / 1000;
	}
	if (max_leaf >= CPUID_LEAF_FREQUENCY) {
		uint32_t mhz = cpuid(CPUID_LEAF_FREQUENCY, 0).eax & 0xffff;
		if (mhz)
			return (uint64_t)mhz * 1000;
	}
	return 0;
}

/* The median of a few runs: an emulator or an SMI can stretch one. */
static uint64_t tsc_khz_from_pit(void)
{
	uint64_t runs[PIT_CALIBRATION_RUNS];

	for (unsigned i = 0; i < PIT_CALIBRATION_RUNS; i++) {
		uint64_t v = pit_measure_tsc_khz(PIT_CALIBRATION_MS);
		unsigned j = i;
		for (; j > 0 && runs[j - 1] > v; j--)
			runs[j] = runs[j - 1];
		runs[j] = v;
	}
	return runs[PIT_CALIBRATION_RUNS / 2];
}

const char *tsc_calibrate(void)
{
	const char *source = "CPUID";

	boot_tsc = rdtsc();
	khz = tsc_khz_from_cpuid();
	if (khz == 0) {
		khz = tsc_khz_from_pit();
		source = "calibrated against the PIT";
	}
	ns_per_tick_fixed32 = (1000000ull << 32) / khz;
	ticks_per_ns_fixed32 = (khz << 32) / 1000000;
	return source;
}

uint64_t tsc_khz(void)
{
	return khz;
}

uint64_t tsc_to_ns(uint64_t ticks)
{
	return (uint64_t)(((unsigned __int128)ticks * ns_per_tick_fixed32) >> 32);
}

uint64_t ns_to_tsc(uint64_t ns)
{
	return (uint64_t)(((unsigned __int128)ns * ticks_per_ns_fixed32) >> 32);
}

void tsc_delay_us(uint64_t us)
{
	uint64_t end = rdtsc() + ns_to_tsc(us * 1000);

	while (rdtsc() < end)
		cpu_relax();
}

uint64_t arch_time_ns(void)
{
	return tsc_to_ns(rdtsc() - boot_tsc);
}

uint64_t tsc_from_time_ns(uint64_t ns)
{
	return boot_tsc + ns_to_tsc(ns);
}
