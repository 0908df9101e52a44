/* A domain's virtio devices (docs/virtio.md): each a virtio-mmio window
 * in the hole below the I/O APIC and an edge-triggered I/O APIC pin, both
 * declared in the domain's DSDT. Every domain gets a console (hvc0) and,
 * where the CPU has RDRAND, an entropy source; its config adds disks and
 * network ports. */
#ifndef CORE_DOMAIN_VIRTIO_H
#define CORE_DOMAIN_VIRTIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vdev/virtio_mmio.h"

/* Windows of VIRTIO_MMIO_WINDOW_SIZE from here up: guest RAM must end
 * below (domain_virtio_init checks), the I/O APIC starts at 0xfec00000. */
#define DOMAIN_VIRTIO_MMIO_BASE 0xfe000000ull
/* I/O APIC pins from here up: COM1 has 4, and 24 pins end at 23. */
#define DOMAIN_VIRTIO_GSI_BASE 5u
#define DOMAIN_VIRTIO_MAX 16u

struct domain;
struct acpi_platform;

/* One device: where it sits, its transport, the model behind it. */
struct virtio_slot {
	struct virtio_mmio transport;
	struct domain *domain;
	uint64_t base;
	uint32_t gsi;
	void *model;
	void (*model_free)(struct virtio_slot *slot);
};

struct domain_virtio {
	struct virtio_slot *slots[DOMAIN_VIRTIO_MAX];
	unsigned count;
	struct virtio_slot *console;	/* hvc0, for the shell's input */
};

/* Builds the devices and maps their windows; false, having logged why,
 * if one cannot be built. domain_virtio_destroy undoes a partial build. */
bool domain_virtio_init(struct domain *d);
void domain_virtio_destroy(struct domain *d);

/* The devices, as the DSDT describes them. */
void domain_virtio_describe(const struct domain *d, struct acpi_platform *p);

/* Input typed at the shell's `console` for hvc0; the bytes taken (0 once
 * the guest has not started its driver). */
size_t domain_virtio_console_input(struct domain *d, const char *buf, size_t n);

/* For device builders (disks, network): a new slot with `ops` and `model`
 * behind the next window and pin; NULL, having logged why, when the
 * domain has DOMAIN_VIRTIO_MAX devices already or memory ran out. */
struct virtio_slot *domain_virtio_add(struct domain *d,
				      const struct virtio_device_ops *ops,
				      void *model,
				      void (*model_free)(struct virtio_slot *slot));

#endif
