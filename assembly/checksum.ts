// Layer-4 checksum verification as conntrack does it on the prerouting path
// (nf_checksum with nf_conntrack_checksum=1).
//
// Sums are kept over little-endian 16-bit loads: one's complement addition
// commutes with the byte swap, so validity (a folded sum of 0xffff) and
// equality of two sums do not depend on the order the words are read in.
import * as pkt from './packet';

@inline function fold(sum: u64): u32 {
  let s = sum;
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return <u32>s;
}

function sumBytes(p: usize, len: u32): u64 {
  let sum: u64 = 0;
  let i: usize = 0;
  const n = <usize>len;
  for (; i + 4 <= n; i += 4) sum += <u64>load<u32>(p + i);
  if (i + 2 <= n) {
    sum += <u64>load<u16>(p + i);
    i += 2;
  }
  if (i < n) sum += <u64>load<u8>(p + i);
  return sum;
}

function pseudoHeaderSum(proto: u8, len: u32): u64 {
  const v6 = pkt.nfproto == pkt.NFPROTO_IPV6;
  let sum = sumBytes(pkt.saddr, v6 ? 16 : 4) + sumBytes(pkt.daddr, v6 ? 16 : 4);
  sum += <u64>bswap<u16>(<u16>(len >> 16)) + <u64>bswap<u16>(<u16>len);
  sum += <u64>bswap<u16>(<u16>proto);
  return sum;
}

// Whether the transport checksum of the current packet is good. A checksum
// field holding only the folded pseudo-header sum is one the sender left for
// offload (CHECKSUM_PARTIAL): the kernel does not verify such a packet, so
// neither does this. coverage is the number of bytes covered (UDP-Lite).
export function l4ChecksumOk(proto: u8, fieldOffset: u32, coverage: u32): bool {
  const th = pkt.th;
  const len = pkt.l4Len;
  // Bytes the capture does not hold cannot be verified.
  if (!pkt.captured(th, len)) return true;
  const usesPseudo = proto != pkt.IPPROTO_ICMP;
  let sum: u64 = 0;
  if (usesPseudo) {
    const pseudo = pseudoHeaderSum(proto, len);
    if (proto != pkt.IPPROTO_ICMPV6 && <u32>load<u16>(th + fieldOffset) == fold(pseudo)) return true;
    sum = pseudo;
  }
  sum += sumBytes(th, coverage);
  return fold(sum) == 0xffff;
}
