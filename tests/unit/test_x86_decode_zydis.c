/* lib/x86_decode.c against Zydis 4 (Debian's libzydis-dev), a complete x86
 * decoder, as an oracle. For each input both decode; then:
 *   - our OK: Zydis must decode the same bytes as one of the supported
 *     instructions with a memory operand, and length, kind, ALU operation,
 *     access size, register (index, high byte, width), extension, immediate,
 *     LOCK, address size and RIP-relative addressing must all agree;
 *   - our refusal of something Zydis reads as a supported instruction with
 *     a memory operand must be one of the few deliberate ones (F2/F3
 *     prefixes, TEST F6/F7 /1, MOVSXD without REX.W, 82 in 32-bit code);
 *   - NOT_MEMORY, STRING, INVALID and TOO_LONG must match what Zydis says.
 * Inputs: every one- and two-byte (0F) opcode with every ModRM byte under a
 * set of prefix combinations in all three modes, then random instruction-
 * shaped byte strings (random prefixes, REX, an opcode mostly from or near
 * the supported set, ModRM, SIB, displacement and immediate bytes) and
 * random bytes. The seed is fixed; VESTA_ORACLE_ITERS=N and
 * VESTA_ORACLE_SEED=S run more or other inputs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <Zydis/Zydis.h>

#include "lib/x86_decode.h"

#define DEFAULT_ITERS 1000000ull

static ZydisDecoder decoders[3];

/* Mismatches are printed (the first few) and counted; a test fails at
 * its end if any was found, so one run shows several. */
static unsigned long mismatches;

struct stats {
	unsigned long inputs;
	unsigned long by_status[X86_DECODE_BAD_ARGS + 1];
	unsigned long agreed;		/* our OK matched Zydis */
	unsigned long refused_explained; /* Zydis: supported; we: deliberate no */
	unsigned long by_kind[X86_MMIO_XCHG + 1];
};

static const char *mode_name(enum x86_cpu_mode m)
{
	return m == X86_MODE_64 ? "64" : m == X86_MODE_32 ? "32" : "16";
}

static void report(const char *why, enum x86_cpu_mode mode,
		   const uint8_t *bytes, size_t n, const char *detail)
{
	char hex[64] = "";

	mismatches++;
	if (mismatches > 20)
		return;
	for (size_t i = 0; i < n && i < 15; i++)
		snprintf(hex + 3 * i, sizeof(hex) - 3 * i, "%02x ", bytes[i]);
	print_error("mode %s bytes %s: %s (%s)\n", mode_name(mode), hex, why,
		    detail);
}

/* ------------------------------------------------- Zydis -> our terms */

struct expect {
	enum x86_mmio_kind kind;
	enum x86_alu_op alu;
	unsigned size;
	bool has_reg;
	unsigned reg, reg_size;
	bool high8;
	enum x86_extend ext;
	bool has_imm;
	uint64_t imm;
	const ZydisDecodedOperand *mem;
};

static uint64_t mask_of(unsigned size)
{
	return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

/* A general register as index, high-byte flag and width; false for any
 * other register. */
static bool gpr_of(ZydisRegister r, unsigned *index, bool *high8,
		   unsigned *width)
{
	*high8 = false;
	if (r >= ZYDIS_REGISTER_AL && r <= ZYDIS_REGISTER_BL) {
		*index = r - ZYDIS_REGISTER_AL;
		*width = 1;
	} else if (r >= ZYDIS_REGISTER_AH && r <= ZYDIS_REGISTER_BH) {
		*index = r - ZYDIS_REGISTER_AH;
		*high8 = true;
		*width = 1;
	} else if (r >= ZYDIS_REGISTER_SPL && r <= ZYDIS_REGISTER_DIL) {
		*index = 4 + (r - ZYDIS_REGISTER_SPL);
		*width = 1;
	} else if (r >= ZYDIS_REGISTER_R8B && r <= ZYDIS_REGISTER_R15B) {
		*index = 8 + (r - ZYDIS_REGISTER_R8B);
		*width = 1;
	} else if (r >= ZYDIS_REGISTER_AX && r <= ZYDIS_REGISTER_R15W) {
		*index = r - ZYDIS_REGISTER_AX;
		*width = 2;
	} else if (r >= ZYDIS_REGISTER_EAX && r <= ZYDIS_REGISTER_R15D) {
		*index = r - ZYDIS_REGISTER_EAX;
		*width = 4;
	} else if (r >= ZYDIS_REGISTER_RAX && r <= ZYDIS_REGISTER_R15) {
		*index = r - ZYDIS_REGISTER_RAX;
		*width = 8;
	} else {
		return false;
	}
	return true;
}

static bool is_mem(const ZydisDecodedOperand *o)
{
	return o->type == ZYDIS_OPERAND_TYPE_MEMORY &&
	       o->mem.type == ZYDIS_MEMOP_TYPE_MEM;
}

/* The visible operands (explicit, or implicit like MOV moffs's eAX). */
static unsigned visible_ops(const ZydisDecodedInstruction *zi,
			    const ZydisDecodedOperand *zo,
			    const ZydisDecodedOperand *out[4])
{
	unsigned n = 0;

	for (unsigned i = 0; i < zi->operand_count && n < 4; i++)
		if (zo[i].visibility != ZYDIS_OPERAND_VISIBILITY_HIDDEN)
			out[n++] = &zo[i];
	return n;
}

static bool has_mem_operand(const ZydisDecodedInstruction *zi,
			    const ZydisDecodedOperand *zo)
{
	for (unsigned i = 0; i < zi->operand_count; i++)
		if (zo[i].type == ZYDIS_OPERAND_TYPE_MEMORY &&
		    zo[i].visibility != ZYDIS_OPERAND_VISIBILITY_HIDDEN)
			return true;
	return false;
}

/* Whether Zydis's decoding is one of the instructions we handle, with a
 * memory operand and a general register or immediate as the other; fills
 * what our decoder should then say. */
static bool zydis_expect(const ZydisDecodedInstruction *zi,
			 const ZydisDecodedOperand *zo, struct expect *e)
{
	const ZydisDecodedOperand *op[4], *other;
	unsigned n = visible_ops(zi, zo, op), width;
	bool mem_first;

	memset(e, 0, sizeof(*e));
	e->alu = X86_ALU_NONE;
	e->ext = X86_EXT_NONE;
	if (n != 2)
		return false;
	if (is_mem(op[0]) && !is_mem(op[1]))
		mem_first = true;
	else if (is_mem(op[1]) && !is_mem(op[0]))
		mem_first = false;
	else
		return false;
	e->mem = mem_first ? op[0] : op[1];
	other = mem_first ? op[1] : op[0];
	e->size = e->mem->size / 8;

	if (other->type == ZYDIS_OPERAND_TYPE_REGISTER) {
		if (!gpr_of(other->reg.value, &e->reg, &e->high8, &width))
			return false;
		e->has_reg = true;
		e->reg_size = width;
	} else if (other->type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
		if (!mem_first)
			return false;
		e->has_imm = true;
		e->imm = other->imm.value.u & mask_of(e->size);
	} else {
		return false;
	}

	switch (zi->mnemonic) {
	case ZYDIS_MNEMONIC_MOV:
		e->kind = e->has_imm ? X86_MMIO_WRITE_IMM
			  : mem_first ? X86_MMIO_WRITE : X86_MMIO_READ;
		return true;
	case ZYDIS_MNEMONIC_MOVZX:
	case ZYDIS_MNEMONIC_MOVSX:
	case ZYDIS_MNEMONIC_MOVSXD:
		if (mem_first || !e->has_reg)
			return false;
		e->kind = X86_MMIO_READ;
		e->ext = zi->mnemonic == ZYDIS_MNEMONIC_MOVZX ? X86_EXT_ZERO
							       : X86_EXT_SIGN;
		return true;
	case ZYDIS_MNEMONIC_XCHG:
		if (!e->has_reg)
			return false;
		e->kind = X86_MMIO_XCHG;
		return true;
	case ZYDIS_MNEMONIC_ADD: e->alu = X86_ALU_ADD; break;
	case ZYDIS_MNEMONIC_OR: e->alu = X86_ALU_OR; break;
	case ZYDIS_MNEMONIC_ADC: e->alu = X86_ALU_ADC; break;
	case ZYDIS_MNEMONIC_SBB: e->alu = X86_ALU_SBB; break;
	case ZYDIS_MNEMONIC_AND: e->alu = X86_ALU_AND; break;
	case ZYDIS_MNEMONIC_SUB: e->alu = X86_ALU_SUB; break;
	case ZYDIS_MNEMONIC_XOR: e->alu = X86_ALU_XOR; break;
	case ZYDIS_MNEMONIC_CMP: e->alu = X86_ALU_CMP; break;
	case ZYDIS_MNEMONIC_TEST: e->alu = X86_ALU_TEST; break;
	default:
		return false;
	}
	e->kind = e->has_imm ? X86_MMIO_ALU_MEM_IMM
		  : mem_first ? X86_MMIO_ALU_MEM_REG : X86_MMIO_ALU_REG_MEM;
	return true;
}

static bool has_rep_prefix(const ZydisDecodedInstruction *zi)
{
	for (unsigned i = 0; i < zi->raw.prefix_count; i++)
		if (zi->raw.prefixes[i].value == 0xf2 ||
		    zi->raw.prefixes[i].value == 0xf3)
			return true;
	return false;
}

/* The refusals of supported-looking instructions that are deliberate. */
static bool refusal_explained(enum x86_decode_status st,
			      const ZydisDecodedInstruction *zi)
{
	bool map0 = zi->opcode_map == ZYDIS_OPCODE_MAP_DEFAULT;

	if (st == X86_DECODE_PREFIX)
		return has_rep_prefix(zi);
	if (st != X86_DECODE_UNSUPPORTED || !map0)
		return false;
	if ((zi->opcode == 0xf6 || zi->opcode == 0xf7) && zi->raw.modrm.reg == 1)
		return true;	/* TEST alias */
	if (zi->opcode == 0x63 && zi->mnemonic == ZYDIS_MNEMONIC_MOVSXD &&
	    !(zi->machine_mode == ZYDIS_MACHINE_MODE_LONG_64 && zi->raw.rex.W))
		return true;	/* MOVSXD r16/r32 */
	if (zi->opcode == 0x82)
		return true;	/* group-1 alias outside 64-bit mode */
	return false;
}

static bool is_string_mnemonic(ZydisMnemonic m)
{
	switch (m) {
	case ZYDIS_MNEMONIC_MOVSB: case ZYDIS_MNEMONIC_MOVSW:
	case ZYDIS_MNEMONIC_MOVSD: case ZYDIS_MNEMONIC_MOVSQ:
	case ZYDIS_MNEMONIC_STOSB: case ZYDIS_MNEMONIC_STOSW:
	case ZYDIS_MNEMONIC_STOSD: case ZYDIS_MNEMONIC_STOSQ:
	case ZYDIS_MNEMONIC_LODSB: case ZYDIS_MNEMONIC_LODSW:
	case ZYDIS_MNEMONIC_LODSD: case ZYDIS_MNEMONIC_LODSQ:
	case ZYDIS_MNEMONIC_CMPSB: case ZYDIS_MNEMONIC_CMPSW:
	case ZYDIS_MNEMONIC_CMPSD: case ZYDIS_MNEMONIC_CMPSQ:
	case ZYDIS_MNEMONIC_SCASB: case ZYDIS_MNEMONIC_SCASW:
	case ZYDIS_MNEMONIC_SCASD: case ZYDIS_MNEMONIC_SCASQ:
	case ZYDIS_MNEMONIC_INSB: case ZYDIS_MNEMONIC_INSW:
	case ZYDIS_MNEMONIC_INSD: case ZYDIS_MNEMONIC_OUTSB:
	case ZYDIS_MNEMONIC_OUTSW: case ZYDIS_MNEMONIC_OUTSD:
		return true;
	default:
		return false;
	}
}

static void compare_ok(enum x86_cpu_mode mode, const uint8_t *b, size_t n,
		       const struct x86_insn *in, bool zok,
		       const ZydisDecodedInstruction *zi,
		       const ZydisDecodedOperand *zo, struct stats *s)
{
	struct expect e;
	char d[160];
	ZydisRegister base;

	if (!zok) {
		report("we decode, Zydis refuses", mode, b, n,
		       x86_mmio_kind_str(in->kind));
		return;
	}
	if (!zydis_expect(zi, zo, &e)) {
		snprintf(d, sizeof(d), "Zydis: %s; we: %s",
			 ZydisMnemonicGetString(zi->mnemonic),
			 x86_mmio_kind_str(in->kind));
		report("different instruction", mode, b, n, d);
		return;
	}
	snprintf(d, sizeof(d),
		 "%s: len %u/%u kind %s/%s alu %s/%s size %u/%u reg %u/%u "
		 "high8 %d/%d rsize %u/%u ext %d/%d imm %#llx/%#llx",
		 ZydisMnemonicGetString(zi->mnemonic), in->len, zi->length,
		 x86_mmio_kind_str(in->kind), x86_mmio_kind_str(e.kind),
		 x86_alu_op_str(in->alu), x86_alu_op_str(e.alu), in->size,
		 e.size, in->reg, e.reg, in->reg_high8, e.high8, in->reg_size,
		 e.reg_size, in->ext, e.ext, (unsigned long long)in->imm,
		 (unsigned long long)e.imm);
	if (in->len != zi->length || in->kind != e.kind || in->alu != e.alu ||
	    in->size != e.size || in->ext != e.ext ||
	    in->has_reg != e.has_reg || in->has_imm != e.has_imm ||
	    (e.has_reg && (in->reg != e.reg || in->reg_high8 != e.high8 ||
			   in->reg_size != e.reg_size)) ||
	    (e.has_imm && in->imm != e.imm)) {
		report("fields differ", mode, b, n, d);
		return;
	}
	if (in->lock != !!(zi->attributes & ZYDIS_ATTRIB_HAS_LOCK)) {
		report("LOCK differs", mode, b, n, d);
		return;
	}
	if (in->addr_size * 8 != zi->address_width) {
		report("address size differs", mode, b, n, d);
		return;
	}
	base = e.mem->mem.base;
	if (in->rip_relative !=
	    (base == ZYDIS_REGISTER_RIP || base == ZYDIS_REGISTER_EIP)) {
		report("RIP-relative differs", mode, b, n, d);
		return;
	}
	s->agreed++;
	s->by_kind[in->kind]++;
}

static void check_one(enum x86_cpu_mode mode, const uint8_t *b, size_t n,
		      struct stats *s)
{
	ZydisDecodedInstruction zi;
	ZydisDecodedOperand zo[ZYDIS_MAX_OPERAND_COUNT];
	struct x86_insn in, again;
	enum x86_decode_status st;
	struct expect e;
	bool zok;

	st = x86_decode(b, n, mode, &in);
	zok = ZYAN_SUCCESS(ZydisDecoderDecodeFull(&decoders[mode], b, n, &zi, zo));
	s->inputs++;
	s->by_status[st]++;

	switch (st) {
	case X86_DECODE_OK:
		compare_ok(mode, b, n, &in, zok, &zi, zo, s);
		/* The exact bytes decode the same; one fewer is TRUNCATED. */
		if (x86_decode(b, in.len, mode, &again) != X86_DECODE_OK ||
		    memcmp(&again, &in, sizeof(in)) != 0)
			report("differs with exactly len bytes", mode, b, n, "");
		if (x86_decode(b, in.len - 1u, mode, &again) != X86_DECODE_TRUNCATED)
			report("len-1 bytes not TRUNCATED", mode, b, n, "");
		return;
	case X86_DECODE_TRUNCATED:
		if (n >= X86_MAX_INSN_LEN)
			report("TRUNCATED with 15 bytes", mode, b, n, "");
		else if (zok)
			report("TRUNCATED, Zydis decodes", mode, b, n,
			       ZydisMnemonicGetString(zi.mnemonic));
		return;
	case X86_DECODE_TOO_LONG:
	case X86_DECODE_INVALID:
		if (zok)
			report("refused as invalid/too long, Zydis decodes",
			       mode, b, n, ZydisMnemonicGetString(zi.mnemonic));
		return;
	case X86_DECODE_NOT_MEMORY:
		if (zok && has_mem_operand(&zi, zo))
			report("NOT_MEMORY, Zydis has a memory operand", mode,
			       b, n, ZydisMnemonicGetString(zi.mnemonic));
		return;
	case X86_DECODE_STRING:
		if (zok && !is_string_mnemonic(zi.mnemonic))
			report("STRING, Zydis says otherwise", mode, b, n,
			       ZydisMnemonicGetString(zi.mnemonic));
		return;
	default:
		break;
	}
	/* UNSUPPORTED, PREFIX: fine unless Zydis reads it as one we do. */
	if (zok && zydis_expect(&zi, zo, &e)) {
		if (refusal_explained(st, &zi))
			s->refused_explained++;
		else
			report("refused a supported instruction", mode, b, n,
			       ZydisMnemonicGetString(zi.mnemonic));
	}
}

static void print_stats(const char *name, const struct stats *s)
{
	printf("%s: %lu inputs, %lu decoded and agreed with Zydis "
	       "(read %lu, write %lu, write-imm %lu, alu-mem-reg %lu, "
	       "alu-reg-mem %lu, alu-mem-imm %lu, xchg %lu), "
	       "%lu deliberate refusals of Zydis-valid forms\n  refusals:",
	       name, s->inputs, s->agreed, s->by_kind[X86_MMIO_READ],
	       s->by_kind[X86_MMIO_WRITE], s->by_kind[X86_MMIO_WRITE_IMM],
	       s->by_kind[X86_MMIO_ALU_MEM_REG], s->by_kind[X86_MMIO_ALU_REG_MEM],
	       s->by_kind[X86_MMIO_ALU_MEM_IMM], s->by_kind[X86_MMIO_XCHG],
	       s->refused_explained);
	for (int i = 1; i <= X86_DECODE_BAD_ARGS; i++)
		if (s->by_status[i] != 0)
			printf(" %s %lu;",
			       x86_decode_status_str((enum x86_decode_status)i),
			       s->by_status[i]);
	printf("\n");
}

static int setup(void **state)
{
	(void)state;
	if (!ZYAN_SUCCESS(ZydisDecoderInit(&decoders[X86_MODE_64],
					   ZYDIS_MACHINE_MODE_LONG_64,
					   ZYDIS_STACK_WIDTH_64)) ||
	    !ZYAN_SUCCESS(ZydisDecoderInit(&decoders[X86_MODE_32],
					   ZYDIS_MACHINE_MODE_LEGACY_32,
					   ZYDIS_STACK_WIDTH_32)) ||
	    !ZYAN_SUCCESS(ZydisDecoderInit(&decoders[X86_MODE_16],
					   ZYDIS_MACHINE_MODE_LEGACY_16,
					   ZYDIS_STACK_WIDTH_16)))
		return -1;
	return 0;
}

/* ------------------------------------------------------------ inputs */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static unsigned rnd_below(unsigned n)
{
	return (unsigned)(rnd() % n);
}

/* Every opcode, one-byte and 0F, with every ModRM byte, under a few
 * prefix combinations; the bytes after ModRM are fixed. */
static void test_sweep(void **state)
{
	static const struct {
		uint8_t len;
		uint8_t b[3];
		bool only64;
	} pfx[] = {
		{ 0, { 0 }, false },
		{ 1, { 0x66 }, false },
		{ 1, { 0x67 }, false },
		{ 1, { 0xf0 }, false },
		{ 1, { 0xf3 }, false },
		{ 1, { 0x65 }, false },
		{ 2, { 0x66, 0x67 }, false },
		{ 1, { 0x48 }, true },
		{ 1, { 0x44 }, true },
		{ 1, { 0x41 }, true },
		{ 1, { 0x40 }, true },
		{ 2, { 0x66, 0x48 }, true },
		{ 2, { 0x48, 0x66 }, true },
		{ 2, { 0xf0, 0x4c }, true },
	};
	static const uint8_t tail[X86_MAX_INSN_LEN] = { 0x25, 0x81, 0x92, 0xa3, 0xb4, 0xc5,
					0xd6, 0xe7, 0xf8, 0x09, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e };
	struct stats s = { 0 };

	(void)state;
	mismatches = 0;
	for (int mode = X86_MODE_16; mode <= X86_MODE_64; mode++) {
		for (size_t p = 0; p < sizeof(pfx) / sizeof(pfx[0]); p++) {
			if (pfx[p].only64 && mode != X86_MODE_64)
				continue;
			for (unsigned map = 0; map < 2; map++) {
				for (unsigned op = 0; op < 256; op++) {
					for (unsigned modrm = 0; modrm < 256; modrm++) {
						uint8_t b[X86_MAX_INSN_LEN];
						size_t n = 0;

						memcpy(b, pfx[p].b, pfx[p].len);
						n = pfx[p].len;
						if (map)
							b[n++] = 0x0f;
						b[n++] = (uint8_t)op;
						b[n++] = (uint8_t)modrm;
						memcpy(b + n, tail, sizeof(b) - n);
						check_one((enum x86_cpu_mode)mode, b,
							  sizeof(b), &s);
					}
				}
			}
		}
	}
	print_stats("sweep", &s);
	if (mismatches != 0)
		fail_msg("%lu mismatches with Zydis", mismatches);
}

static const uint8_t legacy_prefixes[] = { 0x26, 0x2e, 0x36, 0x3e, 0x64,
					   0x65, 0x66, 0x67, 0xf0 };

/* Opcodes we handle, and neighbours and look-alikes we must refuse. */
static const uint16_t hot_opcodes[] = {
	0x00, 0x01, 0x02, 0x03, 0x08, 0x09, 0x0a, 0x0b, 0x10, 0x11, 0x12,
	0x13, 0x18, 0x19, 0x1a, 0x1b, 0x20, 0x21, 0x22, 0x23, 0x28, 0x29,
	0x2a, 0x2b, 0x30, 0x31, 0x32, 0x33, 0x38, 0x39, 0x3a, 0x3b, 0x63,
	0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a,
	0x8b, 0x8a, 0x8b, 0x88, 0x89, 0x8c, 0x8d, 0x8e, 0x8f, 0xa0, 0xa1,
	0xa2, 0xa3, 0xa4, 0xa5, 0xaa, 0xab, 0xc6, 0xc7, 0xc6, 0xc7, 0xf6,
	0xf7, 0xfe, 0xff, 0x04, 0x05, 0x3c, 0x3d, 0xa8, 0xa9, 0x90, 0xc4,
	0xc5, 0x62, 0x8f,
	0x0fb6, 0x0fb7, 0x0fbe, 0x0fbf, 0x0fb6, 0x0fb7, 0x0fb0, 0x0fb1,
	0x0fc0, 0x0fc1, 0x0fa3, 0x0fab, 0x0fb3, 0x0fbb, 0x0fba, 0x0f20,
	0x0f22, 0x0f10, 0x0f11, 0x0f6f, 0x0f7f, 0x0fc3, 0x0fc7, 0x0f18,
	0x0f1f, 0x0f0d, 0x0fae, 0x0f01,
};

static size_t gen_shaped(enum x86_cpu_mode mode, uint8_t *b)
{
	size_t n = 0;
	unsigned npfx = rnd_below(8) == 0 ? rnd_below(12) : rnd_below(4);
	bool rex = mode == X86_MODE_64 && rnd_below(2) == 0;
	uint16_t op;

	for (unsigned i = 0; i < npfx && n < 13; i++) {
		if (mode == X86_MODE_64 && rnd_below(10) == 0)
			b[n++] = (uint8_t)(0x40 | rnd_below(16)); /* stray REX */
		else if (rnd_below(16) == 0)
			b[n++] = rnd_below(2) ? 0xf2 : 0xf3;
		else
			b[n++] = legacy_prefixes[rnd_below(sizeof(legacy_prefixes))];
	}
	if (rex && n < 14)
		b[n++] = (uint8_t)(0x40 | rnd_below(16));
	if (rnd_below(8) == 0)
		op = rnd_below(4) == 0 ? (uint16_t)(0x0f00 | rnd_below(256))
				       : (uint16_t)rnd_below(256);
	else
		op = hot_opcodes[rnd_below(sizeof(hot_opcodes) / sizeof(hot_opcodes[0]))];
	if (op > 0xff && n < 14)
		b[n++] = 0x0f;
	if (n < 15)
		b[n++] = (uint8_t)op;
	if (n < 15) {
		/* ModRM: mostly memory forms, of every mod. */
		uint8_t mod = rnd_below(6) == 0 ? 3 : (uint8_t)rnd_below(3);
		uint8_t rm = rnd_below(3) == 0 ? 4 : rnd_below(4) == 0 ? 5
						   : (uint8_t)rnd_below(8);

		b[n++] = (uint8_t)(mod << 6 | rnd_below(8) << 3 | rm);
	}
	/* SIB, displacement, immediate and beyond: random. */
	while (n < 15)
		b[n++] = (uint8_t)rnd();
	return n;
}

static void test_random(void **state)
{
	const char *iters_env = getenv("VESTA_ORACLE_ITERS");
	const char *seed_env = getenv("VESTA_ORACLE_SEED");
	unsigned long long iters = iters_env ? strtoull(iters_env, NULL, 0)
					     : DEFAULT_ITERS;
	struct stats s = { 0 };

	(void)state;
	mismatches = 0;
	rng_state = seed_env ? strtoull(seed_env, NULL, 0) : 0x5eed1e55c0ffeeull;
	if (rng_state == 0)
		rng_state = 1;
	for (unsigned long long i = 0; i < iters; i++) {
		enum x86_cpu_mode mode = rnd_below(4) == 0 ? X86_MODE_32
					 : rnd_below(6) == 0 ? X86_MODE_16
							     : X86_MODE_64;
		uint8_t b[X86_MAX_INSN_LEN];
		size_t n;

		if (rnd_below(16) == 0) {
			for (size_t j = 0; j < sizeof(b); j++)
				b[j] = (uint8_t)rnd();
			n = sizeof(b);
		} else {
			n = gen_shaped(mode, b);
		}
		check_one(mode, b, n, &s);
		/* Now and then the same bytes cut short. */
		if (rnd_below(8) == 0)
			check_one(mode, b, rnd_below((unsigned)n), &s);
	}
	print_stats("random", &s);
	if (mismatches != 0)
		fail_msg("%lu mismatches with Zydis", mismatches);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sweep),
		cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
