/* Gives a new domain its RAM and loads its kernel: an ELF with a PVH entry
 * note, started by the PVH boot ABI (docs/guests.md). */
#ifndef CORE_DOMAIN_BUILD_H
#define CORE_DOMAIN_BUILD_H

#include <stdbool.h>

struct domain;

/* Guest-physical layout of what the builder writes besides the kernel. */
#define GUEST_START_INFO_GPA 0x1000ull
#define GUEST_MEMMAP_GPA 0x1040ull
#define GUEST_CMDLINE_GPA 0x2000ull
#define GUEST_BOOT_DATA_END 0x3000ull

/* Logs what is wrong and returns false; the caller frees the domain. */
bool domain_build(struct domain *d);
void domain_ram_free(struct domain *d);

struct cpio_file;
struct elf_image;
/* Linux (domain_build_linux.c): a bzImage, or a vmlinux ELF by PVH. */
bool domain_build_linux_bzimage(struct domain *d, const struct cpio_file *kernel);
bool domain_build_linux_pvh(struct domain *d, const struct cpio_file *kernel,
			    const struct elf_image *elf);

#endif
