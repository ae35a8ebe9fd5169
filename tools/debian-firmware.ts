// RISC-V firmware from Debian's packages (opensbi, u-boot-qemu), which scripts/setup installs.

export const OPENSBI_FW_JUMP = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin";
export const UBOOT_SMODE = "/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin";
export const UBOOT_MMODE = "/usr/lib/u-boot/qemu-riscv64/u-boot.bin";
