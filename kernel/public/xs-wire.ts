// The xenstore wire protocol, as Xen defines it in xen/include/public/io/xs_wire.h; meanings
// are in Xen's docs/misc/xenstore.txt. The store (services/store), its clients, the kernel's
// ring relay and C guests (through guests/include/domus-abi.h) all use these numbers, so they
// live here with the rest of the ABI.

/** Message types (`enum xsd_sockmsg_type`); 20 was XS_RESTRICT, since removed. */
export const XS_CONTROL: u32 = 0; // once XS_DEBUG
export const XS_DIRECTORY: u32 = 1;
export const XS_READ: u32 = 2;
export const XS_GET_PERMS: u32 = 3;
export const XS_WATCH: u32 = 4;
export const XS_UNWATCH: u32 = 5;
export const XS_TRANSACTION_START: u32 = 6;
export const XS_TRANSACTION_END: u32 = 7;
export const XS_INTRODUCE: u32 = 8;
export const XS_RELEASE: u32 = 9;
export const XS_GET_DOMAIN_PATH: u32 = 10;
export const XS_WRITE: u32 = 11;
export const XS_MKDIR: u32 = 12;
export const XS_RM: u32 = 13;
export const XS_SET_PERMS: u32 = 14;
export const XS_WATCH_EVENT: u32 = 15;
export const XS_ERROR: u32 = 16;
export const XS_IS_DOMAIN_INTRODUCED: u32 = 17;
export const XS_RESUME: u32 = 18;
export const XS_SET_TARGET: u32 = 19;
export const XS_RESET_WATCHES: u32 = 21;
export const XS_DIRECTORY_PART: u32 = 22;
/** Guaranteed never to be a valid type. */
export const XS_INVALID: u32 = 0xffff;

/**
 * Error replies carry the errno's name as a NUL-terminated string (`xsd_errors[]`), in this
 * order; a client maps unknown names to EINVAL.
 */
export const XS_ERRORS = [
  "EINVAL", "EACCES", "EEXIST", "EISDIR", "ENOENT", "ENOMEM", "ENOSPC", "EIO",
  "ENOTEMPTY", "ENOSYS", "EROFS", "EBUSY", "EAGAIN", "EISCONN", "E2BIG", "EPERM",
] as const;
export type XsErrorName = (typeof XS_ERRORS)[number];

/** `struct xsd_sockmsg`: four little-endian u32s, then `len` bytes of payload. */
export const XS_HEADER_SIZE: u32 = 16;
export const XS_HDR_TYPE: u32 = 0;
export const XS_HDR_REQ_ID: u32 = 4;
export const XS_HDR_TX_ID: u32 = 8; // 0 = not in a transaction
export const XS_HDR_LEN: u32 = 12;

/** Largest payload either side may send; a longer message is a protocol violation. */
export const XENSTORE_PAYLOAD_MAX: u32 = 4096;
/** Longest absolute path, and longest path below a domain's home (/local/domain/<id>/). */
export const XENSTORE_ABS_PATH_MAX: u32 = 3072;
export const XENSTORE_REL_PATH_MAX: u32 = 2048;

/** Reply payload of the acknowledging message types (WRITE, MKDIR, RM, WATCH, ...). */
export const XS_OK = "OK";

