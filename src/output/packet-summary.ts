// A packet's headers in nft's words, for the "packet:" line of a trace:
// addresses, protocol and ports or ICMP type. Only traced packets get here.
import { LinkType } from '../../assembly/abi.js';
import { formatIpv4, formatIpv6 } from '../address.js';

const LINK_HEADER: Partial<Record<LinkType, number>> = {
  [LinkType.Null]: 4, [LinkType.Ethernet]: 14, [LinkType.Raw]: 0, [LinkType.Loop]: 4, [LinkType.LinuxSll]: 16,
  [LinkType.Ipv4]: 0, [LinkType.Ipv6]: 0, [LinkType.LinuxSll2]: 20,
};
const ICMP_TYPES: Record<number, string> = {
  0: 'echo-reply', 3: 'destination-unreachable', 5: 'redirect', 8: 'echo-request', 11: 'time-exceeded', 12: 'parameter-problem',
};
const ICMPV6_TYPES: Record<number, string> = {
  1: 'destination-unreachable', 2: 'packet-too-big', 3: 'time-exceeded', 128: 'echo-request', 129: 'echo-reply',
  133: 'nd-router-solicit', 134: 'nd-router-advert', 135: 'nd-neighbor-solicit', 136: 'nd-neighbor-advert',
};
const TCP_FLAGS = ['fin', 'syn', 'rst', 'psh', 'ack', 'urg', 'ecn', 'cwr'];

const NFULA_PAYLOAD = 9;

// Where the value of an NFLOG record's attribute lies. Attribute headers
// are in the writing host's byte order: little-endian unless that reads as
// nonsense.
export function nflogAttribute(data: Uint8Array, type: number): { start: number; end: number } | undefined {
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (const little of [true, false]) {
    for (let at = 4; at + 4 <= data.length; ) {
      const len = v.getUint16(at, little);
      if (len < 4) break;
      if ((v.getUint16(at + 2, little) & 0x7fff) === type) return { start: at + 4, end: Math.min(at + len, data.length) };
      if ((v.getUint16(at + 2, little) & 0x7fff) === NFULA_PAYLOAD) break;
      at += (len + 3) & ~3;
    }
  }
  return undefined;
}

// Where the network header of frames with a link-layer header of variable
// length starts, as assembly/packet.ts finds it; -1 when they carry no IP.
function variableHeader(data: Uint8Array, v: DataView, linkType: LinkType): number {
  if (linkType === LinkType.Ppp || linkType === LinkType.PppWithDir) {
    let at = linkType === LinkType.PppWithDir ? 1 : 0;
    if (data[at] === 0xff && data[at + 1] === 0x03) at += 2;
    return at + (data[at]! & 1 ? 1 : 2);
  }
  if (linkType === LinkType.Nflog) return nflogAttribute(data, NFULA_PAYLOAD)?.start ?? -1;
  if (linkType === LinkType.Ieee80211Radiotap && data.length >= 4) {
    const wlan = v.getUint16(2, true);
    const fc0 = data[wlan] ?? 0;
    const fc1 = data[wlan + 1] ?? 0;
    return wlan + 24 + ((fc1 & 3) === 3 ? 6 : 0) + (fc0 & 0x80 ? 2 + (fc1 & 0x80 ? 4 : 0) : 0) + 8;
  }
  return -1;
}

export function ethertypeAt(data: Uint8Array, linkType: number): { at: number; ethertype: number } {
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let at = LINK_HEADER[linkType as LinkType] ?? variableHeader(data, v, linkType);
  if (at < 0 || at > data.length) return { at: data.length, ethertype: 0 };
  if (linkType === 1) {
    let et = data.length >= 14 ? v.getUint16(12) : 0;
    while ((et === 0x8100 || et === 0x88a8) && at + 4 <= data.length) {
      et = v.getUint16(at + 2);
      at += 4;
    }
    return { at, ethertype: et };
  }
  if (linkType === 113) return { at, ethertype: data.length >= 16 ? v.getUint16(14) : 0 };
  if (linkType === 276) return { at, ethertype: data.length >= 2 ? v.getUint16(0) : 0 };
  const version = data.length > at ? data[at] >> 4 : 0;
  return { at, ethertype: version === 4 ? 0x0800 : version === 6 ? 0x86dd : 0 };
}

function transport(data: Uint8Array, v: DataView, at: number, proto: number, v6: boolean): string {
  if ((proto === 6 || proto === 17) && at + 4 <= data.length) {
    const name = proto === 6 ? 'tcp' : 'udp';
    let s = ` ${name} sport ${v.getUint16(at)} ${name} dport ${v.getUint16(at + 2)}`;
    if (proto === 6 && at + 14 <= data.length) {
      const flags = TCP_FLAGS.filter((_, b) => data[at + 13] & (1 << b));
      s += ` tcp flags == ${flags.length === 1 ? flags[0] : `(${flags.join(' | ')})`}`;
    }
    return s;
  }
  if ((proto === 1 || proto === 58) && at + 2 <= data.length) {
    const name = v6 ? 'icmpv6' : 'icmp';
    const type = data[at];
    return ` ${name} type ${(v6 ? ICMPV6_TYPES : ICMP_TYPES)[type] ?? type} ${name} code ${data[at + 1]}`;
  }
  return '';
}

export function packetSummary(linkType: number, data: Uint8Array): string {
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const { at, ethertype } = ethertypeAt(data, linkType);
  if (ethertype === 0x0800 && at + 20 <= data.length) {
    const ihl = (data[at] & 15) * 4;
    const proto = data[at + 9];
    const head = `ip saddr ${formatIpv4(data, at + 12)} ip daddr ${formatIpv4(data, at + 16)} ip ttl ${data[at + 8]} ip id ${v.getUint16(at + 4)} ip length ${v.getUint16(at + 2)}`;
    const fragment = v.getUint16(at + 6) & 0x1fff;
    return fragment ? `${head} ip protocol ${proto}` : head + transport(data, v, at + ihl, proto, false);
  }
  if (ethertype === 0x86dd && at + 40 <= data.length) {
    const next = data[at + 6];
    const head = `ip6 saddr ${formatIpv6(data, at + 8)} ip6 daddr ${formatIpv6(data, at + 24)} ip6 hoplimit ${data[at + 7]} ip6 length ${v.getUint16(at + 4)}`;
    return head + transport(data, v, at + 40, next, true);
  }
  return `ether type 0x${ethertype.toString(16).padStart(4, '0')}`;
}
