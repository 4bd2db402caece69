// A damaged or unsupported capture: what is wrong and where.
import { CaptureError, MAX_CAPTURE_RECORD } from '../assembly/abi.js';

// tcpdump.org's names of link types (LINKTYPE_ without its prefix), for the
// error naming one nftwasm does not read.
const LINKTYPE_NAMES: Record<number, string> = {
  0: 'NULL', 1: 'ETHERNET', 3: 'AX25', 6: 'IEEE802_5', 7: 'ARCNET_BSD', 8: 'SLIP', 9: 'PPP', 10: 'FDDI', 50: 'PPP_HDLC',
  51: 'PPP_ETHER', 100: 'ATM_RFC1483', 101: 'RAW', 104: 'C_HDLC', 105: 'IEEE802_11', 107: 'FRELAY', 108: 'LOOP',
  113: 'LINUX_SLL', 114: 'LTALK', 117: 'PFLOG', 119: 'IEEE802_11_PRISM', 122: 'IP_OVER_FC', 123: 'SUNATM',
  127: 'IEEE802_11_RADIOTAP', 129: 'ARCNET_LINUX', 138: 'APPLE_IP_OVER_IEEE1394', 139: 'MTP2_WITH_PHDR', 140: 'MTP2',
  141: 'MTP3', 142: 'SCCP', 143: 'DOCSIS', 144: 'LINUX_IRDA', 163: 'IEEE802_11_AVS', 165: 'BACNET_MS_TP', 166: 'PPP_PPPD',
  169: 'GPRS_LLC', 177: 'LINUX_LAPD', 187: 'BLUETOOTH_HCI_H4', 189: 'USB_LINUX', 192: 'PPI', 195: 'IEEE802_15_4_WITHFCS',
  197: 'ERF', 201: 'BLUETOOTH_HCI_H4_WITH_PHDR', 202: 'AX25_KISS', 203: 'LAPD', 204: 'PPP_WITH_DIR', 205: 'C_HDLC_WITH_DIR',
  206: 'FRELAY_WITH_DIR', 220: 'USB_LINUX_MMAPPED', 226: 'IPNET', 227: 'CAN_SOCKETCAN', 228: 'IPV4', 229: 'IPV6',
  230: 'IEEE802_15_4_NOFCS', 231: 'DBUS', 239: 'NFLOG', 240: 'NETANALYZER', 241: 'NETANALYZER_TRANSPARENT', 242: 'IPOIB',
  243: 'MPEG_2_TS', 247: 'INFINIBAND', 248: 'SCTP', 249: 'USBPCAP', 251: 'BLUETOOTH_LE_LL', 253: 'NETLINK',
  254: 'BLUETOOTH_LINUX_MONITOR', 256: 'BLUETOOTH_LE_LL_WITH_PHDR', 258: 'PKTAP', 259: 'EPON', 274: 'ETHERNET_MPACKET',
  276: 'LINUX_SLL2',
};
for (let n = 147; n <= 162; n++) LINKTYPE_NAMES[n] = `USER${n - 147}`;

// What the walker saw of the damage it stopped at: the number and name of a
// link type it does not read, the lengths of a record too long.
export function walkDetail(code: CaptureError, linkType: number, length: number, limit: number): string {
  if (code === CaptureError.UnsupportedLinkType) {
    const name = LINKTYPE_NAMES[linkType];
    return ` ${linkType}${name ? `, LINKTYPE_${name}` : ''}`;
  }
  if (code === CaptureError.UnsupportedVersion) return ` ${length}.${limit}`;
  if (code === CaptureError.LinkTypeReserved) return ` (0x${length.toString(16).padStart(8, '0')})`;
  if (length === 0) return '';
  if (code === CaptureError.RecordTooLong) return `: ${length} bytes captured, over ${limit === MAX_CAPTURE_RECORD ? "libpcap's limit" : 'the snap length'} of ${limit}`;
  return '';
}

const MESSAGES: Record<CaptureError, string> = {
  [CaptureError.None]: 'no error',
  [CaptureError.NotACapture]: 'not a pcap or pcapng capture',
  [CaptureError.UnsupportedLinkType]: 'unsupported link type',
  [CaptureError.Truncated]: 'the capture ends in the middle of a record',
  [CaptureError.RecordTooLong]: 'a record is longer than the capture allows',
  [CaptureError.BadBlock]: 'a damaged pcapng block',
  [CaptureError.UnknownInterface]: 'a packet of an interface the pcapng section does not describe',
  [CaptureError.LinkTypeReserved]: 'the reserved bits of its link type are not zero',
  [CaptureError.UnsupportedVersion]: 'unsupported format version',
};

export class CaptureFormatError extends Error {
  readonly code: CaptureError;
  // Byte offset in the capture of the damaged record or block.
  readonly offset: number;
  // 1-based number of the record that could not be read.
  readonly record: number;

  // detail: what the walker saw, e.g. the link type it does not support,
  // with its own separator.
  constructor(code: CaptureError, offset: number, record: number, source = 'capture', detail = '') {
    super(`${source}: ${MESSAGES[code] ?? `error ${code}`}${detail} (record ${record}, byte offset ${offset})`);
    this.name = 'CaptureFormatError';
    this.code = code;
    this.offset = offset;
    this.record = record;
  }
}
