/* A domain's address space on AMD-V: its nested page table. */
#include "arch/x86/svm/npt.h"
#include "core/arch.h"
#include "core/domain.h"

bool arch_domain_init(struct domain *d)
{
	return npt_init(&d->arch);
}

bool arch_domain_map_ram(struct domain *d, uint64_t gpa, uint64_t hpa,
			 uint64_t size)
{
	return npt_map_range(&d->arch, gpa, hpa, size);
}

void arch_domain_destroy(struct domain *d)
{
	npt_destroy(&d->arch);
}
