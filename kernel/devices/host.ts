// Functions the Node host provides to the kernel (imported from module "host").

/** Monotonic host time in milliseconds (performance.now()). */
@external("host", "monotonicMs")
export declare function monotonicMs(): f64;

/** Wall-clock time in milliseconds since the Unix epoch (Date.now()). */
@external("host", "wallClockMs")
export declare function wallClockMs(): f64;

/**
 * A load from RAM page that is a hole in the P2M, which may show another domain's frame (a grant
 * mapping): true with the value at FOREIGN_LOAD_VALUE, false if nothing is mapped there.
 */
@external("host", "foreignLoad")
export declare function foreignLoad(pa: u64, size: i32): bool;

/** A store to such a page: false if nothing is mapped there or the mapping is read-only. */
@external("host", "foreignStore")
export declare function foreignStore(pa: u64, value: u64, size: i32): bool;
