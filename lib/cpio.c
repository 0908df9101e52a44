/* cpio "newc" reader. Layout (cpio(5), "New ASCII Format"): a 110-byte
 * header of the magic and 13 fields of 8 hex digits, the name with its NUL
 * padded to a multiple of 4 bytes (counting from the archive start), then
 * the data padded likewise. Every size is checked against the bytes left
 * before it is used, with subtractions that cannot wrap. */
#include "lib/cpio.h"

#include "lib/string.h"

#define CPIO_MAGIC_LEN 6
#define CPIO_FIELD_LEN 8
#define CPIO_ALIGN 4

/* Field order after the magic, cpio(5). */
enum cpio_field {
	CPIO_F_INO,
	CPIO_F_MODE,
	CPIO_F_UID,
	CPIO_F_GID,
	CPIO_F_NLINK,
	CPIO_F_MTIME,
	CPIO_F_FILESIZE,
	CPIO_F_DEVMAJOR,
	CPIO_F_DEVMINOR,
	CPIO_F_RDEVMAJOR,
	CPIO_F_RDEVMINOR,
	CPIO_F_NAMESIZE,
	CPIO_F_CHECK,
	CPIO_F_COUNT,
};

#define CPIO_S_IFMT 0170000
#define CPIO_S_IFREG 0100000

void cpio_reader_init(struct cpio_reader *r, const void *base, size_t size)
{
	r->base = base;
	r->size = size;
	r->offset = 0;
}

static int hex_value(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool parse_field(const uint8_t *hdr, enum cpio_field f, uint32_t *out)
{
	const uint8_t *p = hdr + CPIO_MAGIC_LEN + (size_t)f * CPIO_FIELD_LEN;
	uint32_t v = 0;

	for (size_t i = 0; i < CPIO_FIELD_LEN; i++) {
		int d = hex_value(p[i]);

		if (d < 0)
			return false;
		v = v << 4 | (uint32_t)d;
	}
	*out = v;
	return true;
}

static bool parse_fields(const uint8_t *hdr, uint32_t fields[CPIO_F_COUNT])
{
	for (int f = 0; f < CPIO_F_COUNT; f++) {
		if (!parse_field(hdr, (enum cpio_field)f, &fields[f]))
			return false;
	}
	return true;
}

/* Rounds an offset up to the 4-byte alignment; false if that passes limit. */
static bool align_within(size_t offset, size_t limit, size_t *out)
{
	size_t pad = (CPIO_ALIGN - offset % CPIO_ALIGN) % CPIO_ALIGN;

	if (offset > limit || pad > limit - offset)
		return false;
	*out = offset + pad;
	return true;
}

/* Checks the name at name_off: inside the buffer, NUL-terminated, with no
 * NUL before the end (the name size counts the NUL). */
static enum cpio_status check_name(const struct cpio_reader *r, size_t name_off,
				   uint32_t namesize)
{
	if (namesize == 0)
		return CPIO_ERR_NAME;
	if (namesize > r->size - name_off)
		return CPIO_ERR_TRUNCATED;

	const char *name = (const char *)r->base + name_off;

	if (name[namesize - 1] != '\0' ||
	    strnlen(name, namesize) != (size_t)namesize - 1)
		return CPIO_ERR_NAME;
	return CPIO_OK;
}

static bool is_trailer(const struct cpio_file *f)
{
	return f->name_len == sizeof(CPIO_TRAILER_NAME) - 1 &&
	       memcmp(f->name, CPIO_TRAILER_NAME, f->name_len) == 0;
}

/* Parses the entry at r->offset into *out and finds where the next one
 * starts, without moving the reader. */
static enum cpio_status parse_entry(const struct cpio_reader *r,
				    struct cpio_file *out, size_t *next)
{
	size_t left = r->size - r->offset;
	const uint8_t *hdr = r->base + r->offset;
	uint32_t fields[CPIO_F_COUNT];

	if (left == 0)
		return r->offset == 0 ? CPIO_ERR_EMPTY : CPIO_ERR_NO_TRAILER;
	if (left < CPIO_NEWC_HEADER_SIZE)
		return CPIO_ERR_TRUNCATED;
	if (memcmp(hdr, CPIO_NEWC_MAGIC, CPIO_MAGIC_LEN) != 0)
		return CPIO_ERR_MAGIC;
	if (!parse_fields(hdr, fields))
		return CPIO_ERR_FIELD;

	size_t name_off = r->offset + CPIO_NEWC_HEADER_SIZE;
	uint32_t namesize = fields[CPIO_F_NAMESIZE];
	enum cpio_status st = check_name(r, name_off, namesize);

	if (st != CPIO_OK)
		return st;

	size_t data_off;
	uint32_t filesize = fields[CPIO_F_FILESIZE];

	if (!align_within(name_off + namesize, r->size, &data_off) ||
	    filesize > r->size - data_off)
		return CPIO_ERR_TRUNCATED;

	out->name = (const char *)r->base + name_off;
	out->name_len = (size_t)namesize - 1;
	out->data = r->base + data_off;
	out->size = filesize;
	out->mode = fields[CPIO_F_MODE];

	/* The last entry's data may end the buffer without its padding; the
	 * next read then finds no header and reports the missing trailer. */
	if (!align_within(data_off + filesize, r->size, next))
		*next = r->size;
	return CPIO_OK;
}

enum cpio_status cpio_next(struct cpio_reader *r, struct cpio_file *out)
{
	struct cpio_file f;
	size_t next;
	enum cpio_status st = parse_entry(r, &f, &next);

	if (st != CPIO_OK)
		return st;
	if (is_trailer(&f))
		return CPIO_END;
	*out = f;
	r->offset = next;
	return CPIO_OK;
}

enum cpio_status cpio_validate(const void *base, size_t size, size_t *entries,
			       size_t *bad_offset)
{
	struct cpio_reader r;
	struct cpio_file f;
	enum cpio_status st;
	size_t count = 0;

	cpio_reader_init(&r, base, size);
	while ((st = cpio_next(&r, &f)) == CPIO_OK)
		count++;
	if (entries != NULL)
		*entries = count;
	if (st == CPIO_END)
		return CPIO_OK;
	if (bad_offset != NULL)
		*bad_offset = r.offset;
	return st;
}

/* Drops any run of leading "./" and "/" so that equivalent paths compare
 * equal. */
static const char *strip_path_prefix(const char *p, size_t *len)
{
	for (;;) {
		if (*len >= 1 && p[0] == '/') {
			p++;
			(*len)--;
		} else if (*len >= 2 && p[0] == '.' && p[1] == '/') {
			p += 2;
			*len -= 2;
		} else {
			return p;
		}
	}
}

static bool same_path(const char *a, size_t a_len, const char *b, size_t b_len)
{
	a = strip_path_prefix(a, &a_len);
	b = strip_path_prefix(b, &b_len);
	return a_len == b_len && memcmp(a, b, a_len) == 0;
}

/* Walks the whole archive so that a corrupt one is refused even when the
 * file comes before the damage; a later entry of the same path replaces an
 * earlier one, as when Linux unpacks an initramfs. */
enum cpio_status cpio_find(const void *base, size_t size, const char *path,
			   struct cpio_file *out)
{
	struct cpio_reader r;
	struct cpio_file f;
	enum cpio_status st;
	bool found = false;
	size_t path_len = path == NULL ? 0 : strlen(path);

	cpio_reader_init(&r, base, size);
	while ((st = cpio_next(&r, &f)) == CPIO_OK) {
		if (path != NULL && cpio_is_regular(&f) &&
		    same_path(f.name, f.name_len, path, path_len)) {
			*out = f;
			found = true;
		}
	}
	if (st != CPIO_END)
		return st;
	return found ? CPIO_OK : CPIO_ERR_NOT_FOUND;
}

bool cpio_is_regular(const struct cpio_file *f)
{
	return (f->mode & CPIO_S_IFMT) == CPIO_S_IFREG;
}

const char *cpio_status_str(enum cpio_status s)
{
	switch (s) {
	case CPIO_OK: return "ok";
	case CPIO_END: return "end of archive";
	case CPIO_ERR_TRUNCATED: return "truncated archive";
	case CPIO_ERR_MAGIC: return "bad header magic (not newc 070701)";
	case CPIO_ERR_FIELD: return "header field is not 8 hex digits";
	case CPIO_ERR_NAME: return "bad file name";
	case CPIO_ERR_NO_TRAILER: return "no TRAILER!!! entry";
	case CPIO_ERR_NOT_FOUND: return "file not found";
	case CPIO_ERR_EMPTY: return "empty archive";
	}
	return "unknown cpio status";
}
