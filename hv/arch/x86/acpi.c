#include "arch/x86/acpi.h"
#include "arch/x86/cpu.h"
#include "core/log.h"
#include "lib/string.h"

/* Where a BIOS may keep the RSDP, ACPI 6.5, 5.2.5.1 "Finding the RSDP on
 * IA-PC Systems": the first KiB of the EBDA (its segment at 0x40e), and
 * 0xe0000..0xfffff, on 16-byte boundaries. */
#define BDA_EBDA_SEGMENT 0x40e
#define EBDA_SEARCH_SIZE 1024
#define BIOS_ROM_START 0xe0000
#define BIOS_ROM_END 0x100000
#define RSDP_V1_SIZE 20

/* Offsets in the FADT, ACPI 6.5 table 5.9. */
#define FADT_FIRMWARE_CTRL 36
#define FADT_DSDT 40
#define FADT_X_FIRMWARE_CTRL 132
#define FADT_X_DSDT 140

/* The boot page tables map 0..4 GiB; no sane table is larger than this. */
#define ACPI_MAPPED_LIMIT (4ull << 30)
#define ACPI_TABLE_MAX_SIZE (1u << 20)

static const struct acpi_rsdp *rsdp_scan(uint64_t start, uint64_t end)
{
	for (uint64_t p = start; p + RSDP_V1_SIZE <= end; p += 16) {
		const struct acpi_rsdp *r = (const void *)(uintptr_t)p;
		uint64_t root;
		bool is_xsdt;
		if (memcmp(r->signature, "RSD PTR ", 8) == 0 &&
		    acpi_rsdp_root(r, &root, &is_xsdt) == ACPI_OK)
			return r;
	}
	return NULL;
}

static const struct acpi_rsdp *rsdp_find(const struct boot_info *bi)
{
	if (bi->rsdp_copy_size >= RSDP_V1_SIZE)
		return (const void *)bi->rsdp_copy;
	if (bi->rsdp_phys && bi->rsdp_phys < ACPI_MAPPED_LIMIT)
		return (const void *)(uintptr_t)bi->rsdp_phys;

	uint64_t bda_field = BDA_EBDA_SEGMENT;
	__asm__("" : "+r"(bda_field));	/* a real address, not a null-ish constant */
	uint64_t ebda = (uint64_t)*(const volatile uint16_t *)(uintptr_t)bda_field << 4;
	const struct acpi_rsdp *r = NULL;
	if (ebda >= 0x80000 && ebda < BIOS_ROM_START)
		r = rsdp_scan(ebda, ebda + EBDA_SEARCH_SIZE);
	return r ? r : rsdp_scan(BIOS_ROM_START, BIOS_ROM_END);
}

/* Maps (checks) and reserves one table; NULL if it is not valid. */
static const struct acpi_sdt_header *table_at(uint64_t phys, const char *sig,
					      struct memmap *m)
{
	if (phys == 0 || phys + sizeof(struct acpi_sdt_header) > ACPI_MAPPED_LIMIT)
		return NULL;
	const struct acpi_sdt_header *h = (const void *)(uintptr_t)phys;
	uint32_t len = h->length;
	if (len > ACPI_TABLE_MAX_SIZE || phys + len > ACPI_MAPPED_LIMIT)
		return NULL;
	enum acpi_status st = acpi_table_check(h, len, sig);
	if (st != ACPI_OK) {
		log_warn("acpi: warning: table at %#lx (%.4s) skipped: %s\n", phys,
			 h->signature, acpi_status_str(st));
		return NULL;
	}
	memmap_reserve(m, phys, len);
	return h;
}

static uint64_t fadt_address(const struct acpi_sdt_header *fadt,
			     unsigned off32, unsigned off64)
{
	const uint8_t *p = (const uint8_t *)fadt;
	uint64_t addr = 0;

	if (fadt->length >= off64 + 8)
		memcpy(&addr, p + off64, 8);
	if (addr == 0 && fadt->length >= off32 + 4)
		memcpy(&addr, p + off32, 4);
	return addr;
}

/* The FADT points at the DSDT and the FACS; keep those too. */
static void reserve_fadt_children(const struct acpi_sdt_header *fadt,
				  struct memmap *m)
{
	uint64_t facs = fadt_address(fadt, FADT_FIRMWARE_CTRL, FADT_X_FIRMWARE_CTRL);

	table_at(fadt_address(fadt, FADT_DSDT, FADT_X_DSDT), "DSDT", m);
	if (facs && facs < ACPI_MAPPED_LIMIT)	/* no checksum: reserve as is */
		memmap_reserve(m, facs, *(const uint32_t *)(uintptr_t)(facs + 4));
}

static void madt_boot_cpu_only(struct madt_info *madt)
{
	memset(madt, 0, sizeof(*madt));
	madt->cpu_count = 1;
	madt->cpus[0].apic_id = (cpuid(1, 0).ebx >> 24) & 0xff;
}

static bool read_root_table(const struct acpi_sdt_header *root, bool is_xsdt,
			    struct memmap *m, struct madt_info *madt)
{
	bool have_madt = false;

	for (size_t i = 0; i < acpi_root_entry_count(root, is_xsdt); i++) {
		const struct acpi_sdt_header *t =
			table_at(acpi_root_entry(root, is_xsdt, i), NULL, m);
		if (!t)
			continue;
		if (memcmp(t->signature, "FACP", 4) == 0)
			reserve_fadt_children(t, m);
		if (memcmp(t->signature, "APIC", 4) == 0 && !have_madt) {
			enum acpi_status st = madt_parse(t, madt);
			if (st != ACPI_OK)
				log_err("acpi: error: MADT unusable: %s\n",
					acpi_status_str(st));
			else
				have_madt = true;
		}
	}
	return have_madt;
}

bool acpi_read_host_tables(const struct boot_info *bi, struct memmap *m,
			   struct madt_info *madt)
{
	const struct acpi_rsdp *rsdp = rsdp_find(bi);
	uint64_t root_phys;
	bool is_xsdt;

	if (!rsdp) {
		log_err("acpi: error: no RSDP (none from the boot loader, none in the BIOS areas): using the boot CPU only\n");
		madt_boot_cpu_only(madt);
		return false;
	}
	enum acpi_status st = acpi_rsdp_root(rsdp, &root_phys, &is_xsdt);
	const struct acpi_sdt_header *root =
		st == ACPI_OK ? table_at(root_phys, is_xsdt ? "XSDT" : "RSDT", m)
			      : NULL;
	if (!root || !read_root_table(root, is_xsdt, m, madt)) {
		log_err("acpi: error: no usable MADT: using the boot CPU only\n");
		madt_boot_cpu_only(madt);
		return false;
	}
	log_info("acpi: %s at %#lx, %zu CPUs enabled, %zu I/O APICs, local APIC at %#lx\n",
		 is_xsdt ? "XSDT" : "RSDT", root_phys, madt->cpu_count,
		 madt->ioapic_count, madt->lapic_address);
	return true;
}
