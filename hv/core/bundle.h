/* The boot bundle: the one boot module, a cpio newc archive of configs,
 * kernels and images. A missing or corrupt bundle is reported and treated
 * as empty; it never stops the boot. */
#ifndef CORE_BUNDLE_H
#define CORE_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/boot_info.h"
#include "lib/cpio.h"

/* Returns true when a well-formed bundle is in use. */
bool bundle_init(const struct boot_info *bi);
bool bundle_find(const char *path, struct cpio_file *out);
size_t bundle_entry_count(void);
/* Calls fn for every regular file whose path starts with prefix, in
 * archive order (mkbundle sorts by path). */
void bundle_for_each(const char *prefix,
		     void (*fn)(const struct cpio_file *f, void *ctx), void *ctx);

#endif
