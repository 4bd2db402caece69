/** Builds Ethernet/IPv4 frames in one reusable buffer, with correct checksums. */

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;

export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

const ETHERNET_LENGTH = 14;
const IPV4_OFFSET = ETHERNET_LENGTH;
const IPV4_LENGTH = 20;
export const L4_OFFSET = IPV4_OFFSET + IPV4_LENGTH;
export const TCP_PAYLOAD_OFFSET = L4_OFFSET + 20;
export const UDP_PAYLOAD_OFFSET = L4_OFFSET + 8;
export const ICMP_PAYLOAD_OFFSET = L4_OFFSET + 8;
export const MSS = 1460;
const MAX_FRAME = ETHERNET_LENGTH + IPV4_LENGTH + 20 + MSS;
const TTL = 64;
const DONT_FRAGMENT = 0x4000;
/** MSS 1460, NOP, NOP, SACK permitted: what a SYN without timestamps or window scaling carries. */
const SYN_OPTIONS = [2, 4, MSS >> 8, MSS & 0xff, 1, 1, 4, 2];

export class FrameBuilder {
  readonly frame = new Uint8Array(MAX_FRAME);
  private readonly view = new DataView(this.frame.buffer);

  constructor() {
    this.view.setUint16(12, 0x0800);
  }

  /**
   * The capture point is the clients' router: client frames go from the
   * client's MAC to the router, server frames from the router to the client.
   */
  private ethernet(clientIp: number, toServer: boolean): void {
    const frame = this.frame;
    const clientMac = toServer ? 6 : 0;
    const routerMac = toServer ? 0 : 6;
    // Locally administered client MACs derived from the address keep hosts distinct.
    frame[clientMac] = 0x02;
    frame[clientMac + 1] = 0x00;
    this.view.setUint32(clientMac + 2, clientIp);
    // 00:00:5e:00:53:01 is from the range RFC 7042 reserves for documentation.
    frame[routerMac] = 0x00;
    frame[routerMac + 1] = 0x00;
    frame[routerMac + 2] = 0x5e;
    frame[routerMac + 3] = 0x00;
    frame[routerMac + 4] = 0x53;
    frame[routerMac + 5] = 0x01;
  }

  private ipv4(source: number, destination: number, protocol: number, ipId: number, dontFragment: boolean, l4Length: number): void {
    const view = this.view;
    view.setUint16(IPV4_OFFSET, 0x4500);
    view.setUint16(IPV4_OFFSET + 2, IPV4_LENGTH + l4Length);
    view.setUint16(IPV4_OFFSET + 4, ipId);
    view.setUint16(IPV4_OFFSET + 6, dontFragment ? DONT_FRAGMENT : 0);
    view.setUint16(IPV4_OFFSET + 8, (TTL << 8) | protocol);
    view.setUint16(IPV4_OFFSET + 10, 0);
    view.setUint32(IPV4_OFFSET + 12, source);
    view.setUint32(IPV4_OFFSET + 16, destination);
    view.setUint16(IPV4_OFFSET + 10, finish(sum16(this.frame, IPV4_OFFSET, IPV4_OFFSET + IPV4_LENGTH, 0)));
  }

  private pseudoHeaderSum(source: number, destination: number, protocol: number, l4Length: number): number {
    return (source >>> 16) + (source & 0xffff) + (destination >>> 16) + (destination & 0xffff) + protocol + l4Length;
  }

  /**
   * A TCP segment whose payload the caller has already placed at
   * TCP_PAYLOAD_OFFSET. SYNs carry options instead of a payload. Returns the frame length.
   */
  tcp(
    source: number,
    destination: number,
    toServer: boolean,
    sourcePort: number,
    destinationPort: number,
    seq: number,
    ack: number,
    flags: number,
    window: number,
    ipId: number,
    payloadLength: number,
  ): number {
    const optionsLength = flags & TCP_SYN ? SYN_OPTIONS.length : 0;
    const headerLength = 20 + optionsLength;
    const l4Length = headerLength + payloadLength;
    const view = this.view;
    this.ethernet(toServer ? source : destination, toServer);
    this.ipv4(source, destination, IPPROTO_TCP, ipId, true, l4Length);
    view.setUint16(L4_OFFSET, sourcePort);
    view.setUint16(L4_OFFSET + 2, destinationPort);
    view.setUint32(L4_OFFSET + 4, seq);
    view.setUint32(L4_OFFSET + 8, ack);
    view.setUint16(L4_OFFSET + 12, ((headerLength >> 2) << 12) | flags);
    view.setUint16(L4_OFFSET + 14, window);
    view.setUint32(L4_OFFSET + 16, 0); // checksum and urgent pointer
    if (optionsLength > 0) this.frame.set(SYN_OPTIONS, TCP_PAYLOAD_OFFSET);
    const end = L4_OFFSET + l4Length;
    const sum = sum16(this.frame, L4_OFFSET, end, this.pseudoHeaderSum(source, destination, IPPROTO_TCP, l4Length));
    view.setUint16(L4_OFFSET + 16, finish(sum));
    return end;
  }

  /** A UDP datagram whose payload is already at UDP_PAYLOAD_OFFSET. */
  udp(source: number, destination: number, toServer: boolean, sourcePort: number, destinationPort: number, ipId: number, dontFragment: boolean, payloadLength: number): number {
    const l4Length = 8 + payloadLength;
    const view = this.view;
    this.ethernet(toServer ? source : destination, toServer);
    this.ipv4(source, destination, IPPROTO_UDP, ipId, dontFragment, l4Length);
    view.setUint16(L4_OFFSET, sourcePort);
    view.setUint16(L4_OFFSET + 2, destinationPort);
    view.setUint16(L4_OFFSET + 4, l4Length);
    view.setUint16(L4_OFFSET + 6, 0);
    const end = L4_OFFSET + l4Length;
    // A computed 0 is sent as 0xffff because 0 means "no checksum".
    view.setUint16(L4_OFFSET + 6, finish(sum16(this.frame, L4_OFFSET, end, this.pseudoHeaderSum(source, destination, IPPROTO_UDP, l4Length))) || 0xffff);
    return end;
  }

  /** An ICMP echo request (type 8) or reply (type 0) whose data is already at ICMP_PAYLOAD_OFFSET. */
  icmpEcho(source: number, destination: number, toServer: boolean, type: number, identifier: number, sequence: number, ipId: number, dontFragment: boolean, payloadLength: number): number {
    const l4Length = 8 + payloadLength;
    const view = this.view;
    this.ethernet(toServer ? source : destination, toServer);
    this.ipv4(source, destination, IPPROTO_ICMP, ipId, dontFragment, l4Length);
    view.setUint16(L4_OFFSET, type << 8);
    view.setUint16(L4_OFFSET + 2, 0);
    view.setUint16(L4_OFFSET + 4, identifier);
    view.setUint16(L4_OFFSET + 6, sequence);
    const end = L4_OFFSET + l4Length;
    view.setUint16(L4_OFFSET + 2, finish(sum16(this.frame, L4_OFFSET, end, 0)));
    return end;
  }
}

/** Unfolded one's-complement sum of big-endian 16-bit words, the last odd byte padded with zero. */
function sum16(bytes: Uint8Array, start: number, end: number, initial: number): number {
  let sum = initial;
  let i = start;
  for (; i + 1 < end; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (i < end) sum += bytes[i]! << 8;
  return sum;
}

function finish(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
