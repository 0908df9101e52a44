/* Multiboot2 boot information (Multiboot2 specification 1.0, 3.6): GRUB. */
#include "arch/x86/boot/boot_protocols.h"
#include "core/log.h"
#include "lib/string.h"

/* Tag types, Multiboot2 specification 3.6. */
#define MB2_TAG_END 0
#define MB2_TAG_CMDLINE 1
#define MB2_TAG_MODULE 3
#define MB2_TAG_MMAP 6
#define MB2_TAG_ACPI_OLD 14
#define MB2_TAG_ACPI_NEW 15

struct mb2_info_header {
	uint32_t total_size;
	uint32_t reserved;
};

struct mb2_tag {
	uint32_t type;
	uint32_t size;		/* of the tag, header included, unpadded */
};

struct mb2_tag_module {
	struct mb2_tag tag;
	uint32_t mod_start;
	uint32_t mod_end;
	char name[];
};

struct mb2_tag_mmap {
	struct mb2_tag tag;
	uint32_t entry_size;
	uint32_t entry_version;
};

struct mb2_mmap_entry {
	uint64_t base;
	uint64_t length;
	uint32_t type;
	uint32_t reserved;
};

static void mb2_read_module(const struct mb2_tag_module *t, struct boot_info *out)
{
	if (out->module_count == BOOT_MODULES_MAX) {
		out->modules_dropped++;
		return;
	}
	struct boot_module *bm = &out->modules[out->module_count++];
	bm->phys = t->mod_start;
	bm->size = t->mod_end > t->mod_start ? t->mod_end - t->mod_start : 0;
	boot_copy_string(bm->name, sizeof(bm->name), t->name);
}

static void mb2_read_mmap(const struct mb2_tag_mmap *t, struct memmap *m)
{
	const uint8_t *p = (const uint8_t *)(t + 1);
	const uint8_t *end = (const uint8_t *)t + t->tag.size;

	if (t->entry_size < sizeof(struct mb2_mmap_entry))
		return;
	for (; p + t->entry_size <= end; p += t->entry_size) {
		const struct mb2_mmap_entry *e = (const void *)p;
		if (!memmap_add(m, e->base, e->length, e->type))
			log_warn("boot: warning: memory map entry dropped: table full\n");
	}
}

static void mb2_read_rsdp(const struct mb2_tag *t, struct boot_info *out)
{
	size_t size = t->size - sizeof(*t);

	if (size > sizeof(out->rsdp_copy))
		size = sizeof(out->rsdp_copy);
	/* The new (ACPI 2.0+) copy wins over the old one, whatever the order. */
	if (out->rsdp_copy_size > size)
		return;
	memcpy(out->rsdp_copy, t + 1, size);
	out->rsdp_copy_size = size;
}

static void mb2_read_tag(const struct mb2_tag *t, struct boot_info *out)
{
	switch (t->type) {
	case MB2_TAG_CMDLINE:
		out->cmdline_truncated = !boot_copy_string(
			out->cmdline, sizeof(out->cmdline), (const char *)(t + 1));
		break;
	case MB2_TAG_MODULE:
		mb2_read_module((const void *)t, out);
		break;
	case MB2_TAG_MMAP:
		mb2_read_mmap((const void *)t, &out->memmap);
		break;
	case MB2_TAG_ACPI_OLD:
	case MB2_TAG_ACPI_NEW:
		mb2_read_rsdp(t, out);
		break;
	}
}

bool multiboot2_read_boot_info(uint64_t mbi_phys, struct boot_info *out)
{
	const struct mb2_info_header *h = (const void *)(uintptr_t)mbi_phys;
	const uint8_t *p = (const uint8_t *)(h + 1);
	const uint8_t *end = (const uint8_t *)h + h->total_size;

	out->protocol = "Multiboot2";
	while (p + sizeof(struct mb2_tag) <= end) {
		const struct mb2_tag *t = (const void *)p;
		if (t->type == MB2_TAG_END || t->size < sizeof(*t) ||
		    p + t->size > end)
			break;
		mb2_read_tag(t, out);
		p += (t->size + 7) & ~7u;	/* tags are 8-byte aligned */
	}
	if (out->memmap.count == 0) {
		log_err("boot: error: Multiboot2 information has no memory map\n");
		return false;
	}
	return true;
}
