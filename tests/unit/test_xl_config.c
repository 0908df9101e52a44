/* lib/xl_config.c: xl.cfg(5) domain configs, good ones (Xen's own examples
 * among them) and every error the parser reports, with its line and key.
 * Each text is handed over in a heap block of exactly its length, without
 * a NUL, so ASan reports any read past the end. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/xl_config.h"

#define MAX_WARNINGS 16
/* The three required settings, for tests about the others. */
#define BASE "name = \"vm\"\nmemory = 64\nkernel = \"k\"\n"
#define BASE_LINES 3

struct warnings {
	struct xlcfg_diagnostic w[MAX_WARNINGS];
	size_t count;
};

static void collect(void *ctx, const struct xlcfg_diagnostic *w)
{
	struct warnings *ws = ctx;

	assert_true(ws->count < MAX_WARNINGS);
	/* Diagnostics are always terminated strings. */
	assert_true(strnlen(w->key, sizeof(w->key)) < sizeof(w->key));
	assert_true(strnlen(w->message, sizeof(w->message)) <
		    sizeof(w->message));
	ws->w[ws->count++] = *w;
}

/* Parses the first len bytes of text from an exactly sized heap copy. */
static bool parse_n(const char *text, size_t len, struct domain_config *c,
		    struct xlcfg_diagnostic *err, struct warnings *ws)
{
	char *copy = malloc(len > 0 ? len : 1);
	bool ok;

	assert_non_null(copy);
	memcpy(copy, text, len);
	memset(err, 0x5a, sizeof(*err));
	ws->count = 0;
	ok = xlcfg_parse(copy, len, c, err, collect, ws);
	free(copy);
	return ok;
}

static bool parse(const char *text, struct domain_config *c,
		  struct xlcfg_diagnostic *err, struct warnings *ws)
{
	return parse_n(text, strlen(text), c, err, ws);
}

/* Parses a config that must be good, printing the error if it is not. */
static void parse_ok(const char *text, struct domain_config *c,
		     struct warnings *ws)
{
	struct xlcfg_diagnostic err;

	if (!parse(text, c, &err, ws)) {
		print_error("unexpected error: line %u: %s: %s\n", err.line,
			    err.key, err.message);
		fail();
	}
}

/* The error must be on `line`, name `key` and say exactly `message`. */
static void expect_error(const char *text, unsigned line, const char *key,
			 const char *message)
{
	struct domain_config c;
	struct xlcfg_diagnostic err;
	struct warnings ws;

	if (parse(text, &c, &err, &ws)) {
		print_error("parsed, but wanted: %u: %s: %s\n", line, key,
			    message);
		fail();
	}
	if (err.line != line || strcmp(err.key, key) != 0 ||
	    strcmp(err.message, message) != 0) {
		print_error("got    %u: '%s': %s\nwanted %u: '%s': %s\n",
			    err.line, err.key, err.message, line, key, message);
		fail();
	}
}

static void expect_warning(const struct warnings *ws, size_t i, unsigned line,
			   const char *key, const char *message)
{
	assert_true(i < ws->count);
	if (ws->w[i].line != line || strcmp(ws->w[i].key, key) != 0 ||
	    strcmp(ws->w[i].message, message) != 0) {
		print_error("warning %zu: got %u: '%s': %s\nwanted %u: '%s': %s\n",
			    i, ws->w[i].line, ws->w[i].key, ws->w[i].message,
			    line, key, message);
		fail();
	}
}

static size_t cpu_count(const struct domain_config *c)
{
	size_t n = 0;

	for (unsigned cpu = 0; cpu < XLCFG_MAX_CPUS; cpu++)
		n += xlcfg_cpu_allowed(c, cpu);
	return n;
}

/* --------------------------------------------------------- good configs */

static void test_minimal_and_defaults(void **state)
{
	(void)state;
	struct domain_config c;
	struct warnings ws;

	parse_ok(BASE, &c, &ws);
	assert_int_equal(ws.count, 0);
	assert_string_equal(c.name, "vm");
	assert_int_equal(c.memory_mib, 64);
	assert_string_equal(c.kernel, "k");
	assert_int_equal(c.vcpus, 1);
	assert_string_equal(c.ramdisk, "");
	assert_string_equal(c.cmdline, "");
	assert_int_equal(c.cpu_weight, 256);
	assert_int_equal(c.cap, 0);
	assert_false(c.cpus_given);
	for (size_t i = 0; i < XLCFG_MAX_CPUS / 64; i++)
		assert_true(c.cpus[i] == UINT64_MAX);
	assert_true(xlcfg_cpu_allowed(&c, 0));
	assert_true(xlcfg_cpu_allowed(&c, 1000));
	assert_int_equal(c.on_poweroff, XLCFG_ACTION_DESTROY);
	assert_int_equal(c.on_reboot, XLCFG_ACTION_RESTART);
	assert_int_equal(c.on_crash, XLCFG_ACTION_DESTROY);
	assert_int_equal(c.disk_count, 0);
	assert_int_equal(c.vif_count, 0);
}

static void test_every_key(void **state)
{
	(void)state;
	struct domain_config c;
	struct warnings ws;

	parse_ok("name = 'web-1.example_2'\n"
		 "memory = 0x200\n"
		 "vcpus = 4\n"
		 "maxvcpus = 4\n"
		 "kernel = \"/kernels/vmlinuz\"\n"
		 "ramdisk = \"/kernels/initrd.img\"\n"
		 "cmdline = \"console=ttyS0 root=/dev/vda\"\n"
		 "cpu_weight = 512\n"
		 "cap = 150\n"
		 "cpus = \"0-3,6\"\n"
		 "on_poweroff = \"preserve\"\n"
		 "on_reboot = 'destroy'\n"
		 "on_crash = \"restart\"\n"
		 "disk = [ 'file:/img/web.raw,xvda,w', 'phy:/dev/sdb,xvdb,r' ]\n"
		 "vif = [ 'mac=00:16:3e:00:00:01,bridge=xenbr0' ]\n",
		 &c, &ws);
	assert_int_equal(ws.count, 0);
	assert_string_equal(c.name, "web-1.example_2");
	assert_int_equal(c.memory_mib, 512);
	assert_int_equal(c.vcpus, 4);
	assert_string_equal(c.kernel, "/kernels/vmlinuz");
	assert_string_equal(c.ramdisk, "/kernels/initrd.img");
	assert_string_equal(c.cmdline, "console=ttyS0 root=/dev/vda");
	assert_int_equal(c.cpu_weight, 512);
	assert_int_equal(c.cap, 150);
	assert_true(c.cpus_given);
	assert_int_equal(c.cpus[0], 0x4f);
	assert_int_equal(c.cpus[1] | c.cpus[2] | c.cpus[3], 0);
	assert_int_equal(c.on_poweroff, XLCFG_ACTION_PRESERVE);
	assert_int_equal(c.on_reboot, XLCFG_ACTION_DESTROY);
	assert_int_equal(c.on_crash, XLCFG_ACTION_RESTART);
	assert_int_equal(c.disk_count, 2);
	assert_string_equal(c.disk[0], "file:/img/web.raw,xvda,w");
	assert_string_equal(c.disk[1], "phy:/dev/sdb,xvdb,r");
	assert_int_equal(c.vif_count, 1);
	assert_string_equal(c.vif[0], "mac=00:16:3e:00:00:01,bridge=xenbr0");
}

/* Xen's tools/examples/xlexample.pvlinux, as shipped: its comments, a
 * commented-out uuid and maxmem, extra, vif = [ '' ]. */
static void test_xen_example_pvlinux(void **state)
{
	(void)state;
	struct domain_config c;
	struct warnings ws;

	parse_ok("# =====================================================================\n"
		 "# Example PV Linux guest configuration\n"
		 "# =====================================================================\n"
		 "#\n"
		 "# This is a fairly minimal example of what is required for a\n"
		 "# Paravirtualised Linux guest. For a more complete guide see xl.cfg(5)\n"
		 "\n"
		 "# Guest name\n"
		 "name = \"example.pvlinux\"\n"
		 "\n"
		 "# 128-bit UUID for the domain as a hexadecimal number.\n"
		 "#uuid = \"XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX\"\n"
		 "\n"
		 "# Kernel image to boot\n"
		 "kernel = \"/boot/vmlinuz\"\n"
		 "\n"
		 "# Ramdisk (optional)\n"
		 "#ramdisk = \"/boot/initrd.gz\"\n"
		 "\n"
		 "# Kernel command line options\n"
		 "extra = \"root=/dev/xvda1\"\n"
		 "\n"
		 "# Initial memory allocation (MB)\n"
		 "memory = 128\n"
		 "\n"
		 "# Maximum memory (MB)\n"
		 "#maxmem = 512\n"
		 "\n"
		 "# Number of VCPUS\n"
		 "vcpus = 2\n"
		 "\n"
		 "# Network devices\n"
		 "vif = [ '' ]\n"
		 "\n"
		 "# Disk Devices\n"
		 "disk = [ '/dev/vg/guest-volume,raw,xvda,rw' ]\n",
		 &c, &ws);
	assert_int_equal(ws.count, 0);
	assert_string_equal(c.name, "example.pvlinux");
	assert_string_equal(c.kernel, "/boot/vmlinuz");
	assert_string_equal(c.cmdline, "root=/dev/xvda1");
	assert_int_equal(c.memory_mib, 128);
	assert_int_equal(c.vcpus, 2);
	assert_int_equal(c.vif_count, 1);
	assert_string_equal(c.vif[0], "");
	assert_int_equal(c.disk_count, 1);
	assert_string_equal(c.disk[0], "/dev/vg/guest-volume,raw,xvda,rw");
}

/* Xen's xlexample.hvm shape: type, serial and friends are Xen's business
 * and only warn; the rest is read. */
static void test_xen_example_hvm(void **state)
{
	(void)state;
	struct domain_config c;
	struct warnings ws;

	parse_ok("# Example HVM guest configuration\n"
		 "type = \"hvm\"\n"
		 "name = \"example.hvm\"\n"
		 "memory = 128\n"
		 "vcpus = 2\n"
		 "kernel = \"/boot/vmlinux\"\n"
		 "vif = [ 'bridge=xenbr0' ]\n"
		 "disk = [ '/dev/vg/guest-volume,raw,xvda,rw' ]\n"
		 "vnc = 1\n"
		 "serial = 'pty'\n"
		 "on_watchdog = \"destroy\"\n",
		 &c, &ws);
	assert_int_equal(ws.count, 4);
	expect_warning(&ws, 0, 2, "type", "not used by Vesta, ignored");
	expect_warning(&ws, 1, 9, "vnc", "not used by Vesta, ignored");
	expect_warning(&ws, 2, 10, "serial", "not used by Vesta, ignored");
	expect_warning(&ws, 3, 11, "on_watchdog", "not used by Vesta, ignored");
	assert_string_equal(c.name, "example.hvm");
	assert_int_equal(c.vif_count, 1);
}

static void test_comments_semicolons_blanks(void **state)
{
	(void)state;
	struct domain_config c;
	struct warnings ws;

	parse_ok("  # leading comment\n"
		 "\n\t\n"
		 "name=\"a\"; memory=64;kernel='k#1' # all on one line\n"
		 ";;\n"
		 "vcpus = 2 ;cap=50;\n"
		 "cmdline = \"x # not a comment\"#comment right after\n"
		 "\n# no newline at the end\ncpu_weight = 7",
		 &c, &ws);
	assert_int_equal(ws.count, 0);
	assert_string_equal(c.name, "a");
	assert_int_equal(c.memory_mib, 64);
	assert_string_equal(c.kernel, "k#1");
	assert_int_equal(c.vcpus, 2);
	assert_int_equal(c.cap, 50);
	assert_string_equal(c.cmdline, "x # not a comment");
	assert_int_equal(c.cpu_weight, 7);
}

static void test_windows_line_endings(void **state)
{
	(void)state;
	struct domain_config c;
	struct warnings ws;

	parse_ok("name = \"vm\"\r\nmemory = 64\r\nkernel = \"k\"\r\n"
		 "disk = [\r\n  'a.img,raw,xvda',\r\n  'b.img,raw,xvdb'\r\n]\r\n",
		 &c, &ws);
	assert_int_equal(c.disk_count, 2);
	assert_string_equal(c.disk[1], "b.img,raw,xvdb");
	expect_error("name = \"vm\"\r\nmemory = 64\r\nkernel = \"k\"\r\n"
		     "vcpus = 0\r\n", 4, "vcpus", "0 is out of range 1..64");
}

static void test_multiline_lists(void **state)
{
	(void)state;
	struct domain_config c;
	struct warnings ws;

	parse_ok(BASE
		 "disk = [\n"
		 "  # the root disk\n"
		 "  'file:/a.img,xvda,w',   # trailing comment\n"
		 "\n"
		 "  \"file:/b.img,xvdb,r\"\n"
		 "  , 'c.img,raw,xvdc'   ,\n"
		 "]\n"
		 "vif = []\n"
		 "cpus = [ 1,\n 2, ]\n",
		 &c, &ws);
	assert_int_equal(c.disk_count, 3);
	assert_string_equal(c.disk[0], "file:/a.img,xvda,w");
	assert_string_equal(c.disk[1], "file:/b.img,xvdb,r");
	assert_string_equal(c.disk[2], "c.img,raw,xvdc");
	assert_int_equal(c.vif_count, 0);
	assert_int_equal(c.cpus[0], 0x6);
}

static void test_escapes(void **state)
{
	(void)state;
	struct domain_config c;
	struct warnings ws;

	parse_ok(BASE "cmdline = \"a\\\\b \\\"q\\\" \\'s\\' \\n\\t|\\x41\\101\\7|\\r\"\n"
		 "ramdisk = 'it\\'s \"dq\" \\x2f'\n",
		 &c, &ws);
	assert_string_equal(c.cmdline, "a\\b \"q\" 's' \n\t|AA\a|\r");
	assert_string_equal(c.ramdisk, "it's \"dq\" /");
	/* Every simple escape libxlu knows. */
	parse_ok(BASE "cmdline = \"\\a\\b\\f\\n\\r\\t\\v\\\\\\\"\\'\"\n", &c, &ws);
	assert_string_equal(c.cmdline, "\a\b\f\n\r\t\v\\\"'");
	/* An escape counts as one character against the limits. */
	parse_ok("name = \"\\x61\\x62\"\nmemory = 1\nkernel = \"k\"\n", &c, &ws);
	assert_string_equal(c.name, "ab");
}

static void test_duplicates_last_wins(void **state)
{
	(void)state;
	struct domain_config c;
	struct warnings ws;

	parse_ok(BASE "memory = 128\n"
		 "disk = ['a,raw,xvda', 'b,raw,xvdb', 'c,raw,xvdc']\n"
		 "cpus = \"0-7\"\n"
		 "disk = ['d,raw,xvda']\n"
		 "cpus = \"9\"\n"
		 "name = \"second\"\n",
		 &c, &ws);
	assert_int_equal(c.memory_mib, 128);
	assert_int_equal(c.disk_count, 1);
	assert_string_equal(c.disk[0], "d,raw,xvda");
	assert_int_equal(c.cpus[0], 1u << 9);
	assert_string_equal(c.name, "second");
	assert_int_equal(ws.count, 4);
	expect_warning(&ws, 0, 4, "memory", "set again, replaces line 2");
	expect_warning(&ws, 1, 7, "disk", "set again, replaces line 5");
	expect_warning(&ws, 2, 8, "cpus", "set again, replaces line 6");
	expect_warning(&ws, 3, 9, "name", "set again, replaces line 1");
}

static void test_unknown_and_ignored_keys(void **state)
{
	(void)state;
	struct domain_config c;
	struct warnings ws;

	parse_ok(BASE "frobnicate = 3\n"
		 "builder = \"hvm\"\n"
		 "pci = [ '01:00.0', '02:00.0' ]\n"
		 "Memory = 1\n"
		 "a_very_long_key_name_that_goes_on_and_on_and_on = 'x'\n"
		 "uuid = \"6b1e2a4c-1111-2222-3333-444455556666\"\n",
		 &c, &ws);
	assert_int_equal(c.memory_mib, 64);
	assert_int_equal(ws.count, 6);
	expect_warning(&ws, 0, 4, "frobnicate", "unknown key, ignored");
	expect_warning(&ws, 1, 5, "builder", "not used by Vesta, ignored");
	expect_warning(&ws, 2, 6, "pci", "not used by Vesta, ignored");
	/* Keys are case-sensitive, as in xl. */
	expect_warning(&ws, 3, 7, "Memory", "unknown key, ignored");
	/* A long key is cut to fit the diagnostic. */
	expect_warning(&ws, 4, 8, "a_very_long_key_name_that_goes_",
		       "unknown key, ignored");
	expect_warning(&ws, 5, 9, "uuid", "not used by Vesta, ignored");
}

static void test_cmdline_extra_root(void **state)
{
	(void)state;
	struct domain_config c;
	struct warnings ws;

	parse_ok(BASE "extra = \"console=hvc0\"\n", &c, &ws);
	assert_string_equal(c.cmdline, "console=hvc0");
	assert_int_equal(ws.count, 0);

	parse_ok(BASE "root = \"/dev/xvda1 ro\"\n", &c, &ws);
	assert_string_equal(c.cmdline, "root=/dev/xvda1 ro");

	parse_ok(BASE "extra = \"quiet\"\nroot = \"/dev/xvda1\"\n", &c, &ws);
	assert_string_equal(c.cmdline, "root=/dev/xvda1 quiet");

	parse_ok(BASE "extra = \"quiet\"\ncmdline = \"console=ttyS0\"\n"
		 "root = \"/dev/sda\"\n", &c, &ws);
	assert_string_equal(c.cmdline, "console=ttyS0");
	assert_int_equal(ws.count, 2);
	expect_warning(&ws, 0, 6, "root", "ignored: cmdline (line 5) wins");
	expect_warning(&ws, 1, 4, "extra", "ignored: cmdline (line 5) wins");

	/* An empty cmdline still wins. */
	parse_ok(BASE "cmdline = \"\"\nextra = \"x\"\n", &c, &ws);
	assert_string_equal(c.cmdline, "");
	assert_int_equal(ws.count, 1);
}

static void test_cpus_forms(void **state)
{
	(void)state;
	struct domain_config c;
	struct warnings ws;

	parse_ok(BASE "cpus = \"all\"\n", &c, &ws);
	assert_true(c.cpus_given);
	assert_int_equal(cpu_count(&c), XLCFG_MAX_CPUS);
	assert_false(xlcfg_cpu_allowed(&c, XLCFG_MAX_CPUS));

	parse_ok(BASE "cpus = \"all,^1,^3-4\"\n", &c, &ws);
	assert_int_equal(cpu_count(&c), XLCFG_MAX_CPUS - 3);
	assert_false(xlcfg_cpu_allowed(&c, 1));
	assert_false(xlcfg_cpu_allowed(&c, 4));
	assert_true(xlcfg_cpu_allowed(&c, 5));

	/* Applied in order: a later item can add back. */
	parse_ok(BASE "cpus = \" 0-3 , ^2, 2 ,200-255\"\n", &c, &ws);
	assert_int_equal(cpu_count(&c), 4 + 56);
	assert_true(xlcfg_cpu_allowed(&c, 2));
	assert_true(xlcfg_cpu_allowed(&c, 255));
	assert_false(xlcfg_cpu_allowed(&c, 199));

	parse_ok(BASE "cpus = 7\n", &c, &ws);
	assert_int_equal(cpu_count(&c), 1);
	assert_true(xlcfg_cpu_allowed(&c, 7));
	assert_int_equal(ws.count, 0);

	parse_ok(BASE "cpus = [\"2\"]\n", &c, &ws);
	assert_int_equal(c.cpus[0], 0x4);
	assert_int_equal(ws.count, 0);

	/* xl's per-vCPU list: the union, with a warning. */
	parse_ok(BASE "cpus = [ \"0-1\", 5, \"64\" ]\n", &c, &ws);
	assert_int_equal(c.cpus[0], 0x23);
	assert_int_equal(c.cpus[1], 1);
	assert_int_equal(ws.count, 1);
	expect_warning(&ws, 0, 4, "cpus",
		       "xl pins vCPU i to item i; here every vCPU gets the union of the 3 items");

	parse_ok(BASE "cpus = \"63-64,127,128,191-192\"\n", &c, &ws);
	assert_int_equal(c.cpus[0], 1ull << 63);
	assert_int_equal(c.cpus[1], 1ull | 1ull << 63);
	assert_int_equal(c.cpus[2], 1ull | 1ull << 63);
	assert_int_equal(c.cpus[3], 1ull);
}

static void test_cpus_errors(void **state)
{
	(void)state;

	expect_error(BASE "cpus = \"\"\n", 4, "cpus",
		     "\"\" is not a CPU, a range or \"all\"");
	expect_error(BASE "cpus = \"0,,1\"\n", 4, "cpus",
		     "\"\" is not a CPU, a range or \"all\"");
	expect_error(BASE "cpus = \"x\"\n", 4, "cpus",
		     "\"x\" is not a CPU, a range or \"all\"");
	expect_error(BASE "cpus = \"1-\"\n", 4, "cpus",
		     "\"1-\" is not a CPU, a range or \"all\"");
	expect_error(BASE "cpus = \"-1\"\n", 4, "cpus",
		     "\"-1\" is not a CPU, a range or \"all\"");
	expect_error(BASE "cpus = \"1 2\"\n", 4, "cpus",
		     "\"1 2\" is not a CPU, a range or \"all\"");
	expect_error(BASE "cpus = \"0-3,256\"\n", 4, "cpus",
		     "\"256\": CPUs are numbered 0..255");
	expect_error(BASE "cpus = \"0-99999999999999999999\"\n", 4, "cpus",
		     "\"0-99999999999999999999\": CPUs are numbered 0..255");
	expect_error(BASE "cpus = \"5-3\"\n", 4, "cpus",
		     "\"5-3\": range ends before it starts");
	expect_error(BASE "cpus = \"nodes:0\"\n", 4, "cpus",
		     "\"nodes:0\": NUMA node sets are not supported");
	expect_error(BASE "cpus = \"^3\"\n", 4, "cpus",
		     "\"^3\" selects no CPU");
	expect_error(BASE "cpus = \"all,^all\"\n", 4, "cpus",
		     "\"all,^all\" selects no CPU");
	expect_error(BASE "cpus = \"0,1,2,this-item-is-far-too-long-to-be-a-cpu\"\n",
		     4, "cpus",
		     "\"this-item-is-far-too-lon...\" is not a CPU, a range or \"all\"");
	expect_error(BASE "cpus = 256\n", 4, "cpus", "256: CPUs are numbered 0..255");
	expect_error(BASE "cpus = 0x1z\n", 4, "cpus", "0x1z: CPUs are numbered 0..255");
	expect_error(BASE "cpus = []\n", 4, "cpus", "an empty list selects no CPU");
	expect_error(BASE "cpus = [\n  \"1\",\n  \"^1\"\n]\n", 6, "cpus",
		     "\"^1\" selects no CPU");
}

static void test_actions(void **state)
{
	(void)state;
	struct domain_config c;
	struct warnings ws;

	parse_ok(BASE "on_poweroff = \"restart\"\non_reboot = \"preserve\"\n"
		 "on_crash = \"preserve\"\n", &c, &ws);
	assert_int_equal(c.on_poweroff, XLCFG_ACTION_RESTART);
	assert_int_equal(c.on_reboot, XLCFG_ACTION_PRESERVE);
	assert_int_equal(c.on_crash, XLCFG_ACTION_PRESERVE);

	expect_error(BASE "on_crash = \"rename-restart\"\n", 4, "on_crash",
		     "\"rename-restart\" is not supported (use destroy, restart or preserve)");
	expect_error(BASE "on_crash = \"coredump-destroy\"\n", 4, "on_crash",
		     "\"coredump-destroy\" is not supported (use destroy, restart or preserve)");
	expect_error(BASE "on_reboot = 'coredump-restart'\n", 4, "on_reboot",
		     "\"coredump-restart\" is not supported (use destroy, restart or preserve)");
	expect_error(BASE "on_poweroff = \"soft-reset\"\n", 4, "on_poweroff",
		     "\"soft-reset\" is not supported (use destroy, restart or preserve)");
	expect_error(BASE "on_poweroff = \"Destroy\"\n", 4, "on_poweroff",
		     "want destroy, restart or preserve, got \"Destroy\"");
	expect_error(BASE "on_poweroff = \"destroy-and-then-some-more-words\"\n",
		     4, "on_poweroff",
		     "want destroy, restart or preserve, got \"destroy-and-then-some-more-words\"");
	expect_error(BASE "on_poweroff = 1\n", 4, "on_poweroff",
		     "want a \"string\", got 1");

	assert_string_equal(xlcfg_action_name(XLCFG_ACTION_DESTROY), "destroy");
	assert_string_equal(xlcfg_action_name(XLCFG_ACTION_RESTART), "restart");
	assert_string_equal(xlcfg_action_name(XLCFG_ACTION_PRESERVE), "preserve");
	assert_string_equal(xlcfg_action_name((enum xlcfg_action)42), "unknown");
}

static void test_devices(void **state)
{
	(void)state;
	struct domain_config c;
	struct warnings ws;
	char text[4096], spec[XLCFG_DEVICE_SPEC_MAX + 1];

	parse_ok(BASE "vif = [ 'bridge=b1','bridge=b2','bridge=b3','bridge=b4',"
		 "'bridge=b5','bridge=b6','bridge=b7','bridge=b8' ]\n", &c, &ws);
	assert_int_equal(c.vif_count, XLCFG_MAX_DEVICES);
	assert_string_equal(c.vif[7], "bridge=b8");
	expect_error(BASE "vif = [ '','','','','','','','',\n'' ]\n",
		     5, "vif", "more than 8 entries");

	/* A path, then ",raw,xvda": 127 characters in all. */
	memset(spec, 'd', XLCFG_DEVICE_SPEC_MAX - 1);
	memcpy(spec + XLCFG_DEVICE_SPEC_MAX - 1 - 9, ",raw,xvda", 9);
	spec[XLCFG_DEVICE_SPEC_MAX - 1] = '\0';
	snprintf(text, sizeof(text), BASE "disk = [\n'%s'\n]\n", spec);
	parse_ok(text, &c, &ws);
	assert_string_equal(c.disk[0], spec);
	strcat(spec, "a");
	snprintf(text, sizeof(text), BASE "disk = [\n'%s'\n]\n", spec);
	expect_error(text, 5, "disk", "entry longer than 127 characters");

	expect_error(BASE "disk = 'file:/a,xvda,w'\n", 4, "disk",
		     "want a [ list ] of strings, got 'file:/a,xvda,w'");
	expect_error(BASE "disk = ['a,raw,xvda',\n 3]\n", 5, "disk",
		     "want a \"string\", got 3");
	expect_error(BASE "vif = 0\n", 4, "vif",
		     "want a [ list ] of strings, got 0");

	/* Each entry is checked as a disk or a network port, on its line. */
	expect_error(BASE "disk = [ 'a.img,raw,xvda',\n 'b.img,qcow2,xvdb' ]\n",
		     5, "disk", "format qcow2 is not supported (only raw)");
	expect_error(BASE "vif = [\n\n 'mac=ff:ff:ff:ff:ff:ff' ]\n", 6, "vif",
		     "mac: ff:ff:ff:ff:ff:ff is the broadcast address");
}

static void test_limits(void **state)
{
	(void)state;
	struct domain_config c;
	struct warnings ws;
	char text[2048], big[XLCFG_CMDLINE_MAX + 2];

	parse_ok(BASE "vcpus = 0X40\ncpu_weight = 0xFffF\ncap = 6400\n", &c, &ws);
	assert_int_equal(c.vcpus, 64);
	assert_int_equal(c.cpu_weight, 65535);
	assert_int_equal(c.cap, 6400);
	parse_ok(BASE "cpu_weight = 1\ncap = 0\nvcpus = 1\n", &c, &ws);
	assert_int_equal(c.cpu_weight, 1);
	expect_error(BASE "vcpus = 0\n", 4, "vcpus", "0 is out of range 1..64");
	expect_error(BASE "vcpus = 65\n", 4, "vcpus", "65 is out of range 1..64");
	expect_error(BASE "cpu_weight = 0\n", 4, "cpu_weight",
		     "0 is out of range 1..65535");
	expect_error(BASE "cpu_weight = 65536\n", 4, "cpu_weight",
		     "65536 is out of range 1..65535");
	expect_error(BASE "cap = 6401\n", 4, "cap", "6401 is out of range 0..6400");

	parse_ok("name='a'\nkernel='k'\nmemory = 4294967296\n", &c, &ws);
	assert_int_equal(c.memory_mib, 1ull << 32);
	parse_ok("name='a'\nkernel='k'\nmemory = 1\n", &c, &ws);
	assert_int_equal(c.memory_mib, 1);
	expect_error("name='a'\nkernel='k'\nmemory = 0\n", 3, "memory",
		     "0 is out of range 1..4294967296");
	expect_error("name='a'\nkernel='k'\nmemory = 0x100000001\n", 3, "memory",
		     "0x100000001 is out of range 1..4294967296");
	expect_error("name='a'\nkernel='k'\nmemory = 18446744073709551616\n", 3,
		     "memory", "18446744073709551616 is out of range 1..4294967296");
	expect_error("name='a'\nkernel='k'\nmemory = 0xffffffffffffffffffffffffffffffffffffffffff\n",
		     3, "memory",
		     "0xfffffffffffffffffffffffffffffffffff... is out of range 1..4294967296");

	/* name: 31 characters fit with the NUL, 32 do not. */
	parse_ok("name = 'abcdefghijklmnopqrstuvwxyz01234'\nmemory=1\nkernel='k'\n",
		 &c, &ws);
	assert_int_equal(strlen(c.name), XLCFG_NAME_MAX - 1);
	expect_error("name = 'abcdefghijklmnopqrstuvwxyz012345'\n", 1, "name",
		     "longer than 31 characters");
	expect_error("name = ''\n", 1, "name", "must not be empty");
	expect_error("name = 'a b'\n", 1, "name",
		     "\"a b\": only letters, digits, '_', '.' and '-'");
	expect_error("name = 'a/b'\n", 1, "name",
		     "\"a/b\": only letters, digits, '_', '.' and '-'");
	expect_error("name = 'tab\\there'\n", 1, "name",
		     "\"tab?here\": only letters, digits, '_', '.' and '-'");

	memset(big, 'p', XLCFG_PATH_MAX - 1);
	big[XLCFG_PATH_MAX - 1] = '\0';
	snprintf(text, sizeof(text), BASE "kernel = '%s'\nramdisk='%s'\n", big, big);
	parse_ok(text, &c, &ws);
	assert_int_equal(strlen(c.kernel), XLCFG_PATH_MAX - 1);
	assert_int_equal(strlen(c.ramdisk), XLCFG_PATH_MAX - 1);
	strcat(big, "p");
	snprintf(text, sizeof(text), BASE "ramdisk = '%s'\n", big);
	expect_error(text, 4, "ramdisk", "longer than 127 characters");
	expect_error(BASE "kernel = ''\n", 4, "kernel", "must not be empty");

	memset(big, 'c', XLCFG_CMDLINE_MAX - 1);
	big[XLCFG_CMDLINE_MAX - 1] = '\0';
	snprintf(text, sizeof(text), BASE "cmdline = '%s'\n", big);
	parse_ok(text, &c, &ws);
	assert_int_equal(strlen(c.cmdline), XLCFG_CMDLINE_MAX - 1);
	snprintf(text, sizeof(text), BASE "extra = '%s'\n", big);
	parse_ok(text, &c, &ws);
	assert_int_equal(strlen(c.cmdline), XLCFG_CMDLINE_MAX - 1);
	strcat(big, "c");
	snprintf(text, sizeof(text), BASE "cmdline = '%s'\n", big);
	expect_error(text, 4, "cmdline", "longer than 511 characters");
	snprintf(text, sizeof(text), BASE "extra = '%s'\n", big);
	expect_error(text, 4, "extra", "longer than 511 characters");

	/* root and extra fit alone but not together. */
	big[400] = '\0';
	snprintf(text, sizeof(text), BASE "root = '%s'\nextra = '%s'\n", big, big);
	expect_error(text, 5, "extra",
		     "\"root=ROOT EXTRA\" is longer than 511 characters");
	snprintf(text, sizeof(text), BASE "extra = '%s'\nroot = '%s'\n", big, big);
	expect_error(text, 4, "extra",
		     "\"root=ROOT EXTRA\" is longer than 511 characters");
	/* The separator alone may be what overflows. */
	memset(big, 'c', 506);
	big[506] = '\0';
	snprintf(text, sizeof(text), BASE "root = '%s'\nextra = ''\n", big);
	expect_error(text, 5, "extra",
		     "\"root=ROOT EXTRA\" is longer than 511 characters");
	big[504] = '\0';
	snprintf(text, sizeof(text), BASE "root = '%s'\nextra = 'x'\n", big);
	parse_ok(text, &c, &ws);
	assert_int_equal(strlen(c.cmdline), XLCFG_CMDLINE_MAX - 1);
}

static void test_type_errors(void **state)
{
	(void)state;

	expect_error("name='a'\nkernel='k'\nmemory = \"abc\"\n", 3, "memory",
		     "want a number of MiB, got \"abc\"");
	/* A quoted number is still a string (see docs/config.md). */
	expect_error("name='a'\nkernel='k'\nmemory = \"512\"\n", 3, "memory",
		     "want a number of MiB, got \"512\"");
	expect_error("name='a'\nkernel='k'\nmemory = 512M\n", 3, "memory",
		     "want a number of MiB, got 512M");
	expect_error("name='a'\nkernel='k'\nmemory = 010\n", 3, "memory",
		     "want a number of MiB, got 010");
	expect_error("name='a'\nkernel='k'\nmemory = 0x\n", 3, "memory",
		     "want a number of MiB, got 0x");
	expect_error("name='a'\nkernel='k'\nmemory = 0xfg\n", 3, "memory",
		     "want a number of MiB, got 0xfg");
	expect_error("name='a'\nkernel='k'\nmemory = [ 512 ]\n", 3, "memory",
		     "want a number of MiB, got a list");
	expect_error(BASE "vcpus = 'two'\n", 4, "vcpus",
		     "want a number, got 'two'");
	expect_error(BASE "maxvcpus = \"2\"\n", 4, "maxvcpus",
		     "want a number, got \"2\"");
	expect_error(BASE "cap = [\n]\n", 4, "cap", "want a number, got a list");
	expect_error("name = 42\n", 1, "name", "want a \"string\", got 42");
	expect_error(BASE "kernel = ['k']\n", 4, "kernel",
		     "want a \"string\", got a list");
	expect_error(BASE "cmdline = 1\n", 4, "cmdline", "want a \"string\", got 1");
	expect_error(BASE "extra = 1\n", 4, "extra", "want a \"string\", got 1");
	expect_error(BASE "root = 1\n", 4, "root", "want a \"string\", got 1");
	/* A long value is cut in the message. */
	expect_error(BASE "vcpus = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'\n",
		     4, "vcpus",
		     "want a number, got 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...");
	/* An earlier value must be valid even when a later one replaces it. */
	expect_error(BASE "vcpus = 0\nvcpus = 2\n", 4, "vcpus",
		     "0 is out of range 1..64");
}

static void test_missing_required(void **state)
{
	(void)state;

	expect_error("", 0, "name", "missing (required)");
	expect_error("# only a comment\n\n", 0, "name", "missing (required)");
	expect_error("memory = 1\nkernel = 'k'\n", 0, "name", "missing (required)");
	expect_error("name = 'a'\nkernel = 'k'\n", 0, "memory",
		     "missing (required)");
	expect_error("name = 'a'\nmemory = 1\n", 0, "kernel", "missing (required)");
	/* A key that warns is not the key that is required. */
	expect_error("name = 'a'\nmemory = 1\nkernel_path = 'k'\n", 0, "kernel",
		     "missing (required)");
}

static void test_maxvcpus(void **state)
{
	(void)state;
	struct domain_config c;
	struct warnings ws;

	parse_ok(BASE "vcpus = 4\nmaxvcpus = 4\n", &c, &ws);
	assert_int_equal(ws.count, 0);
	assert_int_equal(c.vcpus, 4);
	/* Checked against vcpus whatever the order. */
	parse_ok(BASE "maxvcpus = 8\nvcpus = 4\n", &c, &ws);
	assert_int_equal(c.vcpus, 4);
	assert_int_equal(ws.count, 1);
	expect_warning(&ws, 0, 4, "maxvcpus",
		       "no vCPU hot-plug: the domain has vcpus = 4");
	parse_ok(BASE "maxvcpus = 2\n", &c, &ws);
	assert_int_equal(c.vcpus, 1);
	expect_error(BASE "maxvcpus = 2\nvcpus = 3\n", 4, "maxvcpus",
		     "2 is less than vcpus (3)");
	expect_error(BASE "maxvcpus = 65\n", 4, "maxvcpus",
		     "65 is out of range 1..64");
}

static void test_syntax_errors(void **state)
{
	(void)state;

	expect_error(BASE "cmdline = \"abc\n", 4, "",
		     "syntax: unterminated string");
	expect_error(BASE "cmdline = 'abc", 4, "", "syntax: unterminated string");
	expect_error(BASE "cmdline = \"abc\\", 4, "",
		     "syntax: unterminated string");
	expect_error(BASE "cmdline = \"abc\\\ndef\"\n", 4, "",
		     "syntax: unterminated string");
	expect_error(BASE "cmdline = \"ab'\n", 4, "",
		     "syntax: unterminated string");
	expect_error(BASE "\n\nmemory 64\n", 6, "",
		     "syntax: expected '=' after key");
	expect_error(BASE "memory\n", 4, "", "syntax: expected '=' after key");
	expect_error(BASE "memory", 4, "", "syntax: expected '=' after key");
	expect_error(BASE "memory : 64\n", 4, "",
		     "syntax: unexpected character ':'");
	expect_error(BASE "disk += ['a']\n", 4, "",
		     "syntax: '+=' is not supported");
	expect_error(BASE "memory =\n64\n", 4, "",
		     "syntax: expected a value after '='");
	expect_error(BASE "memory = ;\n", 4, "",
		     "syntax: expected a value after '='");
	expect_error(BASE "memory = ", 4, "",
		     "syntax: expected a value after '='");
	expect_error(BASE "memory = = 1\n", 4, "",
		     "syntax: expected a value after '='");
	expect_error(BASE "memory = 64 128\n", 4, "",
		     "syntax: expected ';' or a new line after the value");
	expect_error(BASE "name = \"a\" \"b\"\n", 4, "",
		     "syntax: expected ';' or a new line after the value");
	expect_error(BASE "memory = 1.5\n", 4, "",
		     "syntax: unexpected character '.'");
	expect_error(BASE "memory = -1\n", 4, "",
		     "syntax: unexpected character '-'");
	expect_error(BASE "= 5\n", 4, "",
		     "syntax: expected a key at the start of a setting");
	expect_error(BASE "5 = 5\n", 4, "",
		     "syntax: expected a key at the start of a setting");
	expect_error(BASE "'name' = 'x'\n", 4, "",
		     "syntax: expected a key at the start of a setting");
	expect_error(BASE "]\n", 4, "",
		     "syntax: expected a key at the start of a setting");
	expect_error(BASE "disk = [ 'a',\n 'b'\n", 4, "",
		     "syntax: unterminated list (no ']')");
	expect_error(BASE "disk = [", 4, "", "syntax: unterminated list (no ']')");
	expect_error(BASE "disk = [ 'a' 'b' ]\n", 4, "",
		     "syntax: expected ',' or ']' in list");
	expect_error(BASE "disk = [\n 'a',\n ,'b' ]\n", 6, "",
		     "syntax: expected a value or ']' in list");
	expect_error(BASE "disk = [ , ]\n", 4, "",
		     "syntax: expected a value or ']' in list");
	expect_error(BASE "disk = [ 'a'; 'b' ]\n", 4, "",
		     "syntax: expected ',' or ']' in list");
	expect_error(BASE "disk = [ 'a', ['b'] ]\n", 4, "",
		     "syntax: lists cannot be nested");
	expect_error(BASE "disk = [ 'a', x ]\n", 4, "",
		     "syntax: expected a value or ']' in list");
	expect_error(BASE "cmdline = \"\\q\"\n", 4, "",
		     "syntax: invalid escape '\\q' in string");
	expect_error(BASE "cmdline = \"\\x4\"\n", 4, "",
		     "syntax: invalid escape '\\x' in string");
	expect_error(BASE "cmdline = \"\\x\"\n", 4, "",
		     "syntax: invalid escape '\\x' in string");
	expect_error(BASE "cmdline = \"\\777\"\n", 4, "",
		     "syntax: invalid escape '\\7' in string");
	expect_error(BASE "cmdline = \"\\\x01\"\n", 4, "",
		     "syntax: invalid escape in string");
	expect_error(BASE "cmdline = \"a\\0b\"\n", 4, "",
		     "syntax: a string cannot hold NUL");
	expect_error(BASE "cmdline = \"\\x00\"\n", 4, "",
		     "syntax: a string cannot hold NUL");
	expect_error(BASE "memory = 1 @\n", 4, "",
		     "syntax: unexpected character '@'");
	expect_error(BASE "\x01", 4, "", "syntax: unexpected byte 0x01");
	expect_error(BASE "\xc3\xa9t\xc3\xa9 = 1\n", 4, "",
		     "syntax: unexpected byte 0xc3");
	/* A NUL in the text is a byte like any other, not its end. */
	{
		struct domain_config c;
		struct xlcfg_diagnostic err;
		struct warnings ws;
		static const char text[] = BASE "\0vcpus = 2\n";

		assert_false(parse_n(text, sizeof(text) - 1, &c, &err, &ws));
		assert_int_equal(err.line, 4);
		assert_string_equal(err.message, "syntax: unexpected byte 0x00");
	}
	{
		struct domain_config c;
		struct xlcfg_diagnostic err;
		struct warnings ws;
		static const char text[] = BASE "cmdline = \"a\0b\"\n";

		assert_false(parse_n(text, sizeof(text) - 1, &c, &err, &ws));
		assert_int_equal(err.line, 4);
		assert_string_equal(err.message, "syntax: a string cannot hold NUL");
	}
	/* The first error wins, even with later ones. */
	expect_error(BASE "vcpus = 99\nmemory 1\n", 4, "vcpus",
		     "99 is out of range 1..64");
	expect_error(BASE "memory 1\nvcpus = 99\n", 4, "",
		     "syntax: expected '=' after key");
}

/* Errors inside a setting carry the line of the offending token, which
 * may be past the key's line. */
static void test_line_numbers(void **state)
{
	(void)state;

	expect_error(BASE "disk = [\n 'a,raw,xvda',\n\n 'b,raw,xvdb', 7 # here\n]\n", 7, "disk",
		     "want a \"string\", got 7");
	expect_error(BASE "# 4\n# 5\nvcpus = 1; cap = 99999\n", 6, "cap",
		     "99999 is out of range 0..6400");
	expect_error(BASE "cpus = [ '0',\n\n\n '1-0' ]\n", 7, "cpus",
		     "\"1-0\": range ends before it starts");
	expect_error(BASE "vif = [\n'bridge=a',\n\"unterminated\n]\n", 6, "",
		     "syntax: unterminated string");
}

/* The length bounds the text: bytes after it are never looked at. */
static void test_length_bounds_the_text(void **state)
{
	(void)state;
	struct domain_config c;
	struct xlcfg_diagnostic err;
	struct warnings ws;
	static const char text[] = BASE "vcpus = 2\nvcpus = 0\n";

	assert_true(parse_n(text, strlen(BASE "vcpus = 2\n"), &c, &err, &ws));
	assert_int_equal(c.vcpus, 2);
	/* Cut inside a number: "vcpus = 2" becomes "vcpus = " ... */
	assert_false(parse_n(text, strlen(BASE "vcpus = "), &c, &err, &ws));
	assert_string_equal(err.message, "syntax: expected a value after '='");
	/* ... and inside a string. */
	assert_false(parse_n(text, strlen("name = \"v"), &c, &err, &ws));
	assert_string_equal(err.message, "syntax: unterminated string");
	assert_false(parse_n(text, 0, &c, &err, &ws));
	assert_string_equal(err.key, "name");
}

static void test_optional_arguments(void **state)
{
	(void)state;
	struct domain_config c;

	/* No warning callback, no error record. */
	assert_true(xlcfg_parse(BASE "foo = 1\n", strlen(BASE "foo = 1\n"), &c,
				NULL, NULL, NULL));
	assert_false(xlcfg_parse("vcpus = 0", 9, &c, NULL, NULL, NULL));
	assert_false(xlcfg_parse(NULL, 0, &c, NULL, NULL, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal_and_defaults),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_xen_example_pvlinux),
		cmocka_unit_test(test_xen_example_hvm),
		cmocka_unit_test(test_comments_semicolons_blanks),
		cmocka_unit_test(test_windows_line_endings),
		cmocka_unit_test(test_multiline_lists),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_duplicates_last_wins),
		cmocka_unit_test(test_unknown_and_ignored_keys),
		cmocka_unit_test(test_cmdline_extra_root),
		cmocka_unit_test(test_cpus_forms),
		cmocka_unit_test(test_cpus_errors),
		cmocka_unit_test(test_actions),
		cmocka_unit_test(test_devices),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_type_errors),
		cmocka_unit_test(test_missing_required),
		cmocka_unit_test(test_maxvcpus),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_line_numbers),
		cmocka_unit_test(test_length_bounds_the_text),
		cmocka_unit_test(test_optional_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
