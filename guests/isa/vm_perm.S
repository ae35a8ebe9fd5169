/*
 * Sv39 permission checks and page-table maintenance: R/W/X on leaves
 * (store to read-only, load from execute-only, fetch from non-X), the
 * reserved W-without-R encodings, V = 0 and a pointer PTE at the last
 * level, the U bit (S may not touch U pages unless sstatus.SUM, and may
 * never execute them; U may only use U pages), MXR making execute-only
 * pages readable, hardware A/D updates visible in the PTE, SFENCE.VMA
 * (global, by address, by address + ASID) making PTE changes visible,
 * MPRV with MPP = S/U/M for M-mode loads and stores, and satp ignoring a
 * write with an unsupported MODE (WARL).
 */
#include "test.h"
#include "vm.h"

#define MARK_A 0xa1a2a3a4a5a6a7a8
#define MARK_B 0xb1b2b3b4b5b6b7b8
#define MARK_P 0x5eed5eed5eed5eed
#define FAR_PA 0x80200000                 /* RAM, but outside the identity map */
#define XR (PTE_V | PTE_X | PTE_A)        /* execute-only */

/* call the function at the address in reg; it must return 42 */
.macro CALL_X reg
  li a0, 0
  jalr ra, 0(\reg)
  EXPECT a0, 42
.endm

/* mstatus.MPP := mode (M code) */
.macro SET_MPP mode
  li t0, MSTATUS_MPP
  csrc mstatus, t0
  li t0, (\mode) << MPP_SHIFT
  csrs mstatus, t0
.endm

TEST_BEGIN
  li a0, MARK_P
  la a1, perm_page
  sd a0, 0(a1)
  li a0, MARK_A
  la a1, data_a
  sd a0, 0(a1)
  li a0, MARK_B
  la a1, data_b
  sd a0, 0(a1)
  li a0, 0xfa
  li a1, FAR_PA
  sd a0, 0(a1)
  BUILD_SV39
  ENABLE_SV39
  ENTER_MODE PRV_S
  li s0, TPAGE(0)                   /* data page under test */
  li s1, TPAGE(1)                   /* code page under test */

  /* ---- R / W / X ---- */
  TEST 1                            /* read-only */
  TPTE 0, perm_page, PTE_V | PTE_R | PTE_A
  ld a0, 0(s0)
  EXPECT a0, MARK_P
  TRAP_AT CAUSE_STORE_PAGE_FAULT, s0, sd a0, 0(s0)
  TEST 2                            /* not executable */
  TPTE 1, xpage, PTE_V | PTE_R | PTE_A
  TRAP_FETCH CAUSE_FETCH_PAGE_FAULT, s1
  TEST 3                            /* read-write */
  TPTE 0, perm_page, LEAF_RW
  li a1, 0x1234
  sd a1, 8(s0)
  ld a0, 8(s0)
  EXPECT a0, 0x1234
  TEST 4                            /* execute-only: runs, cannot be read */
  TPTE 1, xpage, XR
  CALL_X s1
  TRAP_AT CAUSE_LOAD_PAGE_FAULT, s1, lw a0, 0(s1)
  TEST 5                            /* ...unless MXR is set */
  li t0, MSTATUS_MXR
  csrs sstatus, t0
  lw a0, 0(s1)
  la a1, xpage
  lw a1, 0(a1)
  EXPECT_EQ a0, a1
  TRAP_AT CAUSE_STORE_PAGE_FAULT, s1, sw a0, 0(s1)   /* MXR does not grant W */
  li t0, MSTATUS_MXR
  csrc sstatus, t0
  TEST 6                            /* W without R is reserved: every access faults */
  TPTE 0, perm_page, PTE_V | PTE_W | PTE_A | PTE_D
  TRAP_AT CAUSE_LOAD_PAGE_FAULT, s0, ld a0, 0(s0)
  TEST 7
  TRAP_AT CAUSE_STORE_PAGE_FAULT, s0, sd a0, 0(s0)
  TEST 8
  TPTE 1, xpage, PTE_V | PTE_W | PTE_X | PTE_A | PTE_D
  TRAP_FETCH CAUSE_FETCH_PAGE_FAULT, s1
  TEST 9                            /* V = 0, whatever the other bits say */
  TPTE 0, perm_page, LEAF_RWX & ~PTE_V
  TRAP_AT CAUSE_LOAD_PAGE_FAULT, s0, ld a0, 0(s0)
  TEST 10                           /* a pointer at level 0 is not a leaf */
  TPTE 0, perm_page, PTE_V
  TRAP_AT CAUSE_LOAD_PAGE_FAULT, s0, ld a0, 0(s0)

  /* ---- U pages seen from S ---- */
  TEST 11
  TPTE 0, perm_page, LEAF_RW | PTE_U
  TRAP_AT CAUSE_LOAD_PAGE_FAULT, s0, ld a0, 0(s0)
  TEST 12
  TRAP_AT CAUSE_STORE_PAGE_FAULT, s0, sd a0, 0(s0)
  TEST 13                           /* SUM lets S load and store */
  li t0, MSTATUS_SUM
  csrs sstatus, t0
  ld a0, 0(s0)
  EXPECT a0, MARK_P
  sd a0, 16(s0)
  TEST 14                           /* but never execute */
  TPTE 1, xpage, XR | PTE_U | PTE_R
  TRAP_FETCH CAUSE_FETCH_PAGE_FAULT, s1
  li t0, MSTATUS_SUM
  csrc sstatus, t0

  /* ---- hardware A/D updates ---- */
  TEST 15                           /* a load sets A only */
  TPTE 2, ad_page, PTE_V | PTE_R | PTE_W
  li a1, TPAGE(2)
  ld a0, 0(a1)
  READ_TPTE 2
  andi a0, a0, PTE_A | PTE_D
  EXPECT a0, PTE_A
  TEST 16                           /* a store sets D */
  sd a1, 0(a1)
  READ_TPTE 2
  andi a0, a0, PTE_A | PTE_D
  EXPECT a0, PTE_A | PTE_D
  TEST 17                           /* a store to a never-accessed page sets both */
  TPTE 2, ad_page, PTE_V | PTE_R | PTE_W
  sd a1, 8(a1)
  READ_TPTE 2
  andi a0, a0, PTE_A | PTE_D
  EXPECT a0, PTE_A | PTE_D
  TEST 18                           /* a fetch sets A */
  TPTE 1, xpage, PTE_V | PTE_X
  CALL_X s1
  READ_TPTE 1
  andi a0, a0, PTE_A | PTE_D
  EXPECT a0, PTE_A
  TEST 19                           /* a megapage leaf too */
  LEAF_PA l1_t, 1, FAR_PA, PTE_V | PTE_R
  sfence.vma
  li a1, TWINDOW + 0x200000
  ld a0, 0(a1)
  EXPECT a0, 0xfa
  la a0, l1_t
  ld a0, 8(a0)
  andi a0, a0, PTE_A | PTE_D
  EXPECT a0, PTE_A

  /* ---- SFENCE.VMA ---- */
  TEST 20
  li a1, TPAGE(3)
  TPTE 3, data_a, LEAF_RW
  ld a0, 0(a1)
  EXPECT a0, MARK_A
  la a0, data_b                     /* remap, flush just that address */
  PA_TO_PTE a0, LEAF_RW
  la a2, l0_t
  sd a0, 3 * 8(a2)
  sfence.vma a1, zero
  ld a0, 0(a1)
  EXPECT a0, MARK_B
  TEST 21                           /* invalidate, global flush */
  sd zero, 3 * 8(a2)
  sfence.vma zero, zero
  TRAP_AT CAUSE_LOAD_PAGE_FAULT, a1, ld a0, 0(a1)
  TEST 22                           /* by address and ASID 0 */
  la a0, data_a
  PA_TO_PTE a0, LEAF_RW
  sd a0, 3 * 8(a2)
  sfence.vma a1, zero
  li a3, 0
  sfence.vma a1, a3
  ld a0, 0(a1)
  EXPECT a0, MARK_A

  /* ---- satp ignores an unsupported MODE (WARL) ---- */
  TEST 23
  csrr a1, satp
  la a2, root
  srli a2, a2, 12
  li t0, 5 << 60                    /* reserved mode */
  or a0, a2, t0
  csrw satp, a0
  csrr a0, satp
  EXPECT_EQ a0, a1
  TEST 24
  li t0, 1 << 60
  or a0, a2, t0
  csrw satp, a0
  csrr a0, satp
  EXPECT_EQ a0, a1
  li a1, TPAGE(3)                   /* still translating */
  ld a0, 0(a1)
  EXPECT a0, MARK_A
  RETURN_TO_M

  /* ---- MPRV: M-mode loads and stores translated as MPP ---- */
  TEST 25
  TPTE 0, perm_page, LEAF_RW
  SET_MPP PRV_S
  li t0, MSTATUS_MPRV
  csrs mstatus, t0
  li a1, TPAGE(0)
  ld a0, 0(a1)                      /* translated */
  li a2, 0x4444
  sd a2, 24(a1)
  csrc mstatus, t0
  EXPECT a0, MARK_P
  la a1, perm_page
  ld a0, 24(a1)
  EXPECT a0, 0x4444
  TEST 26                           /* FAR_PA is not mapped: fault, taken in M */
  li t0, MSTATUS_MPRV
  csrs mstatus, t0
  li a1, FAR_PA
  TRAP CAUSE_LOAD_PAGE_FAULT, ld a0, 0(a1)
  li t0, MSTATUS_MPRV               /* the trap left MPP = U: drop MPRV now */
  csrc mstatus, t0
  EXPECT_EQ s11, a1
  TEST 27                           /* MPP = M: no translation */
  SET_MPP PRV_M
  li t0, MSTATUS_MPRV
  csrs mstatus, t0
  li a1, FAR_PA
  ld a0, 0(a1)
  csrc mstatus, t0
  EXPECT a0, 0xfa
  TEST 28                           /* MPP = U: U pages only */
  TPTE 0, perm_page, LEAF_RW | PTE_U
  SET_MPP PRV_U
  li t0, MSTATUS_MPRV
  csrs mstatus, t0
  li a1, TPAGE(0)
  ld a0, 0(a1)
  csrc mstatus, t0
  EXPECT a0, MARK_P
  TEST 29                           /* MPP = S and a U page: SUM decides */
  SET_MPP PRV_S
  li t0, MSTATUS_MPRV
  csrs mstatus, t0
  li a1, TPAGE(0)
  TRAP CAUSE_LOAD_PAGE_FAULT, ld a0, 0(a1)
  li t0, MSTATUS_MPRV
  csrc mstatus, t0
  SET_MPP PRV_S
  li t0, MSTATUS_MPRV | MSTATUS_SUM
  csrs mstatus, t0
  ld a0, 0(a1)
  csrc mstatus, t0
  EXPECT a0, MARK_P

  /* ---- U mode ---- */
  TPTE 4, perm_page, LEAF_RW              /* no U */
  TPTE 5, perm_page, LEAF_RW | PTE_U
  TPTE 6, xpage, XR | PTE_U               /* U, execute-only */
  TPTE 7, xpage, XR | PTE_R               /* no U */
  SET_MPP PRV_U
  la t0, user_part1
  csrw mepc, t0
  mret
user_back1:
  li t0, MSTATUS_MXR
  csrs mstatus, t0
  SET_MPP PRV_U
  la t0, user_part2
  csrw mepc, t0
  mret
user_back2:
  li t0, MSTATUS_MXR
  csrc mstatus, t0
  csrw satp, zero
  sfence.vma
TEST_END

  .section .text.user, "ax", @progbits
user_part1:
  TEST 30                           /* a page without U */
  li a1, TPAGE(4)
  TRAP_AT CAUSE_LOAD_PAGE_FAULT, a1, ld a0, 0(a1)
  TEST 31
  TRAP_AT CAUSE_STORE_PAGE_FAULT, a1, sd a0, 0(a1)
  TEST 32                           /* a U page */
  li a1, TPAGE(5)
  ld a0, 0(a1)
  EXPECT a0, MARK_P
  sd a0, 32(a1)
  TEST 33                           /* U execute-only: runs, cannot be read */
  li a1, TPAGE(6)
  CALL_X a1
  TRAP_AT CAUSE_LOAD_PAGE_FAULT, a1, lw a0, 0(a1)
  TEST 34                           /* executable but not U */
  li a1, TPAGE(7)
  TRAP_FETCH CAUSE_FETCH_PAGE_FAULT, a1
  la s8, user_back1 + 1
  ecall
user_part2:
  TEST 35                           /* MXR: execute-only U page is readable */
  li a1, TPAGE(6)
  lw a0, 0(a1)
  la a2, xpage_copy
  lw a2, 0(a2)
  EXPECT_EQ a0, a2
  TEST 36                           /* MXR does not open non-U pages */
  li a1, TPAGE(7)
  TRAP_AT CAUSE_LOAD_PAGE_FAULT, a1, lw a0, 0(a1)
  la s8, user_back2 + 1
  ecall
  .align 2
xpage_copy:                         /* the first instruction of xpage */
  .option push
  .option norvc
  li a0, 42
  .option pop

  /* a page of code for the execute tests: returns 42 */
  .text
  .align 12
xpage:
  .option push
  .option norvc
  li a0, 42
  ret
  .option pop
  .align 12

  .data
  .align 12
perm_page: .zero 4096
ad_page:   .zero 4096
data_a:    .zero 4096
data_b:    .zero 4096
  VM_DATA
