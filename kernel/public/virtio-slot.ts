// Layout of one virtio-mmio slot's state block in kernel memory (at VIRTIO_STATE_BASE +
// slot * VIRTIO_SLOT_STATE_SIZE). The kernel owns the register file; the host's virtqueue
// engine reads queue addresses from here and keeps its ring positions here too, so a device
// reset by the guest (status = 0) resets them in one place.

export const VS_DEVICE_ID: usize = 0; // u32, 0 = empty slot
export const VS_VENDOR_ID: usize = 4; // u32
export const VS_DEVICE_FEATURES: usize = 8; // u64
export const VS_DRIVER_FEATURES: usize = 16; // u64
export const VS_DEVICE_FEATURES_SEL: usize = 24; // u32
export const VS_DRIVER_FEATURES_SEL: usize = 28; // u32
export const VS_QUEUE_SEL: usize = 32; // u32
export const VS_INTERRUPT_STATUS: usize = 36; // u32
export const VS_STATUS: usize = 40; // u32
export const VS_CONFIG_GENERATION: usize = 44; // u32
export const VS_QUEUE_NUM_MAX: usize = 48; // u32
export const VS_NOTIFY_PENDING: usize = 52; // u32 bitmask of notified queues
export const VS_RESETS: usize = 56; // u32, counts the driver's device resets: answers to older requests are dropped
export const VS_CONFIG_WRITTEN: usize = 60; // u32, 1 when the driver wrote config space since the host last looked
export const VS_QUEUES: usize = 64; // VIRTIO_MAX_QUEUES entries of VQ_SIZE bytes
export const VIRTIO_MAX_QUEUES: i32 = 8;
export const VQ_SIZE: usize = 32;
export const VQ_NUM: usize = 0; // u32
export const VQ_READY: usize = 4; // u32
export const VQ_DESC: usize = 8; // u64
export const VQ_DRIVER: usize = 16; // u64 (avail ring)
export const VQ_DEVICE: usize = 24; // u64 (used ring)
export const VS_LAST_AVAIL: usize = 320; // u16 per queue: the host engine's next avail index
export const VS_CONFIG: usize = 512; // device config space, VIRTIO_CONFIG_SIZE bytes
export const VIRTIO_CONFIG_SIZE: usize = 512;

export const VIRTIO_MMIO_MAGIC: u32 = 0x74726976; // "virt"
export const VIRTIO_MMIO_VERSION: u32 = 2;
export const VIRTIO_VENDOR_DOMUS: u32 = 0x554d4f44; // "DOMU"
export const VIRTIO_F_VERSION_1_HI: u32 = 1; // bit 32 of the feature bits: bit 0 of the high word
export const VIRTIO_INT_USED_RING: u32 = 1;
export const VIRTIO_INT_CONFIG: u32 = 2;

/** Device IDs (virtio 1.x, 5.x). */
export const VIRTIO_ID_NET: u32 = 1;
export const VIRTIO_ID_BLOCK: u32 = 2;
export const VIRTIO_ID_INPUT: u32 = 18;
