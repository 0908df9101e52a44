#include "core/main.h"
#include "core/arch.h"
#include "core/bundle.h"
#include "core/domain.h"
#include "core/domain_config.h"
#include "core/frame.h"
#include "core/log.h"
#include "core/mgmt.h"
#include "core/sched.h"
#include "core/shell.h"
#include "lib/cpu_burn.h"

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

/* The benchmark's reference: the guests' CPU-bound loop, on the monitor. */
static void debug_burn_run(uint64_t iterations)
{
	uint64_t start = arch_time_ns();
	uint64_t result = cpu_burn(iterations, 1);
	uint64_t ns = arch_time_ns() - start;

	log_info("debug: burn: %lu iterations in %lu ns on the monitor (%#lx)\n",
		 iterations, ns, result);
}

static void churn_first(const struct cpio_file *f, void *path)
{
	const char **first = path;

	if (!*first)
		*first = f->name;
}

/* Creates and destroys the first auto/ config `cycles` times: every frame
 * must come back. */
static void debug_churn_run(uint64_t cycles)
{
	const char *path = NULL;

	bundle_for_each("auto/", churn_first, &path);
	if (!path) {
		log_err("debug: error: debug.churn needs a config under auto/\n");
		return;
	}
	uint64_t before = frames_free_count();
	uint64_t done = 0;
	for (; done < cycles; done++) {
		struct domain *d = domain_create_from_bundle(path);
		if (!d)
			break;
		domain_destroy(d);
	}
	uint64_t after = frames_free_count();
	log_info("debug: churn: %lu create/destroy cycles of %s: free frames before %lu, after %lu\n",
		 done, path, before, after);
}

static unsigned start_domains(const struct hv_options *opt)
{
	const char *why_not = "";

	if (!arch_virt_init(&why_not)) {
		log_err("virt: error: cannot run guests: %s; no domain will start\n",
			why_not);
		mgmt_set_virt_status(false, why_not);
		return 0;
	}
	log_info("virt: %s\n", arch_virt_features());
	mgmt_set_virt_status(true, arch_virt_features());
	if (opt->debug_churn)
		debug_churn_run(opt->debug_churn);
	return domain_start_auto();
}

void hv_main(const struct boot_info *bi, const struct hv_options *opt)
{
	bundle_init(bi);
	if (opt->debug_fault != DEBUG_FAULT_NONE)
		debug_fault_run(opt);

	if (opt->debug_burn)
		debug_burn_run(opt->debug_burn);
	unsigned domains = start_domains(opt);
	console_printf("vesta ready: cpus=%u memory=%luMiB domains=%u\n",
		       arch_cpu_count(), frames_free_count() * PAGE_SIZE >> 20,
		       domains);
	shell_init();
	arch_start_secondary_cpus(sched_run_this_cpu);
	sched_run_this_cpu();
}
