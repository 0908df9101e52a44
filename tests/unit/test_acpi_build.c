/* lib/acpi_build.c: the tables of sample platforms followed from the RSDP
 * like an OS would (every pointer inside the built region, at the right
 * signature, every checksum zero), read back with lib/acpi_tables.c's
 * parsers, the FADT's fields, MADT entries per vCPU count (x2APIC from APIC
 * id 255 on), the DSDT's AML, bad descriptions, and a buffer too small:
 * an error with nothing written. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/acpi_build.h"
#include "lib/acpi_tables.h"

#define BASE 0xe0000ull
#define BUF_SIZE (128 * 1024)

/* The integration test's platform: 4 vCPUs, COM1, two virtio-mmio
 * devices, registers in I/O space. */
static void sample_platform(struct acpi_platform *p)
{
	memset(p, 0, sizeof(*p));
	memcpy(p->oem_id, "VESTA", 5);
	p->vcpus = 4;
	p->lapic_addr = 0xfee00000;
	p->ioapic.id = 4;
	p->ioapic.address = 0xfec00000;
	p->ioapic.gsi_base = 0;
	p->com1 = true;
	p->com1_gsi = 4;
	p->virtio_count = 2;
	p->virtio[0] = (struct acpi_virtio_mmio){0xd0000000, 0x200, 5};
	p->virtio[1] = (struct acpi_virtio_mmio){0xd0000200, 0x200, 6};
	p->reset_reg = (struct acpi_reg8){ACPI_GAS_SPACE_IO, 0x602};
	p->reset_value = 0x01;
	p->sleep_control = (struct acpi_reg8){ACPI_GAS_SPACE_IO, 0x600};
	p->sleep_status = (struct acpi_reg8){ACPI_GAS_SPACE_IO, 0x601};
	p->s5_sleep_type = 5;
}

struct built {
	uint8_t *buf;
	size_t used;
	uint64_t base;
	uint64_t rsdp_gpa;
	const struct acpi_rsdp *rsdp;
	const struct acpi_sdt_header *xsdt, *fadt, *madt, *dsdt;
};

static uint32_t rd32(const void *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* The table at guest-physical gpa: inside [base, base + used), with the
 * signature, a length that stays inside, and a zero checksum. */
static const struct acpi_sdt_header *table_at(const struct built *b,
					      uint64_t gpa, const char *sig)
{
	const struct acpi_sdt_header *h;
	size_t off;

	assert_true(gpa >= b->base);
	assert_true(gpa < b->base + b->used);
	off = (size_t)(gpa - b->base);
	assert_true(off + sizeof(*h) <= b->used);
	h = (const void *)(b->buf + off);
	assert_int_equal(acpi_table_check(h, b->used - off, sig), ACPI_OK);
	assert_true(acpi_checksum_ok(h, h->length));
	assert_memory_equal(h->oem_id, "VESTA ", 6);
	return h;
}

/* Builds p at base into an exactly sized heap block (for ASan) and
 * follows every pointer from the RSDP. Free b->buf afterwards. */
static void build_and_walk(const struct acpi_platform *p, uint64_t base,
			   struct built *b)
{
	size_t need = 0;
	uint64_t root;
	bool is_xsdt;

	memset(b, 0, sizeof(*b));
	b->base = base;
	assert_int_equal(acpi_build(p, base, NULL, 0, &need, &b->rsdp_gpa),
			 ACPI_BUILD_ERR_NO_SPACE);
	assert_true(need > 0);
	b->buf = malloc(need);
	assert_non_null(b->buf);
	assert_int_equal(acpi_build(p, base, b->buf, need, &b->used,
				    &b->rsdp_gpa), ACPI_BUILD_OK);
	assert_int_equal(b->used, need);
	assert_int_equal(b->rsdp_gpa, base);

	/* RSDP at offset 0: both checksums, revision 2, the XSDT. */
	b->rsdp = (const void *)b->buf;
	assert_memory_equal(b->rsdp->signature, "RSD PTR ", 8);
	assert_true(acpi_checksum_ok(b->rsdp, 20));
	assert_true(acpi_checksum_ok(b->rsdp, sizeof(*b->rsdp)));
	assert_int_equal(b->rsdp->revision, 2);
	assert_int_equal(b->rsdp->length, 36);
	assert_int_equal(b->rsdp->rsdt_address, 0);
	assert_memory_equal(b->rsdp->oem_id, "VESTA ", 6);
	assert_int_equal(acpi_rsdp_root(b->rsdp, &root, &is_xsdt), ACPI_OK);
	assert_true(is_xsdt);
	assert_int_equal(root, b->rsdp->xsdt_address);

	/* XSDT: FADT and MADT. */
	b->xsdt = table_at(b, root, "XSDT");
	assert_int_equal(b->xsdt->revision, 1);
	assert_int_equal(acpi_root_entry_count(b->xsdt, true), 2);
	b->fadt = table_at(b, acpi_root_entry(b->xsdt, true, 0), "FACP");
	b->madt = table_at(b, acpi_root_entry(b->xsdt, true, 1), "APIC");

	/* FADT: X_DSDT, the 32-bit field zero. */
	const struct acpi_fadt *f = (const void *)b->fadt;
	assert_int_equal(f->dsdt, 0);
	b->dsdt = table_at(b, f->x_dsdt, "DSDT");
	assert_int_equal(b->dsdt->revision, 2);

	/* Every table 16-byte aligned, in order, none overlapping, the last
	 * ending at used. */
	const uint8_t *order[] = {
		(const uint8_t *)b->rsdp, (const uint8_t *)b->xsdt,
		(const uint8_t *)b->fadt, (const uint8_t *)b->madt,
		(const uint8_t *)b->dsdt,
	};
	size_t lens[] = {36, b->xsdt->length, b->fadt->length,
			 b->madt->length, b->dsdt->length};
	for (size_t i = 0; i < 5; i++) {
		size_t off = (size_t)(order[i] - b->buf);

		assert_int_equal(off % 16, 0);
		if (i > 0)
			assert_true(off >= (size_t)(order[i - 1] - b->buf) +
					       lens[i - 1]);
	}
	assert_int_equal((size_t)(order[4] - b->buf) + lens[4], b->used);
}

/* ------------------------------------------------------- the walk */

static void test_sample_tables(void **state)
{
	struct acpi_platform p;
	struct built b;
	(void)state;

	sample_platform(&p);
	build_and_walk(&p, BASE, &b);
	assert_true(b.used < 1024);
	free(b.buf);

	/* Anywhere in the address space, even above 4 GiB: every pointer is
	 * base + offset. */
	build_and_walk(&p, 0x123456780ull, &b);
	free(b.buf);
	build_and_walk(&p, 0, &b);
	free(b.buf);
}

/* Two builds at different bases differ only in addresses and checksums. */
static void test_relocation(void **state)
{
	struct acpi_platform p;
	struct built a;
	struct built c;
	(void)state;

	sample_platform(&p);
	build_and_walk(&p, BASE, &a);
	build_and_walk(&p, BASE + 0x10000, &c);
	assert_int_equal(a.used, c.used);
	assert_int_equal(c.rsdp->xsdt_address - a.rsdp->xsdt_address, 0x10000);
	assert_int_equal(acpi_root_entry(c.xsdt, true, 0) -
			 acpi_root_entry(a.xsdt, true, 0), 0x10000);
	assert_int_equal(a.madt->length, c.madt->length);
	assert_memory_equal((const uint8_t *)a.madt + 10,
			    (const uint8_t *)c.madt + 10, a.madt->length - 10);
	assert_memory_equal((const uint8_t *)a.dsdt + 10,
			    (const uint8_t *)c.dsdt + 10, a.dsdt->length - 10);
	free(a.buf);
	free(c.buf);
}

/* ------------------------------------------------------- FADT */

static void assert_gas8(const struct acpi_gas *g, uint8_t space,
			uint64_t address)
{
	assert_int_equal(g->space_id, space);
	assert_int_equal(g->bit_width, 8);
	assert_int_equal(g->bit_offset, 0);
	assert_int_equal(g->access_size, ACPI_GAS_ACCESS_BYTE);
	assert_int_equal(g->address, address);
}

static void test_fadt(void **state)
{
	struct acpi_platform p;
	struct built b;
	const struct acpi_fadt *f;
	(void)state;

	sample_platform(&p);
	build_and_walk(&p, BASE, &b);
	f = (const void *)b.fadt;
	assert_int_equal(f->header.length, 276);
	assert_int_equal(f->header.revision, 6);
	assert_int_equal(f->minor_version, 5);
	assert_int_equal(f->flags, ACPI_FADT_HW_REDUCED_ACPI |
				   ACPI_FADT_RESET_REG_SUP |
				   ACPI_FADT_PWR_BUTTON | ACPI_FADT_SLP_BUTTON);
	assert_int_equal(f->iapc_boot_arch,
			 ACPI_FADT_BOOT_VGA_NOT_PRESENT |
			 ACPI_FADT_BOOT_MSI_NOT_SUPPORTED |
			 ACPI_FADT_BOOT_PCIE_ASPM_CONTROLS |
			 ACPI_FADT_BOOT_CMOS_RTC_NOT_PRESENT);
	assert_gas8(&f->reset_reg, ACPI_GAS_SPACE_IO, 0x602);
	assert_int_equal(f->reset_value, 0x01);
	assert_gas8(&f->sleep_control_reg, ACPI_GAS_SPACE_IO, 0x600);
	assert_gas8(&f->sleep_status_reg, ACPI_GAS_SPACE_IO, 0x601);
	/* Hardware-reduced: no FACS, SCI, SMI, PM or GPE blocks. */
	assert_int_equal(f->firmware_ctrl, 0);
	assert_int_equal(f->x_firmware_ctrl, 0);
	assert_int_equal(f->sci_int, 0);
	assert_int_equal(f->smi_cmd, 0);
	static const uint8_t zero[96];
	assert_memory_equal(&f->pm1a_evt_blk, zero, 8 * 4 + 8);
	assert_memory_equal(&f->x_pm1a_evt_blk, zero, 8 * 12);
	assert_memory_equal(&f->hypervisor_vendor_id, "VESTAHV ", 8);
	free(b.buf);

	/* Memory-mapped registers, a CMOS RTC. */
	p.reset_reg = (struct acpi_reg8){ACPI_GAS_SPACE_MEMORY, 0xfed00000};
	p.reset_value = 0x42;
	p.sleep_control = (struct acpi_reg8){ACPI_GAS_SPACE_MEMORY, 0xfed00001};
	p.sleep_status = (struct acpi_reg8){ACPI_GAS_SPACE_MEMORY, 0xfed00002};
	p.cmos_rtc = true;
	build_and_walk(&p, BASE, &b);
	f = (const void *)b.fadt;
	assert_gas8(&f->reset_reg, ACPI_GAS_SPACE_MEMORY, 0xfed00000);
	assert_int_equal(f->reset_value, 0x42);
	assert_gas8(&f->sleep_control_reg, ACPI_GAS_SPACE_MEMORY, 0xfed00001);
	assert_gas8(&f->sleep_status_reg, ACPI_GAS_SPACE_MEMORY, 0xfed00002);
	assert_int_equal(f->iapc_boot_arch & ACPI_FADT_BOOT_CMOS_RTC_NOT_PRESENT,
			 0);
	free(b.buf);

	assert_int_equal(ACPI_SLEEP_CONTROL_VALUE(5), 0x34);
}

/* ------------------------------------------------------- MADT */

/* Walks the MADT's entries and checks them against p. */
static void check_madt(const struct acpi_platform *p,
		       const struct acpi_sdt_header *h)
{
	const struct acpi_madt *m = (const void *)h;
	const uint8_t *e = (const uint8_t *)h + sizeof(*m);
	const uint8_t *end = (const uint8_t *)h + h->length;
	unsigned lapics = 0;
	unsigned x2apics = 0;
	unsigned ioapics = 0;
	size_t overrides = 0;
	uint32_t next_id = 0;

	assert_int_equal(h->revision, 6);
	assert_int_equal(m->lapic_address, p->lapic_addr);
	assert_int_equal(m->flags, 0);	/* no PCAT_COMPAT */
	while (e < end) {
		assert_true(e + 2 <= end);
		assert_true(e[1] >= 2 && e + e[1] <= end);
		switch (e[0]) {
		case ACPI_MADT_TYPE_LAPIC:
			assert_int_equal(e[1], 8);
			assert_int_equal(x2apics, 0);	/* xAPIC ones first */
			assert_int_equal(e[2], next_id);	/* UID */
			assert_int_equal(e[3], next_id);	/* APIC id */
			assert_int_equal(rd32(e + 4), ACPI_MADT_ENABLED);
			assert_true(next_id <= 254);
			next_id++;
			lapics++;
			break;
		case ACPI_MADT_TYPE_X2APIC:
			assert_int_equal(e[1], 16);
			assert_int_equal(e[2] | e[3], 0);
			assert_int_equal(rd32(e + 4), next_id);	/* x2APIC id */
			assert_int_equal(rd32(e + 8), ACPI_MADT_ENABLED);
			assert_int_equal(rd32(e + 12), next_id);	/* UID */
			assert_true(next_id >= 255);
			next_id++;
			x2apics++;
			break;
		case ACPI_MADT_TYPE_IOAPIC:
			assert_int_equal(e[1], 12);
			assert_int_equal(e[2], p->ioapic.id);
			assert_int_equal(rd32(e + 4), p->ioapic.address);
			assert_int_equal(rd32(e + 8), p->ioapic.gsi_base);
			ioapics++;
			break;
		case ACPI_MADT_TYPE_OVERRIDE:
			assert_int_equal(e[1], 10);
			assert_true(overrides < p->override_count);
			assert_int_equal(e[2], 0);
			assert_int_equal(e[3], p->overrides[overrides].source);
			assert_int_equal(rd32(e + 4), p->overrides[overrides].gsi);
			assert_int_equal(e[8] | e[9] << 8,
					 p->overrides[overrides].flags);
			overrides++;
			break;
		default:
			fail_msg("unexpected MADT entry type %u", e[0]);
		}
		e += e[1];
	}
	assert_ptr_equal(e, end);
	assert_int_equal(next_id, p->vcpus);
	assert_int_equal(lapics, p->vcpus < 255 ? p->vcpus : 255);
	assert_int_equal(x2apics, p->vcpus < 255 ? 0 : p->vcpus - 255);
	assert_int_equal(ioapics, 1);
	assert_int_equal(overrides, p->override_count);
	assert_int_equal(h->length, 44 + 8 * lapics + 16 * x2apics + 12 +
					    10 * overrides);
}

static void test_madt_vcpu_counts(void **state)
{
	static const unsigned counts[] = {1, 4, 254, 255, 256, 300,
					  ACPI_BUILD_MAX_VCPUS};
	(void)state;

	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		struct acpi_platform p;
		struct built b;

		sample_platform(&p);
		p.vcpus = counts[i];
		build_and_walk(&p, BASE, &b);
		check_madt(&p, b.madt);

		/* The hypervisor's own MADT parser reads the same CPUs (it
		 * keeps MADT_MAX_CPUS of them). */
		struct madt_info *info = calloc(1, sizeof(*info));
		assert_non_null(info);
		enum acpi_status st = madt_parse(b.madt, info);
		if (p.vcpus <= MADT_MAX_CPUS) {
			assert_int_equal(st, ACPI_OK);
			assert_int_equal(info->cpu_count, p.vcpus);
			for (size_t c = 0; c < info->cpu_count; c++) {
				assert_int_equal(info->cpus[c].apic_id, c);
				assert_int_equal(info->cpus[c].acpi_uid, c);
			}
		} else {
			assert_int_equal(st, ACPI_ERR_TOO_MANY);
		}
		assert_false(info->has_8259);
		assert_int_equal(info->lapic_address, 0xfee00000);
		assert_int_equal(info->ioapic_count, 1);
		assert_int_equal(info->ioapics[0].address, 0xfec00000);
		free(info);
		free(b.buf);
	}
}

static void test_madt_ioapic_and_overrides(void **state)
{
	struct acpi_platform p;
	struct built b;
	(void)state;

	sample_platform(&p);
	p.ioapic.id = 0;
	p.ioapic.address = 0xfec01000;
	p.ioapic.gsi_base = 24;
	p.lapic_addr = 0xfee10000;
	p.override_count = 2;
	p.overrides[0] = (struct acpi_irq_override){0, 2, 0};
	p.overrides[1] = (struct acpi_irq_override){
		9, 33, ACPI_MPS_POLARITY_LOW | ACPI_MPS_TRIGGER_LEVEL};
	build_and_walk(&p, BASE, &b);
	check_madt(&p, b.madt);
	free(b.buf);

	p.override_count = ACPI_BUILD_MAX_OVERRIDES;
	for (size_t i = 0; i < ACPI_BUILD_MAX_OVERRIDES; i++)
		p.overrides[i] = (struct acpi_irq_override){
			(uint8_t)i, (uint32_t)i + 100, ACPI_MPS_TRIGGER_EDGE};
	build_and_walk(&p, BASE, &b);
	check_madt(&p, b.madt);
	free(b.buf);
}

/* ------------------------------------------------------- DSDT */

static const uint8_t *find(const uint8_t *hay, size_t n, const void *needle,
			   size_t m)
{
	for (size_t i = 0; i + m <= n; i++)
		if (memcmp(hay + i, needle, m) == 0)
			return hay + i;
	return NULL;
}

static size_t count(const uint8_t *hay, size_t n, const void *needle,
		    size_t m)
{
	size_t c = 0;

	for (const uint8_t *p = hay; (p = find(p, n - (size_t)(p - hay),
						needle, m)) != NULL; p++)
		c++;
	return c;
}

/* The smallest platform's definition block, byte for byte:
 *   Name (\_S5, Package (4) { 7, 0, 0, 0 })  Scope (\_SB) { } */
static void test_dsdt_minimal(void **state)
{
	struct acpi_platform p;
	struct built b;
	static const uint8_t aml[] = {
		0x08, 0x5c, '_', 'S', '5', '_', 0x12, 0x07, 0x04, 0x0a, 0x07,
		0x00, 0x00, 0x00,
		0x10, 0x06, 0x5c, '_', 'S', 'B', '_',
	};
	(void)state;

	sample_platform(&p);
	p.com1 = false;
	p.virtio_count = 0;
	p.s5_sleep_type = 7;
	build_and_walk(&p, BASE, &b);
	assert_int_equal(b.dsdt->length, 36 + sizeof(aml));
	assert_memory_equal(b.dsdt + 1, aml, sizeof(aml));
	free(b.buf);
}

static void test_dsdt_devices(void **state)
{
	struct acpi_platform p;
	struct built b;
	const uint8_t *aml;
	size_t n;
	(void)state;

	sample_platform(&p);
	build_and_walk(&p, BASE, &b);
	aml = (const uint8_t *)(b.dsdt + 1);
	n = b.dsdt->length - sizeof(*b.dsdt);

	/* \_S5 with sleep type 5 */
	static const uint8_t s5[] = {0x08, 0x5c, '_', 'S', '5', '_', 0x12, 0x07,
				     0x04, 0x0a, 0x05, 0x00, 0x00, 0x00};
	assert_non_null(find(aml, n, s5, sizeof(s5)));

	/* COM1: EisaId PNP0501, IO 0x3f8-0x3ff, Interrupt edge high {4} */
	static const uint8_t com1_hid[] = {0x08, '_', 'H', 'I', 'D', 0x0c, 0x41,
					   0xd0, 0x05, 0x01};
	static const uint8_t com1_io[] = {0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03,
					  0x01, 0x08};
	static const uint8_t com1_irq[] = {0x89, 0x06, 0x00, 0x03, 0x01, 0x04,
					   0x00, 0x00, 0x00};
	assert_non_null(find(aml, n, "\x5b\x82", 2));
	assert_non_null(find(aml, n, "COM1", 4));
	assert_non_null(find(aml, n, com1_hid, sizeof(com1_hid)));
	assert_non_null(find(aml, n, com1_io, sizeof(com1_io)));
	assert_non_null(find(aml, n, com1_irq, sizeof(com1_irq)));

	/* Two LNRO0005 devices V000 and V001 with their windows and GSIs. */
	assert_int_equal(count(aml, n, "\x0dLNRO0005", 10), 2);
	assert_non_null(find(aml, n, "\x5b\x82", 2));
	assert_non_null(find(aml, n, "V000", 4));
	assert_non_null(find(aml, n, "V001", 4));
	assert_null(find(aml, n, "V002", 4));
	for (size_t i = 0; i < 2; i++) {
		uint8_t mem[12] = {0x86, 0x09, 0x00, 0x01};
		uint8_t irq[9] = {0x89, 0x06, 0x00, 0x03, 0x01};
		uint32_t base = (uint32_t)p.virtio[i].base;
		uint32_t size = (uint32_t)p.virtio[i].size;

		memcpy(mem + 4, &base, 4);
		memcpy(mem + 8, &size, 4);
		memcpy(irq + 5, &p.virtio[i].gsi, 4);
		assert_non_null(find(aml, n, mem, sizeof(mem)));
		assert_non_null(find(aml, n, irq, sizeof(irq)));
	}
	free(b.buf);

	/* Without COM1 there is no PNP0501. */
	p.com1 = false;
	build_and_walk(&p, BASE, &b);
	aml = (const uint8_t *)(b.dsdt + 1);
	n = b.dsdt->length - sizeof(*b.dsdt);
	assert_null(find(aml, n, "COM1", 4));
	assert_null(find(aml, n, com1_hid, sizeof(com1_hid)));
	free(b.buf);
}

/* The largest description: 4096 vCPUs, 32 devices (the scope then needs
 * a longer PkgLength), 16 overrides. */
static void test_largest_platform(void **state)
{
	struct acpi_platform p;
	struct built b;
	(void)state;

	sample_platform(&p);
	p.vcpus = ACPI_BUILD_MAX_VCPUS;
	p.virtio_count = ACPI_BUILD_MAX_VIRTIO;
	for (size_t i = 0; i < ACPI_BUILD_MAX_VIRTIO; i++)
		p.virtio[i] = (struct acpi_virtio_mmio){
			0xd0000000 + i * 0x1000, 0x1000, (uint32_t)(5 + i)};
	p.override_count = ACPI_BUILD_MAX_OVERRIDES;
	build_and_walk(&p, BASE, &b);
	check_madt(&p, b.madt);
	assert_int_equal(count((const uint8_t *)(b.dsdt + 1),
			       b.dsdt->length - 36, "\x0dLNRO0005", 10),
			 ACPI_BUILD_MAX_VIRTIO);
	assert_non_null(find((const uint8_t *)(b.dsdt + 1),
			     b.dsdt->length - 36, "V031", 4));
	/* Even this fits the 128 KiB at 0xe0000-0xfffff that
	 * docs/guest-acpi.md reserves for the tables. */
	assert_true(b.used <= 0x20000);
	free(b.buf);

	/* A window ending exactly at 4 GiB is fine. */
	sample_platform(&p);
	p.virtio[1] = (struct acpi_virtio_mmio){0xfffff000, 0x1000, 6};
	build_and_walk(&p, BASE, &b);
	free(b.buf);
}

/* ------------------------------------------------------- errors */

/* Every size short of the need: ERR_NO_SPACE, *used the need, and not a
 * byte changed, inside the buffer or past it. */
static void test_buffer_too_small(void **state)
{
	struct acpi_platform p;
	size_t need = 0;
	size_t used;
	uint64_t rsdp = 0x1234;
	uint8_t *mem;
	(void)state;

	sample_platform(&p);
	p.vcpus = 300;
	assert_int_equal(acpi_build(&p, BASE, NULL, 0, &need, &rsdp),
			 ACPI_BUILD_ERR_NO_SPACE);
	assert_int_equal(rsdp, 0x1234);
	mem = malloc(need + 64);
	assert_non_null(mem);
	for (size_t size = 0; size < need; size++) {
		memset(mem, 0xa5, need + 64);
		used = 7;
		assert_int_equal(acpi_build(&p, BASE, mem, size, &used, &rsdp),
				 ACPI_BUILD_ERR_NO_SPACE);
		assert_int_equal(used, need);
		assert_int_equal(rsdp, 0x1234);
		for (size_t i = 0; i < need + 64; i++)
			assert_int_equal(mem[i], 0xa5);
	}
	/* Exactly enough, then more than enough: nothing past used. */
	memset(mem, 0xa5, need + 64);
	assert_int_equal(acpi_build(&p, BASE, mem, need, &used, &rsdp),
			 ACPI_BUILD_OK);
	assert_int_equal(used, need);
	memset(mem, 0xa5, need + 64);
	assert_int_equal(acpi_build(&p, BASE, mem, need + 64, &used, &rsdp),
			 ACPI_BUILD_OK);
	assert_int_equal(used, need);
	for (size_t i = need; i < need + 64; i++)
		assert_int_equal(mem[i], 0xa5);
	free(mem);

	/* In exactly sized blocks, for ASan. */
	for (size_t size = need - 3; size <= need; size++) {
		mem = malloc(size);
		assert_non_null(mem);
		assert_int_equal(acpi_build(&p, BASE, mem, size, &used, &rsdp),
				 size == need ? ACPI_BUILD_OK :
						ACPI_BUILD_ERR_NO_SPACE);
		free(mem);
	}
}

static void expect_error(const struct acpi_platform *p, uint64_t base,
			 enum acpi_build_status want)
{
	static uint8_t mem[BUF_SIZE];
	size_t used = 99;
	uint64_t rsdp = 0x1234;

	memset(mem, 0xa5, sizeof(mem));
	assert_int_equal(acpi_build(p, base, mem, sizeof(mem), &used, &rsdp),
			 want);
	assert_int_equal(used, 0);
	assert_int_equal(rsdp, 0x1234);
	for (size_t i = 0; i < sizeof(mem); i++)
		if (mem[i] != 0xa5)
			fail_msg("byte %zu written", i);
}

static void test_bad_descriptions(void **state)
{
	struct acpi_platform p;
	(void)state;

#define BAD(change, base, want)                                       \
	do {                                                          \
		sample_platform(&p);                                  \
		change;                                               \
		expect_error(&p, (base), (want));                     \
	} while (0)
	BAD(p.vcpus = 0, BASE, ACPI_BUILD_ERR_VCPUS);
	BAD(p.vcpus = ACPI_BUILD_MAX_VCPUS + 1, BASE, ACPI_BUILD_ERR_VCPUS);
	BAD(p.override_count = ACPI_BUILD_MAX_OVERRIDES + 1, BASE,
	    ACPI_BUILD_ERR_OVERRIDES);
	BAD(p.virtio_count = ACPI_BUILD_MAX_VIRTIO + 1, BASE,
	    ACPI_BUILD_ERR_VIRTIO);
	BAD(p.virtio[1].size = 0, BASE, ACPI_BUILD_ERR_VIRTIO);
	BAD(p.virtio[0].base = 0x100000000ull, BASE, ACPI_BUILD_ERR_VIRTIO);
	BAD(p.virtio[0].base = 0xfffff000; p.virtio[0].size = 0x1001, BASE,
	    ACPI_BUILD_ERR_VIRTIO);
	BAD(p.virtio[0].size = UINT64_MAX, BASE, ACPI_BUILD_ERR_VIRTIO);
	BAD(p.reset_reg.address = 0, BASE, ACPI_BUILD_ERR_REGISTER);
	BAD(p.reset_reg.space = 2, BASE, ACPI_BUILD_ERR_REGISTER);
	BAD(p.sleep_control.address = 0x10000, BASE, ACPI_BUILD_ERR_REGISTER);
	BAD(p.sleep_status.space = 0x7f, BASE, ACPI_BUILD_ERR_REGISTER);
	BAD(p.sleep_status.address = 0, BASE, ACPI_BUILD_ERR_REGISTER);
	BAD(p.s5_sleep_type = 8, BASE, ACPI_BUILD_ERR_SLEEP_TYPE);
	BAD((void)0, BASE + 8, ACPI_BUILD_ERR_ADDRESS);
	BAD((void)0, UINT64_MAX & ~0xfull, ACPI_BUILD_ERR_ADDRESS);
	BAD((void)0, UINT64_MAX - 0xff, ACPI_BUILD_ERR_ADDRESS);
#undef BAD

	/* A virtio window past 4 GiB only matters for devices described. */
	sample_platform(&p);
	p.virtio_count = 1;
	p.virtio[1].base = 0x100000000ull;
	size_t used;
	uint64_t rsdp;
	static uint8_t mem[BUF_SIZE];
	assert_int_equal(acpi_build(&p, BASE, mem, sizeof(mem), &used, &rsdp),
			 ACPI_BUILD_OK);
}

static void test_oem_id(void **state)
{
	struct acpi_platform p;
	struct built b;
	(void)state;

	/* Padded with spaces after a NUL; all NUL is "VESTA ". The walk
	 * checks "VESTA " in every header, so check by hand here. */
	sample_platform(&p);
	memset(p.oem_id, 0, sizeof(p.oem_id));
	build_and_walk(&p, BASE, &b);
	free(b.buf);

	sample_platform(&p);
	memcpy(p.oem_id, "AB\0XYZ", 6);
	size_t need;
	uint64_t rsdp;
	uint8_t *mem = malloc(BUF_SIZE);
	assert_non_null(mem);
	assert_int_equal(acpi_build(&p, BASE, mem, BUF_SIZE, &need, &rsdp),
			 ACPI_BUILD_OK);
	const struct acpi_rsdp *r = (const void *)mem;
	assert_memory_equal(r->oem_id, "AB    ", 6);
	const struct acpi_sdt_header *x = (const void *)(mem + (r->xsdt_address - BASE));
	assert_memory_equal(x->oem_id, "AB    ", 6);
	assert_memory_equal(x->oem_table_id, "VSTAXSDT", 8);
	free(mem);

	memcpy(p.oem_id, "ABCDEF", 6);
	mem = malloc(BUF_SIZE);
	assert_non_null(mem);
	assert_int_equal(acpi_build(&p, BASE, mem, BUF_SIZE, &need, &rsdp),
			 ACPI_BUILD_OK);
	assert_memory_equal(((const struct acpi_rsdp *)mem)->oem_id, "ABCDEF", 6);
	free(mem);
}

static void test_status_strings(void **state)
{
	(void)state;
	for (int s = ACPI_BUILD_OK; s <= ACPI_BUILD_ERR_AML; s++)
		assert_string_not_equal(
			acpi_build_status_str((enum acpi_build_status)s),
			"unknown ACPI build status");
	assert_string_equal(acpi_build_status_str((enum acpi_build_status)99),
			    "unknown ACPI build status");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sample_tables),
		cmocka_unit_test(test_relocation),
		cmocka_unit_test(test_fadt),
		cmocka_unit_test(test_madt_vcpu_counts),
		cmocka_unit_test(test_madt_ioapic_and_overrides),
		cmocka_unit_test(test_dsdt_minimal),
		cmocka_unit_test(test_dsdt_devices),
		cmocka_unit_test(test_largest_platform),
		cmocka_unit_test(test_buffer_too_small),
		cmocka_unit_test(test_bad_descriptions),
		cmocka_unit_test(test_oem_id),
		cmocka_unit_test(test_status_strings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
