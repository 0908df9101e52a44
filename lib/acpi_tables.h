/* Parsing of the firmware's ACPI tables that the hypervisor needs: RSDP,
 * RSDT/XSDT and MADT (ACPI 6.5, sections 5.2.5, 5.2.7, 5.2.8, 5.2.12).
 * The parsers take pointers to tables already mapped and check every length
 * and checksum before they read. */
#ifndef LIB_ACPI_TABLES_H
#define LIB_ACPI_TABLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct __attribute__((packed)) acpi_rsdp {
	char signature[8];	/* "RSD PTR " */
	uint8_t checksum;	/* over the first 20 bytes */
	char oem_id[6];
	uint8_t revision;	/* 0 = ACPI 1.0 (RSDT only), 2 = ACPI 2.0+ */
	uint32_t rsdt_address;
	uint32_t length;	/* revision >= 2 from here on */
	uint64_t xsdt_address;
	uint8_t extended_checksum;
	uint8_t reserved[3];
};

struct __attribute__((packed)) acpi_sdt_header {
	char signature[4];
	uint32_t length;	/* of the whole table, header included */
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	uint32_t creator_id;
	uint32_t creator_revision;
};

enum acpi_status {
	ACPI_OK = 0,
	ACPI_ERR_SIGNATURE,
	ACPI_ERR_CHECKSUM,
	ACPI_ERR_LENGTH,
	ACPI_ERR_TOO_MANY,	/* more CPUs / IOAPICs than the tables hold */
};

bool acpi_checksum_ok(const void *p, size_t len);

/* Validates an RSDP (signature, checksum, extended checksum for rev >= 2)
 * and returns the root table's address: the XSDT when rev >= 2 and it is
 * non-zero, else the RSDT. *is_xsdt says which. */
enum acpi_status acpi_rsdp_root(const struct acpi_rsdp *rsdp, uint64_t *root,
				bool *is_xsdt);

/* Validates a table header: `available` bytes are readable at hdr; the
 * signature must match sig (4 chars) unless sig is NULL; length must be at
 * least the header and at most `available`; the checksum must hold. */
enum acpi_status acpi_table_check(const struct acpi_sdt_header *hdr,
				  size_t available, const char *sig);

/* Number of entries in a validated RSDT (4-byte) or XSDT (8-byte), and the
 * i-th entry's address. */
size_t acpi_root_entry_count(const struct acpi_sdt_header *root, bool is_xsdt);
uint64_t acpi_root_entry(const struct acpi_sdt_header *root, bool is_xsdt,
			 size_t i);

#define MADT_MAX_CPUS 256
#define MADT_MAX_IOAPICS 16
#define MADT_MAX_OVERRIDES 16

struct madt_cpu {
	uint32_t apic_id;
	uint32_t acpi_uid;
};

struct madt_ioapic {
	uint32_t id;
	uint32_t address;
	uint32_t gsi_base;
};

struct madt_override {	/* Interrupt Source Override, ACPI 6.5 5.2.12.5 */
	uint8_t bus;
	uint8_t source_irq;
	uint32_t gsi;
	uint16_t flags;
};

struct madt_info {
	uint64_t lapic_address;	/* the override entry (type 5) wins */
	bool has_8259;		/* flags bit 0, PCAT_COMPAT */
	size_t cpu_count;	/* enabled CPUs only, in table order */
	struct madt_cpu cpus[MADT_MAX_CPUS];
	size_t disabled_cpu_count;
	size_t ioapic_count;
	struct madt_ioapic ioapics[MADT_MAX_IOAPICS];
	size_t override_count;
	struct madt_override overrides[MADT_MAX_OVERRIDES];
};

/* Parses a validated MADT of `length` bytes: Processor Local APIC (type 0),
 * I/O APIC (1), Interrupt Source Override (2), Local APIC Address Override
 * (5), Processor Local x2APIC (9). Only enabled CPUs (flags bit 0) are
 * listed. Unknown entry types are skipped; an entry whose length is < 2 or
 * runs past the table yields ACPI_ERR_LENGTH. */
enum acpi_status madt_parse(const struct acpi_sdt_header *madt,
			    struct madt_info *out);

const char *acpi_status_str(enum acpi_status s);

#endif
