/* The shell on the hypervisor console: xl's verbs over core/mgmt.h. */
#ifndef CORE_SHELL_H
#define CORE_SHELL_H

/* Prints the prompt; after the ready line. */
void shell_init(void);
/* Reads what was typed and acts on complete lines; called often by the
 * boot CPU's scheduler loop, never blocks. */
void shell_poll(void);

#endif
