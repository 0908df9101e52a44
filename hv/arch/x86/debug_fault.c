/* The deliberate faults of debug.fault (docs/cmdline.md). Inline assembly,
 * so the compiler cannot reason the faulting access away. */
#include "core/main.h"

#define UNMAPPED_ADDRESS 0x10		/* in page 0, which paging.c leaves out */
#define NON_CANONICAL_ADDRESS 0x8000000000000000ull

void arch_debug_fault(enum debug_fault_kind kind)
{
	uint64_t scratch = 0;

	switch (kind) {
	case DEBUG_FAULT_PAGE:
		__asm__ volatile("movq (%1), %0" : "=r"(scratch) : "r"((uint64_t)UNMAPPED_ADDRESS));
		break;
	case DEBUG_FAULT_GENERAL_PROTECTION:
		__asm__ volatile("movq (%1), %0" : "=r"(scratch) : "r"(NON_CANONICAL_ADDRESS));
		break;
	case DEBUG_FAULT_INVALID_OPCODE:
		__asm__ volatile("ud2");
		break;
	case DEBUG_FAULT_DIVIDE: {
		uint64_t high = 0, divisor = 0;
		__asm__ volatile("divq %2" : "+a"(scratch), "+d"(high) : "r"(divisor));
		break;
	}
	case DEBUG_FAULT_NONE:
		break;
	}
}
