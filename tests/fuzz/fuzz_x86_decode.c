/* libFuzzer target: the MMIO instruction decoder (and the emulation of
 * what it decodes) on arbitrary bytes. The first byte picks the CPU mode,
 * the rest are the instruction bytes; libFuzzer's buffer is a heap copy of
 * exactly `size` bytes, so ASan reports any read past them. The checks
 * below trap on any result that is not self-consistent. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/x86_decode.h"
#include "lib/x86_emulate.h"

#define CHECK(cond)                      \
	do {                             \
		if (!(cond))             \
			__builtin_trap(); \
	} while (0)

static bool valid_size(unsigned s)
{
	return s == 1 || s == 2 || s == 4 || s == 8;
}

static uint64_t mask_of(unsigned size)
{
	return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

struct device {
	uint64_t value;
	unsigned reads, writes;
};

static bool dev_read(void *ctx, unsigned size, uint64_t *val)
{
	struct device *d = ctx;

	CHECK(valid_size(size));
	d->reads++;
	*val = d->value;
	return true;
}

static bool dev_write(void *ctx, unsigned size, uint64_t val)
{
	struct device *d = ctx;

	CHECK(valid_size(size));
	CHECK((val & ~mask_of(size)) == 0);
	d->writes++;
	return true;
}

static void check_insn(const struct x86_insn *in, size_t avail,
		       enum x86_cpu_mode mode)
{
	bool imm_kind = in->kind == X86_MMIO_WRITE_IMM ||
			in->kind == X86_MMIO_ALU_MEM_IMM;
	bool alu_kind = in->kind == X86_MMIO_ALU_MEM_REG ||
			in->kind == X86_MMIO_ALU_REG_MEM || in->kind == X86_MMIO_ALU_MEM_IMM;

	CHECK(in->len >= 1 && in->len <= X86_MAX_INSN_LEN && in->len <= avail);
	CHECK(in->kind >= X86_MMIO_READ && in->kind <= X86_MMIO_XCHG);
	CHECK(valid_size(in->size));
	CHECK(in->addr_size == 2 || in->addr_size == 4 || in->addr_size == 8);
	CHECK(in->seg <= X86_SEG_NONE);
	CHECK(in->has_imm == imm_kind);
	CHECK(in->has_reg == !imm_kind);
	CHECK(alu_kind == (in->alu != X86_ALU_NONE));
	CHECK(in->alu <= X86_ALU_NONE);
	if (in->has_imm)
		CHECK((in->imm & ~mask_of(in->size)) == 0);
	else
		CHECK(in->imm == 0);
	if (in->has_reg) {
		CHECK(in->reg < 16);
		CHECK(valid_size(in->reg_size));
		if (in->reg_high8)
			CHECK(in->reg < 4 && in->reg_size == 1 && in->rex == 0);
		if (in->ext == X86_EXT_NONE)
			CHECK(in->reg_size == in->size);
		else	/* MOVZX r16, m16 is a plain move */
			CHECK(in->kind == X86_MMIO_READ &&
			      in->reg_size >= in->size);
	} else {
		CHECK(in->reg == 0 && !in->reg_high8 && in->reg_size == 0 &&
		      in->ext == X86_EXT_NONE);
	}
	/* LOCK only on a read-modify-write. */
	if (in->lock)
		CHECK(x86_insn_reads_mem(in) && x86_insn_writes_mem(in));
	CHECK(x86_insn_reads_mem(in) || x86_insn_writes_mem(in));
	if (mode != X86_MODE_64) {
		CHECK(in->rex == 0 && !in->rip_relative);
		CHECK(in->size != 8 && in->reg_size != 8);
		CHECK(in->addr_size != 8);
	} else {
		CHECK(in->addr_size != 2);
		CHECK(in->rex == 0 || (in->rex & 0xf0) == 0x40);
	}
}

static void check_emulate(const struct x86_insn *in)
{
	uint64_t gpr[16], before[16], rflags = 0x202, rflags0 = rflags;
	struct device d = { .value = 0x8877665544332211ull };
	const struct x86_mmio_ops ops = { dev_read, dev_write };

	for (int i = 0; i < 16; i++)
		gpr[i] = before[i] = 0x0101010101010101ull * (uint64_t)(i + 1);
	CHECK(x86_mmio_emulate(in, gpr, &rflags, &ops, &d) == X86_EMULATE_OK);
	CHECK(d.reads == (x86_insn_reads_mem(in) ? 1u : 0u));
	CHECK(d.writes == (x86_insn_writes_mem(in) ? 1u : 0u));
	for (int i = 0; i < 16; i++)
		if (!in->has_reg || i != in->reg)
			CHECK(gpr[i] == before[i]);
	/* Only the arithmetic flags change. */
	CHECK((rflags & ~(uint64_t)X86_FLAGS_ARITH) == rflags0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum x86_cpu_mode mode;
	const uint8_t *bytes;
	size_t avail;
	struct x86_insn in, again;
	enum x86_decode_status st;

	if (size == 0)
		return 0;
	mode = (enum x86_cpu_mode)(data[0] % 3);
	bytes = data + 1;
	avail = size - 1;

	memset(&in, 0xa5, sizeof(in));
	st = x86_decode(bytes, avail, mode, &in);
	CHECK(st >= X86_DECODE_OK && st < X86_DECODE_BAD_ARGS);
	CHECK(x86_decode_status_str(st) != NULL);

	if (st == X86_DECODE_OK) {
		check_insn(&in, avail, mode);
		/* The same with exactly its bytes; TRUNCATED with fewer. */
		CHECK(x86_decode(bytes, in.len, mode, &again) == X86_DECODE_OK);
		CHECK(memcmp(&in, &again, sizeof(in)) == 0);
		CHECK(x86_decode(bytes, in.len - 1u, mode, &again) ==
		      X86_DECODE_TRUNCATED);
		check_emulate(&in);
	} else if (st == X86_DECODE_TRUNCATED) {
		uint8_t padded[X86_MAX_INSN_LEN];

		/* Only a short buffer can be TRUNCATED, and 15 bytes settle it. */
		CHECK(avail < X86_MAX_INSN_LEN);
		memset(padded, 0, sizeof(padded));
		memcpy(padded, bytes, avail);
		CHECK(x86_decode(padded, sizeof(padded), mode, &again) !=
		      X86_DECODE_TRUNCATED);
	} else {
		/* A refusal stays a refusal whatever follows. */
		uint8_t padded[X86_MAX_INSN_LEN + 1];
		size_t n = avail < sizeof(padded) ? avail : sizeof(padded);

		memset(padded, 0x90, sizeof(padded));
		memcpy(padded, bytes, n);
		CHECK(x86_decode(padded, sizeof(padded), mode, &again) == st);
	}
	return 0;
}
