// Xen's shared I/O rings (xen/include/public/io/ring.h), the layout every split driver's ring
// page has: a header of four indices, then a power-of-two number of slots, each holding a request
// or (later) its response. Indices run freely (u32, wrapping); a slot is index & (slots - 1).
// The frontend produces requests and consumes responses; the backend the other way round.

export const SRING_REQ_PROD: u32 = 0; // u32
export const SRING_REQ_EVENT: u32 = 4; // u32: notify the backend when req_prod passes this
export const SRING_RSP_PROD: u32 = 8; // u32
export const SRING_RSP_EVENT: u32 = 12; // u32: notify the frontend when rsp_prod passes this
export const SRING_HEADER_SIZE: u32 = 64; // the indices, then 48 bytes of padding
export const SRING_PAGE_SIZE: u32 = 4096;
