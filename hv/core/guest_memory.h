/* The only way the monitor touches a guest's memory: copies checked against
 * the domain's RAM. A range that is not entirely guest RAM is refused. */
#ifndef CORE_GUEST_MEMORY_H
#define CORE_GUEST_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct domain;

bool guest_range_is_ram(const struct domain *d, uint64_t gpa, uint64_t len);
bool copy_from_guest(const struct domain *d, void *dst, uint64_t gpa, size_t len);
bool copy_to_guest(const struct domain *d, uint64_t gpa, const void *src, size_t len);
bool zero_guest(const struct domain *d, uint64_t gpa, size_t len);

#endif
