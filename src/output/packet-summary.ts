// A packet's headers in nft's words, for the "packet:" line of a trace:
// addresses, protocol and ports or ICMP type. Only traced packets get here.
import { formatIpv4, formatIpv6 } from '../address.js';

const LINK_HEADER: Record<number, number> = { 0: 4, 1: 14, 101: 0, 108: 4, 113: 16, 228: 0, 229: 0, 276: 20 };
const ICMP_TYPES: Record<number, string> = {
  0: 'echo-reply', 3: 'destination-unreachable', 5: 'redirect', 8: 'echo-request', 11: 'time-exceeded', 12: 'parameter-problem',
};
const ICMPV6_TYPES: Record<number, string> = {
  1: 'destination-unreachable', 2: 'packet-too-big', 3: 'time-exceeded', 128: 'echo-request', 129: 'echo-reply',
  133: 'nd-router-solicit', 134: 'nd-router-advert', 135: 'nd-neighbor-solicit', 136: 'nd-neighbor-advert',
};
const TCP_FLAGS = ['fin', 'syn', 'rst', 'psh', 'ack', 'urg', 'ecn', 'cwr'];

export function ethertypeAt(data: Uint8Array, linkType: number): { at: number; ethertype: number } {
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let at = LINK_HEADER[linkType] ?? 0;
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
