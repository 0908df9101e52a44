/* A guest's ACPI tables (ACPI 6.5): RSDP, XSDT, FADT, MADT, DSDT. The
 * layout is computed first, the DSDT's AML measured with a NULL buffer, so
 * that a buffer too small is refused before a byte is written. Tables are
 * assembled in packed structures and copied into the buffer with memcpy:
 * the buffer has no alignment, ACPI is little-endian like x86 (5.2). */
#include "lib/acpi_build.h"

#include "lib/aml.h"
#include "lib/string.h"

/* ------------------------------------------------------ layout checks */

#define OFFSET_IS(type, field, off) \
	_Static_assert(__builtin_offsetof(type, field) == (off), \
		       #type "." #field " is not at " #off)

_Static_assert(sizeof(struct acpi_sdt_header) == 36, "5.2.6: 36-byte header");
_Static_assert(sizeof(struct acpi_rsdp) == 36, "5.2.5.3: 36-byte RSDP");
OFFSET_IS(struct acpi_rsdp, revision, 15);
OFFSET_IS(struct acpi_rsdp, length, 20);
OFFSET_IS(struct acpi_rsdp, xsdt_address, 24);
OFFSET_IS(struct acpi_rsdp, extended_checksum, 32);
OFFSET_IS(struct acpi_sdt_header, checksum, 9);

_Static_assert(sizeof(struct acpi_gas) == 12, "5.2.3.2: 12-byte GAS");

/* 5.2.9: the offsets of the FADT fields the builder sets, and the length
 * of a revision 6 FADT. */
_Static_assert(sizeof(struct acpi_fadt) == 276, "5.2.9: FADT is 276 bytes");
OFFSET_IS(struct acpi_fadt, firmware_ctrl, 36);
OFFSET_IS(struct acpi_fadt, dsdt, 40);
OFFSET_IS(struct acpi_fadt, preferred_pm_profile, 45);
OFFSET_IS(struct acpi_fadt, sci_int, 46);
OFFSET_IS(struct acpi_fadt, pm1a_evt_blk, 56);
OFFSET_IS(struct acpi_fadt, pm1_evt_len, 88);
OFFSET_IS(struct acpi_fadt, p_lvl2_lat, 96);
OFFSET_IS(struct acpi_fadt, century, 108);
OFFSET_IS(struct acpi_fadt, iapc_boot_arch, 109);
OFFSET_IS(struct acpi_fadt, flags, 112);
OFFSET_IS(struct acpi_fadt, reset_reg, 116);
OFFSET_IS(struct acpi_fadt, reset_value, 128);
OFFSET_IS(struct acpi_fadt, arm_boot_arch, 129);
OFFSET_IS(struct acpi_fadt, minor_version, 131);
OFFSET_IS(struct acpi_fadt, x_firmware_ctrl, 132);
OFFSET_IS(struct acpi_fadt, x_dsdt, 140);
OFFSET_IS(struct acpi_fadt, x_pm1a_evt_blk, 148);
OFFSET_IS(struct acpi_fadt, x_gpe1_blk, 232);
OFFSET_IS(struct acpi_fadt, sleep_control_reg, 244);
OFFSET_IS(struct acpi_fadt, sleep_status_reg, 256);
OFFSET_IS(struct acpi_fadt, hypervisor_vendor_id, 268);

/* 5.2.12 and its subsections: the lengths of the entries written. */
_Static_assert(sizeof(struct acpi_madt) == 44, "5.2.12: MADT fields");
OFFSET_IS(struct acpi_madt, lapic_address, 36);
OFFSET_IS(struct acpi_madt, flags, 40);
_Static_assert(sizeof(struct acpi_madt_lapic) == 8, "5.2.12.2");
OFFSET_IS(struct acpi_madt_lapic, apic_id, 3);
_Static_assert(sizeof(struct acpi_madt_ioapic) == 12, "5.2.12.3");
OFFSET_IS(struct acpi_madt_ioapic, gsi_base, 8);
_Static_assert(sizeof(struct acpi_madt_override) == 10, "5.2.12.5");
OFFSET_IS(struct acpi_madt_override, flags, 8);
_Static_assert(sizeof(struct acpi_madt_x2apic) == 16, "5.2.12.12");
OFFSET_IS(struct acpi_madt_x2apic, x2apic_id, 4);
OFFSET_IS(struct acpi_madt_x2apic, uid, 12);

/* ------------------------------------------------------ constants */

#define RSDP_SIGNATURE "RSD PTR "
#define RSDP_V1_LENGTH 20	/* 5.2.5.3: what the first checksum covers */
#define XSDT_ENTRY_SIZE 8
#define XSDT_ENTRIES 2		/* FADT, MADT; the DSDT hangs off the FADT */

/* Identification in every table header (5.2.6). The creator is the tool
 * that wrote the table: for the DSDT the "ASL compiler", here this file. */
#define DEFAULT_OEM_ID "VESTA "
#define OEM_TABLE_ID_PREFIX "VSTA"	/* + the signature: "VSTAFACP" */
#define OEM_REVISION 1
#define CREATOR_ID "VSTA"
#define CREATOR_REVISION 1
/* 5.2.9, Hypervisor Vendor Identity (FADT revision 6). */
#define HYPERVISOR_VENDOR_ID "VESTAHV "

#define IO_PORT_MAX 0xffffu
#define FOUR_GIB 0x100000000ull

/* COM1 (PC standard): 8 registers at 0x3f8. */
#define COM1_PORT 0x3f8
#define COM1_PORTS 8
#define COM1_UID 1

/* Devices under \_SB: virtio-mmio transports are V000, V001, ... (three
 * decimal digits: NameSeg characters). */
#define VIRTIO_MMIO_HID "LNRO0005"
#define SERIAL_EISAID "PNP0501"
#define VIRTIO_NAME_DIGITS 3
_Static_assert(ACPI_BUILD_MAX_VIRTIO <= 1000, "three digits per name");

/* The interrupts of COM1 and virtio-mmio: edge-triggered, active-high,
 * not shared (6.4.3.6). */
#define DEVICE_IRQ_FLAGS (AML_INT_CONSUMER | AML_INT_EDGE)

/* ------------------------------------------------------ helpers */

static size_t align_up(size_t v)
{
	return (v + ACPI_BUILD_ALIGN - 1) & ~(size_t)(ACPI_BUILD_ALIGN - 1);
}

static uint8_t checksum_of(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + p[i]);
	return (uint8_t)(0x100 - sum);
}

/* Sets the checksum of the table at t, whose header holds its length. */
static void finish_table(uint8_t *t)
{
	struct acpi_sdt_header h;

	memcpy(&h, t, sizeof(h));
	t[__builtin_offsetof(struct acpi_sdt_header, checksum)] = 0;
	t[__builtin_offsetof(struct acpi_sdt_header, checksum)] =
		checksum_of(t, h.length);
}

/* The OEM ID as 6 bytes: up to a NUL, then spaces; all NUL is the
 * default. */
static void oem_id(const struct acpi_platform *p, char out[6])
{
	bool ended = false;

	if (p->oem_id[0] == '\0') {
		memcpy(out, DEFAULT_OEM_ID, 6);
		return;
	}
	for (int i = 0; i < 6; i++) {
		if (p->oem_id[i] == '\0')
			ended = true;
		out[i] = ended ? ' ' : p->oem_id[i];
	}
}

static void header_init(struct acpi_sdt_header *h,
			const struct acpi_platform *p, const char sig[4],
			uint32_t length, uint8_t revision)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->signature, sig, 4);
	h->length = length;
	h->revision = revision;
	oem_id(p, h->oem_id);
	memcpy(h->oem_table_id, OEM_TABLE_ID_PREFIX, 4);
	memcpy(h->oem_table_id + 4, sig, 4);
	h->oem_revision = OEM_REVISION;
	memcpy(&h->creator_id, CREATOR_ID, 4);
	h->creator_revision = CREATOR_REVISION;
}

/* An 8-bit register as a GAS: width 8, offset 0, byte access. */
static struct acpi_gas gas8(const struct acpi_reg8 *r)
{
	return (struct acpi_gas){
		.space_id = r->space,
		.bit_width = 8,
		.bit_offset = 0,
		.access_size = ACPI_GAS_ACCESS_BYTE,
		.address = r->address,
	};
}

static bool reg8_valid(const struct acpi_reg8 *r)
{
	if (r->address == 0)
		return false;
	if (r->space == ACPI_GAS_SPACE_IO)
		return r->address <= IO_PORT_MAX;
	return r->space == ACPI_GAS_SPACE_MEMORY;
}

static enum acpi_build_status validate(const struct acpi_platform *p)
{
	if (p->vcpus == 0 || p->vcpus > ACPI_BUILD_MAX_VCPUS)
		return ACPI_BUILD_ERR_VCPUS;
	if (p->override_count > ACPI_BUILD_MAX_OVERRIDES)
		return ACPI_BUILD_ERR_OVERRIDES;
	if (p->virtio_count > ACPI_BUILD_MAX_VIRTIO)
		return ACPI_BUILD_ERR_VIRTIO;
	for (size_t i = 0; i < p->virtio_count; i++) {
		const struct acpi_virtio_mmio *v = &p->virtio[i];

		/* Memory32Fixed: base and length are 32 bits, and the window
		 * must end at or below 4 GiB. */
		if (v->size == 0 || v->base >= FOUR_GIB ||
		    v->size > FOUR_GIB - v->base)
			return ACPI_BUILD_ERR_VIRTIO;
	}
	if (!reg8_valid(&p->reset_reg) || !reg8_valid(&p->sleep_control) ||
	    !reg8_valid(&p->sleep_status))
		return ACPI_BUILD_ERR_REGISTER;
	if (p->s5_sleep_type > ACPI_SLEEP_TYPE_MAX)
		return ACPI_BUILD_ERR_SLEEP_TYPE;
	return ACPI_BUILD_OK;
}

/* ------------------------------------------------------ DSDT */

/* "V" and the index in three decimal digits. */
static void virtio_name(size_t i, char name[5])
{
	name[0] = 'V';
	for (int d = VIRTIO_NAME_DIGITS; d >= 1; d--) {
		name[d] = (char)('0' + i % 10);
		i /= 10;
	}
	name[4] = '\0';
}

/* Device (COM1): the 16550 at 0x3f8 (PNP0501, a PC-compatible COM port). */
static void emit_com1(struct aml_buf *b, const struct acpi_platform *p)
{
	size_t dev = aml_device_begin(b, "COM1");
	size_t crs;

	aml_name_op(b, "_HID");
	aml_eisaid(b, SERIAL_EISAID);
	aml_name_op(b, "_UID");
	aml_integer(b, COM1_UID);
	aml_name_op(b, "_CRS");
	crs = aml_resource_template_begin(b);
	aml_res_io(b, COM1_PORT, COM1_PORT, 1, COM1_PORTS);
	aml_res_interrupt(b, DEVICE_IRQ_FLAGS, p->com1_gsi);
	aml_resource_template_end(b, crs);
	aml_pkg_end(b, dev);
}

/* Device (PEVT): QEMU's pvpanic, which Linux's pvpanic-mmio driver binds
 * by its ACPI id; the guest writes to its port when its kernel panics. */
static void emit_pvpanic(struct aml_buf *b, const struct acpi_platform *p)
{
	size_t dev = aml_device_begin(b, "PEVT");
	size_t crs;

	aml_name_op(b, "_HID");
	aml_string(b, "QEMU0001");
	aml_name_op(b, "_CRS");
	crs = aml_resource_template_begin(b);
	aml_res_io(b, p->pvpanic_port, p->pvpanic_port, 1, 1);
	aml_resource_template_end(b, crs);
	aml_pkg_end(b, dev);
}

/* Device (Vnnn): a virtio-mmio transport, found by Linux's virtio_mmio
 * driver through its ACPI id LNRO0005 (drivers/virtio/virtio_mmio.c). */
static void emit_virtio(struct aml_buf *b, size_t i,
			const struct acpi_virtio_mmio *v)
{
	char name[5];
	size_t dev;
	size_t crs;

	virtio_name(i, name);
	dev = aml_device_begin(b, name);
	aml_name_op(b, "_HID");
	aml_string(b, VIRTIO_MMIO_HID);
	aml_name_op(b, "_UID");
	aml_integer(b, i);
	aml_name_op(b, "_CRS");
	crs = aml_resource_template_begin(b);
	aml_res_memory32_fixed(b, true, (uint32_t)v->base, (uint32_t)v->size);
	aml_res_interrupt(b, DEVICE_IRQ_FLAGS, v->gsi);
	aml_resource_template_end(b, crs);
	aml_pkg_end(b, dev);
}

/* The DSDT's definition block after its header:
 *
 *   Name (\_S5, Package (4) { SLP_TYP, 0, 0, 0 })     7.4.2.6
 *   Scope (\_SB) { Device (COM1) {...} Device (V000) {...} ... }
 */
static void emit_dsdt_body(struct aml_buf *b, const struct acpi_platform *p)
{
	size_t pkg;
	size_t sb;

	aml_name_op(b, "\\_S5");
	pkg = aml_package_begin(b, 4);
	aml_integer(b, p->s5_sleep_type);	/* SLP_TYPa */
	aml_integer(b, 0);			/* SLP_TYPb: no PM1b here */
	aml_integer(b, 0);			/* reserved */
	aml_integer(b, 0);			/* reserved */
	aml_pkg_end(b, pkg);

	sb = aml_scope_begin(b, "\\_SB");
	if (p->com1)
		emit_com1(b, p);
	if (p->pvpanic_port)
		emit_pvpanic(b, p);
	for (size_t i = 0; i < p->virtio_count; i++)
		emit_virtio(b, i, &p->virtio[i]);
	aml_pkg_end(b, sb);
}

/* ------------------------------------------------------ the tables */

struct layout {
	size_t rsdp, xsdt, fadt, madt, dsdt;
	size_t xsdt_len, madt_len, dsdt_len, aml_len;
	size_t end;
};

static size_t madt_length(const struct acpi_platform *p)
{
	size_t lapics = p->vcpus <= ACPI_MADT_LAPIC_MAX_ID + 1u ?
				p->vcpus : ACPI_MADT_LAPIC_MAX_ID + 1u;
	size_t x2apics = p->vcpus - lapics;

	return sizeof(struct acpi_madt) +
	       lapics * sizeof(struct acpi_madt_lapic) +
	       x2apics * sizeof(struct acpi_madt_x2apic) +
	       sizeof(struct acpi_madt_ioapic) +
	       p->override_count * sizeof(struct acpi_madt_override);
}

static void write_rsdp(uint8_t *out, const struct acpi_platform *p,
		       uint64_t xsdt_gpa)
{
	struct acpi_rsdp r;

	memset(&r, 0, sizeof(r));
	memcpy(r.signature, RSDP_SIGNATURE, sizeof(r.signature));
	oem_id(p, r.oem_id);
	r.revision = ACPI_RSDP_REVISION;
	r.rsdt_address = 0;	/* no RSDT: the XSDT is the root */
	r.length = sizeof(r);
	r.xsdt_address = xsdt_gpa;
	r.checksum = checksum_of((const uint8_t *)&r, RSDP_V1_LENGTH);
	r.extended_checksum = checksum_of((const uint8_t *)&r, sizeof(r));
	memcpy(out, &r, sizeof(r));
}

static void write_xsdt(uint8_t *out, const struct acpi_platform *p,
		       const struct layout *l, uint64_t base)
{
	struct acpi_sdt_header h;
	uint64_t entries[XSDT_ENTRIES] = {base + l->fadt, base + l->madt};

	header_init(&h, p, "XSDT", (uint32_t)l->xsdt_len, ACPI_XSDT_REVISION);
	memcpy(out, &h, sizeof(h));
	memcpy(out + sizeof(h), entries, sizeof(entries));
	finish_table(out);
}

static void write_fadt(uint8_t *out, const struct acpi_platform *p,
		       uint64_t dsdt_gpa)
{
	struct acpi_fadt f;

	memset(&f, 0, sizeof(f));
	header_init(&f.header, p, "FACP", sizeof(f), ACPI_FADT_REVISION);
	f.minor_version = ACPI_FADT_MINOR_REVISION;
	/* Hardware-reduced (4.1): the PM1, PM2, PM timer and GPE blocks,
	 * SCI_INT, SMI_CMD and the FACS stay zero. The 32-bit DSDT field
	 * must be zero when X_DSDT is set (5.2.9). */
	f.flags = ACPI_FADT_HW_REDUCED_ACPI | ACPI_FADT_RESET_REG_SUP |
		  ACPI_FADT_PWR_BUTTON | ACPI_FADT_SLP_BUTTON;
	/* Neither ISA devices outside the namespace nor an 8042; no VGA, no
	 * MSI (no PCI at all), no ASPM for the OS to manage. */
	f.iapc_boot_arch = ACPI_FADT_BOOT_VGA_NOT_PRESENT |
			   ACPI_FADT_BOOT_MSI_NOT_SUPPORTED |
			   ACPI_FADT_BOOT_PCIE_ASPM_CONTROLS;
	if (!p->cmos_rtc)
		f.iapc_boot_arch |= ACPI_FADT_BOOT_CMOS_RTC_NOT_PRESENT;
	f.reset_reg = gas8(&p->reset_reg);
	f.reset_value = p->reset_value;
	f.x_dsdt = dsdt_gpa;
	f.sleep_control_reg = gas8(&p->sleep_control);
	f.sleep_status_reg = gas8(&p->sleep_status);
	memcpy(&f.hypervisor_vendor_id, HYPERVISOR_VENDOR_ID,
	       sizeof(f.hypervisor_vendor_id));
	memcpy(out, &f, sizeof(f));
	finish_table(out);
}

/* Processor Local APIC structures for APIC ids 0-254, Processor Local
 * x2APIC structures from 255 on (5.2.12.12: OSPM uses the x2APIC ones for
 * ids that do not fit xAPIC), then the I/O APIC and the overrides. */
static void write_madt(uint8_t *out, const struct acpi_platform *p,
		       const struct layout *l)
{
	struct acpi_madt m;
	size_t off = sizeof(m);

	memset(&m, 0, sizeof(m));
	header_init(&m.header, p, "APIC", (uint32_t)l->madt_len,
		    ACPI_MADT_REVISION);
	m.lapic_address = p->lapic_addr;
	m.flags = 0;	/* no PCAT_COMPAT: there is no 8259 to mask */
	memcpy(out, &m, sizeof(m));

	for (uint32_t id = 0; id < p->vcpus; id++) {
		if (id <= ACPI_MADT_LAPIC_MAX_ID) {
			struct acpi_madt_lapic e = {
				.type = ACPI_MADT_TYPE_LAPIC,
				.length = sizeof(e),
				.uid = (uint8_t)id,
				.apic_id = (uint8_t)id,
				.flags = ACPI_MADT_ENABLED,
			};
			memcpy(out + off, &e, sizeof(e));
			off += sizeof(e);
		} else {
			struct acpi_madt_x2apic e = {
				.type = ACPI_MADT_TYPE_X2APIC,
				.length = sizeof(e),
				.x2apic_id = id,
				.flags = ACPI_MADT_ENABLED,
				.uid = id,
			};
			memcpy(out + off, &e, sizeof(e));
			off += sizeof(e);
		}
	}

	struct acpi_madt_ioapic io = {
		.type = ACPI_MADT_TYPE_IOAPIC,
		.length = sizeof(io),
		.id = p->ioapic.id,
		.address = p->ioapic.address,
		.gsi_base = p->ioapic.gsi_base,
	};
	memcpy(out + off, &io, sizeof(io));
	off += sizeof(io);

	for (size_t i = 0; i < p->override_count; i++) {
		struct acpi_madt_override e = {
			.type = ACPI_MADT_TYPE_OVERRIDE,
			.length = sizeof(e),
			.bus = 0,
			.source = p->overrides[i].source,
			.gsi = p->overrides[i].gsi,
			.flags = p->overrides[i].flags,
		};
		memcpy(out + off, &e, sizeof(e));
		off += sizeof(e);
	}
	finish_table(out);
}

/* Returns false when the AML could not be encoded. */
static bool write_dsdt(uint8_t *out, const struct acpi_platform *p,
		       const struct layout *l)
{
	struct acpi_sdt_header h;
	struct aml_buf b;

	aml_init(&b, out + sizeof(h), l->aml_len);
	emit_dsdt_body(&b, p);
	if (!aml_ok(&b) || b.len != l->aml_len)
		return false;
	header_init(&h, p, "DSDT", (uint32_t)l->dsdt_len, ACPI_DSDT_REVISION);
	memcpy(out, &h, sizeof(h));
	finish_table(out);
	return true;
}

/* Offsets of every table; false when the AML cannot be encoded. */
static bool plan(const struct acpi_platform *p, struct layout *l)
{
	struct aml_buf measure;

	aml_init(&measure, NULL, 0);
	emit_dsdt_body(&measure, p);
	if (measure.invalid)
		return false;
	l->aml_len = measure.len;

	l->rsdp = 0;
	l->xsdt = align_up(l->rsdp + sizeof(struct acpi_rsdp));
	l->xsdt_len = sizeof(struct acpi_sdt_header) +
		      XSDT_ENTRIES * XSDT_ENTRY_SIZE;
	l->fadt = align_up(l->xsdt + l->xsdt_len);
	l->madt = align_up(l->fadt + sizeof(struct acpi_fadt));
	l->madt_len = madt_length(p);
	l->dsdt = align_up(l->madt + l->madt_len);
	l->dsdt_len = sizeof(struct acpi_sdt_header) + l->aml_len;
	l->end = l->dsdt + l->dsdt_len;
	return true;
}

enum acpi_build_status acpi_build(const struct acpi_platform *p,
				  uint64_t base_gpa, void *buf, size_t size,
				  size_t *used, uint64_t *rsdp_gpa)
{
	enum acpi_build_status st = validate(p);
	struct layout l;
	uint8_t *out = buf;

	*used = 0;
	if (st != ACPI_BUILD_OK)
		return st;
	if (base_gpa % ACPI_BUILD_ALIGN != 0)
		return ACPI_BUILD_ERR_ADDRESS;
	if (!plan(p, &l))
		return ACPI_BUILD_ERR_AML;
	if (base_gpa > UINT64_MAX - l.end)
		return ACPI_BUILD_ERR_ADDRESS;
	if (buf == NULL || size < l.end) {
		*used = l.end;
		return ACPI_BUILD_ERR_NO_SPACE;
	}

	memset(out, 0, l.end);
	if (!write_dsdt(out + l.dsdt, p, &l)) {
		memset(out, 0, l.end);
		return ACPI_BUILD_ERR_AML;
	}
	write_madt(out + l.madt, p, &l);
	write_fadt(out + l.fadt, p, base_gpa + l.dsdt);
	write_xsdt(out + l.xsdt, p, &l, base_gpa);
	write_rsdp(out + l.rsdp, p, base_gpa + l.xsdt);
	*used = l.end;
	*rsdp_gpa = base_gpa + l.rsdp;
	return ACPI_BUILD_OK;
}

const char *acpi_build_status_str(enum acpi_build_status s)
{
	switch (s) {
	case ACPI_BUILD_OK: return "ok";
	case ACPI_BUILD_ERR_NO_SPACE: return "buffer too small";
	case ACPI_BUILD_ERR_VCPUS: return "bad vCPU count";
	case ACPI_BUILD_ERR_OVERRIDES: return "too many interrupt overrides";
	case ACPI_BUILD_ERR_VIRTIO:
		return "bad virtio-mmio device (count, size, or above 4 GiB)";
	case ACPI_BUILD_ERR_REGISTER:
		return "bad reset or sleep register (space or address)";
	case ACPI_BUILD_ERR_SLEEP_TYPE: return "S5 sleep type above 7";
	case ACPI_BUILD_ERR_ADDRESS:
		return "base address not 16-byte aligned or tables wrap";
	case ACPI_BUILD_ERR_AML: return "DSDT cannot be encoded";
	}
	return "unknown ACPI build status";
}
