// The "packet:" line of a trace, as `nft monitor trace` prints it: the
// devices, then the headers the kernel copies into the trace (the link layer
// of what came in, up to 40 bytes of network header and up to 20 of
// transport header), split into nft's fields of each protocol in nft's order,
// checksums left out, and what no field covers as a raw @base,offset,length.
import { PacketPath } from '../../assembly/abi.js';
import { formatIpv4, formatIpv6 } from '../address.js';
import { ethertypeAt } from './packet-summary.js';

const NETWORK_HEADER_MAX = 40;
const TRANSPORT_HEADER_MAX = 20;

// Protocol names as getprotobynumber gives them (Debian's netbase).
const PROTOCOLS: Record<number, string> = {
  0: 'ip', 1: 'icmp', 2: 'igmp', 4: 'ipencap', 6: 'tcp', 17: 'udp', 33: 'dccp', 41: 'ipv6', 43: 'ipv6-route',
  44: 'ipv6-frag', 47: 'gre', 50: 'esp', 51: 'ah', 58: 'ipv6-icmp', 59: 'ipv6-nonxt', 60: 'ipv6-opts', 132: 'sctp', 136: 'udplite',
};
const DSCP: Record<number, string> = {
  0x00: 'cs0', 0x08: 'cs1', 0x0a: 'af11', 0x0c: 'af12', 0x0e: 'af13', 0x10: 'cs2', 0x12: 'af21', 0x14: 'af22', 0x16: 'af23',
  0x18: 'cs3', 0x1a: 'af31', 0x1c: 'af32', 0x1e: 'af33', 0x20: 'cs4', 0x22: 'af41', 0x24: 'af42', 0x26: 'af43', 0x28: 'cs5',
  0x2e: 'ef', 0x30: 'cs6', 0x38: 'cs7',
};
const ECN = ['not-ect', 'ect1', 'ect0', 'ce'];
const TCP_FLAGS: Record<number, string> = { 0x01: 'fin', 0x02: 'syn', 0x04: 'rst', 0x08: 'psh', 0x10: 'ack', 0x20: 'urg', 0x40: 'ecn', 0x80: 'cwr' };
const ICMP_TYPES: Record<number, string> = {
  0: 'echo-reply', 3: 'destination-unreachable', 4: 'source-quench', 5: 'redirect', 8: 'echo-request', 9: 'router-advertisement',
  10: 'router-solicitation', 11: 'time-exceeded', 12: 'parameter-problem', 13: 'timestamp-request', 14: 'timestamp-reply',
  15: 'info-request', 16: 'info-reply', 17: 'address-mask-request', 18: 'address-mask-reply',
};
// nft names the codes of destination-unreachable whatever the type.
const ICMP_CODES: Record<number, string> = {
  0: 'net-unreachable', 1: 'host-unreachable', 2: 'prot-unreachable', 3: 'port-unreachable', 4: 'frag-needed',
  9: 'net-prohibited', 10: 'host-prohibited', 13: 'admin-prohibited',
};
const ICMPV6_TYPES: Record<number, string> = {
  1: 'destination-unreachable', 2: 'packet-too-big', 3: 'time-exceeded', 4: 'parameter-problem', 128: 'echo-request',
  129: 'echo-reply', 130: 'mld-listener-query', 131: 'mld-listener-report', 132: 'mld-listener-done', 133: 'nd-router-solicit',
  134: 'nd-router-advert', 135: 'nd-neighbor-solicit', 136: 'nd-neighbor-advert', 137: 'nd-redirect', 138: 'router-renumbering',
  141: 'ind-neighbor-solicit', 142: 'ind-neighbor-advert', 143: 'mld2-listener-report',
};
const ICMPV6_CODES: Record<number, string> = {
  0: 'no-route', 1: 'admin-prohibited', 3: 'addr-unreachable', 4: 'port-unreachable', 5: 'policy-fail', 6: 'reject-route',
};

const named = (table: Record<number, string>) => (v: number) => table[v] ?? String(v);

// One field of a protocol header: its place in bits, and how nft prints its
// value (null: nft leaves it out of the trace).
interface Field {
  name: string;
  offset: number;
  bits: number;
  print: ((v: number) => string) | null;
}

const field = (name: string, offset: number, bits: number, print: ((v: number) => string) | null = String): Field => ({ name, offset, bits, print });

// The transport protocols nft decodes, by protocol number; the others are
// printed raw. Their fields are in offset order, as nft prints them.
const TRANSPORT: Record<number, { name: string; fields: Field[] }> = {
  6: {
    name: 'tcp',
    fields: [
      field('sport', 0, 16), field('dport', 16, 16), field('sequence', 32, 32, null), field('ackseq', 64, 32, null),
      field('doff', 96, 4, null), field('reserved', 100, 4, null),
      field('flags', 104, 8, (v) => `== ${TCP_FLAGS[v] ?? `0x${v.toString(16)}`}`), field('window', 112, 16),
      field('checksum', 128, 16, null), field('urgptr', 144, 16, null),
    ],
  },
  17: { name: 'udp', fields: [field('sport', 0, 16), field('dport', 16, 16), field('length', 32, 16), field('checksum', 48, 16, null)] },
  1: {
    name: 'icmp',
    fields: [
      field('type', 0, 8, named(ICMP_TYPES)), field('code', 8, 8, named(ICMP_CODES)), field('checksum', 16, 16, null),
      field('id', 32, 16), field('sequence', 48, 16),
    ],
  },
  58: {
    name: 'icmpv6',
    fields: [
      field('type', 0, 8, named(ICMPV6_TYPES)), field('code', 8, 8, named(ICMPV6_CODES)), field('checksum', 16, 16, null),
      field('parameter-problem', 32, 32),
    ],
  },
  132: { name: 'sctp', fields: [field('sport', 0, 16), field('dport', 16, 16), field('vtag', 32, 32), field('checksum', 64, 32, null)] },
};

// Bits [offset, offset + bits) of bytes, as a number (fields of up to 32 bits).
function bitsAt(bytes: Uint8Array, offset: number, bits: number): number {
  let v = 0;
  for (let b = offset; b < offset + bits; b++) v = v * 2 + ((bytes[b >> 3]! >> (7 - (b & 7))) & 1);
  return v;
}

// What no field covers, from a byte boundary to the end: nft prints it as a
// number in hex without leading zeros.
function raw(base: string, bytes: Uint8Array, fromByte: number): string {
  let hex = '';
  for (let i = fromByte; i < bytes.length; i++) hex += bytes[i]!.toString(16).padStart(2, '0');
  return `@${base},${fromByte * 8},${(bytes.length - fromByte) * 8} 0x${hex.replace(/^0+(?=.)/, '')}`;
}

function transport(proto: number, bytes: Uint8Array): string[] {
  const desc = TRANSPORT[proto];
  if (!desc) return bytes.length > 0 ? [raw('th', bytes, 0)] : [];
  const out: string[] = [];
  let at = 0;
  for (const f of desc.fields) {
    if (f.offset !== at || f.offset + f.bits > bytes.length * 8) break;
    if (f.print) out.push(`${desc.name} ${f.name} ${f.print(bitsAt(bytes, f.offset, f.bits))}`);
    at += f.bits;
  }
  if (at < bytes.length * 8) out.push(raw('th', bytes, at >> 3));
  return out;
}

// Where the kernel finds the transport header of an IPv6 packet: past the
// extension headers (their type is decoded from the IPv6 header alone).
function transportAfterExtensions(data: Uint8Array, start: number, first: number, end: number): number {
  let at = start;
  let next = first;
  while ((next === 0 || next === 43 || next === 60 || next === 51 || next === 44) && at + 8 <= Math.min(end, data.length)) {
    const length = next === 44 ? 8 : next === 51 ? (data[at + 1]! + 2) * 4 : (data[at + 1]! + 1) * 8;
    next = data[at]!;
    at += length;
  }
  return at;
}

// ip_options_compile on a packet routed to this host writes the address it
// came to into a record route option with room left, and moves its pointer
// on, before the input hook.
export function withRouteRecorded(header: Uint8Array): Uint8Array {
  for (let q = 20; q + 1 < header.length && header[q] !== 0; ) {
    if (header[q] === 1) {
      q++;
      continue;
    }
    const len = header[q + 1]!;
    if (header[q] === 7) {
      const ptr = header[q + 2]!;
      if (ptr > len || q + ptr + 3 > header.length) return header;
      const copy = Uint8Array.from(header);
      copy.set(header.subarray(16, 20), q + ptr - 1);
      copy[q + 2] = ptr + 4;
      return copy;
    }
    if (len < 2) return header;
    q += len;
  }
  return header;
}

function mac(data: Uint8Array, at: number): string {
  return Array.from(data.subarray(at, at + 6), (b) => b.toString(16).padStart(2, '0')).join(':');
}

export interface TracePacketOptions {
  // The hook and family of the base chain the line is printed for.
  hook: string;
  family?: string;
  path: PacketPath;
  // The hook's devices, where the host's interfaces name them.
  iif?: string;
  oif?: string;
}

const ARP_OPERATIONS: Record<number, string> = { 1: 'request', 2: 'reply', 3: 'rrequest', 4: 'rreply', 8: 'inrequest', 9: 'inreply', 10: 'nak' };

// A device's hooks (netdev, inet ingress) and ARP's: nft decodes the
// network header by the link-layer header's protocol, which the kernel
// hands the trace for what comes in; going out it has none, so nft decodes
// ARP by an arp chain's family, and shows the rest as raw network and
// transport bytes (the network header up to the transport header or 40
// bytes, the transport header up to 20: NFT_TRACETYPE_*_HSIZE).
function deviceHookLine(linkType: number, data: Uint8Array, o: TracePacketOptions): string {
  const incoming = o.hook === 'ingress' || o.hook === 'input';
  const { at, ethertype } = ethertypeAt(data, linkType);
  if (incoming && (ethertype === 0x0800 || ethertype === 0x86dd)) return tracePacketLine(linkType, data, { hook: 'prerouting', path: PacketPath.Input, iif: o.iif });
  const out: string[] = [];
  if (incoming && o.iif !== undefined) out.push(`iif "${o.iif}"`);
  if (!incoming && o.oif !== undefined) out.push(`oif "${o.oif}"`);
  if (incoming && linkType === 1 && data.length >= 14) out.push(`ether saddr ${mac(data, 6)} ether daddr ${mac(data, 0)}`);
  if (ethertype === 0x0806 && (incoming || o.family === 'arp') && at + 8 <= data.length) {
    const op = (data[at + 6]! << 8) | data[at + 7]!;
    out.push(`arp operation ${ARP_OPERATIONS[op] ?? op}`);
    return out.join(' ');
  }
  let th = data.length;
  if (ethertype === 0x0800 && at + 20 <= data.length) th = at + (data[at]! & 15) * 4;
  else if (ethertype === 0x86dd && at + 40 <= data.length) th = transportAfterExtensions(data, at + 40, data[at + 6]!, data.length);
  const network = data.subarray(at, Math.min(th, at + NETWORK_HEADER_MAX, data.length));
  if (network.length > 0) out.push(raw('nh', network, 0));
  if (th < data.length) out.push(raw('th', data.subarray(th, Math.min(data.length, th + TRANSPORT_HEADER_MAX)), 0));
  return out.join(' ');
}

export function tracePacketLine(linkType: number, data: Uint8Array, o: TracePacketOptions): string {
  if (o.hook === 'ingress' || o.hook === 'egress' || o.family === 'arp') return deviceHookLine(linkType, data, o);
  const out: string[] = [];
  const looped = o.path === PacketPath.Loopback;
  const goingOut = o.path === PacketPath.Output || (looped && (o.hook === 'output' || o.hook === 'postrouting'));
  // Forwarding takes one off the TTL before the forward hook.
  const forwarded = o.path === PacketPath.Forward && (o.hook === 'forward' || o.hook === 'postrouting') ? 1 : 0;
  const { at, ethertype } = ethertypeAt(data, linkType);
  // The devices the kernel's trace names: those of the host's interface
  // list, and Linux's lo, known without it. What the host sends has no
  // link layer yet.
  const iif = o.iif ?? (looped && !goingOut ? 'lo' : undefined);
  const oif = o.oif ?? (looped && goingOut ? 'lo' : undefined);
  if (iif !== undefined) out.push(`iif "${iif}"`);
  if (oif !== undefined) out.push(`oif "${oif}"`);
  if (!goingOut) {
    if (looped) out.push(`@ll,0,112 0x${ethertype.toString(16)}`);
    else if (linkType === 1 && data.length >= 14) out.push(`ether saddr ${mac(data, 6)} ether daddr ${mac(data, 0)}`);
  }
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let proto = -1;
  let th = 0;
  let end = 0;
  if (ethertype === 0x0800 && at + 20 <= data.length) {
    const ihl = (data[at]! & 15) * 4;
    proto = data[at + 9]!;
    th = at + ihl;
    end = at + v.getUint16(at + 2);
    out.push(
      `ip saddr ${formatIpv4(data, at + 12)} ip daddr ${formatIpv4(data, at + 16)}`,
      `ip dscp ${DSCP[data[at + 1]! >> 2] ?? `0x${(data[at + 1]! >> 2).toString(16).padStart(2, '0')}`} ip ecn ${ECN[data[at + 1]! & 3]}`,
      `ip ttl ${data[at + 8]! - forwarded} ip id ${v.getUint16(at + 4)} ip protocol ${PROTOCOLS[proto] ?? proto} ip length ${v.getUint16(at + 2)}`,
    );
    let header = data.subarray(at, Math.min(th, at + NETWORK_HEADER_MAX, data.length));
    if (o.path === PacketPath.Input && o.hook === 'input') header = withRouteRecorded(header);
    if (header.length > 20) out.push(raw('nh', header, 20));
  } else if (ethertype === 0x86dd && at + 40 <= data.length) {
    const tc = (v.getUint16(at) >> 4) & 0xff;
    proto = data[at + 6]!;
    end = at + 40 + v.getUint16(at + 4);
    th = transportAfterExtensions(data, at + 40, proto, end);
    out.push(
      `ip6 saddr ${formatIpv6(data, at + 8)} ip6 daddr ${formatIpv6(data, at + 24)}`,
      `ip6 dscp ${DSCP[tc >> 2] ?? `0x${(tc >> 2).toString(16).padStart(2, '0')}`} ip6 ecn ${ECN[tc & 3]}`,
      `ip6 hoplimit ${data[at + 7]! - forwarded} ip6 flowlabel ${v.getUint32(at) & 0xfffff} ip6 nexthdr ${PROTOCOLS[proto] ?? proto} ip6 length ${v.getUint16(at + 4)}`,
    );
  }
  if (proto >= 0) {
    const bytes = data.subarray(th, Math.max(th, Math.min(end, th + TRANSPORT_HEADER_MAX, data.length)));
    out.push(...transport(proto, bytes));
  }
  return out.join(' ');
}
