// Finding a TCP option in the packet's TCP header, as the kernel's
// nft_exthdr_tcp_eval walks it, an SCTP chunk, as nft_exthdr_sctp_eval
// does, and an IPv6 extension header, as ipv6_find_hdr does: the rule's instruction then reads, writes or blanks
// what was found (vm.ts).
import * as pkt from './packet';

const TCP_HEADER: u32 = 20;
export const TCPOPT_NOP: u8 = 1;
export const TCPOPT_MSS: u32 = 2;

// The TCP header's length with its options, set by findTcpOption.
export let tcpHeaderLen: u32 = 0;
// The length of the option findTcpOption found.
export let optionLen: u32 = 0;

// nft_tcp_header_pointer: a TCP header, not of a later fragment, whose
// announced length was captured.
function tcpHeader(): usize {
  if (pkt.th == 0 || pkt.l4proto != pkt.IPPROTO_TCP || !pkt.captured(pkt.th, TCP_HEADER)) return 0;
  const len = <u32>(load<u8>(pkt.th + 12) >> 4) << 2;
  if (len < TCP_HEADER || !pkt.captured(pkt.th, len)) return 0;
  tcpHeaderLen = len;
  return pkt.th;
}

// optlen(): end of list and no-op take one byte, as does an option
// claiming length 0; the walk goes on past an end of list.
@inline function optionLength(p: usize): u32 {
  return load<u8>(p) <= 1 || load<u8>(p + 1) == 0 ? 1 : <u32>load<u8>(p + 1);
}

// Where the first option of this kind starts, or 0 when there is none or
// it runs past the header.
export function findTcpOption(kind: u32): usize {
  const th = tcpHeader();
  if (th == 0) return 0;
  for (let i = TCP_HEADER; i < tcpHeaderLen - 1; i += optionLen) {
    optionLen = optionLength(th + i);
    if (<u32>load<u8>(th + i) != kind) continue;
    return i + optionLen > tcpHeaderLen ? 0 : th + i;
  }
  return 0;
}

const NEXTHDR_HOP: u32 = 0;
const NEXTHDR_ROUTING: u32 = 43;
const NEXTHDR_FRAGMENT: u32 = 44;
const NEXTHDR_AUTH: u32 = 51;
const NEXTHDR_NONE: u32 = 59;
const NEXTHDR_DEST: u32 = 60;

// ipv6_ext_hdr: the headers ipv6_find_hdr walks through.
@inline function isExtension(h: u32): bool {
  return h == NEXTHDR_HOP || h == NEXTHDR_ROUTING || h == NEXTHDR_FRAGMENT || h == NEXTHDR_AUTH || h == NEXTHDR_NONE || h == NEXTHDR_DEST;
}

// ipv6_find_hdr: where the first header of this type starts in an IPv6
// packet's chain, or 0. The walk stops at the first header that is not an
// extension one (which may itself be the one sought, as Mobility is), and
// at a later fragment's fragment header.
export function findIpv6Header(target: u32): usize {
  if (pkt.nfproto != pkt.NFPROTO_IPV6 || pkt.net == 0) return 0;
  let h = <u32>load<u8>(pkt.net + 6);
  let p = pkt.net + 40;
  while (h != target) {
    if (!isExtension(h) || h == NEXTHDR_NONE || !pkt.captured(p, 2)) return 0;
    let len: usize = (<usize>load<u8>(p + 1) + 1) << 3;
    if (h == NEXTHDR_FRAGMENT) {
      if (!pkt.captured(p + 2, 2) || (bswap<u16>(load<u16>(p + 2)) & 0xfff8) != 0) return 0;
      len = 8;
    } else if (h == NEXTHDR_AUTH) {
      len = (<usize>load<u8>(p + 1) + 2) << 2;
    }
    h = load<u8>(p);
    p += len;
  }
  return p;
}

const IPPROTO_SCTP: u8 = 132;
const SCTP_HEADER: usize = 12;

// The length of the chunk findSctpChunk found.
export let chunkLen: u32 = 0;

// nft_exthdr_sctp_eval's walk: the first chunk of this type, or 0. Chunks
// are padded to four bytes; one of length 0 ends the walk.
export function findSctpChunk(type: u32): usize {
  if (pkt.th == 0 || pkt.l4proto != IPPROTO_SCTP) return 0;
  let p = pkt.th + SCTP_HEADER;
  while (pkt.captured(p, 4)) {
    chunkLen = <u32>bswap<u16>(load<u16>(p + 2));
    if (chunkLen == 0) return 0;
    if (<u32>load<u8>(p) == type) return p;
    p += (<usize>chunkLen + 3) & ~3;
  }
  return 0;
}

const IPOPT_END: u32 = 0;
const IPOPT_NOOP: u32 = 1;
const IPOPT_RR: u32 = 7;
const IPOPT_LSRR: u32 = 131;
const IPOPT_SSRR: u32 = 137;
const IPOPT_RA: u32 = 148;

// ipv4_find_option: the option of this type among the IPv4 header's, as
// __ip_options_compile records them. A list it would refuse (an option
// running past the header, a source route or record route with a pointer
// below 4 or given twice) finds nothing; a router alert is only recorded
// with the value 0; one source route is recorded, loose or strict.
export function findIpv4Option(target: u32): usize {
  if (pkt.nfproto != pkt.NFPROTO_IPV4 || pkt.net == 0) return 0;
  const ihl = <usize>(load<u8>(pkt.net) & 15) << 2;
  if (ihl <= 20 || !pkt.captured(pkt.net, <u32>ihl)) return 0;
  let srr: usize = 0;
  let rr: usize = 0;
  let ra: usize = 0;
  let i: usize = 20;
  while (i < ihl) {
    const p = pkt.net + i;
    const t = <u32>load<u8>(p);
    if (t == IPOPT_END) break;
    if (t == IPOPT_NOOP) {
      i++;
      continue;
    }
    if (i + 2 > ihl) return 0;
    const len = <usize>load<u8>(p + 1);
    if (len < 2 || i + len > ihl) return 0;
    if (t == IPOPT_SSRR || t == IPOPT_LSRR || t == IPOPT_RR) {
      if (len < 3 || load<u8>(p + 2) < 4) return 0;
      const ptr = <usize>load<u8>(p + 2);
      if (t == IPOPT_RR) {
        if (rr != 0 || (ptr <= len && ptr + 3 > len)) return 0;
        rr = p;
      } else {
        if (srr != 0) return 0;
        srr = p;
      }
    } else if (t == IPOPT_RA) {
      if (len < 4) return 0;
      if (load<u16>(p + 2) == 0) ra = p;
    }
    i += len;
  }
  if (target == IPOPT_RR) return rr;
  if (target == IPOPT_RA) return ra;
  return srr != 0 && <u32>load<u8>(srr) == target ? srr : 0;
}
