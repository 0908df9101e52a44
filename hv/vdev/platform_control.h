/* How a guest resets, powers off or reports a panic: the i8042 keyboard
 * controller's reset command (0xfe to port 0x64, Linux's reboot=k), and
 * the ACPI registers the domain's FADT names (docs/guest-acpi.md): the
 * reset register and, hardware-reduced, the sleep control register. */
#ifndef VDEV_PLATFORM_CONTROL_H
#define VDEV_PLATFORM_CONTROL_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/acpi_build.h"
#include "vdev/ioport_bus.h"

#define I8042_DATA_PORT 0x60
#define I8042_COMMAND_PORT 0x64
#define I8042_CMD_PULSE_RESET 0xfe
/* Our choice of ports for the FADT's registers (ACPI 6.5, 4.8.3.6, 4.8.3.7). */
#define ACPI_SLEEP_CONTROL_PORT 0x600
#define ACPI_SLEEP_STATUS_PORT 0x601
#define ACPI_RESET_PORT 0x604
#define ACPI_RESET_VALUE 0x01
#define ACPI_S5_SLEEP_TYPE 5
/* QEMU's pvpanic interface (docs/specs/pvpanic.txt in QEMU): one port;
 * reading gives the events it takes, a write reports one. */
#define PVPANIC_PORT 0x505
#define PVPANIC_PANICKED 0x01
#define PVPANIC_CRASH_LOADED 0x02
/* The sleep control register's fields (SLP_EN, SLP_TYPx): lib/acpi_build.h,
 * which writes the tables that name these ports. */

enum platform_request {
	PLATFORM_REQUEST_NONE,
	PLATFORM_REQUEST_RESET,
	PLATFORM_REQUEST_POWEROFF,
	PLATFORM_REQUEST_PANIC,		/* the guest kernel panicked */
};

struct platform_control {
	void *owner;
	void (*request)(void *owner, enum platform_request what);
};

void platform_control_init(struct platform_control *pc, void *owner,
			   void (*request)(void *owner, enum platform_request));
bool platform_control_attach(struct platform_control *pc, struct ioport_bus *bus);

#endif
