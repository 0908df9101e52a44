/* The management API over domains and the scheduler (core/mgmt.h).
 *
 * Every call runs on the boot CPU, which is also the only CPU that destroys
 * domains (domain_actions.c), so a domain found by name or id stays valid
 * for the rest of the call. Its fields are read under the scheduler lock
 * and copied out; nothing here prints, and the lock is never held across a
 * call that takes it again (destroy, shutdown, pause).
 *
 * Shutdown and reboot: guests have no shutdown protocol yet (no event a
 * guest would answer by stopping itself), so mgmt_shutdown acts as if the
 * guest had powered off or rebooted: domain_shutdown() with the reason,
 * then the config's on_poweroff / on_reboot action, as xl's would. */
#include "core/mgmt.h"
#include "core/arch.h"
#include "core/domain.h"
#include "core/domain_config.h"
#include "core/frame.h"
#include "core/log.h"
#include "core/sched.h"
#include "core/spinlock.h"
#include "lib/format.h"
#include "lib/string.h"
#include "vesta/hypercall.h"

/* How long pause waits for the domain's vCPUs to leave their CPUs. */
#define PAUSE_WAIT_NS 100000000ull

static int virt_status = -1;	/* -1 until mgmt_set_virt_status */
static char virt_text[128];
static unsigned console_attached_id;	/* 0: none (ids start at 1) */

/* ------------------------------------------------------------- lookups */

static bool parse_id(const char *s, unsigned *id)
{
	uint64_t v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > UINT32_MAX)
			return false;
	}
	*id = (unsigned)v;
	return true;
}

/* An id in decimal first, then a name (names may be all digits too). */
static struct domain *domain_lookup(const char *name_or_id)
{
	struct domain *d = NULL;
	unsigned id;

	if (!name_or_id)
		return NULL;
	if (parse_id(name_or_id, &id))
		d = domain_by_id(id);
	return d ? d : domain_by_name(name_or_id);
}

/* Under the scheduler lock. */
static bool domain_stopped(const struct domain *d)
{
	return d->state == DOMAIN_SHUTDOWN || d->state == DOMAIN_CRASHED ||
	       d->state == DOMAIN_DYING;
}

/* ---------------------------------------------------- copies, under lock */

static uint64_t vcpu_time_ns(const struct vcpu *v, uint64_t now)
{
	uint64_t t = v->cpu_time_ns;

	if (v->on_cpu && now > v->run_start_ns)
		t += now - v->run_start_ns;	/* the slice under way */
	return t;
}

static const char *domain_list_state(const struct domain *d)
{
	unsigned live = 0, blocked = 0;

	if (domain_stopped(d))
		return domain_state_name(d->state);
	if (d->paused)
		return "paused";
	for (unsigned i = 0; i < d->vcpu_count; i++) {
		enum vcpu_state s = d->vcpus[i].state;
		if (s == VCPU_RUNNING || s == VCPU_RUNNABLE)
			return "running";
		live += s != VCPU_DOWN;
		blocked += s == VCPU_BLOCKED;
	}
	if (live && blocked == live)
		return "blocked";
	return domain_state_name(d->state);
}

static void fill_domain_info(const struct domain *d, uint64_t now,
			     struct mgmt_domain_info *out)
{
	memset(out, 0, sizeof(*out));
	out->id = d->id;
	memcpy(out->name, d->name, sizeof(out->name));
	out->state = domain_list_state(d);
	out->memory_mib = d->ram_bytes ? d->ram_bytes >> 20 : d->config.memory_mib;
	out->vcpus = d->vcpu_count;
	out->cpu_weight = d->config.cpu_weight;
	out->cap = d->config.cap;
	for (unsigned i = 0; i < d->vcpu_count; i++) {
		const struct vcpu *v = &d->vcpus[i];
		out->vcpus_running += v->on_cpu;
		out->cpu_time_ns += vcpu_time_ns(v, now);
		for (unsigned c = 0; c < EXIT_CLASS_COUNT; c++)
			out->exits[c] += v->exits[c];
	}
}

static const char *vcpu_state_name(const struct vcpu *v)
{
	static const char *const names[] = {
		[VCPU_DOWN] = "down", [VCPU_RUNNABLE] = "runnable",
		[VCPU_RUNNING] = "running", [VCPU_BLOCKED] = "blocked",
	};

	if (v->state != VCPU_DOWN && v->domain->paused)
		return "paused";
	return (unsigned)v->state < sizeof(names) / sizeof(names[0])
		       ? names[v->state] : "?";
}

static void fill_vcpu_info(const struct vcpu *v, uint64_t now,
			   struct mgmt_vcpu_info *out)
{
	out->vcpu = v->id;
	out->state = vcpu_state_name(v);
	out->cpu = v->processor;
	out->cpu_time_ns = vcpu_time_ns(v, now);
	memcpy(out->exits, v->exits, sizeof(out->exits));
	out->credit_ns = v->credit_ns;
}

/* ------------------------------------------------------------- queries */

struct list_ctx {
	struct mgmt_domain_info *out;
	size_t max, count;
	uint64_t now;
};

static void list_one(struct domain *d, void *ctx)
{
	struct list_ctx *l = ctx;

	if (l->count < l->max)
		fill_domain_info(d, l->now, &l->out[l->count++]);
}

size_t mgmt_list(struct mgmt_domain_info *out, size_t max)
{
	struct list_ctx l = {.out = out, .max = max, .now = arch_time_ns()};

	domain_for_each(list_one, &l);
	return l.count;
}

enum mgmt_status mgmt_domain_info(const char *name_or_id,
				  struct mgmt_domain_info *out)
{
	struct domain *d = domain_lookup(name_or_id);

	if (!d)
		return MGMT_ERR_NO_DOMAIN;
	sched_lock_acquire();
	fill_domain_info(d, arch_time_ns(), out);
	sched_lock_release();
	return MGMT_OK;
}

size_t mgmt_vcpu_list(const char *name_or_id, struct mgmt_vcpu_info *out,
		      size_t max)
{
	struct domain *d = domain_lookup(name_or_id);
	size_t n = 0;

	if (!d)
		return 0;
	sched_lock_acquire();
	uint64_t now = arch_time_ns();
	for (; n < d->vcpu_count && n < max; n++)
		fill_vcpu_info(&d->vcpus[n], now, &out[n]);
	sched_lock_release();
	return n;
}

/* -------------------------------------------------------- virtualization */

void mgmt_set_virt_status(bool ok, const char *text)
{
	fmt_snprintf(virt_text, sizeof(virt_text), "%s", text ? text : "");
	virt_status = ok;
}

static bool virt_ok(void)
{
	if (virt_status < 0)
		return arch_virt_features()[0] != '\0';
	return virt_status;
}

static const char *virt_description(void)
{
	if (virt_status >= 0)
		return virt_text;
	return virt_ok() ? arch_virt_features() : "not available";
}

void mgmt_host_info(struct mgmt_host_info *out)
{
	out->cpus = arch_cpu_count();
	out->memory_total_mib = frames_total_count() * PAGE_SIZE >> 20;
	out->memory_free_mib = frames_free_count() * PAGE_SIZE >> 20;
	out->domains = domain_count();
	out->virt = virt_description();
	out->uptime_ns = arch_time_ns();
}

/* ------------------------------------------------------------- actions */

enum mgmt_status mgmt_create(const char *config_path, unsigned *id)
{
	if (!virt_ok())
		return MGMT_ERR_NO_VIRT;
	struct domain *d = domain_create_from_bundle(config_path);
	if (!d)
		return MGMT_ERR_BAD_CONFIG;
	if (id)
		*id = d->id;
	return MGMT_OK;
}

enum mgmt_status mgmt_destroy(const char *name_or_id)
{
	struct domain *d = domain_lookup(name_or_id);

	if (!d)
		return MGMT_ERR_NO_DOMAIN;
	domain_destroy(d);
	return MGMT_OK;
}

/* Reads what `check` says about d under the scheduler lock. */
static bool domain_check(struct domain *d, bool (*check)(const struct domain *))
{
	sched_lock_acquire();
	bool ok = check(d);
	sched_lock_release();
	return ok;
}

static bool can_shutdown(const struct domain *d)
{
	return !domain_stopped(d);
}

static bool can_pause(const struct domain *d)
{
	return !domain_stopped(d) && !d->paused;
}

static bool can_unpause(const struct domain *d)
{
	return d->paused;
}

enum mgmt_status mgmt_shutdown(const char *name_or_id, bool reboot)
{
	struct domain *d = domain_lookup(name_or_id);

	if (!d)
		return MGMT_ERR_NO_DOMAIN;
	if (!domain_check(d, can_shutdown))
		return MGMT_ERR_STATE;
	log_info("domain %s: %s requested; acting as if the guest %s (guests "
		 "have no shutdown protocol yet)\n", d->name,
		 reboot ? "reboot" : "shutdown", reboot ? "rebooted" : "powered off");
	domain_shutdown(d, reboot ? VESTA_SHUTDOWN_REBOOT : VESTA_SHUTDOWN_POWEROFF);
	return MGMT_OK;
}

enum mgmt_status mgmt_pause(const char *name_or_id)
{
	struct domain *d = domain_lookup(name_or_id);

	if (!d)
		return MGMT_ERR_NO_DOMAIN;
	if (!domain_check(d, can_pause))
		return MGMT_ERR_STATE;
	sched_pause_domain(d);
	/* Like xl, return once the domain is off the CPUs (bounded: a kick
	 * that is not answered must not hang the shell). */
	uint64_t give_up = arch_time_ns() + PAUSE_WAIT_NS;
	while (sched_domain_vcpus_on_cpu(d) && arch_time_ns() < give_up)
		arch_cpu_relax();
	log_info("domain %s: paused\n", d->name);
	return MGMT_OK;
}

enum mgmt_status mgmt_unpause(const char *name_or_id)
{
	struct domain *d = domain_lookup(name_or_id);

	if (!d)
		return MGMT_ERR_NO_DOMAIN;
	if (!domain_check(d, can_unpause))
		return MGMT_ERR_STATE;
	sched_resume_domain(d);
	log_info("domain %s: unpaused\n", d->name);
	return MGMT_OK;
}

/* ------------------------------------------------------------- console */

/* The attached domain's ring as it was when the domain went away, so that
 * the shell can still show its last words after the destroy. */
static struct {
	struct spinlock lock;
	unsigned id;
	uint64_t written;
	char ring[DOMAIN_CONSOLE_RING_SIZE];
} console_kept = {.lock = SPINLOCK_INIT};

/* Bytes of `ring` (with `end` bytes ever written) after *cursor. */
static size_t ring_copy(const char *ring, uint64_t end, uint64_t *cursor,
			char *buf, size_t size)
{
	uint64_t from = *cursor < end ? *cursor : end;

	if (end - from > DOMAIN_CONSOLE_RING_SIZE)
		from = end - DOMAIN_CONSOLE_RING_SIZE;	/* overwritten: skip */
	size_t n = end - from < size ? (size_t)(end - from) : size;
	for (size_t i = 0; i < n; i++)
		buf[i] = ring[(from + i) % DOMAIN_CONSOLE_RING_SIZE];
	*cursor = from + n;
	return n;
}

static size_t kept_read(const char *name_or_id, uint64_t *cursor, char *buf,
			size_t size)
{
	unsigned id;
	size_t n = 0;

	if (!parse_id(name_or_id, &id))
		return 0;
	spin_lock(&console_kept.lock);
	if (id && id == console_kept.id)
		n = ring_copy(console_kept.ring, console_kept.written, cursor,
			      buf, size);
	spin_unlock(&console_kept.lock);
	return n;
}

size_t mgmt_console_read(const char *name_or_id, uint64_t *cursor, char *buf,
			 size_t size)
{
	struct domain *d = domain_lookup(name_or_id);

	if (!d)
		return kept_read(name_or_id, cursor, buf, size);
	struct domain_console *c = &d->console;
	spin_lock(&c->lock);
	size_t n = ring_copy(c->ring, c->ring_written, cursor, buf, size);
	spin_unlock(&c->lock);
	return n;
}

void mgmt_console_keep(unsigned domain_id, const struct domain_console *c)
{
	spin_lock(&console_kept.lock);
	console_kept.id = domain_id;
	console_kept.written = c->ring_written;
	memcpy(console_kept.ring, c->ring, sizeof(console_kept.ring));
	spin_unlock(&console_kept.lock);
}

/* One console on the host, so one attachment at a time. */
enum mgmt_status mgmt_console_attach(const char *name_or_id, bool attach)
{
	struct domain *d = domain_lookup(name_or_id);
	unsigned id = d ? d->id : 0;

	if (attach && d)
		__atomic_store_n(&console_attached_id, id, __ATOMIC_RELEASE);
	else if (!attach && (!d || mgmt_console_attached(id)))
		__atomic_store_n(&console_attached_id, 0, __ATOMIC_RELEASE);
	return d ? MGMT_OK : MGMT_ERR_NO_DOMAIN;
}

bool mgmt_console_attached(unsigned domain_id)
{
	return domain_id &&
	       __atomic_load_n(&console_attached_id, __ATOMIC_ACQUIRE) == domain_id;
}

/* ------------------------------------------------------------- strings */

const char *mgmt_status_str(enum mgmt_status s)
{
	static const char *const text[] = {
		[MGMT_OK] = "ok",
		[MGMT_ERR_NO_DOMAIN] = "no such domain",
		[MGMT_ERR_BAD_CONFIG] = "cannot create the domain (the log says why)",
		[MGMT_ERR_STATE] = "not possible in the domain's current state",
		[MGMT_ERR_NO_VIRT] = "this machine cannot run guests",
	};

	return (unsigned)s < sizeof(text) / sizeof(text[0]) && text[s]
		       ? text[s] : "unknown error";
}

const char *mgmt_exit_class_name(enum vcpu_exit_class c)
{
	static const char *const names[EXIT_CLASS_COUNT] = {
		[EXIT_CLASS_INTERRUPT] = "intr", [EXIT_CLASS_CPUID] = "cpuid",
		[EXIT_CLASS_MSR] = "msr",        [EXIT_CLASS_IO] = "io",
		[EXIT_CLASS_HYPERCALL] = "hcall", [EXIT_CLASS_HLT] = "hlt",
		[EXIT_CLASS_NPF] = "npf",        [EXIT_CLASS_OTHER] = "other",
	};

	return (unsigned)c < EXIT_CLASS_COUNT ? names[c] : "?";
}

void mgmt_network_list(void (*fn)(const struct net_port_info *p, void *ctx),
		       void *ctx)
{
	net_for_each_port(fn, ctx);
}

size_t mgmt_console_input(const char *name_or_id, const char *buf, size_t n)
{
	struct domain *d = domain_lookup(name_or_id);
	size_t taken = 0, to_hvc;

	if (!d)
		return 0;
	/* Both consoles get it: the guest reads whichever it has a shell on
	 * (a tty nobody has open drops its input). */
	to_hvc = domain_virtio_console_input(d, buf, n);
	while (taken < n && uart16550_receive(&d->com1, (uint8_t)buf[taken]))
		taken++;
	return taken > to_hvc ? taken : to_hvc;
}
