// The PV framebuffer (Xen's io/fbif.h): one shared page (struct xenfb_page) holds the mode, two
// event rings and a directory of the pages that hold the pixels. The frontend draws into those
// pages and sends "update" events naming the changed rectangle; the backend sends "in" events.
// Domus departure: `page-ref` and the directory entries are grant references (to domain 0),
// not machine frame numbers, because backends reach guest memory only through grants.

export const XENFB_PAGE_IN_CONS: u32 = 0; // u32
export const XENFB_PAGE_IN_PROD: u32 = 4; // u32
export const XENFB_PAGE_OUT_CONS: u32 = 8; // u32
export const XENFB_PAGE_OUT_PROD: u32 = 12; // u32
export const XENFB_PAGE_WIDTH: u32 = 16; // i32
export const XENFB_PAGE_HEIGHT: u32 = 20; // i32
export const XENFB_PAGE_LINE_LENGTH: u32 = 24; // u32: bytes per line
export const XENFB_PAGE_MEM_LENGTH: u32 = 28; // u32: bytes of framebuffer
export const XENFB_PAGE_DEPTH: u32 = 32; // u8: bits per pixel (32: x8r8g8b8 little-endian)
/** Directory: u32 grant refs of pages that each hold 1024 u32 grant refs of framebuffer pages. */
export const XENFB_PAGE_PD: u32 = 40;
export const XENFB_PD_ENTRIES: u32 = 16;

export const XENFB_OUT_EVENT_SIZE: u32 = 40;
export const XENFB_IN_EVENT_SIZE: u32 = 40;
export const XENFB_IN_RING_OFFS: u32 = 1024;
export const XENFB_IN_RING_SIZE: u32 = 1024;
export const XENFB_OUT_RING_OFFS: u32 = 2048;
export const XENFB_OUT_RING_SIZE: u32 = 2048;

/** Out event: the frontend changed a rectangle (x i32 @4, y @8, width @12, height @16). */
export const XENFB_TYPE_UPDATE: u32 = 2;
export const XENFB_UPDATE_X: u32 = 4;
export const XENFB_UPDATE_Y: u32 = 8;
export const XENFB_UPDATE_WIDTH: u32 = 12;
export const XENFB_UPDATE_HEIGHT: u32 = 16;

export const XENFB_WIDTH: u32 = 800;
export const XENFB_HEIGHT: u32 = 600;
export const XENFB_DEPTH: u32 = 32;
