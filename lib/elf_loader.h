/* Loader for guest kernels in ELF64 (System V gABI; x86-64 psABI): an
 * executable for EM_X86_64, little-endian, such as Linux's vmlinux or a
 * test guest. elf_parse checks the whole file and describes it; elf_load
 * copies it into guest memory. Every offset and size is checked against
 * the image before it is used: a malformed file yields an error status,
 * never a read outside the image or a write outside guest RAM. */
#ifndef LIB_ELF_LOADER_H
#define LIB_ELF_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* PT_LOAD segments kept; vmlinux has 4 or 5, a test guest 1 to 3. */
#define ELF_MAX_SEGMENTS 16

enum elf_status {
	ELF_OK = 0,
	ELF_ERR_TRUNCATED,	/* shorter than the 64-byte ELF header */
	ELF_ERR_MAGIC,		/* not \x7fELF */
	ELF_ERR_CLASS,		/* not ELFCLASS64 */
	ELF_ERR_ENCODING,	/* not little-endian (ELFDATA2LSB) */
	ELF_ERR_VERSION,	/* not EV_CURRENT */
	ELF_ERR_TYPE,		/* not ET_EXEC */
	ELF_ERR_MACHINE,	/* not EM_X86_64 */
	ELF_ERR_PHDR,		/* program header table past the end, its
				 * entry size not 56, or e_phnum PN_XNUM */
	ELF_ERR_SEGMENT,	/* a segment's bytes run past the end */
	ELF_ERR_FILESZ,		/* a PT_LOAD with filesz > memsz */
	ELF_ERR_OVERFLOW,	/* an address + memsz wraps around 2^64 */
	ELF_ERR_TOO_MANY_SEGMENTS, /* more than ELF_MAX_SEGMENTS PT_LOADs */
	ELF_ERR_NO_SEGMENTS,	/* nothing to load */
	ELF_ERR_OVERLAP,	/* two PT_LOADs share physical addresses */
	ELF_ERR_NOTE,		/* a note runs past its segment, or a Xen
				 * PHYS32_ENTRY note has a bad descriptor */
	ELF_ERR_ENTRY,		/* the PVH entry point is not in a segment */
	ELF_ERR_DOES_NOT_FIT,	/* elf_load: a segment is outside guest RAM */
};

struct elf_segment {
	uint64_t paddr;		/* guest-physical load address */
	uint64_t vaddr;
	uint64_t offset;	/* of its bytes in the image */
	uint64_t filesz;	/* bytes copied from the image */
	uint64_t memsz;		/* bytes in memory; the rest is zeroed */
	uint32_t flags;		/* ELF_PF_* */
};

#define ELF_PF_X 0x1
#define ELF_PF_W 0x2
#define ELF_PF_R 0x4

struct elf_image {
	size_t image_size;	/* the size elf_parse was given */
	uint64_t entry;		/* e_entry, as written (vmlinux: physical) */
	bool has_pvh_entry;
	uint32_t pvh_entry;	/* Xen note PHYS32_ENTRY: 32-bit PVH entry */
	uint64_t paddr_low;	/* lowest loaded physical address */
	uint64_t paddr_end;	/* one past the highest */
	size_t segment_count;	/* PT_LOADs with memsz > 0, in file order */
	struct elf_segment segments[ELF_MAX_SEGMENTS];
};

/* Checks the image and fills *out; *out is meaningful only on ELF_OK. */
enum elf_status elf_parse(const void *image, size_t size,
			  struct elf_image *out);

/* Writes len bytes at guest-physical paddr: a copy of src, or zeros when
 * src is NULL. Returns false if that range is not guest RAM. */
typedef bool (*elf_write_fn)(void *ctx, uint64_t paddr, const void *src,
			     uint64_t len);

/* Loads every segment of a parsed image through write_fn: its filesz
 * bytes, then zeros up to memsz. `image` must be the buffer elf_parse
 * checked. ELF_ERR_DOES_NOT_FIT when write_fn refuses; the segments
 * before have been written then. */
enum elf_status elf_load_with(const struct elf_image *img, const void *image,
			      elf_write_fn write_fn, void *ctx);

/* Loads into guest RAM that is one contiguous buffer, guest-physical 0 at
 * ram[0]. Refuses with ELF_ERR_DOES_NOT_FIT, writing nothing, if any
 * segment reaches outside [0, ram_size). */
enum elf_status elf_load(const struct elf_image *img, const void *image,
			 void *ram, uint64_t ram_size);

const char *elf_status_str(enum elf_status s);

#endif
