// virtio-input (virtio 1.x, 5.8): an HVM guest's keyboard and tablet. The device sends Linux
// input events (evdev type, code, value) in the driver's eventq buffers; the driver sends LED
// changes on the statusq. Its config space is paged: the driver writes `select` and `subsel`,
// then reads `size` and that page's bytes.

export const VIRTIO_INPUT_EVENTQ = 0;
export const VIRTIO_INPUT_STATUSQ = 1;

/** struct virtio_input_event: le16 type, le16 code, le32 value. */
export const VIRTIO_INPUT_EVENT_BYTES = 8;

/** struct virtio_input_config: select u8 @0, subsel u8 @1, size u8 @2, the page @8. */
export const VIRTIO_INPUT_CFG_SELECT = 0;
export const VIRTIO_INPUT_CFG_SUBSEL = 1;
export const VIRTIO_INPUT_CFG_SIZE = 2;
export const VIRTIO_INPUT_CFG_PAGE = 8;
export const VIRTIO_INPUT_CFG_PAGE_BYTES = 128;
export const VIRTIO_INPUT_CONFIG_BYTES = VIRTIO_INPUT_CFG_PAGE + VIRTIO_INPUT_CFG_PAGE_BYTES;

/** Config selects. */
export const VIRTIO_INPUT_CFG_ID_NAME = 0x01;
export const VIRTIO_INPUT_CFG_ID_SERIAL = 0x02;
export const VIRTIO_INPUT_CFG_ID_DEVIDS = 0x03;
export const VIRTIO_INPUT_CFG_PROP_BITS = 0x10;
/** subsel = an event type: the bitmap of the codes the device sends for it. */
export const VIRTIO_INPUT_CFG_EV_BITS = 0x11;
/** subsel = an axis: struct virtio_input_absinfo, le32 min, max, fuzz, flat, res. */
export const VIRTIO_INPUT_CFG_ABS_INFO = 0x12;

/** Linux input event types and the codes Domus sends (linux/input-event-codes.h). */
export const EV_SYN = 0x00;
export const EV_KEY = 0x01;
export const EV_REL = 0x02;
export const EV_ABS = 0x03;
export const EV_LED = 0x11;
export const SYN_REPORT = 0;
export const ABS_X = 0x00;
export const ABS_Y = 0x01;
export const REL_WHEEL = 0x08;
export const BTN_LEFT = 0x110;
export const BTN_RIGHT = 0x111;
export const BTN_MIDDLE = 0x112;
export const LED_NUML = 0x00;
export const LED_CAPSL = 0x01;
export const LED_SCROLLL = 0x02;
export const INPUT_PROP_DIRECT = 0x01;
export const BUS_VIRTUAL = 0x06;

/** The tablet's axes run 0..ABS_MAX whatever the screen's size, as QEMU's virtio tablet does. */
export const VIRTIO_INPUT_ABS_MAX = 0x7fff;
