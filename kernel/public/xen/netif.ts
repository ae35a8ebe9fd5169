// The PV network device protocol (Xen's xen/include/public/io/netif.h): two shared rings
// (ring.ts), one for packets the guest sends (tx) and one for buffers it offers to receive
// into (rx), sharing one event channel. Each tx request names a granted page, the packet's
// offset and size in it; each rx request names an empty granted page, and its response says
// where in it the backend copied a packet and how long it is (or an error).

/** struct netif_tx_request */
export const NETIF_TX_REQ_GREF: u32 = 0; // u32
export const NETIF_TX_REQ_OFFSET: u32 = 4; // u16
export const NETIF_TX_REQ_FLAGS: u32 = 6; // u16
export const NETIF_TX_REQ_ID: u32 = 8; // u16
export const NETIF_TX_REQ_SIZE: u32 = 10; // u16: the whole packet's size in the first request
export const NETIF_TX_REQUEST_SIZE: u32 = 12;

/** struct netif_tx_response */
export const NETIF_TX_RSP_ID: u32 = 0; // u16
export const NETIF_TX_RSP_STATUS: u32 = 2; // i16
export const NETIF_TX_RESPONSE_SIZE: u32 = 4;
export const NETIF_TX_SLOT_SIZE: u32 = 12;

/** struct netif_rx_request */
export const NETIF_RX_REQ_ID: u32 = 0; // u16
export const NETIF_RX_REQ_GREF: u32 = 4; // u32
export const NETIF_RX_REQUEST_SIZE: u32 = 8;

/** struct netif_rx_response */
export const NETIF_RX_RSP_ID: u32 = 0; // u16
export const NETIF_RX_RSP_OFFSET: u32 = 2; // u16
export const NETIF_RX_RSP_FLAGS: u32 = 4; // u16
export const NETIF_RX_RSP_STATUS: u32 = 6; // i16: the packet's length, or NETIF_RSP_*
export const NETIF_RX_RESPONSE_SIZE: u32 = 8;
export const NETIF_RX_SLOT_SIZE: u32 = 8;

/** Slots per ring page: the largest power of two after the header (tx 12 bytes, rx 8 bytes): 256. */
export const NETIF_RING_SLOTS: u32 = 256;

/** tx flags: more data follows in the next request (a packet over several pages). */
export const NETTXF_csum_blank: u32 = 1 << 0;
export const NETTXF_data_validated: u32 = 1 << 1;
export const NETTXF_more_data: u32 = 1 << 2;
export const NETTXF_extra_info: u32 = 1 << 3;
/** rx flags */
export const NETRXF_data_validated: u32 = 1 << 0;
export const NETRXF_csum_blank: u32 = 1 << 1;
export const NETRXF_more_data: u32 = 1 << 2;

export const NETIF_RSP_DROPPED: i32 = -2;
export const NETIF_RSP_ERROR: i32 = -1;
export const NETIF_RSP_OKAY: i32 = 0;
export const NETIF_RSP_NULL: i32 = 1;

/** The backend's `ring` index of each ring in ring.bind (kernel/public/protocol.ts). */
export const NETIF_TX_RING: u32 = 0;
export const NETIF_RX_RING: u32 = 1;
