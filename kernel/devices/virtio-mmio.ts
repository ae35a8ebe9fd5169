// virtio-mmio transport (version 2): the register file of each slot. Queue processing is not
// done here: a notify ends the slice and the host's virtqueue engine hands each descriptor
// chain to the device's backend (kernel/host/virtqueue.ts).

import { VIRTIO_STATE_BASE, VIRTIO_SLOT_STATE_SIZE, EXIT_NOTIFY } from "../public/kernel-abi";
import { VIRTIO_IRQ_BASE, VIRTIO_SLOTS } from "../public/board";
import {
  VS_DEVICE_ID, VS_VENDOR_ID, VS_DEVICE_FEATURES, VS_DRIVER_FEATURES, VS_DEVICE_FEATURES_SEL,
  VS_DRIVER_FEATURES_SEL, VS_QUEUE_SEL, VS_INTERRUPT_STATUS, VS_STATUS, VS_CONFIG_GENERATION, VS_RESETS, VS_CONFIG_WRITTEN,
  VS_QUEUE_NUM_MAX, VS_NOTIFY_PENDING, VS_QUEUES, VIRTIO_MAX_QUEUES, VQ_SIZE, VQ_NUM, VQ_READY,
  VQ_DESC, VQ_DRIVER, VQ_DEVICE, VS_LAST_AVAIL, VS_CONFIG, VIRTIO_CONFIG_SIZE, VIRTIO_MMIO_MAGIC,
  VIRTIO_MMIO_VERSION,
} from "../public/virtio-slot";
import { plicSetLevel } from "./plic";
import { requestExit } from "../cpu/exit";
import { sliceRead } from "./bus";

const VS_CONFIG_MMIO: u32 = 0x100; // where config space starts in the MMIO window

@inline function slotBase(slot: i32): usize {
  return VIRTIO_STATE_BASE + <usize>slot * VIRTIO_SLOT_STATE_SIZE;
}

function queueBase(b: usize): usize {
  const sel = load<u32>(b + VS_QUEUE_SEL);
  return sel < <u32>VIRTIO_MAX_QUEUES ? b + VS_QUEUES + <usize>sel * VQ_SIZE : 0;
}

function resetSlot(b: usize): void {
  // Keep what the host configured (id, vendor, features, queue size, config); clear the rest.
  store<u64>(b + VS_DRIVER_FEATURES, 0);
  store<u32>(b + VS_DEVICE_FEATURES_SEL, 0);
  store<u32>(b + VS_DRIVER_FEATURES_SEL, 0);
  store<u32>(b + VS_QUEUE_SEL, 0);
  store<u32>(b + VS_INTERRUPT_STATUS, 0);
  store<u32>(b + VS_STATUS, 0);
  store<u32>(b + VS_NOTIFY_PENDING, 0);
  store<u32>(b + VS_CONFIG_WRITTEN, 0);
  store<u32>(b + VS_RESETS, load<u32>(b + VS_RESETS) + 1);
  memory.fill(b + VS_QUEUES, 0, <usize>VIRTIO_MAX_QUEUES * VQ_SIZE);
  memory.fill(b + VS_LAST_AVAIL, 0, VIRTIO_MAX_QUEUES * 2);
}

export function virtioReset(): void {
  memory.fill(VIRTIO_STATE_BASE, 0, <usize>VIRTIO_SLOTS * VIRTIO_SLOT_STATE_SIZE);
}

/** Host → kernel: the device used buffers or changed its config; raise the slot's interrupt. */
export function virtioInterrupt(slot: i32, bits: u32): void {
  if (slot < 0 || slot >= VIRTIO_SLOTS) return;
  const b = slotBase(slot);
  store<u32>(b + VS_INTERRUPT_STATUS, load<u32>(b + VS_INTERRUPT_STATUS) | bits);
  plicSetLevel(<u32>(VIRTIO_IRQ_BASE + slot), load<u32>(b + VS_INTERRUPT_STATUS) != 0);
}

/** After a restore: each slot's interrupt line follows its interrupt status again. */
export function virtioRaiseLines(): void {
  for (let slot = 0; slot < VIRTIO_SLOTS; slot++) {
    plicSetLevel(<u32>(VIRTIO_IRQ_BASE + slot), load<u32>(slotBase(slot) + VS_INTERRUPT_STATUS) != 0);
  }
}

export function virtioRead(slot: i32, off: u32, size: i32): u64 {
  const b = slotBase(slot);
  const id = load<u32>(b + VS_DEVICE_ID);
  if (off >= VS_CONFIG_MMIO) {
    const c = off - VS_CONFIG_MMIO;
    if (id == 0 || c + <u32>size > <u32>VIRTIO_CONFIG_SIZE) return 0;
    const p = b + VS_CONFIG + c;
    if (size == 1) return <u64>load<u8>(p);
    if (size == 2) return <u64>load<u16>(p);
    if (size == 4) return <u64>load<u32>(p);
    return load<u64>(p);
  }
  let v: u64 = 0;
  switch (off & ~3) {
    case 0x000: v = VIRTIO_MMIO_MAGIC; break;
    case 0x004: v = VIRTIO_MMIO_VERSION; break;
    case 0x008: v = id; break;
    case 0x00c: v = id == 0 ? 0 : load<u32>(b + VS_VENDOR_ID); break;
    case 0x010: {
      const sel = load<u32>(b + VS_DEVICE_FEATURES_SEL);
      v = sel > 1 ? 0 : (load<u64>(b + VS_DEVICE_FEATURES) >> (32 * <u64>sel)) & 0xffffffff;
      break;
    }
    case 0x034: v = queueBase(b) != 0 ? load<u32>(b + VS_QUEUE_NUM_MAX) : 0; break;
    case 0x038: { const q = queueBase(b); v = q != 0 ? load<u32>(q + VQ_NUM) : 0; break; }
    case 0x044: { const q = queueBase(b); v = q != 0 ? load<u32>(q + VQ_READY) : 0; break; }
    case 0x060: v = load<u32>(b + VS_INTERRUPT_STATUS); break;
    case 0x070: v = load<u32>(b + VS_STATUS); break;
    case 0x080: case 0x084: case 0x090: case 0x094: case 0x0a0: case 0x0a4: {
      const q = queueBase(b);
      if (q == 0) break;
      const field = off < 0x090 ? VQ_DESC : off < 0x0a0 ? VQ_DRIVER : VQ_DEVICE;
      v = sliceRead(load<u64>(q + field), off & 4, 4);
      break;
    }
    case 0x0fc: v = load<u32>(b + VS_CONFIG_GENERATION); break;
  }
  return v;
}


export function virtioWrite(slot: i32, off: u32, v: u64, size: i32): void {
  const b = slotBase(slot);
  if (load<u32>(b + VS_DEVICE_ID) == 0) return;
  if (off >= VS_CONFIG_MMIO) {
    const c = off - VS_CONFIG_MMIO;
    if (c + <u32>size > <u32>VIRTIO_CONFIG_SIZE) return;
    const p = b + VS_CONFIG + c;
    if (size == 1) store<u8>(p, <u8>v);
    else if (size == 2) store<u16>(p, <u16>v);
    else if (size == 4) store<u32>(p, <u32>v);
    else store<u64>(p, v);
    // A paged config space (virtio-input's select/subsel) changes with what the driver writes:
    // the host fills in the page before the driver's next access.
    store<u32>(b + VS_CONFIG_WRITTEN, 1);
    requestExit(EXIT_NOTIFY, 0);
    return;
  }
  const val = <u32>v;
  switch (off & ~3) {
    case 0x014: store<u32>(b + VS_DEVICE_FEATURES_SEL, val); break;
    case 0x020: {
      const sel = load<u32>(b + VS_DRIVER_FEATURES_SEL);
      if (sel > 1) break;
      const shift = 32 * <u64>sel;
      const old = load<u64>(b + VS_DRIVER_FEATURES);
      store<u64>(b + VS_DRIVER_FEATURES, (old & ~(<u64>0xffffffff << shift)) | (<u64>val << shift));
      break;
    }
    case 0x024: store<u32>(b + VS_DRIVER_FEATURES_SEL, val); break;
    case 0x030: store<u32>(b + VS_QUEUE_SEL, val); break;
    case 0x038: {
      const q = queueBase(b);
      if (q != 0 && val <= load<u32>(b + VS_QUEUE_NUM_MAX)) store<u32>(q + VQ_NUM, val);
      break;
    }
    case 0x044: {
      const q = queueBase(b);
      if (q != 0) store<u32>(q + VQ_READY, val & 1);
      break;
    }
    case 0x050: {
      if (val < <u32>VIRTIO_MAX_QUEUES) {
        store<u32>(b + VS_NOTIFY_PENDING, load<u32>(b + VS_NOTIFY_PENDING) | (1 << val));
        requestExit(EXIT_NOTIFY, 0);
      }
      break;
    }
    case 0x064: {
      const left = load<u32>(b + VS_INTERRUPT_STATUS) & ~val;
      store<u32>(b + VS_INTERRUPT_STATUS, left);
      plicSetLevel(<u32>(VIRTIO_IRQ_BASE + slot), left != 0);
      break;
    }
    case 0x070: {
      if (val == 0) {
        resetSlot(b);
        plicSetLevel(<u32>(VIRTIO_IRQ_BASE + slot), false);
      } else store<u32>(b + VS_STATUS, val);
      break;
    }
    case 0x080: case 0x084: case 0x090: case 0x094: case 0x0a0: case 0x0a4: {
      const q = queueBase(b);
      if (q == 0) break;
      const field = off < 0x090 ? VQ_DESC : off < 0x0a0 ? VQ_DRIVER : VQ_DEVICE;
      const shift = 8 * <u64>(off & 4);
      const old = load<u64>(q + field);
      store<u64>(q + field, (old & ~(<u64>0xffffffff << shift)) | (<u64>val << shift));
      break;
    }
  }
}
