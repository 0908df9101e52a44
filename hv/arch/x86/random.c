/* Random bytes from the CPU's RDRAND (CPUID.1:ECX[30]), for virtio-rng. */
#include "arch/x86/cpu.h"
#include "core/arch.h"
#include "lib/string.h"

#define CPUID_1_ECX_RDRAND (1u << 30)
/* RDRAND can fail (CF = 0) when its buffer is drained for a moment; the
 * vendors' guidance is to retry ten times before calling it broken. */
#define RDRAND_RETRIES 10

bool arch_has_random(void)
{
	return cpuid(1, 0).ecx & CPUID_1_ECX_RDRAND;
}

static bool rdrand64(uint64_t *out)
{
	for (int i = 0; i < RDRAND_RETRIES; i++) {
		uint8_t ok;

		__asm__ volatile("rdrand %0; setc %1" : "=r"(*out), "=qm"(ok) :: "cc");
		if (ok)
			return true;
	}
	return false;
}

bool arch_random_bytes(void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		uint64_t v;
		size_t n = len < sizeof(v) ? len : sizeof(v);

		if (!rdrand64(&v))
			return false;
		memcpy(p, &v, n);
		p += n;
		len -= n;
	}
	return true;
}
