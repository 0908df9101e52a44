/* lib/xl_vif.c: xl vif specs as xl-network-configuration(5) writes them,
 * the defaults, and every error with its message. Each spec is handed over
 * in a heap block of exactly its size, so ASan reports any read past the
 * NUL. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/xl_vif.h"

struct result {
	bool ok;
	struct xl_vif vif;
	char err[96];
};

static struct result parse_as(const char *spec, const char *name,
			      unsigned index)
{
	struct result r;
	char *copy = strdup(spec);

	assert_non_null(copy);
	memset(&r, 0x5a, sizeof(r));
	r.ok = xl_vif_parse(copy, name, index, &r.vif, r.err, sizeof(r.err));
	free(copy);
	/* The message is always a terminated string. */
	assert_true(strnlen(r.err, sizeof(r.err)) < sizeof(r.err));
	return r;
}

static struct result parse(const char *spec)
{
	return parse_as(spec, "web", 0);
}

static void assert_mac(const uint8_t *mac, const char *want)
{
	char text[XL_VIF_MAC_STR_LEN];

	xl_vif_format_mac(mac, text);
	assert_string_equal(text, want);
}

static void assert_error(const char *spec, const char *message)
{
	struct result r = parse(spec);

	assert_false(r.ok);
	assert_string_equal(r.err, message);
}

/* ------------------------------------------------------------ defaults */

static void test_empty_spec_is_all_defaults(void **state)
{
	uint8_t want[XL_VIF_MAC_LEN];
	struct result r = parse_as("", "web", 1);

	(void)state;
	assert_true(r.ok);
	assert_string_equal(r.err, "");
	assert_false(r.vif.mac_given);
	assert_string_equal(r.vif.bridge, "xenbr0");
	assert_string_equal(r.vif.vifname, "");
	xl_vif_default_mac("web", 1, want);
	assert_memory_equal(r.vif.mac, want, XL_VIF_MAC_LEN);
}

static void test_default_mac_is_xen_oui_unicast(void **state)
{
	uint8_t mac[XL_VIF_MAC_LEN];

	(void)state;
	for (unsigned i = 0; i < 64; i++) {
		char name[16];

		snprintf(name, sizeof(name), "vm%u", i);
		xl_vif_default_mac(name, i % 3, mac);
		assert_int_equal(mac[0], 0x00);
		assert_int_equal(mac[1], 0x16);
		assert_int_equal(mac[2], 0x3e);
		/* libxl's random MACs keep the top bit of byte 3 clear. */
		assert_int_equal(mac[3] & 0x80, 0);
		assert_true(xl_vif_mac_is_unicast(mac));
	}
}

static void test_default_mac_is_deterministic(void **state)
{
	uint8_t a[XL_VIF_MAC_LEN], b[XL_VIF_MAC_LEN];

	(void)state;
	xl_vif_default_mac("web", 0, a);
	xl_vif_default_mac("web", 0, b);
	assert_memory_equal(a, b, XL_VIF_MAC_LEN);
}

/* Names and indices that differ give different MACs: 64 names of one
 * interface, 8 interfaces of one name, and names that would run together
 * with their index if the two were simply concatenated. */
static void test_default_mac_spreads(void **state)
{
	uint8_t macs[64][XL_VIF_MAC_LEN], x[XL_VIF_MAC_LEN], y[XL_VIF_MAC_LEN];

	(void)state;
	for (unsigned i = 0; i < 64; i++) {
		char name[16];

		snprintf(name, sizeof(name), "guest-%u", i);
		xl_vif_default_mac(name, 0, macs[i]);
		for (unsigned j = 0; j < i; j++)
			assert_memory_not_equal(macs[i], macs[j], XL_VIF_MAC_LEN);
	}
	for (unsigned i = 0; i < 8; i++) {
		xl_vif_default_mac("db", i, macs[i]);
		for (unsigned j = 0; j < i; j++)
			assert_memory_not_equal(macs[i], macs[j], XL_VIF_MAC_LEN);
	}
	xl_vif_default_mac("a", 12, x);
	xl_vif_default_mac("a1", 2, y);
	assert_memory_not_equal(x, y, XL_VIF_MAC_LEN);
}

/* ------------------------------------------------------------ good specs */

/* The examples of xl-network-configuration(5), with virtio for rtl8139. */
static void test_xl_examples(void **state)
{
	struct result r;

	(void)state;
	r = parse("mac=00:16:3E:74:3d:76,model=virtio-net,bridge=xenbr0");
	assert_true(r.ok);
	assert_true(r.vif.mac_given);
	assert_mac(r.vif.mac, "00:16:3e:74:3d:76");
	assert_string_equal(r.vif.bridge, "xenbr0");

	r = parse("mac=00:16:3E:74:34:32");
	assert_true(r.ok);
	assert_mac(r.vif.mac, "00:16:3e:74:34:32");

	r = parse("mac=00:16:3e:5f:48:e4,bridge=xenbr1");
	assert_true(r.ok);
	assert_mac(r.vif.mac, "00:16:3e:5f:48:e4");
	assert_string_equal(r.vif.bridge, "xenbr1");
}

static void test_locally_administered_mac(void **state)
{
	struct result r = parse("mac=02:00:00:00:00:01");

	(void)state;
	assert_true(r.ok);
	assert_mac(r.vif.mac, "02:00:00:00:00:01");
}

static void test_blanks_and_empty_items(void **state)
{
	struct result r = parse(" mac=00:16:3e:00:00:01 ,\tbridge=br-lan.1 ,,");

	(void)state;
	assert_true(r.ok);
	assert_mac(r.vif.mac, "00:16:3e:00:00:01");
	assert_string_equal(r.vif.bridge, "br-lan.1");

	r = parse(" , ,");
	assert_true(r.ok);
	assert_string_equal(r.vif.bridge, "xenbr0");
}

static void test_last_value_wins(void **state)
{
	struct result r = parse("bridge=a,mac=00:16:3e:00:00:01,bridge=b,"
				"mac=00:16:3e:00:00:02");

	(void)state;
	assert_true(r.ok);
	assert_string_equal(r.vif.bridge, "b");
	assert_mac(r.vif.mac, "00:16:3e:00:00:02");
}

static void test_models(void **state)
{
	(void)state;
	assert_true(parse("model=virtio").ok);
	assert_true(parse("model=virtio-net").ok);
	assert_error("model=e1000",
		     "model: \"e1000\" is not supported (use virtio-net)");
	assert_error("model=rtl8139",
		     "model: \"rtl8139\" is not supported (use virtio-net)");
	assert_error("model=",
		     "model: \"\" is not supported (use virtio-net)");
	/* Case matters, as in xl. */
	assert_error("model=VIRTIO",
		     "model: \"VIRTIO\" is not supported (use virtio-net)");
}

static void test_ignored_keys(void **state)
{
	struct result r = parse("type=ioemu,rate=10Mb/s@20ms,ip=10.0.0.2 10.0.0.3,"
				"script=vif-bridge,mac=00:16:3e:00:00:09");

	(void)state;
	assert_true(r.ok);
	assert_mac(r.vif.mac, "00:16:3e:00:00:09");
	assert_string_equal(r.vif.bridge, "xenbr0");
	assert_true(parse("type=vif").ok);
	assert_true(parse("rate=").ok);
	assert_error("type=pv", "type: want ioemu or vif, got \"pv\"");
}

static void test_vifname(void **state)
{
	struct result r = parse("vifname=web-eth0");

	(void)state;
	assert_true(r.ok);
	assert_string_equal(r.vif.vifname, "web-eth0");
	r = parse("vifname=abcdefghijklmno");	/* 15 characters */
	assert_true(r.ok);
	assert_string_equal(r.vif.vifname, "abcdefghijklmno");
	assert_error("vifname=abcdefghijklmnop",
		     "vifname: want 1-15 of A-Z a-z 0-9 _ . -, got \"abcdefghijklmnop\"");
	assert_error("vifname=",
		     "vifname: want 1-15 of A-Z a-z 0-9 _ . -, got \"\"");
}

static void test_bridge_names(void **state)
{
	struct result r = parse("bridge=Br_0.9-x");

	(void)state;
	assert_true(r.ok);
	assert_string_equal(r.vif.bridge, "Br_0.9-x");
	r = parse("bridge=abcdefghijklmno");
	assert_true(r.ok);
	assert_string_equal(r.vif.bridge, "abcdefghijklmno");
	assert_error("bridge=abcdefghijklmnop",
		     "bridge: want 1-15 of A-Z a-z 0-9 _ . -, got \"abcdefghijklmnop\"");
	assert_error("bridge=", "bridge: want 1-15 of A-Z a-z 0-9 _ . -, got \"\"");
	assert_error("bridge=br/0",
		     "bridge: want 1-15 of A-Z a-z 0-9 _ . -, got \"br/0\"");
	assert_error("bridge=br 0",
		     "bridge: want 1-15 of A-Z a-z 0-9 _ . -, got \"br 0\"");
	assert_error("bridge=br:0",
		     "bridge: want 1-15 of A-Z a-z 0-9 _ . -, got \"br:0\"");
}

/* ------------------------------------------------------------ bad MACs */

static void test_mac_syntax_errors(void **state)
{
	static const char *const bad[] = {
		"", "00:16:3e:00:00", "00:16:3e:00:00:0", "00:16:3e:00:00:001",
		"00-16-3e-00-00-01", "0:16:3e:00:00:01:", "00:16:3e:00:00:0g",
		"00:16:3e:00:00:01:02", "00163e000001", "00:16:3e::00:00:01",
		" 00:16:3e:00:00:01", "+0:16:3e:00:00:01",
	};
	char spec[64], want[96];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(spec, sizeof(spec), "mac=%s,bridge=x", bad[i]);
		snprintf(want, sizeof(want),
			 "mac: want xx:xx:xx:xx:xx:xx, got \"%s\"", bad[i]);
		assert_error(spec, want);
	}
}

static void test_mac_not_an_interface_address(void **state)
{
	(void)state;
	assert_error("mac=ff:ff:ff:ff:ff:ff",
		     "mac: ff:ff:ff:ff:ff:ff is the broadcast address");
	assert_error("mac=FF:FF:FF:FF:FF:FF",
		     "mac: ff:ff:ff:ff:ff:ff is the broadcast address");
	assert_error("mac=01:00:5e:00:00:01",
		     "mac: 01:00:5e:00:00:01 is a multicast address");
	assert_error("mac=33:33:00:00:00:01",
		     "mac: 33:33:00:00:00:01 is a multicast address");
	assert_error("mac=00:00:00:00:00:00",
		     "mac: 00:00:00:00:00:00 is not an interface address");
}

static void test_mac_helpers(void **state)
{
	uint8_t mac[XL_VIF_MAC_LEN] = { 1, 2, 3, 4, 5, 6 };
	static const uint8_t want[XL_VIF_MAC_LEN] = { 0xab, 0xcd, 0xef, 0x01,
						      0x23, 0x45 };
	char text[XL_VIF_MAC_STR_LEN];

	(void)state;
	assert_true(xl_vif_parse_mac("AB:cd:Ef:01:23:45", 17, mac));
	assert_memory_equal(mac, want, XL_VIF_MAC_LEN);
	/* A failed parse leaves the output alone. */
	assert_false(xl_vif_parse_mac("AB:cd:Ef:01:23:4x", 17, mac));
	assert_memory_equal(mac, want, XL_VIF_MAC_LEN);
	/* Only `len` characters are read: a longer text is cut. */
	assert_true(xl_vif_parse_mac("00:16:3e:00:00:01,x", 17, mac));
	xl_vif_format_mac(mac, text);
	assert_string_equal(text, "00:16:3e:00:00:01");

	static const uint8_t group[XL_VIF_MAC_LEN] = { 0x03, 0, 0, 0, 0, 1 };
	static const uint8_t zero[XL_VIF_MAC_LEN];
	static const uint8_t unicast[XL_VIF_MAC_LEN] = { 0xfe, 0xff, 0xff,
							 0xff, 0xff, 0xff };

	assert_false(xl_vif_mac_is_unicast(group));
	assert_false(xl_vif_mac_is_unicast(zero));
	assert_true(xl_vif_mac_is_unicast(unicast));
}

/* ------------------------------------------------------------ bad keys */

static void test_unknown_and_unsupported_keys(void **state)
{
	(void)state;
	assert_error("mac=00:16:3e:00:00:01,colour=blue",
		     "unknown key \"colour\"");
	assert_error("Mac=00:16:3e:00:00:01", "unknown key \"Mac\"");
	assert_error("=x", "unknown key \"\"");
	assert_error("backend=driverdom", "\"backend\" is not supported");
	assert_error("gatewaydev=eth0", "\"gatewaydev\" is not supported");
	assert_error("mtu=9000", "\"mtu\" is not supported");
	assert_error("trusted", "\"trusted\" is not supported");
	assert_error("promisc", "unknown key \"promisc\"");
	assert_error("mac", "\"mac\": want mac=VALUE");
	assert_error("bridge", "\"bridge\": want bridge=VALUE");
}

/* The first bad item stops the parse: a later one is not reported. */
static void test_first_error_wins(void **state)
{
	(void)state;
	assert_error("model=e1000,foo=1",
		     "model: \"e1000\" is not supported (use virtio-net)");
}

static void test_messages_are_cut_and_printable(void **state)
{
	(void)state;
	assert_error("mac=0123456789012345678901234567890123456789012345",
		     "mac: want xx:xx:xx:xx:xx:xx, got "
		     "\"0123456789012345678901234567890123456...\"");
	assert_error("bad\x01key=1", "unknown key \"bad?key\"");
}

static void test_small_error_buffer(void **state)
{
	struct xl_vif v;
	char err[8];

	(void)state;
	memset(err, 'x', sizeof(err));
	assert_false(xl_vif_parse("foo=1", "web", 0, &v, err, sizeof(err)));
	assert_string_equal(err, "unknown");
	/* No buffer at all is allowed too. */
	assert_false(xl_vif_parse("foo=1", "web", 0, &v, NULL, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_spec_is_all_defaults),
		cmocka_unit_test(test_default_mac_is_xen_oui_unicast),
		cmocka_unit_test(test_default_mac_is_deterministic),
		cmocka_unit_test(test_default_mac_spreads),
		cmocka_unit_test(test_xl_examples),
		cmocka_unit_test(test_locally_administered_mac),
		cmocka_unit_test(test_blanks_and_empty_items),
		cmocka_unit_test(test_last_value_wins),
		cmocka_unit_test(test_models),
		cmocka_unit_test(test_ignored_keys),
		cmocka_unit_test(test_vifname),
		cmocka_unit_test(test_bridge_names),
		cmocka_unit_test(test_mac_syntax_errors),
		cmocka_unit_test(test_mac_not_an_interface_address),
		cmocka_unit_test(test_mac_helpers),
		cmocka_unit_test(test_unknown_and_unsupported_keys),
		cmocka_unit_test(test_first_error_wins),
		cmocka_unit_test(test_messages_are_cut_and_printable),
		cmocka_unit_test(test_small_error_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
