// Goldfish RTC: nanoseconds since the epoch, from the host's wall clock plus a guest-set offset.
// The alarm is not implemented: its registers read as zero and writes are ignored.

import { wallClockMs } from "./host";
import { SA_RTC_OFFSET_NS, SA_RTC_LATCHED_HIGH } from "../public/save-area";

const TIME_LOW: u32 = 0x00;
const TIME_HIGH: u32 = 0x04;

class Rtc {
  static offsetNs: i64 = 0;
  static latchedHigh: u32 = 0;
}

/** Save area: the guest's offset from the host's wall clock (a restored RTC follows the wall clock, as hardware's does). */
export function rtcSave(area: usize): void {
  store<i64>(area, Rtc.offsetNs, SA_RTC_OFFSET_NS);
  store<u32>(area, Rtc.latchedHigh, SA_RTC_LATCHED_HIGH);
}

export function rtcRestore(area: usize): void {
  Rtc.offsetNs = load<i64>(area, SA_RTC_OFFSET_NS);
  Rtc.latchedHigh = load<u32>(area, SA_RTC_LATCHED_HIGH);
}

function nowNs(): u64 {
  return <u64>(<i64>(wallClockMs() * 1e6) + Rtc.offsetNs);
}

export function rtcRead(off: u32, size: i32): u64 {
  if (off == TIME_LOW) {
    // Reading the low half latches the high half, so the pair is consistent.
    const t = nowNs();
    Rtc.latchedHigh = <u32>(t >> 32);
    return size >= 8 ? t : <u64><u32>t;
  }
  if (off == TIME_HIGH) return <u64>Rtc.latchedHigh;
  return 0;
}

export function rtcWrite(off: u32, v: u64): void {
  if (off == TIME_LOW) {
    const now = nowNs();
    Rtc.offsetNs += <i64>((now & 0xffffffff00000000) | (v & 0xffffffff)) - <i64>now;
  } else if (off == TIME_HIGH) {
    const now = nowNs();
    Rtc.offsetNs += <i64>(((v & 0xffffffff) << 32) | (now & 0xffffffff)) - <i64>now;
  }
}
