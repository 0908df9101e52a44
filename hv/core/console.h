/* Each domain's console: its output goes to the serial log, one line at a
 * time, prefixed with the domain's name, and into a ring buffer that the
 * shell can show again. */
#ifndef CORE_CONSOLE_H
#define CORE_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

#include "core/spinlock.h"

#define DOMAIN_CONSOLE_LINE_MAX 160
#define DOMAIN_CONSOLE_RING_SIZE 8192

struct domain_console {
	struct spinlock lock;
	char line[DOMAIN_CONSOLE_LINE_MAX];
	size_t line_len;
	char ring[DOMAIN_CONSOLE_RING_SIZE];
	uint64_t ring_written;		/* total bytes ever written */
};

struct domain;

void domain_console_write(struct domain *d, const char *buf, size_t len);
/* Prints what is left in the line buffer (at shutdown). */
void domain_console_flush(struct domain *d);

#endif
