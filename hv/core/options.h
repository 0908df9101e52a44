/* The hypervisor's own command line (docs/cmdline.md). */
#ifndef CORE_OPTIONS_H
#define CORE_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/log.h"

enum debug_fault_kind {
	DEBUG_FAULT_NONE = 0,
	DEBUG_FAULT_PAGE,		/* pf: read an unmapped address */
	DEBUG_FAULT_GENERAL_PROTECTION,	/* gp: a non-canonical address */
	DEBUG_FAULT_INVALID_OPCODE,	/* ud: UD2 */
	DEBUG_FAULT_DIVIDE,		/* de: divide by zero */
};

struct hv_options {
	enum log_level log_level;
	enum debug_fault_kind debug_fault;
	unsigned debug_fault_cpu;
	uint64_t debug_burn;		/* iterations of lib/cpu_burn.c at boot */
	uint64_t debug_churn;		/* create/destroy cycles at boot */
};

/* Fills *out with defaults overridden by the command line; logs (after
 * applying the log level) every unknown option and bad value, and goes on. */
void options_parse(const char *cmdline, struct hv_options *out);

#endif
