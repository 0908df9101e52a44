/* Loads an empty IDT (limit 0) and raises an exception: the #BP cannot be
 * delivered (#GP), nor can that (#DF), nor that: a triple fault, which
 * must crash this domain and nothing else. cmdline `ud2` raises #UD
 * instead of #BP. Surviving is a FAIL. */
#include "guest.h"

void guest_main(const struct pvh_start_info *si)
{
	char value[8];
	bool use_ud2 = cmdline_get(guest_cmdline(), "ud2", value, sizeof(value));
	struct desc_ptr empty = {.limit = 0, .base = 0};

	(void)si;
	printf("about to triple fault: empty IDT, then %s\n",
	       use_ud2 ? "ud2" : "int3");
	lidt(&empty);
	if (use_ud2)
		__asm__ volatile("ud2");
	else
		__asm__ volatile("int3");
	__asm__ volatile("ud2");
	trap_load();
	fail("the domain survived a triple fault");
}
