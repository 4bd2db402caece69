// Parses the packet of the current record: link layer, network header as the
// kernel's ip_rcv/ipv6_rcv validate it, and the transport header.
//
// Everything is kept in globals: the data plane handles one packet at a time
// and must not allocate per packet.
import { PacketFate, LinkType } from './abi';
import * as cap from './capture';

export const NFPROTO_IPV4: u8 = 2;
export const NFPROTO_IPV6: u8 = 10;

export const IPPROTO_ICMP: u8 = 1;
export const IPPROTO_TCP: u8 = 6;
export const IPPROTO_UDP: u8 = 17;
export const IPPROTO_ICMPV6: u8 = 58;
export const IPPROTO_UDPLITE: u8 = 136;

export const TCP_FIN: u8 = 0x01;
export const TCP_SYN: u8 = 0x02;
export const TCP_RST: u8 = 0x04;
export const TCP_PSH: u8 = 0x08;
export const TCP_ACK: u8 = 0x10;
export const TCP_URG: u8 = 0x20;


// Start and captured end of the link-layer frame.
export let linkStart: usize = 0;
export let dataEnd: usize = 0;
// Where the link layer's payload starts (0 when the frame has none we know),
// and its length on the wire: skb->data and skb->len on a device's ingress
// hook, before ip_rcv trims the frame to its IP length.
export let linkPayload: usize = 0;
export let linkPayloadLen: u32 = 0;
// Network header start; its length as the packet's IP total length says.
export let net: usize = 0;
export let netLen: u32 = 0;
export let nfproto: u8 = 0;
export let ethertype: u16 = 0;
export let pkttype: u8 = 0;
// Transport header (0 when there is none, e.g. a non-first fragment).
export let th: usize = 0;
export let l4proto: u8 = 0;
// Bytes of transport header and payload the IP header announces.
export let l4Len: u32 = 0;
export let saddr: usize = 0;
export let daddr: usize = 0;
export let isFragment = false;
// Ports or ICMP fields in network byte order as loaded from the packet.
export let sport: u16 = 0;
export let dport: u16 = 0;
export let tcpFlags: u8 = 0;

@inline function be16(p: usize): u16 {
  return bswap<u16>(load<u16>(p));
}

// Whether p..p+n lies inside the captured bytes.
@inline export function captured(p: usize, n: u32): bool {
  return p + <usize>n <= dataEnd;
}

function ipv4HeaderChecksumOk(p: usize, ihl: u32): bool {
  let sum: u32 = 0;
  for (let i: u32 = 0; i < ihl; i += 2) sum += <u32>load<u16>(p + i);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return sum == 0xffff;
}

// The ARPHRD_* type of the device the packet came in on, as the capture's
// link layer tells it (a cooked capture says it outright; raw IP comes from
// devices without a link layer, ARPHRD_NONE).
export const ARPHRD_ETHER: u32 = 1;
export const ARPHRD_LOOPBACK: u32 = 772;
const ARPHRD_NONE: u32 = 0xfffe;
export let iifType: u32 = ARPHRD_NONE;
export const PACKET_OTHERHOST: u8 = 3;
// The interface index a Linux cooked v2 header names (0: not known).
export let linkIfindex: u32 = 0;

// Whether the capture was taken on a loopback device: Linux's lo frames
// Ethernet with both addresses zero, a cooked capture names the device type,
// BSD's lo uses the null link type. Raw IP does not tell.
export const DEVICE_OTHER: i32 = 0;
export const DEVICE_LOOPBACK: i32 = 1;
export const DEVICE_UNKNOWN: i32 = 2;
export let loopbackDevice: i32 = DEVICE_UNKNOWN;
// A cooked capture marks what the host sent (PACKET_OUTGOING).
export let outgoing = false;
const PACKET_OUTGOING: u32 = 4;

const ARPHRD_PPP: u32 = 512;
// PPP protocol numbers of IPv4 and IPv6.
const PPP_IP: u32 = 0x21;
const PPP_IPV6: u32 = 0x57;
let pppEthertype: u32 = 0;

// The payload of a PPP frame at p (RFC 1661; with RFC 1662's address and
// control bytes or without, its protocol field whole or compressed to one
// byte), or 0 when it is not IP.
function pppPayload(p: usize): usize {
  if (captured(p, 2) && load<u8>(p) == 0xff && load<u8>(p + 1) == 0x03) p += 2;
  if (!captured(p, 1)) return 0;
  let protocol = <u32>load<u8>(p);
  if (protocol & 1) {
    p += 1;
  } else {
    if (!captured(p, 2)) return 0;
    protocol = <u32>be16(p);
    p += 2;
  }
  pppEthertype = protocol == PPP_IP ? 0x0800 : protocol == PPP_IPV6 ? 0x86dd : 0;
  return p;
}

// NFLOG (tcpdump -i nflog:N): a family byte, a version and the group, then
// attributes whose length and type are in the byte order of the host that
// wrote the file, and whose values are in network order.
const NFULA_IFINDEX_INDEV: u32 = 4;
const NFULA_IFINDEX_OUTDEV: u32 = 5;
const NFULA_PAYLOAD: u32 = 9;
const NFULA_HWTYPE: u32 = 15;
let nflogEthertype: u32 = 0;
// Where the payload attribute ends (0: not an NFLOG record).
let nflogEnd: usize = 0;

function nflogPayload(data: usize): usize {
  if (!captured(data, 4)) return 0;
  const family = load<u8>(data);
  nflogEthertype = family == 2 ? 0x0800 : family == 10 ? 0x86dd : 0;
  let inDevice: u32 = 0;
  let outDevice: u32 = 0;
  let q = data + 4;
  while (captured(q, 4)) {
    const len = cap.recordU16(q);
    const type = cap.recordU16(q + 2) & 0x7fff;
    if (len < 4) return 0;
    const value = q + 4;
    if (type == NFULA_PAYLOAD) {
      // ip_rcv has the packet from the input device, or the host sent it.
      linkIfindex = inDevice;
      outgoing = inDevice == 0 && outDevice != 0;
      nflogEnd = q + <usize>len;
      return value;
    }
    if (captured(value, 4) && type == NFULA_IFINDEX_INDEV) inDevice = bswap<u32>(load<u32>(value));
    if (captured(value, 4) && type == NFULA_IFINDEX_OUTDEV) outDevice = bswap<u32>(load<u32>(value));
    if (captured(value, 2) && type == NFULA_HWTYPE) iifType = <u32>be16(value);
    q += (<usize>len + 3) & ~3;
  }
  return 0;
}

// 802.11 after radiotap: a data frame carrying LLC/SNAP (what a station's
// capture in monitor mode holds), its payload after the SNAP ethertype, or
// 0 for any other frame, and for encrypted ones.
const SNAP_HEADER: u64 = 0x000000_03_aaaa;
function wifiPayload(data: usize): usize {
  if (!captured(data, 4)) return 0;
  const wlan = data + <usize>load<u16>(data + 2);
  if (!captured(wlan, 24)) return 0;
  const fc0 = <u32>load<u8>(wlan);
  const fc1 = <u32>load<u8>(wlan + 1);
  // Data frames (type 2), not null functions (subtype bit 2), not protected.
  if (((fc0 >> 2) & 3) != 2 || (fc0 & 0x40) != 0 || (fc1 & 0x40) != 0) return 0;
  const toDs = (fc1 & 1) != 0;
  const fromDs = (fc1 & 2) != 0;
  let p = wlan + 24;
  if (toDs && fromDs) p += 6;
  if (fc0 & 0x80) {
    // QoS data: a QoS control field, and an HT control field when ordered.
    p += 2;
    if (fc1 & 0x80) p += 4;
  }
  // The destination: the receiver, unless the frame goes to the
  // distribution system, which forwards it to the third address.
  const dst = toDs ? wlan + 16 : wlan + 4;
  if (load<u8>(dst) & 1) pkttype = load<u32>(dst) == 0xffffffff && load<u16>(dst + 4) == 0xffff ? 1 : 2;
  if (!captured(p, 8) || (load<u64>(p) & 0xffffffffffff) != SNAP_HEADER) return 0;
  return p + 8;
}

// Returns a PacketFate. On PacketFate.Filtered the globals describe the packet.
export function parsePacket(linkType: u32, data: usize, caplen: u32, origLen: u32): i32 {
  linkStart = data;
  dataEnd = data + caplen;
  th = 0;
  l4proto = 0;
  sport = 0;
  dport = 0;
  tcpFlags = 0;
  isFragment = false;
  pkttype = 0;
  iifType = ARPHRD_NONE;
  linkIfindex = 0;
  loopbackDevice = DEVICE_UNKNOWN;
  outgoing = false;
  nflogEnd = 0;
  linkPayload = 0;
  let p = data;
  let proto: u32 = 0;
  if (linkType == LinkType.Ethernet) {
    iifType = ARPHRD_ETHER;
    if (caplen < 14) return PacketFate.NotIp;
    loopbackDevice = load<u64>(data) == 0 && load<u32>(data + 8) == 0 ? DEVICE_LOOPBACK : DEVICE_OTHER;
    const dst0 = load<u8>(data);
    if (dst0 & 1) pkttype = load<u32>(data) == 0xffffffff && load<u16>(data + 4) == 0xffff ? 1 : 2;
    proto = be16(data + 12);
    p = data + 14;
    while ((proto == 0x8100 || proto == 0x88a8) && captured(p, 4)) {
      proto = be16(p + 2);
      p += 4;
    }
  } else if (linkType == LinkType.LinuxSll) {
    if (caplen < 16) return PacketFate.NotIp;
    iifType = be16(data + 2);
    loopbackDevice = iifType == ARPHRD_LOOPBACK ? DEVICE_LOOPBACK : DEVICE_OTHER;
    const t = be16(data);
    outgoing = t == PACKET_OUTGOING;
    pkttype = outgoing ? 0 : <u8>t;
    proto = be16(data + 14);
    p = data + 16;
  } else if (linkType == LinkType.LinuxSll2) {
    if (caplen < 20) return PacketFate.NotIp;
    iifType = be16(data + 8);
    linkIfindex = bswap<u32>(load<u32>(data + 4));
    loopbackDevice = iifType == ARPHRD_LOOPBACK ? DEVICE_LOOPBACK : DEVICE_OTHER;
    proto = be16(data);
    const t = load<u8>(data + 10);
    outgoing = t == PACKET_OUTGOING;
    pkttype = outgoing ? 0 : t;
    p = data + 20;
  } else if (linkType == LinkType.Raw || linkType == LinkType.Ipv4 || linkType == LinkType.Ipv6) {
    if (caplen < 1) return PacketFate.NotIp;
    const v = load<u8>(data) >> 4;
    proto = v == 4 ? 0x0800 : v == 6 ? 0x86dd : 0;
  } else if (linkType == LinkType.Null) {
    if (caplen < 4) return PacketFate.NotIp;
    iifType = ARPHRD_LOOPBACK;
    loopbackDevice = DEVICE_LOOPBACK;
    let af = load<u32>(data);
    if (af > 0xffff) af = bswap<u32>(af);
    proto = af == 2 ? 0x0800 : af == 24 || af == 28 || af == 30 ? 0x86dd : 0;
    p = data + 4;
  } else if (linkType == LinkType.Ppp || linkType == LinkType.PppWithDir) {
    iifType = ARPHRD_PPP;
    if (linkType == LinkType.PppWithDir) {
      if (caplen < 1) return PacketFate.NotIp;
      outgoing = load<u8>(data) != 0;
      p++;
    }
    p = pppPayload(p);
    if (p == 0) return PacketFate.NotIp;
    proto = pppEthertype;
  } else if (linkType == LinkType.Nflog) {
    p = nflogPayload(data);
    if (p == 0) return PacketFate.NotIp;
    proto = nflogEthertype;
  } else if (linkType == LinkType.Ieee80211Radiotap) {
    // A station's wireless device is an Ethernet device to the stack.
    iifType = ARPHRD_ETHER;
    p = wifiPayload(data);
    if (p == 0) return PacketFate.NotIp;
    proto = be16(p - 2);
  } else {
    return PacketFate.NotIp;
  }
  ethertype = <u16>proto;
  // NFLOG's payload ends where its attribute does.
  if (nflogEnd != 0 && dataEnd > nflogEnd) dataEnd = nflogEnd;
  // The frame length on the wire past the link-layer header.
  const wireLen: u32 = origLen - <u32>(p - data);
  linkPayload = p;
  linkPayloadLen = wireLen;
  // ip_rcv_core and ip6_rcv_core drop what a promiscuous device picked up
  // for other hosts before any hook.
  if (pkttype == PACKET_OTHERHOST && (proto == 0x0800 || proto == 0x86dd)) return PacketFate.OtherHost;
  if (proto == 0x0800) return parseIpv4(p, wireLen);
  if (proto == 0x86dd) return parseIpv6(p, wireLen);
  return PacketFate.NotIp;
}

// The network header of a frame whose link layer is plain Ethernet carrying
// IPv4 or IPv6, or raw IP; 0 for any other. For looks ahead of the full
// parse, which takes every other frame.
export function plainNetworkHeader(linkType: u32, data: usize, caplen: u32): usize {
  if (linkType == LinkType.Ethernet) {
    if (caplen < 15) return 0;
    const type = be16(data + 12);
    return type == 0x0800 || type == 0x86dd ? data + 14 : 0;
  }
  if (linkType == LinkType.Raw || linkType == LinkType.Ipv4 || linkType == LinkType.Ipv6) return caplen < 1 ? 0 : data;
  return 0;
}

function parseIpv4(p: usize, wireLen: u32): i32 {
  if (!captured(p, 20)) return PacketFate.Malformed;
  const vihl = load<u8>(p);
  const ihl: u32 = <u32>(vihl & 15) << 2;
  if (vihl >> 4 != 4 || ihl < 20 || !captured(p, ihl)) return PacketFate.Malformed;
  const totLen: u32 = be16(p + 2);
  if (totLen < ihl || totLen > wireLen) return PacketFate.Malformed;
  net = p;
  netLen = totLen;
  nfproto = NFPROTO_IPV4;
  l4proto = load<u8>(p + 9);
  saddr = p + 12;
  daddr = p + 16;
  // Nothing past the announced length belongs to the packet.
  if (dataEnd > p + totLen) dataEnd = p + totLen;
  const frag = be16(p + 6);
  l4Len = totLen - ihl;
  // Only a first fragment carries the transport header.
  if ((frag & 0x1fff) == 0) parseTransport(p + ihl);
  // Checked by ip_rcv, after a device's ingress hook has seen the header.
  if (!ipv4HeaderChecksumOk(p, ihl)) return PacketFate.BadChecksum;
  if (frag & 0x3fff) {
    isFragment = true;
    return PacketFate.Fragment;
  }
  return PacketFate.Filtered;
}

@inline export function ipv6Loopback(a: usize): bool {
  return load<u64>(a) == 0 && load<u64>(a + 8) == 0x0100000000000000;
}

function parseIpv6(p: usize, wireLen: u32): i32 {
  if (!captured(p, 40)) return PacketFate.Malformed;
  if (load<u8>(p) >> 4 != 6) return PacketFate.Malformed;
  const payloadLen: u32 = be16(p + 4);
  if (payloadLen + 40 > wireLen) return PacketFate.Malformed;
  // ipv6_rcv: multicast sources, and the loopback address off loopback (a
  // device that does not tell is judged by the path, assembly/pipeline.ts).
  if (load<u8>(p + 8) == 0xff) return PacketFate.Malformed;
  if (loopbackDevice == DEVICE_OTHER && (ipv6Loopback(p + 8) || ipv6Loopback(p + 24))) return PacketFate.Malformed;
  net = p;
  netLen = payloadLen + 40;
  nfproto = NFPROTO_IPV6;
  saddr = p + 8;
  daddr = p + 24;
  if (dataEnd > p + netLen) dataEnd = p + netLen;
  const q = skipIpv6Extensions(p + 40, load<u8>(p + 6), p + netLen);
  // A broken extension header chain still reaches the hooks; conntrack
  // finds no transport header in it.
  if (q == 0) {
    l4proto = 255;
    l4Len = 0;
    return PacketFate.Filtered;
  }
  l4proto = lastNextHeader;
  l4Len = <u32>(p + netLen - q);
  if (fragmentHeader != 0) {
    isFragment = true;
    if ((bswap<u16>(load<u16>(fragmentHeader + 2)) & 0xfff8) == 0) parseTransport(q);
    return PacketFate.Fragment;
  }
  parseTransport(q);
  return PacketFate.Filtered;
}

// Parses a datagram defragmentation rebuilt, in place of the fragment that
// completed it; the link-layer view of that fragment stays.
export function parseReassembled(p: usize, len: u32): i32 {
  dataEnd = p + len;
  th = 0;
  sport = 0;
  dport = 0;
  tcpFlags = 0;
  isFragment = false;
  return load<u8>(p) >> 4 == 4 ? parseIpv4(p, len) : parseIpv6(p, len);
}

// The header type ipv6_skip_exthdr stopped at, and the fragment header it
// passed (0 when none).
export let lastNextHeader: u8 = 0;
export let fragmentHeader: usize = 0;
// Where the next-header byte that names the fragment header sits.
export let fragmentNextHeaderAt: usize = 0;

// Skips IPv6 extension headers from q (whose type is next) the way
// ipv6_skip_exthdr does; returns the start of the upper-layer header, or 0
// when the chain runs past end or past the captured bytes. A fragment
// header ends the walk unless it is the first fragment.
export function skipIpv6Extensions(start: usize, first: u8, end: usize): usize {
  let q = start;
  let next = first;
  // The IPv6 header names the first one, six bytes into its forty.
  let nextAt = start - 34;
  fragmentHeader = 0;
  while (next == 0 || next == 43 || next == 60 || next == 51 || next == 44) {
    if (q + 8 > end || !captured(q, 8)) return 0;
    const nh = load<u8>(q);
    if (next == 44) {
      fragmentHeader = q;
      fragmentNextHeaderAt = nextAt;
      next = nh;
      nextAt = q;
      q += 8;
      // A later fragment carries no upper-layer header to walk into.
      if (bswap<u16>(load<u16>(fragmentHeader + 2)) & 0xfff8) break;
      continue;
    }
    nextAt = q;
    q += next == 51 ? (<usize>load<u8>(q + 1) + 2) << 2 : (<usize>load<u8>(q + 1) + 1) << 3;
    next = nh;
  }
  if (q > end) return 0;
  lastNextHeader = next;
  return q;
}

// Where the transport header's payload starts, for the inner header base
// (the kernel's __nft_payload_inner_offset): past a UDP header or a TCP
// header with its options; 0 for other protocols and later fragments.
export function innerHeader(): usize {
  if (th == 0) return 0;
  if (l4proto == IPPROTO_UDP) return th + 8;
  if (l4proto == IPPROTO_TCP && captured(th, 13)) return th + (<usize>(load<u8>(th + 12) >> 4) << 2);
  return 0;
}

function parseTransport(q: usize): void {
  th = q;
  if (l4proto == IPPROTO_TCP || l4proto == IPPROTO_UDP || l4proto == IPPROTO_UDPLITE || l4proto == 132) {
    if (captured(q, 4)) {
      sport = load<u16>(q);
      dport = load<u16>(q + 2);
    }
    if (l4proto == IPPROTO_TCP && captured(q, 14)) tcpFlags = load<u8>(q + 13);
  } else if (l4proto == IPPROTO_ICMP || l4proto == IPPROTO_ICMPV6) {
    if (captured(q, 8)) {
      // type and code in dport, echo id in sport, as conntrack's tuples hold them
      dport = load<u16>(q);
      sport = load<u16>(q + 4);
    }
  }
}
