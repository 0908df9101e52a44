/* lib/cpio.c on archives built here in memory by a small newc writer, then
 * damaged in every way the reader must catch. Each archive handed to the
 * reader sits in a heap block of exactly its size, so ASan reports any read
 * past the end. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/cpio.h"

#define MODE_FILE 0100644
#define MODE_DIR 0040755

/* ------------------------------------------------------- the newc writer */

struct archive {
	uint8_t *data;
	size_t len;
	size_t cap;
};

static void put_bytes(struct archive *a, const void *p, size_t n)
{
	if (a->len + n > a->cap) {
		a->cap = (a->len + n) * 2;
		a->data = realloc(a->data, a->cap);
		assert_non_null(a->data);
	}
	memcpy(a->data + a->len, p, n);
	a->len += n;
}

static void put_padding(struct archive *a)
{
	static const uint8_t zeros[4];

	put_bytes(a, zeros, (4 - a->len % 4) % 4);
}

/* Writes one entry; namesize is normally strlen(name) + 1. */
static void put_entry_raw(struct archive *a, const char *name, size_t namesize,
			  uint32_t mode, const void *data, size_t size)
{
	char hdr[CPIO_NEWC_HEADER_SIZE + 1];

	snprintf(hdr, sizeof(hdr),
		 "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 1u, mode, 0u, 0u, 1u, 0u, (unsigned)size, 0u, 0u, 0u, 0u,
		 (unsigned)namesize, 0u);
	put_bytes(a, hdr, CPIO_NEWC_HEADER_SIZE);
	put_bytes(a, name, namesize);
	put_padding(a);
	put_bytes(a, data, size);
	put_padding(a);
}

static void put_file(struct archive *a, const char *name, const char *text)
{
	put_entry_raw(a, name, strlen(name) + 1, MODE_FILE, text, strlen(text));
}

static void put_dir(struct archive *a, const char *name)
{
	put_entry_raw(a, name, strlen(name) + 1, MODE_DIR, "", 0);
}

static void put_trailer(struct archive *a)
{
	put_entry_raw(a, CPIO_TRAILER_NAME, sizeof(CPIO_TRAILER_NAME), 0, "", 0);
}

/* The sample bundle most tests use. */
static struct archive sample_archive(void)
{
	struct archive a = {0};

	put_dir(&a, ".");
	put_dir(&a, "auto");
	put_file(&a, "auto/a.cfg", "name = \"a\"\n");
	put_file(&a, "./kernels/vmlinuz", "KERNEL");
	put_file(&a, "/abs.txt", "x");
	put_file(&a, "empty", "");
	put_file(&a, "odd", "12345");	/* data needs padding */
	put_trailer(&a);
	return a;
}

/* A copy in a block of exactly n bytes (n may be 0). */
static uint8_t *exact_copy(const void *p, size_t n)
{
	uint8_t *c = malloc(n == 0 ? 1 : n);

	assert_non_null(c);
	if (n > 0)
		memcpy(c, p, n);
	/* For n == 0, keep ASan's eye on the one byte we were not given. */
	return n == 0 ? (free(c), (uint8_t *)malloc(0)) : c;
}

/* ------------------------------------------------------------------ tests */

static void test_iterate(void **state)
{
	(void)state;
	struct archive a = sample_archive();
	uint8_t *buf = exact_copy(a.data, a.len);
	struct cpio_reader r;
	struct cpio_file f;
	static const char *const names[] = {
		".", "auto", "auto/a.cfg", "./kernels/vmlinuz", "/abs.txt",
		"empty", "odd",
	};

	cpio_reader_init(&r, buf, a.len);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_int_equal(cpio_next(&r, &f), CPIO_OK);
		assert_string_equal(f.name, names[i]);
		assert_int_equal(f.name_len, strlen(names[i]));
		assert_int_equal(cpio_is_regular(&f), i >= 2);
		assert_true(r.offset % 4 == 0);
	}
	size_t trailer_offset = r.offset;

	assert_int_equal(cpio_next(&r, &f), CPIO_END);
	assert_int_equal(cpio_next(&r, &f), CPIO_END);
	assert_int_equal(r.offset, trailer_offset);

	size_t entries = 0, bad = 12345;

	assert_int_equal(cpio_validate(buf, a.len, &entries, &bad), CPIO_OK);
	assert_int_equal(entries, 7);
	assert_int_equal(bad, 12345);	/* untouched on success */
	assert_int_equal(cpio_validate(buf, a.len, NULL, NULL), CPIO_OK);
	free(buf);
	free(a.data);
}

static void expect_file(const uint8_t *buf, size_t len, const char *path,
			const char *content)
{
	struct cpio_file f;

	if (cpio_find(buf, len, path, &f) != CPIO_OK)
		fail_msg("cpio_find(\"%s\") failed", path);
	assert_int_equal(f.size, strlen(content));
	assert_memory_equal(f.data, content, f.size);
	assert_true(cpio_is_regular(&f));
}

static void test_find_with_prefixes(void **state)
{
	(void)state;
	struct archive a = sample_archive();
	uint8_t *buf = exact_copy(a.data, a.len);

	/* "./" and "/" prefixes are ignored on both sides. */
	static const char *const cfg_paths[] = {
		"auto/a.cfg", "./auto/a.cfg", "/auto/a.cfg", ".//auto/a.cfg",
	};
	for (size_t i = 0; i < sizeof(cfg_paths) / sizeof(cfg_paths[0]); i++)
		expect_file(buf, a.len, cfg_paths[i], "name = \"a\"\n");
	expect_file(buf, a.len, "kernels/vmlinuz", "KERNEL");
	expect_file(buf, a.len, "/kernels/vmlinuz", "KERNEL");
	expect_file(buf, a.len, "abs.txt", "x");
	expect_file(buf, a.len, "./abs.txt", "x");
	expect_file(buf, a.len, "empty", "");
	expect_file(buf, a.len, "odd", "12345");

	struct cpio_file f;

	assert_int_equal(cpio_find(buf, a.len, "auto", &f), CPIO_ERR_NOT_FOUND);
	assert_int_equal(cpio_find(buf, a.len, "auto/a", &f), CPIO_ERR_NOT_FOUND);
	assert_int_equal(cpio_find(buf, a.len, "a.cfg", &f), CPIO_ERR_NOT_FOUND);
	assert_int_equal(cpio_find(buf, a.len, "auto/a.cfg/", &f),
			 CPIO_ERR_NOT_FOUND);
	assert_int_equal(cpio_find(buf, a.len, "", &f), CPIO_ERR_NOT_FOUND);
	assert_int_equal(cpio_find(buf, a.len, NULL, &f), CPIO_ERR_NOT_FOUND);
	assert_int_equal(cpio_find(buf, a.len, CPIO_TRAILER_NAME, &f),
			 CPIO_ERR_NOT_FOUND);
	free(buf);
	free(a.data);
}

/* The last copy of a path wins, as when Linux unpacks an initramfs. */
static void test_find_duplicate_last_wins(void **state)
{
	(void)state;
	struct archive a = {0};

	put_file(&a, "dup", "first");
	put_file(&a, "./dup", "second");
	put_trailer(&a);
	expect_file(a.data, a.len, "dup", "second");
	free(a.data);
}

/* Cutting the archive short anywhere must give an error, never a read past
 * the end: ASan watches each exactly sized copy. */
static void test_truncated_everywhere(void **state)
{
	(void)state;
	struct archive a = sample_archive();

	for (size_t len = 0; len < a.len; len++) {
		uint8_t *buf = exact_copy(a.data, len);
		size_t bad = SIZE_MAX;
		struct cpio_file f;
		enum cpio_status st = cpio_validate(buf, len, NULL, &bad);

		if (st == CPIO_OK)
			fail_msg("archive cut at %zu bytes was accepted", len);
		assert_true(bad <= len);
		/* A header offset, or the end where the next one would be. */
		assert_true(bad % 4 == 0 || bad == len);
		assert_int_not_equal(cpio_find(buf, len, "odd", &f), CPIO_OK);
		if (len == 0)
			assert_int_equal(st, CPIO_ERR_EMPTY);
		free(buf);
	}
	free(a.data);
}

static void test_truncation_statuses(void **state)
{
	(void)state;
	struct archive a = {0};
	size_t bad;

	put_file(&a, "f", "data");
	size_t first_end = a.len;

	put_trailer(&a);
	/* At an entry boundary: the trailer is missing. */
	assert_int_equal(cpio_validate(a.data, first_end, NULL, &bad),
			 CPIO_ERR_NO_TRAILER);
	assert_int_equal(bad, first_end);
	/* Inside the second header. */
	assert_int_equal(cpio_validate(a.data, first_end + 50, NULL, &bad),
			 CPIO_ERR_TRUNCATED);
	assert_int_equal(bad, first_end);
	/* Inside the first name or data. */
	assert_int_equal(cpio_validate(a.data, CPIO_NEWC_HEADER_SIZE + 1, NULL,
				       &bad), CPIO_ERR_TRUNCATED);
	assert_int_equal(bad, 0);
	assert_int_equal(cpio_validate(a.data, first_end - 2, NULL, &bad),
			 CPIO_ERR_TRUNCATED);
	free(a.data);
}

static void test_bad_magic(void **state)
{
	(void)state;
	struct archive a = sample_archive();
	size_t bad, entries;

	/* 070702 (newc with CRC) and the old binary format are not accepted. */
	a.data[5] = '2';
	assert_int_equal(cpio_validate(a.data, a.len, &entries, &bad),
			 CPIO_ERR_MAGIC);
	assert_int_equal(bad, 0);
	assert_int_equal(entries, 0);
	a.data[5] = '1';

	/* Damage the third header: two entries read before it. */
	struct cpio_reader r;
	struct cpio_file f;

	cpio_reader_init(&r, a.data, a.len);
	assert_int_equal(cpio_next(&r, &f), CPIO_OK);
	assert_int_equal(cpio_next(&r, &f), CPIO_OK);
	size_t third = r.offset;

	a.data[third] = 'X';
	assert_int_equal(cpio_validate(a.data, a.len, &entries, &bad),
			 CPIO_ERR_MAGIC);
	assert_int_equal(bad, third);
	assert_int_equal(entries, 2);
	assert_int_equal(cpio_next(&r, &f), CPIO_ERR_MAGIC);
	assert_int_equal(r.offset, third);	/* not advanced */
	/* A corrupt archive is refused even for a file before the damage. */
	assert_int_equal(cpio_find(a.data, a.len, ".", &f), CPIO_ERR_MAGIC);
	free(a.data);
}

static void test_bad_hex_fields(void **state)
{
	(void)state;
	static const char bad_chars[] = {'g', 'G', ' ', '-', 'x', '\0', '/', ':'};
	struct archive a = {0};

	put_file(&a, "f", "data");
	put_trailer(&a);
	/* Every digit of every field, and the lower-case hex is fine. */
	for (size_t pos = 6; pos < CPIO_NEWC_HEADER_SIZE; pos++) {
		uint8_t saved = a.data[pos];

		for (size_t i = 0; i < sizeof(bad_chars); i++) {
			a.data[pos] = (uint8_t)bad_chars[i];
			assert_int_equal(cpio_validate(a.data, a.len, NULL, NULL),
					 CPIO_ERR_FIELD);
		}
		a.data[pos] = saved;
	}
	assert_int_equal(cpio_validate(a.data, a.len, NULL, NULL), CPIO_OK);
	free(a.data);

	struct archive lower = {0};

	put_entry_raw(&lower, "f", 2, 0100644, "0123456789a", 11);
	put_trailer(&lower);
	memcpy(lower.data + 6 + 6 * 8, "0000000b", 8);	/* filesize, lower-case */
	struct cpio_file f;

	assert_int_equal(cpio_find(lower.data, lower.len, "f", &f), CPIO_OK);
	assert_int_equal(f.size, 11);
	free(lower.data);
}

static void test_bad_names(void **state)
{
	(void)state;
	struct archive a = {0};

	/* Name size 0. */
	put_entry_raw(&a, "", 0, MODE_FILE, "d", 1);
	put_trailer(&a);
	assert_int_equal(cpio_validate(a.data, a.len, NULL, NULL), CPIO_ERR_NAME);
	free(a.data);

	/* Name not NUL-terminated: the size leaves the NUL out. */
	a = (struct archive){0};
	put_entry_raw(&a, "abcd", 4, MODE_FILE, "d", 1);
	put_trailer(&a);
	assert_int_equal(cpio_validate(a.data, a.len, NULL, NULL), CPIO_ERR_NAME);
	free(a.data);

	/* A NUL inside the name. */
	a = (struct archive){0};
	put_entry_raw(&a, "ab\0d", 5, MODE_FILE, "d", 1);
	put_trailer(&a);
	assert_int_equal(cpio_validate(a.data, a.len, NULL, NULL), CPIO_ERR_NAME);
	free(a.data);

	/* A name size running past the end of the archive. */
	a = (struct archive){0};
	put_file(&a, "f", "d");
	put_trailer(&a);
	memcpy(a.data + 6 + 11 * 8, "FFFFFFFF", 8);
	uint8_t *buf = exact_copy(a.data, a.len);

	assert_int_equal(cpio_validate(buf, a.len, NULL, NULL), CPIO_ERR_TRUNCATED);
	free(buf);
	free(a.data);
}

static void test_huge_file_size(void **state)
{
	(void)state;
	struct archive a = {0};

	put_file(&a, "f", "data");
	put_trailer(&a);
	memcpy(a.data + 6 + 6 * 8, "FFFFFFFF", 8);
	uint8_t *buf = exact_copy(a.data, a.len);

	assert_int_equal(cpio_validate(buf, a.len, NULL, NULL), CPIO_ERR_TRUNCATED);
	free(buf);
	free(a.data);
}

static void test_no_trailer_and_empty(void **state)
{
	(void)state;
	struct archive a = {0};
	struct cpio_file f;
	size_t bad;

	put_file(&a, "f", "data");
	uint8_t *buf = exact_copy(a.data, a.len);

	assert_int_equal(cpio_validate(buf, a.len, NULL, &bad),
			 CPIO_ERR_NO_TRAILER);
	assert_int_equal(bad, a.len);
	assert_int_equal(cpio_find(buf, a.len, "f", &f), CPIO_ERR_NO_TRAILER);
	free(buf);

	/* The last data without its padding: still no trailer. */
	struct archive odd = {0};

	put_file(&odd, "f", "abc");
	assert_int_equal(cpio_validate(odd.data, odd.len - 1, NULL, NULL),
			 CPIO_ERR_NO_TRAILER);
	free(odd.data);

	assert_int_equal(cpio_validate(NULL, 0, NULL, &bad), CPIO_ERR_EMPTY);
	assert_int_equal(bad, 0);
	assert_int_equal(cpio_find(NULL, 0, "f", &f), CPIO_ERR_EMPTY);

	/* Only a trailer: valid and empty of files. */
	struct archive t = {0};
	size_t entries = 99;

	put_trailer(&t);
	assert_int_equal(cpio_validate(t.data, t.len, &entries, NULL), CPIO_OK);
	assert_int_equal(entries, 0);
	assert_int_equal(cpio_find(t.data, t.len, "f", &f), CPIO_ERR_NOT_FOUND);
	free(t.data);
	free(a.data);
}

/* Archives padded to a block size (as cpio(1) writes them) are fine: the
 * bytes after the trailer are never read. */
static void test_padding_after_trailer(void **state)
{
	(void)state;
	struct archive a = sample_archive();
	static const uint8_t block[512];

	put_bytes(&a, block, sizeof(block) - a.len % sizeof(block));
	assert_int_equal(cpio_validate(a.data, a.len, NULL, NULL), CPIO_OK);
	expect_file(a.data, a.len, "odd", "12345");
	free(a.data);
}

static void test_status_strings(void **state)
{
	(void)state;
	for (int s = CPIO_OK; s <= CPIO_ERR_EMPTY; s++) {
		const char *str = cpio_status_str((enum cpio_status)s);

		assert_non_null(str);
		assert_true(strlen(str) > 0);
		assert_string_not_equal(str, "unknown cpio status");
	}
	assert_string_equal(cpio_status_str((enum cpio_status)99),
			    "unknown cpio status");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_iterate),
		cmocka_unit_test(test_find_with_prefixes),
		cmocka_unit_test(test_find_duplicate_last_wins),
		cmocka_unit_test(test_truncated_everywhere),
		cmocka_unit_test(test_truncation_statuses),
		cmocka_unit_test(test_bad_magic),
		cmocka_unit_test(test_bad_hex_fields),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_huge_file_size),
		cmocka_unit_test(test_no_trailer_and_empty),
		cmocka_unit_test(test_padding_after_trailer),
		cmocka_unit_test(test_status_strings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
