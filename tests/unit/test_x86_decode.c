/* lib/x86_decode.c on a table of encodings, most assembled with GNU as and
 * copied from objdump, with the fields each must give; then the refusals,
 * truncation at every length, the 15-byte limit and prefix corner cases.
 * Every input sits in a heap block of exactly its size, so ASan reports a
 * read past the bytes given. tests/unit/test_x86_decode_zydis.c checks the
 * decoder against Zydis on many more inputs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/x86_decode.h"

#define M16 X86_MODE_16
#define M32 X86_MODE_32
#define M64 X86_MODE_64

enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13,
       R14, R15 };

#define R X86_MMIO_READ
#define W X86_MMIO_WRITE
#define WI X86_MMIO_WRITE_IMM
#define AMR X86_MMIO_ALU_MEM_REG
#define ARM X86_MMIO_ALU_REG_MEM
#define AMI X86_MMIO_ALU_MEM_IMM
#define XCHG X86_MMIO_XCHG

#define NOALU X86_ALU_NONE
#define EXT0 X86_EXT_NONE
#define EXTZ X86_EXT_ZERO
#define EXTS X86_EXT_SIGN

struct good {
	const char *text;
	enum x86_cpu_mode mode;
	uint8_t bytes[16];
	uint8_t len;
	enum x86_mmio_kind kind;
	enum x86_alu_op alu;
	uint8_t size;
	int reg;		/* -1: no register operand */
	bool high8;
	uint8_t reg_size;
	enum x86_extend ext;
	uint64_t imm;
};

static const struct good goods[] = {
	/* 64-bit mode, from `as --64` */
	{ "mov (%rdi),%eax", M64, { 0x8b, 0x07 }, 2, R, NOALU, 4, RAX, false, 4, EXT0, 0 },
	{ "mov %esi,(%rdi)", M64, { 0x89, 0x37 }, 2, W, NOALU, 4, RSI, false, 4, EXT0, 0 },
	{ "mov (%rax),%al", M64, { 0x8a, 0x00 }, 2, R, NOALU, 1, RAX, false, 1, EXT0, 0 },
	{ "mov %ah,(%rbx)", M64, { 0x88, 0x23 }, 2, W, NOALU, 1, RAX, true, 1, EXT0, 0 },
	{ "mov 0x10(%rcx),%bh", M64, { 0x8a, 0x79, 0x10 }, 3, R, NOALU, 1, RBX, true, 1, EXT0, 0 },
	{ "mov %sil,(%rdx)", M64, { 0x40, 0x88, 0x32 }, 3, W, NOALU, 1, RSI, false, 1, EXT0, 0 },
	{ "mov (%r8),%r9b", M64, { 0x45, 0x8a, 0x08 }, 3, R, NOALU, 1, R9, false, 1, EXT0, 0 },
	{ "mov 0x300(%rax),%r15", M64, { 0x4c, 0x8b, 0xb8, 0x00, 0x03, 0x00, 0x00 }, 7, R, NOALU, 8, R15, false, 8, EXT0, 0 },
	{ "mov %r12,-0x8(%rbp,%rcx,8)", M64, { 0x4c, 0x89, 0x64, 0xcd, 0xf8 }, 5, W, NOALU, 8, R12, false, 8, EXT0, 0 },
	{ "mov 0x12345678(%rip),%ecx", M64, { 0x8b, 0x0d, 0x78, 0x56, 0x34, 0x12 }, 6, R, NOALU, 4, RCX, false, 4, EXT0, 0 },
	{ "mov 0xb0(%rax),%dx", M64, { 0x66, 0x8b, 0x90, 0xb0, 0x00, 0x00, 0x00 }, 7, R, NOALU, 2, RDX, false, 2, EXT0, 0 },
	{ "mov %ax,0x20(%r10)", M64, { 0x66, 0x41, 0x89, 0x42, 0x20 }, 5, W, NOALU, 2, RAX, false, 2, EXT0, 0 },
	{ "movb $0x5a,(%rax)", M64, { 0xc6, 0x00, 0x5a }, 3, WI, NOALU, 1, -1, false, 0, EXT0, 0x5a },
	{ "movl $0x0,0xb0(%rax)", M64, { 0xc7, 0x80, 0xb0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 }, 10, WI, NOALU, 4, -1, false, 0, EXT0, 0 },
	{ "movq $-1,0x8(%rsp)", M64, { 0x48, 0xc7, 0x44, 0x24, 0x08, 0xff, 0xff, 0xff, 0xff }, 9, WI, NOALU, 8, -1, false, 0, EXT0, UINT64_MAX },
	{ "movw $0x1234,(%rdi)", M64, { 0x66, 0xc7, 0x07, 0x34, 0x12 }, 5, WI, NOALU, 2, -1, false, 0, EXT0, 0x1234 },
	{ "movzbl (%rdi),%eax", M64, { 0x0f, 0xb6, 0x07 }, 3, R, NOALU, 1, RAX, false, 4, EXTZ, 0 },
	{ "movzwl 0x4(%rsi),%r11d", M64, { 0x44, 0x0f, 0xb7, 0x5e, 0x04 }, 5, R, NOALU, 2, R11, false, 4, EXTZ, 0 },
	{ "movzbq (%rax),%rcx", M64, { 0x48, 0x0f, 0xb6, 0x08 }, 4, R, NOALU, 1, RCX, false, 8, EXTZ, 0 },
	{ "movzbw (%rax),%cx", M64, { 0x66, 0x0f, 0xb6, 0x08 }, 4, R, NOALU, 1, RCX, false, 2, EXTZ, 0 },
	{ "movsbl (%rdi),%eax", M64, { 0x0f, 0xbe, 0x07 }, 3, R, NOALU, 1, RAX, false, 4, EXTS, 0 },
	{ "movswq (%rdi),%r8", M64, { 0x4c, 0x0f, 0xbf, 0x07 }, 4, R, NOALU, 2, R8, false, 8, EXTS, 0 },
	{ "movslq (%rdi),%rax", M64, { 0x48, 0x63, 0x07 }, 3, R, NOALU, 4, RAX, false, 8, EXTS, 0 },
	{ "movabs 0xfee00020,%eax", M64, { 0xa1, 0x20, 0x00, 0xe0, 0xfe, 0x00, 0x00, 0x00, 0x00 }, 9, R, NOALU, 4, RAX, false, 4, EXT0, 0 },
	{ "movabs %al,0xfec00000", M64, { 0xa2, 0x00, 0x00, 0xc0, 0xfe, 0x00, 0x00, 0x00, 0x00 }, 9, W, NOALU, 1, RAX, false, 1, EXT0, 0 },
	{ "movabs 0xfee00020,%rax", M64, { 0x48, 0xa1, 0x20, 0x00, 0xe0, 0xfe, 0x00, 0x00, 0x00, 0x00 }, 10, R, NOALU, 8, RAX, false, 8, EXT0, 0 },
	{ "addr32 mov 0xfee00020,%eax", M64, { 0x67, 0xa1, 0x20, 0x00, 0xe0, 0xfe }, 6, R, NOALU, 4, RAX, false, 4, EXT0, 0 },
	{ "mov %fs:0x10(%rax),%eax", M64, { 0x64, 0x8b, 0x40, 0x10 }, 4, R, NOALU, 4, RAX, false, 4, EXT0, 0 },
	{ "mov (%eax),%eax", M64, { 0x67, 0x8b, 0x00 }, 3, R, NOALU, 4, RAX, false, 4, EXT0, 0 },
	{ "lock orl $0x1,(%rdi)", M64, { 0xf0, 0x83, 0x0f, 0x01 }, 4, AMI, X86_ALU_OR, 4, -1, false, 0, EXT0, 1 },
	{ "andl $0xfffffeff,0x10(%rax)", M64, { 0x81, 0x60, 0x10, 0xff, 0xfe, 0xff, 0xff }, 7, AMI, X86_ALU_AND, 4, -1, false, 0, EXT0, 0xfffffeff },
	{ "orb $0x80,(%rcx)", M64, { 0x80, 0x09, 0x80 }, 3, AMI, X86_ALU_OR, 1, -1, false, 0, EXT0, 0x80 },
	{ "xor %eax,(%rdi)", M64, { 0x31, 0x07 }, 2, AMR, X86_ALU_XOR, 4, RAX, false, 4, EXT0, 0 },
	{ "sub (%rdi),%rdx", M64, { 0x48, 0x2b, 0x17 }, 3, ARM, X86_ALU_SUB, 8, RDX, false, 8, EXT0, 0 },
	{ "cmpl $0x5,(%rdi)", M64, { 0x83, 0x3f, 0x05 }, 3, AMI, X86_ALU_CMP, 4, -1, false, 0, EXT0, 5 },
	{ "cmp (%rdi),%ecx", M64, { 0x3b, 0x0f }, 2, ARM, X86_ALU_CMP, 4, RCX, false, 4, EXT0, 0 },
	{ "cmp %bh,(%rdi)", M64, { 0x38, 0x3f }, 2, AMR, X86_ALU_CMP, 1, RBX, true, 1, EXT0, 0 },
	{ "testb $0x1,(%rdi)", M64, { 0xf6, 0x07, 0x01 }, 3, AMI, X86_ALU_TEST, 1, -1, false, 0, EXT0, 1 },
	{ "test %eax,0x4(%rdi)", M64, { 0x85, 0x47, 0x04 }, 3, AMR, X86_ALU_TEST, 4, RAX, false, 4, EXT0, 0 },
	{ "testl $0x80000000,(%rsi)", M64, { 0xf7, 0x06, 0x00, 0x00, 0x00, 0x80 }, 6, AMI, X86_ALU_TEST, 4, -1, false, 0, EXT0, 0x80000000 },
	{ "testq $-0x80000000,(%rsi)", M64, { 0x48, 0xf7, 0x06, 0x00, 0x00, 0x00, 0x80 }, 7, AMI, X86_ALU_TEST, 8, -1, false, 0, EXT0, 0xffffffff80000000ull },
	{ "xchg %eax,(%rdi)", M64, { 0x87, 0x07 }, 2, XCHG, NOALU, 4, RAX, false, 4, EXT0, 0 },
	{ "lock xchg %bl,(%rsi)", M64, { 0xf0, 0x86, 0x1e }, 3, XCHG, NOALU, 1, RBX, false, 1, EXT0, 0 },
	{ "adc %ecx,(%rax)", M64, { 0x11, 0x08 }, 2, AMR, X86_ALU_ADC, 4, RCX, false, 4, EXT0, 0 },
	{ "sbbq $-2,(%rax)", M64, { 0x48, 0x83, 0x18, 0xfe }, 4, AMI, X86_ALU_SBB, 8, -1, false, 0, EXT0, 0xfffffffffffffffeull },
	{ "addw $0x7f,(%rbx)", M64, { 0x66, 0x83, 0x03, 0x7f }, 4, AMI, X86_ALU_ADD, 2, -1, false, 0, EXT0, 0x7f },
	{ "addw $-1,(%rbx)", M64, { 0x66, 0x83, 0x03, 0xff }, 4, AMI, X86_ALU_ADD, 2, -1, false, 0, EXT0, 0xffff },
	{ "add (%rbx),%r10b", M64, { 0x44, 0x02, 0x13 }, 3, ARM, X86_ALU_ADD, 1, R10, false, 1, EXT0, 0 },
	{ "mov (%rsp),%eax", M64, { 0x8b, 0x04, 0x24 }, 3, R, NOALU, 4, RAX, false, 4, EXT0, 0 },
	{ "mov 0x0(%rbp),%eax", M64, { 0x8b, 0x45, 0x00 }, 3, R, NOALU, 4, RAX, false, 4, EXT0, 0 },
	{ "mov 0x0(%r13),%eax", M64, { 0x41, 0x8b, 0x45, 0x00 }, 4, R, NOALU, 4, RAX, false, 4, EXT0, 0 },
	{ "mov (%r12),%eax", M64, { 0x41, 0x8b, 0x04, 0x24 }, 4, R, NOALU, 4, RAX, false, 4, EXT0, 0 },
	{ "mov 0x10(,%rax,4),%eax", M64, { 0x8b, 0x04, 0x85, 0x10, 0x00, 0x00, 0x00 }, 7, R, NOALU, 4, RAX, false, 4, EXT0, 0 },
	{ "mov 0x10(%rsp,%r14,2),%eax", M64, { 0x42, 0x8b, 0x44, 0x74, 0x10 }, 5, R, NOALU, 4, RAX, false, 4, EXT0, 0 },
	{ "mov 0x10(%rbp,%rax,1),%eax [sib base 5, mod 1]", M64, { 0x8b, 0x44, 0x05, 0x10 }, 4, R, NOALU, 4, RAX, false, 4, EXT0, 0 },
	/* REX in effect only right before the opcode */
	{ "rex.w data16 mov %ax,(%rdi) [REX ignored]", M64, { 0x48, 0x66, 0x89, 0x07 }, 4, W, NOALU, 2, RAX, false, 2, EXT0, 0 },
	{ "rex data16 mov %ah,(%rdi) [REX ignored]", M64, { 0x40, 0x66, 0x88, 0x27 }, 4, W, NOALU, 1, RAX, true, 1, EXT0, 0 },
	{ "rex.b rex.w mov (%rdi),%rax [last REX]", M64, { 0x41, 0x48, 0x8b, 0x07 }, 4, R, NOALU, 8, RAX, false, 8, EXT0, 0 },
	{ "rex.w data16 (W wins)", M64, { 0x66, 0x48, 0x8b, 0x07 }, 4, R, NOALU, 8, RAX, false, 8, EXT0, 0 },
	{ "rex mov %spl,(%rdi)", M64, { 0x40, 0x88, 0x27 }, 3, W, NOALU, 1, RSP, false, 1, EXT0, 0 },
	/* exactly 15 bytes */
	{ "cs*4 movq $0x12345678,0x100(%rax)", M64, { 0x2e, 0x2e, 0x2e, 0x2e, 0x48, 0xc7, 0x80, 0x00, 0x01, 0x00, 0x00, 0x78, 0x56, 0x34, 0x12 }, 15, WI, NOALU, 8, -1, false, 0, EXT0, 0x12345678 },

	/* 32-bit mode, from `as --32` */
	{ "mov 0xfee000b0,%eax", M32, { 0xa1, 0xb0, 0x00, 0xe0, 0xfe }, 5, R, NOALU, 4, RAX, false, 4, EXT0, 0 },
	{ "movl $0x0,0xfee000b0", M32, { 0xc7, 0x05, 0xb0, 0x00, 0xe0, 0xfe, 0x00, 0x00, 0x00, 0x00 }, 10, WI, NOALU, 4, -1, false, 0, EXT0, 0 },
	{ "mov %eax,0xfec00010", M32, { 0xa3, 0x10, 0x00, 0xc0, 0xfe }, 5, W, NOALU, 4, RAX, false, 4, EXT0, 0 },
	{ "mov (%ebx),%ecx", M32, { 0x8b, 0x0b }, 2, R, NOALU, 4, RCX, false, 4, EXT0, 0 },
	{ "mov 0x10(%esi,%edi,4),%dl", M32, { 0x8a, 0x54, 0xbe, 0x10 }, 4, R, NOALU, 1, RDX, false, 1, EXT0, 0 },
	{ "movw $0x1,(%eax)", M32, { 0x66, 0xc7, 0x00, 0x01, 0x00 }, 5, WI, NOALU, 2, -1, false, 0, EXT0, 1 },
	{ "mov (%bx,%si),%ax", M32, { 0x67, 0x66, 0x8b, 0x00 }, 4, R, NOALU, 2, RAX, false, 2, EXT0, 0 },
	{ "movzbl 0x8(%ebp),%eax", M32, { 0x0f, 0xb6, 0x45, 0x08 }, 4, R, NOALU, 1, RAX, false, 4, EXTZ, 0 },
	{ "orl $0x100,0x10(%eax)", M32, { 0x81, 0x48, 0x10, 0x00, 0x01, 0x00, 0x00 }, 7, AMI, X86_ALU_OR, 4, -1, false, 0, EXT0, 0x100 },
	{ "mov 0x1234,%al", M32, { 0xa0, 0x34, 0x12, 0x00, 0x00 }, 5, R, NOALU, 1, RAX, false, 1, EXT0, 0 },
	{ "addr16 mov 0x1234,%eax", M32, { 0x67, 0xa1, 0x34, 0x12 }, 4, R, NOALU, 4, RAX, false, 4, EXT0, 0 },
	{ "mov 0xfee000b0,%esp [disp32 mod 0 rm 5]", M32, { 0x8b, 0x25, 0xb0, 0x00, 0xe0, 0xfe }, 6, R, NOALU, 4, RSP, false, 4, EXT0, 0 },

	/* 16-bit mode, from `as --32` with .code16 */
	{ "mov (%bx),%ax", M16, { 0x8b, 0x07 }, 2, R, NOALU, 2, RAX, false, 2, EXT0, 0 },
	{ "mov 0x1234,%ax", M16, { 0xa1, 0x34, 0x12 }, 3, R, NOALU, 2, RAX, false, 2, EXT0, 0 },
	{ "mov %al,0x10(%bp,%di)", M16, { 0x88, 0x43, 0x10 }, 3, W, NOALU, 1, RAX, false, 1, EXT0, 0 },
	{ "mov 0x1234(%bx),%cl", M16, { 0x8a, 0x8f, 0x34, 0x12 }, 4, R, NOALU, 1, RCX, false, 1, EXT0, 0 },
	{ "movw $0x5,(%si)", M16, { 0xc7, 0x04, 0x05, 0x00 }, 4, WI, NOALU, 2, -1, false, 0, EXT0, 5 },
	{ "mov (%eax),%eax", M16, { 0x67, 0x66, 0x8b, 0x00 }, 4, R, NOALU, 4, RAX, false, 4, EXT0, 0 },
	{ "movl $0x12345678,(%ebx)", M16, { 0x67, 0x66, 0xc7, 0x03, 0x78, 0x56, 0x34, 0x12 }, 8, WI, NOALU, 4, -1, false, 0, EXT0, 0x12345678 },
	{ "mov 0xfee0,%ax [mod 0 rm 6 disp16]", M16, { 0x8b, 0x06, 0xe0, 0xfe }, 4, R, NOALU, 2, RAX, false, 2, EXT0, 0 },
	{ "mov %ah,(%bx)", M16, { 0x88, 0x27 }, 2, W, NOALU, 1, RAX, true, 1, EXT0, 0 },
};

/* A heap copy of exactly n bytes, so that ASan catches reading past it. */
static uint8_t *exact_copy(const uint8_t *bytes, size_t n)
{
	uint8_t *p = malloc(n ? n : 1);

	assert_non_null(p);
	memcpy(p, bytes, n);
	return p;
}

static enum x86_decode_status decode_exact(const uint8_t *bytes, size_t n,
					   enum x86_cpu_mode mode,
					   struct x86_insn *out)
{
	uint8_t *p = exact_copy(bytes, n);
	enum x86_decode_status st = x86_decode(p, n, mode, out);

	free(p);
	return st;
}

static void check_good(const struct good *g, const struct x86_insn *in)
{
	if (in->len != g->len || in->kind != g->kind || in->size != g->size ||
	    in->alu != g->alu || in->ext != g->ext)
		fail_msg("%s: len %u kind %s alu %s size %u ext %d", g->text,
			 in->len, x86_mmio_kind_str(in->kind),
			 x86_alu_op_str(in->alu), in->size, in->ext);
	if (g->reg < 0) {
		assert_false(in->has_reg);
		assert_true(in->has_imm);
		if (in->imm != g->imm)
			fail_msg("%s: imm %#llx, want %#llx", g->text,
				 (unsigned long long)in->imm,
				 (unsigned long long)g->imm);
	} else {
		assert_false(in->has_imm);
		if (!in->has_reg || in->reg != g->reg ||
		    in->reg_high8 != g->high8 || in->reg_size != g->reg_size)
			fail_msg("%s: reg %u high8 %d reg_size %u", g->text,
				 in->reg, in->reg_high8, in->reg_size);
	}
}

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		const struct good *g = &goods[i];
		struct x86_insn in;
		enum x86_decode_status st;
		uint8_t longer[32];

		st = decode_exact(g->bytes, g->len, g->mode, &in);
		if (st != X86_DECODE_OK)
			fail_msg("%s: %s", g->text, x86_decode_status_str(st));
		check_good(g, &in);

		/* Bytes after the instruction change nothing. */
		memset(longer, 0xcc, sizeof(longer));
		memcpy(longer, g->bytes, g->len);
		assert_int_equal(decode_exact(longer, X86_MAX_INSN_LEN, g->mode, &in),
				 X86_DECODE_OK);
		check_good(g, &in);
		assert_int_equal(decode_exact(longer, sizeof(longer), g->mode, &in),
				 X86_DECODE_OK);
		check_good(g, &in);

		/* Every shorter prefix of it is TRUNCATED. */
		for (size_t n = 0; n < g->len; n++)
			if (decode_exact(g->bytes, n, g->mode, &in) !=
			    X86_DECODE_TRUNCATED)
				fail_msg("%s: %zu bytes not TRUNCATED", g->text, n);
	}
}

static void test_details(void **state)
{
	struct x86_insn in;

	(void)state;
	assert_int_equal(decode_exact((const uint8_t[]){ 0x8b, 0x0d, 0, 0, 0, 0 },
				      6, M64, &in), X86_DECODE_OK);
	assert_true(in.rip_relative);
	assert_int_equal(in.addr_size, 8);
	assert_int_equal(in.seg, X86_SEG_NONE);
	assert_int_equal(in.opcode, 0x8b);
	assert_false(in.lock);

	/* The same bytes in 32-bit mode: an absolute disp32. */
	assert_int_equal(decode_exact((const uint8_t[]){ 0x8b, 0x0d, 0, 0, 0, 0 },
				      6, M32, &in), X86_DECODE_OK);
	assert_false(in.rip_relative);
	assert_int_equal(in.addr_size, 4);

	assert_int_equal(decode_exact((const uint8_t[]){ 0x65, 0x67, 0x8b, 0x00 },
				      4, M64, &in), X86_DECODE_OK);
	assert_int_equal(in.seg, X86_SEG_GS);
	assert_int_equal(in.addr_size, 4);

	assert_int_equal(decode_exact((const uint8_t[]){ 0xf0, 0x48, 0x0f, 0xb6, 0x07 },
				      5, M64, &in), X86_DECODE_INVALID);
	assert_int_equal(decode_exact((const uint8_t[]){ 0x48, 0x0f, 0xbf, 0x07 },
				      4, M64, &in), X86_DECODE_OK);
	assert_int_equal(in.opcode, 0x0fbf);
	assert_int_equal(in.rex, 0x48);

	assert_int_equal(decode_exact((const uint8_t[]){ 0xf0, 0x01, 0x07 }, 3,
				      M64, &in), X86_DECODE_OK);
	assert_true(in.lock);
	assert_true(x86_insn_reads_mem(&in));
	assert_true(x86_insn_writes_mem(&in));
}

struct bad {
	const char *text;
	enum x86_cpu_mode mode;
	uint8_t bytes[16];
	uint8_t len;
	enum x86_decode_status status;
};

static const struct bad bads[] = {
	{ "rep movsl", M64, { 0xf3, 0xa5 }, 2, X86_DECODE_STRING },
	{ "movsl", M64, { 0xa5 }, 1, X86_DECODE_STRING },
	{ "stos", M64, { 0xab }, 1, X86_DECODE_STRING },
	{ "stosb", M32, { 0xaa }, 1, X86_DECODE_STRING },
	{ "lodsl", M64, { 0xad }, 1, X86_DECODE_STRING },
	{ "cmpsb", M64, { 0xa6 }, 1, X86_DECODE_STRING },
	{ "scasl", M64, { 0xaf }, 1, X86_DECODE_STRING },
	{ "insb", M64, { 0x6c }, 1, X86_DECODE_STRING },
	{ "outsl", M64, { 0x6f }, 1, X86_DECODE_STRING },
	{ "mov %ecx,%eax", M64, { 0x89, 0xc8 }, 2, X86_DECODE_NOT_MEMORY },
	{ "movzbl %al,%eax", M64, { 0x0f, 0xb6, 0xc0 }, 3, X86_DECODE_NOT_MEMORY },
	{ "add %eax,%ebx", M32, { 0x01, 0xc3 }, 2, X86_DECODE_NOT_MEMORY },
	{ "lock mov", M64, { 0xf0, 0x89, 0x07 }, 3, X86_DECODE_INVALID },
	{ "lock mov load", M64, { 0xf0, 0x8b, 0x07 }, 3, X86_DECODE_INVALID },
	{ "lock movl $0", M64, { 0xf0, 0xc7, 0x07, 0, 0, 0, 0 }, 7, X86_DECODE_INVALID },
	{ "lock cmp", M64, { 0xf0, 0x39, 0x07 }, 3, X86_DECODE_INVALID },
	{ "lock cmp reg,mem", M64, { 0xf0, 0x3b, 0x07 }, 3, X86_DECODE_INVALID },
	{ "lock add (%rdi),%eax", M64, { 0xf0, 0x03, 0x07 }, 3, X86_DECODE_INVALID },
	{ "lock test", M64, { 0xf0, 0x85, 0x07 }, 3, X86_DECODE_INVALID },
	{ "lock cmpl $5", M64, { 0xf0, 0x83, 0x3f, 0x05 }, 4, X86_DECODE_INVALID },
	{ "xrelease mov", M64, { 0xf3, 0x89, 0x07 }, 3, X86_DECODE_PREFIX },
	{ "repne mov", M64, { 0xf2, 0x8b, 0x07 }, 3, X86_DECODE_PREFIX },
	{ "movl /1", M64, { 0xc7, 0x0f, 0, 0, 0, 0 }, 6, X86_DECODE_INVALID },
	{ "movb /7", M64, { 0xc6, 0x3f, 0 }, 3, X86_DECODE_INVALID },
	{ "xbegin", M64, { 0xc7, 0xf8, 0, 0, 0, 0 }, 6, X86_DECODE_NOT_MEMORY },
	{ "notl (%rdi)", M64, { 0xf7, 0x17 }, 2, X86_DECODE_UNSUPPORTED },
	{ "test alias /1", M64, { 0xf6, 0x0f, 0x01 }, 3, X86_DECODE_UNSUPPORTED },
	{ "incl (%rdi)", M64, { 0xff, 0x07 }, 2, X86_DECODE_UNSUPPORTED },
	{ "movups (%rdi),%xmm0", M64, { 0x0f, 0x10, 0x07 }, 3, X86_DECODE_UNSUPPORTED },
	{ "movnti", M64, { 0x0f, 0xc3, 0x07 }, 3, X86_DECODE_UNSUPPORTED },
	{ "vmovdqa (%rdi),%xmm0", M64, { 0xc5, 0xf9, 0x6f, 0x07 }, 4, X86_DECODE_UNSUPPORTED },
	{ "movsxd without REX.W", M64, { 0x63, 0x07 }, 2, X86_DECODE_UNSUPPORTED },
	{ "arpl", M32, { 0x63, 0x07 }, 2, X86_DECODE_UNSUPPORTED },
	{ "inc %eax (32-bit)", M32, { 0x40, 0x8b, 0x07 }, 3, X86_DECODE_UNSUPPORTED },
	{ "group 1 alias 82", M32, { 0x82, 0x07, 0x01 }, 3, X86_DECODE_UNSUPPORTED },
	{ "push (%rdi)", M64, { 0xff, 0x37 }, 2, X86_DECODE_UNSUPPORTED },
	{ "bt", M64, { 0x0f, 0xa3, 0x07 }, 3, X86_DECODE_UNSUPPORTED },
	{ "cmpxchg", M64, { 0xf0, 0x0f, 0xb1, 0x0f }, 4, X86_DECODE_UNSUPPORTED },
	{ "truncated opcode", M64, { 0x8b }, 1, X86_DECODE_TRUNCATED },
	{ "truncated sib", M64, { 0x8b, 0x04 }, 2, X86_DECODE_TRUNCATED },
	{ "truncated disp32", M32, { 0xc7, 0x05, 0xb0, 0x00, 0xe0 }, 5, X86_DECODE_TRUNCATED },
	{ "truncated imm", M32, { 0xc7, 0x05, 0xb0, 0x00, 0xe0, 0xfe, 0x00 }, 7, X86_DECODE_TRUNCATED },
	{ "truncated 0f", M64, { 0x0f }, 1, X86_DECODE_TRUNCATED },
	{ "only REX", M64, { 0x48 }, 1, X86_DECODE_TRUNCATED },
	{ "only prefixes", M64, { 0x66, 0x66, 0xf0 }, 3, X86_DECODE_TRUNCATED },
	{ "nothing", M64, { 0 }, 0, X86_DECODE_TRUNCATED },
	{ "14 prefixes + mov", M64, { 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
				      0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
				      0x8b, 0x07 }, 16, X86_DECODE_TOO_LONG },
	{ "15 prefixes", M64, { 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
				0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66 }, 15,
	  X86_DECODE_TOO_LONG },
	/* 10 prefixes + c7 80 + disp32: too long once the ModRM is read */
	{ "too long, known early", M64, { 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e,
					  0x2e, 0x2e, 0x2e, 0xc7, 0x80 }, 12,
	  X86_DECODE_TOO_LONG },
};

static void test_refusals(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		const struct bad *b = &bads[i];
		struct x86_insn in;
		enum x86_decode_status st;

		st = decode_exact(b->bytes, b->len, b->mode, &in);
		if (st != b->status)
			fail_msg("%s: %s, want %s", b->text,
				 x86_decode_status_str(st),
				 x86_decode_status_str(b->status));
	}
}

static void test_bad_args(void **state)
{
	struct x86_insn in;
	const uint8_t mov[] = { 0x8b, 0x07 };

	(void)state;
	assert_int_equal(x86_decode(NULL, 2, M64, &in), X86_DECODE_BAD_ARGS);
	assert_int_equal(x86_decode(mov, 2, M64, NULL), X86_DECODE_BAD_ARGS);
	assert_int_equal(x86_decode(mov, 2, (enum x86_cpu_mode)7, &in),
			 X86_DECODE_BAD_ARGS);
}

/* Every 16-bit addressing form: mod 0 rm 6 and mod 2 take a disp16,
 * mod 1 a disp8, the rest none; never a SIB. */
static void test_modrm16_lengths(void **state)
{
	(void)state;
	for (unsigned modrm = 0; modrm < 0xc0; modrm++) {
		uint8_t b[4] = { 0x8b, (uint8_t)modrm, 0x11, 0x22 };
		unsigned mod = modrm >> 6, rm = modrm & 7;
		unsigned want = 2 + (mod == 1 ? 1 : (mod == 2 || (mod == 0 && rm == 6)) ? 2 : 0);
		struct x86_insn in;

		assert_int_equal(decode_exact(b, sizeof(b), M16, &in), X86_DECODE_OK);
		assert_int_equal(in.len, want);
		assert_int_equal(in.addr_size, 2);
	}
}

/* Every 32/64-bit ModRM and SIB combination against the rules. */
static void test_modrm32_lengths(void **state)
{
	(void)state;
	for (unsigned mode = M32; mode <= M64; mode++) {
		for (unsigned modrm = 0; modrm < 0xc0; modrm++) {
			for (unsigned sib = 0; sib < 256; sib++) {
				uint8_t b[8] = { 0x8b, (uint8_t)modrm, (uint8_t)sib,
						 1, 2, 3, 4, 5 };
				unsigned mod = modrm >> 6, rm = modrm & 7;
				unsigned want = 2;
				struct x86_insn in;

				if (rm == 4) {
					want++;
					if (mod == 0 && (sib & 7) == 5)
						want += 4;
				} else if (mod == 0 && rm == 5) {
					want += 4;
				}
				want += mod == 1 ? 1 : mod == 2 ? 4 : 0;
				assert_int_equal(x86_decode(b, sizeof(b), (enum x86_cpu_mode)mode, &in),
						 X86_DECODE_OK);
				assert_int_equal(in.len, want);
				assert_int_equal(in.rip_relative,
						 mode == M64 && mod == 0 && rm == 5);
			}
		}
	}
}

static void test_strings(void **state)
{
	(void)state;
	for (int s = X86_DECODE_OK; s <= X86_DECODE_BAD_ARGS; s++)
		assert_string_not_equal(x86_decode_status_str((enum x86_decode_status)s),
					"unknown status");
	assert_string_equal(x86_decode_status_str((enum x86_decode_status)99),
			    "unknown status");
	for (int k = X86_MMIO_READ; k <= X86_MMIO_XCHG; k++)
		assert_string_not_equal(x86_mmio_kind_str((enum x86_mmio_kind)k), "unknown");
	assert_string_equal(x86_alu_op_str(X86_ALU_SBB), "sbb");
	assert_string_equal(x86_alu_op_str(X86_ALU_TEST), "test");
	assert_string_equal(x86_alu_op_str((enum x86_alu_op)42), "unknown");
}

static void test_reads_writes(void **state)
{
	struct x86_insn in = { 0 };

	(void)state;
	in.kind = X86_MMIO_READ;
	assert_true(x86_insn_reads_mem(&in));
	assert_false(x86_insn_writes_mem(&in));
	in.kind = X86_MMIO_WRITE;
	assert_false(x86_insn_reads_mem(&in));
	assert_true(x86_insn_writes_mem(&in));
	in.kind = X86_MMIO_WRITE_IMM;
	assert_false(x86_insn_reads_mem(&in));
	assert_true(x86_insn_writes_mem(&in));
	in.kind = X86_MMIO_XCHG;
	assert_true(x86_insn_reads_mem(&in));
	assert_true(x86_insn_writes_mem(&in));
	in.kind = X86_MMIO_ALU_MEM_IMM;
	in.alu = X86_ALU_CMP;
	assert_false(x86_insn_writes_mem(&in));
	in.alu = X86_ALU_TEST;
	assert_false(x86_insn_writes_mem(&in));
	in.alu = X86_ALU_AND;
	assert_true(x86_insn_writes_mem(&in));
	in.kind = X86_MMIO_ALU_REG_MEM;
	assert_true(x86_insn_reads_mem(&in));
	assert_false(x86_insn_writes_mem(&in));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_details),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_modrm16_lengths),
		cmocka_unit_test(test_modrm32_lengths),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_reads_writes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
