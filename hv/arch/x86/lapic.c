#include "arch/x86/lapic.h"
#include "arch/x86/cpu.h"
#include "arch/x86/msr.h"
#include "arch/x86/percpu.h"
#include "arch/x86/tsc.h"
#include "arch/x86/trap.h"

/* xAPIC register offsets, AMD APM vol. 2, 16.3 "Local APIC". */
#define LAPIC_ID 0x020
#define LAPIC_TPR 0x080
#define LAPIC_EOI 0x0b0
#define LAPIC_SVR 0x0f0
#define LAPIC_ESR 0x280
#define LAPIC_ICR_LOW 0x300
#define LAPIC_ICR_HIGH 0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_THERMAL 0x330
#define LAPIC_LVT_PERF 0x340
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_LINT1 0x360
#define LAPIC_LVT_ERROR 0x370
#define LAPIC_TIMER_INITIAL 0x380
#define LAPIC_TIMER_CURRENT 0x390
#define LAPIC_TIMER_DIVIDE 0x3e0

#define SVR_APIC_ENABLE (1u << 8)
#define LVT_MASKED (1u << 16)
#define LVT_TIMER_ONESHOT (0u << 17)
#define LVT_TIMER_TSC_DEADLINE (2u << 17)
#define TIMER_DIVIDE_BY_16 0x3

/* ICR fields, AMD APM vol. 2, 16.5 "Interprocessor Interrupts". */
#define ICR_FIXED (0u << 8)
#define ICR_NMI (4u << 8)
#define ICR_INIT (5u << 8)
#define ICR_STARTUP (6u << 8)
#define ICR_DELIVERY_PENDING (1u << 12)
#define ICR_LEVEL_ASSERT (1u << 14)
#define ICR_DEST_SHIFT 24

/* CPUID Fn0000_0001 ECX[24]: TSC-deadline timer mode. */
#define CPUID_1_ECX_TSC_DEADLINE (1u << 24)

#define LAPIC_CALIBRATION_US 10000

static volatile uint32_t *lapic_mmio;
static bool timer_uses_tsc_deadline;
static uint64_t timer_khz;

static uint32_t lapic_read(uint32_t reg)
{
	return lapic_mmio[reg / 4];
}

static void lapic_write(uint32_t reg, uint32_t value)
{
	lapic_mmio[reg / 4] = value;
}

static void (*timer_handler)(void);

void lapic_timer_set_handler(void (*fn)(void))
{
	timer_handler = fn;
}

static void lapic_timer_interrupt(struct trap_frame *f)
{
	(void)f;
	this_cpu()->timer_interrupts++;
	lapic_eoi();
	if (timer_handler)
		timer_handler();
}

static void lapic_error_interrupt(struct trap_frame *f)
{
	(void)f;
	lapic_write(LAPIC_ESR, 0);
	lapic_eoi();
}

void lapic_init_cpu(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);

	wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE);
	lapic_mmio = (volatile uint32_t *)(uintptr_t)(base & APIC_BASE_ADDR_MASK);
	lapic_write(LAPIC_TPR, 0);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
	lapic_write(LAPIC_LVT_THERMAL, LVT_MASKED);
	lapic_write(LAPIC_LVT_PERF, LVT_MASKED);
	lapic_write(LAPIC_LVT_LINT0, LVT_MASKED);
	lapic_write(LAPIC_LVT_LINT1, LVT_MASKED);
	lapic_write(LAPIC_LVT_ERROR, VEC_LAPIC_ERROR);
	lapic_write(LAPIC_ESR, 0);
	lapic_write(LAPIC_SVR, SVR_APIC_ENABLE | VEC_SPURIOUS);
	trap_set_irq_handler(VEC_LAPIC_TIMER, lapic_timer_interrupt);
	trap_set_irq_handler(VEC_LAPIC_ERROR, lapic_error_interrupt);
}

uint32_t lapic_id(void)
{
	return lapic_read(LAPIC_ID) >> 24;
}

void lapic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}

static void lapic_send_icr(uint32_t apic_id, uint32_t low)
{
	lapic_write(LAPIC_ICR_HIGH, apic_id << ICR_DEST_SHIFT);
	lapic_write(LAPIC_ICR_LOW, low);
	while (lapic_read(LAPIC_ICR_LOW) & ICR_DELIVERY_PENDING)
		cpu_relax();
}

void lapic_send_ipi(uint32_t apic_id, uint8_t vector)
{
	lapic_send_icr(apic_id, ICR_FIXED | ICR_LEVEL_ASSERT | vector);
}

void lapic_send_nmi(uint32_t apic_id)
{
	lapic_send_icr(apic_id, ICR_NMI | ICR_LEVEL_ASSERT);
}

void lapic_send_init(uint32_t apic_id)
{
	lapic_send_icr(apic_id, ICR_INIT | ICR_LEVEL_ASSERT);
}

void lapic_send_startup(uint32_t apic_id, uint32_t trampoline_phys)
{
	lapic_send_icr(apic_id, ICR_STARTUP | (trampoline_phys >> 12));
}

/* Counts timer ticks over a TSC-measured interval. */
static uint64_t lapic_timer_measure_khz(void)
{
	lapic_write(LAPIC_TIMER_DIVIDE, TIMER_DIVIDE_BY_16);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | LVT_TIMER_ONESHOT);
	lapic_write(LAPIC_TIMER_INITIAL, 0xffffffffu);
	tsc_delay_us(LAPIC_CALIBRATION_US);
	uint32_t elapsed = 0xffffffffu - lapic_read(LAPIC_TIMER_CURRENT);
	lapic_write(LAPIC_TIMER_INITIAL, 0);
	return (uint64_t)elapsed * 1000 / LAPIC_CALIBRATION_US;
}

void lapic_timer_init(void)
{
	timer_uses_tsc_deadline =
		cpuid(1, 0).ecx & CPUID_1_ECX_TSC_DEADLINE;
	if (!timer_uses_tsc_deadline)
		timer_khz = lapic_timer_measure_khz();
}

void lapic_timer_arm(uint64_t tsc_deadline)
{
	if (timer_uses_tsc_deadline) {
		lapic_write(LAPIC_LVT_TIMER, LVT_TIMER_TSC_DEADLINE | VEC_LAPIC_TIMER);
		wrmsr(MSR_TSC_DEADLINE, tsc_deadline);
		return;
	}
	uint64_t now = rdtsc();
	uint64_t delta_ns = tsc_deadline > now ? tsc_to_ns(tsc_deadline - now) : 0;
	uint64_t ticks = delta_ns * timer_khz / 1000000;

	if (ticks == 0)
		ticks = 1;
	if (ticks > 0xffffffffu)
		ticks = 0xffffffffu;
	lapic_write(LAPIC_TIMER_DIVIDE, TIMER_DIVIDE_BY_16);
	lapic_write(LAPIC_LVT_TIMER, LVT_TIMER_ONESHOT | VEC_LAPIC_TIMER);
	lapic_write(LAPIC_TIMER_INITIAL, (uint32_t)ticks);
}

void lapic_timer_cancel(void)
{
	if (timer_uses_tsc_deadline)
		wrmsr(MSR_TSC_DEADLINE, 0);
	else
		lapic_write(LAPIC_TIMER_INITIAL, 0);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
}

const char *lapic_timer_mode_name(void)
{
	return timer_uses_tsc_deadline ? "TSC-deadline" : "one-shot";
}

uint64_t lapic_timer_khz(void)
{
	return timer_khz;
}
