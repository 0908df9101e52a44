/* The flags follow the carry and borrow vectors: for a + b = r, bit i of
 * (a & b) | ((a | b) & ~r) is the carry out of bit i; for a - b = r, bit i
 * of (~a & b) | (~(a ^ b) & r) is the borrow out of bit i. CF is the one out
 * of the top bit, AF the one out of bit 3. */
#include "lib/x86_emulate.h"

static uint64_t mask_of(unsigned size)
{
	return size >= 8 ? ~(uint64_t)0 : ((uint64_t)1 << (8 * size)) - 1;
}

static bool parity_even(uint64_t v)
{
	uint8_t b = (uint8_t)v;

	b ^= b >> 4;
	b ^= b >> 2;
	b ^= b >> 1;
	return (b & 1) == 0;
}

uint64_t x86_alu(enum x86_alu_op op, unsigned size, uint64_t dst,
		 uint64_t src, uint64_t *rflags)
{
	uint64_t mask = mask_of(size), top = (mask >> 1) + 1;
	uint64_t a = dst & mask, b = src & mask, r, cout = 0, of = 0;
	uint64_t cin = (*rflags & X86_FLAG_CF) ? 1 : 0;
	uint64_t flags = *rflags & ~(uint64_t)X86_FLAGS_ARITH;

	switch (op) {
	case X86_ALU_ADD:
	case X86_ALU_ADC:
		r = (a + b + (op == X86_ALU_ADC ? cin : 0)) & mask;
		cout = (a & b) | ((a | b) & ~r);
		of = (a ^ r) & (b ^ r);
		break;
	case X86_ALU_SUB:
	case X86_ALU_SBB:
	case X86_ALU_CMP:
		r = (a - b - (op == X86_ALU_SBB ? cin : 0)) & mask;
		cout = (~a & b) | (~(a ^ b) & r);
		of = (a ^ b) & (a ^ r);
		break;
	case X86_ALU_OR:
		r = a | b;
		break;
	case X86_ALU_XOR:
		r = a ^ b;
		break;
	case X86_ALU_AND:
	case X86_ALU_TEST:
	default:
		r = a & b;
		break;
	}

	if (cout & top)
		flags |= X86_FLAG_CF;
	if (cout & 8)
		flags |= X86_FLAG_AF;
	if (of & top)
		flags |= X86_FLAG_OF;
	if (r == 0)
		flags |= X86_FLAG_ZF;
	if (r & top)
		flags |= X86_FLAG_SF;
	if (parity_even(r))
		flags |= X86_FLAG_PF;
	*rflags = flags;
	return r;
}

uint64_t x86_gpr_get(uint64_t reg, unsigned size, bool high8)
{
	if (high8)
		return (reg >> 8) & 0xff;
	return reg & mask_of(size);
}

uint64_t x86_gpr_set(uint64_t reg, unsigned size, bool high8, uint64_t val)
{
	if (high8)
		return (reg & ~(uint64_t)0xff00) | ((val & 0xff) << 8);
	if (size == 4)
		return val & 0xffffffffu;
	if (size >= 8)
		return val;
	return (reg & ~mask_of(size)) | (val & mask_of(size));
}

static bool valid_size(unsigned size)
{
	return size == 1 || size == 2 || size == 4 || size == 8;
}

static uint64_t sign_extend(uint64_t v, unsigned bytes)
{
	unsigned shift = 64 - 8 * bytes;

	return (uint64_t)((int64_t)(v << shift) >> shift);
}

enum x86_emulate_status x86_mmio_emulate(const struct x86_insn *insn,
					 uint64_t gpr[16], uint64_t *rflags,
					 const struct x86_mmio_ops *ops,
					 void *ctx)
{
	unsigned size = insn->size;
	uint64_t mem = 0, regval = 0, res, flags = *rflags;

	if (!valid_size(size) || insn->reg >= 16 ||
	    (insn->has_reg && !valid_size(insn->reg_size)))
		return X86_EMULATE_BAD_INSN;
	if (insn->has_reg)
		regval = x86_gpr_get(gpr[insn->reg], size, insn->reg_high8);

	switch (insn->kind) {
	case X86_MMIO_READ:
		if (!insn->has_reg)
			return X86_EMULATE_BAD_INSN;
		if (!ops->read(ctx, size, &mem))
			return X86_EMULATE_READ_FAILED;
		mem &= mask_of(size);
		if (insn->ext == X86_EXT_SIGN)
			mem = sign_extend(mem, size);
		gpr[insn->reg] = x86_gpr_set(gpr[insn->reg], insn->reg_size,
					     insn->reg_high8, mem);
		return X86_EMULATE_OK;

	case X86_MMIO_WRITE:
		if (!insn->has_reg)
			return X86_EMULATE_BAD_INSN;
		if (!ops->write(ctx, size, regval))
			return X86_EMULATE_WRITE_FAILED;
		return X86_EMULATE_OK;

	case X86_MMIO_WRITE_IMM:
		if (!ops->write(ctx, size, insn->imm & mask_of(size)))
			return X86_EMULATE_WRITE_FAILED;
		return X86_EMULATE_OK;

	case X86_MMIO_XCHG:
		if (!insn->has_reg)
			return X86_EMULATE_BAD_INSN;
		if (!ops->read(ctx, size, &mem))
			return X86_EMULATE_READ_FAILED;
		if (!ops->write(ctx, size, regval))
			return X86_EMULATE_WRITE_FAILED;
		gpr[insn->reg] = x86_gpr_set(gpr[insn->reg], size,
					     insn->reg_high8, mem);
		return X86_EMULATE_OK;

	case X86_MMIO_ALU_MEM_REG:
	case X86_MMIO_ALU_MEM_IMM:
		if (insn->alu >= X86_ALU_NONE ||
		    (insn->kind == X86_MMIO_ALU_MEM_REG && !insn->has_reg))
			return X86_EMULATE_BAD_INSN;
		if (!ops->read(ctx, size, &mem))
			return X86_EMULATE_READ_FAILED;
		res = x86_alu(insn->alu, size, mem,
			      insn->kind == X86_MMIO_ALU_MEM_REG ? regval
								 : insn->imm,
			      &flags);
		if (x86_insn_writes_mem(insn) && !ops->write(ctx, size, res))
			return X86_EMULATE_WRITE_FAILED;
		*rflags = flags;
		return X86_EMULATE_OK;

	case X86_MMIO_ALU_REG_MEM:
		if (insn->alu >= X86_ALU_NONE || !insn->has_reg)
			return X86_EMULATE_BAD_INSN;
		if (!ops->read(ctx, size, &mem))
			return X86_EMULATE_READ_FAILED;
		res = x86_alu(insn->alu, size, regval, mem, &flags);
		if (insn->alu != X86_ALU_CMP && insn->alu != X86_ALU_TEST)
			gpr[insn->reg] = x86_gpr_set(gpr[insn->reg], size,
						     insn->reg_high8, res);
		*rflags = flags;
		return X86_EMULATE_OK;
	}
	return X86_EMULATE_BAD_INSN;
}

const char *x86_emulate_status_str(enum x86_emulate_status s)
{
	switch (s) {
	case X86_EMULATE_OK: return "ok";
	case X86_EMULATE_READ_FAILED: return "device read failed";
	case X86_EMULATE_WRITE_FAILED: return "device write failed";
	case X86_EMULATE_BAD_INSN: return "not a decoded MMIO instruction";
	}
	return "unknown status";
}
