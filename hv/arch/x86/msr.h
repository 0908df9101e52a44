/* Model-specific registers the hypervisor touches (AMD APM vol. 2, app. A). */
#ifndef ARCH_X86_MSR_H
#define ARCH_X86_MSR_H

#define MSR_APIC_BASE 0x0000001b
#define APIC_BASE_BSP (1ul << 8)
#define APIC_BASE_ENABLE (1ul << 11)
#define APIC_BASE_ADDR_MASK 0x000ffffffffff000ul

#define MSR_TSC_DEADLINE 0x000006e0

#define MSR_EFER 0xc0000080
#define EFER_SCE (1ul << 0)
#define EFER_LME (1ul << 8)
#define EFER_NXE (1ul << 11)
#define EFER_SVME (1ul << 12)

#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102

#endif
