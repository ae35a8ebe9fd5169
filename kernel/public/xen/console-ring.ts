// The PV console page (Xen's xen/include/public/io/console.h, struct xencons_interface):
// the guest produces into `out` and consumes from `in`; indices run freely and are masked.

export const XENCONS_IN: u32 = 0; // char[1024]
export const XENCONS_IN_SIZE: u32 = 1024;
export const XENCONS_OUT: u32 = 1024; // char[2048]
export const XENCONS_OUT_SIZE: u32 = 2048;
export const XENCONS_IN_CONS: u32 = 3072; // u32
export const XENCONS_IN_PROD: u32 = 3076;
export const XENCONS_OUT_CONS: u32 = 3080;
export const XENCONS_OUT_PROD: u32 = 3084;
