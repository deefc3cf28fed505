/*
 * Building eBPF instructions in C for tests and benchmarks: one macro per instruction form, each
 * an expression of type struct bpf_insn (ASM_LD_IMM64 is two, comma-separated, for use inside an
 * array initializer). Registers are numbers 0-10; offsets are in instructions for jumps and in
 * bytes for memory. Macros only, so that any test program (host, kernel or user) can include it.
 *
 *   static const struct bpf_insn prog[] = {
 *           ASM_MOV64_IMM(0, 1),
 *           ASM_JMP_IMM(BPF_JEQ, 1, 0, 1),
 *           ASM_MOV64_IMM(0, 2),
 *           ASM_EXIT(),
 *   };
 */
#ifndef TESTS_HOST_BPF_ASM_H
#define TESTS_HOST_BPF_ASM_H

#include <stdint.h>

/* Relative, so that user test programs (built without -I.) can include this file too. */
#include "../../kernel/bpf/exec.h"
#include "uapi/linux/bpf.h"

#define ASM_INSN(code_, dst_, src_, off_, imm_)      \
	((struct bpf_insn){.code = (uint8_t)(code_), \
			   .dst_reg = (dst_),        \
			   .src_reg = (src_),        \
			   .off = (int16_t)(off_),   \
			   .imm = (int32_t)(imm_)})

/* ALU: op is BPF_ADD, BPF_DIV...; off selects the signed division forms (1) and MOVSX (8/16/32). */
#define ASM_ALU64_IMM(op, dst, imm) ASM_INSN(BPF_ALU64 | BPF_K | (op), dst, 0, 0, imm)
#define ASM_ALU64_REG(op, dst, src) ASM_INSN(BPF_ALU64 | BPF_X | (op), dst, src, 0, 0)
#define ASM_ALU32_IMM(op, dst, imm) ASM_INSN(BPF_ALU | BPF_K | (op), dst, 0, 0, imm)
#define ASM_ALU32_REG(op, dst, src) ASM_INSN(BPF_ALU | BPF_X | (op), dst, src, 0, 0)
#define ASM_ALU64_IMM_OFF(op, off, dst, imm) ASM_INSN(BPF_ALU64 | BPF_K | (op), dst, 0, off, imm)
#define ASM_ALU64_REG_OFF(op, off, dst, src) ASM_INSN(BPF_ALU64 | BPF_X | (op), dst, src, off, 0)
#define ASM_ALU32_IMM_OFF(op, off, dst, imm) ASM_INSN(BPF_ALU | BPF_K | (op), dst, 0, off, imm)
#define ASM_ALU32_REG_OFF(op, off, dst, src) ASM_INSN(BPF_ALU | BPF_X | (op), dst, src, off, 0)
#define ASM_MOV64_IMM(dst, imm) ASM_ALU64_IMM(BPF_MOV, dst, imm)
#define ASM_MOV64_REG(dst, src) ASM_ALU64_REG(BPF_MOV, dst, src)
#define ASM_MOV32_IMM(dst, imm) ASM_ALU32_IMM(BPF_MOV, dst, imm)
#define ASM_MOV32_REG(dst, src) ASM_ALU32_REG(BPF_MOV, dst, src)
#define ASM_MOVSX64(dst, src, bits) ASM_ALU64_REG_OFF(BPF_MOV, bits, dst, src)
#define ASM_MOVSX32(dst, src, bits) ASM_ALU32_REG_OFF(BPF_MOV, bits, dst, src)
#define ASM_NEG64(dst) ASM_ALU64_IMM(BPF_NEG, dst, 0)
#define ASM_NEG32(dst) ASM_ALU32_IMM(BPF_NEG, dst, 0)
/* Byte order: to little- or big-endian (ALU), or an unconditional swap (ALU64); bits 16/32/64. */
#define ASM_LE(dst, bits) ASM_INSN(BPF_ALU | BPF_END | BPF_TO_LE, dst, 0, 0, bits)
#define ASM_BE(dst, bits) ASM_INSN(BPF_ALU | BPF_END | BPF_TO_BE, dst, 0, 0, bits)
#define ASM_BSWAP(dst, bits) ASM_INSN(BPF_ALU64 | BPF_END, dst, 0, 0, bits)

/* The 64-bit constant v: two instruction slots. */
#define ASM_LD_IMM64(dst, v)                                                     \
	ASM_INSN(BPF_LD | BPF_IMM | BPF_DW, dst, 0, 0, (uint32_t)(uint64_t)(v)), \
		ASM_INSN(0, 0, 0, 0, (uint32_t)((uint64_t)(v) >> 32))

/* Memory; size is BPF_B, BPF_H, BPF_W or BPF_DW. */
#define ASM_LDX(size, dst, src, off) ASM_INSN(BPF_LDX | BPF_MEM | (size), dst, src, off, 0)
#define ASM_LDXS(size, dst, src, off) ASM_INSN(BPF_LDX | BPF_MEMSX | (size), dst, src, off, 0)
#define ASM_PROBE(size, dst, src, off) ASM_INSN(BPF_LDX | BPF_PROBE_MEM | (size), dst, src, off, 0)
#define ASM_PROBES(size, dst, src, off) \
	ASM_INSN(BPF_LDX | BPF_PROBE_MEMSX | (size), dst, src, off, 0)
#define ASM_ST(size, dst, off, imm) ASM_INSN(BPF_ST | BPF_MEM | (size), dst, 0, off, imm)
#define ASM_STX(size, dst, src, off) ASM_INSN(BPF_STX | BPF_MEM | (size), dst, src, off, 0)
/* op: BPF_ADD/OR/AND/XOR, optionally | BPF_FETCH, or BPF_XCHG, BPF_CMPXCHG; size BPF_W or BPF_DW. */
#define ASM_ATOMIC(size, op, dst, src, off) \
	ASM_INSN(BPF_STX | BPF_ATOMIC | (size), dst, src, off, op)

/* Jumps: off is relative to the next instruction. */
#define ASM_JA(off) ASM_INSN(BPF_JMP | BPF_JA, 0, 0, off, 0)
#define ASM_GOTOL(imm) ASM_INSN(BPF_JMP32 | BPF_JA, 0, 0, 0, imm)
#define ASM_JMP_IMM(op, dst, imm, off) ASM_INSN(BPF_JMP | BPF_K | (op), dst, 0, off, imm)
#define ASM_JMP_REG(op, dst, src, off) ASM_INSN(BPF_JMP | BPF_X | (op), dst, src, off, 0)
#define ASM_JMP32_IMM(op, dst, imm, off) ASM_INSN(BPF_JMP32 | BPF_K | (op), dst, 0, off, imm)
#define ASM_JMP32_REG(op, dst, src, off) ASM_INSN(BPF_JMP32 | BPF_X | (op), dst, src, off, 0)
#define ASM_CALL_HELPER(n) ASM_INSN(BPF_JMP | BPF_CALL, 0, 0, 0, n)
/* bpf-to-bpf call to the instruction rel after the next one. */
#define ASM_CALL_LOCAL(rel) ASM_INSN(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, rel)
#define ASM_EXIT() ASM_INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/* LD_IMM64 with a pseudo source (BPF_PSEUDO_MAP_FD...): imm in the first slot, imm2 in the second. */
#define ASM_LD_PSEUDO(dst, src, imm, imm2) \
	ASM_INSN(BPF_LD | BPF_IMM | BPF_DW, dst, src, 0, imm), ASM_INSN(0, 0, 0, 0, imm2)
#define ASM_LD_MAP_FD(dst, fd) ASM_LD_PSEUDO(dst, BPF_PSEUDO_MAP_FD, fd, 0)
/* BPF_PSEUDO_FUNC: the function rel instructions after this LD_IMM64's second slot. */
#define ASM_LD_FUNC(dst, rel) ASM_LD_PSEUDO(dst, BPF_PSEUDO_FUNC, rel, 0)
#define ASM_CALL_KFUNC(btf_id) ASM_INSN(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, 0, btf_id)

#endif
