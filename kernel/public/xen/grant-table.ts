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

/** gnttab_copy: one segment of a batched copy; a side is a grant ref or, for the caller, a frame. */
export const GNTCOPY_source_gref: u32 = 1 << 0;
export const GNTCOPY_dest_gref: u32 = 1 << 1;

/** Status codes (GNTST_*) in an operation's status field. */
export const GNTST_okay: i32 = 0;
export const GNTST_general_error: i32 = -1;
export const GNTST_bad_domain: i32 = -2;
export const GNTST_bad_gntref: i32 = -3;
export const GNTST_permission_denied: i32 = -8;
export const GNTST_bad_copy_arg: i32 = -10;

export const GRANT_TABLE_FRAMES: u32 = 4; // 2048 v1 entries per domain
/** References 0..7 are reserved (Xen's GNTTAB_NR_RESERVED_ENTRIES: console and xenstore use them in
 * Xen's tools); the first one a guest hands out itself is this one. */
export const GNTTAB_NR_RESERVED_ENTRIES: u32 = 8;
