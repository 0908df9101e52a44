#include "vdev/platform_control.h"

void platform_control_init(struct platform_control *pc, void *owner,
			   void (*request)(void *owner, enum platform_request))
{
	pc->owner = owner;
	pc->request = request;
}

/* The i8042 has nothing to say: output buffer empty, ready for commands. */
static uint32_t i8042_read(void *opaque, uint16_t port, unsigned size)
{
	(void)opaque;
	(void)port;
	(void)size;
	return 0;
}

static void i8042_write(void *opaque, uint16_t port, unsigned size, uint32_t value)
{
	struct platform_control *pc = opaque;

	(void)size;
	if (port == I8042_COMMAND_PORT && value == I8042_CMD_PULSE_RESET)
		pc->request(pc->owner, PLATFORM_REQUEST_RESET);
}

static uint32_t acpi_read(void *opaque, uint16_t port, unsigned size)
{
	(void)opaque;
	(void)port;
	(void)size;
	return 0;	/* sleep status: not waking */
}

static void acpi_write(void *opaque, uint16_t port, unsigned size, uint32_t value)
{
	struct platform_control *pc = opaque;

	(void)size;
	if (port == ACPI_RESET_PORT && value == ACPI_RESET_VALUE)
		pc->request(pc->owner, PLATFORM_REQUEST_RESET);
	else if (port == ACPI_SLEEP_CONTROL_PORT && (value & ACPI_SLEEP_ENABLE) &&
		 ((value >> ACPI_SLEEP_TYPE_SHIFT) & ACPI_SLEEP_TYPE_MAX) == ACPI_S5_SLEEP_TYPE)
		pc->request(pc->owner, PLATFORM_REQUEST_POWEROFF);
}

static uint32_t pvpanic_read(void *opaque, uint16_t port, unsigned size)
{
	(void)opaque;
	(void)port;
	(void)size;
	return PVPANIC_PANICKED | PVPANIC_CRASH_LOADED;
}

static void pvpanic_write(void *opaque, uint16_t port, unsigned size, uint32_t value)
{
	struct platform_control *pc = opaque;

	(void)port;
	(void)size;
	if (value & PVPANIC_PANICKED)
		pc->request(pc->owner, PLATFORM_REQUEST_PANIC);
}

bool platform_control_attach(struct platform_control *pc, struct ioport_bus *bus)
{
	struct ioport_device pvpanic = {
		.name = "pvpanic", .base = PVPANIC_PORT, .count = 1, .opaque = pc,
		.read = pvpanic_read, .write = pvpanic_write,
	};
	struct ioport_device i8042_data = {
		.name = "i8042", .base = I8042_DATA_PORT, .count = 1, .opaque = pc,
		.read = i8042_read, .write = i8042_write,
	};
	struct ioport_device i8042_cmd = i8042_data;
	struct ioport_device acpi = {
		.name = "acpi", .base = ACPI_SLEEP_CONTROL_PORT, .count = 5, .opaque = pc,
		.read = acpi_read, .write = acpi_write,
	};

	i8042_cmd.base = I8042_COMMAND_PORT;
	return ioport_bus_add(bus, &i8042_data) && ioport_bus_add(bus, &i8042_cmd) &&
	       ioport_bus_add(bus, &acpi) && ioport_bus_add(bus, &pvpanic);
}
