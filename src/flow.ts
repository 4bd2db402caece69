// Which connection a packet belongs to, read from its bytes: the addresses,
// protocol and ports (ICMP: type, code and echo id) that conntrack names a
// connection by, the same for both directions. The first packet seen of a
// connection gives its original direction, as in conntrack.
import { formatIpv4, formatIpv6 } from './address.js';
import type { ConntrackEntry, ConntrackTuple } from './conntrack-table.js';
import { ethertypeAt } from './output/packet-summary.js';

// A connection's original tuple, as conntrack's listing has it, with its
// family and protocol.
export interface Flow extends ConntrackTuple {
  family: 'ipv4' | 'ipv6';
  protocol: number;
}

const PROTOCOL_NAMES: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 33: 'dccp', 47: 'gre', 58: 'icmpv6', 132: 'sctp', 136: 'udplite' };

export function protocolName(protocol: number): string {
  return PROTOCOL_NAMES[protocol] ?? String(protocol);
}

// Transport protocols whose first four bytes are the two ports.
const PORTED = new Set([6, 17, 33, 132, 136]);
// ICMP and ICMPv6 echo request and reply: one connection per id.
const ECHO: Record<number, Set<number>> = { 1: new Set([0, 8]), 58: new Set([128, 129]) };
// IPv6 extension headers a packet's protocol may sit behind.
const IPV6_EXTENSIONS = new Set([0, 43, 60]);

// The packet's flow and a key shared by both directions, or null for what
// is not IP.
export function flowOf(linkType: number, data: Uint8Array): { key: string; flow: Flow } | null {
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const { at, ethertype } = ethertypeAt(data, linkType);
  let family: Flow['family'];
  let src: string, dst: string, protocol: number, th: number;
  if (ethertype === 0x0800 && at + 20 <= data.length) {
    family = 'ipv4';
    src = formatIpv4(data, at + 12);
    dst = formatIpv4(data, at + 16);
    protocol = data[at + 9];
    // A later fragment carries no transport header.
    th = (v.getUint16(at + 6) & 0x1fff) !== 0 ? -1 : at + (data[at] & 15) * 4;
  } else if (ethertype === 0x86dd && at + 40 <= data.length) {
    family = 'ipv6';
    src = formatIpv6(data, at + 8);
    dst = formatIpv6(data, at + 24);
    protocol = data[at + 6];
    th = at + 40;
    while (IPV6_EXTENSIONS.has(protocol) && th + 8 <= data.length) {
      protocol = data[th];
      th += (data[th + 1] + 1) * 8;
    }
    if (protocol === 44 && th + 8 <= data.length) {
      protocol = data[th];
      th = (v.getUint16(th + 2) & 0xfff8) !== 0 ? -1 : th + 8;
    }
  } else {
    return null;
  }
  const flow: Flow = { family, protocol, src, dst };
  if (th >= 0 && PORTED.has(protocol) && th + 4 <= data.length) {
    flow.sport = v.getUint16(th);
    flow.dport = v.getUint16(th + 2);
  } else if (th >= 0 && (protocol === 1 || protocol === 58) && th + 2 <= data.length) {
    flow.type = data[th];
    flow.code = data[th + 1];
    if (ECHO[protocol].has(flow.type) && th + 6 <= data.length) flow.id = v.getUint16(th + 4);
  }
  return { key: flowKey(flow), flow };
}

// The key of a flow, the same for both of its directions.
export function flowKey(flow: Flow): string {
  let ends = [flow.src, flow.dst];
  let extra = '';
  if (flow.sport !== undefined) ends = [`${flow.src}|${flow.sport}`, `${flow.dst}|${flow.dport}`];
  else if (flow.id !== undefined) extra = `echo|${flow.id}`;
  else if (flow.type !== undefined) extra = `${flow.type}|${flow.code}`;
  if (ends[0] > ends[1]) ends.reverse();
  return `${flow.family}|${flow.protocol}|${ends[0]}|${ends[1]}|${extra}`;
}

// A conntrack entry's original tuple as a flow.
export function entryFlow(entry: ConntrackEntry): Flow {
  const { src, dst, sport, dport, type, code, id } = entry.original;
  const flow: Flow = { family: entry.l3proto === 10 ? 'ipv6' : 'ipv4', protocol: entry.l4proto, src, dst };
  if (PORTED.has(entry.l4proto)) Object.assign(flow, { sport, dport });
  else if (type !== undefined) Object.assign(flow, { type, code, id });
  return flow;
}
