#include "arch/x86/smp.h"
#include "arch/x86/cpu.h"
#include "arch/x86/lapic.h"
#include "arch/x86/layout.h"
#include "arch/x86/paging.h"
#include "arch/x86/percpu.h"
#include "arch/x86/trap.h"
#include "arch/x86/tsc.h"
#include "core/frame.h"
#include "core/log.h"
#include "core/panic.h"
#include "lib/string.h"

/* INIT-SIPI-SIPI delays, from the MP specification's universal start-up
 * algorithm (B.4), and how long we give an AP to come up under emulation. */
#define INIT_DELAY_US 10000
#define SIPI_DELAY_US 200
#define AP_ONLINE_TIMEOUT_US 2000000
#define PANIC_STOP_TIMEOUT_US 100000

struct ap_params {
	uint64_t cr3;
	uint64_t stack_top;
	uint64_t percpu;
	uint64_t entry;
};

extern const char ap_trampoline_start[], ap_trampoline_end[];
extern const struct ap_params ap_params;
extern const char boot_stack[];
extern const char boot_pml4[];

struct percpu percpu_table[MAX_CPUS];
unsigned cpus_online;
unsigned cpus_present;
static unsigned cpus_stopped_by_panic;

static uint8_t boot_cpu_ist_stacks[IST_COUNT][IST_STACK_SIZE]
	__attribute__((aligned(16)));

unsigned arch_cpu_count(void)
{
	return __atomic_load_n(&cpus_online, __ATOMIC_ACQUIRE);
}

unsigned arch_this_cpu(void)
{
	return this_cpu()->index;
}

void arch_halt(void)
{
	cpu_halt_forever();
}

static void call_function_interrupt(struct trap_frame *f)
{
	struct cpu_call *call = &this_cpu()->call;
	void (*fn)(void *) = call->fn;
	void *arg = call->arg;

	(void)f;
	lapic_eoi();
	call->fn = NULL;
	fn(arg);
	__atomic_store_n(&call->done, 1, __ATOMIC_RELEASE);
}

bool arch_call_on_cpu(unsigned index, void (*fn)(void *), void *arg, bool wait)
{
	if (index >= cpus_present || !percpu_table[index].online)
		return false;
	struct percpu *target = &percpu_table[index];
	if (target == this_cpu()) {
		fn(arg);
		return true;
	}
	struct cpu_call *call = &target->call;
	spin_lock(&call->lock);
	call->arg = arg;
	__atomic_store_n(&call->done, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&call->fn, fn, __ATOMIC_RELEASE);
	lapic_send_ipi(target->apic_id, VEC_CALL_FUNCTION);
	/* The target clears fn once it has taken fn and arg. */
	while (__atomic_load_n(&call->fn, __ATOMIC_ACQUIRE) != NULL)
		cpu_relax();
	if (wait)
		while (!__atomic_load_n(&call->done, __ATOMIC_ACQUIRE))
			cpu_relax();
	spin_unlock(&call->lock);
	return true;
}

unsigned arch_stop_other_cpus(void)
{
	struct percpu *self = this_cpu();
	unsigned others = 0;

	for (unsigned i = 0; i < cpus_present; i++) {
		struct percpu *c = &percpu_table[i];
		if (c == self || !c->online)
			continue;
		lapic_send_nmi(c->apic_id);
		others++;
	}
	uint64_t deadline = rdtsc() + ns_to_tsc(PANIC_STOP_TIMEOUT_US * 1000);
	while (__atomic_load_n(&cpus_stopped_by_panic, __ATOMIC_ACQUIRE) < others &&
	       rdtsc() < deadline)
		cpu_relax();
	return __atomic_load_n(&cpus_stopped_by_panic, __ATOMIC_ACQUIRE);
}

void smp_stopped_by_panic(void)
{
	__atomic_fetch_add(&cpus_stopped_by_panic, 1, __ATOMIC_RELEASE);
	cpu_halt_forever();
}

static void percpu_set_stacks(struct percpu *cpu, uint64_t stack_base,
			      uint8_t (*ist)[IST_STACK_SIZE])
{
	cpu->stack_base = stack_base;
	cpu->stack_top = stack_base + CPU_STACK_SIZE;
	for (unsigned i = 0; i < IST_COUNT; i++)
		cpu->tss.ist[i] = (uint64_t)(uintptr_t)ist[i] + IST_STACK_SIZE;
}

void smp_init_boot_cpu(void)
{
	struct percpu *cpu = &percpu_table[0];

	cpu->index = 0;
	percpu_set_stacks(cpu, (uint64_t)(uintptr_t)boot_stack,
			  boot_cpu_ist_stacks);
	percpu_load(cpu);
	cpus_present = 1;
	cpus_online = 1;
}

/* What the secondary CPUs run once the boot is done (the scheduler). */
static void (*volatile secondary_main)(void);

void arch_start_secondary_cpus(void (*fn)(void))
{
	secondary_main = fn;
	for (unsigned i = 1; i < cpus_present; i++)
		if (percpu_table[i].online)
			lapic_send_ipi(percpu_table[i].apic_id, VEC_RESCHEDULE);
}

static __attribute__((noreturn)) void ap_entry(struct percpu *cpu)
{
	paging_load();
	percpu_load(cpu);
	lapic_init_cpu();
	__atomic_store_n(&cpu->online, true, __ATOMIC_RELEASE);
	while (!secondary_main)
		cpu_wait_for_interrupt();
	secondary_main();
	cpu_halt_forever();
}

static bool ap_allocate_stacks(struct percpu *cpu)
{
	uint64_t stack = frame_alloc(CPU_STACK_SIZE / PAGE_SIZE, 1);
	uint64_t ist = frame_alloc(IST_COUNT * IST_STACK_SIZE / PAGE_SIZE, 1);

	if (!stack || !ist) {
		if (stack)
			frame_free(stack, CPU_STACK_SIZE / PAGE_SIZE);
		if (ist)
			frame_free(ist, IST_COUNT * IST_STACK_SIZE / PAGE_SIZE);
		return false;
	}
	percpu_set_stacks(cpu, stack, (uint8_t (*)[IST_STACK_SIZE])(uintptr_t)ist);
	return true;
}

static bool ap_start(struct percpu *cpu)
{
	struct ap_params *params = (struct ap_params *)(uintptr_t)(
		TRAMPOLINE_PHYS + ((const char *)&ap_params - ap_trampoline_start));

	params->cr3 = (uint64_t)(uintptr_t)boot_pml4;
	params->stack_top = cpu->stack_top;
	params->percpu = (uint64_t)(uintptr_t)cpu;
	params->entry = (uint64_t)(uintptr_t)ap_entry;

	lapic_send_init(cpu->apic_id);
	tsc_delay_us(INIT_DELAY_US);
	for (unsigned attempt = 0; attempt < 2; attempt++) {
		lapic_send_startup(cpu->apic_id, TRAMPOLINE_PHYS);
		tsc_delay_us(SIPI_DELAY_US);
		if (__atomic_load_n(&cpu->online, __ATOMIC_ACQUIRE))
			return true;
	}
	uint64_t deadline = rdtsc() + ns_to_tsc(AP_ONLINE_TIMEOUT_US * 1000);
	while (rdtsc() < deadline)
		if (__atomic_load_n(&cpu->online, __ATOMIC_ACQUIRE))
			return true;
	return false;
}

unsigned smp_start_secondary_cpus(const struct madt_info *madt)
{
	struct percpu *boot = &percpu_table[0];

	boot->apic_id = lapic_id();
	boot->online = true;
	cpus_online = 1;
	trap_set_irq_handler(VEC_CALL_FUNCTION, call_function_interrupt);
	memcpy((void *)(uintptr_t)TRAMPOLINE_PHYS, ap_trampoline_start,
	       (size_t)(ap_trampoline_end - ap_trampoline_start));

	for (size_t i = 0; i < madt->cpu_count; i++) {
		uint32_t apic_id = madt->cpus[i].apic_id;
		if (apic_id == boot->apic_id)
			continue;
		if (cpus_present == MAX_CPUS) {
			log_warn("smp: warning: more than %u CPUs; the rest stay off\n",
				 MAX_CPUS);
			break;
		}
		struct percpu *cpu = &percpu_table[cpus_present];
		cpu->index = cpus_present;
		cpu->apic_id = apic_id;
		if (!ap_allocate_stacks(cpu)) {
			log_err("smp: error: no memory for CPU %u's stacks\n", cpu->index);
			break;
		}
		/* A CPU that does not answer keeps its slot and stacks: it
		 * may still wake up late and use them. */
		cpus_present++;
		if (!ap_start(cpu)) {
			log_err("smp: error: CPU with APIC id %u did not start\n", apic_id);
			continue;
		}
		cpus_online++;
		log_debug("smp: cpu %u (APIC id %u) online\n", cpu->index, apic_id);
	}
	return cpus_online;
}
