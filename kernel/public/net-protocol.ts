// The network service's control socket (DOMUS_HOME/run/net/control.sock): what `domus brctl`,
// `domus net` and tests ask it. Framing and request/reply rules are the kernel protocol's
// (frames.ts): {id, op, ...} gets one {id, ok, result | error}.

/** The manual's first bridge: a NIC without bridge= is on it, and it always exists. */
export const DEFAULT_BRIDGE = "br0";

export const NET_CONTROL_SOCKET = "run/net/control.sock"; // relative to DOMUS_HOME
/** Where host programs plug into bridge NAME with QEMU's stream framing: run/net/NAME.sock. */
export const NET_RUN_DIR = "run/net";

export type NetRequest =
  | { readonly op: "bridges" }
  | { readonly op: "ports" }
  | { readonly op: "learned"; readonly bridge: string }
  /** Capture a bridge (every frame entering it) or one port (both directions) to a new pcap file. */
  | { readonly op: "capture.start"; readonly target: string; readonly path: string }
  | { readonly op: "capture.stop"; readonly captureId: number };

/** One bridge as `brctl show` lists it. */
export interface NetBridge {
  readonly name: string;
  readonly id: string;
  readonly stp: "no";
  readonly interfaces: readonly string[];
}

/** A port's counters as `ip -s link` shows a vif on the host (rx: from the port into the bridge). */
export interface NetPort {
  readonly bridge: string;
  readonly name: string;
  readonly rxPackets: number;
  readonly rxBytes: number;
  readonly txPackets: number;
  readonly txBytes: number;
  readonly rxDropped: number;
  readonly txDropped: number;
  readonly rxErrors: number;
}

export interface NetCaptureResult {
  readonly captureId: number;
  readonly packets: number;
  readonly dropped: number;
}
