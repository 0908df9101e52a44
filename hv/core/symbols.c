#include "core/symbols.h"
#include "lib/string.h"

/* Weak: the first link has no table, and these resolve to address 0. */
extern const uint64_t ksym_count __attribute__((weak));
extern const uint64_t ksym_addrs[] __attribute__((weak));
extern const char ksym_names[] __attribute__((weak));
extern const char __image_start[], __text_end[];

static const char *symbol_name_at(uint64_t index)
{
	const char *name = ksym_names;

	while (index--)
		name += strlen(name) + 1;
	return name;
}

bool symbol_lookup(uint64_t addr, const char **name, uint64_t *offset)
{
	if (&ksym_count == 0 || ksym_count == 0)
		return false;
	if (addr < (uint64_t)(uintptr_t)__image_start ||
	    addr >= (uint64_t)(uintptr_t)__text_end || addr < ksym_addrs[0])
		return false;

	uint64_t lo = 0, hi = ksym_count;	/* last entry <= addr */
	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (ksym_addrs[mid] <= addr)
			lo = mid;
		else
			hi = mid;
	}
	*name = symbol_name_at(lo);
	*offset = addr - ksym_addrs[lo];
	return true;
}
