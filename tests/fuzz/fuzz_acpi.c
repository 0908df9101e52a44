/* libFuzzer target: the ACPI table checker and MADT parser. The first input
 * byte steers: bit 0 patches the header's length to the input size, bit 1
 * fixes the checksum, so the fuzzer reaches madt_parse without having to
 * guess checksums, while the other inputs still exercise the refusals. The
 * table itself is a heap copy of exactly its size, for ASan. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/acpi_tables.h"

#define CHECK(cond)                      \
	do {                             \
		if (!(cond))             \
			__builtin_trap(); \
	} while (0)

#define FIX_LENGTH 0x1
#define FIX_CHECKSUM 0x2

static void fix_header(uint8_t *table, size_t size, uint8_t mode)
{
	struct acpi_sdt_header *h = (struct acpi_sdt_header *)table;

	if (size < sizeof(*h))
		return;
	if (mode & FIX_LENGTH)
		h->length = (uint32_t)size;
	if ((mode & FIX_CHECKSUM) && h->length <= size) {
		uint8_t sum = 0;

		h->checksum = 0;
		for (size_t i = 0; i < h->length; i++)
			sum = (uint8_t)(sum + table[i]);
		h->checksum = (uint8_t)(0x100 - sum);
	}
}

static void check_madt(const struct acpi_sdt_header *h)
{
	static struct madt_info info;
	enum acpi_status st = madt_parse(h, &info);

	CHECK(st == ACPI_OK || st == ACPI_ERR_LENGTH || st == ACPI_ERR_TOO_MANY);
	CHECK(info.cpu_count <= MADT_MAX_CPUS);
	CHECK(info.ioapic_count <= MADT_MAX_IOAPICS);
	CHECK(info.override_count <= MADT_MAX_OVERRIDES);
	/* Each entry is at least 8 bytes: no more CPUs than bytes allow. */
	CHECK(info.cpu_count + info.disabled_cpu_count <= h->length / 8);
}

static void check_root(const struct acpi_sdt_header *h)
{
	for (int xsdt = 0; xsdt < 2; xsdt++) {
		size_t n = acpi_root_entry_count(h, xsdt);

		CHECK(36 + n * (xsdt ? 8 : 4) <= h->length);
		for (size_t i = 0; i <= n; i++)
			(void)acpi_root_entry(h, xsdt, i);
		CHECK(acpi_root_entry(h, xsdt, n) == 0);
	}
}

static void check_rsdp(const uint8_t *data, size_t size)
{
	struct acpi_rsdp rsdp;
	uint64_t root;
	bool is_xsdt;

	if (size < sizeof(rsdp))
		return;
	memcpy(&rsdp, data, sizeof(rsdp));
	if (acpi_rsdp_root(&rsdp, &root, &is_xsdt) == ACPI_OK)
		CHECK(root == (is_xsdt ? rsdp.xsdt_address : rsdp.rsdt_address));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;

	uint8_t mode = data[0];
	size_t len = size - 1;
	uint8_t *table = malloc(len == 0 ? 1 : len);

	if (table == NULL)
		return 0;
	memcpy(table, data + 1, len);
	fix_header(table, len, mode);

	const struct acpi_sdt_header *h = (const struct acpi_sdt_header *)table;

	if (acpi_table_check(h, len, "APIC") == ACPI_OK)
		check_madt(h);
	if (acpi_table_check(h, len, NULL) == ACPI_OK) {
		CHECK(h->length >= 36 && h->length <= len);
		check_root(h);
	}
	check_rsdp(data + 1, len);
	free(table);
	return 0;
}
