/* Decoder for the x86 instructions that guests use on MMIO: the hypervisor
 * decodes the instruction behind a nested page fault itself, since the CPUs
 * it runs on may have neither decode assists nor NRIP save (DESIGN.md). It
 * decodes only the small set below and gives a status for anything else,
 * never a wrong decode: the caller crashes the domain on a refusal.
 *
 * Supported, each with a memory operand (a ModRM register form is refused):
 *   MOV    88 89 8A 8B, A0-A3 (moffs), C6 /0 ib, C7 /0 iz
 *   MOVZX  0F B6, 0F B7        MOVSX  0F BE, 0F BF     MOVSXD REX.W 63 (64-bit)
 *   ADD OR ADC SBB AND SUB XOR CMP  00-3B (the /r forms), 80 81 83 /0-/7
 *   TEST   84 85, F6 /0 ib, F7 /0 iz
 *   XCHG   86 87
 * with the prefixes 66, 67, the six segment overrides, LOCK (where the
 * instruction allows it) and REX. See docs/mmio-decoding.md.
 *
 * The decoder is pure and reads no byte at or past the count it is given. */
#ifndef LIB_X86_DECODE_H
#define LIB_X86_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The architectural limit: a longer instruction raises #GP. */
#define X86_MAX_INSN_LEN 15

/* The default operand and address size of the code segment: 64-bit mode
 * (long mode, CS.L=1), 32-bit (CS.D=1 in protected or compatibility mode),
 * 16-bit (real mode, virtual-8086, or CS.D=0). */
enum x86_cpu_mode {
	X86_MODE_16,
	X86_MODE_32,
	X86_MODE_64,
};

enum x86_decode_status {
	X86_DECODE_OK = 0,
	X86_DECODE_TRUNCATED,	/* the bytes end mid-instruction: fetch more */
	X86_DECODE_TOO_LONG,	/* over 15 bytes (#GP on hardware) */
	X86_DECODE_UNSUPPORTED,	/* an opcode this decoder does not handle */
	X86_DECODE_STRING,	/* MOVS, STOS, LODS, CMPS, SCAS, INS, OUTS */
	X86_DECODE_NOT_MEMORY,	/* the ModRM operand is a register */
	X86_DECODE_PREFIX,	/* F2/F3 (REP, XACQUIRE/XRELEASE) present */
	X86_DECODE_INVALID,	/* an undefined encoding (#UD), e.g. LOCK MOV */
	X86_DECODE_BAD_ARGS,	/* NULL pointer or unknown mode */
};

/* What the instruction does with the MMIO location (mem), a general
 * register (reg) and its immediate (imm). */
enum x86_mmio_kind {
	X86_MMIO_READ,		/* reg = ext(mem): MOV, MOVZX, MOVSX, MOVSXD */
	X86_MMIO_WRITE,		/* mem = reg */
	X86_MMIO_WRITE_IMM,	/* mem = imm */
	X86_MMIO_ALU_MEM_REG,	/* mem = mem OP reg (CMP, TEST: flags only) */
	X86_MMIO_ALU_REG_MEM,	/* reg = reg OP mem (CMP: flags only) */
	X86_MMIO_ALU_MEM_IMM,	/* mem = mem OP imm (CMP, TEST: flags only) */
	X86_MMIO_XCHG,		/* tmp = mem; mem = reg; reg = tmp */
};

/* The first eight in the order of the group-1 ModRM.reg field. */
enum x86_alu_op {
	X86_ALU_ADD,
	X86_ALU_OR,
	X86_ALU_ADC,
	X86_ALU_SBB,
	X86_ALU_AND,
	X86_ALU_SUB,
	X86_ALU_XOR,
	X86_ALU_CMP,
	X86_ALU_TEST,
	X86_ALU_NONE,		/* not an ALU kind */
};

/* How a read narrower than its register is widened. */
enum x86_extend {
	X86_EXT_NONE,		/* reg_size == size */
	X86_EXT_ZERO,		/* MOVZX */
	X86_EXT_SIGN,		/* MOVSX, MOVSXD */
};

/* Segment override prefixes, in their architectural (Sreg) order. */
enum x86_seg {
	X86_SEG_ES,
	X86_SEG_CS,
	X86_SEG_SS,
	X86_SEG_DS,
	X86_SEG_FS,
	X86_SEG_GS,
	X86_SEG_NONE,
};

struct x86_insn {
	uint8_t len;		/* total length, prefixes included */
	enum x86_mmio_kind kind;
	enum x86_alu_op alu;	/* X86_ALU_NONE unless kind is an ALU kind */
	uint8_t size;		/* bytes of the memory access: 1, 2, 4 or 8 */
	/* The register operand (not for WRITE_IMM and ALU_MEM_IMM, where these
	 * are 0/false): a GPR index in the order RAX RCX RDX RBX RSP RBP RSI
	 * RDI R8..R15. reg_high8 means bits 15:8 of GPR reg (AH CH DH BH,
	 * reg 0-3), which only a byte operand without any REX prefix names. */
	uint8_t reg;
	bool reg_high8;
	bool has_reg;
	/* The register operand's width: equal to size, except for MOVZX and
	 * MOVSX/MOVSXD reads (ext), where it is wider. */
	uint8_t reg_size;
	enum x86_extend ext;
	/* The immediate (WRITE_IMM, ALU_MEM_IMM), sign-extended as the
	 * instruction does and truncated to `size` bytes. */
	uint64_t imm;
	bool has_imm;
	/* Details, for logs and checks; the fault gives the address itself. */
	uint16_t opcode;	/* 0x88, 0xc7, 0x0fb6 ... */
	uint8_t addr_size;	/* 2, 4 or 8 */
	enum x86_seg seg;	/* the last segment override, or NONE */
	bool lock;
	bool rip_relative;	/* 64-bit mode ModRM disp32(%rip) */
	uint8_t rex;		/* the REX prefix in effect, 0 if none */
};

/* Decodes the instruction starting at bytes[0]; `avail` is how many bytes
 * are readable there (at most 15 are looked at). On X86_DECODE_OK fills
 * *out; on any other status *out is left undefined. X86_DECODE_TRUNCATED
 * means more bytes would be needed (only possible when avail < 15). */
enum x86_decode_status x86_decode(const uint8_t *bytes, size_t avail,
				  enum x86_cpu_mode mode, struct x86_insn *out);

/* Whether the instruction reads or writes the MMIO location: CMP and TEST
 * only read; a MOV to memory only writes. */
bool x86_insn_reads_mem(const struct x86_insn *insn);
bool x86_insn_writes_mem(const struct x86_insn *insn);

const char *x86_decode_status_str(enum x86_decode_status s);
const char *x86_mmio_kind_str(enum x86_mmio_kind k);
const char *x86_alu_op_str(enum x86_alu_op op);

#endif
