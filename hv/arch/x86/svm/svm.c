#include "arch/x86/svm/svm.h"
#include "arch/x86/cpu.h"
#include "arch/x86/msr.h"
#include "arch/x86/percpu.h"
#include "core/frame.h"
#include "core/panic.h"
#include "lib/string.h"

/* CPUID Fn8000_0001 ECX[2] SVM; Fn8000_000A EBX = number of ASIDs, EDX =
 * features (APM vol. 3, appendix E.4.9). */
#define CPUID_EXT_FEATURES 0x80000001
#define CPUID_EXT_ECX_SVM (1u << 2)
#define CPUID_SVM_FEATURES 0x8000000a
#define SVM_EDX_NP (1u << 0)
#define SVM_EDX_NRIP_SAVE (1u << 3)
#define SVM_EDX_VMCB_CLEAN (1u << 5)
#define SVM_EDX_FLUSH_BY_ASID (1u << 6)
#define SVM_EDX_DECODE_ASSISTS (1u << 7)

/* MSRs, APM vol. 2, 15.30. */
#define MSR_VM_CR 0xc0010114
#define VM_CR_SVMDIS (1u << 4)
#define MSR_VM_HSAVE_PA 0xc0010117

/* Sizes of the permission maps, APM vol. 2, 15.10.1 and 15.11. */
#define IOPM_PAGES 3
#define MSRPM_PAGES 2

struct svm_features svm_features;
static uint64_t iopm_pa, msrpm_pa;

bool svm_detect(const char **why_not)
{
	if (!(cpuid(CPUID_EXT_FEATURES, 0).ecx & CPUID_EXT_ECX_SVM)) {
		*why_not = "the CPU has no AMD-V (SVM)";
		return false;
	}
	if (rdmsr(MSR_VM_CR) & VM_CR_SVMDIS) {
		*why_not = "AMD-V is disabled by the firmware (VM_CR.SVMDIS)";
		return false;
	}
	struct cpuid_regs r = cpuid(CPUID_SVM_FEATURES, 0);
	svm_features = (struct svm_features){
		.nested_paging = r.edx & SVM_EDX_NP,
		.nrip_save = r.edx & SVM_EDX_NRIP_SAVE,
		.vmcb_clean = r.edx & SVM_EDX_VMCB_CLEAN,
		.flush_by_asid = r.edx & SVM_EDX_FLUSH_BY_ASID,
		.decode_assists = r.edx & SVM_EDX_DECODE_ASSISTS,
		.asid_count = r.ebx,
	};
	if (!svm_features.nested_paging) {
		*why_not = "the CPU's AMD-V has no nested paging";
		return false;
	}
	if (svm_features.asid_count < 2) {
		*why_not = "the CPU's AMD-V has no ASIDs for guests";
		return false;
	}
	return true;
}

/* Every I/O port and every MSR intercepted, but the ones the guest may
 * touch directly: their state lives in the VMCB (VMLOAD/VMSAVE). */
static void svm_build_permission_maps(void)
{
	static const uint32_t passthrough_msrs[] = {
		MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS_BASE,
		0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084, /* STAR..SFMASK */
		0x174, 0x175, 0x176,	/* SYSENTER_CS, _ESP, _EIP */
	};

	iopm_pa = frame_alloc(IOPM_PAGES, 1);
	msrpm_pa = frame_alloc(MSRPM_PAGES, 1);
	if (!iopm_pa || !msrpm_pa)
		panic("svm: no memory for the permission maps\n");
	memset((void *)(uintptr_t)iopm_pa, 0xff, IOPM_PAGES * PAGE_SIZE);
	memset((void *)(uintptr_t)msrpm_pa, 0xff, MSRPM_PAGES * PAGE_SIZE);

	uint8_t *msrpm = (uint8_t *)(uintptr_t)msrpm_pa;
	for (unsigned i = 0; i < sizeof(passthrough_msrs) / sizeof(passthrough_msrs[0]); i++) {
		uint32_t msr = passthrough_msrs[i];
		/* Two bits per MSR (read, write); 0xc000xxxx from byte 0x800. */
		uint32_t bit = (msr >= 0xc0000000 ? 0x800 * 8 + (msr - 0xc0000000) * 2
						  : msr * 2);
		msrpm[bit / 8] &= (uint8_t)~(3u << (bit % 8));
	}
}

void svm_enable_this_cpu(void)
{
	struct percpu *cpu = this_cpu();

	if (cpu->index == 0)
		svm_build_permission_maps();
	cpu->svm_hsave_pa = frame_alloc_zeroed(1);
	cpu->svm_host_vmcb_pa = frame_alloc_zeroed(1);
	if (!cpu->svm_hsave_pa || !cpu->svm_host_vmcb_pa)
		panic("svm: no memory for cpu %u's host state\n", cpu->index);
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
	wrmsr(MSR_VM_HSAVE_PA, cpu->svm_hsave_pa);
}

uint64_t svm_iopm_pa(void)
{
	return iopm_pa;
}

uint64_t svm_msrpm_pa(void)
{
	return msrpm_pa;
}
