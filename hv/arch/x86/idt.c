/* The interrupt descriptor table, shared by every CPU. */
#include "arch/x86/layout.h"
#include "arch/x86/percpu.h"
#include "arch/x86/trap.h"

/* 64-bit interrupt gate, AMD APM vol. 2, 4.8.4 "System Descriptors". */
struct __attribute__((packed)) idt_gate {
	uint16_t offset_low;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr;
	uint16_t offset_mid;
	uint32_t offset_high;
	uint32_t reserved;
};

#define GATE_INTERRUPT_PRESENT 0x8e	/* P=1, DPL=0, type 0xE */
#define TRAP_STUB_SIZE 16		/* trap_entry.S aligns each stub */

extern const char trap_stubs[];

static struct idt_gate idt[256] __attribute__((aligned(16)));

static uint8_t idt_ist_for(unsigned vector)
{
	switch (vector) {
	case VEC_NMI:
		return IST_NMI;
	case VEC_DOUBLE_FAULT:
		return IST_DOUBLE_FAULT;
	case VEC_MACHINE_CHECK:
		return IST_MACHINE_CHECK;
	default:
		return 0;
	}
}

void idt_init(void)
{
	for (unsigned v = 0; v < 256; v++) {
		uint64_t stub = (uint64_t)(uintptr_t)&trap_stubs[v * TRAP_STUB_SIZE];
		idt[v] = (struct idt_gate){
			.offset_low = (uint16_t)stub,
			.selector = SEL_CODE64,
			.ist = idt_ist_for(v),
			.type_attr = GATE_INTERRUPT_PRESENT,
			.offset_mid = (uint16_t)(stub >> 16),
			.offset_high = (uint32_t)(stub >> 32),
		};
	}
}

void idt_load(void)
{
	struct __attribute__((packed)) {
		uint16_t limit;
		uint64_t base;
	} ptr = {sizeof(idt) - 1, (uint64_t)(uintptr_t)idt};

	__asm__ volatile("lidt %0" ::"m"(ptr));
}
