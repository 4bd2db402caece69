// Finding a TCP option in the packet's TCP header, as the kernel's
// nft_exthdr_tcp_eval walks it: the rule's instruction then reads, writes
// or blanks the option (vm.ts).
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
