/*
 * Paging harness for vm_*.S.  Builds an identity map of the first 2 MiB
 * of RAM (where the whole test image lives) with 4 KiB pages, so S-mode
 * code, data and page tables keep their addresses once translation is on;
 * the pages of .text.user get the U bit so U-mode code can run there.
 * Test mappings live elsewhere (a 4 KiB-page window at VA 0x40000000:
 * tpage(i) = 0x40000000 + i * 4096, entry i of l0_t).
 * The macros here clobber t4, t5 and t6 (BUILD_* also a0 and a1).
 *
 *   Sv39: root[2] -> l1_id; l1_id[0] -> l0_id (identity, 4 KiB leaves)
 *         root[1] -> l1_t;  l1_t[0]  -> l0_t  (test window)
 *   Sv48: root48[0] -> l2_48; l2_48[2] -> l1_id; l2_48[1] -> l1_t
 */
#ifndef DOMUS_ISA_VM_H
#define DOMUS_ISA_VM_H

#define RAM_BASE  0x80000000
#define TWINDOW   0x40000000
#define TPAGE(i)  (TWINDOW + (i) * 4096)
#define LEAF_RWX  (PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D)
#define LEAF_RW   (PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)
#define LEAF_R    (PTE_V | PTE_R | PTE_A)

/* reg := PTE for the physical address in reg with `flags` */
.macro PA_TO_PTE reg, flags
  srli \reg, \reg, 12
  slli \reg, \reg, 10
  li t6, \flags
  or \reg, \reg, t6
.endm

/* table[index] := value of register reg */
.macro STORE_PTE table, index, reg
  la t6, \table
  li t5, (\index) * 8
  add t6, t6, t5
  sd \reg, 0(t6)
.endm

/* table[index] := pointer to next-level table `next` */
.macro LINK_TABLE table, index, next
  la t4, \next
  PA_TO_PTE t4, PTE_V
  STORE_PTE \table, \index, t4
.endm

/* table[index] := leaf mapping physical address `pa` (a constant) */
.macro LEAF_PA table, index, pa, flags
  li t4, \pa
  PA_TO_PTE t4, \flags
  STORE_PTE \table, \index, t4
.endm

/* l0_t[index] := leaf for the page holding `sym`, then flush */
.macro TPTE index, sym, flags
  la t4, \sym
  PA_TO_PTE t4, \flags
  STORE_PTE l0_t, \index, t4
  sfence.vma
.endm

/* l0_t[index] := raw value, then flush */
.macro TPTE_RAW index, value
  li t4, \value
  STORE_PTE l0_t, \index, t4
  sfence.vma
.endm

/* a0 := l0_t[index] (the PTE as hardware left it) */
.macro READ_TPTE index
  la a0, l0_t
  ld a0, (\index) * 8(a0)
.endm

/* identity entry of the page holding `sym` := flags */
.macro ID_FLAGS sym, flags
  la t4, \sym
  PA_TO_PTE t4, \flags
  la t6, \sym
  li t5, RAM_BASE
  sub t6, t6, t5
  srli t6, t6, 12
  slli t6, t6, 3
  la t5, l0_id
  add t6, t6, t5
  sd t4, 0(t6)
  sfence.vma
.endm

/* fill l0_id with identity leaves for RAM_BASE .. RAM_BASE + 2 MiB */
.macro BUILD_IDENTITY
  la t4, l0_id
  li t5, RAM_BASE
  li t6, 512
.Lid\@:
  srli a0, t5, 12
  slli a0, a0, 10
  ori a0, a0, LEAF_RWX | PTE_G
  sd a0, 0(t4)
  addi t4, t4, 8
  li a0, 4096
  add t5, t5, a0
  addi t6, t6, -1
  bnez t6, .Lid\@
  LINK_TABLE l1_id, 0, l0_id
  /* U-mode code pages */
  la t4, user_text_start
  la t5, user_text_end
.Luser\@:
  bgeu t4, t5, .Luser_done\@
  srli a0, t4, 12
  slli a1, a0, 10
  ori a1, a1, PTE_V | PTE_R | PTE_X | PTE_U | PTE_A
  li t6, RAM_BASE >> 12
  sub a0, a0, t6
  slli a0, a0, 3
  la t6, l0_id
  add a0, a0, t6
  sd a1, 0(a0)
  li a0, 4096
  add t4, t4, a0
  j .Luser\@
.Luser_done\@:
.endm

/* Sv39 tables: identity + empty test window */
.macro BUILD_SV39
  BUILD_IDENTITY
  LINK_TABLE root, 2, l1_id
  LINK_TABLE root, 1, l1_t
  LINK_TABLE l1_t, 0, l0_t
.endm

.macro ENABLE_SV39
  la t4, root
  srli t4, t4, 12
  li t5, SATP_SV39
  or t4, t4, t5
  csrw satp, t4
  sfence.vma
.endm

/* Sv48 tables, sharing the lower levels with Sv39 */
.macro BUILD_SV48
  BUILD_IDENTITY
  LINK_TABLE root48, 0, l2_48
  LINK_TABLE l2_48, 2, l1_id
  LINK_TABLE l2_48, 1, l1_t
  LINK_TABLE l1_t, 0, l0_t
.endm

.macro ENABLE_SV48
  la t4, root48
  srli t4, t4, 12
  li t5, SATP_SV48
  or t4, t4, t5
  csrw satp, t4
  sfence.vma
.endm

/* Jump to the address in `reg`, which must raise a fetch trap `cause`
   there: epc and tval are that address; resume after. */
.macro TRAP_FETCH cause, reg
  la s8, .Lresume\@
  li s10, -1
  jalr ra, 0(\reg)
  j fail
.Lresume\@:
  EXPECT s10, \cause
  EXPECT_EQ s9, \reg
  EXPECT_EQ s11, \reg
.endm

/* Load/store at the address in `reg` must trap with `cause`, tval = reg */
.macro TRAP_AT cause, reg, insn:vararg
  TRAP \cause, \insn
  EXPECT_EQ s11, \reg
.endm

/* page tables and test pages; place after TEST_END */
.macro VM_DATA
  .data
  .align 12
root:   .zero 4096
root48: .zero 4096
l2_48:  .zero 4096
l1_id:  .zero 4096
l0_id:  .zero 4096
l1_t:   .zero 4096
l0_t:   .zero 4096
.endm

#endif
