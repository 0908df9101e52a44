/* The host firmware's ACPI tables: which CPUs and I/O APICs exist. */
#ifndef ARCH_X86_ACPI_H
#define ARCH_X86_ACPI_H

#include <stdbool.h>

#include "core/boot_info.h"
#include "lib/acpi_tables.h"

/* Finds the RSDP (from the boot loader, else the BIOS areas), parses the
 * MADT into *madt and reserves every table it reads in *m, so the frame
 * allocator never hands them out. Returns false, after logging a clear
 * error, when there is no usable MADT; *madt then describes the boot CPU
 * alone. Tables must lie below 4 GiB (mapped by the boot page tables). */
bool acpi_read_host_tables(const struct boot_info *bi, struct memmap *m,
			   struct madt_info *madt);

#endif
