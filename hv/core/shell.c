/* The shell on the hypervisor console: one line at a time, xl's verbs over
 * the management API (core/mgmt.h). It runs on the boot CPU between
 * scheduler slices (shell_poll) and never waits for input.
 *
 * Its own output (echo, replies) goes to the console but not into the log
 * ring, so `dmesg` shows the hypervisor log and not earlier `dmesg`s. */
#include "core/shell.h"
#include "core/arch.h"
#include "core/domain.h"
#include "core/log.h"
#include "core/mgmt.h"
#include "lib/format.h"
#include "lib/string.h"
#include "lib/xl_vif.h"

#define PROMPT "vesta> "
#define SHELL_LINE_MAX 128
#define SHELL_ARGS_MAX 4	/* the verb and up to three arguments */
#define SHELL_POLL_CHARS 256	/* input handled per poll at most */
#define SHELL_CHUNK 256		/* ring bytes copied per read */
#define TOP_VCPUS_MAX 512

#define KEY_CTRL_C 0x03
#define KEY_BACKSPACE 0x08
#define KEY_ESC 0x1b
#define KEY_CONSOLE_ESCAPE 0x1d	/* Ctrl-] */
#define KEY_DELETE 0x7f

#define NS_PER_SEC UINT64_C(1000000000)
#define NS_PER_MS UINT64_C(1000000)

#define say console_printf_nolog

enum escape_state { ESC_NONE, ESC_START, ESC_SEQUENCE };

static struct {
	bool started;
	char line[SHELL_LINE_MAX];
	size_t len;
	bool last_was_cr;
	enum escape_state esc;
	/* `console DOM`: attached to that domain until Ctrl-] */
	bool attached;
	char console_dom[16];		/* its id, in decimal */
	char console_name[XLCFG_NAME_MAX];
	uint64_t console_cursor;
} sh;

/* Large tables stay off the 16 KiB stack. */
static struct mgmt_domain_info domain_buf[DOMAIN_MAX];
static struct mgmt_vcpu_info vcpu_buf[XLCFG_MAX_VCPUS];

static void shell_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void shell_error(const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	say("shell: error: %s\n", msg);
}

/* Nanoseconds as seconds with `decimals` (1 or 3) decimals. */
static void format_seconds(char *buf, size_t size, uint64_t ns, unsigned decimals)
{
	uint64_t unit = decimals == 3 ? NS_PER_MS : NS_PER_SEC / 10;

	fmt_snprintf(buf, size, "%lu.%0*lu", ns / NS_PER_SEC, (int)decimals,
		     ns / unit % (decimals == 3 ? 1000 : 10));
}

/* part/whole as a percentage with one decimal. */
static void format_percent(char *buf, size_t size, uint64_t part, uint64_t whole)
{
	uint64_t permille = whole ? part * 1000 / whole : 0;

	fmt_snprintf(buf, size, "%lu.%lu", permille / 10, permille % 10);
}

/* ------------------------------------------------------------- verbs */

static void cmd_help(int argc, char **argv);

static void cmd_list(int argc, char **argv)
{
	size_t n = mgmt_list(domain_buf, DOMAIN_MAX);
	char time[24];

	(void)argc, (void)argv;
	say("%-32s %5s %6s %5s %-9s %9s\n", "Name", "ID", "Mem", "VCPUs",
	    "State", "Time(s)");
	for (size_t i = 0; i < n; i++) {
		const struct mgmt_domain_info *d = &domain_buf[i];
		format_seconds(time, sizeof(time), d->cpu_time_ns, 1);
		say("%-32s %5u %6lu %5u %-9s %9s\n", d->name, d->id,
		    d->memory_mib, d->vcpus, d->state, time);
	}
}

static void cmd_create(int argc, char **argv)
{
	unsigned id;
	enum mgmt_status s = mgmt_create(argv[1], &id);

	(void)argc;
	if (s != MGMT_OK)
		shell_error("create %s: %s", argv[1], mgmt_status_str(s));
}

/* The verbs that act on one domain and print nothing when they work (the
 * log says what happened). */
static void report(const char *verb, const char *dom, enum mgmt_status s)
{
	if (s != MGMT_OK)
		shell_error("%s %s: %s", verb, dom, mgmt_status_str(s));
}

static void cmd_destroy(int argc, char **argv)
{
	(void)argc;
	report(argv[0], argv[1], mgmt_destroy(argv[1]));
}

static void cmd_shutdown(int argc, char **argv)
{
	(void)argc;
	report(argv[0], argv[1], mgmt_shutdown(argv[1], false));
}

static void cmd_reboot(int argc, char **argv)
{
	(void)argc;
	report(argv[0], argv[1], mgmt_shutdown(argv[1], true));
}

static void cmd_pause(int argc, char **argv)
{
	(void)argc;
	report(argv[0], argv[1], mgmt_pause(argv[1]));
}

static void cmd_unpause(int argc, char **argv)
{
	(void)argc;
	report(argv[0], argv[1], mgmt_unpause(argv[1]));
}

static void cmd_console(int argc, char **argv)
{
	struct mgmt_domain_info *d = &domain_buf[0];
	enum mgmt_status s = mgmt_domain_info(argv[1], d);

	(void)argc;
	if (s != MGMT_OK) {
		report(argv[0], argv[1], s);
		return;
	}
	fmt_snprintf(sh.console_dom, sizeof(sh.console_dom), "%u", d->id);
	memcpy(sh.console_name, d->name, sizeof(sh.console_name));
	sh.console_cursor = 0;	/* from the oldest byte the ring still has */
	sh.attached = true;
	mgmt_console_attach(sh.console_dom, true);
	say("[console of %s (id %u); Ctrl-] returns to the shell]\n", d->name,
	    d->id);
}

static void cmd_info(int argc, char **argv)
{
	struct mgmt_host_info h;
	char uptime[24];

	(void)argc, (void)argv;
	mgmt_host_info(&h);
	format_seconds(uptime, sizeof(uptime), h.uptime_ns, 3);
	say("cpus           : %u\n", h.cpus);
	say("memory_total   : %lu MiB\n", h.memory_total_mib);
	say("memory_free    : %lu MiB\n", h.memory_free_mib);
	say("domains        : %u\n", h.domains);
	say("virtualization : %s\n", h.virt);
	say("uptime         : %s s\n", uptime);
}

static void cmd_dmesg(int argc, char **argv)
{
	char buf[SHELL_CHUNK];
	uint64_t cursor = 0;	/* the oldest byte the ring still has */
	size_t n, total = 0;
	char last = '\n';

	(void)argc, (void)argv;
	/* Bounded: other CPUs may log while this prints. */
	while (total < LOG_RING_SIZE &&
	       (n = log_ring_read(&cursor, buf, sizeof(buf))) > 0) {
		say("%.*s", (int)n, buf);
		total += n;
		last = buf[n - 1];
	}
	if (last != '\n')
		say("\n");
}

/* ------------------------------------------------------------ vcpu-list */

static void vcpu_rows(const char *name, unsigned id)
{
	char dom[16], time[24];

	fmt_snprintf(dom, sizeof(dom), "%u", id);
	size_t n = mgmt_vcpu_list(dom, vcpu_buf, XLCFG_MAX_VCPUS);
	for (size_t i = 0; i < n; i++) {
		const struct mgmt_vcpu_info *v = &vcpu_buf[i];
		format_seconds(time, sizeof(time), v->cpu_time_ns, 1);
		say("%-32s %5u %4u %4u %-9s %9s %10ld\n", name, id, v->vcpu,
		    v->cpu, v->state, time, (long)(v->credit_ns / (int64_t)NS_PER_MS));
	}
}

static void cmd_vcpu_list(int argc, char **argv)
{
	size_t n;

	if (argc == 2) {
		enum mgmt_status s = mgmt_domain_info(argv[1], &domain_buf[0]);
		if (s != MGMT_OK) {
			report(argv[0], argv[1], s);
			return;
		}
		n = 1;
	} else {
		n = mgmt_list(domain_buf, DOMAIN_MAX);
	}
	say("%-32s %5s %4s %4s %-9s %9s %10s\n", "Name", "ID", "VCPU", "CPU",
	    "State", "Time(s)", "Credit(ms)");
	for (size_t i = 0; i < n; i++)
		vcpu_rows(domain_buf[i].name, domain_buf[i].id);
}

/* ------------------------------------------------------------------ top */

struct top_domain {
	unsigned id;
	uint64_t cpu_ns;
	uint64_t exits[EXIT_CLASS_COUNT];
};

struct top_vcpu {
	unsigned domain_id, vcpu;
	uint64_t cpu_ns;
};

/* Two snapshots: the previous `top`'s (zero at first: since boot) and
 * the one being taken. */
static struct top_snapshot {
	uint64_t time_ns;
	size_t domains, vcpus;
	struct top_domain domain[DOMAIN_MAX];
	struct top_vcpu vcpu[TOP_VCPUS_MAX];
} top_snaps[2];
static unsigned top_prev;

static const struct top_domain *top_find_domain(const struct top_snapshot *s,
						unsigned id)
{
	static const struct top_domain none;

	for (size_t i = 0; i < s->domains; i++)
		if (s->domain[i].id == id)
			return &s->domain[i];
	return &none;	/* new since: everything counts */
}

static uint64_t top_prev_vcpu_ns(const struct top_snapshot *s, unsigned id,
				 unsigned vcpu)
{
	for (size_t i = 0; i < s->vcpus; i++)
		if (s->vcpu[i].domain_id == id && s->vcpu[i].vcpu == vcpu)
			return s->vcpu[i].cpu_ns;
	return 0;
}

static uint64_t delta(uint64_t now, uint64_t before)
{
	return now > before ? now - before : 0;
}

static void top_time_row(const char *name, unsigned id, const char *vcpu,
			 uint64_t cpu_ns, uint64_t used_ns, uint64_t interval)
{
	char time[24], share[16];

	format_seconds(time, sizeof(time), cpu_ns, 1);
	format_percent(share, sizeof(share), used_ns, interval);
	say("%-24s %5u %4s %9s %7s\n", name, id, vcpu, time, share);
}

static void top_exit_row(const struct top_domain *now,
			 const struct top_domain *prev, uint64_t interval)
{
	uint64_t ms = interval / NS_PER_MS;

	say("  exits/s:");
	for (unsigned c = 0; c < EXIT_CLASS_COUNT; c++)
		say(" %s %lu", mgmt_exit_class_name((enum vcpu_exit_class)c),
		    ms ? delta(now->exits[c], prev->exits[c]) * 1000 / ms : 0);
	say("\n");
}

static void top_vcpu_rows(const struct mgmt_domain_info *d,
			  const struct top_snapshot *prev,
			  struct top_snapshot *now, uint64_t interval)
{
	char dom[16], vcpu[8];

	fmt_snprintf(dom, sizeof(dom), "%u", d->id);
	size_t n = mgmt_vcpu_list(dom, vcpu_buf, XLCFG_MAX_VCPUS);
	for (size_t i = 0; i < n; i++) {
		const struct mgmt_vcpu_info *v = &vcpu_buf[i];
		uint64_t before = top_prev_vcpu_ns(prev, d->id, v->vcpu);
		fmt_snprintf(vcpu, sizeof(vcpu), "%u", v->vcpu);
		top_time_row("", d->id, vcpu, v->cpu_time_ns,
			     delta(v->cpu_time_ns, before), interval);
		if (now->vcpus < TOP_VCPUS_MAX)
			now->vcpu[now->vcpus++] = (struct top_vcpu){
				d->id, v->vcpu, v->cpu_time_ns};
	}
}

static void top_domain_rows(const struct mgmt_domain_info *d,
			    const struct top_snapshot *prev,
			    struct top_snapshot *now, uint64_t interval)
{
	const struct top_domain *before = top_find_domain(prev, d->id);
	struct top_domain *sample = &now->domain[now->domains++];

	sample->id = d->id;
	sample->cpu_ns = d->cpu_time_ns;
	memcpy(sample->exits, d->exits, sizeof(sample->exits));
	top_time_row(d->name, d->id, "all", d->cpu_time_ns,
		     delta(d->cpu_time_ns, before->cpu_ns), interval);
	top_vcpu_rows(d, prev, now, interval);
	top_exit_row(sample, before, interval);
}

static void cmd_top(int argc, char **argv)
{
	const struct top_snapshot *prev = &top_snaps[top_prev];
	struct top_snapshot *now = &top_snaps[!top_prev];
	size_t n = mgmt_list(domain_buf, DOMAIN_MAX);
	char secs[24];

	(void)argc, (void)argv;
	now->time_ns = arch_time_ns();
	now->domains = now->vcpus = 0;
	uint64_t interval = delta(now->time_ns, prev->time_ns);
	format_seconds(secs, sizeof(secs), interval, 1);
	say("top: the last %s s (since the %s); CPU(%%) of one CPU\n", secs,
	    prev->time_ns ? "previous top" : "boot");
	say("%-24s %5s %4s %9s %7s\n", "Name", "ID", "VCPU", "Time(s)", "CPU(%)");
	for (size_t i = 0; i < n; i++)
		top_domain_rows(&domain_buf[i], prev, now, interval);
	top_prev = !top_prev;
}

/* --------------------------------------------------------- network-list */

static void network_row(const struct net_port_info *p, void *ctx)
{
	const char *only = ctx;
	char mac[XL_VIF_MAC_STR_LEN];
	char id[12];
	const struct vswitch_port_stats *s = &p->stats;

	fmt_snprintf(id, sizeof(id), "%u", p->domain_id);
	if (only && strcmp(only, p->domain) && strcmp(only, id))
		return;
	xl_vif_format_mac(p->mac, mac);
	say("%-10s %-16s %3u %s %8lu %10lu %8lu %10lu %7lu %7lu %7lu\n", p->bridge,
	    p->domain, p->vif, mac, s->tx_packets, s->tx_bytes, s->rx_packets,
	    s->rx_bytes, s->tx_spoofed,
	    s->tx_runt + s->tx_oversize + s->tx_bad_header, s->rx_no_buffer);
}

static void cmd_network_list(int argc, char **argv)
{
	say("%-10s %-16s %3s %-17s %8s %10s %8s %10s %7s %7s %7s\n", "Bridge",
	    "Domain", "Vif", "MAC", "TX pkts", "TX bytes", "RX pkts", "RX bytes",
	    "Spoofed", "Bad", "NoBuf");
	mgmt_network_list(network_row, argc == 2 ? argv[1] : NULL);
}

/* ----------------------------------------------------------- the table */

struct verb {
	const char *name;
	void (*run)(int argc, char **argv);
	int min_args, max_args;		/* after the verb */
	const char *usage;
	const char *help;
};

static const struct verb verbs[] = {
	{"help", cmd_help, 0, 0, "help", "this list"},
	{"list", cmd_list, 0, 0, "list", "the domains"},
	{"create", cmd_create, 1, 1, "create FILE",
	 "start a domain from an xl.cfg file in the bundle"},
	{"destroy", cmd_destroy, 1, 1, "destroy DOM", "stop a domain now and free it"},
	{"shutdown", cmd_shutdown, 1, 1, "shutdown DOM",
	 "power a domain off (then on_poweroff)"},
	{"reboot", cmd_reboot, 1, 1, "reboot DOM", "reboot a domain (then on_reboot)"},
	{"pause", cmd_pause, 1, 1, "pause DOM", "stop running a domain's vCPUs"},
	{"unpause", cmd_unpause, 1, 1, "unpause DOM", "run a paused domain again"},
	{"console", cmd_console, 1, 1, "console DOM",
	 "follow a domain's console; Ctrl-] returns"},
	{"info", cmd_info, 0, 0, "info", "the host: CPUs, memory, virtualization"},
	{"top", cmd_top, 0, 0, "top", "CPU time and exits since the previous top"},
	{"dmesg", cmd_dmesg, 0, 0, "dmesg", "the hypervisor log"},
	{"vcpu-list", cmd_vcpu_list, 0, 1, "vcpu-list [DOM]",
	 "the vCPUs of one domain or of all"},
	{"network-list", cmd_network_list, 0, 1, "network-list [DOM]",
	 "network ports and their counters"},
};
#define VERB_COUNT (sizeof(verbs) / sizeof(verbs[0]))

static void cmd_help(int argc, char **argv)
{
	(void)argc, (void)argv;
	for (size_t i = 0; i < VERB_COUNT; i++)
		say("  %-18s %s\n", verbs[i].usage, verbs[i].help);
	say("DOM is a domain's name or id.\n");
}

/* Splits the line in place; returns the word count, -1 if too many. */
static int split_words(char *line, char **argv)
{
	int argc = 0;

	for (char *p = line; *p;) {
		while (*p == ' ' || *p == '\t')
			*p++ = '\0';
		if (!*p)
			break;
		if (argc == SHELL_ARGS_MAX)
			return -1;
		argv[argc++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
	}
	return argc;
}

static void run_line(char *line)
{
	char *argv[SHELL_ARGS_MAX];
	int argc = split_words(line, argv);

	if (argc == 0)
		return;
	if (argc < 0) {
		shell_error("too many arguments");
		return;
	}
	for (size_t i = 0; i < VERB_COUNT; i++) {
		const struct verb *v = &verbs[i];
		if (strcmp(argv[0], v->name) != 0)
			continue;
		if (argc - 1 < v->min_args || argc - 1 > v->max_args)
			shell_error("%s: wrong arguments; usage: %s", v->name, v->usage);
		else
			v->run(argc, argv);
		return;
	}
	shell_error("unknown command '%s' (try 'help')", argv[0]);
}

/* ------------------------------------------------------------ the line */

static void prompt(void)
{
	say(PROMPT);
}

/* Swallows terminal escape sequences (arrow keys: ESC [ A, ESC O P). */
static bool in_escape_sequence(unsigned char ch)
{
	switch (sh.esc) {
	case ESC_NONE:
		if (ch != KEY_ESC)
			return false;
		sh.esc = ESC_START;
		return true;
	case ESC_START:
		sh.esc = (ch == '[' || ch == 'O') ? ESC_SEQUENCE : ESC_NONE;
		return true;
	case ESC_SEQUENCE:
		if (ch >= 0x40 && ch <= 0x7e)
			sh.esc = ESC_NONE;
		return true;
	}
	return false;
}

static void line_add(char ch)
{
	if (sh.len == sizeof(sh.line) - 1) {
		say("\a");	/* full */
		return;
	}
	sh.line[sh.len++] = ch;
	say("%c", ch);
}

static void line_backspace(void)
{
	if (sh.len) {
		sh.len--;
		say("\b \b");
	}
}

static void line_cancel(void)
{
	sh.len = 0;
	say("^C\n");
	prompt();
}

static void line_end(void)
{
	say("\n");
	sh.line[sh.len] = '\0';
	sh.len = 0;
	run_line(sh.line);
	if (!sh.attached)
		prompt();
}

static void shell_input(unsigned char ch)
{
	bool lf_after_cr = sh.last_was_cr && ch == '\n';

	sh.last_was_cr = ch == '\r';
	if (lf_after_cr || in_escape_sequence(ch))
		return;
	if (ch == '\r' || ch == '\n')
		line_end();
	else if (ch == KEY_DELETE || ch == KEY_BACKSPACE)
		line_backspace();
	else if (ch == KEY_CTRL_C)
		line_cancel();
	else if (ch >= 0x20 && ch < 0x7f)
		line_add((char)ch);
	/* other control characters: ignored */
}

/* ------------------------------------------------------------- console */

static void console_detach(const char *why)
{
	mgmt_console_attach(sh.console_dom, false);
	sh.attached = false;
	sh.last_was_cr = false;
	say("\n[%s]\n", why);
	prompt();
}

/* What the domain wrote since the last look, as it is (NULs dropped). */
static void console_show_new(void)
{
	char buf[SHELL_CHUNK];
	size_t n, total = 0;

	while (total < DOMAIN_CONSOLE_RING_SIZE &&
	       (n = mgmt_console_read(sh.console_dom, &sh.console_cursor, buf,
				      sizeof(buf))) > 0) {
		for (size_t i = 0; i < n; i++)
			if (buf[i] == '\0')
				buf[i] = '?';
		say("%.*s", (int)n, buf);
		total += n;
	}
}

/* What is typed, but Ctrl-], goes to the domain's COM1; what its receive
 * buffer cannot take now is dropped, as a UART overrun would. */
static void console_poll(void)
{
	struct mgmt_domain_info *d = &domain_buf[0];
	int ch;

	console_show_new();
	for (unsigned i = 0; i < SHELL_POLL_CHARS && (ch = arch_console_getc()) >= 0; i++) {
		if (ch == KEY_CONSOLE_ESCAPE) {
			console_detach("back to the shell");
			return;
		}
		char byte = (char)ch;
		mgmt_console_input(sh.console_dom, &byte, 1);
	}
	if (mgmt_domain_info(sh.console_dom, d) != MGMT_OK ||
	    strcmp(d->name, sh.console_name) != 0)
		console_detach("the domain is gone; back to the shell");
}

/* ------------------------------------------------------------ interface */

void shell_init(void)
{
	if (sh.started)
		return;
	sh.started = true;
	prompt();
}

void shell_poll(void)
{
	int ch;

	shell_init();	/* in case hv_main did not */
	if (sh.attached) {
		console_poll();
		return;
	}
	for (unsigned i = 0; i < SHELL_POLL_CHARS && !sh.attached &&
			     (ch = arch_console_getc()) >= 0; i++)
		shell_input((unsigned char)ch);
}
