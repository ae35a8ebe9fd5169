// The PV keyboard and pointer (Xen's io/kbdif.h): one shared page (struct xenkbd_page) with an
// "in" ring of events from the backend (keys, pointer motion and position) and an "out" ring.
// Key codes are Linux input key codes (KEY_*). Domus departure, as for fbif: `page-ref` is a
// grant reference to domain 0.

export const XENKBD_PAGE_IN_CONS: u32 = 0; // u32
export const XENKBD_PAGE_IN_PROD: u32 = 4; // u32
export const XENKBD_PAGE_OUT_CONS: u32 = 8; // u32
export const XENKBD_PAGE_OUT_PROD: u32 = 12; // u32

export const XENKBD_IN_EVENT_SIZE: u32 = 40;
export const XENKBD_IN_RING_OFFS: u32 = 1024;
export const XENKBD_IN_RING_SIZE: u32 = 2048;
export const XENKBD_OUT_EVENT_SIZE: u32 = 40;
export const XENKBD_OUT_RING_OFFS: u32 = 3072;
export const XENKBD_OUT_RING_SIZE: u32 = 1024;

/** In events: type u8 @0. */
export const XENKBD_TYPE_MOTION: u32 = 1; // rel_x i32 @4, rel_y i32 @8, rel_z i32 @12
export const XENKBD_TYPE_KEY: u32 = 2; // pressed u8 @1, keycode u32 @4
export const XENKBD_TYPE_POS: u32 = 4; // abs_x i32 @4, abs_y i32 @8, rel_z i32 @12
export const XENKBD_KEY_PRESSED: u32 = 1;
export const XENKBD_KEY_KEYCODE: u32 = 4;
export const XENKBD_POS_X: u32 = 4;
export const XENKBD_POS_Y: u32 = 8;
