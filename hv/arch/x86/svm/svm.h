/* AMD-V (SVM): detection, enabling on each CPU, and what the CPU offers. */
#ifndef ARCH_X86_SVM_SVM_H
#define ARCH_X86_SVM_SVM_H

#include <stdbool.h>
#include <stdint.h>

struct svm_features {
	bool nested_paging;
	bool nrip_save;
	bool vmcb_clean;
	bool flush_by_asid;
	bool decode_assists;
	uint32_t asid_count;	/* ASIDs 1 .. asid_count - 1 are for guests */
};

extern struct svm_features svm_features;

/* Reads CPUID; returns false with a reason when AMD-V or nested paging is
 * missing or disabled by the firmware. */
bool svm_detect(const char **why_not);
/* EFER.SVME and the host save area, on the calling CPU. */
void svm_enable_this_cpu(void);

/* The shared intercept bitmaps (every CPU, every guest). */
uint64_t svm_iopm_pa(void);
uint64_t svm_msrpm_pa(void);

#endif
