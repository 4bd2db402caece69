// Hand-built Ethernet/IPv4 packets with correct checksums, written into an
// in-memory pcap, for driving the data plane directly.

export const FIN = 0x01;
export const SYN = 0x02;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;
export const URG = 0x20;

export interface TcpSegment {
  src: string;
  dst: string;
  sport: number;
  dport: number;
  seq: number;
  ack?: number;
  flags: number;
  window?: number;
  payload?: number;
  /** TCP option bytes (padded to whole words by the builder). */
  options?: number[];
  /** Break the checksum on purpose. */
  badChecksum?: boolean;
}

export const WSCALE = (shift: number) => [3, 3, shift];
export const SACK_PERM = [4, 2];
export const MSS = (mss: number) => [2, 4, mss >> 8, mss & 0xff];

function addr(text: string): number[] {
  return text.split('.').map(Number);
}

function sum16(bytes: number[], initial = 0): number {
  let s = initial;
  for (let i = 0; i < bytes.length; i += 2) s += (bytes[i]! << 8) | (bytes[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

const be16 = (v: number) => [(v >>> 8) & 0xff, v & 0xff];
const be32 = (v: number) => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];

/** An IPv4 packet (no options, DF) around a transport header and payload. */
export function ipv4(src: string, dst: string, proto: number, l4: number[]): number[] {
  const header = [0x45, 0, ...be16(20 + l4.length), 0, 1, 0x40, 0, 64, proto, 0, 0, ...addr(src), ...addr(dst)];
  const c = ~sum16(header) & 0xffff;
  header[10] = c >> 8;
  header[11] = c & 0xff;
  return [...header, ...l4];
}

export function tcp(s: TcpSegment): number[] {
  const options = [...(s.options ?? [])];
  while (options.length % 4) options.push(1);
  const payload = new Array<number>(s.payload ?? 0).fill(0x61);
  const hlen = 20 + options.length;
  const l4 = [
    ...be16(s.sport), ...be16(s.dport), ...be32(s.seq >>> 0), ...be32((s.ack ?? 0) >>> 0),
    (hlen / 4) << 4, s.flags, ...be16(s.window ?? 65535), 0, 0, 0, 0, ...options, ...payload,
  ];
  const pseudo = [...addr(s.src), ...addr(s.dst), 0, 6, ...be16(l4.length)];
  let c = ~sum16(l4, sum16(pseudo)) & 0xffff;
  if (s.badChecksum) c ^= 0x5555;
  l4[16] = c >> 8;
  l4[17] = c & 0xff;
  return ipv4(s.src, s.dst, 6, l4);
}

export function udp(src: string, dst: string, sport: number, dport: number, payload = 8): number[] {
  const l4 = [...be16(sport), ...be16(dport), ...be16(8 + payload), 0, 0, ...new Array<number>(payload).fill(0x62)];
  const pseudo = [...addr(src), ...addr(dst), 0, 17, ...be16(l4.length)];
  const c = ~sum16(l4, sum16(pseudo)) & 0xffff || 0xffff;
  l4[6] = c >> 8;
  l4[7] = c & 0xff;
  return ipv4(src, dst, 17, l4);
}

/** GRE version 0 carrying a few bytes of an IPv4 payload, no key. */
export function gre(src: string, dst: string): number[] {
  return ipv4(src, dst, 47, [0, 0, 0x08, 0x00, 0x45, 0, 0, 20]);
}

const MACS = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1];
/** The same two Ethernet addresses, the other way round. */
export const REPLY_MACS = [...MACS.slice(6), ...MACS.slice(0, 6)];
/** Linux's lo frames Ethernet with both addresses zero. */
export const LOOPBACK_MACS = new Array<number>(12).fill(0);

const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;

/** An Ethernet frame around an IP packet (of its IP version's type unless `type` says), under VLAN tags given as [TPID, TCI], outermost first. */
export function ethernet(ip: number[], tags: Array<[number, number]> = [], type = ip[0]! >> 4 === 6 ? 0x86dd : 0x0800, macs = MACS): number[] {
  return [...macs, ...tags.flatMap(([tpid, tci]) => [...be16(tpid), ...be16(tci)]), ...be16(type), ...ip];
}

/** An IPv6 packet from 2001:db8::1 to 2001:db8::2: its first next header and what follows the fixed header. */
export function ipv6(nexthdr: number, rest: number[]): number[] {
  const a = (n: number) => [0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(11).fill(0), n];
  return [0x60, 0, 0, 0, ...be16(rest.length), nexthdr, 64, ...a(1), ...a(2), ...rest];
}

/** Timestamps of a pcap's records (from `start`, one per `step` seconds, or each its own from `times`, in seconds), its link type, and the Ethernet addresses pcap() frames packets with. */
export interface PcapOptions {
  start?: number;
  step?: number;
  times?: number[];
  macs?: number[];
  linkType?: number;
}

/** A pcap (Ethernet link type unless named) of whole frames. */
export function pcapFrames(frames: number[][], { start = 1_700_000_000, step = 0.001, times, linkType = LINKTYPE_ETHERNET }: PcapOptions = {}): Uint8Array {
  const out: number[] = [];
  const le32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
  out.push(...le32(0xa1b2c3d4), 2, 0, 4, 0, ...le32(0), ...le32(0), ...le32(262144), ...le32(linkType));
  frames.forEach((frame, i) => {
    const t = times?.[i] ?? start + i * step;
    const sec = Math.floor(t);
    const usec = Math.round((t - sec) * 1e6);
    out.push(...le32(sec), ...le32(usec), ...le32(frame.length), ...le32(frame.length), ...frame);
  });
  return Uint8Array.from(out);
}

/** A pcap of the given IP packets, each in an Ethernet frame unless the link type is raw IP. */
export function pcap(packets: number[][], options: PcapOptions = {}): Uint8Array {
  return pcapFrames(packets.map((ip) => (options.linkType === LINKTYPE_RAW ? ip : ethernet(ip, [], undefined, options.macs))), options);
}

/** One SCTP chunk, padded to four bytes. */
export function sctpChunk(type: number, value: number[] = [], flags = 0): number[] {
  const c = [type, flags, ...be16(4 + value.length), ...value];
  while (c.length % 4) c.push(0);
  return c;
}

/** The fixed part of an INIT or INIT_ACK with this initiate tag. */
export function sctpInit(tag: number): number[] {
  return [...be32(tag >>> 0), ...be32(65536), ...be16(10), ...be16(10), ...be32(1)];
}

function crc32c(bytes: number[]): number {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return ~crc >>> 0;
}

/** An SCTP packet with its CRC-32C (flipped when badChecksum). */
export function sctp(src: string, dst: string, sport: number, dport: number, vtag: number, chunks: number[], badChecksum = false): number[] {
  const l4 = [...be16(sport), ...be16(dport), ...be32(vtag >>> 0), 0, 0, 0, 0, ...chunks];
  const c = crc32c(l4) ^ (badChecksum ? 1 : 0);
  l4.splice(8, 4, c & 0xff, (c >>> 8) & 0xff, (c >>> 16) & 0xff, c >>> 24);
  return ipv4(src, dst, 132, l4);
}
