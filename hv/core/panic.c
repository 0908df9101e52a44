#include "core/panic.h"
#include "core/arch.h"
#include "core/log.h"
#include "core/symbols.h"

#define PANIC_NO_CPU 0xffffffffu
#define STACK_TRACE_MAX_FRAMES 32

static unsigned panic_cpu = PANIC_NO_CPU;

bool panic_in_progress(void)
{
	return __atomic_load_n(&panic_cpu, __ATOMIC_SEQ_CST) != PANIC_NO_CPU;
}

bool panic_begin(void)
{
	unsigned expected = PANIC_NO_CPU;

	arch_irq_save();
	if (!__atomic_compare_exchange_n(&panic_cpu, &expected,
					 arch_this_cpu(), false,
					 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		return false;
	log_enter_panic_mode();
	return true;
}

void panic_end(void)
{
	unsigned others = arch_cpu_count() - 1;
	unsigned stopped = arch_stop_other_cpus();

	if (stopped == others)
		console_printf("PANIC: all CPUs stopped\n");
	else
		console_printf("PANIC: %u of %u other CPUs did not stop; all CPUs stopped that could be\n",
			       others - stopped, others);
	arch_halt();
}

static void print_frame(unsigned depth, uint64_t addr)
{
	const char *name;
	uint64_t offset;

	if (symbol_lookup(addr, &name, &offset))
		console_printf("  #%-2u %#018lx %s+%#lx\n", depth, addr, name,
			       offset);
	else
		console_printf("  #%-2u %#018lx\n", depth, addr);
}

void panic_print_stack_trace(uint64_t rip, uint64_t rbp, uint64_t lo,
			     uint64_t hi)
{
	unsigned depth = 0;

	console_printf("stack trace:\n");
	print_frame(depth++, rip);
	/* Each frame: [rbp] = caller's rbp, [rbp + 8] = return address. */
	while (depth < STACK_TRACE_MAX_FRAMES && rbp >= lo && rbp + 16 <= hi &&
	       (rbp & 7) == 0) {
		const uint64_t *frame = (const uint64_t *)(uintptr_t)rbp;
		if (frame[1] == 0)
			break;
		print_frame(depth++, frame[1]);
		if (frame[0] <= rbp)
			break;
		rbp = frame[0];
	}
}

void panic(const char *fmt, ...)
{
	va_list ap;

	if (!panic_begin())
		arch_halt();
	console_printf("PANIC: cpu %u: ", arch_this_cpu());
	va_start(ap, fmt);
	console_vprintf(fmt, ap);
	va_end(ap);
	arch_panic_stack_trace();
	panic_end();
}
