/* The C library's memory and string functions, for code built without libc.
 * The hypervisor links lib/string.c; host tests get the same functions from
 * libc, so these declarations only repeat the standard prototypes. gcc may
 * also emit calls to memcpy, memmove, memset and memcmp on its own. */
#ifndef LIB_STRING_H
#define LIB_STRING_H

#include <stddef.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t maxlen);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);

#endif
