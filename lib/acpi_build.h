/* The ACPI tables of a guest platform: from a description of the platform,
 * acpi_build writes RSDP, XSDT, FADT, MADT and DSDT (ACPI 6.5, sections
 * 5.2.5, 5.2.8, 5.2.9, 5.2.12, 5.2.11.1) into one caller-provided buffer
 * that will sit at a given guest-physical address, so every address inside
 * the tables is that base plus an offset in the buffer.
 *
 * The platform is hardware-reduced ACPI (4.1): no PM1 blocks, no SCI, no
 * GPEs, no FACS; poweroff through the sleep control register, reboot
 * through the reset register. No 8259 PIC, PIT, HPET or CMOS RTC unless
 * said otherwise. CPUs are in the MADT only; the DSDT holds \_S5, COM1 and
 * the virtio-mmio devices. docs/guest-acpi.md explains each choice. */
#ifndef LIB_ACPI_BUILD_H
#define LIB_ACPI_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/acpi_tables.h"

/* ------------------------------------------------------ fixed layouts */

/* 5.2.3.2, "Generic Address Structure". */
struct __attribute__((packed)) acpi_gas {
	uint8_t space_id;	/* ACPI_GAS_SPACE_* */
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;	/* ACPI_GAS_ACCESS_* */
	uint64_t address;
};

/* 5.2.3.2: Address Space ID and Access Size values. */
#define ACPI_GAS_SPACE_MEMORY 0
#define ACPI_GAS_SPACE_IO 1
#define ACPI_GAS_ACCESS_BYTE 1

/* 5.2.9, "FADT Format", revision 6 (ACPI 6.x): 276 bytes. */
struct __attribute__((packed)) acpi_fadt {
	struct acpi_sdt_header header;	/* "FACP" */
	uint32_t firmware_ctrl;
	uint32_t dsdt;
	uint8_t reserved0;
	uint8_t preferred_pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable;
	uint8_t acpi_disable;
	uint8_t s4bios_req;
	uint8_t pstate_cnt;
	uint32_t pm1a_evt_blk;
	uint32_t pm1b_evt_blk;
	uint32_t pm1a_cnt_blk;
	uint32_t pm1b_cnt_blk;
	uint32_t pm2_cnt_blk;
	uint32_t pm_tmr_blk;
	uint32_t gpe0_blk;
	uint32_t gpe1_blk;
	uint8_t pm1_evt_len;
	uint8_t pm1_cnt_len;
	uint8_t pm2_cnt_len;
	uint8_t pm_tmr_len;
	uint8_t gpe0_blk_len;
	uint8_t gpe1_blk_len;
	uint8_t gpe1_base;
	uint8_t cst_cnt;
	uint16_t p_lvl2_lat;
	uint16_t p_lvl3_lat;
	uint16_t flush_size;
	uint16_t flush_stride;
	uint8_t duty_offset;
	uint8_t duty_width;
	uint8_t day_alrm;
	uint8_t mon_alrm;
	uint8_t century;
	uint16_t iapc_boot_arch;	/* ACPI_FADT_BOOT_* */
	uint8_t reserved1;
	uint32_t flags;			/* ACPI_FADT_* */
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t minor_version;
	uint64_t x_firmware_ctrl;
	uint64_t x_dsdt;
	struct acpi_gas x_pm1a_evt_blk;
	struct acpi_gas x_pm1b_evt_blk;
	struct acpi_gas x_pm1a_cnt_blk;
	struct acpi_gas x_pm1b_cnt_blk;
	struct acpi_gas x_pm2_cnt_blk;
	struct acpi_gas x_pm_tmr_blk;
	struct acpi_gas x_gpe0_blk;
	struct acpi_gas x_gpe1_blk;
	struct acpi_gas sleep_control_reg;
	struct acpi_gas sleep_status_reg;
	uint64_t hypervisor_vendor_id;
};

/* 5.2.9, "Fixed ACPI Description Table Fixed Feature Flags". */
#define ACPI_FADT_PWR_BUTTON (1u << 4)	/* no fixed power button */
#define ACPI_FADT_SLP_BUTTON (1u << 5)	/* no fixed sleep button */
#define ACPI_FADT_RESET_REG_SUP (1u << 10)
#define ACPI_FADT_HW_REDUCED_ACPI (1u << 20)

/* 5.2.9.3, "IA-PC Boot Architecture Flags". */
#define ACPI_FADT_BOOT_LEGACY_DEVICES (1u << 0)
#define ACPI_FADT_BOOT_8042 (1u << 1)
#define ACPI_FADT_BOOT_VGA_NOT_PRESENT (1u << 2)
#define ACPI_FADT_BOOT_MSI_NOT_SUPPORTED (1u << 3)
#define ACPI_FADT_BOOT_PCIE_ASPM_CONTROLS (1u << 4)
#define ACPI_FADT_BOOT_CMOS_RTC_NOT_PRESENT (1u << 5)

/* 5.2.12, the MADT's fields after the header. */
struct __attribute__((packed)) acpi_madt {
	struct acpi_sdt_header header;	/* "APIC" */
	uint32_t lapic_address;
	uint32_t flags;		/* bit 0 PCAT_COMPAT: never set here */
};

/* 5.2.12.2, "Processor Local APIC Structure" (type 0). */
struct __attribute__((packed)) acpi_madt_lapic {
	uint8_t type;
	uint8_t length;
	uint8_t uid;
	uint8_t apic_id;
	uint32_t flags;		/* ACPI_MADT_ENABLED */
};

/* 5.2.12.3, "I/O APIC Structure" (type 1). */
struct __attribute__((packed)) acpi_madt_ioapic {
	uint8_t type;
	uint8_t length;
	uint8_t id;
	uint8_t reserved;
	uint32_t address;
	uint32_t gsi_base;
};

/* 5.2.12.5, "Interrupt Source Override Structure" (type 2). */
struct __attribute__((packed)) acpi_madt_override {
	uint8_t type;
	uint8_t length;
	uint8_t bus;		/* 0: ISA */
	uint8_t source;
	uint32_t gsi;
	uint16_t flags;		/* ACPI_MPS_* */
};

/* 5.2.12.12, "Processor Local x2APIC Structure" (type 9). */
struct __attribute__((packed)) acpi_madt_x2apic {
	uint8_t type;
	uint8_t length;
	uint16_t reserved;
	uint32_t x2apic_id;
	uint32_t flags;		/* ACPI_MADT_ENABLED */
	uint32_t uid;
};

/* 5.2.12, "Interrupt Controller Structure Types". */
#define ACPI_MADT_TYPE_LAPIC 0
#define ACPI_MADT_TYPE_IOAPIC 1
#define ACPI_MADT_TYPE_OVERRIDE 2
#define ACPI_MADT_TYPE_X2APIC 9
/* 5.2.12.2, "Local APIC Flags". */
#define ACPI_MADT_ENABLED (1u << 0)
/* The largest APIC id a Processor Local APIC structure may carry: 0xff is
 * the xAPIC broadcast id, so ids from 0xff on take x2APIC structures
 * (5.2.12.12). */
#define ACPI_MADT_LAPIC_MAX_ID 0xfe

/* 5.2.12.5, "MPS INTI Flags": polarity bits 1:0, trigger mode
 * bits 3:2; 0 in both means "conforms to the bus" (ISA: edge, high). */
#define ACPI_MPS_POLARITY_HIGH 0x1
#define ACPI_MPS_POLARITY_LOW 0x3
#define ACPI_MPS_TRIGGER_EDGE (0x1 << 2)
#define ACPI_MPS_TRIGGER_LEVEL (0x3 << 2)

/* 4.8.3.7, "Sleep Control and Status Registers", both 8 bits: OSPM clears
 * WAK_STS by writing it to the status register, then writes
 * (SLP_TYP << 2) | SLP_EN to the control register to enter a sleep state
 * (S5 is poweroff). The device model acts on SLP_EN with the \_S5 type. */
#define ACPI_SLEEP_TYPE_SHIFT 2
#define ACPI_SLEEP_TYPE_MAX 7
#define ACPI_SLEEP_ENABLE (1u << 5)
#define ACPI_SLEEP_WAKE_STATUS (1u << 7)
#define ACPI_SLEEP_CONTROL_VALUE(type) \
	((uint8_t)((type) << ACPI_SLEEP_TYPE_SHIFT | ACPI_SLEEP_ENABLE))

/* Revisions written (ACPI 6.5): RSDP 2 (with XSDT), XSDT 1, FADT 6.5,
 * MADT 6, DSDT 2 (64-bit integers). */
#define ACPI_RSDP_REVISION 2
#define ACPI_XSDT_REVISION 1
#define ACPI_FADT_REVISION 6
#define ACPI_FADT_MINOR_REVISION 5
#define ACPI_MADT_REVISION 6
#define ACPI_DSDT_REVISION 2

/* ------------------------------------------------------ the description */

#define ACPI_BUILD_MAX_VCPUS 4096
#define ACPI_BUILD_MAX_VIRTIO 32
#define ACPI_BUILD_MAX_OVERRIDES 16
/* The tables start 16-byte aligned, as the RSDP must be to be found by a
 * scan of 0xe0000-0xfffff (5.2.5.1). */
#define ACPI_BUILD_ALIGN 16

/* An 8-bit register in I/O or memory space: the reset, sleep control and
 * sleep status registers are all 8 bits wide (4.8.3.6, 4.8.3.7). */
struct acpi_reg8 {
	uint8_t space;		/* ACPI_GAS_SPACE_MEMORY or ACPI_GAS_SPACE_IO */
	uint64_t address;	/* not 0; a port <= 0xffff for I/O */
};

/* A virtio-mmio transport (virtio 1.2, 4.2.2) and its interrupt: described
 * in the DSDT as _HID "LNRO0005" with Memory32Fixed and an edge-triggered,
 * active-high, exclusive Interrupt. */
struct acpi_virtio_mmio {
	uint64_t base;		/* the window must lie below 4 GiB */
	uint64_t size;		/* not 0 */
	uint32_t gsi;
};

/* An ISA IRQ routed to another GSI or with other flags (MADT type 2). */
struct acpi_irq_override {
	uint8_t source;		/* ISA IRQ */
	uint32_t gsi;
	uint16_t flags;		/* ACPI_MPS_* */
};

struct acpi_platform {
	/* OEM ID of every table; shorter ids end with NUL and are padded
	 * with spaces; all NUL gives "VESTA ". */
	char oem_id[6];

	unsigned vcpus;		/* APIC ids (and ACPI UIDs) 0 .. vcpus-1 */
	uint32_t lapic_addr;	/* usually 0xfee00000 */
	struct {
		uint8_t id;
		uint32_t address;	/* usually 0xfec00000 */
		uint32_t gsi_base;	/* usually 0 */
	} ioapic;
	size_t override_count;
	struct acpi_irq_override overrides[ACPI_BUILD_MAX_OVERRIDES];

	bool com1;		/* a 16550 at 0x3f8-0x3ff */
	uint32_t com1_gsi;	/* usually 4 */
	bool cmos_rtc;		/* false sets FADT "CMOS RTC Not Present" */
	/* A pvpanic device (_HID "QEMU0001", one I/O port): the guest kernel
	 * tells the hypervisor it panicked. 0: none. */
	uint16_t pvpanic_port;

	size_t virtio_count;
	struct acpi_virtio_mmio virtio[ACPI_BUILD_MAX_VIRTIO];

	struct acpi_reg8 reset_reg;
	uint8_t reset_value;
	struct acpi_reg8 sleep_control;
	struct acpi_reg8 sleep_status;
	uint8_t s5_sleep_type;	/* SLP_TYP of \_S5, 0-7 */
};

enum acpi_build_status {
	ACPI_BUILD_OK = 0,
	ACPI_BUILD_ERR_NO_SPACE,	/* the buffer is too small; nothing was
					 * written, *used is the size needed */
	ACPI_BUILD_ERR_VCPUS,		/* 0 or more than ACPI_BUILD_MAX_VCPUS */
	ACPI_BUILD_ERR_OVERRIDES,	/* more than ACPI_BUILD_MAX_OVERRIDES */
	ACPI_BUILD_ERR_VIRTIO,		/* too many, a size of 0, or a window
					 * not below 4 GiB */
	ACPI_BUILD_ERR_REGISTER,	/* a register's space is not memory or
					 * I/O, its address 0, or a port > 0xffff */
	ACPI_BUILD_ERR_SLEEP_TYPE,	/* s5_sleep_type > 7 */
	ACPI_BUILD_ERR_ADDRESS,		/* base_gpa not 16-byte aligned, or the
					 * tables would wrap around 2^64 */
	ACPI_BUILD_ERR_AML,		/* the DSDT could not be encoded */
};

/* Writes the tables for p into buf (size bytes), to be placed at guest-
 * physical base_gpa. On success *used is the number of bytes written
 * (RSDP first, at offset 0, then XSDT, FADT, MADT, DSDT, each 16-byte
 * aligned, the gaps zero) and *rsdp_gpa is base_gpa. buf may be NULL with
 * size 0 to learn the size needed (ACPI_BUILD_ERR_NO_SPACE, *used set).
 * On every error *used is 0 (but for ERR_NO_SPACE), *rsdp_gpa untouched
 * and buf unchanged; ERR_AML, which would mean that measuring and writing
 * the DSDT disagreed, leaves the region zeroed. */
enum acpi_build_status acpi_build(const struct acpi_platform *p,
				  uint64_t base_gpa, void *buf, size_t size,
				  size_t *used, uint64_t *rsdp_gpa);

const char *acpi_build_status_str(enum acpi_build_status s);

#endif
