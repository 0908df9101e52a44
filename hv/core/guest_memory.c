#include "core/guest_memory.h"
#include "core/domain.h"
#include "lib/string.h"

bool guest_range_is_ram(const struct domain *d, uint64_t gpa, uint64_t len)
{
	return gpa <= d->ram_bytes && len <= d->ram_bytes - gpa;
}

/* The host address of gpa and how many bytes from there are contiguous. */
static uint8_t *guest_to_host(const struct domain *d, uint64_t gpa,
			      uint64_t *contiguous)
{
	for (size_t i = 0; i < d->ram_extent_count; i++) {
		const struct ram_extent *e = &d->ram[i];
		if (gpa >= e->gpa && gpa - e->gpa < e->size) {
			*contiguous = e->size - (gpa - e->gpa);
			return (uint8_t *)(uintptr_t)(e->hpa + (gpa - e->gpa));
		}
	}
	return NULL;
}

/* Calls fn on each host-contiguous piece of [gpa, gpa + len). */
static bool guest_for_each_piece(const struct domain *d, uint64_t gpa,
				 size_t len,
				 void (*fn)(uint8_t *host, size_t n, size_t done,
					    void *ctx),
				 void *ctx)
{
	size_t done = 0;

	if (!guest_range_is_ram(d, gpa, len))
		return false;
	while (done < len) {
		uint64_t contiguous;
		uint8_t *host = guest_to_host(d, gpa + done, &contiguous);
		if (!host)
			return false;
		size_t n = len - done < contiguous ? len - done : (size_t)contiguous;
		fn(host, n, done, ctx);
		done += n;
	}
	return true;
}

static void piece_read(uint8_t *host, size_t n, size_t done, void *dst)
{
	memcpy((uint8_t *)dst + done, host, n);
}

static void piece_write(uint8_t *host, size_t n, size_t done, void *src)
{
	memcpy(host, (const uint8_t *)src + done, n);
}

static void piece_zero(uint8_t *host, size_t n, size_t done, void *ctx)
{
	(void)done;
	(void)ctx;
	memset(host, 0, n);
}

bool copy_from_guest(const struct domain *d, void *dst, uint64_t gpa, size_t len)
{
	return guest_for_each_piece(d, gpa, len, piece_read, dst);
}

bool copy_to_guest(const struct domain *d, uint64_t gpa, const void *src, size_t len)
{
	return guest_for_each_piece(d, gpa, len, piece_write, (void *)(uintptr_t)src);
}

bool zero_guest(const struct domain *d, uint64_t gpa, size_t len)
{
	return guest_for_each_piece(d, gpa, len, piece_zero, NULL);
}
