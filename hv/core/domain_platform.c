/* The devices every domain gets, and where their requests go: COM1 to the
 * domain's console, the CMOS clock from the host's wall clock, reset and
 * poweroff to the domain's on_reboot / on_poweroff. */
#include "core/arch.h"
#include "core/domain.h"
#include "vesta/hypercall.h"

#define NS_PER_SEC 1000000000ull

static void com1_output(void *owner, char c)
{
	domain_console_write(owner, &c, 1);
}

static int64_t rtc_now(void *owner)
{
	(void)owner;
	return arch_wall_clock_at_boot() + (int64_t)(arch_time_ns() / NS_PER_SEC);
}

static void platform_request(void *owner, enum platform_request what)
{
	domain_shutdown(owner, what == PLATFORM_REQUEST_RESET
				       ? VESTA_SHUTDOWN_REBOOT
				       : VESTA_SHUTDOWN_POWEROFF);
}

bool domain_platform_init(struct domain *d)
{
	uart16550_init(&d->com1, d, com1_output, NULL);
	cmos_rtc_init(&d->rtc, d, rtc_now);
	platform_control_init(&d->platform, d, platform_request);
	return uart16550_attach(&d->com1, &d->io, UART16550_COM1_BASE) &&
	       cmos_rtc_attach(&d->rtc, &d->io) &&
	       platform_control_attach(&d->platform, &d->io);
}
