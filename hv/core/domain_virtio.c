/* A domain's virtio devices: the slots, what connects each transport to
 * the domain (its memory, its I/O APIC, the log), and the devices every
 * domain has. Disks and network ports are built by their own files
 * through domain_virtio_add. */
#include "core/domain_virtio.h"

#include "core/arch.h"
#include "core/domain.h"
#include "core/domain_disks.h"
#include "core/domain_net.h"
#include "core/guest_memory.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "lib/acpi_build.h"
#include "lib/string.h"
#include "vdev/virtio_console.h"
#include "vdev/virtio_rng.h"

/* ------------------------------------------ what a transport reaches */

static bool guest_read(void *ctx, uint64_t gpa, void *dst, size_t len)
{
	return copy_from_guest(ctx, dst, gpa, len);
}

static bool guest_write(void *ctx, uint64_t gpa, const void *src, size_t len)
{
	return copy_to_guest(ctx, gpa, src, len);
}

static bool guest_is_ram(void *ctx, uint64_t gpa, uint64_t len)
{
	return guest_range_is_ram(ctx, gpa, len);
}

/* The line is edge-triggered: a pulse is one interrupt. */
static void slot_raise_irq(void *ctx)
{
	struct virtio_slot *slot = ctx;

	vioapic_set_line(&slot->domain->ioapic, slot->gsi, true);
	vioapic_set_line(&slot->domain->ioapic, slot->gsi, false);
}

static void slot_log(void *ctx, const char *line)
{
	struct virtio_slot *slot = ctx;

	log_warn("domain %s: %s\n", slot->domain->name, line);
}

static bool window_read(void *opaque, void *accessor, uint64_t offset,
			unsigned size, uint64_t *value)
{
	struct virtio_slot *slot = opaque;

	(void)accessor;
	*value = virtio_mmio_read(&slot->transport, offset, size);
	return true;
}

static bool window_write(void *opaque, void *accessor, uint64_t offset,
			 unsigned size, uint64_t value)
{
	struct virtio_slot *slot = opaque;

	(void)accessor;
	virtio_mmio_write(&slot->transport, offset, size, value);
	return true;
}

/* ------------------------------------------------------------- slots */

struct virtio_slot *domain_virtio_add(struct domain *d,
				      const struct virtio_device_ops *ops,
				      void *model,
				      void (*model_free)(struct virtio_slot *slot))
{
	struct domain_virtio *dv = &d->virtio;
	struct virtio_slot *slot;

	if (dv->count == DOMAIN_VIRTIO_MAX) {
		log_err("domain %s: error: more than %u virtio devices\n", d->name,
			DOMAIN_VIRTIO_MAX);
		return NULL;
	}
	slot = xzalloc(sizeof(*slot));
	if (!slot) {
		log_err("domain %s: error: out of monitor memory for %s\n", d->name,
			ops->name);
		return NULL;
	}
	slot->domain = d;
	slot->base = DOMAIN_VIRTIO_MMIO_BASE + dv->count * VIRTIO_MMIO_WINDOW_SIZE;
	slot->gsi = DOMAIN_VIRTIO_GSI_BASE + dv->count;
	slot->model = model;
	slot->model_free = model_free;

	struct virtio_mmio_host host = {
		.ctx = slot, .raise_irq = slot_raise_irq, .log = slot_log,
	};
	struct virtq_memory mem = {
		.ctx = d, .read = guest_read, .write = guest_write,
		.is_ram = guest_is_ram,
	};
	struct mmio_region window = {
		.name = ops->name, .base = slot->base, .size = VIRTIO_MMIO_WINDOW_SIZE,
		.opaque = slot, .read = window_read, .write = window_write,
	};

	virtio_mmio_init(&slot->transport, ops, model, &host, &mem);
	if (!mmio_bus_add(&d->mmio, &window)) {
		log_err("domain %s: error: no MMIO room for %s\n", d->name, ops->name);
		xfree(slot);
		return NULL;
	}
	dv->slots[dv->count++] = slot;
	return slot;
}

static void free_model(struct virtio_slot *slot)
{
	xfree(slot->model);
}

static void *model_alloc(struct domain *d, size_t size, const char *what)
{
	void *model = xzalloc(size);

	if (!model)
		log_err("domain %s: error: out of monitor memory for %s\n", d->name,
			what);
	return model;
}

/* ------------------------------------------- what every domain has */

static void console_output(void *owner, const char *buf, size_t len)
{
	domain_console_write(owner, buf, len);
}

static bool add_console(struct domain *d)
{
	struct virtio_console *c = model_alloc(d, sizeof(*c), "virtio-console");

	if (!c)
		return false;
	virtio_console_init(c, d, console_output);
	d->virtio.console = domain_virtio_add(d, &virtio_console_ops, c, free_model);
	if (!d->virtio.console)
		xfree(c);
	return d->virtio.console != NULL;
}

static bool rdrand_entropy(void *ctx, void *buf, size_t len)
{
	(void)ctx;
	return arch_random_bytes(buf, len);
}

static bool add_entropy(struct domain *d)
{
	struct virtio_rng *r;

	if (!arch_has_random())
		return true;		/* no RDRAND: no device to offer */
	r = model_alloc(d, sizeof(*r), "virtio-rng");
	if (!r)
		return false;
	virtio_rng_init(r, rdrand_entropy, NULL);
	if (domain_virtio_add(d, &virtio_rng_ops, r, free_model))
		return true;
	xfree(r);
	return false;
}

bool domain_virtio_init(struct domain *d)
{
	uint64_t room = DOMAIN_VIRTIO_MMIO_BASE;

	if (d->config.memory_mib > room >> 20) {
		log_err("domain %s: error: memory = %lu MiB reaches the device hole at %#lx (at most %lu MiB)\n",
			d->name, d->config.memory_mib, room, room >> 20);
		return false;
	}
	return add_console(d) && add_entropy(d) && domain_disks_init(d) &&
	       domain_net_init(d);
}

void domain_virtio_destroy(struct domain *d)
{
	struct domain_virtio *dv = &d->virtio;

	for (unsigned i = 0; i < dv->count; i++) {
		struct virtio_slot *slot = dv->slots[i];

		if (slot->model_free)
			slot->model_free(slot);
		xfree(slot);
		dv->slots[i] = NULL;
	}
	dv->count = 0;
	dv->console = NULL;
}

void domain_virtio_describe(const struct domain *d, struct acpi_platform *p)
{
	const struct domain_virtio *dv = &d->virtio;

	p->virtio_count = 0;
	for (unsigned i = 0; i < dv->count && i < ACPI_BUILD_MAX_VIRTIO; i++)
		p->virtio[p->virtio_count++] = (struct acpi_virtio_mmio){
			.base = dv->slots[i]->base,
			.size = VIRTIO_MMIO_WINDOW_SIZE,
			.gsi = dv->slots[i]->gsi,
		};
}

size_t domain_virtio_console_input(struct domain *d, const char *buf, size_t n)
{
	struct virtio_slot *slot = d->virtio.console;

	if (!slot || !virtio_mmio_running(&slot->transport))
		return 0;
	return virtio_console_input(slot->model, &slot->transport, buf, n);
}
