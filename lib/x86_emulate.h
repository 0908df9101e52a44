/* Carrying out a decoded MMIO instruction (lib/x86_decode.h): general
 * register reads and writes at a width, the ALU operations with their
 * arithmetic flags, and x86_mmio_emulate, which does the whole instruction
 * through two callbacks for the device access. Pure code: the caller owns
 * the registers (an array in the order RAX RCX RDX RBX RSP RBP RSI RDI
 * R8..R15), RFLAGS and the device, and advances RIP by insn->len. */
#ifndef LIB_X86_EMULATE_H
#define LIB_X86_EMULATE_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/x86_decode.h"

#define X86_FLAG_CF (1u << 0)
#define X86_FLAG_PF (1u << 2)
#define X86_FLAG_AF (1u << 4)
#define X86_FLAG_ZF (1u << 6)
#define X86_FLAG_SF (1u << 7)
#define X86_FLAG_OF (1u << 11)
/* The flags an ALU operation sets; it leaves every other RFLAGS bit. */
#define X86_FLAGS_ARITH (X86_FLAG_CF | X86_FLAG_PF | X86_FLAG_AF | \
			 X86_FLAG_ZF | X86_FLAG_SF | X86_FLAG_OF)

/* dst OP src on `size` bytes (1, 2, 4, 8); returns the result truncated to
 * size and updates the arithmetic flags in *rflags as the CPU does (ADC and
 * SBB take CF from it). AF, undefined after AND/OR/XOR/TEST, is cleared.
 * For CMP and TEST the result is what SUB and AND would give. */
uint64_t x86_alu(enum x86_alu_op op, unsigned size, uint64_t dst,
		 uint64_t src, uint64_t *rflags);

/* The low `size` bytes of a register, or bits 15:8 if high8. */
uint64_t x86_gpr_get(uint64_t reg, unsigned size, bool high8);
/* The register after writing `val` at `size`: a 4-byte write clears bits
 * 63:32, a 1- or 2-byte write keeps the other bits. */
uint64_t x86_gpr_set(uint64_t reg, unsigned size, bool high8, uint64_t val);

/* The device side of an access at the faulting address: `size` bytes,
 * the value in the low bits. false makes x86_mmio_emulate stop. */
struct x86_mmio_ops {
	bool (*read)(void *ctx, unsigned size, uint64_t *val);
	bool (*write)(void *ctx, unsigned size, uint64_t val);
};

enum x86_emulate_status {
	X86_EMULATE_OK = 0,
	X86_EMULATE_READ_FAILED,
	X86_EMULATE_WRITE_FAILED,
	X86_EMULATE_BAD_INSN,	/* not a decoder result */
};

/* Performs insn: the device read (if any) comes first, then the write (if
 * any); registers and flags change only when both succeeded. */
enum x86_emulate_status x86_mmio_emulate(const struct x86_insn *insn,
					 uint64_t gpr[16], uint64_t *rflags,
					 const struct x86_mmio_ops *ops,
					 void *ctx);

const char *x86_emulate_status_str(enum x86_emulate_status s);

#endif
