/* AML emitter (ACPI 6.5 chapter 20) and resource descriptors (6.4). See
 * aml.h for the buffer rules: `len` always counts, bytes are only written
 * while they fit. */
#include "lib/aml.h"

#include "lib/string.h"

/* 20.2.4: a one-byte PkgLength holds 6 bits; with 1, 2 or 3 following
 * bytes the lead byte holds 4 bits and each following byte 8 more. */
#define PKGLENGTH_ONE_BYTE_MAX 0x3fu
#define PKGLENGTH_LEAD_NIBBLE 0x0fu
#define PKGLENGTH_COUNT_SHIFT 6

/* Largest total length (PkgLength bytes included) for each encoding size. */
static const uint32_t pkglength_max[AML_PKGLENGTH_MAX_BYTES + 1] = {
	0, 0x3f, 0xfff, 0xfffff, 0xfffffff,
};

void aml_init(struct aml_buf *b, void *data, size_t cap)
{
	b->data = data;
	b->cap = data != NULL ? cap : 0;
	b->len = 0;
	b->overflow = false;
	b->invalid = false;
}

bool aml_ok(const struct aml_buf *b)
{
	return !b->overflow && !b->invalid;
}

size_t aml_pkglength(uint8_t out[AML_PKGLENGTH_MAX_BYTES], size_t body_len)
{
	size_t n;
	size_t total;

	for (n = 1; n <= AML_PKGLENGTH_MAX_BYTES; n++)
		if (body_len <= pkglength_max[n] - n)
			break;
	if (n > AML_PKGLENGTH_MAX_BYTES)
		return 0;
	total = body_len + n;
	if (n == 1) {
		out[0] = (uint8_t)total;
		return 1;
	}
	out[0] = (uint8_t)((n - 1) << PKGLENGTH_COUNT_SHIFT |
			   (total & PKGLENGTH_LEAD_NIBBLE));
	total >>= 4;
	for (size_t i = 1; i < n; i++) {
		out[i] = (uint8_t)total;
		total >>= 8;
	}
	return n;
}

/* True when n more bytes fit after len. Once an overflow happened nothing
 * more is written, so the bytes present are a prefix of the real code. */
static bool fits(const struct aml_buf *b, size_t n)
{
	return !b->overflow && n <= b->cap - b->len;
}

void aml_bytes(struct aml_buf *b, const void *p, size_t n)
{
	if (n == 0)
		return;
	if (fits(b, n))
		memcpy(b->data + b->len, p, n);
	else
		b->overflow = true;
	b->len += n;
}

void aml_byte(struct aml_buf *b, uint8_t v)
{
	aml_bytes(b, &v, 1);
}

/* Inserts n bytes at pos, moving what follows. */
static void insert(struct aml_buf *b, size_t pos, const uint8_t *p, size_t n)
{
	if (pos > b->len) {
		b->invalid = true;
		return;
	}
	if (fits(b, n)) {
		memmove(b->data + pos + n, b->data + pos, b->len - pos);
		memcpy(b->data + pos, p, n);
	} else {
		b->overflow = true;
	}
	b->len += n;
}

static void put_le(struct aml_buf *b, uint64_t v, size_t n)
{
	uint8_t bytes[8];

	for (size_t i = 0; i < n; i++)
		bytes[i] = (uint8_t)(v >> (8 * i));
	aml_bytes(b, bytes, n);
}

/* The integer's encoding into out (at most 9 bytes); returns its size. */
static size_t encode_integer(uint8_t out[9], uint64_t v)
{
	size_t n;

	if (v == 0) {
		out[0] = AML_ZERO_OP;
		return 1;
	}
	if (v == 1) {
		out[0] = AML_ONE_OP;
		return 1;
	}
	if (v <= UINT8_MAX) {
		out[0] = AML_BYTE_PREFIX;
		n = 1;
	} else if (v <= UINT16_MAX) {
		out[0] = AML_WORD_PREFIX;
		n = 2;
	} else if (v <= UINT32_MAX) {
		out[0] = AML_DWORD_PREFIX;
		n = 4;
	} else {
		out[0] = AML_QWORD_PREFIX;
		n = 8;
	}
	for (size_t i = 0; i < n; i++)
		out[1 + i] = (uint8_t)(v >> (8 * i));
	return 1 + n;
}

void aml_integer(struct aml_buf *b, uint64_t v)
{
	uint8_t bytes[9];

	aml_bytes(b, bytes, encode_integer(bytes, v));
}

void aml_string(struct aml_buf *b, const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; i < n; i++)
		if ((uint8_t)s[i] > 0x7f)
			b->invalid = true;
	aml_byte(b, AML_STRING_PREFIX);
	aml_bytes(b, s, n);
	aml_byte(b, 0);
}

static bool is_lead_name_char(char c)
{
	return (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_name_char(char c)
{
	return is_lead_name_char(c) || (c >= '0' && c <= '9');
}

/* Length of the segment at s (up to '.' or the end), 0 if malformed. */
static size_t segment_length(const char *s)
{
	size_t n = 0;

	if (!is_lead_name_char(s[0]))
		return 0;
	while (s[n] != '\0' && s[n] != '.') {
		if (!is_name_char(s[n]) || n == AML_NAME_SEG_SIZE)
			return 0;
		n++;
	}
	return n;
}

void aml_name(struct aml_buf *b, const char *path)
{
	const char *s = path;
	size_t segments = 0;

	if (*s == '\\') {
		aml_byte(b, AML_ROOT_CHAR);
		s++;
	} else {
		while (*s == '^') {
			aml_byte(b, AML_PARENT_PREFIX_CHAR);
			s++;
		}
	}
	/* Count and check the segments first: the prefix depends on it. */
	for (const char *p = s; *p != '\0';) {
		size_t n = segment_length(p);

		if (n == 0) {
			b->invalid = true;
			return;
		}
		segments++;
		p += n;
		if (*p == '.') {
			p++;
			if (*p == '\0') {
				b->invalid = true;
				return;
			}
		}
	}
	if (segments == 0) {
		/* Only the root may stand alone (NullName); "" and "^" are
		 * not names of anything a definition block declares. */
		if (s == path || s[-1] != '\\')
			b->invalid = true;
		aml_byte(b, AML_NULL_NAME);
		return;
	}
	if (segments > UINT8_MAX) {
		b->invalid = true;
		return;
	}
	if (segments == 2) {
		aml_byte(b, AML_DUAL_NAME_PREFIX);
	} else if (segments > 2) {
		aml_byte(b, AML_MULTI_NAME_PREFIX);
		aml_byte(b, (uint8_t)segments);
	}
	while (*s != '\0') {
		char seg[AML_NAME_SEG_SIZE] = {'_', '_', '_', '_'};
		size_t n = segment_length(s);

		memcpy(seg, s, n);
		aml_bytes(b, seg, sizeof(seg));
		s += n;
		if (*s == '.')
			s++;
	}
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* 6.1.5: the three letters, 5 bits each ('A' = 1), big-endian in the first
 * two bytes; the four digits as two bytes in reading order. */
void aml_eisaid(struct aml_buf *b, const char *id)
{
	uint8_t bytes[4];
	uint16_t vendor = 0;

	if (strnlen(id, 8) != 7) {
		b->invalid = true;
		return;
	}
	for (int i = 0; i < 3; i++) {
		if (id[i] < 'A' || id[i] > 'Z') {
			b->invalid = true;
			return;
		}
		vendor = (uint16_t)(vendor << 5 | (id[i] - 'A' + 1));
	}
	bytes[0] = (uint8_t)(vendor >> 8);
	bytes[1] = (uint8_t)vendor;
	for (int i = 0; i < 2; i++) {
		int hi = hex_digit(id[3 + 2 * i]);
		int lo = hex_digit(id[4 + 2 * i]);

		if (hi < 0 || lo < 0) {
			b->invalid = true;
			return;
		}
		bytes[2 + i] = (uint8_t)(hi << 4 | lo);
	}
	aml_byte(b, AML_DWORD_PREFIX);
	aml_bytes(b, bytes, sizeof(bytes));
}

void aml_name_op(struct aml_buf *b, const char *path)
{
	aml_byte(b, AML_NAME_OP);
	aml_name(b, path);
}

size_t aml_scope_begin(struct aml_buf *b, const char *path)
{
	size_t mark;

	aml_byte(b, AML_SCOPE_OP);
	mark = b->len;
	aml_name(b, path);
	return mark;
}

size_t aml_device_begin(struct aml_buf *b, const char *path)
{
	size_t mark;

	aml_byte(b, AML_EXT_OP_PREFIX);
	aml_byte(b, AML_DEVICE_OP);
	mark = b->len;
	aml_name(b, path);
	return mark;
}

size_t aml_package_begin(struct aml_buf *b, uint8_t count)
{
	size_t mark;

	aml_byte(b, AML_PACKAGE_OP);
	mark = b->len;
	aml_byte(b, count);
	return mark;
}

/* Inserts at mark a PkgLength covering `extra` bytes to be inserted after
 * it plus everything emitted since the mark; returns false on error. */
static bool insert_pkglength(struct aml_buf *b, size_t mark, size_t extra)
{
	uint8_t pkg[AML_PKGLENGTH_MAX_BYTES];
	size_t n;

	if (mark > b->len) {
		b->invalid = true;
		return false;
	}
	n = aml_pkglength(pkg, b->len - mark + extra);
	if (n == 0) {
		b->invalid = true;
		return false;
	}
	insert(b, mark, pkg, n);
	return true;
}

void aml_pkg_end(struct aml_buf *b, size_t mark)
{
	insert_pkglength(b, mark, 0);
}

size_t aml_buffer_begin(struct aml_buf *b)
{
	aml_byte(b, AML_BUFFER_OP);
	return b->len;
}

/* 20.2.5.4, DefBuffer: BufferOp PkgLength BufferSize ByteList. */
void aml_buffer_end(struct aml_buf *b, size_t mark)
{
	uint8_t size[9];
	size_t n;

	if (mark > b->len) {
		b->invalid = true;
		return;
	}
	n = encode_integer(size, b->len - mark);
	insert(b, mark, size, n);
	insert_pkglength(b, mark, 0);
}

size_t aml_resource_template_begin(struct aml_buf *b)
{
	return aml_buffer_begin(b);
}

void aml_resource_template_end(struct aml_buf *b, size_t mark)
{
	uint8_t sum = AML_RES_END_TAG;

	if (mark > b->len) {
		b->invalid = true;
		return;
	}
	/* After an overflow the descriptors are not all there: the checksum
	 * would be meaningless, and so is the whole result. */
	if (!b->overflow)
		for (size_t i = mark; i < b->len; i++)
			sum = (uint8_t)(sum + b->data[i]);
	aml_byte(b, AML_RES_END_TAG);
	aml_byte(b, (uint8_t)(0x100 - sum));
	aml_buffer_end(b, mark);
}

/* 6.4.2.5: tag, information (bit 0: 16-bit decode), minimum and maximum
 * base (words), alignment, length. */
void aml_res_io(struct aml_buf *b, uint16_t min, uint16_t max,
		uint8_t alignment, uint8_t length)
{
	aml_byte(b, AML_RES_IO);
	aml_byte(b, AML_RES_IO_DECODE16);
	put_le(b, min, 2);
	put_le(b, max, 2);
	aml_byte(b, alignment);
	aml_byte(b, length);
}

/* 6.4.3.4: tag, length 9 (word), information (bit 0: writable), base and
 * length (dwords). */
void aml_res_memory32_fixed(struct aml_buf *b, bool writable, uint32_t base,
			    uint32_t length)
{
	aml_byte(b, AML_RES_MEMORY32_FIXED);
	put_le(b, AML_RES_MEMORY32_FIXED_SIZE - 3, 2);
	aml_byte(b, writable ? AML_RES_MEMORY_WRITABLE : 0);
	put_le(b, base, 4);
	put_le(b, length, 4);
}

/* 6.4.3.6: tag, length (word: 2 + 4 per interrupt, no resource source),
 * flags, interrupt table length, the interrupt numbers (dwords). */
void aml_res_interrupt(struct aml_buf *b, uint8_t flags, uint32_t number)
{
	aml_byte(b, AML_RES_INTERRUPT);
	put_le(b, AML_RES_INTERRUPT_SIZE - 3, 2);
	aml_byte(b, flags);
	aml_byte(b, 1);
	put_le(b, number, 4);
}
