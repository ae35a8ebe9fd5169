// What a bridge needs from a port: a vif of a guest, a socket client, or the uplink. Frames go into
// the bridge through the handle Bridge.attach returns; deliver() is the way out.

/**
 * A port's counters as `ip -s link` shows a vif on the host: rx is what came from the port into
 * the bridge (the guest's transmissions), tx what the bridge sent out through the port.
 */
export interface PortCounters {
  rxPackets: number;
  rxBytes: number;
  txPackets: number;
  txBytes: number;
  /** Frames from the port that were well formed but could not be taken (e.g. a full queue). */
  rxDropped: number;
  /** Frames for the port that it could not take (its queue was full, or it has gone). */
  txDropped: number;
  /** Malformed frames from the port: runts, oversized frames, bad source addresses, bad framing. */
  rxErrors: number;
}

export interface Port {
  /** vif<domid>.<n>, a socket client's sock<n>, or "uplink": unique on its bridge. */
  readonly name: string;
  /** Shared with the bridge, which counts rx (and rxErrors) while the port counts tx. */
  readonly counters: PortCounters;
  /**
   * Sends a frame out of the bridge into the port. The frame is shared with the other ports and
   * the taps, so it must not be modified. A port that cannot take it drops it and counts txDropped;
   * it never throws.
   */
  deliver(frame: Uint8Array): void;
}

export function newCounters(): PortCounters {
  return { rxPackets: 0, rxBytes: 0, txPackets: 0, txBytes: 0, rxDropped: 0, txDropped: 0, rxErrors: 0 };
}
