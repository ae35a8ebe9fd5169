// NS16550A UART. Transmitted bytes go to a ring the host drains after each slice; received bytes
// arrive from the host through `uartPush`. Transmission is instantaneous, so THR is always empty.

import { UART_TX_RING, UART_RX_RING, IO_RING_SIZE, EXIT_CONSOLE } from "../public/kernel-abi";
import { UART_IRQ } from "../public/board";
import { plicSetLevel } from "./plic";
import { requestExit } from "../cpu/exit";
import {
  SA_UART_IER, SA_UART_LCR, SA_UART_MCR, SA_UART_SCR, SA_UART_FCR, SA_UART_DLL, SA_UART_DLM, SA_UART_THRE_PENDING,
  SA_UART_RX_HEAD, SA_UART_RX_TAIL, SA_UART_TX_LEN,
} from "../public/save-area";

const RBR_THR: u32 = 0; // DLL when DLAB
const IER: u32 = 1; // DLM when DLAB
const IIR_FCR: u32 = 2;
const LCR: u32 = 3;
const MCR: u32 = 4;
const LSR: u32 = 5;
const MSR: u32 = 6;
const SCR: u32 = 7;

const LCR_DLAB: u32 = 0x80;
const IER_RDA: u32 = 1;
const IER_THRE: u32 = 2;
const LSR_DR: u32 = 0x01;
const LSR_THRE: u32 = 0x20;
const LSR_TEMT: u32 = 0x40;
const IIR_NONE: u32 = 0x01;
const IIR_THRE: u32 = 0x02;
const IIR_RDA: u32 = 0x04;
const IIR_FIFO: u32 = 0xc0;
const MSR_IDLE: u32 = 0xb0; // DCD, DSR, CTS asserted: a connected line

class Uart {
  static ier: u32 = 0;
  static lcr: u32 = 0;
  static mcr: u32 = 0;
  static scr: u32 = 0;
  static fcr: u32 = 0;
  static dll: u32 = 0;
  static dlm: u32 = 0;
  static thrEmptyPending: bool = false;
  static txLen: u32 = 0;
  static rxHead: u32 = 0;
  static rxTail: u32 = 0;
}

export function uartReset(): void {
  Uart.ier = 0; Uart.lcr = 0; Uart.mcr = 0; Uart.scr = 0; Uart.fcr = 0;
  Uart.dll = 0; Uart.dlm = 0; Uart.thrEmptyPending = false;
  Uart.rxHead = 0; Uart.rxTail = 0;
}

/** Save area: the registers and the receive FIFO's positions in UART_RX_RING (the host drains TX first). */
export function uartSave(area: usize): void {
  store<u32>(area, Uart.ier, SA_UART_IER);
  store<u32>(area, Uart.lcr, SA_UART_LCR);
  store<u32>(area, Uart.mcr, SA_UART_MCR);
  store<u32>(area, Uart.scr, SA_UART_SCR);
  store<u32>(area, Uart.fcr, SA_UART_FCR);
  store<u32>(area, Uart.dll, SA_UART_DLL);
  store<u32>(area, Uart.dlm, SA_UART_DLM);
  store<u32>(area, Uart.thrEmptyPending ? 1 : 0, SA_UART_THRE_PENDING);
  store<u32>(area, Uart.rxHead, SA_UART_RX_HEAD);
  store<u32>(area, Uart.rxTail, SA_UART_RX_TAIL);
}

function uartLoad(area: usize): void {
  Uart.ier = load<u32>(area, SA_UART_IER);
  Uart.lcr = load<u32>(area, SA_UART_LCR);
  Uart.mcr = load<u32>(area, SA_UART_MCR);
  Uart.scr = load<u32>(area, SA_UART_SCR);
  Uart.fcr = load<u32>(area, SA_UART_FCR);
  Uart.dll = load<u32>(area, SA_UART_DLL);
  Uart.dlm = load<u32>(area, SA_UART_DLM);
  Uart.thrEmptyPending = load<u32>(area, SA_UART_THRE_PENDING) != 0;
  Uart.rxHead = load<u32>(area, SA_UART_RX_HEAD);
  Uart.rxTail = load<u32>(area, SA_UART_RX_TAIL);
}

export function uartRestore(area: usize): void {
  uartLoad(area);
  Uart.txLen = 0;
  updateIrq();
}

/** Hand-off (kernel.ts `park`): the registers, and the output the host has not drained yet. */
export function uartPark(area: usize): void {
  uartSave(area);
  store<u32>(area, Uart.txLen, SA_UART_TX_LEN);
}

/** The PLIC's line is in memory already: nothing to raise. */
export function uartUnpark(area: usize): void {
  uartLoad(area);
  Uart.txLen = load<u32>(area, SA_UART_TX_LEN);
}

@inline function rxCount(): u32 {
  return Uart.rxTail - Uart.rxHead;
}

function updateIrq(): void {
  const rda = (Uart.ier & IER_RDA) != 0 && rxCount() != 0;
  const thre = (Uart.ier & IER_THRE) != 0 && Uart.thrEmptyPending;
  plicSetLevel(UART_IRQ, rda || thre);
}

/** Host → guest: queue one received byte; false when the FIFO is full. */
export function uartPush(b: u32): bool {
  if (rxCount() >= IO_RING_SIZE) return false;
  store<u8>(UART_RX_RING + <usize>(Uart.rxTail & (IO_RING_SIZE - 1)), <u8>b);
  Uart.rxTail++;
  updateIrq();
  return true;
}

/** The next received byte, or -1 when none waits (the SBI legacy getchar). */
export function uartPop(): i32 {
  if (rxCount() == 0) return -1;
  const b = load<u8>(UART_RX_RING + <usize>(Uart.rxHead & (IO_RING_SIZE - 1)));
  Uart.rxHead++;
  updateIrq();
  return <i32>b;
}

/** Guest → host: how many transmitted bytes wait at UART_TX_RING; the host then calls uartTxClear. */
export function uartTxPending(): u32 {
  return Uart.txLen;
}

export function uartTxClear(): void {
  Uart.txLen = 0;
}

/** Queue a byte for the host console; a full ring ends the slice so the host drains it. */
export function consoleOut(b: u32): void {
  if (Uart.txLen >= IO_RING_SIZE) return;
  store<u8>(UART_TX_RING + <usize>Uart.txLen, <u8>b);
  Uart.txLen++;
  if (Uart.txLen == IO_RING_SIZE) requestExit(EXIT_CONSOLE, 0);
}

export function uartRead(off: u32, size: i32): u64 {
  const dlab = (Uart.lcr & LCR_DLAB) != 0;
  switch (off) {
    case RBR_THR: {
      if (dlab) return <u64>Uart.dll;
      const b = uartPop();
      return b < 0 ? 0 : <u64>b;
    }
    case IER: return <u64>(dlab ? Uart.dlm : Uart.ier);
    case IIR_FCR: {
      const fifo = (Uart.fcr & 1) != 0 ? IIR_FIFO : 0;
      if ((Uart.ier & IER_RDA) != 0 && rxCount() != 0) return <u64>(IIR_RDA | fifo);
      if ((Uart.ier & IER_THRE) != 0 && Uart.thrEmptyPending) {
        // Reading IIR while it reports THRE acknowledges that interrupt.
        Uart.thrEmptyPending = false;
        updateIrq();
        return <u64>(IIR_THRE | fifo);
      }
      return <u64>(IIR_NONE | fifo);
    }
    case LCR: return <u64>Uart.lcr;
    case MCR: return <u64>Uart.mcr;
    case LSR: return <u64>(LSR_THRE | LSR_TEMT | (rxCount() != 0 ? LSR_DR : 0));
    case MSR: return <u64>MSR_IDLE;
    case SCR: return <u64>Uart.scr;
  }
  return 0;
}

export function uartWrite(off: u32, v: u64): void {
  const b = <u32>v & 0xff;
  const dlab = (Uart.lcr & LCR_DLAB) != 0;
  switch (off) {
    case RBR_THR: {
      if (dlab) { Uart.dll = b; return; }
      consoleOut(b);
      Uart.thrEmptyPending = true;
      updateIrq();
      break;
    }
    case IER: {
      if (dlab) { Uart.dlm = b; return; }
      const enablingThre = (b & IER_THRE) != 0 && (Uart.ier & IER_THRE) == 0;
      Uart.ier = b & 0x0f;
      if (enablingThre) Uart.thrEmptyPending = true;
      updateIrq();
      break;
    }
    case IIR_FCR: {
      Uart.fcr = b;
      if ((b & 2) != 0) { Uart.rxHead = Uart.rxTail; updateIrq(); } // clear receive FIFO
      break;
    }
    case LCR: Uart.lcr = b; break;
    case MCR: Uart.mcr = b & 0x1f; break;
    case SCR: Uart.scr = b; break;
  }
}
