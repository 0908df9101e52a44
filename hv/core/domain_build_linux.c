/* Building a domain that boots a stock Linux kernel (docs/linux-boot.md):
 * a bzImage through the x86 boot protocol's 64-bit entry, or the
 * uncompressed vmlinux through its PVH entry, which skips the kernel's own
 * decompression. Its ACPI tables, the kernel, initrd, command line,
 * boot_params or start info and the entry state, all planned by
 * lib/linux_boot.c. */
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

/* Linux on a hardware-reduced ACPI machine reboots by EFI, then by the
 * BIOS: real mode at the reset vector F000:FFF0. There is no BIOS here, so
 * the vector holds a stub that asks the i8042 for the reset, which Vesta
 * turns into on_reboot (Linux's reboot.c, efi_reboot_required()). */
#define RESET_VECTOR_GPA 0xffff0ull

static bool write_reset_vector_stub(struct domain *d)
{
	static const uint8_t stub[] = {
		0xb0, I8042_CMD_PULSE_RESET,	/* mov al, 0xfe */
		0xe6, I8042_COMMAND_PORT,	/* out 0x64, al */
		0xfa, 0xf4,			/* cli; hlt */
		0xeb, 0xfc,			/* jmp back to cli */
	};

	return copy_to_guest(d, RESET_VECTOR_GPA, stub, sizeof(stub));
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
	p->pvpanic_port = PVPANIC_PORT;
	p->reset_reg = (struct acpi_reg8){ACPI_GAS_SPACE_IO, ACPI_RESET_PORT};
	p->reset_value = ACPI_RESET_VALUE;
	p->sleep_control = (struct acpi_reg8){ACPI_GAS_SPACE_IO, ACPI_SLEEP_CONTROL_PORT};
	p->sleep_status = (struct acpi_reg8){ACPI_GAS_SPACE_IO, ACPI_SLEEP_STATUS_PORT};
	p->s5_sleep_type = ACPI_S5_SLEEP_TYPE;
	domain_virtio_describe(d, p);
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

/* What both ways share: the tables, the initrd, the request. */
struct linux_build {
	struct domain *d;
	struct cpio_file initrd;
	struct linux_boot_request req;
	struct linux_boot_plan *plan;
	void *scratch;
};

static bool linux_build_start(struct domain *d, struct linux_build *b)
{
	*b = (struct linux_build){.d = d};
	uint64_t rsdp = write_acpi_tables(d);
	if (!rsdp || !find_ramdisk(d, &b->initrd) || !write_reset_vector_stub(d))
		return false;
	b->req = (struct linux_boot_request){
		.mem = {.ram_size = d->ram_bytes},
		.initrd_size = b->initrd.size,
		.cmdline_len = strnlen(d->config.cmdline, sizeof(d->config.cmdline)),
		.rsdp_addr = rsdp,
	};
	b->plan = xzalloc(sizeof(*b->plan));
	b->scratch = xmalloc(LINUX_SCRATCH_SIZE);
	if (!b->plan || !b->scratch)
		log_err("domain %s: error: out of monitor memory\n", d->name);
	return b->plan && b->scratch;
}

/* Reports a planning or loading error, or starts the first vCPU. */
static bool linux_build_finish(struct linux_build *b, enum linux_boot_status st,
			       const char *how)
{
	struct domain *d = b->d;
	bool ok = false;

	if (st != LINUX_BOOT_OK) {
		log_err("domain %s: error: kernel '%s': %s%s%s\n", d->name,
			d->config.kernel, linux_boot_status_str(st),
			b->plan && b->plan->message[0] ? ": " : "",
			b->plan ? b->plan->message : "");
	} else {
		struct linux_entry_state entry;
		linux_entry_state(b->plan, &entry);
		ok = arch_vcpu_init_linux(&d->vcpus[0], &entry);
		if (!ok)
			log_err("domain %s: error: out of memory for its vCPU\n", d->name);
		else
			log_info("domain %s: Linux by %s, kernel at %#lx, initrd %lu KiB at %#lx\n",
				 d->name, how, b->plan->kernel_addr,
				 b->initrd.size >> 10, b->plan->initrd_addr);
	}
	xfree(b->plan);
	xfree(b->scratch);
	return ok;
}

bool domain_build_linux_bzimage(struct domain *d, const struct cpio_file *kernel)
{
	struct bzimage_info k;
	struct linux_build b;

	enum linux_boot_status st = bzimage_parse(kernel->data, kernel->size, &k);
	if (st != LINUX_BOOT_OK) {
		log_err("domain %s: error: kernel '%s': %s\n", d->name,
			d->config.kernel, linux_boot_status_str(st));
		return false;
	}
	if (!linux_build_start(d, &b))
		return linux_build_finish(&b, LINUX_BOOT_ERR_WRITE, "");
	st = linux_plan_bzimage(&k, &b.req, b.plan);
	if (st == LINUX_BOOT_OK)
		st = linux_load_bzimage(kernel->data, kernel->size, &k, b.plan, &b.req,
					d->config.cmdline, b.initrd.data, b.scratch,
					guest_write, d);
	return linux_build_finish(&b, st, "the 64-bit boot protocol");
}

bool domain_build_linux_pvh(struct domain *d, const struct cpio_file *kernel,
			    const struct elf_image *elf)
{
	struct linux_build b;

	if (!linux_build_start(d, &b))
		return linux_build_finish(&b, LINUX_BOOT_ERR_WRITE, "");
	enum linux_boot_status st = linux_plan_pvh(elf, &b.req, b.plan);
	if (st == LINUX_BOOT_OK)
		st = linux_load_pvh(kernel->data, kernel->size, elf, b.plan, &b.req,
				    d->config.cmdline, b.initrd.data, b.scratch,
				    guest_write, d);
	return linux_build_finish(&b, st, "its PVH entry");
}
