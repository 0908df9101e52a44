/* A hostile vCPU: interrupts off, then a tight loop that never yields,
 * never blocks and never exits on its own (no PAUSE, no I/O). The
 * hypervisor must still preempt it: run beside `progress` to show that a
 * spinning guest cannot starve the others. It never finishes. */
#include "guest.h"

void guest_main(const struct pvh_start_info *si)
{
	(void)si;
	cli();
	printf("spinning with interrupts off\n");
	for (;;)
		__asm__ volatile("" : : : "memory");
}
