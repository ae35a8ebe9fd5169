/*
 * Zifencei: self-modifying code.  Code is executed, rewritten with
 * stores, made visible with FENCE.I and executed again; the new
 * instructions must take effect.  Covers a patched instruction inside
 * .text, freshly generated code in a data buffer (32- and 16-bit
 * instructions), and a patch applied many times in a loop (a cached
 * translation must not survive FENCE.I).
 */
#include "test.h"

/* addi a0, zero, imm  (I-type, rd = a0 = x10) */
#define ADDI_A0(imm) ((((imm) & 0xfff) << 20) | (10 << 7) | 0x13)
#define RET          0x00008067           /* jalr x0, 0(ra) */
#define C_LI_A0(imm) (0x4001 | (10 << 7) | (((imm) & 0x1f) << 2) | ((((imm) >> 5) & 1) << 12))
#define C_JR_RA      0x8082

TEST_BEGIN
  /* ---- patch an instruction in place ---- */
  TEST 1
  call patch_site
  EXPECT a0, 1
  TEST 2
  la a1, patch_site
  li a2, ADDI_A0(2)
  sw a2, 0(a1)
  fence.i
  call patch_site
  EXPECT a0, 2
  TEST 3
  li a2, ADDI_A0(-5)
  sw a2, 0(a1)
  fence.i
  call patch_site
  EXPECT a0, -5

  /* ---- generate a function in a data buffer ---- */
  TEST 4
  la a1, code_buf
  li a2, ADDI_A0(42)
  sw a2, 0(a1)
  li a2, RET
  sw a2, 4(a1)
  fence.i
  jalr ra, 0(a1)
  EXPECT a0, 42
  TEST 5                            /* overwrite the same buffer */
  li a2, ADDI_A0(43)
  sw a2, 0(a1)
  fence.i
  jalr ra, 0(a1)
  EXPECT a0, 43
  TEST 6                            /* 16-bit instructions, written with halfword stores */
  li a2, C_LI_A0(-7)
  sh a2, 0(a1)
  li a2, C_JR_RA
  sh a2, 2(a1)
  fence.i
  jalr ra, 0(a1)
  EXPECT a0, -7
  TEST 7                            /* 32-bit instruction written as two halves at offset 2 */
  li a2, C_LI_A0(0)                 /* c.li a0, 0 ; then addi a0, zero, 99 ; ret */
  sh a2, 0(a1)
  li a2, ADDI_A0(99) & 0xffff
  sh a2, 2(a1)
  li a2, ADDI_A0(99) >> 16
  sh a2, 4(a1)
  li a2, RET & 0xffff
  sh a2, 6(a1)
  li a2, RET >> 16
  sh a2, 8(a1)
  fence.i
  jalr ra, 0(a1)
  EXPECT a0, 99

  /* ---- patch-execute loop: each iteration must see its own immediate ---- */
  TEST 8
  la a1, code_buf
  li a2, RET
  sw a2, 4(a1)
  li s0, 0                          /* iteration / expected value */
  li s1, 64
1:
  slli a2, s0, 20
  li a3, ADDI_A0(0)
  or a2, a2, a3
  sw a2, 0(a1)
  fence.i
  jalr ra, 0(a1)
  EXPECT_EQ a0, s0
  addi s0, s0, 1
  bne s0, s1, 1b

  /* ---- modify the very next instruction in straight-line code ---- */
  TEST 9
  la a1, .Lnext
  li a2, ADDI_A0(11)
  li a0, 0
  sw a2, 0(a1)
  fence.i
  .option push
  .option norvc
.Lnext:
  addi a0, zero, 10                 /* replaced by addi a0, zero, 11 */
  .option pop
  EXPECT a0, 11
TEST_END

  .text
  .align 2
  .option push
  .option norvc
patch_site:
  addi a0, zero, 1
  ret
  .option pop

  .data
  .align 4
code_buf:
  .zero 64
