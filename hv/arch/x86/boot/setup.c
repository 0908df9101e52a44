/* From entry.S to hv_main: the x86 half of the boot flow in
 * docs/architecture.md. Runs on the boot CPU with interrupts off. */
#include "arch/x86/acpi.h"
#include "arch/x86/boot/boot_protocols.h"
#include "arch/x86/cpu.h"
#include "arch/x86/lapic.h"
#include "arch/x86/layout.h"
#include "arch/x86/paging.h"
#include "arch/x86/percpu.h"
#include "arch/x86/pic.h"
#include "arch/x86/smp.h"
#include "arch/x86/trap.h"
#include "arch/x86/tsc.h"
#include "arch/x86/uart.h"
#include "core/frame.h"
#include "core/log.h"
#include "core/main.h"
#include "core/panic.h"
#include "core/xmalloc.h"

#define LOW_MEMORY_END 0x100000	/* real-mode memory: BIOS data, trampoline */
#define BOOT_MAPPED_LIMIT (4ull << 30)	/* what entry.S maps */
#define TIMER_TEST_US 1000
#define TIMER_TEST_TIMEOUT_US 100000

extern const char __image_start[], __image_end[];

static struct boot_info boot_info;
static struct memmap memory;
static struct madt_info host_madt;
static struct hv_options options;

void arch_idle(void)
{
	cpu_wait_for_interrupt();
}

void arch_panic_stack_trace(void)
{
	struct percpu *cpu = this_cpu();
	uint64_t rbp = (uint64_t)(uintptr_t)__builtin_frame_address(0);

	panic_print_stack_trace((uint64_t)(uintptr_t)__builtin_return_address(0),
				*(uint64_t *)(uintptr_t)rbp, cpu->stack_base,
				cpu->stack_top);
}

static void read_boot_info(uint32_t protocol, uint64_t info)
{
	bool ok = protocol == BOOT_PROTOCOL_PVH
			  ? pvh_read_boot_info(info, &boot_info)
			  : multiboot2_read_boot_info(info, &boot_info);

	if (!ok)
		panic("boot: cannot continue without a memory map\n");
}

static void log_memory_map(const struct memmap *m)
{
	for (size_t i = 0; i < m->count; i++)
		log_debug("memory: 0x%012lx-0x%012lx %s\n", m->ranges[i].base,
			  m->ranges[i].base + m->ranges[i].size - 1,
			  memmap_type_name(m->ranges[i].type));
}

/* Everything the frame allocator must never hand out, but ACPI's tables,
 * which acpi_read_host_tables() reserves itself. */
static void reserve_boot_memory(struct memmap *m, const struct boot_info *bi)
{
	memmap_reserve(m, 0, LOW_MEMORY_END);
	memmap_reserve(m, (uint64_t)(uintptr_t)__image_start,
		       (uint64_t)(__image_end - __image_start));
	for (size_t i = 0; i < bi->module_count; i++)
		memmap_reserve(m, bi->modules[i].phys, bi->modules[i].size);
}

static void memory_init(void)
{
	memory = boot_info.memmap;
	memmap_normalize(&memory);
	reserve_boot_memory(&memory, &boot_info);
	acpi_read_host_tables(&boot_info, &memory, &host_madt);
	log_memory_map(&memory);
	frames_init(&memory, BOOT_MAPPED_LIMIT);
	paging_init(&memory);
	xmalloc_init();
	log_info("memory: %lu MiB of RAM, %lu MiB free after the hypervisor's own\n",
		 (memmap_bytes_of_type(&memory, MEMMAP_USABLE) +
		  memmap_bytes_of_type(&memory, MEMMAP_HYPERVISOR)) >> 20,
		 frames_free_count() * PAGE_SIZE >> 20);
}

/* Arms the timer once and checks that its interrupt arrives. */
static void timer_self_test(void)
{
	struct percpu *cpu = this_cpu();
	uint64_t before = cpu->timer_interrupts;
	uint64_t start = rdtsc();
	uint64_t timeout = start + ns_to_tsc(TIMER_TEST_TIMEOUT_US * 1000);

	lapic_timer_arm(start + ns_to_tsc(TIMER_TEST_US * 1000));
	irq_enable();
	while (cpu->timer_interrupts == before && rdtsc() < timeout)
		cpu_relax();
	irq_disable();
	if (cpu->timer_interrupts == before) {
		log_err("time: error: the local APIC timer did not fire within %u us\n",
			TIMER_TEST_TIMEOUT_US);
		return;
	}
	log_info("time: local APIC timer (%s) fired %lu us after a %u us request\n",
		 lapic_timer_mode_name(), tsc_to_ns(rdtsc() - start) / 1000,
		 TIMER_TEST_US);
}

static void time_init(void)
{
	const char *source = tsc_calibrate();

	log_info("time: TSC at %lu kHz (%s)\n", tsc_khz(), source);
	lapic_timer_init();
	timer_self_test();
	host_rtc_read();
}

void boot_main(uint32_t protocol, uint64_t info);

void boot_main(uint32_t protocol, uint64_t info)
{
	uart_init();
	idt_init();
	smp_init_boot_cpu();
	pic_disable();
	console_printf("\nVesta hypervisor starting\n");

	read_boot_info(protocol, info);
	options_parse(boot_info.cmdline, &options);
	log_info("boot: %s, command line '%s'\n", boot_info.protocol,
		 boot_info.cmdline);
	memory_init();
	lapic_init_cpu();
	time_init();
	unsigned cpus = smp_start_secondary_cpus(&host_madt);
	log_info("smp: %u CPUs online\n", cpus);
	hv_main(&boot_info, &options);
}
