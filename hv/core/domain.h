/* Domains: isolated guests, each with its own RAM, nested page table and
 * vCPUs (DESIGN.md, "A vCPU's life" and "Memory"). */
#ifndef CORE_DOMAIN_H
#define CORE_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/x86/vcpu_arch.h"
#include "core/console.h"
#include "core/domain_virtio.h"
#include "core/vcpu.h"
#include "lib/xl_config.h"
#include "vdev/cmos_rtc.h"
#include "vdev/ioport_bus.h"
#include "vdev/mmio_bus.h"
#include "vdev/vioapic.h"
#include "vdev/platform_control.h"
#include "vdev/uart16550.h"

#define DOMAIN_MAX 128
#define DOMAIN_RAM_EXTENTS_MAX 64

enum domain_state {
	DOMAIN_RUNNING,		/* some vCPU runnable or running */
	DOMAIN_BLOCKED,		/* every started vCPU blocked */
	DOMAIN_PAUSED,
	DOMAIN_SHUTDOWN,	/* stopped by the guest: poweroff or reboot */
	DOMAIN_CRASHED,
	DOMAIN_DYING,		/* being destroyed */
};

/* A run of guest RAM backed by contiguous host frames. */
struct ram_extent {
	uint64_t gpa;
	uint64_t hpa;
	uint64_t size;
};

struct domain {
	unsigned id;
	char name[XLCFG_NAME_MAX];
	enum domain_state state;
	bool paused;
	uint32_t shutdown_reason;	/* VESTA_SHUTDOWN_* */
	struct domain_config config;
	char config_path[XLCFG_PATH_MAX];

	uint64_t ram_bytes;
	struct ram_extent ram[DOMAIN_RAM_EXTENTS_MAX];
	size_t ram_extent_count;

	uint64_t created_ns;
	uint64_t created_tsc;
	bool action_pending;		/* domain_actions.c */
	enum xlcfg_action pending_action;
	unsigned restarts;
	unsigned vcpu_count;
	struct vcpu *vcpus;
	struct domain_console console;

	/* The platform its device models make (domain_platform.c). */
	struct ioport_bus io;
	struct mmio_bus mmio;
	struct vioapic ioapic;
	struct uart16550 com1;
	struct cmos_rtc rtc;
	struct platform_control platform;
	struct domain_virtio virtio;
	struct arch_domain arch;
};

/* Builds and starts a domain from a config in the bundle; NULL, after
 * logging why, if it cannot. */
struct domain *domain_create(const struct domain_config *cfg,
			     const char *config_path);
/* Stops the domain everywhere and frees everything it had. */
void domain_destroy(struct domain *d);

/* From the guest (a hypercall): poweroff, reboot or crash, then the
 * config's on_* action. */
void domain_shutdown(struct domain *d, uint32_t reason);
/* The monitor stops a misbehaving domain: one log line saying which and
 * why, then on_crash. Nothing else is touched. */
void domain_crash(struct domain *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

struct domain *domain_by_name(const char *name);
struct domain *domain_by_id(unsigned id);
unsigned domain_count(void);
/* Calls fn for every domain, in id order, under the domain list lock. */
void domain_for_each(void (*fn)(struct domain *d, void *ctx), void *ctx);

const char *domain_state_name(enum domain_state s);

/* Wires the domain's device models: COM1, the CMOS clock, reset and
 * poweroff (domain_platform.c). */
bool domain_platform_init(struct domain *d);

/* The domain table, for code that holds the scheduler lock. */
struct domain *domain_table_slot(unsigned slot);
void sched_lock_acquire(void);
void sched_lock_release(void);
void sched_pause_domain(struct domain *d);

#endif
