/* The KVM paravirtual clock Linux uses (arch/x86/kvm_clock.c): CPUID shows
 * the KVM signature and CLOCKSOURCE2; the system-time MSR fills a
 * pvclock_vcpu_time_info whose time agrees with VESTA_HC_TIME_NOW and whose
 * scale gives the TSC frequency. */
#include "guest.h"

#define MSR_KVM_SYSTEM_TIME_OLD 0x12
#define MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01
#define KVM_FEATURE_CLOCKSOURCE2 (1u << 3)
#define PVCLOCK_TSC_STABLE_BIT 1u
#define AGREE_NS (2 * NS_PER_MS)

struct __attribute__((packed)) pvclock_vcpu_time_info {
	uint32_t version;
	uint32_t pad0;
	uint64_t tsc_timestamp;
	uint64_t system_time;
	uint32_t tsc_to_system_mul;
	int8_t tsc_shift;
	uint8_t flags;
	uint8_t pad[2];
};

static volatile struct pvclock_vcpu_time_info clock __attribute__((aligned(64)));

static uint64_t pvclock_ns(void)
{
	uint64_t delta = rdtsc() - clock.tsc_timestamp;

	delta = clock.tsc_shift >= 0 ? delta << clock.tsc_shift
				     : delta >> -clock.tsc_shift;
	return clock.system_time +
	       (uint64_t)(((unsigned __int128)delta * clock.tsc_to_system_mul) >> 32);
}

static void check_cpuid(void)
{
	uint32_t a, b, c, d;
	char sig[13] = {0};

	cpuid(0x40000000, &a, &b, &c, &d);
	__builtin_memcpy(sig, &b, 4);
	__builtin_memcpy(sig + 4, &c, 4);
	__builtin_memcpy(sig + 8, &d, 4);
	check(__builtin_memcmp(sig, "KVMKVMKVM\0\0\0", 12) == 0 && a >= 0x40000001,
	      "CPUID 0x40000000 = \"%s\", max %#x", sig, a);
	cpuid(0x40000001, &a, &b, &c, &d);
	check(a & KVM_FEATURE_CLOCKSOURCE2, "CPUID 0x40000001 EAX %#x has CLOCKSOURCE2", a);
}

void guest_main(const struct pvh_start_info *si)
{
	uint64_t value;

	(void)si;
	check_cpuid();
	check(!rdmsr_safe(MSR_KVM_SYSTEM_TIME_OLD, &value),
	      "the old kvmclock MSR (not advertised) is #GP");
	wrmsr(MSR_KVM_SYSTEM_TIME_NEW, (uint64_t)(uintptr_t)&clock | 1);
	check(rdmsr(MSR_KVM_SYSTEM_TIME_NEW) == ((uint64_t)(uintptr_t)&clock | 1),
	      "the system-time MSR reads back");
	check(clock.version && !(clock.version & 1), "version %u is even",
	      clock.version);
	check(clock.flags & PVCLOCK_TSC_STABLE_BIT, "flagged TSC-stable");
	check(clock.tsc_to_system_mul != 0, "mul %u shift %d",
	      clock.tsc_to_system_mul, clock.tsc_shift);

	uint64_t pv0 = pvclock_ns(), hc0 = time_now();
	int64_t diff = (int64_t)(pv0 - hc0);
	check(diff < (int64_t)AGREE_NS && diff > -(int64_t)AGREE_NS,
	      "kvmclock agrees with TIME_NOW within %ld us", diff / 1000);

	/* The scale against an independent clock: the monitor's TIME_NOW. */
	uint64_t tsc0 = rdtsc(), t0 = time_now();
	sleep_ns(50 * NS_PER_MS);
	uint64_t pv1 = pvclock_ns(), tsc1 = rdtsc(), t1 = time_now();
	check(pv1 > pv0, "kvmclock is monotonic");
	uint64_t khz_pv = (tsc1 - tsc0) * 1000000 / (t1 - t0 ? t1 - t0 : 1);
	uint64_t khz_scale = (1000000ull << 32) /
			     ((uint64_t)clock.tsc_to_system_mul << (clock.tsc_shift > 0 ? clock.tsc_shift : 0));
	uint64_t off = khz_pv > khz_scale ? khz_pv - khz_scale : khz_scale - khz_pv;
	check(off * 100 <= khz_scale, "TSC %lu kHz against TIME_NOW, %lu kHz by the kvmclock scale",
	      khz_pv, khz_scale);
}
