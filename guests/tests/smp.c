/* Every vCPU of the domain runs: the boot vCPU starts the others with
 * VESTA_HC_VCPU_UP (the count from DOMAIN_INFO); each does a locked add on
 * a shared counter and reports the vcpu_id DOMAIN_INFO gives it. Then each
 * blocks for 5 s and the boot vCPU wakes them all early with VCPU_WAKE.
 * cmdline timeout_ms=N (default 10000): how long to wait for them. */
#include "guest.h"

#define BLOCK_NS (5 * NS_PER_S)

static uint32_t reported;			/* locked adds */
static uint32_t reported_id[GUEST_MAX_VCPUS];	/* vcpu_id + 1, 0 = none */
static uint32_t blocking, woken;
static uint64_t slept_ns[GUEST_MAX_VCPUS];
static uint32_t woke[GUEST_MAX_VCPUS];

static void secondary(void *arg)
{
	uint32_t slot = (uint32_t)(uintptr_t)arg;
	struct vesta_domain_info info;
	bool ok = domain_info(&info);

	printf("smp: vCPU %u up, DOMAIN_INFO %s vcpu_id %u\n", slot,
	       ok ? "says" : "FAILED,", info.vcpu_id);
	__atomic_store_n(&reported_id[slot], ok ? info.vcpu_id + 1 : ~0u,
			 __ATOMIC_RELAXED);
	__asm__ volatile("lock addl $1, %0" : "+m"(reported) : : "memory");

	/* Block long; the boot vCPU wakes us early. */
	__atomic_fetch_add(&blocking, 1, __ATOMIC_RELEASE);
	uint64_t t0 = time_now();

	hc_block_until(t0 + BLOCK_NS);
	slept_ns[slot] = time_now() - t0;
	__atomic_store_n(&woke[slot], 1, __ATOMIC_RELEASE);
	__atomic_fetch_add(&woken, 1, __ATOMIC_RELEASE);
}

/* Waits (BLOCK_UNTIL in 1 ms steps) until *counter reaches want. */
static bool wait_for(uint32_t *counter, uint32_t want, uint64_t timeout_ns)
{
	uint64_t deadline = time_now() + timeout_ns;

	while (__atomic_load_n(counter, __ATOMIC_ACQUIRE) < want) {
		if (time_now() >= deadline)
			return false;
		block_until(time_now() + NS_PER_MS);
	}
	return true;
}

void guest_main(const struct pvh_start_info *si)
{
	struct vesta_domain_info info;
	uint64_t timeout_ms = 10000;

	(void)si;
	cmdline_get_u64(guest_cmdline(), "timeout_ms", &timeout_ms);
	if (!check(domain_info(&info), "DOMAIN_INFO on the boot vCPU"))
		return;
	check(info.vcpu_id == 0, "the boot vCPU is vcpu_id %u, want 0",
	      info.vcpu_id);

	uint32_t n = info.vcpu_count;

	if (n > GUEST_MAX_VCPUS) {
		printf("smp: %u vCPUs, the framework starts %u\n", n,
		       GUEST_MAX_VCPUS);
		n = GUEST_MAX_VCPUS;
	}
	if (n < 2) {
		skip("the domain has %u vCPU: nothing to start", n);
		return;
	}

	uint32_t started = 0;

	for (uint32_t id = 1; id < n; id++) {
		long r = vcpu_start(id, secondary, (void *)(uintptr_t)id);

		if (r == 0)
			started++;
		else
			fail("VCPU_UP(%u) -> %ld", id, r);
	}
	check(started == n - 1, "VCPU_UP started %u of %u secondary vCPUs",
	      started, n - 1);

	wait_for(&reported, started, timeout_ms * NS_PER_MS);
	uint32_t count = __atomic_load_n(&reported, __ATOMIC_ACQUIRE);

	check(count == n - 1, "%u of %u secondary vCPUs ran and reported", count,
	      n - 1);

	unsigned bad = 0;

	for (uint32_t id = 1; id < n; id++) {
		uint32_t got = __atomic_load_n(&reported_id[id], __ATOMIC_RELAXED);

		if (got != id + 1) {
			fail("vCPU %u reported vcpu_id %d", id, (int)got - 1);
			bad++;
		}
	}
	if (bad == 0)
		pass("every vCPU saw its own vcpu_id in DOMAIN_INFO");

	long r = hc_vcpu_up(1, 0, 0, 0);

	check(r == -VESTA_EBUSY, "VCPU_UP(1) of a running vCPU -> %ld, want "
	      "-EBUSY", r);

	/* VCPU_WAKE: the secondaries block for 5 s; wake them (again and
	 * again: a wake that comes before the block finds nothing to do). */
	wait_for(&blocking, count, timeout_ms * NS_PER_MS);
	sleep_ns(20 * NS_PER_MS);
	uint64_t deadline = time_now() + 3 * NS_PER_S;

	long wake_error = 0;

	while (__atomic_load_n(&woken, __ATOMIC_ACQUIRE) < count &&
	       time_now() < deadline) {
		for (uint32_t id = 1; id < n; id++) {
			if (__atomic_load_n(&woke[id], __ATOMIC_ACQUIRE))
				continue;
			r = hc_vcpu_wake(id);
			if (r != 0 && wake_error == 0) {
				fail("VCPU_WAKE(%u) -> %ld", id, r);
				wake_error = r;
			}
		}
		sleep_ns(10 * NS_PER_MS);
	}

	uint32_t early = 0;
	uint64_t longest = 0;

	for (uint32_t id = 1; id < n; id++) {
		if (!__atomic_load_n(&woke[id], __ATOMIC_ACQUIRE))
			continue;
		if (slept_ns[id] < BLOCK_NS)
			early++;
		if (slept_ns[id] > longest)
			longest = slept_ns[id];
	}
	check(early == count, "VCPU_WAKE woke %u of %u blocked vCPUs before "
	      "their 5 s deadline (longest sleep %lu ms)", early, count,
	      longest / NS_PER_MS);
}
