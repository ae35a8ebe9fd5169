/*
 * Sv48 translation (satp MODE 9): four-level walks for 4 KiB pages, 2 MiB
 * megapages, 1 GiB gigapages and 512 GiB terapages, a VA that only Sv48
 * can reach (above Sv39's 39 bits), a high negative VA, a misaligned
 * terapage, non-canonical VAs (bits 63..48 != bit 47), page faults with
 * stval in S and U, and switching satp between Sv39 and Sv48.
 */
#include "test.h"
#include "vm.h"

#define MARK_A 0xa1a2a3a4a5a6a7a8
#define MARK_B 0xb1b2b3b4b5b6b7b8
#define MARK_M 0x0123456789abcdef
#define MEGA_PA  0x80200000
#define TERA_VA  0x0000008000000000      /* root48[1]: 512 GiB leaf -> PA 0 */
#define BAD_TERA 0x0000010000000000      /* root48[2]: misaligned 512 GiB leaf */
#define GIGA_VA  0x00000000c0000000      /* l2_48[3] -> PA 0x80000000 */
#define SV48_VA  0x0000004000000000      /* l2_48[256]: non-canonical in Sv39 */
#define HIGH_VA  0xffff800000000000      /* root48[256]: terapage -> PA 0 */

TEST_BEGIN
  li a0, MARK_A
  la a1, data_a
  sd a0, 0(a1)
  li a0, MARK_B
  la a1, data_b
  sd a0, 0(a1)
  li a0, MARK_M
  li a1, MEGA_PA + 0x2468
  sd a0, 0(a1)

  BUILD_SV48
  BUILD_SV39                        /* also Sv39, for switching between them */
  TPTE 0, data_a, LEAF_RW
  TPTE 1, data_b, LEAF_RW
  TPTE_RAW 2, 0
  TPTE 3, user_page, LEAF_RW | PTE_U
  LEAF_PA l1_t, 1, MEGA_PA, LEAF_RW
  LEAF_PA l2_48, 3, RAM_BASE, LEAF_RW
  LEAF_PA l2_48, 256, RAM_BASE, LEAF_RW
  LEAF_PA root48, 1, 0, LEAF_RW
  LEAF_PA root48, 2, RAM_BASE, LEAF_RW
  LEAF_PA root48, 256, 0, LEAF_RW

  TEST 1
  ENABLE_SV48
  csrr a0, satp
  srli a0, a0, 60
  EXPECT a0, 9
  ENTER_MODE PRV_S
  TEST 2                            /* identity-mapped data through four levels */
  la a1, data_b
  ld a0, 0(a1)
  EXPECT a0, MARK_B
  TEST 3                            /* 4 KiB pages */
  li a1, TPAGE(0)
  ld a0, 0(a1)
  EXPECT a0, MARK_A
  li a1, TPAGE(1) + 8
  li a2, 99
  sd a2, 0(a1)
  la a1, data_b
  ld a0, 8(a1)
  EXPECT a0, 99
  TEST 4                            /* megapage */
  li a1, TWINDOW + 0x200000 + 0x2468
  ld a0, 0(a1)
  EXPECT a0, MARK_M
  TEST 5                            /* gigapage */
  la a1, data_a
  li t0, GIGA_VA - RAM_BASE
  add a1, a1, t0
  ld a0, 0(a1)
  EXPECT a0, MARK_A
  TEST 6                            /* terapage: VA = 512 GiB + PA */
  la a1, data_a
  li t0, TERA_VA
  add a1, a1, t0
  ld a0, 0(a1)
  EXPECT a0, MARK_A
  TEST 7                            /* bit 38 set: only reachable with Sv48 */
  la a1, data_b
  li t0, SV48_VA - RAM_BASE
  add a1, a1, t0
  ld a0, 0(a1)
  EXPECT a0, MARK_B
  TEST 8                            /* negative VA */
  la a1, data_a
  li t0, HIGH_VA
  add a1, a1, t0
  ld a0, 0(a1)
  EXPECT a0, MARK_A
  TEST 9                            /* misaligned terapage */
  li a1, BAD_TERA + 0x80
  TRAP_AT CAUSE_LOAD_PAGE_FAULT, a1, ld a0, 0(a1)
  TEST 10                           /* non-canonical */
  li a1, 0x0000800000000000
  TRAP_AT CAUSE_LOAD_PAGE_FAULT, a1, ld a0, 0(a1)
  TEST 11
  li a1, 0xffff000000000000
  TRAP_AT CAUSE_STORE_PAGE_FAULT, a1, sd a0, 0(a1)
  TEST 12
  li a1, 0x0001000000000000 + TPAGE(0)  /* a valid VA with bit 48 also set */
  TRAP_AT CAUSE_LOAD_PAGE_FAULT, a1, ld a0, 0(a1)
  TEST 13                           /* V = 0 at level 0 */
  li a1, TPAGE(2) + 0x40
  TRAP_AT CAUSE_STORE_PAGE_FAULT, a1, sd a0, 0(a1)
  TEST 14
  TRAP_FETCH CAUSE_FETCH_PAGE_FAULT, a1
  TEST 15                           /* missing level-2 entry */
  li a1, 0x0000000100000000
  TRAP_AT CAUSE_LOAD_PAGE_FAULT, a1, ld a0, 0(a1)

  /* ---- switch to Sv39 and back, from S ---- */
  TEST 16
  la a1, root
  srli a1, a1, 12
  li t0, SATP_SV39
  or a1, a1, t0
  csrw satp, a1
  sfence.vma
  li a1, SV48_VA                    /* now non-canonical */
  TRAP_AT CAUSE_LOAD_PAGE_FAULT, a1, ld a0, 0(a1)
  li a1, TPAGE(0)
  ld a0, 0(a1)
  EXPECT a0, MARK_A
  TEST 17
  la a1, root48
  srli a1, a1, 12
  li t0, SATP_SV48
  or a1, a1, t0
  csrw satp, a1
  sfence.vma
  la a1, data_b
  li t0, SV48_VA - RAM_BASE
  add a1, a1, t0
  ld a0, 0(a1)
  EXPECT a0, MARK_B
  RETURN_TO_M

  /* ---- U mode under Sv48, faults delegated to S ---- */
  li a0, (1 << CAUSE_FETCH_PAGE_FAULT) | (1 << CAUSE_LOAD_PAGE_FAULT) | (1 << CAUSE_STORE_PAGE_FAULT)
  csrw medeleg, a0
  la a0, s_trap
  csrw stvec, a0
  li t0, MSTATUS_MPP
  csrc mstatus, t0
  la t0, user_code
  csrw mepc, t0
  mret
user_done:
  csrw medeleg, zero
  csrw satp, zero
  sfence.vma
TEST_END

  .section .text.user, "ax", @progbits
user_code:
  TEST 18
  li a1, TPAGE(3)
  li a2, 0x66
  sd a2, 0(a1)
  ld a0, 0(a1)
  EXPECT a0, 0x66
  TEST 19
  li a1, TPAGE(0)
  TRAP_AT CAUSE_LOAD_PAGE_FAULT, a1, ld a0, 0(a1)
  EXPECT s6, 1
  TEST 20
  li a1, TERA_VA + 0x80000000
  TRAP_AT CAUSE_STORE_PAGE_FAULT, a1, sd a0, 0(a1)
  EXPECT s6, 1
  la s8, user_done + 1
  ecall

  .data
  .align 12
data_a:    .zero 4096
data_b:    .zero 4096
user_page: .zero 4096
  VM_DATA
