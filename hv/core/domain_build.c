#include "core/domain_build.h"
#include "core/arch.h"
#include "core/bundle.h"
#include "core/domain.h"
#include "core/frame.h"
#include "core/guest_memory.h"
#include "core/log.h"
#include "lib/elf_loader.h"
#include "lib/string.h"
#include "vesta/pvh_start_info.h"

#define FRAMES_PER_2M 512
#define E820_RAM 1

/* The largest run of zeroed frames, 2 MiB aligned when it can be, up to
 * want: nothing of a previous owner may show through. */
static uint64_t ram_alloc_run(uint64_t want, uint64_t *got)
{
	for (uint64_t n = want; n >= FRAMES_PER_2M; n /= 2) {
		uint64_t pa = frame_alloc_zeroed_aligned(n, FRAMES_PER_2M);
		if (pa) {
			*got = n;
			return pa;
		}
	}
	uint64_t n = want < FRAMES_PER_2M ? want : FRAMES_PER_2M;
	for (; n; n /= 2) {
		uint64_t pa = frame_alloc_zeroed_aligned(n, 1);
		if (pa) {
			*got = n;
			return pa;
		}
	}
	return 0;
}

static bool ram_add_extent(struct domain *d, uint64_t hpa, uint64_t size)
{
	if (d->ram_extent_count) {
		struct ram_extent *last = &d->ram[d->ram_extent_count - 1];
		if (last->hpa + last->size == hpa) {
			last->size += size;
			return true;
		}
	}
	if (d->ram_extent_count == DOMAIN_RAM_EXTENTS_MAX)
		return false;
	d->ram[d->ram_extent_count++] =
		(struct ram_extent){.gpa = d->ram_bytes, .hpa = hpa, .size = size};
	return true;
}

static bool domain_ram_alloc(struct domain *d, uint64_t bytes)
{
	uint64_t frames_left = bytes / PAGE_SIZE;

	while (frames_left) {
		uint64_t got = 0;
		uint64_t hpa = ram_alloc_run(frames_left, &got);
		if (!hpa)
			return false;
		if (!ram_add_extent(d, hpa, got * PAGE_SIZE)) {
			frame_free(hpa, got);
			return false;
		}
		d->ram_bytes += got * PAGE_SIZE;
		frames_left -= got;
	}
	return true;
}

void domain_ram_free(struct domain *d)
{
	for (size_t i = 0; i < d->ram_extent_count; i++)
		frame_free(d->ram[i].hpa, d->ram[i].size / PAGE_SIZE);
	d->ram_extent_count = 0;
	d->ram_bytes = 0;
}

static bool domain_ram_map(struct domain *d)
{
	for (size_t i = 0; i < d->ram_extent_count; i++)
		if (!arch_domain_map_ram(d, d->ram[i].gpa, d->ram[i].hpa,
					 d->ram[i].size))
			return false;
	return true;
}

static bool segment_fits(const struct domain *d, uint64_t paddr, uint64_t memsz)
{
	return guest_range_is_ram(d, paddr, memsz) && paddr >= GUEST_BOOT_DATA_END;
}

static bool guest_write(void *d, uint64_t gpa, const void *src, uint64_t len)
{
	return src ? copy_to_guest(d, gpa, src, len) : zero_guest(d, gpa, len);
}

/* Copies the PT_LOAD segments; returns the entry point, 0 on error. */
static uint64_t load_kernel_elf(struct domain *d, const struct cpio_file *f)
{
	struct elf_image img;
	enum elf_status st = elf_parse(f->data, f->size, &img);

	if (st != ELF_OK) {
		log_err("domain %s: error: kernel '%s': %s\n", d->name,
			d->config.kernel, elf_status_str(st));
		return 0;
	}
	for (size_t i = 0; i < img.segment_count; i++) {
		const struct elf_segment *s = &img.segments[i];
		if (!segment_fits(d, s->paddr, s->memsz)) {
			log_err("domain %s: error: kernel '%s': segment at %#lx (+%#lx) does not fit in %lu MiB above %#llx\n",
				d->name, d->config.kernel, s->paddr, s->memsz,
				d->ram_bytes >> 20, GUEST_BOOT_DATA_END);
			return 0;
		}
	}
	elf_load_with(&img, f->data, guest_write, d);
	if (!img.has_pvh_entry) {
		log_err("domain %s: error: kernel '%s' has no PVH entry note\n",
			d->name, d->config.kernel);
		return 0;
	}
	return img.pvh_entry;
}

static bool build_linux_vmlinux(struct domain *d, const struct cpio_file *kernel)
{
	struct elf_image img;
	enum elf_status st = elf_parse(kernel->data, kernel->size, &img);

	if (st != ELF_OK || !img.has_pvh_entry) {
		log_err("domain %s: error: kernel '%s': %s\n", d->name, d->config.kernel,
			st != ELF_OK ? elf_status_str(st)
				     : "neither a bzImage nor an ELF with a PVH entry");
		return false;
	}
	return domain_build_linux_pvh(d, kernel, &img);
}

static void write_start_info(struct domain *d)
{
	size_t cmdline_len = strnlen(d->config.cmdline, sizeof(d->config.cmdline) - 1);
	struct pvh_memmap_entry ram = {.addr = 0, .size = d->ram_bytes, .type = E820_RAM};
	struct pvh_start_info si = {
		.magic = PVH_START_MAGIC,
		.version = 1,
		.cmdline_paddr = GUEST_CMDLINE_GPA,
		.memmap_paddr = GUEST_MEMMAP_GPA,
		.memmap_entries = 1,
	};

	copy_to_guest(d, GUEST_START_INFO_GPA, &si, sizeof(si));
	copy_to_guest(d, GUEST_MEMMAP_GPA, &ram, sizeof(ram));
	copy_to_guest(d, GUEST_CMDLINE_GPA, d->config.cmdline, cmdline_len);
}

bool domain_build(struct domain *d)
{
	struct cpio_file kernel;
	uint64_t bytes = d->config.memory_mib << 20;

	if (!bundle_find(d->config.kernel, &kernel)) {
		log_err("domain %s: error: kernel '%s' is not in the bundle\n",
			d->name, d->config.kernel);
		return false;
	}
	if (bytes < (1ull << 20) || !domain_ram_alloc(d, bytes) || !domain_ram_map(d)) {
		log_err("domain %s: error: cannot give it %lu MiB: %lu MiB free\n",
			d->name, d->config.memory_mib,
			frames_free_count() * PAGE_SIZE >> 20);
		return false;
	}
	if (kernel.size > 0x206 && memcmp((const uint8_t *)kernel.data + 0x202, "HdrS", 4) == 0)
		return domain_build_linux_bzimage(d, &kernel);
	/* An ELF with a ramdisk is a Linux vmlinux; without, a test guest
	 * (docs/guests.md) with the plain PVH start info below. */
	if (d->config.ramdisk[0])
		return build_linux_vmlinux(d, &kernel);
	uint64_t entry = load_kernel_elf(d, &kernel);
	if (!entry)
		return false;
	write_start_info(d);
	if (!arch_vcpu_init_pvh(&d->vcpus[0], entry, GUEST_START_INFO_GPA)) {
		log_err("domain %s: error: out of memory for its vCPU\n", d->name);
		return false;
	}
	return true;
}
