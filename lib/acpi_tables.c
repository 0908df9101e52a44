/* RSDP, RSDT/XSDT and MADT parsing (ACPI 6.5). Multi-byte fields are read
 * byte by byte: tables are packed, entries unaligned, and ACPI is
 * little-endian (5.2). No read goes past a length already checked. */
#include "lib/acpi_tables.h"

#include "lib/string.h"

/* ACPI 6.5 5.2.5.3: the ACPI 1.0 checksum covers the first 20 bytes. */
#define RSDP_V1_LENGTH 20
#define RSDP_SIGNATURE "RSD PTR "
#define RSDP_SIGNATURE_LEN 8
#define RSDP_XSDT_REVISION 2

/* 5.2.7 / 5.2.8: the entries follow the 36-byte header. */
#define RSDT_ENTRY_SIZE 4
#define XSDT_ENTRY_SIZE 8

/* 5.2.12, the MADT's own fields: Local Interrupt Controller Address, Flags,
 * then the Interrupt Controller Structures. */
#define MADT_LAPIC_ADDRESS_OFFSET 36
#define MADT_FLAGS_OFFSET 40
#define MADT_ENTRIES_OFFSET 44
#define MADT_PCAT_COMPAT (1u << 0)

/* 5.2.12, "Interrupt Controller Structure Types", and the length of each
 * structure as its own subsection gives it. */
#define MADT_TYPE_LAPIC 0
#define MADT_TYPE_IOAPIC 1
#define MADT_TYPE_ISO 2
#define MADT_TYPE_LAPIC_ADDRESS 5
#define MADT_TYPE_X2APIC 9
#define MADT_LAPIC_LENGTH 8
#define MADT_IOAPIC_LENGTH 12
#define MADT_ISO_LENGTH 10
#define MADT_LAPIC_ADDRESS_LENGTH 12
#define MADT_X2APIC_LENGTH 16
#define MADT_ENTRY_HEADER_LENGTH 2
/* 5.2.12.2, "Local APIC Flags" (the x2APIC structure uses the same). */
#define MADT_CPU_ENABLED (1u << 0)

static uint16_t read_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t read_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t read_u64(const uint8_t *p)
{
	return (uint64_t)read_u32(p) | (uint64_t)read_u32(p + 4) << 32;
}

bool acpi_checksum_ok(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + b[i]);
	return sum == 0;
}

/* Only the 36 bytes of struct acpi_rsdp are known to be readable, so a
 * revision 2 RSDP must say exactly that length (5.2.5.3). */
enum acpi_status acpi_rsdp_root(const struct acpi_rsdp *rsdp, uint64_t *root,
				bool *is_xsdt)
{
	if (memcmp(rsdp->signature, RSDP_SIGNATURE, RSDP_SIGNATURE_LEN) != 0)
		return ACPI_ERR_SIGNATURE;
	if (!acpi_checksum_ok(rsdp, RSDP_V1_LENGTH))
		return ACPI_ERR_CHECKSUM;
	if (rsdp->revision < RSDP_XSDT_REVISION) {
		*root = rsdp->rsdt_address;
		*is_xsdt = false;
		return ACPI_OK;
	}
	if (rsdp->length != sizeof(*rsdp))
		return ACPI_ERR_LENGTH;
	if (!acpi_checksum_ok(rsdp, sizeof(*rsdp)))
		return ACPI_ERR_CHECKSUM;
	*is_xsdt = rsdp->xsdt_address != 0;
	*root = *is_xsdt ? rsdp->xsdt_address : rsdp->rsdt_address;
	return ACPI_OK;
}

enum acpi_status acpi_table_check(const struct acpi_sdt_header *hdr,
				  size_t available, const char *sig)
{
	if (available < sizeof(*hdr))
		return ACPI_ERR_LENGTH;
	if (sig != NULL && memcmp(hdr->signature, sig, sizeof(hdr->signature)) != 0)
		return ACPI_ERR_SIGNATURE;
	if (hdr->length < sizeof(*hdr) || hdr->length > available)
		return ACPI_ERR_LENGTH;
	if (!acpi_checksum_ok(hdr, hdr->length))
		return ACPI_ERR_CHECKSUM;
	return ACPI_OK;
}

static size_t root_entry_size(bool is_xsdt)
{
	return is_xsdt ? XSDT_ENTRY_SIZE : RSDT_ENTRY_SIZE;
}

size_t acpi_root_entry_count(const struct acpi_sdt_header *root, bool is_xsdt)
{
	if (root->length < sizeof(*root))
		return 0;
	return (root->length - sizeof(*root)) / root_entry_size(is_xsdt);
}

/* An index past the end gives 0, which no table lives at. */
uint64_t acpi_root_entry(const struct acpi_sdt_header *root, bool is_xsdt,
			 size_t i)
{
	const uint8_t *entries = (const uint8_t *)(root + 1);

	if (i >= acpi_root_entry_count(root, is_xsdt))
		return 0;
	if (is_xsdt)
		return read_u64(entries + i * XSDT_ENTRY_SIZE);
	return read_u32(entries + i * RSDT_ENTRY_SIZE);
}

/* ------------------------------------------------------------------ MADT */

/* Adds a CPU found in a type 0 or type 9 entry. False when the list is
 * full (the CPU is counted nowhere). */
static bool madt_add_cpu(struct madt_info *out, uint32_t apic_id,
			 uint32_t uid, uint32_t flags)
{
	if (!(flags & MADT_CPU_ENABLED)) {
		out->disabled_cpu_count++;
		return true;
	}
	if (out->cpu_count == MADT_MAX_CPUS)
		return false;
	out->cpus[out->cpu_count++] = (struct madt_cpu){.apic_id = apic_id,
							.acpi_uid = uid};
	return true;
}

/* "Processor Local APIC Structure": type, length, ACPI processor UID (1),
 * APIC ID (1), flags (4). */
static bool madt_lapic(struct madt_info *out, const uint8_t *e)
{
	return madt_add_cpu(out, e[3], e[2], read_u32(e + 4));
}

/* "Processor Local x2APIC Structure": type, length, reserved (2),
 * x2APIC ID (4), flags (4), ACPI processor UID (4). */
static bool madt_x2apic(struct madt_info *out, const uint8_t *e)
{
	return madt_add_cpu(out, read_u32(e + 4), read_u32(e + 12),
			    read_u32(e + 8));
}

/* "I/O APIC Structure": type, length, I/O APIC ID (1), reserved (1),
 * address (4), global system interrupt base (4). */
static bool madt_ioapic(struct madt_info *out, const uint8_t *e)
{
	if (out->ioapic_count == MADT_MAX_IOAPICS)
		return false;
	out->ioapics[out->ioapic_count++] = (struct madt_ioapic){
		.id = e[2], .address = read_u32(e + 4), .gsi_base = read_u32(e + 8)};
	return true;
}

/* "Interrupt Source Override Structure": type, length, bus (1), source (1),
 * global system interrupt (4), MPS INTI flags (2). */
static bool madt_override(struct madt_info *out, const uint8_t *e)
{
	if (out->override_count == MADT_MAX_OVERRIDES)
		return false;
	out->overrides[out->override_count++] = (struct madt_override){
		.bus = e[2], .source_irq = e[3], .gsi = read_u32(e + 4),
		.flags = read_u16(e + 8)};
	return true;
}

/* The structure length each known type needs at least; 0 for types that
 * are skipped. Longer entries are accepted: later revisions append fields. */
static size_t madt_min_length(uint8_t type)
{
	switch (type) {
	case MADT_TYPE_LAPIC: return MADT_LAPIC_LENGTH;
	case MADT_TYPE_IOAPIC: return MADT_IOAPIC_LENGTH;
	case MADT_TYPE_ISO: return MADT_ISO_LENGTH;
	case MADT_TYPE_LAPIC_ADDRESS: return MADT_LAPIC_ADDRESS_LENGTH;
	case MADT_TYPE_X2APIC: return MADT_X2APIC_LENGTH;
	default: return 0;
	}
}

/* Records one entry; false when a list is full. */
static bool madt_entry(struct madt_info *out, const uint8_t *e)
{
	switch (e[0]) {
	case MADT_TYPE_LAPIC: return madt_lapic(out, e);
	case MADT_TYPE_IOAPIC: return madt_ioapic(out, e);
	case MADT_TYPE_ISO: return madt_override(out, e);
	case MADT_TYPE_X2APIC: return madt_x2apic(out, e);
	case MADT_TYPE_LAPIC_ADDRESS:
		/* "Local APIC Address Override Structure": type, length,
		 * reserved (2), then the 64-bit address. */
		out->lapic_address = read_u64(e + 4);
		return true;
	default:
		return true;
	}
}

/* A full list does not stop the walk: the entries that fit are kept, the
 * rest of the table (the LAPIC address override especially) is still read,
 * and ACPI_ERR_TOO_MANY is returned at the end. The 32-bit address is read
 * first, so an override entry wins wherever it sits. */
enum acpi_status madt_parse(const struct acpi_sdt_header *madt,
			    struct madt_info *out)
{
	const uint8_t *table = (const uint8_t *)madt;
	size_t length = madt->length;
	bool too_many = false;

	memset(out, 0, sizeof(*out));
	if (length < MADT_ENTRIES_OFFSET)
		return ACPI_ERR_LENGTH;
	out->lapic_address = read_u32(table + MADT_LAPIC_ADDRESS_OFFSET);
	out->has_8259 = read_u32(table + MADT_FLAGS_OFFSET) & MADT_PCAT_COMPAT;

	for (size_t off = MADT_ENTRIES_OFFSET; off < length;) {
		const uint8_t *e = table + off;
		size_t left = length - off;

		if (left < MADT_ENTRY_HEADER_LENGTH || e[1] < MADT_ENTRY_HEADER_LENGTH ||
		    e[1] > left || e[1] < madt_min_length(e[0]))
			return ACPI_ERR_LENGTH;
		if (!madt_entry(out, e))
			too_many = true;
		off += e[1];
	}
	return too_many ? ACPI_ERR_TOO_MANY : ACPI_OK;
}

const char *acpi_status_str(enum acpi_status s)
{
	switch (s) {
	case ACPI_OK: return "ok";
	case ACPI_ERR_SIGNATURE: return "bad signature";
	case ACPI_ERR_CHECKSUM: return "bad checksum";
	case ACPI_ERR_LENGTH: return "bad length";
	case ACPI_ERR_TOO_MANY: return "more entries than the tables hold";
	}
	return "unknown ACPI status";
}
