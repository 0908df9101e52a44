/* The hypervisor's own function names, for stack traces. The table is made
 * by scripts/gen-ksyms.sh from the first link and added in a second one. */
#ifndef CORE_SYMBOLS_H
#define CORE_SYMBOLS_H

#include <stdbool.h>
#include <stdint.h>

/* The function containing addr: its name and addr's offset into it. */
bool symbol_lookup(uint64_t addr, const char **name, uint64_t *offset);

#endif
