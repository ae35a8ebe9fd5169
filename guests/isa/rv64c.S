/*
 * RV64C: every compressed instruction, written with explicit c.* mnemonics
 * so the assembler must emit the 16-bit form: loads/stores (incl. C.FLD,
 * C.FSD, C.FLDSP, C.FSDSP, C.LDSP, C.SDSP), immediates at their limits,
 * C.ADDIW / C.ADDW / C.SUBW sign extension, shifts by 1 and 63, jumps and
 * links (pc + 2), branches both ways, C.EBREAK, and the all-zero 16-bit
 * instruction plus reserved encodings trapping as illegal with the
 * instruction bits in mtval.
 */
#include "test.h"

TEST_BEGIN
  mv tp, sp                         /* sp is repointed at cdata for the SP forms */

  /* ---- CI / CR arithmetic ---- */
  TEST 1
  li a0, 100
  c.addi a0, -32
  EXPECT a0, 68
  c.addi a0, 31
  EXPECT a0, 99
  TEST 2
  c.li a0, -32
  EXPECT a0, -32
  c.li a1, 31
  EXPECT a1, 31
  TEST 3
  c.lui a0, 0xfffe0                  /* nzimm = -32: sign-extended */
  EXPECT a0, 0xfffffffffffe0000
  c.lui a1, 1
  EXPECT a1, 0x1000
  c.lui a2, 31
  EXPECT a2, 0x1f000
  TEST 4
  li a0, 0x7fffffff
  c.addiw a0, 1                     /* 32-bit add, sign-extended */
  EXPECT a0, 0xffffffff80000000
  li a1, 0x1ffffffff
  c.addiw a1, 0                     /* sext.w */
  EXPECT a1, 0xffffffffffffffff
  li a2, 0
  c.addiw a2, -32
  EXPECT a2, -32
  TEST 5
  li a0, 1
  c.slli a0, 63
  EXPECT a0, 0x8000000000000000
  li a1, 3
  c.slli a1, 1
  EXPECT a1, 6
  TEST 6
  li a0, 0x8000000000000000
  c.srli a0, 63
  EXPECT a0, 1
  li a1, 0x8000000000000000
  c.srai a1, 63
  EXPECT a1, -1
  li a2, 0x8000000000000000
  c.srai a2, 1
  EXPECT a2, 0xc000000000000000
  li a3, 0x8000000000000000
  c.srli a3, 1
  EXPECT a3, 0x4000000000000000
  TEST 7
  li a0, 0x1234
  c.andi a0, -32                    /* imm sign-extends to ...ffe0 */
  EXPECT a0, 0x1220
  li a1, 0xff
  c.andi a1, 15
  EXPECT a1, 0xf
  TEST 8
  li a0, 10
  li a1, 3
  c.sub a0, a1
  EXPECT a0, 7
  li a0, 0xff00
  li a1, 0x0ff0
  c.xor a0, a1
  EXPECT a0, 0xf0f0
  li a0, 0xff00
  c.or a0, a1
  EXPECT a0, 0xfff0
  li a0, 0xff00
  c.and a0, a1
  EXPECT a0, 0x0f00
  TEST 9
  li a0, 0x7fffffff
  li a1, 1
  c.addw a0, a1
  EXPECT a0, 0xffffffff80000000
  li a0, 0x100000000
  li a1, 1
  c.subw a0, a1                     /* 0 - 1 in 32 bits */
  EXPECT a0, -1
  TEST 10
  li a0, 0x123456789
  c.mv a1, a0
  EXPECT a1, 0x123456789
  li a2, 0x1000000000
  c.add a2, a0
  EXPECT a2, 0x1123456789
  TEST 11
  li a0, 5
  c.nop
  EXPECT a0, 5

  /* ---- stack-pointer forms ---- */
  la sp, cdata
  TEST 12
  c.addi4spn a0, sp, 1020
  la a1, cdata + 1020
  EXPECT_EQ a0, a1
  c.addi4spn a0, sp, 4
  la a1, cdata + 4
  EXPECT_EQ a0, a1
  TEST 13
  c.addi16sp sp, 496
  la a1, cdata + 496
  EXPECT_EQ sp, a1
  c.addi16sp sp, -512
  la a1, cdata - 16
  EXPECT_EQ sp, a1
  la sp, cdata
  TEST 14
  c.lwsp a0, 0(sp)                  /* sign-extends */
  EXPECT a0, 0xffffffff89abcdef
  c.lwsp a1, 252(sp)
  EXPECT a1, 0x48474645
  TEST 15
  c.ldsp a0, 0(sp)
  EXPECT a0, 0x0123456789abcdef
  c.ldsp a1, 504(sp)
  EXPECT a1, 0x5857565554535251
  TEST 16
  la sp, cscratch
  li a0, 0x1122334455667788
  c.sdsp a0, 16(sp)
  c.swsp a0, 24(sp)
  ld a1, 16(sp)
  EXPECT a1, 0x1122334455667788
  lwu a1, 24(sp)
  EXPECT a1, 0x55667788
  c.sdsp a0, 504(sp)
  ld a1, 504(sp)
  EXPECT a1, 0x1122334455667788
  c.swsp a0, 252(sp)
  lwu a1, 252(sp)
  EXPECT a1, 0x55667788
  la sp, cdata
  TEST 17
  c.fldsp fa0, 8(sp)
  fmv.x.d a0, fa0
  EXPECT a0, 0x3ff8000000000000     /* 1.5 */
  c.fsdsp fa0, 496(sp)
  ld a1, 496(sp)
  EXPECT a1, 0x3ff8000000000000
  mv sp, tp

  /* ---- register-based loads / stores (x8..x15, f8..f15) ---- */
  TEST 18
  la s0, cdata
  c.lw a0, 0(s0)
  EXPECT a0, 0xffffffff89abcdef
  c.lw a1, 4(s0)
  EXPECT a1, 0x01234567
  c.lw a2, 124(s0)
  EXPECT a2, 0x403f3e3d
  TEST 19
  c.ld a0, 0(s0)
  EXPECT a0, 0x0123456789abcdef
  c.ld a1, 248(s0)
  EXPECT a1, 0x4847464544434241
  TEST 20
  la s1, cscratch
  li a0, 0x0102030405060708
  c.sd a0, 8(s1)
  c.sw a0, 0(s1)
  ld a1, 8(s1)
  EXPECT a1, 0x0102030405060708
  lwu a1, 0(s1)
  EXPECT a1, 0x05060708
  c.sd a0, 248(s1)
  ld a1, 248(s1)
  EXPECT a1, 0x0102030405060708
  c.sw a0, 124(s1)
  lwu a1, 124(s1)
  EXPECT a1, 0x05060708
  TEST 21
  c.fld fs0, 8(s0)
  fmv.x.d a0, fs0
  EXPECT a0, 0x3ff8000000000000
  c.fsd fs0, 16(s1)
  ld a1, 16(s1)
  EXPECT a1, 0x3ff8000000000000
  c.fld fa5, 248(s0)
  c.fsd fa5, 248(s1)
  ld a1, 248(s1)
  EXPECT a1, 0x4847464544434241

  /* ---- jumps and branches ---- */
  TEST 22
  li a0, 0
  c.j .Lcj
  li a0, 1
.Lcj:
  EXPECT a0, 0
  TEST 23
  la a1, .Lcjr
  li a0, 0
  c.jr a1
  li a0, 1
.Lcjr:
  EXPECT a0, 0
  TEST 24
  la a1, .Lcjalr
  c.jalr a1
.Lcjalr_ret:
  j fail
.Lcjalr:
  la a0, .Lcjalr_ret
  EXPECT_EQ ra, a0                  /* link = pc + 2 */
  TEST 25
  li a0, 0
  c.beqz a0, .Lbeqz1
  j fail
.Lbeqz1:
  li a0, 1
  c.beqz a0, .Lbeqz_bad
  j .Lbeqz_ok
.Lbeqz_bad:
  j fail
.Lbeqz_ok:
  TEST 26
  li a0, 0x100000000                /* all 64 bits are tested */
  c.bnez a0, .Lbnez1
  j fail
.Lbnez1:
  li a0, 0
  c.bnez a0, .Lbnez_bad
  j .Lbnez_ok
.Lbnez_bad:
  j fail
.Lbnez_ok:
  TEST 27                           /* backward compressed branch loop */
  li a0, 4
  li a1, 0
1:
  c.addi a1, 2
  c.addi a0, -1
  c.bnez a0, 1b
  EXPECT a1, 8

  /* ---- breakpoint and illegal encodings ---- */
  TEST 28
  TRAP CAUSE_BREAKPOINT, c.ebreak
  TEST 29
  TRAP_TVAL CAUSE_ILLEGAL, 0, .half 0x0000     /* defined illegal instruction */
  TEST 30
  TRAP_TVAL CAUSE_ILLEGAL, 0x0004, .half 0x0004 /* C.ADDI4SPN, nzuimm = 0 */
  TEST 31
  TRAP_TVAL CAUSE_ILLEGAL, 0x6501, .half 0x6501 /* C.LUI, nzimm = 0 */
  TEST 32
  TRAP_TVAL CAUSE_ILLEGAL, 0x6101, .half 0x6101 /* C.ADDI16SP, nzimm = 0 */
  TEST 33
  TRAP_TVAL CAUSE_ILLEGAL, 0x4002, .half 0x4002 /* C.LWSP, rd = x0 */
  TEST 34
  TRAP_TVAL CAUSE_ILLEGAL, 0x6002, .half 0x6002 /* C.LDSP, rd = x0 */
  TEST 35
  TRAP_TVAL CAUSE_ILLEGAL, 0x8002, .half 0x8002 /* C.JR, rs1 = x0 */
TEST_END

  .data
  .align 4
cdata:                              /* 512 bytes, values at the offsets used */
  .dword 0x0123456789abcdef           /* 0 */
  .dword 0x3ff8000000000000           /* 8: 1.5 */
  .zero 120 - 16
  .dword 0x403f3e3d3c3b3a39           /* 120 */
  .zero 248 - 128
  .dword 0x4847464544434241           /* 248 */
  .zero 504 - 256
  .dword 0x5857565554535251           /* 504 */
cscratch:
  .zero 512
