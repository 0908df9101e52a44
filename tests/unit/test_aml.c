/* lib/aml.c: PkgLength encodings at every size boundary, integers, strings,
 * names, EISA ids, Scope/Device/Package/Buffer nesting, resource
 * descriptors against hand-assembled bytes (ACPI 6.5 chapters 6.4 and 20),
 * and the bounded buffer: no byte written past cap, len exact anyway. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/aml.h"

#define BIG 70000

static uint8_t scratch[BIG];

static void assert_bytes(const struct aml_buf *b, const uint8_t *want,
			 size_t n)
{
	assert_true(aml_ok(b));
	assert_int_equal(b->len, n);
	assert_memory_equal(b->data, want, n);
}

#define ASSERT_BYTES(b, ...)                                          \
	do {                                                          \
		static const uint8_t want_[] = {__VA_ARGS__};         \
		assert_bytes((b), want_, sizeof(want_));              \
	} while (0)

/* Decodes a PkgLength (20.2.4); returns its size, *total the length. */
static size_t decode_pkglength(const uint8_t *p, size_t *total)
{
	size_t follow = p[0] >> 6;

	if (follow == 0) {
		*total = p[0] & 0x3f;
		return 1;
	}
	assert_int_equal(p[0] & 0x30, 0);	/* bits 5:4 reserved */
	*total = p[0] & 0x0f;
	for (size_t i = 0; i < follow; i++)
		*total |= (size_t)p[1 + i] << (4 + 8 * i);
	return 1 + follow;
}

/* ------------------------------------------------------- PkgLength */

static void check_pkglength(size_t body, const uint8_t *want, size_t n)
{
	uint8_t out[AML_PKGLENGTH_MAX_BYTES] = {0};
	size_t total;

	assert_int_equal(aml_pkglength(out, body), n);
	assert_memory_equal(out, want, n);
	assert_int_equal(decode_pkglength(out, &total), n);
	assert_int_equal(total, body + n);
}

#define PKG(body, ...)                                                \
	do {                                                          \
		static const uint8_t want_[] = {__VA_ARGS__};         \
		check_pkglength((body), want_, sizeof(want_));        \
	} while (0)

/* The length counts its own bytes: a one-byte PkgLength holds a total of
 * at most 63, so 62 bytes of body are the last to fit one byte, and a
 * total of 64 is never encoded in one byte. Likewise 4095 for two bytes,
 * 2^20 - 1 for three, 2^28 - 1 for four. */
static void test_pkglength_boundaries(void **state)
{
	(void)state;
	PKG(0, 0x01);
	PKG(61, 0x3e);
	PKG(62, 0x3f);				/* total 63 */
	PKG(63, 0x41, 0x04);			/* total 65 = 0x041 */
	PKG(64, 0x42, 0x04);
	PKG(4092, 0x4e, 0xff);
	PKG(4093, 0x4f, 0xff);			/* total 4095 = 0xfff */
	PKG(4094, 0x81, 0x00, 0x01);		/* total 4097 = 0x1001 */
	PKG(4095, 0x82, 0x00, 0x01);
	PKG(0xffffc, 0x8f, 0xff, 0xff);		/* total 0xfffff */
	PKG(0xffffd, 0xc1, 0x00, 0x00, 0x01);	/* total 0x100001 */
	PKG(0xffffffb, 0xcf, 0xff, 0xff, 0xff);	/* total 0xfffffff */

	uint8_t out[AML_PKGLENGTH_MAX_BYTES];
	assert_int_equal(aml_pkglength(out, 0xffffffc), 0);
	assert_int_equal(aml_pkglength(out, (size_t)UINT32_MAX), 0);
}

/* Every body length up to 70000 (and around the 3/4-byte boundary) gets
 * the shortest encoding that holds it, and decodes back. */
static void test_pkglength_sweep(void **state)
{
	static const size_t max_total[] = {0, 0x3f, 0xfff, 0xfffff, 0xfffffff};
	(void)state;

	for (size_t body = 0; body < 0x110000; body++) {
		uint8_t out[AML_PKGLENGTH_MAX_BYTES];
		size_t n;
		size_t total;

		if (body == BIG)
			body = 0xfff00;	/* skip to the next boundary */
		n = aml_pkglength(out, body);
		assert_in_range(n, 1, 4);
		assert_true(body + n <= max_total[n]);
		/* and one byte fewer would not hold it */
		if (n > 1)
			assert_true(body + n - 1 > max_total[n - 1]);
		assert_int_equal(decode_pkglength(out, &total), n);
		assert_int_equal(total, body + n);
	}
}

/* Scopes whose bodies straddle each boundary, through the emitter: the
 * PkgLength is inserted in front of a body already written. */
static void test_scope_pkglength_in_place(void **state)
{
	static const size_t bodies[] = {58, 59, 4089, 4090, 69000};
	(void)state;

	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		/* the body is the NameString (4 bytes) and filler */
		size_t fill = bodies[i];
		size_t body = AML_NAME_SEG_SIZE + fill;
		struct aml_buf b;
		size_t mark;
		size_t n;
		size_t total;

		aml_init(&b, scratch, sizeof(scratch));
		mark = aml_scope_begin(&b, "ABCD");
		for (size_t k = 0; k < fill; k++)
			aml_byte(&b, (uint8_t)(k * 7));
		aml_pkg_end(&b, mark);
		assert_true(aml_ok(&b));
		assert_int_equal(scratch[0], AML_SCOPE_OP);
		n = decode_pkglength(scratch + 1, &total);
		assert_int_equal(total, body + n);
		assert_int_equal(b.len, 1 + n + body);
		assert_memory_equal(scratch + 1 + n, "ABCD", 4);
		for (size_t k = 0; k < fill; k++)
			assert_int_equal(scratch[1 + n + 4 + k], (uint8_t)(k * 7));
	}
}

/* ------------------------------------------------------- data objects */

static void test_integers(void **state)
{
	struct aml_buf b;
	(void)state;

#define INT(v, ...)                                                   \
	do {                                                          \
		aml_init(&b, scratch, sizeof(scratch));               \
		aml_integer(&b, (v));                                 \
		ASSERT_BYTES(&b, __VA_ARGS__);                        \
	} while (0)
	INT(0, AML_ZERO_OP);
	INT(1, AML_ONE_OP);
	INT(2, 0x0a, 0x02);
	INT(0xff, 0x0a, 0xff);
	INT(0x100, 0x0b, 0x00, 0x01);
	INT(0xffff, 0x0b, 0xff, 0xff);
	INT(0x10000, 0x0c, 0x00, 0x00, 0x01, 0x00);
	INT(0xfee00000, 0x0c, 0x00, 0x00, 0xe0, 0xfe);
	INT(0xffffffff, 0x0c, 0xff, 0xff, 0xff, 0xff);
	INT(0x100000000, 0x0e, 0, 0, 0, 0, 1, 0, 0, 0);
	INT(UINT64_MAX, 0x0e, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
#undef INT
}

static void test_strings(void **state)
{
	struct aml_buf b;
	(void)state;

	aml_init(&b, scratch, sizeof(scratch));
	aml_string(&b, "LNRO0005");
	ASSERT_BYTES(&b, 0x0d, 'L', 'N', 'R', 'O', '0', '0', '0', '5', 0);

	aml_init(&b, scratch, sizeof(scratch));
	aml_string(&b, "");
	ASSERT_BYTES(&b, 0x0d, 0);

	aml_init(&b, scratch, sizeof(scratch));
	aml_string(&b, "caf\xc3\xa9");	/* AML strings are 7-bit */
	assert_true(b.invalid);
}

static void test_names(void **state)
{
	struct aml_buf b;
	(void)state;

#define NAME(path, ...)                                               \
	do {                                                          \
		aml_init(&b, scratch, sizeof(scratch));               \
		aml_name(&b, (path));                                 \
		ASSERT_BYTES(&b, __VA_ARGS__);                        \
	} while (0)
	NAME("_HID", '_', 'H', 'I', 'D');
	NAME("_SB", '_', 'S', 'B', '_');
	NAME("A", 'A', '_', '_', '_');
	NAME("V000", 'V', '0', '0', '0');
	NAME("\\", 0x5c, 0x00);
	NAME("\\_S5", 0x5c, '_', 'S', '5', '_');
	NAME("\\_SB.COM1", 0x5c, 0x2e, '_', 'S', 'B', '_', 'C', 'O', 'M', '1');
	NAME("\\_SB.PCI0.ISA", 0x5c, 0x2f, 3, '_', 'S', 'B', '_', 'P', 'C',
	     'I', '0', 'I', 'S', 'A', '_');
	NAME("^^FOO", 0x5e, 0x5e, 'F', 'O', 'O', '_');
	NAME("A.B", 0x2e, 'A', '_', '_', '_', 'B', '_', '_', '_');
#undef NAME

	static const char *const bad[] = {
		"", "^", "a", "_hid", "1ABC", "ABCDE", "A..B", "A.", ".A",
		"\\^A", "A-B", "A B", "\\.A",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		aml_init(&b, scratch, sizeof(scratch));
		aml_name(&b, bad[i]);
		assert_true(b.invalid);
		assert_false(aml_ok(&b));
	}
}

static void test_eisaid(void **state)
{
	struct aml_buf b;
	(void)state;

	/* ASL EisaId("PNP0501") is the DWord 0x0105d041. */
	aml_init(&b, scratch, sizeof(scratch));
	aml_eisaid(&b, "PNP0501");
	ASSERT_BYTES(&b, 0x0c, 0x41, 0xd0, 0x05, 0x01);
	aml_init(&b, scratch, sizeof(scratch));
	aml_eisaid(&b, "PNP0A08");
	ASSERT_BYTES(&b, 0x0c, 0x41, 0xd0, 0x0a, 0x08);
	aml_init(&b, scratch, sizeof(scratch));
	aml_eisaid(&b, "ZZZFFFF");
	ASSERT_BYTES(&b, 0x0c, 0x6b, 0x5a, 0xff, 0xff);

	static const char *const bad[] = {
		"pnp0501", "PNP050", "PNP05011", "PNP05G1", "PN10501", "",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		aml_init(&b, scratch, sizeof(scratch));
		aml_eisaid(&b, bad[i]);
		assert_true(b.invalid);
	}
}

/* ------------------------------------------------------- named objects */

static void test_device_and_package(void **state)
{
	struct aml_buf b;
	size_t dev;
	size_t pkg;
	(void)state;

	/* Device (COM1) { Name (_UID, One) } */
	aml_init(&b, scratch, sizeof(scratch));
	dev = aml_device_begin(&b, "COM1");
	aml_name_op(&b, "_UID");
	aml_integer(&b, 1);
	aml_pkg_end(&b, dev);
	ASSERT_BYTES(&b, 0x5b, 0x82, 0x0b, 'C', 'O', 'M', '1', 0x08, '_', 'U',
		     'I', 'D', 0x01);

	/* Name (\_S5, Package (4) { 5, 0, 0, 0 }) */
	aml_init(&b, scratch, sizeof(scratch));
	aml_name_op(&b, "\\_S5");
	pkg = aml_package_begin(&b, 4);
	aml_integer(&b, 5);
	aml_integer(&b, 0);
	aml_integer(&b, 0);
	aml_integer(&b, 0);
	aml_pkg_end(&b, pkg);
	ASSERT_BYTES(&b, 0x08, 0x5c, '_', 'S', '5', '_', 0x12, 0x07, 0x04, 0x0a,
		     0x05, 0x00, 0x00, 0x00);

	/* Scope (\_SB) { Device (A) { } }: nesting, inner closed first. */
	aml_init(&b, scratch, sizeof(scratch));
	size_t sb = aml_scope_begin(&b, "\\_SB");
	dev = aml_device_begin(&b, "A");
	aml_pkg_end(&b, dev);
	aml_pkg_end(&b, sb);
	ASSERT_BYTES(&b, 0x10, 0x0d, 0x5c, '_', 'S', 'B', '_', 0x5b, 0x82, 0x05,
		     'A', '_', '_', '_');
}

static void test_buffers(void **state)
{
	struct aml_buf b;
	size_t m;
	(void)state;

	/* Buffer () { }: size Zero. */
	aml_init(&b, scratch, sizeof(scratch));
	m = aml_buffer_begin(&b);
	aml_buffer_end(&b, m);
	ASSERT_BYTES(&b, 0x11, 0x02, 0x00);

	/* Buffer () { 1, 2, 3 } */
	aml_init(&b, scratch, sizeof(scratch));
	m = aml_buffer_begin(&b);
	aml_bytes(&b, "\x01\x02\x03", 3);
	aml_buffer_end(&b, m);
	ASSERT_BYTES(&b, 0x11, 0x06, 0x0a, 0x03, 0x01, 0x02, 0x03);

	/* 300 bytes: WordPrefix size, two-byte PkgLength (3 + 300 + 2). */
	aml_init(&b, scratch, sizeof(scratch));
	m = aml_buffer_begin(&b);
	for (int i = 0; i < 300; i++)
		aml_byte(&b, (uint8_t)i);
	aml_buffer_end(&b, m);
	assert_true(aml_ok(&b));
	assert_int_equal(b.len, 1 + 2 + 3 + 300);
	static const uint8_t head[] = {0x11, 0x41, 0x13, 0x0b, 0x2c, 0x01};
	assert_memory_equal(scratch, head, sizeof(head));
	for (int i = 0; i < 300; i++)
		assert_int_equal(scratch[6 + i], (uint8_t)i);
}

/* ------------------------------------------------------- resources */

static uint8_t sum_bytes(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	for (size_t i = 0; i < n; i++)
		s = (uint8_t)(s + p[i]);
	return s;
}

static void test_resource_descriptors(void **state)
{
	struct aml_buf b;
	size_t rt;
	(void)state;

	aml_init(&b, scratch, sizeof(scratch));
	aml_res_io(&b, 0x3f8, 0x3f8, 1, 8);
	ASSERT_BYTES(&b, 0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x01, 0x08);
	assert_int_equal(b.len, AML_RES_IO_SIZE);

	aml_init(&b, scratch, sizeof(scratch));
	aml_res_memory32_fixed(&b, true, 0xd0000000, 0x200);
	ASSERT_BYTES(&b, 0x86, 0x09, 0x00, 0x01, 0x00, 0x00, 0x00, 0xd0, 0x00,
		     0x02, 0x00, 0x00);
	aml_init(&b, scratch, sizeof(scratch));
	aml_res_memory32_fixed(&b, false, 0x12345678, 0x9abcdef0);
	ASSERT_BYTES(&b, 0x86, 0x09, 0x00, 0x00, 0x78, 0x56, 0x34, 0x12, 0xf0,
		     0xde, 0xbc, 0x9a);

	aml_init(&b, scratch, sizeof(scratch));
	aml_res_interrupt(&b, AML_INT_CONSUMER | AML_INT_EDGE, 5);
	ASSERT_BYTES(&b, 0x89, 0x06, 0x00, 0x03, 0x01, 0x05, 0x00, 0x00, 0x00);
	aml_init(&b, scratch, sizeof(scratch));
	aml_res_interrupt(&b, AML_INT_CONSUMER | AML_INT_ACTIVE_LOW |
			  AML_INT_SHARED | AML_INT_WAKE_CAPABLE, 0x12345);
	ASSERT_BYTES(&b, 0x89, 0x06, 0x00, 0x1d, 0x01, 0x45, 0x23, 0x01, 0x00);

	/* ResourceTemplate () { Memory32Fixed Interrupt } as a virtio
	 * device's _CRS: 12 + 9 + 2 = 23 bytes, BytePrefix 23, PkgLength
	 * 1 + 2 + 23 = 26; the End Tag's checksum zeroes the sum. */
	aml_init(&b, scratch, sizeof(scratch));
	rt = aml_resource_template_begin(&b);
	aml_res_memory32_fixed(&b, true, 0xd0000000, 0x200);
	aml_res_interrupt(&b, AML_INT_CONSUMER | AML_INT_EDGE, 5);
	aml_resource_template_end(&b, rt);
	ASSERT_BYTES(&b, 0x11, 0x1a, 0x0a, 0x17,
		     0x86, 0x09, 0x00, 0x01, 0x00, 0x00, 0x00, 0xd0, 0x00, 0x02,
		     0x00, 0x00,
		     0x89, 0x06, 0x00, 0x03, 0x01, 0x05, 0x00, 0x00, 0x00,
		     0x79, 0x8d);
	assert_int_equal(sum_bytes(scratch + 4, 23), 0);

	/* An empty template is just the End Tag, checksum 0x100 - 0x79. */
	aml_init(&b, scratch, sizeof(scratch));
	rt = aml_resource_template_begin(&b);
	aml_resource_template_end(&b, rt);
	ASSERT_BYTES(&b, 0x11, 0x05, 0x0a, 0x02, 0x79, 0x87);
}

/* ------------------------------------------------------- the buffer */

/* A device like the DSDT's, with everything nested. */
static void emit_sample(struct aml_buf *b)
{
	size_t sb = aml_scope_begin(b, "\\_SB");
	size_t dev = aml_device_begin(b, "V000");
	size_t rt;

	aml_name_op(b, "_HID");
	aml_string(b, "LNRO0005");
	aml_name_op(b, "_UID");
	aml_integer(b, 0);
	aml_name_op(b, "_CRS");
	rt = aml_resource_template_begin(b);
	aml_res_memory32_fixed(b, true, 0xd0000000, 0x200);
	aml_res_interrupt(b, AML_INT_CONSUMER | AML_INT_EDGE, 5);
	aml_resource_template_end(b, rt);
	aml_pkg_end(b, dev);
	/* enough to need a two-byte PkgLength for the scope */
	for (int i = 0; i < 40; i++) {
		aml_name_op(b, "X");
		aml_integer(b, 0x1000u + (unsigned)i);
	}
	aml_pkg_end(b, sb);
}

/* With every capacity from 0 to the full size: nothing is written past
 * cap (a canary fills the rest, and the array is exactly sized for ASan),
 * overflow is set exactly when cap is short, and len is always the full
 * size. At full capacity the bytes equal the reference. */
static void test_overflow_every_capacity(void **state)
{
	struct aml_buf ref;
	static uint8_t want[1024];
	(void)state;

	aml_init(&ref, want, sizeof(want));
	emit_sample(&ref);
	assert_true(aml_ok(&ref));
	assert_true(ref.len > 64);

	for (size_t cap = 0; cap <= ref.len; cap++) {
		uint8_t *mem = malloc(ref.len + 16);
		struct aml_buf b;

		assert_non_null(mem);
		memset(mem, 0xa5, ref.len + 16);
		aml_init(&b, mem, cap);
		emit_sample(&b);
		assert_int_equal(b.len, ref.len);
		assert_int_equal(b.overflow, cap < ref.len);
		assert_false(b.invalid);
		for (size_t i = cap; i < ref.len + 16; i++)
			assert_int_equal(mem[i], 0xa5);
		if (cap == ref.len)
			assert_memory_equal(mem, want, ref.len);
		free(mem);
	}

	/* An exactly sized heap block: ASan would catch a write past it. */
	uint8_t *exact = malloc(ref.len - 1);
	struct aml_buf b;
	assert_non_null(exact);
	aml_init(&b, exact, ref.len - 1);
	emit_sample(&b);
	assert_true(b.overflow);
	free(exact);

	/* Measuring: a NULL buffer counts the same length. */
	aml_init(&b, NULL, 0);
	emit_sample(&b);
	assert_int_equal(b.len, ref.len);
	aml_init(&b, NULL, 100);	/* a NULL buffer has no capacity */
	emit_sample(&b);
	assert_int_equal(b.len, ref.len);
	assert_true(b.overflow);
}

static void test_bad_marks(void **state)
{
	struct aml_buf b;
	(void)state;

	aml_init(&b, scratch, sizeof(scratch));
	aml_pkg_end(&b, 5);
	assert_true(b.invalid);

	aml_init(&b, scratch, sizeof(scratch));
	aml_buffer_end(&b, 1);
	assert_true(b.invalid);

	aml_init(&b, scratch, sizeof(scratch));
	aml_resource_template_end(&b, 3);
	assert_true(b.invalid);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pkglength_boundaries),
		cmocka_unit_test(test_pkglength_sweep),
		cmocka_unit_test(test_scope_pkglength_in_place),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_eisaid),
		cmocka_unit_test(test_device_and_package),
		cmocka_unit_test(test_buffers),
		cmocka_unit_test(test_resource_descriptors),
		cmocka_unit_test(test_overflow_every_capacity),
		cmocka_unit_test(test_bad_marks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
