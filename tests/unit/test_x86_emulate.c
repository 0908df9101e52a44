/* lib/x86_emulate.c: x86_alu against the host CPU itself (each operation
 * at each width run with inline assembly, flags read back with PUSHF), the
 * register width rules, and x86_mmio_emulate on decoded instructions with
 * a fake device. */
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
#include "lib/x86_emulate.h"

/* ------------------------------------------------ the host CPU's answer */

/* dst = dst OP src at one width, RFLAGS in and out. The stack pointer
 * steps over the red zone, where the compiler may keep locals, before
 * PUSHF. CMP and TEST leave dst as it was. */
#define HOST_OP(fn, insn, T)                                                \
	static uint64_t fn(uint64_t a, uint64_t b, uint64_t fin,            \
			   uint64_t *fout)                                  \
	{                                                                   \
		T x = (T)a, y = (T)b;                                       \
		uint64_t f;                                                 \
		__asm__ volatile("lea -128(%%rsp), %%rsp\n\t"               \
				 "push %[fin]\n\t"                          \
				 "popfq\n\t"                                \
				 insn " %[y], %[x]\n\t"                     \
				 "pushfq\n\t"                               \
				 "pop %[f]\n\t"                             \
				 "lea 128(%%rsp), %%rsp"                    \
				 : [x] "+r"(x), [f] "=&r"(f)                \
				 : [y] "r"(y), [fin] "r"(fin)               \
				 : "cc", "memory");                         \
		*fout = f;                                                  \
		return (uint64_t)x;                                         \
	}

#define HOST_OPS(name)                                   \
	HOST_OP(host_##name##1, #name "b", uint8_t)      \
	HOST_OP(host_##name##2, #name "w", uint16_t)     \
	HOST_OP(host_##name##4, #name "l", uint32_t)     \
	HOST_OP(host_##name##8, #name "q", uint64_t)

HOST_OPS(add)
HOST_OPS(or)
HOST_OPS(adc)
HOST_OPS(sbb)
HOST_OPS(and)
HOST_OPS(sub)
HOST_OPS(xor)
HOST_OPS(cmp)
HOST_OPS(test)

typedef uint64_t (*host_fn)(uint64_t, uint64_t, uint64_t, uint64_t *);

#define ROW(name) { host_##name##1, host_##name##2, host_##name##4, host_##name##8 }
/* Indexed by enum x86_alu_op, then log2(size). */
static const host_fn host_ops[][4] = {
	ROW(add), ROW(or), ROW(adc), ROW(sbb), ROW(and), ROW(sub), ROW(xor),
	ROW(cmp), ROW(test),
};

/* x86's AT&T operand order: "cmp %y, %x" computes x - y, as x86_alu does
 * with dst = x, src = y. */

static uint64_t rng = 0x1234567887654321ull;

static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

/* Values near the edges, where carries and overflows happen. */
static uint64_t interesting(void)
{
	static const uint64_t edges[] = {
		0, 1, 2, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff,
		0x7fffffff, 0x80000000, 0xffffffff, 0x7fffffffffffffffull,
		0x8000000000000000ull, 0xffffffffffffffffull, 0x0f, 0x10,
	};

	switch (rnd() % 4) {
	case 0:
		return edges[rnd() % (sizeof(edges) / sizeof(edges[0]))];
	case 1:
		return edges[rnd() % (sizeof(edges) / sizeof(edges[0]))] +
		       (rnd() % 3) - 1;
	default:
		return rnd();
	}
}

static void test_alu_matches_cpu(void **state)
{
	static const unsigned sizes[] = { 1, 2, 4, 8 };

	(void)state;
	for (int op = X86_ALU_ADD; op <= X86_ALU_TEST; op++) {
		for (unsigned si = 0; si < 4; si++) {
			for (int i = 0; i < 20000; i++) {
				uint64_t a = interesting(), b = interesting();
				/* Bit 1 is always set; other non-arithmetic
				 * bits must come through unchanged. */
				uint64_t fin = 0x2 | (rnd() & X86_FLAGS_ARITH) |
					       (rnd() & 0x400); /* DF */
				uint64_t want_f, got_f = fin, cmp_mask;
				uint64_t want = host_ops[op][si](a, b, fin, &want_f);
				uint64_t got = x86_alu((enum x86_alu_op)op, sizes[si],
						       a, b, &got_f);

				cmp_mask = X86_FLAGS_ARITH | 0x400 | 0x2;
				/* AF is undefined after the logic ops. */
				if (op == X86_ALU_AND || op == X86_ALU_OR ||
				    op == X86_ALU_XOR || op == X86_ALU_TEST)
					cmp_mask &= ~(uint64_t)X86_FLAG_AF;
				if ((want_f & cmp_mask) != (got_f & cmp_mask))
					fail_msg("%s size %u %#llx, %#llx, flags in %#llx: "
						 "flags %#llx, want %#llx",
						 x86_alu_op_str((enum x86_alu_op)op), sizes[si],
						 (unsigned long long)a, (unsigned long long)b,
						 (unsigned long long)fin,
						 (unsigned long long)got_f,
						 (unsigned long long)want_f);
				if (op == X86_ALU_CMP || op == X86_ALU_TEST) {
					/* The host left dst; compare with SUB/AND. */
					uint64_t f2;

					want = host_ops[op == X86_ALU_CMP ? X86_ALU_SUB
									 : X86_ALU_AND][si](a, b, fin, &f2);
				}
				if (got != want)
					fail_msg("%s size %u %#llx, %#llx: %#llx, want %#llx",
						 x86_alu_op_str((enum x86_alu_op)op), sizes[si],
						 (unsigned long long)a, (unsigned long long)b,
						 (unsigned long long)got,
						 (unsigned long long)want);
			}
		}
	}
}

static void test_gpr_widths(void **state)
{
	const uint64_t r = 0x1122334455667788ull;

	(void)state;
	assert_int_equal(x86_gpr_get(r, 1, false), 0x88);
	assert_int_equal(x86_gpr_get(r, 1, true), 0x77);
	assert_int_equal(x86_gpr_get(r, 2, false), 0x7788);
	assert_int_equal(x86_gpr_get(r, 4, false), 0x55667788);
	assert_int_equal(x86_gpr_get(r, 8, false), r);

	assert_int_equal(x86_gpr_set(r, 1, false, 0xabcd), 0x11223344556677cdull);
	assert_int_equal(x86_gpr_set(r, 1, true, 0xabcd), 0x112233445566cd88ull);
	assert_int_equal(x86_gpr_set(r, 2, false, 0xabcdef), 0x112233445566cdefull);
	/* A 32-bit write zero-extends into the whole register. */
	assert_int_equal(x86_gpr_set(r, 4, false, 0xfedcba9876543210ull),
			 0x76543210ull);
	assert_int_equal(x86_gpr_set(r, 8, false, 0xfedcba9876543210ull),
			 0xfedcba9876543210ull);
}

/* ------------------------------------------------------ the fake device */

struct device {
	uint64_t value;		/* what a read returns */
	unsigned reads, writes;
	unsigned read_size, write_size;
	uint64_t written;
	bool fail_read, fail_write;
};

static bool dev_read(void *ctx, unsigned size, uint64_t *val)
{
	struct device *d = ctx;

	d->reads++;
	d->read_size = size;
	*val = d->value;
	return !d->fail_read;
}

static bool dev_write(void *ctx, unsigned size, uint64_t val)
{
	struct device *d = ctx;

	d->writes++;
	d->write_size = size;
	d->written = val;
	return !d->fail_write;
}

static const struct x86_mmio_ops dev_ops = { dev_read, dev_write };

struct emu_case {
	const char *text;
	uint8_t bytes[15];
	uint8_t len;
	uint64_t dev_value;		/* the device's register */
	int reg;			/* the GPR to check, -1 none */
	uint64_t reg_before, reg_after;
	bool writes;
	uint64_t written;
	uint64_t flags_after;		/* arithmetic flags, or ~0 if unchanged */
};

#define UNCHANGED (~0ull)
#define CF X86_FLAG_CF
#define PF X86_FLAG_PF
#define AF X86_FLAG_AF
#define ZF X86_FLAG_ZF
#define SF X86_FLAG_SF
#define OF X86_FLAG_OF

static const struct emu_case emu_cases[] = {
	{ "mov (%rdi),%eax", { 0x8b, 0x07 }, 2, 0xfeedf00d,
	  0, 0xffffffffffffffffull, 0xfeedf00d, false, 0, UNCHANGED },
	{ "mov (%rax),%al", { 0x8a, 0x00 }, 2, 0x1234,
	  0, 0x1111111111111111ull, 0x1111111111111134ull, false, 0, UNCHANGED },
	{ "mov 0x10(%rcx),%bh", { 0x8a, 0x79, 0x10 }, 3, 0xab,
	  3, 0x1111111111111111ull, 0x111111111111ab11ull, false, 0, UNCHANGED },
	{ "mov 0xb0(%rax),%dx", { 0x66, 0x8b, 0x90, 0xb0, 0, 0, 0 }, 7, 0xbeef,
	  2, 0x1111111111111111ull, 0x111111111111beefull, false, 0, UNCHANGED },
	{ "mov 0x300(%rax),%r15", { 0x4c, 0x8b, 0xb8, 0x00, 0x03, 0, 0 }, 7,
	  0x0123456789abcdefull, 15, 0, 0x0123456789abcdefull, false, 0, UNCHANGED },
	{ "movzbl (%rdi),%eax", { 0x0f, 0xb6, 0x07 }, 3, 0xf0,
	  0, UINT64_MAX, 0xf0, false, 0, UNCHANGED },
	{ "movzbw (%rax),%cx", { 0x66, 0x0f, 0xb6, 0x08 }, 4, 0xf0,
	  1, UINT64_MAX, 0xffffffffffff00f0ull, false, 0, UNCHANGED },
	{ "movsbl (%rdi),%eax", { 0x0f, 0xbe, 0x07 }, 3, 0xf0,
	  0, UINT64_MAX, 0xfffffff0ull, false, 0, UNCHANGED },
	{ "movswq (%rdi),%r8", { 0x4c, 0x0f, 0xbf, 0x07 }, 4, 0x8001,
	  8, 0, 0xffffffffffff8001ull, false, 0, UNCHANGED },
	{ "movslq (%rdi),%rax", { 0x48, 0x63, 0x07 }, 3, 0x80000000,
	  0, 0, 0xffffffff80000000ull, false, 0, UNCHANGED },
	{ "mov %esi,(%rdi)", { 0x89, 0x37 }, 2, 0,
	  6, 0xaaaaaaaa12345678ull, 0xaaaaaaaa12345678ull, true, 0x12345678, UNCHANGED },
	{ "mov %ah,(%rbx)", { 0x88, 0x23 }, 2, 0,
	  0, 0x9988, 0x9988, true, 0x99, UNCHANGED },
	{ "movq $-1,0x8(%rsp)", { 0x48, 0xc7, 0x44, 0x24, 0x08, 0xff, 0xff, 0xff, 0xff }, 9, 0,
	  -1, 0, 0, true, UINT64_MAX, UNCHANGED },
	{ "movw $0x1234,(%rdi)", { 0x66, 0xc7, 0x07, 0x34, 0x12 }, 5, 0,
	  -1, 0, 0, true, 0x1234, UNCHANGED },
	{ "lock orl $0x1,(%rdi)", { 0xf0, 0x83, 0x0f, 0x01 }, 4, 0x100,
	  -1, 0, 0, true, 0x101, 0 },
	{ "andl $0xfffffeff,0x10(%rax)", { 0x81, 0x60, 0x10, 0xff, 0xfe, 0xff, 0xff }, 7, 0x100,
	  -1, 0, 0, true, 0, ZF | PF },
	{ "xor %eax,(%rdi)", { 0x31, 0x07 }, 2, 0xff,
	  0, 0x0f, 0x0f, true, 0xf0, PF },
	{ "sub (%rdi),%rdx", { 0x48, 0x2b, 0x17 }, 3, 1,
	  2, 0, UINT64_MAX, false, 0, CF | SF | AF | PF },
	{ "cmpl $0x5,(%rdi)", { 0x83, 0x3f, 0x05 }, 3, 5,
	  -1, 0, 0, false, 0, ZF | PF },
	{ "cmp (%rdi),%ecx", { 0x3b, 0x0f }, 2, 7,
	  1, 5, 5, false, 0, CF | SF | AF },
	{ "testb $0x1,(%rdi)", { 0xf6, 0x07, 0x01 }, 3, 0xfe,
	  -1, 0, 0, false, 0, ZF | PF },
	{ "test %eax,0x4(%rdi)", { 0x85, 0x47, 0x04 }, 3, 0x80000000,
	  0, 0x80000001, 0x80000001, false, 0, SF | PF },
	{ "xchg %eax,(%rdi)", { 0x87, 0x07 }, 2, 0x11111111,
	  0, 0xffffffff22222222ull, 0x11111111, true, 0x22222222, UNCHANGED },
	{ "lock xchg %bl,(%rsi)", { 0xf0, 0x86, 0x1e }, 3, 0xab,
	  3, 0x1234, 0x12ab, true, 0x34, UNCHANGED },
	{ "addw $-1,(%rbx)", { 0x66, 0x83, 0x03, 0xff }, 4, 1,
	  -1, 0, 0, true, 0, CF | ZF | AF | PF },
	{ "add (%rbx),%r10b", { 0x44, 0x02, 0x13 }, 3, 0x7f,
	  10, 0x1101, 0x1180, false, 0, OF | SF | AF },
};

static void test_emulate_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(emu_cases) / sizeof(emu_cases[0]); i++) {
		const struct emu_case *c = &emu_cases[i];
		struct device d = { .value = c->dev_value };
		struct x86_insn in;
		uint64_t gpr[16], before[16];
		uint64_t rflags = 0x202 | X86_FLAGS_ARITH, rflags0 = rflags;
		enum x86_emulate_status st;

		assert_int_equal(x86_decode(c->bytes, c->len, X86_MODE_64, &in),
				 X86_DECODE_OK);
		for (int r = 0; r < 16; r++)
			gpr[r] = 0x5a5a5a5a00000000ull | (uint64_t)r;
		if (c->reg >= 0)
			gpr[c->reg] = c->reg_before;
		memcpy(before, gpr, sizeof(gpr));

		st = x86_mmio_emulate(&in, gpr, &rflags, &dev_ops, &d);
		if (st != X86_EMULATE_OK)
			fail_msg("%s: %s", c->text, x86_emulate_status_str(st));
		if (c->reg >= 0 && gpr[c->reg] != c->reg_after)
			fail_msg("%s: reg %#llx, want %#llx", c->text,
				 (unsigned long long)gpr[c->reg],
				 (unsigned long long)c->reg_after);
		for (int r = 0; r < 16; r++)
			if (r != c->reg && gpr[r] != before[r])
				fail_msg("%s: register %d changed", c->text, r);
		assert_int_equal(d.reads, x86_insn_reads_mem(&in) ? 1 : 0);
		if (d.reads)
			assert_int_equal(d.read_size, in.size);
		if (c->writes) {
			assert_int_equal(d.writes, 1);
			assert_int_equal(d.write_size, in.size);
			if (d.written != c->written)
				fail_msg("%s: wrote %#llx, want %#llx", c->text,
					 (unsigned long long)d.written,
					 (unsigned long long)c->written);
		} else {
			assert_int_equal(d.writes, 0);
		}
		if (c->flags_after == UNCHANGED) {
			assert_int_equal(rflags, rflags0);
		} else {
			if ((rflags & X86_FLAGS_ARITH) != c->flags_after)
				fail_msg("%s: flags %#llx, want %#llx", c->text,
					 (unsigned long long)(rflags & X86_FLAGS_ARITH),
					 (unsigned long long)c->flags_after);
			assert_int_equal(rflags & ~(uint64_t)X86_FLAGS_ARITH, 0x202);
		}
	}
}

/* A failed device access leaves registers and flags alone. */
static void test_emulate_failures(void **state)
{
	static const uint8_t xchg[] = { 0x87, 0x07 };
	static const uint8_t add[] = { 0x01, 0x07 };
	struct x86_insn in;
	struct device d = { .value = 7 };
	uint64_t gpr[16] = { 0 }, rflags = 0x202;

	(void)state;
	assert_int_equal(x86_decode(xchg, sizeof(xchg), X86_MODE_64, &in),
			 X86_DECODE_OK);
	gpr[0] = 3;
	d.fail_read = true;
	assert_int_equal(x86_mmio_emulate(&in, gpr, &rflags, &dev_ops, &d),
			 X86_EMULATE_READ_FAILED);
	assert_int_equal(d.writes, 0);
	d.fail_read = false;
	d.fail_write = true;
	assert_int_equal(x86_mmio_emulate(&in, gpr, &rflags, &dev_ops, &d),
			 X86_EMULATE_WRITE_FAILED);
	assert_int_equal(gpr[0], 3);

	assert_int_equal(x86_decode(add, sizeof(add), X86_MODE_64, &in),
			 X86_DECODE_OK);
	assert_int_equal(x86_mmio_emulate(&in, gpr, &rflags, &dev_ops, &d),
			 X86_EMULATE_WRITE_FAILED);
	assert_int_equal(rflags, 0x202);

	/* Not something the decoder makes. */
	in.size = 3;
	assert_int_equal(x86_mmio_emulate(&in, gpr, &rflags, &dev_ops, &d),
			 X86_EMULATE_BAD_INSN);
	in.size = 4;
	in.reg = 16;
	assert_int_equal(x86_mmio_emulate(&in, gpr, &rflags, &dev_ops, &d),
			 X86_EMULATE_BAD_INSN);
	in.reg = 0;
	in.kind = (enum x86_mmio_kind)99;
	assert_int_equal(x86_mmio_emulate(&in, gpr, &rflags, &dev_ops, &d),
			 X86_EMULATE_BAD_INSN);

	assert_string_equal(x86_emulate_status_str(X86_EMULATE_OK), "ok");
	assert_string_equal(x86_emulate_status_str((enum x86_emulate_status)9),
			    "unknown status");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alu_matches_cpu),
		cmocka_unit_test(test_gpr_widths),
		cmocka_unit_test(test_emulate_cases),
		cmocka_unit_test(test_emulate_failures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
