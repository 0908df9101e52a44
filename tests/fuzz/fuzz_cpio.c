/* libFuzzer target: the cpio reader on arbitrary bytes. libFuzzer hands
 * over a heap copy of exactly `size` bytes, so ASan reports any read past
 * the archive; the invariants below trap on any inconsistent answer. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/cpio.h"

#define CHECK(cond)                      \
	do {                             \
		if (!(cond))             \
			__builtin_trap(); \
	} while (0)

/* The most entries cross-checked with cpio_find, which walks the whole
 * archive each time. */
#define FIND_CHECKS 8

static int inside(const uint8_t *base, size_t size, const void *p, size_t n)
{
	const uint8_t *b = p;

	return b >= base && b <= base + size && n <= (size_t)(base + size - b);
}

static void check_entry(const uint8_t *data, size_t size,
			const struct cpio_file *f)
{
	volatile uint8_t sink = 0;

	CHECK(inside(data, size, f->name, f->name_len + 1));
	CHECK(f->name[f->name_len] == '\0');
	CHECK(strlen(f->name) == f->name_len);
	CHECK(inside(data, size, f->data, f->size));
	/* Every data byte must be readable. */
	for (size_t i = 0; i < f->size; i++)
		sink ^= ((const uint8_t *)f->data)[i];
	(void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t entries = 0, bad = 0, count = 0;
	enum cpio_status valid = cpio_validate(data, size, &entries, &bad);
	struct cpio_reader r;
	struct cpio_file f, found;
	enum cpio_status st;

	cpio_reader_init(&r, data, size);
	while ((st = cpio_next(&r, &f)) == CPIO_OK) {
		check_entry(data, size, &f);
		CHECK(r.offset <= size);
		if (valid == CPIO_OK && cpio_is_regular(&f) && count < FIND_CHECKS) {
			/* The name finds a file (a later duplicate may win). */
			CHECK(cpio_find(data, size, f.name, &found) == CPIO_OK);
			check_entry(data, size, &found);
		}
		count++;
	}
	/* cpio_validate and a walk with cpio_next agree. */
	CHECK(count == entries);
	if (valid == CPIO_OK) {
		CHECK(st == CPIO_END);
	} else {
		CHECK(st == valid);
		CHECK(bad == r.offset);
		CHECK(cpio_find(data, size, "auto/a.cfg", &found) == valid);
	}
	return 0;
}
