/* A virtual local APIC per vCPU: registers, the interrupt request and
 * in-service bitmaps, and the timer (one-shot, periodic, TSC-deadline).
 * Reached as x2APIC MSRs (x2apic_msr_*) or xAPIC registers (vlapic_*_reg).
 * Intel SDM vol. 3, ch. 11 and AMD APM vol. 2, ch. 16 for the facts. It
 * knows nothing of the VMCB: the arch code injects what it says is
 * pending, and core delivers interrupts between vCPUs. */
#ifndef VDEV_VLAPIC_H
#define VDEV_VLAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "core/spinlock.h"

#define VLAPIC_DEFAULT_BASE 0xfee00000ull
#define VLAPIC_X2APIC_MSR_FIRST 0x800
#define VLAPIC_X2APIC_MSR_LAST 0x8ff
#define VLAPIC_LVT_COUNT 6	/* timer, thermal, perf, LINT0, LINT1, error */

/* What a register write asks of the rest of the system. */
enum vlapic_ipi_kind {
	VLAPIC_IPI_NONE,
	VLAPIC_IPI_FIXED,
	VLAPIC_IPI_NMI,
	VLAPIC_IPI_INIT,
	VLAPIC_IPI_STARTUP,
};

enum vlapic_ipi_dest {
	VLAPIC_DEST_PHYSICAL,	/* dest = APIC id (0xffffffff: broadcast) */
	VLAPIC_DEST_LOGICAL,	/* x2APIC cluster: dest = cluster << 16 | bits */
	VLAPIC_DEST_SELF,
	VLAPIC_DEST_ALL,
	VLAPIC_DEST_ALL_BUT_SELF,
};

struct vlapic_ipi {
	enum vlapic_ipi_kind kind;
	enum vlapic_ipi_dest dest_mode;
	uint32_t dest;
	uint8_t vector;
};

struct vlapic {
	struct spinlock lock;		/* other vCPUs raise interrupts here */
	uint32_t id;
	uint64_t apic_base;		/* the IA32_APIC_BASE MSR */
	uint32_t tpr, svr, ldr, dfr, esr;
	uint32_t lvt[VLAPIC_LVT_COUNT];
	uint32_t irr[8], isr[8], tmr[8];
	uint32_t icr_low, icr_high;
	uint32_t timer_initial;
	uint32_t timer_divide_config;
	uint64_t timer_start_ns;	/* when the count was last loaded */
	uint64_t timer_deadline_ns;	/* 0: not armed */
	uint64_t tsc_deadline;		/* IA32_TSC_DEADLINE as written */
};

void vlapic_reset(struct vlapic *vl, uint32_t id, bool bsp);
bool vlapic_x2apic_enabled(const struct vlapic *vl);

/* Return false when the guest must get #GP. `now_ns` is the monitor's
 * clock; TSC values are the guest's, converted by the caller. */
bool vlapic_apic_base_write(struct vlapic *vl, uint64_t value);
bool x2apic_msr_read(struct vlapic *vl, uint32_t msr, uint64_t now_ns,
		     uint64_t *value);
bool x2apic_msr_write(struct vlapic *vl, uint32_t msr, uint64_t value,
		      uint64_t now_ns, struct vlapic_ipi *ipi);
uint32_t vlapic_read_reg(struct vlapic *vl, uint32_t offset, uint64_t now_ns);
void vlapic_write_reg(struct vlapic *vl, uint32_t offset, uint32_t value,
		      uint64_t now_ns, struct vlapic_ipi *ipi);
/* TSC-deadline mode: `deadline_ns` is the guest's TSC value in ns. */
void vlapic_set_tsc_deadline(struct vlapic *vl, uint64_t tsc,
			     uint64_t deadline_ns);

/* An interrupt for this vCPU; false if the APIC is disabled. */
bool vlapic_raise(struct vlapic *vl, uint8_t vector);
/* The vector to inject now (above the processor priority), or -1. */
int vlapic_pending(struct vlapic *vl);
/* The CPU took `vector`: IRR to ISR. */
void vlapic_accept(struct vlapic *vl, uint8_t vector);
/* An end of interrupt that did not come through the EOI register (the
 * KVM PV EOI flag): the highest in-service vector is done. */
void vlapic_eoi_now(struct vlapic *vl);
/* Whether any interrupt is requested (IRR not empty), deliverable or not. */
bool vlapic_any_requested(struct vlapic *vl);
/* Whether IPI `ipi` is for the APIC with this id (and this sender). */
bool vlapic_ipi_targets(const struct vlapic *target, const struct vlapic *sender,
			const struct vlapic_ipi *ipi);

/* Raises the timer's interrupt if its deadline passed (periodic: loads the
 * next period); returns the next deadline in ns, 0 if none. */
uint64_t vlapic_timer_update(struct vlapic *vl, uint64_t now_ns);

#endif
