/* A small emitter of AML, the byte code of ACPI definition blocks (ACPI 6.5,
 * chapter 20, "ACPI Machine Language (AML) Specification"), and of the
 * resource descriptors that _CRS buffers hold (6.4, "Resource Data Types for
 * ACPI"): just what a hypervisor needs to describe its devices in a DSDT.
 *
 * Everything is written into one bounded buffer. A write that does not fit
 * sets `overflow` and is dropped, but `len` keeps counting, so that after an
 * overflow (or with a NULL buffer of capacity 0) `len` is the exact size the
 * code needs. Nothing is ever written at or past data + cap. A malformed
 * argument (a bad name, string or EISA id, a PkgLength over 2^28) sets
 * `invalid`; the bytes are then unusable.
 *
 * Objects with a PkgLength (Scope, Device, Package, Buffer) are opened with
 * a *_begin call, which returns a mark, and closed with the matching *_end
 * call on that mark, innermost first. The PkgLength (and a Buffer's size)
 * is inserted at the mark when the length is known. */
#ifndef LIB_AML_H
#define LIB_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* 20.2.3, "Data Objects Encoding", and 20.2.5, "Term Objects Encoding". */
#define AML_ZERO_OP 0x00
#define AML_ONE_OP 0x01
#define AML_NAME_OP 0x08
#define AML_BYTE_PREFIX 0x0a
#define AML_WORD_PREFIX 0x0b
#define AML_DWORD_PREFIX 0x0c
#define AML_STRING_PREFIX 0x0d
#define AML_QWORD_PREFIX 0x0e
#define AML_SCOPE_OP 0x10
#define AML_BUFFER_OP 0x11
#define AML_PACKAGE_OP 0x12
#define AML_EXT_OP_PREFIX 0x5b
#define AML_DEVICE_OP 0x82	/* after AML_EXT_OP_PREFIX */

/* 20.2.2, "Name Objects Encoding". */
#define AML_NULL_NAME 0x00
#define AML_DUAL_NAME_PREFIX 0x2e
#define AML_MULTI_NAME_PREFIX 0x2f
#define AML_ROOT_CHAR 0x5c	/* '\\' */
#define AML_PARENT_PREFIX_CHAR 0x5e	/* '^' */
#define AML_NAME_SEG_SIZE 4

/* 20.2.4, "Package Length Encoding": at most 4 bytes, 28 bits. The length
 * counts the PkgLength bytes themselves. */
#define AML_PKGLENGTH_MAX_BYTES 4
#define AML_PKGLENGTH_MAX 0x0fffffffu

/* 6.4.2.5 "I/O Port Descriptor", 6.4.2.9 "End Tag" (small items: tag byte
 * 0TTTTLLL); 6.4.3.4 "32-Bit Fixed Memory Range Descriptor", 6.4.3.6
 * "Extended Interrupt Descriptor" (large items: tag byte 1TTTTTTT, then a
 * 16-bit length of what follows). */
#define AML_RES_IO 0x47
#define AML_RES_IO_SIZE 8
#define AML_RES_IO_DECODE16 0x01
#define AML_RES_END_TAG 0x79
#define AML_RES_END_TAG_SIZE 2
#define AML_RES_MEMORY32_FIXED 0x86
#define AML_RES_MEMORY32_FIXED_SIZE 12
#define AML_RES_MEMORY_WRITABLE 0x01
#define AML_RES_INTERRUPT 0x89
#define AML_RES_INTERRUPT_SIZE 9	/* with one interrupt number */

/* Extended Interrupt Descriptor flags (6.4.3.6, byte 3). A zero flags byte
 * is: produced, level-triggered, active-high, exclusive, not wake capable. */
#define AML_INT_CONSUMER (1u << 0)
#define AML_INT_EDGE (1u << 1)
#define AML_INT_ACTIVE_LOW (1u << 2)
#define AML_INT_SHARED (1u << 3)
#define AML_INT_WAKE_CAPABLE (1u << 4)

struct aml_buf {
	uint8_t *data;
	size_t cap;
	size_t len;	/* bytes emitted so far, written or not */
	bool overflow;	/* some bytes did not fit in cap */
	bool invalid;	/* a malformed argument: the result is unusable */
};

/* data may be NULL with cap 0: the emitter then only measures. */
void aml_init(struct aml_buf *b, void *data, size_t cap);

/* True when every byte was written and no argument was malformed. */
bool aml_ok(const struct aml_buf *b);

/* The PkgLength for an object whose bytes after the PkgLength number
 * body_len: written to out, its size (1-4) returned; 0 when too long. */
size_t aml_pkglength(uint8_t out[AML_PKGLENGTH_MAX_BYTES], size_t body_len);

void aml_byte(struct aml_buf *b, uint8_t v);
void aml_bytes(struct aml_buf *b, const void *p, size_t n);

/* The shortest encoding of an integer: ZeroOp, OneOp, or BytePrefix,
 * WordPrefix, DWordPrefix, QWordPrefix and the value (20.2.3). QWords need
 * a definition block of revision 2 or more. */
void aml_integer(struct aml_buf *b, uint64_t v);

/* StringPrefix, the characters (0x01-0x7f), NullChar. */
void aml_string(struct aml_buf *b, const char *s);

/* A NameString (20.2.2) from its ASL spelling: an optional root '\\' or
 * parent prefixes '^', then name segments separated by '.', each of 1-4
 * characters [A-Z_][A-Z0-9_]* and padded with '_' as ASL does ("_SB" is
 * "_SB_"). "\\" alone is the root. */
void aml_name(struct aml_buf *b, const char *path);

/* ASL's EISAID("PNP0501"): three letters A-Z and four hexadecimal digits
 * (upper case), compressed into a DWord integer, the "compressed EISA type
 * ID" of _HID (ACPI 6.5 6.1.5; the ASL macro in 19.6). */
void aml_eisaid(struct aml_buf *b, const char *id);

/* Name (path, ...): NameOp and the NameString; the caller emits the data
 * object next. */
void aml_name_op(struct aml_buf *b, const char *path);

/* Scope (path) { ... }, Device (path) { ... } (20.2.5.1, 20.2.5.2). */
size_t aml_scope_begin(struct aml_buf *b, const char *path);
size_t aml_device_begin(struct aml_buf *b, const char *path);

/* Package (count) { ... }: the caller emits count elements. */
size_t aml_package_begin(struct aml_buf *b, uint8_t count);

/* Closes a Scope, Device or Package: inserts its PkgLength at mark. */
void aml_pkg_end(struct aml_buf *b, size_t mark);

/* Buffer () { bytes }: BufferOp PkgLength BufferSize ByteList, the size
 * being the number of bytes emitted between begin and end. */
size_t aml_buffer_begin(struct aml_buf *b);
void aml_buffer_end(struct aml_buf *b, size_t mark);

/* ResourceTemplate () { descriptors }: a Buffer whose bytes are resource
 * descriptors; the end adds the End Tag, whose checksum makes the
 * descriptors and the tag sum to zero. */
size_t aml_resource_template_begin(struct aml_buf *b);
void aml_resource_template_end(struct aml_buf *b, size_t mark);

/* IO (Decode16, min, max, alignment, length). */
void aml_res_io(struct aml_buf *b, uint16_t min, uint16_t max,
		uint8_t alignment, uint8_t length);

/* Memory32Fixed (ReadWrite or ReadOnly, base, length). */
void aml_res_memory32_fixed(struct aml_buf *b, bool writable, uint32_t base,
			    uint32_t length);

/* Interrupt (flags: AML_INT_*) { number }, one interrupt. */
void aml_res_interrupt(struct aml_buf *b, uint8_t flags, uint32_t number);

#endif
