/* The management API: what the shell (and later a control domain over a
 * virtio channel) may do. It takes and returns plain structures; parsing
 * and printing belong to the front ends. Calls run on the boot CPU. */
#ifndef CORE_MGMT_H
#define CORE_MGMT_H

#include "core/domain_net.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/vcpu.h"
#include "lib/xl_config.h"

struct domain_console;

enum mgmt_status {
	MGMT_OK = 0,
	MGMT_ERR_NO_DOMAIN,	/* no domain by that name or id */
	MGMT_ERR_BAD_CONFIG,	/* see the log for file, line and key */
	MGMT_ERR_STATE,		/* e.g. unpause of a domain not paused */
	MGMT_ERR_NO_VIRT,	/* the machine cannot run guests */
};

struct mgmt_domain_info {
	unsigned id;
	char name[XLCFG_NAME_MAX];
	const char *state;	/* static string */
	uint64_t memory_mib;
	unsigned vcpus;
	unsigned vcpus_running;	/* on a CPU right now */
	uint32_t cpu_weight;
	uint32_t cap;
	uint64_t cpu_time_ns;	/* all vCPUs */
	uint64_t exits[EXIT_CLASS_COUNT];
};

struct mgmt_vcpu_info {
	unsigned vcpu;
	const char *state;
	unsigned cpu;		/* last or current physical CPU */
	uint64_t cpu_time_ns;
	uint64_t exits[EXIT_CLASS_COUNT];
	int64_t credit_ns;
};

struct mgmt_host_info {
	unsigned cpus;
	uint64_t memory_total_mib;
	uint64_t memory_free_mib;
	unsigned domains;
	const char *virt;	/* features, or why guests cannot run */
	uint64_t uptime_ns;
};

/* `name_or_id`: a domain name, or its id in decimal. */
size_t mgmt_list(struct mgmt_domain_info *out, size_t max);
enum mgmt_status mgmt_domain_info(const char *name_or_id,
				  struct mgmt_domain_info *out);
size_t mgmt_vcpu_list(const char *name_or_id, struct mgmt_vcpu_info *out,
		      size_t max);
enum mgmt_status mgmt_create(const char *config_path, unsigned *id);
enum mgmt_status mgmt_destroy(const char *name_or_id);
enum mgmt_status mgmt_shutdown(const char *name_or_id, bool reboot);
enum mgmt_status mgmt_pause(const char *name_or_id);
enum mgmt_status mgmt_unpause(const char *name_or_id);
void mgmt_host_info(struct mgmt_host_info *out);
/* Every network port on every switch, with its counters. */
void mgmt_network_list(void (*fn)(const struct net_port_info *p, void *ctx),
		       void *ctx);
const char *mgmt_status_str(enum mgmt_status s);
const char *mgmt_exit_class_name(enum vcpu_exit_class c);

/* hv_main reports whether hardware virtualization came up: `text` is the
 * feature list when ok, else why guests cannot run (copied). Until it is
 * called, arch_virt_features() being non-empty counts as ok. */
void mgmt_set_virt_status(bool ok, const char *text);

/* The domain's console ring: copies up to `size` bytes written after
 * `*cursor` (bytes ever written) and advances it; 0 when nothing new. */
size_t mgmt_console_read(const char *name_or_id, uint64_t *cursor, char *buf,
			 size_t size);
/* Bytes typed for the domain: they go to its COM1 (the guest's ttyS0).
 * Returns how many it took; a full receive buffer takes no more. */
size_t mgmt_console_input(const char *name_or_id, const char *buf, size_t n);
/* While attached, that domain's lines stop going to the serial log. */
enum mgmt_status mgmt_console_attach(const char *name_or_id, bool attach);
/* For core/console.c, on any CPU, lock-free: is a shell attached to the
 * console of the domain with this id? */
bool mgmt_console_attached(unsigned domain_id);
/* For core/console.c, under c's lock, when the attached domain flushes its
 * console (it is shutting down or being destroyed): keeps a copy of the
 * ring, which mgmt_console_read serves by the id once the domain is gone. */
void mgmt_console_keep(unsigned domain_id, const struct domain_console *c);

#endif
