/* Interrupts between vCPUs: what a local APIC's ICR asks for, delivered
 * to the vCPUs of the same domain it names. */
#include "core/domain.h"
#include "core/arch.h"
#include "core/log.h"
#include "core/sched.h"

void vcpu_raise_irq(struct vcpu *v, uint8_t vector)
{
	if (vlapic_raise(&v->vlapic, vector))
		vcpu_kick(v);
}

/* INIT then STARTUP bring up a secondary vCPU of a Linux guest; later
 * ones (Linux sends two STARTUPs) find it started and do nothing. */
static void vcpu_startup(struct vcpu *target, uint8_t vector)
{
	if (!target->init_received ||
	    __atomic_test_and_set(&target->started, __ATOMIC_ACQ_REL))
		return;
	if (!arch_vcpu_init_sipi(target, vector)) {
		domain_crash(target->domain, "no memory to start vcpu %u", target->id);
		return;
	}
	sched_vcpu_start(target);
}

void vcpu_send_ipi(struct vcpu *sender, const struct vlapic_ipi *ipi)
{
	struct domain *d = sender->domain;

	for (unsigned i = 0; i < d->vcpu_count; i++) {
		struct vcpu *target = &d->vcpus[i];
		if (!vlapic_ipi_targets(&target->vlapic, &sender->vlapic, ipi))
			continue;
		switch (ipi->kind) {
		case VLAPIC_IPI_FIXED:
			vcpu_raise_irq(target, ipi->vector);
			break;
		case VLAPIC_IPI_NONE:
			break;
		case VLAPIC_IPI_INIT:
			if (!target->started)
				target->init_received = true;
			break;
		case VLAPIC_IPI_STARTUP:
			vcpu_startup(target, ipi->vector);
			break;
		default:
			/* NMIs between vCPUs are not delivered yet. */
			log_debug("domain %s: vcpu %u: IPI kind %d to vcpu %u ignored\n",
				  d->name, sender->id, (int)ipi->kind, i);
			break;
		}
	}
}
