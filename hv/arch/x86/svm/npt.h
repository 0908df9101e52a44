/* Nested page tables: guest-physical to host-physical, one tree per domain,
 * in the long-mode page table format (AMD APM vol. 2, 15.25). */
#ifndef ARCH_X86_SVM_NPT_H
#define ARCH_X86_SVM_NPT_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/vcpu_arch.h"

bool npt_init(struct arch_domain *ad);
/* Maps [gpa, gpa + size) to [hpa, ...) read/write/execute, with 2 MiB pages
 * wherever both sides are 2 MiB aligned. Page-aligned arguments. */
bool npt_map_range(struct arch_domain *ad, uint64_t gpa, uint64_t hpa,
		   uint64_t size);
/* Frees every table page (not the memory they map). */
void npt_destroy(struct arch_domain *ad);

#endif
