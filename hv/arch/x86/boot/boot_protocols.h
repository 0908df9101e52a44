/* Readers of the two boot protocols Vesta is started with. Each copies what
 * it needs into a struct boot_info; the loader's own memory is not used
 * after that. Pointers are physical, identity mapped by the boot tables. */
#ifndef ARCH_X86_BOOT_PROTOCOLS_H
#define ARCH_X86_BOOT_PROTOCOLS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/boot_info.h"

/* Return false, after logging why, if the structure is unusable. */
bool pvh_read_boot_info(uint64_t start_info_phys, struct boot_info *out);
bool multiboot2_read_boot_info(uint64_t mbi_phys, struct boot_info *out);

/* Copies a NUL-terminated string of at most dst_size - 1 characters;
 * returns false if it had to cut it. */
bool boot_copy_string(char *dst, size_t dst_size, const char *src);

#endif
