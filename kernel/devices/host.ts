// Functions the Node host provides to the kernel (imported from module "host").

/** Monotonic host time in milliseconds (performance.now()). */
@external("host", "monotonicMs")
export declare function monotonicMs(): f64;

/** Wall-clock time in milliseconds since the Unix epoch (Date.now()). */
@external("host", "wallClockMs")
export declare function wallClockMs(): f64;
