/* lib/acpi_tables.c on synthetic firmware tables: RSDP revisions, RSDT and
 * XSDT, MADT entries of every kind the parser knows, and broken lengths and
 * checksums. Tables live in exactly sized heap blocks for ASan. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/acpi_tables.h"

/* ------------------------------------------------------- table builders */

struct table {
	uint8_t bytes[8192];
	size_t len;
};

static void put(struct table *t, const void *p, size_t n)
{
	assert_true(t->len + n <= sizeof(t->bytes));
	memcpy(t->bytes + t->len, p, n);
	t->len += n;
}

static void put_u8(struct table *t, uint8_t v) { put(t, &v, 1); }
static void put_u16(struct table *t, uint16_t v) { put(t, &v, 2); }
static void put_u32(struct table *t, uint32_t v) { put(t, &v, 4); }
static void put_u64(struct table *t, uint64_t v) { put(t, &v, 8); }

static uint8_t checksum_byte(const uint8_t *p, size_t n)
{
	uint8_t sum = 0;

	for (size_t i = 0; i < n; i++)
		sum = (uint8_t)(sum + p[i]);
	return (uint8_t)(0x100 - sum);
}

static void begin_table(struct table *t, const char *sig)
{
	struct acpi_sdt_header h = {0};

	memcpy(h.signature, sig, 4);
	h.revision = 1;
	memcpy(h.oem_id, "VESTA ", 6);
	memcpy(h.oem_table_id, "TESTTABL", 8);
	t->len = 0;
	put(t, &h, sizeof(h));
}

/* Sets the length to what was written and fixes the checksum. */
static void finish_table(struct table *t)
{
	struct acpi_sdt_header *h = (struct acpi_sdt_header *)t->bytes;

	h->length = (uint32_t)t->len;
	h->checksum = 0;
	h->checksum = checksum_byte(t->bytes, t->len);
}

/* A copy in a block of exactly len bytes. */
static struct acpi_sdt_header *exact_copy(const struct table *t, size_t len)
{
	void *p = malloc(len);

	assert_non_null(p);
	memcpy(p, t->bytes, len);
	return p;
}

static void begin_madt(struct table *t, uint32_t lapic_address, uint32_t flags)
{
	begin_table(t, "APIC");
	put_u32(t, lapic_address);
	put_u32(t, flags);
}

static void madt_lapic(struct table *t, uint8_t uid, uint8_t apic_id,
		       uint32_t flags)
{
	put_u8(t, 0);
	put_u8(t, 8);
	put_u8(t, uid);
	put_u8(t, apic_id);
	put_u32(t, flags);
}

static void madt_x2apic(struct table *t, uint32_t x2apic_id, uint32_t flags,
			uint32_t uid)
{
	put_u8(t, 9);
	put_u8(t, 16);
	put_u16(t, 0);
	put_u32(t, x2apic_id);
	put_u32(t, flags);
	put_u32(t, uid);
}

static void madt_ioapic(struct table *t, uint8_t id, uint32_t address,
			uint32_t gsi_base)
{
	put_u8(t, 1);
	put_u8(t, 12);
	put_u8(t, id);
	put_u8(t, 0);
	put_u32(t, address);
	put_u32(t, gsi_base);
}

static void madt_iso(struct table *t, uint8_t source, uint32_t gsi,
		     uint16_t flags)
{
	put_u8(t, 2);
	put_u8(t, 10);
	put_u8(t, 0);	/* ISA */
	put_u8(t, source);
	put_u32(t, gsi);
	put_u16(t, flags);
}

static void madt_lapic_override(struct table *t, uint64_t address)
{
	put_u8(t, 5);
	put_u8(t, 12);
	put_u16(t, 0);
	put_u64(t, address);
}

/* Parses a finished table from an exactly sized copy. */
static enum acpi_status parse(const struct table *t, struct madt_info *info)
{
	struct acpi_sdt_header *copy = exact_copy(t, t->len);
	enum acpi_status st = acpi_table_check(copy, t->len, "APIC");

	if (st == ACPI_OK)
		st = madt_parse(copy, info);
	free(copy);
	return st;
}

static struct madt_info *new_info(void)
{
	struct madt_info *info = malloc(sizeof(*info));

	assert_non_null(info);
	memset(info, 0x5a, sizeof(*info));	/* the parser must clear it */
	return info;
}

/* ----------------------------------------------------------------- RSDP */

static struct acpi_rsdp make_rsdp(uint8_t revision, uint32_t rsdt,
				  uint64_t xsdt)
{
	struct acpi_rsdp r;

	memset(&r, 0, sizeof(r));
	memcpy(r.signature, "RSD PTR ", 8);
	memcpy(r.oem_id, "VESTA ", 6);
	r.revision = revision;
	r.rsdt_address = rsdt;
	r.checksum = checksum_byte((const uint8_t *)&r, 20);
	if (revision >= 2) {
		r.length = sizeof(r);
		r.xsdt_address = xsdt;
		r.extended_checksum = checksum_byte((const uint8_t *)&r, sizeof(r));
	}
	return r;
}

static void test_rsdp_revisions(void **state)
{
	(void)state;
	uint64_t root = 0;
	bool is_xsdt = true;

	assert_int_equal(sizeof(struct acpi_rsdp), 36);
	struct acpi_rsdp r0 = make_rsdp(0, 0x7fe1000, 0);

	assert_int_equal(acpi_rsdp_root(&r0, &root, &is_xsdt), ACPI_OK);
	assert_int_equal(root, 0x7fe1000);
	assert_false(is_xsdt);

	struct acpi_rsdp r2 = make_rsdp(2, 0x7fe1000, 0x17fe2000ull);

	assert_int_equal(acpi_rsdp_root(&r2, &root, &is_xsdt), ACPI_OK);
	assert_int_equal(root, 0x17fe2000ull);
	assert_true(is_xsdt);

	/* Revision 2 without an XSDT falls back to the RSDT. */
	struct acpi_rsdp r2_no_xsdt = make_rsdp(2, 0x7fe1000, 0);

	assert_int_equal(acpi_rsdp_root(&r2_no_xsdt, &root, &is_xsdt), ACPI_OK);
	assert_int_equal(root, 0x7fe1000);
	assert_false(is_xsdt);
}

static void test_rsdp_errors(void **state)
{
	(void)state;
	uint64_t root;
	bool is_xsdt;
	struct acpi_rsdp r;

	r = make_rsdp(0, 0x1000, 0);
	r.signature[7] = '!';
	assert_int_equal(acpi_rsdp_root(&r, &root, &is_xsdt), ACPI_ERR_SIGNATURE);

	r = make_rsdp(0, 0x1000, 0);
	r.rsdt_address ^= 0x100;
	assert_int_equal(acpi_rsdp_root(&r, &root, &is_xsdt), ACPI_ERR_CHECKSUM);

	/* Revision 0 ignores the extended fields, whatever they hold. */
	r = make_rsdp(0, 0x1000, 0);
	r.xsdt_address = 0xdead;
	r.length = 3;
	assert_int_equal(acpi_rsdp_root(&r, &root, &is_xsdt), ACPI_OK);
	assert_false(is_xsdt);

	/* Revision 2: the extended checksum covers the XSDT address. */
	r = make_rsdp(2, 0x1000, 0x2000);
	r.xsdt_address = 0x3000;
	assert_int_equal(acpi_rsdp_root(&r, &root, &is_xsdt), ACPI_ERR_CHECKSUM);

	/* Revision 2 with a length other than the 36 bytes we may read. */
	r = make_rsdp(2, 0x1000, 0x2000);
	r.length = 20;
	r.extended_checksum = 0;
	r.extended_checksum = checksum_byte((const uint8_t *)&r, sizeof(r));
	assert_int_equal(acpi_rsdp_root(&r, &root, &is_xsdt), ACPI_ERR_LENGTH);
	r.length = 40;
	r.extended_checksum = 0;
	r.extended_checksum = checksum_byte((const uint8_t *)&r, sizeof(r));
	assert_int_equal(acpi_rsdp_root(&r, &root, &is_xsdt), ACPI_ERR_LENGTH);
}

/* ------------------------------------------------------------ RSDT/XSDT */

static void test_rsdt_and_xsdt(void **state)
{
	(void)state;
	struct table t;

	begin_table(&t, "RSDT");
	put_u32(&t, 0x1000);
	put_u32(&t, 0x2000);
	put_u32(&t, 0xfffff000u);
	finish_table(&t);
	struct acpi_sdt_header *rsdt = exact_copy(&t, t.len);

	assert_int_equal(acpi_table_check(rsdt, t.len, "RSDT"), ACPI_OK);
	assert_int_equal(acpi_root_entry_count(rsdt, false), 3);
	assert_int_equal(acpi_root_entry(rsdt, false, 0), 0x1000);
	assert_int_equal(acpi_root_entry(rsdt, false, 2), 0xfffff000u);
	assert_int_equal(acpi_root_entry(rsdt, false, 3), 0);	/* past the end */
	free(rsdt);

	/* XSDT entries are 8 bytes and unaligned (the header is 36). */
	begin_table(&t, "XSDT");
	put_u64(&t, 0x123456789000ull);
	put_u64(&t, 0x2000);
	put_u32(&t, 0xffffffff);	/* a stray half entry is not counted */
	finish_table(&t);
	struct acpi_sdt_header *xsdt = exact_copy(&t, t.len);

	assert_int_equal(acpi_table_check(xsdt, t.len, "XSDT"), ACPI_OK);
	assert_int_equal(acpi_table_check(xsdt, t.len, NULL), ACPI_OK);
	assert_int_equal(acpi_root_entry_count(xsdt, true), 2);
	assert_int_equal(acpi_root_entry(xsdt, true, 0), 0x123456789000ull);
	assert_int_equal(acpi_root_entry(xsdt, true, 1), 0x2000);
	assert_int_equal(acpi_root_entry(xsdt, true, 2), 0);
	free(xsdt);

	/* An empty root table. */
	begin_table(&t, "XSDT");
	finish_table(&t);
	xsdt = exact_copy(&t, t.len);
	assert_int_equal(acpi_table_check(xsdt, t.len, "XSDT"), ACPI_OK);
	assert_int_equal(acpi_root_entry_count(xsdt, true), 0);
	free(xsdt);
}

static void test_table_check_errors(void **state)
{
	(void)state;
	struct table t;

	begin_table(&t, "FACP");
	put_u32(&t, 0x12345678);
	finish_table(&t);
	struct acpi_sdt_header *h = exact_copy(&t, t.len);

	assert_int_equal(acpi_table_check(h, t.len, "FACP"), ACPI_OK);
	assert_int_equal(acpi_table_check(h, t.len, "APIC"), ACPI_ERR_SIGNATURE);
	/* Fewer bytes available than the header or the stated length. */
	assert_int_equal(acpi_table_check(h, 35, NULL), ACPI_ERR_LENGTH);
	assert_int_equal(acpi_table_check(h, 0, "FACP"), ACPI_ERR_LENGTH);
	assert_int_equal(acpi_table_check(h, t.len - 1, "FACP"), ACPI_ERR_LENGTH);
	/* More available than the length is fine. */
	free(h);

	/* A stated length below the header. */
	struct acpi_sdt_header *hh = (struct acpi_sdt_header *)t.bytes;

	hh->length = 20;
	h = exact_copy(&t, t.len);
	assert_int_equal(acpi_table_check(h, t.len, NULL), ACPI_ERR_LENGTH);
	free(h);

	/* Any changed byte breaks the checksum. */
	finish_table(&t);
	for (size_t i = 0; i < t.len; i++) {
		if (i >= 4 && i < 8)
			continue;	/* the length: checked before */
		t.bytes[i] ^= 0x40;
		h = exact_copy(&t, t.len);
		assert_int_equal(acpi_table_check(h, t.len, NULL), ACPI_ERR_CHECKSUM);
		free(h);
		t.bytes[i] ^= 0x40;
	}
}

/* ----------------------------------------------------------------- MADT */

static void test_madt_typical(void **state)
{
	(void)state;
	struct table t;
	struct madt_info *info = new_info();

	begin_madt(&t, 0xfee00000, 1);
	madt_lapic(&t, 0, 0, 1);
	madt_lapic(&t, 1, 2, 1);
	madt_lapic(&t, 2, 4, 0);	/* disabled */
	madt_lapic(&t, 3, 6, 2);	/* online capable but not enabled */
	madt_ioapic(&t, 8, 0xfec00000, 0);
	madt_ioapic(&t, 9, 0xfec01000, 24);
	madt_iso(&t, 0, 2, 0);
	madt_iso(&t, 9, 9, 0xd);
	madt_x2apic(&t, 0x100, 1, 17);
	madt_x2apic(&t, 0x101, 0, 18);	/* disabled */
	finish_table(&t);

	assert_int_equal(parse(&t, info), ACPI_OK);
	assert_int_equal(info->lapic_address, 0xfee00000);
	assert_true(info->has_8259);
	assert_int_equal(info->cpu_count, 3);
	assert_int_equal(info->cpus[0].apic_id, 0);
	assert_int_equal(info->cpus[1].apic_id, 2);
	assert_int_equal(info->cpus[1].acpi_uid, 1);
	assert_int_equal(info->cpus[2].apic_id, 0x100);
	assert_int_equal(info->cpus[2].acpi_uid, 17);
	assert_int_equal(info->disabled_cpu_count, 3);
	assert_int_equal(info->ioapic_count, 2);
	assert_int_equal(info->ioapics[1].id, 9);
	assert_int_equal(info->ioapics[1].address, 0xfec01000);
	assert_int_equal(info->ioapics[1].gsi_base, 24);
	assert_int_equal(info->override_count, 2);
	assert_int_equal(info->overrides[0].source_irq, 0);
	assert_int_equal(info->overrides[0].gsi, 2);
	assert_int_equal(info->overrides[1].bus, 0);
	assert_int_equal(info->overrides[1].source_irq, 9);
	assert_int_equal(info->overrides[1].flags, 0xd);
	free(info);
}

static void test_madt_lapic_override_wins(void **state)
{
	(void)state;
	struct table t;
	struct madt_info *info = new_info();

	/* Wherever it sits, even before the CPUs. */
	begin_madt(&t, 0xfee00000, 0);
	madt_lapic_override(&t, 0x1fee00000ull);
	madt_lapic(&t, 0, 0, 1);
	finish_table(&t);
	assert_int_equal(parse(&t, info), ACPI_OK);
	assert_int_equal(info->lapic_address, 0x1fee00000ull);
	assert_false(info->has_8259);
	assert_int_equal(info->cpu_count, 1);

	begin_madt(&t, 0xfee00000, 0);
	madt_lapic(&t, 0, 0, 1);
	madt_lapic_override(&t, 0xfed00000ull);
	finish_table(&t);
	assert_int_equal(parse(&t, info), ACPI_OK);
	assert_int_equal(info->lapic_address, 0xfed00000ull);
	free(info);
}

static void test_madt_unknown_and_long_entries(void **state)
{
	(void)state;
	struct table t;
	struct madt_info *info = new_info();
	static const uint8_t gicc_like[6] = {0x0b, 6, 1, 2, 3, 4};
	static const uint8_t nmi[6] = {4, 6, 0xff, 0, 0, 1};

	begin_madt(&t, 0xfee00000, 1);
	put(&t, gicc_like, sizeof(gicc_like));	/* unknown type: skipped */
	put(&t, nmi, sizeof(nmi));		/* LAPIC NMI: skipped */
	/* A LAPIC entry two bytes longer than today's. */
	put_u8(&t, 0);
	put_u8(&t, 10);
	put_u8(&t, 5);
	put_u8(&t, 7);
	put_u32(&t, 1);
	put_u16(&t, 0xffff);
	finish_table(&t);
	assert_int_equal(parse(&t, info), ACPI_OK);
	assert_int_equal(info->cpu_count, 1);
	assert_int_equal(info->cpus[0].apic_id, 7);
	assert_int_equal(info->cpus[0].acpi_uid, 5);

	/* No entries at all. */
	begin_madt(&t, 0xfee00000, 0);
	finish_table(&t);
	assert_int_equal(parse(&t, info), ACPI_OK);
	assert_int_equal(info->cpu_count, 0);
	assert_int_equal(info->ioapic_count, 0);
	free(info);
}

static void expect_madt_error(struct table *t, enum acpi_status want)
{
	struct madt_info *info = new_info();

	finish_table(t);
	assert_int_equal(parse(t, info), want);
	free(info);
}

static void test_madt_bad_lengths(void **state)
{
	(void)state;
	struct table t;
	static const uint8_t zero_len[2] = {0x7f, 0};
	static const uint8_t one_len[2] = {0x7f, 1};
	static const uint8_t lone_type[1] = {0};

	/* Length 0 would loop forever, 1 would split a header. */
	begin_madt(&t, 0xfee00000, 0);
	put(&t, zero_len, 2);
	expect_madt_error(&t, ACPI_ERR_LENGTH);
	begin_madt(&t, 0xfee00000, 0);
	put(&t, one_len, 2);
	expect_madt_error(&t, ACPI_ERR_LENGTH);

	/* An entry running past the table. */
	begin_madt(&t, 0xfee00000, 0);
	madt_lapic(&t, 0, 0, 1);
	put_u8(&t, 1);
	put_u8(&t, 12);
	put_u32(&t, 0xfec00000);
	expect_madt_error(&t, ACPI_ERR_LENGTH);

	/* A single byte left over. */
	begin_madt(&t, 0xfee00000, 0);
	madt_lapic(&t, 0, 0, 1);
	put(&t, lone_type, 1);
	expect_madt_error(&t, ACPI_ERR_LENGTH);

	/* Known types shorter than their fields. */
	static const uint8_t short_entries[][2] = {
		{0, 6}, {1, 8}, {2, 8}, {5, 8}, {9, 12},
	};
	for (size_t i = 0; i < sizeof(short_entries) / 2; i++) {
		uint8_t pad[16] = {0};

		begin_madt(&t, 0xfee00000, 0);
		put(&t, short_entries[i], 2);
		put(&t, pad, short_entries[i][1] - 2);
		expect_madt_error(&t, ACPI_ERR_LENGTH);
	}

	/* A table too short for the MADT's own fields. */
	begin_table(&t, "APIC");
	put_u32(&t, 0xfee00000);
	expect_madt_error(&t, ACPI_ERR_LENGTH);
}

/* Cutting a valid MADT's stated length at every byte: each cut either
 * ends on an entry boundary (then fewer entries) or is refused. */
static void test_madt_every_truncation(void **state)
{
	(void)state;
	struct table full;

	begin_madt(&full, 0xfee00000, 1);
	madt_lapic(&full, 0, 0, 1);
	madt_ioapic(&full, 8, 0xfec00000, 0);
	madt_x2apic(&full, 0x200, 1, 3);
	madt_iso(&full, 0, 2, 0);
	madt_lapic_override(&full, 0xabc000);
	finish_table(&full);
	static const size_t boundaries[] = {44, 52, 64, 80, 90, 102};

	for (size_t len = 36; len <= full.len; len++) {
		struct table t = full;
		struct madt_info *info = new_info();
		bool on_boundary = false;

		t.len = len;
		finish_table(&t);
		for (size_t b = 0; b < sizeof(boundaries) / sizeof(boundaries[0]); b++)
			on_boundary |= boundaries[b] == len;
		enum acpi_status st = parse(&t, info);

		if (on_boundary)
			assert_int_equal(st, ACPI_OK);
		else
			assert_int_equal(st, ACPI_ERR_LENGTH);
		free(info);
	}
}

static void test_madt_too_many(void **state)
{
	(void)state;
	struct table t;
	struct madt_info *info = new_info();

	begin_madt(&t, 0xfee00000, 0);
	for (uint32_t i = 0; i < MADT_MAX_CPUS + 10; i++)
		madt_x2apic(&t, i, 1, i);
	madt_lapic(&t, 1, 1, 0);	/* disabled ones are still counted */
	madt_lapic_override(&t, 0x5000);	/* and later entries still read */
	finish_table(&t);
	assert_int_equal(parse(&t, info), ACPI_ERR_TOO_MANY);
	assert_int_equal(info->cpu_count, MADT_MAX_CPUS);
	assert_int_equal(info->cpus[MADT_MAX_CPUS - 1].apic_id, MADT_MAX_CPUS - 1);
	assert_int_equal(info->disabled_cpu_count, 1);
	assert_int_equal(info->lapic_address, 0x5000);

	begin_madt(&t, 0xfee00000, 0);
	for (uint32_t i = 0; i < MADT_MAX_IOAPICS + 1; i++)
		madt_ioapic(&t, (uint8_t)i, 0xfec00000 + i * 0x1000, i * 24);
	finish_table(&t);
	assert_int_equal(parse(&t, info), ACPI_ERR_TOO_MANY);
	assert_int_equal(info->ioapic_count, MADT_MAX_IOAPICS);

	begin_madt(&t, 0xfee00000, 0);
	for (uint32_t i = 0; i < MADT_MAX_OVERRIDES + 1; i++)
		madt_iso(&t, (uint8_t)i, i, 0);
	finish_table(&t);
	assert_int_equal(parse(&t, info), ACPI_ERR_TOO_MANY);
	assert_int_equal(info->override_count, MADT_MAX_OVERRIDES);

	/* Exactly full is fine. */
	begin_madt(&t, 0xfee00000, 0);
	for (uint32_t i = 0; i < MADT_MAX_IOAPICS; i++)
		madt_ioapic(&t, (uint8_t)i, 0xfec00000, 0);
	finish_table(&t);
	assert_int_equal(parse(&t, info), ACPI_OK);
	free(info);
}

static void test_checksum_and_strings(void **state)
{
	(void)state;
	static const uint8_t ok[] = {1, 2, 3, 0xfa};
	static const uint8_t bad[] = {1, 2, 3, 0xfb};

	assert_true(acpi_checksum_ok(ok, sizeof(ok)));
	assert_false(acpi_checksum_ok(bad, sizeof(bad)));
	assert_true(acpi_checksum_ok(NULL, 0));
	for (int s = ACPI_OK; s <= ACPI_ERR_TOO_MANY; s++)
		assert_string_not_equal(acpi_status_str((enum acpi_status)s),
					"unknown ACPI status");
	assert_string_equal(acpi_status_str((enum acpi_status)42),
			    "unknown ACPI status");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rsdp_revisions),
		cmocka_unit_test(test_rsdp_errors),
		cmocka_unit_test(test_rsdt_and_xsdt),
		cmocka_unit_test(test_table_check_errors),
		cmocka_unit_test(test_madt_typical),
		cmocka_unit_test(test_madt_lapic_override_wins),
		cmocka_unit_test(test_madt_unknown_and_long_entries),
		cmocka_unit_test(test_madt_bad_lengths),
		cmocka_unit_test(test_madt_every_truncation),
		cmocka_unit_test(test_madt_too_many),
		cmocka_unit_test(test_checksum_and_strings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
