/* x86 MMIO instruction decoder. The layout of an instruction (Intel SDM
 * vol. 2 ch. 2, AMD APM vol. 3 ch. 1): legacy prefixes, in 64-bit mode a
 * REX prefix right before the opcode, a one- or two-byte opcode, ModRM,
 * SIB, displacement, immediate. Every byte is fetched through one bounds
 * check; the length limit of 15 is checked before the byte count, so that
 * an over-long instruction is TOO_LONG however many bytes were given. */
#include "lib/x86_decode.h"

#define REX_W 0x08
#define REX_R 0x04

struct cursor {
	const uint8_t *bytes;
	size_t avail;
	size_t pos;
};

/* Status for consuming n more bytes. */
static enum x86_decode_status need(const struct cursor *c, size_t n)
{
	if (c->pos + n > X86_MAX_INSN_LEN)
		return X86_DECODE_TOO_LONG;
	if (c->pos + n > c->avail)
		return X86_DECODE_TRUNCATED;
	return X86_DECODE_OK;
}

static enum x86_decode_status fetch8(struct cursor *c, uint8_t *out)
{
	enum x86_decode_status st = need(c, 1);

	if (st != X86_DECODE_OK)
		return st;
	*out = c->bytes[c->pos++];
	return X86_DECODE_OK;
}

/* A little-endian value of n (1, 2, 4 or 8) bytes. */
static enum x86_decode_status fetch_le(struct cursor *c, unsigned n,
				       uint64_t *out)
{
	enum x86_decode_status st = need(c, n);
	uint64_t v = 0;

	if (st != X86_DECODE_OK)
		return st;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)c->bytes[c->pos + i] << (8 * i);
	c->pos += n;
	*out = v;
	return X86_DECODE_OK;
}

static enum x86_decode_status skip(struct cursor *c, unsigned n)
{
	enum x86_decode_status st = need(c, n);

	if (st == X86_DECODE_OK)
		c->pos += n;
	return st;
}

static uint64_t size_mask(unsigned size)
{
	return size >= 8 ? ~(uint64_t)0 : ((uint64_t)1 << (8 * size)) - 1;
}

/* Sign-extends the low `bytes` bytes of v to 64 bits. */
static uint64_t sign_extend(uint64_t v, unsigned bytes)
{
	unsigned shift = 64 - 8 * bytes;

	return (uint64_t)((int64_t)(v << shift) >> shift);
}

/* Consumes ModRM, SIB and displacement; the ModRM byte is returned in
 * *modrm. Refuses the register form. */
static enum x86_decode_status decode_modrm(struct cursor *c,
					   unsigned addr_size, bool mode64,
					   uint8_t *modrm, bool *rip_relative)
{
	enum x86_decode_status st;
	unsigned mod, rm, disp = 0;
	uint8_t sib;

	st = fetch8(c, modrm);
	if (st != X86_DECODE_OK)
		return st;
	mod = *modrm >> 6;
	rm = *modrm & 7;
	*rip_relative = false;
	if (mod == 3)
		return X86_DECODE_NOT_MEMORY;

	if (addr_size == 2) {
		/* 16-bit addressing: no SIB; mod 0 rm 6 is a bare disp16. */
		if (mod == 1)
			disp = 1;
		else if (mod == 2 || (mod == 0 && rm == 6))
			disp = 2;
		return skip(c, disp);
	}

	if (rm == 4) {
		st = fetch8(c, &sib);
		if (st != X86_DECODE_OK)
			return st;
		/* Base 5 with mod 0: no base register, a disp32. */
		if (mod == 0 && (sib & 7) == 5)
			disp = 4;
	} else if (mod == 0 && rm == 5) {
		disp = 4;
		*rip_relative = mode64;
	}
	if (mod == 1)
		disp = 1;
	else if (mod == 2)
		disp = 4;
	return skip(c, disp);
}

static bool is_string_op(uint8_t op)
{
	return (op >= 0xa4 && op <= 0xa7) || (op >= 0xaa && op <= 0xaf) ||
	       (op >= 0x6c && op <= 0x6f);
}

/* Sets the register operand from ModRM.reg and REX.R; `width` is the
 * register's width in bytes. */
static void set_reg(struct x86_insn *in, unsigned index, unsigned width)
{
	in->has_reg = true;
	in->reg_size = (uint8_t)width;
	if (width == 1 && in->rex == 0 && index >= 4 && index < 8) {
		in->reg = (uint8_t)(index - 4);
		in->reg_high8 = true;
	} else {
		in->reg = (uint8_t)index;
		in->reg_high8 = false;
	}
}

enum x86_decode_status x86_decode(const uint8_t *bytes, size_t avail,
				  enum x86_cpu_mode mode, struct x86_insn *out)
{
	struct cursor c = { .bytes = bytes, .avail = avail, .pos = 0 };
	struct x86_insn in;
	enum x86_decode_status st;
	bool mode64 = mode == X86_MODE_64;
	bool opsize_pfx = false, addrsize_pfx = false, rep = false;
	unsigned opsize, imm_bytes = 0, reg_index;
	bool imm_signed = false, needs_modrm = true;
	uint8_t op, op2 = 0, modrm = 0;
	uint64_t imm = 0;

	if (bytes == NULL || out == NULL ||
	    (mode != X86_MODE_16 && mode != X86_MODE_32 && mode != X86_MODE_64))
		return X86_DECODE_BAD_ARGS;

	in = (struct x86_insn){ .seg = X86_SEG_NONE, .alu = X86_ALU_NONE };

	/* Prefixes. A REX prefix counts only right before the opcode: one
	 * followed by a legacy prefix is ignored, as the CPU does. */
	for (;;) {
		st = fetch8(&c, &op);
		if (st != X86_DECODE_OK)
			return st;
		switch (op) {
		case 0x26: in.seg = X86_SEG_ES; break;
		case 0x2e: in.seg = X86_SEG_CS; break;
		case 0x36: in.seg = X86_SEG_SS; break;
		case 0x3e: in.seg = X86_SEG_DS; break;
		case 0x64: in.seg = X86_SEG_FS; break;
		case 0x65: in.seg = X86_SEG_GS; break;
		case 0x66: opsize_pfx = true; break;
		case 0x67: addrsize_pfx = true; break;
		case 0xf0: in.lock = true; break;
		case 0xf2:
		case 0xf3: rep = true; break;
		default:
			if (mode64 && (op & 0xf0) == 0x40) {
				in.rex = op;
				continue;
			}
			goto opcode;
		}
		in.rex = 0;
	}

opcode:
	if (mode64)
		in.addr_size = addrsize_pfx ? 4 : 8;
	else if (mode == X86_MODE_32)
		in.addr_size = addrsize_pfx ? 2 : 4;
	else
		in.addr_size = addrsize_pfx ? 4 : 2;
	if (in.rex & REX_W)
		opsize = 8;
	else if (mode == X86_MODE_16)
		opsize = opsize_pfx ? 4 : 2;
	else
		opsize = opsize_pfx ? 2 : 4;
	reg_index = 0;
	in.opcode = op;

	if (op == 0x0f) {
		st = fetch8(&c, &op2);
		if (st != X86_DECODE_OK)
			return st;
		in.opcode = (uint16_t)(0x0f00 | op2);
		switch (op2) {
		case 0xb6: /* MOVZX r, r/m8 */
		case 0xb7: /* MOVZX r, r/m16 */
		case 0xbe: /* MOVSX r, r/m8 */
		case 0xbf: /* MOVSX r, r/m16 */
			in.kind = X86_MMIO_READ;
			in.size = (op2 & 1) ? 2 : 1;
			in.ext = (op2 & 8) ? X86_EXT_SIGN : X86_EXT_ZERO;
			break;
		default:
			return X86_DECODE_UNSUPPORTED;
		}
	} else if (op < 0x40 && (op & 7) < 4) {
		/* ADD OR ADC SBB AND SUB XOR CMP, the four /r forms each:
		 * bit 0 is the width, bit 1 the direction (1: reg is dest). */
		in.alu = (enum x86_alu_op)(op >> 3);
		in.kind = (op & 2) ? X86_MMIO_ALU_REG_MEM : X86_MMIO_ALU_MEM_REG;
		in.size = (op & 1) ? (uint8_t)opsize : 1;
	} else {
		switch (op) {
		case 0x63: /* MOVSXD r64, r/m32 */
			if (!mode64)
				return X86_DECODE_UNSUPPORTED; /* ARPL */
			if (!(in.rex & REX_W))
				return X86_DECODE_UNSUPPORTED;
			in.kind = X86_MMIO_READ;
			in.size = 4;
			in.ext = X86_EXT_SIGN;
			break;
		case 0x80: /* group 1 r/m8, imm8 */
		case 0x81: /* group 1 r/m, imm16/32 */
		case 0x83: /* group 1 r/m, imm8 sign-extended */
			in.kind = X86_MMIO_ALU_MEM_IMM;
			in.size = op == 0x80 ? 1 : (uint8_t)opsize;
			imm_bytes = op == 0x81 ? (opsize == 2 ? 2 : 4) : 1;
			imm_signed = true;
			break;
		case 0x84: /* TEST r/m8, r8 */
		case 0x85: /* TEST r/m, r */
			in.kind = X86_MMIO_ALU_MEM_REG;
			in.alu = X86_ALU_TEST;
			in.size = op == 0x84 ? 1 : (uint8_t)opsize;
			break;
		case 0x86: /* XCHG r/m8, r8 */
		case 0x87: /* XCHG r/m, r */
			in.kind = X86_MMIO_XCHG;
			in.size = op == 0x86 ? 1 : (uint8_t)opsize;
			break;
		case 0x88: /* MOV r/m8, r8 */
		case 0x89: /* MOV r/m, r */
			in.kind = X86_MMIO_WRITE;
			in.size = op == 0x88 ? 1 : (uint8_t)opsize;
			break;
		case 0x8a: /* MOV r8, r/m8 */
		case 0x8b: /* MOV r, r/m */
			in.kind = X86_MMIO_READ;
			in.size = op == 0x8a ? 1 : (uint8_t)opsize;
			break;
		case 0xa0: /* MOV AL, moffs8 */
		case 0xa1: /* MOV eAX, moffs */
		case 0xa2: /* MOV moffs8, AL */
		case 0xa3: /* MOV moffs, eAX */
			in.kind = op < 0xa2 ? X86_MMIO_READ : X86_MMIO_WRITE;
			in.size = (op & 1) ? (uint8_t)opsize : 1;
			needs_modrm = false;
			break;
		case 0xc6: /* MOV r/m8, imm8 */
		case 0xc7: /* MOV r/m, imm16/32 */
			in.kind = X86_MMIO_WRITE_IMM;
			in.size = op == 0xc6 ? 1 : (uint8_t)opsize;
			imm_bytes = op == 0xc6 ? 1 : (opsize == 2 ? 2 : 4);
			imm_signed = true;
			break;
		case 0xf6: /* TEST r/m8, imm8 */
		case 0xf7: /* TEST r/m, imm16/32 */
			in.kind = X86_MMIO_ALU_MEM_IMM;
			in.alu = X86_ALU_TEST;
			in.size = op == 0xf6 ? 1 : (uint8_t)opsize;
			imm_bytes = op == 0xf6 ? 1 : (opsize == 2 ? 2 : 4);
			imm_signed = true;
			break;
		default:
			return is_string_op(op) ? X86_DECODE_STRING
						: X86_DECODE_UNSUPPORTED;
		}
	}

	if (needs_modrm) {
		st = decode_modrm(&c, in.addr_size, mode64, &modrm,
				  &in.rip_relative);
		if (st != X86_DECODE_OK)
			return st;
		reg_index = ((modrm >> 3) & 7) | ((in.rex & REX_R) ? 8 : 0);
	} else {
		/* moffs: an address of the address size, no ModRM. */
		st = skip(&c, in.addr_size);
		if (st != X86_DECODE_OK)
			return st;
	}

	/* The ModRM.reg field as an opcode extension. */
	switch (op) {
	case 0x80:
	case 0x81:
	case 0x83:
		in.alu = (enum x86_alu_op)((modrm >> 3) & 7);
		break;
	case 0xc6:
	case 0xc7:
		/* /1-/7 are undefined; C6 F8 and C7 F8 (XABORT, XBEGIN) are
		 * register forms, refused above. */
		if (((modrm >> 3) & 7) != 0)
			return X86_DECODE_INVALID;
		break;
	case 0xf6:
	case 0xf7:
		/* /1 is an undocumented alias of TEST; /2-/7 are NOT NEG MUL
		 * IMUL DIV IDIV. */
		if (((modrm >> 3) & 7) != 0)
			return X86_DECODE_UNSUPPORTED;
		break;
	default:
		break;
	}

	if (imm_bytes != 0) {
		st = fetch_le(&c, imm_bytes, &imm);
		if (st != X86_DECODE_OK)
			return st;
		if (imm_signed)
			imm = sign_extend(imm, imm_bytes);
		in.imm = imm & size_mask(in.size);
		in.has_imm = true;
	}

	/* The register operand. */
	switch (in.kind) {
	case X86_MMIO_WRITE_IMM:
	case X86_MMIO_ALU_MEM_IMM:
		break;
	case X86_MMIO_READ:
		if (!needs_modrm)
			set_reg(&in, 0, in.size); /* AL / eAX */
		else if (op == 0x0f || op == 0x63)
			set_reg(&in, reg_index, opsize);
		else
			set_reg(&in, reg_index, in.size);
		break;
	case X86_MMIO_WRITE:
		set_reg(&in, needs_modrm ? reg_index : 0, in.size);
		break;
	default:
		set_reg(&in, reg_index, in.size);
		break;
	}

	/* REP/REPNE have no meaning here, or turn the instruction into a
	 * HLE-hinted one: refused rather than half understood. */
	if (rep)
		return X86_DECODE_PREFIX;
	/* LOCK is legal only on a read-modify-write of memory (#UD else). */
	if (in.lock) {
		bool rmw = in.kind == X86_MMIO_XCHG ||
			   ((in.kind == X86_MMIO_ALU_MEM_REG ||
			     in.kind == X86_MMIO_ALU_MEM_IMM) &&
			    in.alu != X86_ALU_CMP && in.alu != X86_ALU_TEST);

		if (!rmw)
			return X86_DECODE_INVALID;
	}

	in.len = (uint8_t)c.pos;
	*out = in;
	return X86_DECODE_OK;
}

bool x86_insn_reads_mem(const struct x86_insn *insn)
{
	return insn->kind != X86_MMIO_WRITE && insn->kind != X86_MMIO_WRITE_IMM;
}

bool x86_insn_writes_mem(const struct x86_insn *insn)
{
	switch (insn->kind) {
	case X86_MMIO_WRITE:
	case X86_MMIO_WRITE_IMM:
	case X86_MMIO_XCHG:
		return true;
	case X86_MMIO_ALU_MEM_REG:
	case X86_MMIO_ALU_MEM_IMM:
		return insn->alu != X86_ALU_CMP && insn->alu != X86_ALU_TEST;
	default:
		return false;
	}
}

const char *x86_decode_status_str(enum x86_decode_status s)
{
	switch (s) {
	case X86_DECODE_OK: return "ok";
	case X86_DECODE_TRUNCATED: return "instruction bytes end too early";
	case X86_DECODE_TOO_LONG: return "instruction longer than 15 bytes";
	case X86_DECODE_UNSUPPORTED: return "unsupported instruction";
	case X86_DECODE_STRING: return "string instruction not supported";
	case X86_DECODE_NOT_MEMORY: return "no memory operand";
	case X86_DECODE_PREFIX: return "unsupported REP/REPNE prefix";
	case X86_DECODE_INVALID: return "invalid encoding";
	case X86_DECODE_BAD_ARGS: return "bad arguments";
	}
	return "unknown status";
}

const char *x86_mmio_kind_str(enum x86_mmio_kind k)
{
	switch (k) {
	case X86_MMIO_READ: return "read";
	case X86_MMIO_WRITE: return "write";
	case X86_MMIO_WRITE_IMM: return "write-imm";
	case X86_MMIO_ALU_MEM_REG: return "alu-mem-reg";
	case X86_MMIO_ALU_REG_MEM: return "alu-reg-mem";
	case X86_MMIO_ALU_MEM_IMM: return "alu-mem-imm";
	case X86_MMIO_XCHG: return "xchg";
	}
	return "unknown";
}

const char *x86_alu_op_str(enum x86_alu_op op)
{
	static const char *const names[] = {
		"add", "or", "adc", "sbb", "and", "sub", "xor", "cmp", "test",
		"none",
	};

	if ((unsigned)op < sizeof(names) / sizeof(names[0]))
		return names[op];
	return "unknown";
}
