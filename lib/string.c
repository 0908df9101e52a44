/* memcpy and friends for the hypervisor (never built into host tests, where
 * libc provides them).
 *
 * The copying and filling functions use x86 string instructions rather than
 * C loops: gcc turns a byte-copy loop back into a call to memcpy (loop
 * distribution), which here would be the function calling itself. "rep movsb"
 * and "rep stosb" are also fast on every CPU with ERMSB. */
#include "lib/string.h"

#include <stdint.h>

/* Eight bytes a step for the bulk, as memset: the device models copy
 * guest data (disk blocks, frames) megabytes at a time, and an emulator
 * runs each REP iteration alone, so REP MOVSQ is eight times fewer. */
void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
	void *ret = dst;
	size_t words = n / 8, tail = n % 8;

	__asm__ volatile("rep movsq"
			 : "+D"(dst), "+S"(src), "+c"(words)
			 :
			 : "memory");
	__asm__ volatile("rep movsb"
			 : "+D"(dst), "+S"(src), "+c"(tail)
			 :
			 : "memory");
	return ret;
}

void *memmove(void *dst, const void *src, size_t n)
{
	uintptr_t d = (uintptr_t)dst, s = (uintptr_t)src;

	/* A forward copy is safe unless dst starts inside [src, src + n). */
	if (d - s >= n)
		return memcpy(dst, src, n);

	/* Copy backwards: the direction flag makes movsb decrement, starting
	 * from the last byte of each buffer. The ABI wants it clear again. */
	const uint8_t *from = (const uint8_t *)src + n - 1;
	uint8_t *to = (uint8_t *)dst + n - 1;

	__asm__ volatile("std\n\trep movsb\n\tcld"
			 : "+D"(to), "+S"(from), "+c"(n)
			 :
			 : "memory");
	return dst;
}

/* Eight bytes a step for the bulk: guest RAM is zeroed megabytes at a
 * time, and emulators run REP STOSQ far faster than REP STOSB. */
void *memset(void *dst, int c, size_t n)
{
	void *ret = dst;
	uint64_t pattern = 0x0101010101010101ull * (uint8_t)c;
	size_t words = n / 8, tail = n % 8;

	__asm__ volatile("rep stosq"
			 : "+D"(dst), "+c"(words)
			 : "a"(pattern)
			 : "memory");
	__asm__ volatile("rep stosb"
			 : "+D"(dst), "+c"(tail)
			 : "a"(pattern)
			 : "memory");
	return ret;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *pa = a, *pb = b;

	for (size_t i = 0; i < n; i++) {
		if (pa[i] != pb[i])
			return pa[i] < pb[i] ? -1 : 1;
	}
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n] != '\0')
		n++;
	return n;
}

size_t strnlen(const char *s, size_t maxlen)
{
	size_t n = 0;

	while (n < maxlen && s[n] != '\0')
		n++;
	return n;
}

/* Characters compare as unsigned char, as the C standard says. */
int strncmp(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char ca = (unsigned char)a[i];
		unsigned char cb = (unsigned char)b[i];

		if (ca != cb)
			return ca < cb ? -1 : 1;
		if (ca == '\0')
			return 0;
	}
	return 0;
}

int strcmp(const char *a, const char *b)
{
	return strncmp(a, b, SIZE_MAX);
}

/* Finding '\0' returns the terminator, as the C standard says. */
char *strchr(const char *s, int c)
{
	char wanted = (char)c;

	for (;; s++) {
		if (*s == wanted)
			return (char *)s;
		if (*s == '\0')
			return NULL;
	}
}
