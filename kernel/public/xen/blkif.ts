// The PV block device protocol (Xen's xen/include/public/io/blkif.h), 64-bit layout: a one-page
// shared ring (ring.ts) of 112-byte slots holding a request or its response. A request names up
// to 11 segments, each a granted page and the sectors used in it (512-byte sectors, first..last
// inclusive, within the page).

export const BLKIF_OP_READ: u32 = 0;
export const BLKIF_OP_WRITE: u32 = 1;
export const BLKIF_OP_WRITE_BARRIER: u32 = 2;
export const BLKIF_OP_FLUSH_DISKCACHE: u32 = 3;

export const BLKIF_MAX_SEGMENTS_PER_REQUEST: u32 = 11;
export const BLKIF_SECTOR_SIZE: u32 = 512;

/** struct blkif_request (x86_64/riscv64 layout: the u64 id aligned to 8). */
export const BLKIF_REQ_OPERATION: u32 = 0; // u8
export const BLKIF_REQ_NR_SEGMENTS: u32 = 1; // u8
export const BLKIF_REQ_HANDLE: u32 = 2; // u16: the device (virtual-device number, low 16 bits)
export const BLKIF_REQ_ID: u32 = 8; // u64: echoed in the response
export const BLKIF_REQ_SECTOR: u32 = 16; // u64: start sector on the disk
export const BLKIF_REQ_SEG: u32 = 24; // segments, BLKIF_SEG_SIZE each
export const BLKIF_SEG_SIZE: u32 = 8;
export const BLKIF_SEG_GREF: u32 = 0; // u32
export const BLKIF_SEG_FIRST_SECT: u32 = 4; // u8
export const BLKIF_SEG_LAST_SECT: u32 = 5; // u8
export const BLKIF_REQUEST_SIZE: u32 = 112;

/** struct blkif_response. */
export const BLKIF_RSP_ID: u32 = 0; // u64
export const BLKIF_RSP_OPERATION: u32 = 8; // u8
export const BLKIF_RSP_STATUS: u32 = 10; // i16
export const BLKIF_RESPONSE_SIZE: u32 = 16;

export const BLKIF_RSP_OKAY: i32 = 0;
export const BLKIF_RSP_ERROR: i32 = -1;
export const BLKIF_RSP_EOPNOTSUPP: i32 = -2;

/** A slot holds a request or a response: the larger one. */
export const BLKIF_SLOT_SIZE: u32 = 112;
/** Slots in one page: the largest power of two that fits after the header: 32. */
export const BLKIF_RING_SLOTS: u32 = 32;
