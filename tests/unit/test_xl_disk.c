/* lib/xl_disk.c: xl disk specs in every form xl-disk-configuration(5)
 * gives (positional, keyword, mixed, xm's prefixes), the vdev names of
 * xen-vbd-interface(7), and every error. Each spec is handed over in a
 * heap block of exactly its size, so ASan reports any read past its NUL. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/xl_disk.h"

static char err[XL_DISK_ERROR_MAX];

static bool parse(const char *spec, struct xl_disk *d)
{
	size_t n = strlen(spec) + 1;
	char *copy = malloc(n);
	bool ok;

	assert_non_null(copy);
	memcpy(copy, spec, n);
	memset(d, 0x5a, sizeof(*d));
	memset(err, 0x5a, sizeof(err));
	ok = xl_disk_parse(copy, d, err, sizeof(err));
	free(copy);
	/* The message is always a terminated string: empty on success. */
	assert_true(strnlen(err, sizeof(err)) < sizeof(err));
	if (ok)
		assert_string_equal(err, "");
	else
		assert_true(err[0] != '\0');
	return ok;
}

static void expect_disk(const char *spec, const char *target,
			const char *vdev, bool read_only)
{
	struct xl_disk d;

	if (!parse(spec, &d))
		fail_msg("'%s': %s", spec, err);
	assert_string_equal(d.target, target);
	assert_string_equal(d.vdev, vdev);
	assert_int_equal(d.read_only, read_only);
}

/* The spec is refused and the message holds `part`. */
static void expect_error(const char *spec, const char *part)
{
	struct xl_disk d, untouched;

	memset(&untouched, 0x5a, sizeof(untouched));
	if (parse(spec, &d))
		fail_msg("'%s' was accepted", spec);
	if (strstr(err, part) == NULL)
		fail_msg("'%s': message '%s' lacks '%s'", spec, err, part);
	/* Nothing is written to *out on an error. */
	assert_memory_equal(&d, &untouched, sizeof(d));
}

static void test_positional(void **state)
{
	(void)state;
	expect_disk("images/root.img,raw,xvda,rw", "images/root.img", "xvda",
		    false);
	expect_disk("images/root.img,raw,xvda,ro", "images/root.img", "xvda",
		    true);
	expect_disk("images/root.img,raw,xvdb,r", "images/root.img", "xvdb",
		    true);
	expect_disk("images/root.img,raw,xvdb,w", "images/root.img", "xvdb",
		    false);
	/* Empty values take the defaults: raw, read-write. */
	expect_disk("/dev/vg/guest-volume,,hda", "/dev/vg/guest-volume", "hda",
		    false);
	expect_disk("images/a.img,,xvdc,", "images/a.img", "xvdc", false);
	/* Blanks before a parameter are ignored. */
	expect_disk("  images/a.img, raw,\txvda, ro", "images/a.img", "xvda",
		    true);
}

static void test_keywords(void **state)
{
	(void)state;
	expect_disk("format=raw, vdev=xvda, access=ro, target=images/root.img",
		    "images/root.img", "xvda", true);
	expect_disk("vdev=hdb,target=/img/x.raw", "/img/x.raw", "hdb", false);
	expect_disk("access=rw,devtype=disk,vdev=sda,target=a.img", "a.img",
		    "sda", false);
	/* target= takes the rest, commas and blanks too, less one final
	 * comma. */
	expect_disk("vdev=xvda,target=images/a,b.img", "images/a,b.img",
		    "xvda", false);
	expect_disk("vdev=xvda,target=x.img,", "x.img", "xvda", false);
	expect_disk("vdev=xvda,target=x.img ", "x.img ", "xvda", false);
}

static void test_mixed(void **state)
{
	(void)state;
	/* Positional values fill what the keywords left, in order. */
	expect_disk("format=raw,images/a.img,xvda,ro", "images/a.img", "xvda",
		    true);
	expect_disk("vdev=xvdb,images/a.img,raw,ro", "images/a.img", "xvdb",
		    true);
	expect_disk("images/root.img,raw,hdc,devtype=disk", "images/root.img",
		    "hdc", false);
	/* An empty positional target may be given by name afterwards. */
	expect_disk(",,xvda,target=images/a.img", "images/a.img", "xvda",
		    false);
	/* Xen's backend tuning is accepted and changes nothing. */
	expect_disk("backendtype=qdisk,specification=virtio,direct-io-safe,"
		    "trusted,grant_usage=1,images/a.img,,xvda",
		    "images/a.img", "xvda", false);
}

static void test_deprecated_forms(void **state)
{
	(void)state;
	/* docs/config.md's example: the prefix takes the format's place. */
	expect_disk("file:/images/web.raw,xvda,w", "/images/web.raw", "xvda",
		    false);
	expect_disk("phy:/dev/vg/x,xvdb,r", "/dev/vg/x", "xvdb", true);
	expect_disk("tap:aio:/x.img,xvda,ro", "/x.img", "xvda", true);
	expect_disk("raw:/dev/vg/guest-volume,hda,w", "/dev/vg/guest-volume",
		    "hda", false);
	expect_disk("tap2:tapdisk:aio:ioemu:x.img,xvda", "x.img", "xvda",
		    false);
	/* vdev:devtype, a disk. */
	expect_disk("images/a.img,raw,xvda:disk,rw", "images/a.img", "xvda",
		    false);
	expect_disk("file:/a.img,hdb:disk,r", "/a.img", "hdb", true);
}

static void test_discard_flag(void **state)
{
	struct xl_disk d;

	(void)state;
	assert_true(parse("images/a.img,raw,xvda", &d));
	assert_true(d.discard);
	assert_true(parse("images/a.img,raw,xvda,no-discard", &d));
	assert_false(d.discard);
	assert_true(parse("no-discard,discard,images/a.img,raw,xvda", &d));
	assert_true(d.discard);
}

static void test_formats(void **state)
{
	(void)state;
	expect_error("images/a.img,qcow2,xvda", "qcow2 is not supported");
	expect_error("images/a.img,vhd,xvda", "only raw");
	expect_error("format=qed,vdev=xvda,target=a", "qed");
	expect_error("qcow2:/x.img,xvda", "qcow2 is not supported");
	expect_error("images/a.img,zip,xvda", "unknown format 'zip'");
	/* Control characters are not copied into the log line. */
	expect_error("images/a.img,r\taw\x1b,xvda", "unknown format 'r?aw?'");
}

static void test_structure_errors(void **state)
{
	(void)state;
	expect_error("", "no target");
	expect_error(",,xvda", "no target");
	expect_error("images/a.img", "no vdev");
	expect_error("images/a.img,raw", "no vdev");
	/* target= must come last: it swallowed vdev= here. */
	expect_error("target=images/root.img, format=raw, vdev=xvda",
		     "must come last");
	expect_error("images/a.img,raw,xvda,rw,extra", "too many positional");
	expect_error("images/a.img,raw,xvda,vdev=xvdb", "vdev given twice");
	expect_error("target=a.img", "no vdev");
	expect_error("images/a.img,raw,xvda,rx", "unknown access 'rx'");
	expect_error("access=readonly,vdev=xvda,target=a", "unknown access");
	expect_error("images/a.img,raw,xvda,foo=bar", "unknown parameter 'foo'");
	expect_error("images/a=b.img,raw,xvda", "only target= may hold");
	expect_error("=x,images/a.img,raw,xvda", "only target= may hold");
	expect_error("images/a.img,raw,xvda,backendtype=nfs",
		     "unknown backendtype");
	expect_error("images/a.img,raw,xvda,grant_usage=2", "grant_usage");
}

static void test_unsupported(void **state)
{
	(void)state;
	expect_error("/root/image.iso,,hdc,cdrom", "cdrom");
	expect_error("/root/image.iso,raw,hdc,devtype=cdrom", "cdrom");
	expect_error("raw:/root/image.iso,hdc:cdrom,ro", "cdrom");
	expect_error(",hdc:cdrom,r", "cdrom");
	expect_error("images/a.img,raw,xvda:tape", "unknown device type 'tape'");
	expect_error("images/a.img,raw,xvda,devtype=floppy", "unknown devtype");
	expect_error("images/a.img,raw,xvda,script=block-nbd", "script=");
	expect_error("images/a.img,raw,xvda,backend=driverdom", "backend=");
	expect_error("images/a.img,raw,xvda,colo", "colo");
	expect_error("iscsi:iqn.2001-04.com.example,xvda", "block script");
	expect_error("foo:/x.img,xvda", "unknown deprecated disk prefix 'foo:'");
}

struct vdev_case {
	const char *vdev;
	enum xl_disk_vdev_kind kind;
	uint32_t disk;
};

static void test_vdev_names(void **state)
{
	static const struct vdev_case good[] = {
		{ "xvda", XL_DISK_VDEV_XVD, 0 },
		{ "xvdz", XL_DISK_VDEV_XVD, 25 },
		{ "xvdaa", XL_DISK_VDEV_XVD, 26 },
		{ "xvdtq", XL_DISK_VDEV_XVD, 536 },	/* xen-vbd-interface(7) */
		{ "xvdbgqcv", XL_DISK_VDEV_XVD, 1048575 },	/* 2^20 - 1 */
		{ "hda", XL_DISK_VDEV_HD, 0 },
		{ "hdd", XL_DISK_VDEV_HD, 3 },
		{ "sda", XL_DISK_VDEV_SD, 0 },
		{ "sdp", XL_DISK_VDEV_SD, 15 },
		{ "vda", XL_DISK_VDEV_VD, 0 },
		{ "vdc", XL_DISK_VDEV_VD, 2 },
		{ "d0", XL_DISK_VDEV_XVD, 0 },
		{ "d0p0", XL_DISK_VDEV_XVD, 0 },
		{ "d536", XL_DISK_VDEV_XVD, 536 },
		{ "d1048575", XL_DISK_VDEV_XVD, 1048575 },
	};
	char spec[64];
	struct xl_disk d;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(spec, sizeof(spec), "a.img,raw,%s", good[i].vdev);
		if (!parse(spec, &d))
			fail_msg("%s: %s", good[i].vdev, err);
		assert_string_equal(d.vdev, good[i].vdev);
		assert_int_equal(d.vdev_kind, good[i].kind);
		assert_int_equal(d.vdev_disk, good[i].disk);
	}
}

static void test_vdev_errors(void **state)
{
	(void)state;
	expect_error("a.img,raw,hde", "hda-hdd");
	expect_error("a.img,raw,sdq", "sda-sdp");
	expect_error("a.img,raw,xvda1", "partition");
	expect_error("a.img,raw,sdb3", "partition");
	expect_error("a.img,raw,d1p2", "partition");
	expect_error("a.img,raw,xvda0", "not understood");
	expect_error("a.img,raw,d01", "not understood");
	expect_error("a.img,raw,d1p", "not understood");
	expect_error("a.img,raw,d1048576", "not understood");
	expect_error("a.img,raw,xvd", "not understood");
	expect_error("a.img,raw,xvdA", "not understood");
	expect_error("a.img,raw,XVDA", "not understood");
	expect_error("a.img,raw,nvme0n1", "not understood");
	expect_error("a.img,raw,51712", "numeric vdev");
	/* 2^20 is past the largest xvd disk: "bgqcw" is 1048576. */
	expect_error("a.img,raw,xvdbgqcw", "too large");
	expect_error("a.img,raw,vdzzzzzzzzzz", "too large");
	expect_error("a.img,raw,xvdabcdefghijklmn", "too long");
}

static void test_same_vdev(void **state)
{
	struct xl_disk a, b;

	(void)state;
	assert_true(parse("a.img,raw,xvda", &a));
	assert_true(parse("b.img,raw,d0", &b));
	assert_true(xl_disk_same_vdev(&a, &b));
	assert_true(parse("b.img,raw,xvda,ro", &b));
	assert_true(xl_disk_same_vdev(&a, &b));
	assert_true(parse("b.img,raw,hda", &b));
	assert_false(xl_disk_same_vdev(&a, &b));
	assert_true(parse("b.img,raw,xvdb", &b));
	assert_false(xl_disk_same_vdev(&a, &b));
	assert_true(parse("b.img,raw,vda", &b));
	assert_false(xl_disk_same_vdev(&a, &b));
}

static void test_target_length(void **state)
{
	char spec[300], path[200];
	struct xl_disk d;

	(void)state;
	memset(path, 'p', sizeof(path));
	path[XL_DISK_TARGET_MAX - 1] = '\0';	/* 127 characters: fits */
	snprintf(spec, sizeof(spec), "%s,raw,xvda", path);
	assert_true(parse(spec, &d));
	assert_int_equal(strlen(d.target), XL_DISK_TARGET_MAX - 1);
	path[XL_DISK_TARGET_MAX - 1] = 'p';
	path[XL_DISK_TARGET_MAX] = '\0';	/* 128: one too many */
	snprintf(spec, sizeof(spec), "%s,raw,xvda", path);
	expect_error(spec, "longer than 127");
	/* Long values are quoted cut short, and the message still fits. */
	snprintf(spec, sizeof(spec), "a.img,%s,xvda", path);
	expect_error(spec, "...'");
}

static void test_small_error_buffer(void **state)
{
	struct xl_disk d;
	char small[8];

	(void)state;
	memset(small, 0x5a, sizeof(small));
	assert_false(xl_disk_parse("a.img,qcow2,xvda", &d, small, sizeof(small)));
	assert_int_equal(strlen(small), sizeof(small) - 1);
	/* No buffer at all is fine too. */
	assert_false(xl_disk_parse("a.img,qcow2,xvda", &d, NULL, 0));
	assert_true(xl_disk_parse("a.img,raw,xvda", &d, NULL, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_positional),
		cmocka_unit_test(test_keywords),
		cmocka_unit_test(test_mixed),
		cmocka_unit_test(test_deprecated_forms),
		cmocka_unit_test(test_discard_flag),
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_structure_errors),
		cmocka_unit_test(test_unsupported),
		cmocka_unit_test(test_vdev_names),
		cmocka_unit_test(test_vdev_errors),
		cmocka_unit_test(test_same_vdev),
		cmocka_unit_test(test_target_length),
		cmocka_unit_test(test_small_error_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
