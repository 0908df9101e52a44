/* Building a domain that boots a stock Linux bzImage through the x86 boot
 * protocol's 64-bit entry (docs/linux-boot.md): its ACPI tables, the
 * kernel, initrd, command line, boot_params and entry state, all planned
 * by lib/linux_boot.c. */
#include "core/arch.h"
#include "core/bundle.h"
#include "core/domain.h"
#include "core/domain_build.h"
#include "core/guest_memory.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "lib/acpi_build.h"
#include "lib/linux_boot.h"
#include "lib/string.h"
#include "vdev/platform_control.h"
#include "vdev/uart16550.h"
#include "vdev/vioapic.h"

/* The tables sit in the BIOS area Linux also scans for the RSDP
 * (docs/guest-acpi.md); the E820 map never calls it RAM. */
#define GUEST_ACPI_BASE 0xe0000ull
#define GUEST_ACPI_MAX 0x10000ull

static bool guest_write(void *d, uint64_t gpa, const void *src, uint64_t len)
{
	return src ? copy_to_guest(d, gpa, src, len) : zero_guest(d, gpa, len);
}

static void acpi_platform_of(const struct domain *d, struct acpi_platform *p)
{
	memset(p, 0, sizeof(*p));
	p->vcpus = d->vcpu_count;
	p->lapic_addr = (uint32_t)VLAPIC_DEFAULT_BASE;
	p->ioapic.address = (uint32_t)VIOAPIC_BASE;
	p->com1 = true;
	p->com1_gsi = UART16550_COM1_IRQ;
	p->cmos_rtc = true;
	p->reset_reg = (struct acpi_reg8){ACPI_GAS_SPACE_IO, ACPI_RESET_PORT};
	p->reset_value = ACPI_RESET_VALUE;
	p->sleep_control = (struct acpi_reg8){ACPI_GAS_SPACE_IO, ACPI_SLEEP_CONTROL_PORT};
	p->sleep_status = (struct acpi_reg8){ACPI_GAS_SPACE_IO, ACPI_SLEEP_STATUS_PORT};
	p->s5_sleep_type = ACPI_S5_SLEEP_TYPE;
}

/* Writes the domain's ACPI tables; returns the RSDP's address, 0 on error. */
static uint64_t write_acpi_tables(struct domain *d)
{
	struct acpi_platform p;
	size_t used = 0;
	uint64_t rsdp = 0;
	void *buf = xzalloc(GUEST_ACPI_MAX);

	acpi_platform_of(d, &p);
	enum acpi_build_status st = buf ? acpi_build(&p, GUEST_ACPI_BASE, buf,
						     GUEST_ACPI_MAX, &used, &rsdp)
					: ACPI_BUILD_ERR_NO_SPACE;
	if (st != ACPI_BUILD_OK || !copy_to_guest(d, GUEST_ACPI_BASE, buf, used)) {
		log_err("domain %s: error: its ACPI tables: %s\n", d->name,
			acpi_build_status_str(st));
		rsdp = 0;
	}
	xfree(buf);
	return rsdp;
}

static bool find_ramdisk(struct domain *d, struct cpio_file *initrd)
{
	if (d->config.ramdisk[0] == '\0') {
		*initrd = (struct cpio_file){.data = NULL, .size = 0};
		return true;
	}
	if (bundle_find(d->config.ramdisk, initrd))
		return true;
	log_err("domain %s: error: ramdisk '%s' is not in the bundle\n", d->name,
		d->config.ramdisk);
	return false;
}

bool domain_build_linux_bzimage(struct domain *d, const struct cpio_file *kernel)
{
	struct bzimage_info k;
	struct cpio_file initrd;
	struct linux_boot_plan *plan = NULL;
	void *scratch = NULL;
	bool ok = false;

	enum linux_boot_status st = bzimage_parse(kernel->data, kernel->size, &k);
	if (st != LINUX_BOOT_OK) {
		log_err("domain %s: error: kernel '%s': %s\n", d->name,
			d->config.kernel, linux_boot_status_str(st));
		return false;
	}
	uint64_t rsdp = write_acpi_tables(d);
	if (!rsdp || !find_ramdisk(d, &initrd))
		return false;
	struct linux_boot_request req = {
		.mem = {.ram_size = d->ram_bytes},
		.initrd_size = initrd.size,
		.cmdline_len = strnlen(d->config.cmdline, sizeof(d->config.cmdline)),
		.rsdp_addr = rsdp,
	};
	plan = xzalloc(sizeof(*plan));
	scratch = xmalloc(LINUX_SCRATCH_SIZE);
	if (!plan || !scratch)
		goto out;
	st = linux_plan_bzimage(&k, &req, plan);
	if (st == LINUX_BOOT_OK)
		st = linux_load_bzimage(kernel->data, kernel->size, &k, plan, &req,
					d->config.cmdline, initrd.data, scratch,
					guest_write, d);
	if (st != LINUX_BOOT_OK) {
		log_err("domain %s: error: kernel '%s': %s%s%s\n", d->name,
			d->config.kernel, linux_boot_status_str(st),
			plan->message[0] ? ": " : "", plan->message);
		goto out;
	}
	struct linux_entry_state entry;
	linux_entry_state(plan, &entry);
	ok = arch_vcpu_init_linux(&d->vcpus[0], &entry);
	if (!ok)
		log_err("domain %s: error: out of memory for its vCPU\n", d->name);
	else
		log_info("domain %s: Linux boot protocol %u.%02u, kernel at %#lx, initrd %lu KiB at %#lx\n",
			 d->name, k.version >> 8, k.version & 0xff, plan->kernel_addr,
			 initrd.size >> 10, plan->initrd_addr);
out:
	xfree(plan);
	xfree(scratch);
	return ok;
}
