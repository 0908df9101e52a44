/* Exceptions and interrupts taken by the hypervisor itself. */
#ifndef ARCH_X86_TRAP_H
#define ARCH_X86_TRAP_H

#include <stdint.h>

/* Exception vectors, AMD APM vol. 2, 8.2 "Vectors". */
#define VEC_DIVIDE_ERROR 0
#define VEC_NMI 2
#define VEC_INVALID_OPCODE 6
#define VEC_DOUBLE_FAULT 8
#define VEC_GENERAL_PROTECTION 13
#define VEC_PAGE_FAULT 14
#define VEC_MACHINE_CHECK 18
#define VEC_FIRST_EXTERNAL 32

/* Vectors the hypervisor assigns. The legacy 8259s are remapped to
 * 0x20..0x2f and masked, so anything there is spurious. */
#define VEC_PIC_BASE 0x20
#define VEC_LAPIC_TIMER 0xef
#define VEC_CALL_FUNCTION 0xf0
#define VEC_RESCHEDULE 0xf1
#define VEC_LAPIC_ERROR 0xfe
#define VEC_SPURIOUS 0xff

/* Pushed by trap_entry.S: general registers, then vector and error code
 * (0 when the CPU pushes none), then the CPU's own interrupt frame. */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error_code;
	uint64_t rip, cs, rflags, rsp, ss;
};

void idt_init(void);	/* once, on the boot CPU */
void idt_load(void);	/* on every CPU */

typedef void (*irq_handler_fn)(struct trap_frame *frame);
void trap_set_irq_handler(uint8_t vector, irq_handler_fn fn);

void trap_dispatch(struct trap_frame *frame);

#endif
