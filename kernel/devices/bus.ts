// The physical address map outside RAM: routes a device access to its model.
// `Bus.ok` is false after an access that hit no device (the CPU raises an access fault).

import {
  CLINT_BASE, CLINT_SIZE, FINISHER_BASE, FINISHER_SIZE, PLIC_BASE, PLIC_SIZE, RTC_BASE, RTC_SIZE,
  UART_BASE, UART_SIZE, VIRTIO_BASE, VIRTIO_SLOTS, VIRTIO_STRIDE,
} from "../public/board";
import { clintRead, clintWrite } from "./clint";
import { plicRead, plicWrite } from "./plic";
import { uartRead, uartWrite } from "./uart";
import { finisherWrite } from "./finisher";
import { rtcRead, rtcWrite } from "./rtc";
import { virtioRead, virtioWrite } from "./virtio-mmio";

export class Bus {
  static ok: bool = true;
}

@inline function within(pa: u64, base: u64, size: u64): bool {
  return pa - base < size;
}

export function mmioRead(pa: u64, size: i32): u64 {
  Bus.ok = true;
  if (within(pa, UART_BASE, UART_SIZE)) return uartRead(<u32>(pa - UART_BASE), size);
  if (within(pa, CLINT_BASE, CLINT_SIZE)) return clintRead(<u32>(pa - CLINT_BASE), size);
  if (within(pa, PLIC_BASE, PLIC_SIZE)) return plicRead(<u32>(pa - PLIC_BASE), size);
  if (within(pa, VIRTIO_BASE, VIRTIO_SLOTS * VIRTIO_STRIDE)) {
    const off = pa - VIRTIO_BASE;
    return virtioRead(<i32>(off / VIRTIO_STRIDE), <u32>(off % VIRTIO_STRIDE), size);
  }
  if (within(pa, RTC_BASE, RTC_SIZE)) return rtcRead(<u32>(pa - RTC_BASE), size);
  if (within(pa, FINISHER_BASE, FINISHER_SIZE)) return 0;
  Bus.ok = false;
  return 0;
}

export function mmioWrite(pa: u64, v: u64, size: i32): void {
  Bus.ok = true;
  if (within(pa, UART_BASE, UART_SIZE)) uartWrite(<u32>(pa - UART_BASE), v);
  else if (within(pa, CLINT_BASE, CLINT_SIZE)) clintWrite(<u32>(pa - CLINT_BASE), v, size);
  else if (within(pa, PLIC_BASE, PLIC_SIZE)) plicWrite(<u32>(pa - PLIC_BASE), v);
  else if (within(pa, VIRTIO_BASE, VIRTIO_SLOTS * VIRTIO_STRIDE)) {
    const off = pa - VIRTIO_BASE;
    virtioWrite(<i32>(off / VIRTIO_STRIDE), <u32>(off % VIRTIO_STRIDE), v, size);
  } else if (within(pa, RTC_BASE, RTC_SIZE)) rtcWrite(<u32>(pa - RTC_BASE), v);
  else if (within(pa, FINISHER_BASE, FINISHER_SIZE)) finisherWrite(<u32>(pa - FINISHER_BASE), v);
  else Bus.ok = false;
}

/** Read `size` bytes of a little-endian register file at byte offset `off` of a 64-bit value. */
@inline export function sliceRead(reg: u64, off: u32, size: i32): u64 {
  const v = reg >> (8 * <u64>(off & 7));
  return size >= 8 ? v : v & ((<u64>1 << (8 * <u64>size)) - 1);
}

/** Replace `size` bytes at offset `off & 7` of a 64-bit register with `v`. */
@inline export function sliceWrite(reg: u64, off: u32, v: u64, size: i32): u64 {
  if (size >= 8) return v;
  const shift = 8 * <u64>(off & 7);
  const mask = ((<u64>1 << (8 * <u64>size)) - 1) << shift;
  return (reg & ~mask) | ((v << shift) & mask);
}
