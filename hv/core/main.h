#ifndef CORE_MAIN_H
#define CORE_MAIN_H

#include "core/boot_info.h"
#include "core/options.h"

/* The architecture-independent part of the boot, once every CPU is up:
 * reads the bundle, prints the ready line, never returns. */
__attribute__((noreturn)) void hv_main(const struct boot_info *bi,
				       const struct hv_options *opt);

/* Provokes the fault debug.fault asks for, on this CPU (arch code). */
void arch_debug_fault(enum debug_fault_kind kind);

#endif
