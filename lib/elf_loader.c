/* ELF64 executable loader. Layouts from the System V gABI ("ELF Header",
 * "Program Header", "Note Section") and the x86-64 psABI; the PVH entry
 * note from Xen's public/elfnote.h. Fields are read byte by byte as
 * little-endian, so no unaligned or out-of-bounds access can happen, and
 * every "offset + size" is compared as "size <= limit - offset", which
 * cannot wrap. */
#include "lib/elf_loader.h"

#include "lib/string.h"

/* e_ident (gABI "ELF Identification"). */
#define EI_CLASS 4
#define EI_DATA 5
#define EI_VERSION 6
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define EV_CURRENT 1

/* ELF64 header field offsets (gABI "ELF Header", Elf64_Ehdr). */
#define EH_TYPE 16
#define EH_MACHINE 18
#define EH_VERSION 20
#define EH_ENTRY 24
#define EH_PHOFF 32
#define EH_PHENTSIZE 54
#define EH_PHNUM 56
#define EHDR_SIZE 64

#define ET_EXEC 2
#define EM_X86_64 62

/* ELF64 program header field offsets (gABI "Program Header", Elf64_Phdr). */
#define PH_TYPE 0
#define PH_FLAGS 4
#define PH_OFFSET 8
#define PH_VADDR 16
#define PH_PADDR 24
#define PH_FILESZ 32
#define PH_MEMSZ 40
#define PH_ALIGN 48
#define PHDR_SIZE 56

/* e_phnum's escape to a count in section header 0: never a kernel's. */
#define PN_XNUM 0xffff

#define PT_LOAD 1
#define PT_NOTE 4

/* A note: namesz, descsz, type (4 bytes each), then the name and the
 * descriptor, each padded to the segment's alignment: 4, or 8 where the
 * segment says so (as readelf reads GNU property notes). */
#define NOTE_HEADER_SIZE 12
/* Xen's public/elfnote.h: the 32-bit physical entry point for PVH. */
#define XEN_NOTE_NAME "Xen"
#define XEN_ELFNOTE_PHYS32_ENTRY 18

static uint64_t read_le(const uint8_t *p, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = bytes; i > 0; i--)
		v = v << 8 | p[i - 1];
	return v;
}

static uint16_t le16(const uint8_t *p) { return (uint16_t)read_le(p, 2); }
static uint32_t le32(const uint8_t *p) { return (uint32_t)read_le(p, 4); }
static uint64_t le64(const uint8_t *p) { return read_le(p, 8); }

/* [offset, offset + len) lies within [0, limit). */
static bool range_inside(uint64_t offset, uint64_t len, uint64_t limit)
{
	return offset <= limit && len <= limit - offset;
}

static enum elf_status check_ident(const uint8_t *e, size_t size)
{
	if (size < EHDR_SIZE)
		return ELF_ERR_TRUNCATED;
	if (e[0] != 0x7f || e[1] != 'E' || e[2] != 'L' || e[3] != 'F')
		return ELF_ERR_MAGIC;
	if (e[EI_CLASS] != ELFCLASS64)
		return ELF_ERR_CLASS;
	if (e[EI_DATA] != ELFDATA2LSB)
		return ELF_ERR_ENCODING;
	if (e[EI_VERSION] != EV_CURRENT || le32(e + EH_VERSION) != EV_CURRENT)
		return ELF_ERR_VERSION;
	if (le16(e + EH_TYPE) != ET_EXEC)
		return ELF_ERR_TYPE;
	if (le16(e + EH_MACHINE) != EM_X86_64)
		return ELF_ERR_MACHINE;
	return ELF_OK;
}

/* ------------------------------------------------------------------ notes */

static uint64_t align_up(uint64_t v, uint64_t align)
{
	return (v + align - 1) & ~(align - 1);
}

static bool is_xen_name(const uint8_t *name, uint32_t namesz)
{
	return namesz == sizeof(XEN_NOTE_NAME) &&
	       memcmp(name, XEN_NOTE_NAME, sizeof(XEN_NOTE_NAME)) == 0;
}

/* The PHYS32_ENTRY descriptor: 4 or 8 bytes, a value below 4 GiB. */
static enum elf_status read_pvh_entry(const uint8_t *desc, uint32_t descsz,
				      struct elf_image *out)
{
	uint64_t entry;

	if (descsz != 4 && descsz != 8)
		return ELF_ERR_NOTE;
	entry = read_le(desc, descsz);
	if (entry > UINT32_MAX)
		return ELF_ERR_NOTE;
	out->has_pvh_entry = true;
	out->pvh_entry = (uint32_t)entry;
	return ELF_OK;
}

/* Walks the notes in [p, p + len). Bytes too few for a note header at
 * the end are padding; a note that does not fit is an error. */
static enum elf_status parse_notes(const uint8_t *p, uint64_t len,
				   uint64_t align, struct elf_image *out)
{
	while (len >= NOTE_HEADER_SIZE) {
		uint32_t namesz = le32(p), descsz = le32(p + 4);
		uint32_t type = le32(p + 8);
		/* At most 12 + 2 * (2^32 + 7): no 64-bit wrap. */
		uint64_t desc_at = align_up(NOTE_HEADER_SIZE + (uint64_t)namesz,
					    align);
		uint64_t next = align_up(desc_at + descsz, align);

		if (desc_at > len || descsz > len - desc_at)
			return ELF_ERR_NOTE;
		if (type == XEN_ELFNOTE_PHYS32_ENTRY &&
		    is_xen_name(p + NOTE_HEADER_SIZE, namesz)) {
			enum elf_status s = read_pvh_entry(p + desc_at, descsz, out);

			if (s != ELF_OK)
				return s;
		}
		if (next >= len)
			break;
		p += next;
		len -= next;
	}
	return ELF_OK;
}

/* --------------------------------------------------------------- segments */

static void read_segment(const uint8_t *ph, struct elf_segment *seg)
{
	seg->flags = le32(ph + PH_FLAGS);
	seg->offset = le64(ph + PH_OFFSET);
	seg->vaddr = le64(ph + PH_VADDR);
	seg->paddr = le64(ph + PH_PADDR);
	seg->filesz = le64(ph + PH_FILESZ);
	seg->memsz = le64(ph + PH_MEMSZ);
}

static enum elf_status check_load(const struct elf_segment *seg, size_t size)
{
	if (!range_inside(seg->offset, seg->filesz, size))
		return ELF_ERR_SEGMENT;
	if (seg->filesz > seg->memsz)
		return ELF_ERR_FILESZ;
	if (seg->memsz > UINT64_MAX - seg->paddr ||
	    seg->memsz > UINT64_MAX - seg->vaddr)
		return ELF_ERR_OVERFLOW;
	return ELF_OK;
}

static enum elf_status add_load(const struct elf_segment *seg, size_t size,
				struct elf_image *out)
{
	enum elf_status s = check_load(seg, size);

	if (s != ELF_OK || seg->memsz == 0)
		return s;
	if (out->segment_count == ELF_MAX_SEGMENTS)
		return ELF_ERR_TOO_MANY_SEGMENTS;
	out->segments[out->segment_count++] = *seg;
	if (out->segment_count == 1 || seg->paddr < out->paddr_low)
		out->paddr_low = seg->paddr;
	if (seg->paddr + seg->memsz > out->paddr_end)
		out->paddr_end = seg->paddr + seg->memsz;
	return ELF_OK;
}

static enum elf_status add_note(const uint8_t *image, size_t size,
				const uint8_t *ph, struct elf_image *out)
{
	struct elf_segment seg;
	uint64_t align = le64(ph + PH_ALIGN) == 8 ? 8 : 4;

	read_segment(ph, &seg);
	if (!range_inside(seg.offset, seg.filesz, size))
		return ELF_ERR_SEGMENT;
	return parse_notes(image + seg.offset, seg.filesz, align, out);
}

static enum elf_status read_program_headers(const uint8_t *image, size_t size,
					    struct elf_image *out)
{
	uint64_t phoff = le64(image + EH_PHOFF);
	uint16_t phnum = le16(image + EH_PHNUM);
	enum elf_status s = ELF_OK;

	if (le16(image + EH_PHENTSIZE) != PHDR_SIZE || phnum == PN_XNUM ||
	    !range_inside(phoff, (uint64_t)phnum * PHDR_SIZE, size))
		return ELF_ERR_PHDR;
	for (uint16_t i = 0; i < phnum && s == ELF_OK; i++) {
		const uint8_t *ph = image + phoff + (uint64_t)i * PHDR_SIZE;
		struct elf_segment seg;

		if (le32(ph + PH_TYPE) == PT_LOAD) {
			read_segment(ph, &seg);
			s = add_load(&seg, size, out);
		} else if (le32(ph + PH_TYPE) == PT_NOTE) {
			s = add_note(image, size, ph, out);
		}
	}
	return s;
}

static bool overlap(const struct elf_segment *a, const struct elf_segment *b)
{
	return a->paddr < b->paddr + b->memsz && b->paddr < a->paddr + a->memsz;
}

static bool any_overlap(const struct elf_image *img)
{
	for (size_t i = 0; i < img->segment_count; i++) {
		for (size_t j = i + 1; j < img->segment_count; j++) {
			if (overlap(&img->segments[i], &img->segments[j]))
				return true;
		}
	}
	return false;
}

static bool paddr_loaded(const struct elf_image *img, uint64_t paddr)
{
	for (size_t i = 0; i < img->segment_count; i++) {
		const struct elf_segment *seg = &img->segments[i];

		if (paddr >= seg->paddr && paddr - seg->paddr < seg->memsz)
			return true;
	}
	return false;
}

enum elf_status elf_parse(const void *image, size_t size,
			  struct elf_image *out)
{
	const uint8_t *e = image;
	enum elf_status s;

	memset(out, 0, sizeof(*out));
	if (image == NULL)
		return ELF_ERR_TRUNCATED;
	s = check_ident(e, size);
	if (s == ELF_OK)
		s = read_program_headers(e, size, out);
	if (s != ELF_OK)
		return s;
	if (out->segment_count == 0)
		return ELF_ERR_NO_SEGMENTS;
	if (any_overlap(out))
		return ELF_ERR_OVERLAP;
	if (out->has_pvh_entry && !paddr_loaded(out, out->pvh_entry))
		return ELF_ERR_ENTRY;
	out->image_size = size;
	out->entry = le64(e + EH_ENTRY);
	return ELF_OK;
}

/* ------------------------------------------------------------------ load */

enum elf_status elf_load_with(const struct elf_image *img, const void *image,
			      elf_write_fn write_fn, void *ctx)
{
	const uint8_t *bytes = image;

	for (size_t i = 0; i < img->segment_count; i++) {
		const struct elf_segment *seg = &img->segments[i];
		uint64_t zeros = seg->memsz - seg->filesz;

		/* elf_parse checked this; a stale img must not read past. */
		if (!range_inside(seg->offset, seg->filesz, img->image_size) ||
		    seg->filesz > seg->memsz)
			return ELF_ERR_SEGMENT;
		if (seg->filesz > 0 &&
		    !write_fn(ctx, seg->paddr, bytes + seg->offset, seg->filesz))
			return ELF_ERR_DOES_NOT_FIT;
		if (zeros > 0 &&
		    !write_fn(ctx, seg->paddr + seg->filesz, NULL, zeros))
			return ELF_ERR_DOES_NOT_FIT;
	}
	return ELF_OK;
}

struct ram_window {
	uint8_t *base;
	uint64_t size;
};

static bool write_ram(void *ctx, uint64_t paddr, const void *src, uint64_t len)
{
	struct ram_window *ram = ctx;

	if (!range_inside(paddr, len, ram->size))
		return false;
	if (src != NULL)
		memcpy(ram->base + paddr, src, len);
	else
		memset(ram->base + paddr, 0, len);
	return true;
}

enum elf_status elf_load(const struct elf_image *img, const void *image,
			 void *ram, uint64_t ram_size)
{
	struct ram_window window = {.base = ram, .size = ram_size};

	/* Check every segment first, so that a refusal writes nothing. */
	for (size_t i = 0; i < img->segment_count; i++) {
		if (!range_inside(img->segments[i].paddr,
				  img->segments[i].memsz, ram_size))
			return ELF_ERR_DOES_NOT_FIT;
	}
	return elf_load_with(img, image, write_ram, &window);
}

const char *elf_status_str(enum elf_status s)
{
	switch (s) {
	case ELF_OK: return "ok";
	case ELF_ERR_TRUNCATED: return "shorter than an ELF header";
	case ELF_ERR_MAGIC: return "not an ELF file";
	case ELF_ERR_CLASS: return "not a 64-bit ELF file";
	case ELF_ERR_ENCODING: return "not little-endian";
	case ELF_ERR_VERSION: return "unknown ELF version";
	case ELF_ERR_TYPE: return "not an executable (ET_EXEC)";
	case ELF_ERR_MACHINE: return "not for x86-64";
	case ELF_ERR_PHDR: return "bad program header table";
	case ELF_ERR_SEGMENT: return "a segment runs past the end of the file";
	case ELF_ERR_FILESZ: return "a segment's file size exceeds its memory size";
	case ELF_ERR_OVERFLOW: return "a segment's addresses wrap around";
	case ELF_ERR_TOO_MANY_SEGMENTS: return "too many loadable segments";
	case ELF_ERR_NO_SEGMENTS: return "no loadable segment";
	case ELF_ERR_OVERLAP: return "loadable segments overlap";
	case ELF_ERR_NOTE: return "malformed note";
	case ELF_ERR_ENTRY: return "PVH entry point outside the loaded segments";
	case ELF_ERR_DOES_NOT_FIT: return "does not fit in guest memory";
	}
	return "unknown ELF status";
}
