/* Placeholder until the shell lands: reads and drops input. */
#include "core/shell.h"
#include "core/arch.h"

void shell_init(void)
{
}

void shell_poll(void)
{
	while (arch_console_getc() >= 0)
		;
}
