/* Interrupts between vCPUs: what a local APIC's ICR asks for, delivered
 * to the vCPUs of the same domain it names. */
#include "core/domain.h"
#include "core/log.h"

void vcpu_raise_irq(struct vcpu *v, uint8_t vector)
{
	if (vlapic_raise(&v->vlapic, vector))
		vcpu_kick(v);
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
		default:
			/* NMI, INIT and STARTUP come with Linux SMP guests. */
			log_debug("domain %s: vcpu %u: IPI kind %d to vcpu %u ignored\n",
				  d->name, sender->id, (int)ipi->kind, i);
			break;
		}
	}
}
