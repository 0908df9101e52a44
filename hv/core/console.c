#include "core/console.h"
#include "core/domain.h"
#include "core/log.h"
#include "core/mgmt.h"

/* Not into the hypervisor's log ring: the domain's own ring has it. While
 * the shell is attached to this domain's console it shows the ring itself,
 * so the line is not printed twice. */
static void console_emit_line(struct domain *d)
{
	struct domain_console *c = &d->console;

	if (!mgmt_console_attached(d->id))
		console_printf_nolog("[%s] %.*s\n", d->name, (int)c->line_len,
				     c->line);
	c->line_len = 0;
}

static void console_ring_put(struct domain_console *c, char ch)
{
	c->ring[c->ring_written % DOMAIN_CONSOLE_RING_SIZE] = ch;
	c->ring_written++;
}

void domain_console_write(struct domain *d, const char *buf, size_t len)
{
	struct domain_console *c = &d->console;

	spin_lock(&c->lock);
	for (size_t i = 0; i < len; i++) {
		char ch = buf[i];
		console_ring_put(c, ch);
		if (ch == '\n') {
			console_emit_line(d);
			continue;
		}
		if (ch == '\r')
			continue;
		/* Control characters would let a guest rewrite the log. */
		c->line[c->line_len++] = (ch < 0x20 && ch != '\t') ? '?' : ch;
		if (c->line_len == sizeof(c->line))
			console_emit_line(d);
	}
	spin_unlock(&c->lock);
}

void domain_console_flush(struct domain *d)
{
	struct domain_console *c = &d->console;

	spin_lock(&c->lock);
	if (c->line_len)
		console_emit_line(d);
	if (mgmt_console_attached(d->id))
		mgmt_console_keep(d->id, c);	/* the shell may not have read it all */
	spin_unlock(&c->lock);
}
