/* Reader for cpio "newc" archives (magic 070701), the boot bundle format.
 * Every field is checked against the buffer bounds: a truncated or corrupt
 * archive yields an error status, never an out-of-bounds read. */
#ifndef LIB_CPIO_H
#define LIB_CPIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CPIO_NEWC_MAGIC "070701"
#define CPIO_NEWC_HEADER_SIZE 110
#define CPIO_TRAILER_NAME "TRAILER!!!"

enum cpio_status {
	CPIO_OK = 0,
	CPIO_END,		/* the trailer was reached */
	CPIO_ERR_TRUNCATED,	/* a header, name or data runs past the end */
	CPIO_ERR_MAGIC,		/* a header does not start with 070701 */
	CPIO_ERR_FIELD,		/* a header field is not 8 hex digits */
	CPIO_ERR_NAME,		/* name size 0 or name not NUL-terminated */
	CPIO_ERR_NO_TRAILER,	/* data ended without TRAILER!!! */
	CPIO_ERR_NOT_FOUND,	/* cpio_find: no such path */
	CPIO_ERR_EMPTY,		/* a zero-length archive */
};

struct cpio_file {
	const char *name;	/* NUL-terminated, points into the archive */
	size_t name_len;	/* without the NUL */
	const void *data;
	size_t size;
	uint32_t mode;		/* st_mode: S_IFREG 0100000, S_IFDIR 0040000 */
};

struct cpio_reader {
	const uint8_t *base;
	size_t size;
	size_t offset;		/* of the next header */
};

void cpio_reader_init(struct cpio_reader *r, const void *base, size_t size);
/* On CPIO_OK fills *out and advances. On an error, r->offset is the offset
 * of the header that failed. */
enum cpio_status cpio_next(struct cpio_reader *r, struct cpio_file *out);

/* Walks the whole archive. Returns CPIO_OK if it is well formed and ends
 * with a trailer; *entries counts entries before the trailer; on error
 * *bad_offset is the offset of the failing header. Either pointer may be NULL. */
enum cpio_status cpio_validate(const void *base, size_t size, size_t *entries,
			       size_t *bad_offset);

/* Finds a regular file by path. Leading "./" and "/" are ignored on both
 * sides, so "auto/a.cfg", "./auto/a.cfg" and "/auto/a.cfg" are the same. */
enum cpio_status cpio_find(const void *base, size_t size, const char *path,
			   struct cpio_file *out);

bool cpio_is_regular(const struct cpio_file *f);
const char *cpio_status_str(enum cpio_status s);

#endif
