/* The smallest test guest: says who it is (VESTA_HC_DOMAIN_INFO) and which
 * hypercall ABI it sees, checks both, powers off. */
#include "guest.h"

#define ABI_VERSION (VESTA_ABI_MAJOR << 16 | VESTA_ABI_MINOR)

void guest_main(const struct pvh_start_info *si)
{
	struct vesta_domain_info info;
	long version = hc_version();
	bool have_info = domain_info(&info);

	(void)si;
	if (version >= 0)
		printf("hello from domain %u \"%s\": vcpu %u of %u, %lu MiB RAM, "
		       "ABI %ld.%ld\n",
		       info.domid, info.name, info.vcpu_id, info.vcpu_count,
		       info.memory_bytes / MIB, version >> 16, version & 0xffff);
	else
		printf("hello: VESTA_HC_VERSION returned %ld\n", version);

	check(have_info, "VESTA_HC_DOMAIN_INFO returns 0");
	check(have_info && info.vcpu_count >= 1 && info.vcpu_id == 0 &&
		      info.memory_bytes >= 2 * MIB &&
		      strnlen(info.name, sizeof(info.name)) < sizeof(info.name),
	      "domain info is sane: vcpu 0 of %u, %lu MiB, name \"%s\"",
	      info.vcpu_count, info.memory_bytes / MIB, info.name);
	check(version == ABI_VERSION, "VESTA_HC_VERSION = %#lx, want %#x",
	      version, ABI_VERSION);

	uint32_t a, b, c, d;

	cpuid(0x40000101, &a, &b, &c, &d);
	check(a == ABI_VERSION, "CPUID 0x40000101 EAX = %#x, want %#x", a,
	      ABI_VERSION);
}
