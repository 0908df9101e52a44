/* The virtual local APIC (vdev/vlapic.c) in x2APIC mode, or with cmdline
 * `xapic` through its MMIO page (decoded and emulated by the monitor): its
 * timer in one-shot, periodic and TSC-deadline modes, HLT waking on it,
 * the TPR holding an interrupt back, a self-IPI, an IPI to another vCPU,
 * and COM1's interrupt through the I/O APIC. Wants vcpus >= 2. */
#include "guest.h"

/* x2APIC MSRs, Intel SDM vol. 3, table 11-6. */
#define MSR_APIC_BASE 0x1b
#define APIC_BASE_EXTD (1ull << 10)
#define APIC_BASE_ENABLE (1ull << 11)
#define MSR_TSC_DEADLINE 0x6e0
#define X2APIC_ID 0x802
#define X2APIC_TPR 0x808
#define X2APIC_EOI 0x80b
#define X2APIC_SVR 0x80f
#define X2APIC_ICR 0x830
#define X2APIC_LVT_TIMER 0x832
#define X2APIC_TIMER_INITIAL 0x838
#define X2APIC_TIMER_DIVIDE 0x83e
#define X2APIC_SELF_IPI 0x83f
#define SVR_ENABLE 0x100
#define TIMER_PERIODIC (1u << 17)
#define TIMER_TSC_DEADLINE (2u << 17)
#define DIVIDE_BY_1 0xb
#define VEC_TIMER 0x40
#define VEC_SELF 0x41
#define VEC_IPI 0x42
#define LATE_TOLERANCE_NS (20 * NS_PER_MS)	/* emulation is slow */

#define XAPIC_BASE 0xfee00000ull
#define IOAPIC_BASE 0xfec00000ull
#define VEC_COM1 0x43
#define COM1 0x3f8

static volatile uint32_t timer_count, self_count, ipi_count, com1_count;
static volatile uint32_t secondary_ready;
static bool use_xapic;

/* The same registers by either path: x2APIC MSR 0x800 + offset / 16, or
 * the xAPIC page at offset (the ICR split in two 32-bit halves). */
static void apic_write(uint32_t msr, uint64_t value)
{
	if (!use_xapic) {
		wrmsr(msr, value);
		return;
	}
	volatile uint32_t *page = phys_map(XAPIC_BASE);
	uint32_t offset = (msr - 0x800) << 4;
	if (msr == 0x830)
		page[0x310 / 4] = (uint32_t)(value >> 32) << 24;
	page[offset / 4] = (uint32_t)value;
}

static uint64_t apic_read(uint32_t msr)
{
	if (!use_xapic)
		return rdmsr(msr);
	volatile uint32_t *page = phys_map(XAPIC_BASE);
	uint32_t v = page[((msr - 0x800) << 4) / 4];
	return msr == 0x802 ? v >> 24 : v;
}

static void on_interrupt(uint8_t vector)
{
	if (vector == VEC_TIMER)
		timer_count++;
	else if (vector == VEC_SELF)
		self_count++;
	else if (vector == VEC_COM1)
		com1_count++, inb(COM1 + 2);	/* reading IIR acknowledges */
	else
		ipi_count++;
	apic_write(X2APIC_EOI, 0);
}

static void x2apic_enable(void)
{
	if (!use_xapic)
		wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | APIC_BASE_EXTD | APIC_BASE_ENABLE);
	apic_write(X2APIC_SVR, SVR_ENABLE | 0xff);
}

/* Halts with interrupts on until *counter reaches want or the time runs out. */
static bool halt_until(volatile uint32_t *counter, uint32_t want, uint64_t timeout_ns)
{
	uint64_t deadline = time_now() + timeout_ns;

	while (*counter < want && time_now() < deadline)
		__asm__ volatile("sti; hlt; cli" ::: "memory");
	return *counter >= want;
}

static void check_one_shot(void)
{
	timer_count = 0;
	apic_write(X2APIC_TIMER_DIVIDE, DIVIDE_BY_1);
	apic_write(X2APIC_LVT_TIMER, VEC_TIMER);
	uint64_t t0 = time_now();
	apic_write(X2APIC_TIMER_INITIAL, 2 * NS_PER_MS);	/* 1 GHz bus clock */
	bool fired = halt_until(&timer_count, 1, NS_PER_S);
	uint64_t took = time_now() - t0;
	check(fired && took >= 2 * NS_PER_MS && took < 2 * NS_PER_MS + LATE_TOLERANCE_NS,
	      "one-shot 2 ms timer woke HLT after %lu us", took / 1000);
}

static void check_periodic(void)
{
	timer_count = 0;
	apic_write(X2APIC_LVT_TIMER, VEC_TIMER | TIMER_PERIODIC);
	uint64_t t0 = time_now();
	apic_write(X2APIC_TIMER_INITIAL, NS_PER_MS);
	bool ok = halt_until(&timer_count, 20, NS_PER_S);
	uint64_t took = time_now() - t0;
	apic_write(X2APIC_TIMER_INITIAL, 0);
	check(ok && took >= 19 * NS_PER_MS,
	      "periodic 1 ms timer: 20 ticks in %lu us", took / 1000);
}

static void check_tsc_deadline(void)
{
	timer_count = 0;
	apic_write(X2APIC_LVT_TIMER, VEC_TIMER | TIMER_TSC_DEADLINE);
	uint64_t t0 = time_now();
	uint64_t tsc0 = rdtsc();
	wrmsr(MSR_TSC_DEADLINE, tsc0 + 5000000);	/* some ms at GHz rates */
	bool fired = halt_until(&timer_count, 1, NS_PER_S);
	check(fired && rdtsc() >= tsc0 + 5000000,
	      "TSC-deadline timer fired after %lu us", (time_now() - t0) / 1000);
}

static void check_tpr_holds_back(void)
{
	self_count = 0;
	apic_write(X2APIC_TPR, 0x50);	/* above the 0x4x class */
	if (use_xapic)
		apic_write(X2APIC_ICR, (1u << 18) | VEC_SELF);	/* shorthand: self */
	else
		apic_write(X2APIC_SELF_IPI, VEC_SELF);
	__asm__ volatile("sti; nop; nop; nop; cli" ::: "memory");
	check(self_count == 0, "TPR 0x50 holds back vector %#x", VEC_SELF);
	apic_write(X2APIC_TPR, 0);
	check(halt_until(&self_count, 1, NS_PER_S),
	      "the self-IPI arrives once TPR is 0");
}

static void secondary(void *arg)
{
	(void)arg;
	trap_load();
	x2apic_enable();
	__atomic_store_n(&secondary_ready, 1, __ATOMIC_RELEASE);
	halt_until(&ipi_count, 1, 5 * NS_PER_S);
}

static void check_ipi_to_other_vcpu(void)
{
	struct vesta_domain_info info;

	if (!domain_info(&info) || info.vcpu_count < 2) {
		skip("IPI to another vCPU: the domain has one vCPU");
		return;
	}
	check(vcpu_start(1, secondary, NULL) == 0, "vCPU 1 starts");
	uint64_t deadline = time_now() + 5 * NS_PER_S;
	while (!__atomic_load_n(&secondary_ready, __ATOMIC_ACQUIRE) && time_now() < deadline)
		block_until(time_now() + NS_PER_MS);
	sleep_ns(5 * NS_PER_MS);	/* let it reach HLT */
	apic_write(X2APIC_ICR, ((uint64_t)1 << 32) | VEC_IPI);	/* fixed, physical, to id 1 */
	deadline = time_now() + 5 * NS_PER_S;
	while (ipi_count == 0 && time_now() < deadline)
		block_until(time_now() + NS_PER_MS);
	check(ipi_count == 1, "a fixed IPI wakes vCPU 1 from HLT");
}

/* COM1's THR-empty interrupt, IRQ 4, routed by the I/O APIC. */
static void check_com1_through_ioapic(void)
{
	volatile uint32_t *ioapic = phys_map(IOAPIC_BASE);

	ioapic[0] = 0x10 + 2 * 4 + 1;	/* redirection entry 4, high: dest 0 */
	ioapic[4] = 0;
	ioapic[0] = 0x10 + 2 * 4;	/* low: edge, fixed, unmasked */
	ioapic[4] = VEC_COM1;
	check((ioapic[4] & 0xff) == VEC_COM1, "I/O APIC entry 4 reads back");
	com1_count = 0;
	outb(COM1 + 1, 0x02);		/* IER: THR empty */
	check(halt_until(&com1_count, 1, NS_PER_S),
	      "COM1's interrupt arrives through the I/O APIC");
	outb(COM1 + 1, 0);
}

void guest_main(const struct pvh_start_info *si)
{
	char value[4];

	(void)si;
	use_xapic = cmdline_get(guest_cmdline(), "xapic", value, sizeof(value));
	irq_set_handler(VEC_COM1, on_interrupt);
	irq_set_handler(VEC_TIMER, on_interrupt);
	irq_set_handler(VEC_SELF, on_interrupt);
	irq_set_handler(VEC_IPI, on_interrupt);
	x2apic_enable();
	uint64_t base = rdmsr(MSR_APIC_BASE) & (APIC_BASE_EXTD | APIC_BASE_ENABLE);
	check(base == (use_xapic ? APIC_BASE_ENABLE : APIC_BASE_EXTD | APIC_BASE_ENABLE),
	      "%s mode is on", use_xapic ? "xAPIC" : "x2APIC");
	check(apic_read(X2APIC_ID) == 0, "the boot vCPU's x2APIC id is 0");
	check_one_shot();
	check_periodic();
	check_tsc_deadline();
	check_tpr_holds_back();
	check_com1_through_ioapic();
	check_ipi_to_other_vcpu();
}
