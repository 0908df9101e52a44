/* Vesta's own hypercalls (include/vesta/hypercall.h, docs/hypercalls.md). */
#ifndef CORE_HYPERCALL_H
#define CORE_HYPERCALL_H

#include <stdint.h>

#define HYPERCALL_MAX_ARGS 5

struct vcpu;

/* Validates every argument; returns the guest's RAX. */
int64_t hypercall_dispatch(struct vcpu *v, uint64_t nr,
			   const uint64_t args[HYPERCALL_MAX_ARGS]);

#endif
