/* The devices every domain gets, and where their requests go: COM1 to the
 * domain's console (its interrupt through the I/O APIC), the CMOS clock
 * from the host's wall clock, reset and poweroff to the domain's on_reboot
 * and on_poweroff, the I/O APIC's messages and the local APIC's registers
 * (xAPIC MMIO) to the vCPUs. */
#include "core/arch.h"
#include "core/domain.h"
#include "vesta/hypercall.h"

#define NS_PER_SEC 1000000000ull
#define LAPIC_MMIO_SIZE 0x1000

static void com1_output(void *owner, char c)
{
	domain_console_write(owner, &c, 1);
}

static void com1_set_irq(void *owner, bool level)
{
	struct domain *d = owner;

	vioapic_set_line(&d->ioapic, UART16550_COM1_IRQ, level);
}

static int64_t rtc_now(void *owner)
{
	(void)owner;
	return arch_wall_clock_at_boot() + (int64_t)(arch_time_ns() / NS_PER_SEC);
}

static void platform_request(void *owner, enum platform_request what)
{
	if (what == PLATFORM_REQUEST_PANIC)
		domain_crash(owner, "its kernel panicked (pvpanic)");
	else
		domain_shutdown(owner, what == PLATFORM_REQUEST_RESET
					       ? VESTA_SHUTDOWN_REBOOT
					       : VESTA_SHUTDOWN_POWEROFF);
}

/* An I/O APIC message goes to the local APICs it names. */
static void ioapic_deliver(void *owner, const struct vioapic_message *msg)
{
	struct domain *d = owner;
	struct vlapic_ipi ipi = {
		.kind = VLAPIC_IPI_FIXED,
		.dest_mode = msg->dest_logical ? VLAPIC_DEST_LOGICAL : VLAPIC_DEST_PHYSICAL,
		.dest = msg->dest,
		.vector = msg->vector,
	};

	for (unsigned i = 0; i < d->vcpu_count; i++)
		if (vlapic_ipi_targets(&d->vcpus[i].vlapic, &d->vcpus[0].vlapic, &ipi))
			vcpu_raise_irq(&d->vcpus[i], msg->vector);
}

static bool ioapic_read(void *opaque, void *accessor, uint64_t offset,
			unsigned size, uint64_t *value)
{
	(void)accessor;
	if (size != 4)
		return false;
	*value = vioapic_mmio_read(opaque, offset);
	return true;
}

static bool ioapic_write(void *opaque, void *accessor, uint64_t offset,
			 unsigned size, uint64_t value)
{
	(void)accessor;
	if (size != 4)
		return false;
	vioapic_mmio_write(opaque, offset, (uint32_t)value);
	return true;
}

/* The xAPIC page: every vCPU sees its own local APIC there. */
static bool lapic_read(void *opaque, void *accessor, uint64_t offset,
		       unsigned size, uint64_t *value)
{
	struct vcpu *v = accessor;

	(void)opaque;
	if (size != 4 || (offset & 0xf) || vlapic_x2apic_enabled(&v->vlapic))
		return false;
	*value = vlapic_read_reg(&v->vlapic, (uint32_t)offset, arch_time_ns());
	return true;
}

static bool lapic_write(void *opaque, void *accessor, uint64_t offset,
			unsigned size, uint64_t value)
{
	struct vcpu *v = accessor;
	struct vlapic_ipi ipi;

	(void)opaque;
	if (size != 4 || (offset & 0xf) || vlapic_x2apic_enabled(&v->vlapic))
		return false;
	vlapic_write_reg(&v->vlapic, (uint32_t)offset, (uint32_t)value,
			 arch_time_ns(), &ipi);
	if (ipi.kind != VLAPIC_IPI_NONE)
		vcpu_send_ipi(v, &ipi);
	return true;
}

static bool add_mmio_devices(struct domain *d)
{
	struct mmio_region ioapic = {
		.name = "ioapic", .base = VIOAPIC_BASE, .size = VIOAPIC_MMIO_SIZE,
		.opaque = &d->ioapic, .read = ioapic_read, .write = ioapic_write,
	};
	struct mmio_region lapic = {
		.name = "lapic", .base = VLAPIC_DEFAULT_BASE, .size = LAPIC_MMIO_SIZE,
		.opaque = d, .read = lapic_read, .write = lapic_write,
	};

	return mmio_bus_add(&d->mmio, &ioapic) && mmio_bus_add(&d->mmio, &lapic);
}

bool domain_platform_init(struct domain *d)
{
	uart16550_init(&d->com1, d, com1_output, com1_set_irq);
	cmos_rtc_init(&d->rtc, d, rtc_now);
	platform_control_init(&d->platform, d, platform_request);
	vioapic_init(&d->ioapic, 0, d, ioapic_deliver);
	return uart16550_attach(&d->com1, &d->io, UART16550_COM1_BASE) &&
	       cmos_rtc_attach(&d->rtc, &d->io) &&
	       platform_control_attach(&d->platform, &d->io) &&
	       add_mmio_devices(d);
}
