/* Bringing up the other CPUs, and making them do things. */
#ifndef ARCH_X86_SMP_H
#define ARCH_X86_SMP_H

#include <stdint.h>

#include "lib/acpi_tables.h"

/* The boot CPU's per-CPU data, on the boot stack; before anything else. */
void smp_init_boot_cpu(void);
/* Starts every enabled CPU of the MADT (INIT-SIPI-SIPI); returns how many
 * CPUs are online afterwards, the boot CPU included. */
unsigned smp_start_secondary_cpus(const struct madt_info *madt);

/* A CPU told to stop by a panic's NMI ends here. */
__attribute__((noreturn)) void smp_stopped_by_panic(void);

#endif
