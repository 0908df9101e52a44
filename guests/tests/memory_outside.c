/* Touches guest-physical memory outside the domain's RAM: RAM size + 16 MiB
 * (mapped by the guest's own page tables, so only the hypervisor's nested
 * page table can stop it). That must crash the domain, and nothing else;
 * surviving is a FAIL. cmdline `write` writes instead of reading. */
#include "guest.h"

void guest_main(const struct pvh_start_info *si)
{
	char value[8];
	bool do_write = cmdline_get(guest_cmdline(), "write", value,
				    sizeof(value));
	uint64_t ram = guest_ram_bytes();

	(void)si;
	if (!check(ram != 0, "RAM size known (%#lx)", ram))
		return;

	uint64_t gpa = ram + 16 * MIB;
	volatile uint64_t *p = phys_map(gpa);

	if (!check(p != NULL, "guest-physical %#lx mappable", gpa))
		return;
	printf("about to %s outside RAM: guest-physical %#lx (RAM ends at %#lx)\n",
	       do_write ? "write" : "read", gpa, ram);
	if (do_write) {
		*p = 0x5665737461212121ull;
		fail("the domain survived a write of guest-physical %#lx outside "
		     "its RAM", gpa);
	} else {
		uint64_t v = *p;

		fail("the domain survived a read of guest-physical %#lx outside "
		     "its RAM (read %#lx)", gpa, v);
	}
}
