#include "core/main.h"
#include "core/arch.h"
#include "core/bundle.h"
#include "core/domain.h"
#include "core/domain_config.h"
#include "core/frame.h"
#include "core/log.h"
#include "core/sched.h"

static void debug_fault_on_this_cpu(void *kind)
{
	arch_debug_fault((enum debug_fault_kind)(uintptr_t)kind);
}

/* The fault stands in for a hypervisor bug, to test the panic path. */
static void debug_fault_run(const struct hv_options *opt)
{
	log_info("debug: provoking fault %d on cpu %u as asked\n",
		 (int)opt->debug_fault, opt->debug_fault_cpu);
	if (!arch_call_on_cpu(opt->debug_fault_cpu, debug_fault_on_this_cpu,
			      (void *)(uintptr_t)opt->debug_fault, true))
		log_err("debug: error: debug.fault_cpu=%u is not an online CPU\n",
			opt->debug_fault_cpu);
}

static unsigned start_domains(void)
{
	const char *why_not = "";

	if (!arch_virt_init(&why_not)) {
		log_err("virt: error: cannot run guests: %s; no domain will start\n",
			why_not);
		return 0;
	}
	log_info("virt: %s\n", arch_virt_features());
	return domain_start_auto();
}

void hv_main(const struct boot_info *bi, const struct hv_options *opt)
{
	bundle_init(bi);
	if (opt->debug_fault != DEBUG_FAULT_NONE)
		debug_fault_run(opt);

	unsigned domains = start_domains();
	console_printf("vesta ready: cpus=%u memory=%luMiB domains=%u\n",
		       arch_cpu_count(), frames_free_count() * PAGE_SIZE >> 20,
		       domains);
	arch_start_secondary_cpus(sched_run_this_cpu);
	sched_run_this_cpu();
}
