// Grant tables, version 1 (Xen's xen/include/public/grant_table.h): an entry lets one other
// domain map or copy one of the granting domain's frames. GNTTABOP_setup_table returns the
// guest frames that hold the table; the guest fills entries, then publishes the reference.

export const GRANT_ENTRY_V1_SIZE: u32 = 8;
export const GE_FLAGS: u32 = 0; // u16
export const GE_DOMID: u32 = 2; // u16: the domain allowed to use the grant
export const GE_FRAME: u32 = 4; // u32: the granted guest frame

export const GTF_invalid: u32 = 0;
export const GTF_permit_access: u32 = 1;
export const GTF_type_mask: u32 = 3;
export const GTF_readonly: u32 = 1 << 2;
export const GTF_reading: u32 = 1 << 3;
export const GTF_writing: u32 = 1 << 4;

/**
 * gnttab_map_grant_ref (32 bytes): map grant `ref` of domain `dom` at the caller's guest-physical
 * address `host_addr` (the caller is auto-translated, as a Domus guest always is).
 */
export const GNTTAB_MAP_SIZE: u32 = 32;
export const GNTMAP_HOST_ADDR: u32 = 0; // u64
export const GNTMAP_FLAGS: u32 = 8; // u32: GNTMAP_*
export const GNTMAP_REF: u32 = 12; // u32
export const GNTMAP_DOM: u32 = 16; // u16
export const GNTMAP_STATUS: u32 = 18; // i16, out
export const GNTMAP_HANDLE: u32 = 20; // u32, out: for the unmap
export const GNTMAP_DEV_BUS_ADDR: u32 = 24; // u64, out

/** gnttab_unmap_grant_ref (24 bytes): take away the mapping `handle` at `host_addr`. */
export const GNTTAB_UNMAP_SIZE: u32 = 24;
export const GNTUNMAP_HOST_ADDR: u32 = 0; // u64
export const GNTUNMAP_DEV_BUS_ADDR: u32 = 8; // u64
export const GNTUNMAP_HANDLE: u32 = 16; // u32
export const GNTUNMAP_STATUS: u32 = 20; // i16, out

/** Map flags. Domus maps for the CPU only (host_map); device and PTE mappings have no meaning here. */
export const GNTMAP_device_map: u32 = 1 << 0;
export const GNTMAP_host_map: u32 = 1 << 1;
export const GNTMAP_readonly: u32 = 1 << 2;
export const GNTMAP_application_map: u32 = 1 << 3;
export const GNTMAP_contains_pte: u32 = 1 << 4;

/** gnttab_copy: one segment of a batched copy; a side is a grant ref or, for the caller, a frame. */
export const GNTCOPY_source_gref: u32 = 1 << 0;
export const GNTCOPY_dest_gref: u32 = 1 << 1;

/** Status codes (GNTST_*) in an operation's status field. */
export const GNTST_okay: i32 = 0;
export const GNTST_general_error: i32 = -1;
export const GNTST_bad_domain: i32 = -2;
export const GNTST_bad_gntref: i32 = -3;
export const GNTST_bad_handle: i32 = -4;
export const GNTST_bad_virt_addr: i32 = -5;
export const GNTST_no_device_space: i32 = -7;
export const GNTST_permission_denied: i32 = -8;
export const GNTST_bad_page: i32 = -9;
export const GNTST_bad_copy_arg: i32 = -10;

export const GRANT_TABLE_FRAMES: u32 = 4; // 2048 v1 entries per domain
/** References 0..7 are reserved (Xen's GNTTAB_NR_RESERVED_ENTRIES: console and xenstore use them in
 * Xen's tools); the first one a guest hands out itself is this one. */
export const GNTTAB_NR_RESERVED_ENTRIES: u32 = 8;
