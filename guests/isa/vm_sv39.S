/*
 * Sv39 translation (satp MODE 8): S-mode code running through an
 * identity map, 4 KiB pages mapping to other physical pages, 2 MiB
 * megapages and 1 GiB gigapages (incl. a high, sign-extended VA), a
 * misaligned access that crosses into a non-adjacent physical page,
 * page faults for load/store/fetch (13/15/12) with xtval = the faulting
 * VA and xepc = the faulting instruction (or target for fetch), faults
 * for misaligned superpages, non-canonical VAs and V = 0, the same faults
 * delegated to S (scause/stval), and U-mode code running translated.
 */
#include "test.h"
#include "vm.h"

#define MARK_A 0xa1a2a3a4a5a6a7a8
#define MARK_B 0xb1b2b3b4b5b6b7b8
#define MARK_M 0x0123456789abcdef
#define MEGA_PA 0x80200000               /* 2 MiB aligned, above the image */
#define MEGA_VA 0x40200000
#define MEGA_BAD_VA 0x40400000
#define GIGA_VA 0xc0000000
#define GIGA_BAD_VA 0x100000000
#define HIGH_VA 0xffffffc000000000       /* root[256]: a negative VA */

TEST_BEGIN
  /* ---- set up (M, bare) ---- */
  li a0, MARK_A
  la a1, data_a
  sd a0, 0(a1)
  li a0, MARK_B
  la a1, data_b
  sd a0, 0(a1)
  li t0, 4088
  add a1, a1, t0
  sd a0, 0(a1)                      /* data_b's last dword, too */
  li a0, MARK_M
  li a1, MEGA_PA + 0x1238
  sd a0, 0(a1)

  BUILD_SV39
  TPTE 0, data_a, LEAF_RW
  TPTE 1, data_b, LEAF_RW
  TPTE 2, data_b, LEAF_RW            /* pages 2 and 3 in reverse physical order */
  TPTE 3, data_a, LEAF_RW
  TPTE_RAW 4, 0                      /* invalid */
  TPTE 5, user_page, LEAF_RW | PTE_U
  LEAF_PA l1_t, 1, MEGA_PA, LEAF_RW
  LEAF_PA l1_t, 2, MEGA_PA + 0x1000, LEAF_RW        /* PPN[0] != 0: misaligned */
  LEAF_PA root, 3, RAM_BASE, LEAF_RWX
  LEAF_PA root, 4, RAM_BASE + 0x200000, LEAF_RW     /* PPN[1] != 0: misaligned */
  LEAF_PA root, 256, RAM_BASE, LEAF_RW

  TEST 1
  ENABLE_SV39
  csrr a0, satp
  srli a1, a0, 60
  EXPECT a1, 8
  la a2, root
  srli a2, a2, 12
  slli a0, a0, 20
  srli a0, a0, 20
  EXPECT_EQ a0, a2

  ENTER_MODE PRV_S                  /* from here on, translated */
  TEST 2                            /* identity-mapped data */
  la a1, data_a
  ld a0, 0(a1)
  EXPECT a0, MARK_A
  TEST 3                            /* 4 KiB pages elsewhere */
  li a1, TPAGE(0)
  ld a0, 0(a1)
  EXPECT a0, MARK_A
  li a1, TPAGE(1)
  ld a0, 0(a1)
  EXPECT a0, MARK_B
  TEST 4                            /* a store through one VA, seen through another */
  li a1, TPAGE(1) + 8
  li a2, 0x5555
  sd a2, 0(a1)
  la a1, data_b
  ld a0, 8(a1)
  EXPECT a0, 0x5555
  TEST 5                            /* misaligned, across two VA pages whose PAs are apart */
  li a1, TPAGE(3) - 4
  ld a0, 0(a1)
  EXPECT a0, 0xa5a6a7a8b1b2b3b4
  TEST 6
  li a1, TPAGE(3) - 2
  li a2, 0x1122334455667788
  sd a2, 0(a1)
  la a1, data_b
  li t0, 4088
  add a1, a1, t0
  ld a0, 0(a1)
  EXPECT a0, 0x7788b3b4b5b6b7b8
  la a1, data_a
  ld a0, 0(a1)
  EXPECT a0, 0xa1a2112233445566
  TEST 7                            /* megapage */
  li a1, MEGA_VA + 0x1238
  ld a0, 0(a1)
  EXPECT a0, MARK_M
  TEST 8                            /* gigapage */
  la a1, data_a
  li t0, GIGA_VA - RAM_BASE
  add a1, a1, t0
  ld a0, 0(a1)
  EXPECT a0, 0xa1a2112233445566  /* as test 6 left it */
  TEST 9                            /* gigapage at a negative (sign-extended) VA */
  la a1, data_a
  li t0, HIGH_VA - RAM_BASE
  add a1, a1, t0
  ld a0, 0(a1)
  EXPECT a0, 0xa1a2112233445566  /* as test 6 left it */

  /* ---- faults (to M: nothing delegated yet) ---- */
  TEST 10                           /* misaligned megapage */
  li a1, MEGA_BAD_VA + 8
  TRAP_AT CAUSE_LOAD_PAGE_FAULT, a1, ld a0, 0(a1)
  TEST 11                           /* misaligned gigapage */
  li a1, GIGA_BAD_VA + 16
  TRAP_AT CAUSE_STORE_PAGE_FAULT, a1, sd a0, 0(a1)
  TEST 12                           /* non-canonical: bits 63..39 != bit 38 */
  li a1, 0x0000004000000000
  TRAP_AT CAUSE_LOAD_PAGE_FAULT, a1, ld a0, 0(a1)
  TEST 13
  li a1, 0xffffff8000000000
  TRAP_AT CAUSE_STORE_PAGE_FAULT, a1, sw a0, 0(a1)
  TEST 14                           /* V = 0 */
  li a1, TPAGE(4) + 0x10
  TRAP_AT CAUSE_LOAD_PAGE_FAULT, a1, lw a0, 0(a1)
  EXPECT s6, 3
  TEST 15
  TRAP_AT CAUSE_STORE_PAGE_FAULT, a1, sb a0, 0(a1)
  TEST 16
  TRAP_FETCH CAUSE_FETCH_PAGE_FAULT, a1
  TEST 17                           /* misaligned load straddling into the invalid page */
  li a1, TPAGE(4) - 4
  li a2, TPAGE(4)
  TRAP_AT CAUSE_LOAD_PAGE_FAULT, a2, ld a0, 0(a1)
  RETURN_TO_M

  /* ---- the same, delegated to S ---- */
  li a0, (1 << CAUSE_FETCH_PAGE_FAULT) | (1 << CAUSE_LOAD_PAGE_FAULT) | (1 << CAUSE_STORE_PAGE_FAULT)
  csrw medeleg, a0
  la a0, s_trap
  csrw stvec, a0
  ENTER_MODE PRV_S
  TEST 18
  li a1, TPAGE(4) + 0x20
  TRAP_AT CAUSE_LOAD_PAGE_FAULT, a1, ld a0, 0(a1)
  EXPECT s6, 1
  csrr a0, stval
  EXPECT_EQ a0, a1
  csrr a0, scause
  EXPECT a0, CAUSE_LOAD_PAGE_FAULT
  TEST 19
  TRAP_AT CAUSE_STORE_PAGE_FAULT, a1, sh a0, 0(a1)
  EXPECT s6, 1
  TEST 20
  TRAP_FETCH CAUSE_FETCH_PAGE_FAULT, a1
  EXPECT s6, 1
  csrr a0, stval
  EXPECT_EQ a0, a1
  RETURN_TO_M

  /* ---- U-mode, translated ---- */
  TEST 21
  li t0, MSTATUS_MPP
  csrc mstatus, t0                  /* MPP = U */
  la t0, user_code
  csrw mepc, t0
  mret
user_done:
  li t0, 0
  csrw satp, t0
  sfence.vma
  csrw medeleg, zero
TEST_END

  .section .text.user, "ax", @progbits
user_code:
  TEST 22                           /* U page through the test window */
  li a1, TPAGE(5)
  li a2, 0x77
  sd a2, 0(a1)
  ld a0, 0(a1)
  EXPECT a0, 0x77
  TEST 23                           /* a page without U: load fault (to S) */
  li a1, TPAGE(0)
  TRAP_AT CAUSE_LOAD_PAGE_FAULT, a1, ld a0, 0(a1)
  EXPECT s6, 1
  TEST 24
  TRAP_AT CAUSE_STORE_PAGE_FAULT, a1, sd a0, 0(a1)
  TEST 25                           /* S code is not executable from U */
  la a1, test_main
  TRAP_FETCH CAUSE_FETCH_PAGE_FAULT, a1
  TEST 26                           /* our own page is fine to read */
  la a1, user_code
  lhu a0, 0(a1)
  la s8, user_done + 1              /* back to M at user_done */
  ecall

  .data
  .align 12
data_a:    .zero 4096
data_b:    .zero 4096
user_page: .zero 4096
  VM_DATA
