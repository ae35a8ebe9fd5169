// The xenstore ring page (Xen's xen/include/public/io/xs_wire.h, struct
// xenstore_domain_interface; docs/misc/xenstore-ring.txt): the guest produces requests into
// `req` and consumes replies and watch events from `rsp`; the store side does the opposite.
// Both rings carry the plain xenstore byte stream (kernel/public/xs-wire.ts); indices run
// freely and are masked with the ring size.

export const XENSTORE_RING_SIZE: u32 = 1024;
export const XS_RING_REQ: u32 = 0; // char[1024]
export const XS_RING_RSP: u32 = 1024; // char[1024]
export const XS_RING_REQ_CONS: u32 = 2048; // u32
export const XS_RING_REQ_PROD: u32 = 2052;
export const XS_RING_RSP_CONS: u32 = 2056;
export const XS_RING_RSP_PROD: u32 = 2060;
export const XS_RING_SERVER_FEATURES: u32 = 2064; // u32, XENSTORE_SERVER_FEATURE_* bits
export const XS_RING_CONNECTION: u32 = 2068; // u32, XENSTORE_CONNECTED or XENSTORE_RECONNECT
export const XS_RING_ERROR: u32 = 2072; // u32, XENSTORE_ERROR_*

/** The server supports the connection field's reconnection protocol (the kernel's relay does). */
export const XENSTORE_SERVER_FEATURE_RECONNECTION: u32 = 1;
export const XENSTORE_CONNECTED: u32 = 0;
export const XENSTORE_RECONNECT: u32 = 1;
