// Layer-4 checksum verification as conntrack does it on the prerouting path
// (nf_checksum with nf_conntrack_checksum=1).
//
// Sums are kept over little-endian loads: one's complement addition
// commutes with the byte swap, so validity (a folded sum of 0xffff) and
// equality of two sums do not depend on the order the words are read in.
import * as pkt from './packet';
import { hasLocalAddresses } from './config';

// Whether a checksum of the current packet failed verification.
export let failed = false;

// Folds a 64-bit one's complement sum to 16 bits.
@inline function fold(sum: u64): u32 {
  let s = (sum & 0xffffffff) + (sum >> 32);
  s = (s & 0xffffffff) + (s >> 32);
  s = (s & 0xffff) + (s >> 16);
  s = (s & 0xffff) + (s >> 16);
  return <u32>s;
}

// One's complement sum of len bytes. Runs of 32 bytes go through two SIMD
// accumulators of four u32 lanes, each adding pairs of 16-bit words: a lane
// grows by at most 0x1fffe a step, so no carry is lost below 2^15 steps
// (512 KiB, twice the longest record). The rest is added as 32-bit words
// into two 64-bit accumulators. Folded, it is the sum of the 16-bit words
// (2^16 is 1 modulo 0xffff).
@inline function sumBytes(p: usize, len: u32): u64 {
  let i: usize = 0;
  const n = <usize>len;
  let va = i32x4.splat(0);
  let vb = i32x4.splat(0);
  for (; i + 32 <= n; i += 32) {
    va = i32x4.add(va, i32x4.extadd_pairwise_i16x8_u(v128.load(p + i)));
    vb = i32x4.add(vb, i32x4.extadd_pairwise_i16x8_u(v128.load(p + i, 16)));
  }
  const v = i32x4.add(va, vb);
  let a: u64 = <u64><u32>i32x4.extract_lane(v, 0) + <u64><u32>i32x4.extract_lane(v, 1);
  let b: u64 = <u64><u32>i32x4.extract_lane(v, 2) + <u64><u32>i32x4.extract_lane(v, 3);
  if (i + 16 <= n) {
    const x = load<u64>(p + i);
    const y = load<u64>(p + i, 8);
    a += (x & 0xffffffff) + (x >> 32);
    b += (y & 0xffffffff) + (y >> 32);
    i += 16;
  }
  if (i + 8 <= n) {
    a += <u64>load<u32>(p + i) + <u64>load<u32>(p + i, 4);
    i += 8;
  }
  if (i + 4 <= n) {
    b += <u64>load<u32>(p + i);
    i += 4;
  }
  if (i + 2 <= n) {
    a += <u64>load<u16>(p + i);
    i += 2;
  }
  if (i < n) b += <u64>load<u8>(p + i);
  return a + b;
}

// Small enough that no 64-bit carry is lost: at most five 64-bit sums of
// short runs and three 16-bit words.
function pseudoHeaderSum(proto: u8, len: u32): u64 {
  let sum: u64;
  if (pkt.nfproto == pkt.NFPROTO_IPV6) {
    sum = <u64>fold(sumBytes(pkt.saddr, 16)) + <u64>fold(sumBytes(pkt.daddr, 16));
  } else {
    // Two words: the vector loop would be all set-up and no work.
    sum = <u64>load<u32>(pkt.saddr) + <u64>load<u32>(pkt.daddr);
  }
  sum += <u64>bswap<u16>(<u16>(len >> 16)) + <u64>bswap<u16>(<u16>len);
  sum += <u64>bswap<u16>(<u16>proto);
  return sum;
}

// Whether the transport checksum of the current packet is good. On a host's
// own capture (local addresses given), a field holding only the folded
// pseudo-header sum is one the peer left for offload (CHECKSUM_PARTIAL, as a
// veth passes it on): the kernel does not verify such a packet, so neither
// does this. A capture of a router's ingress has finished checksums, and a
// field that happens to equal the pseudo-header sum is checked like any
// other. coverage is the number of bytes covered (UDP-Lite).
export function l4ChecksumOk(proto: u8, fieldOffset: u32, coverage: u32): bool {
  const th = pkt.th;
  const len = pkt.l4Len;
  // Bytes the capture does not hold cannot be verified.
  if (!pkt.captured(th, len)) return true;
  const usesPseudo = proto != pkt.IPPROTO_ICMP;
  let sum: u64 = 0;
  if (usesPseudo) {
    const pseudo = pseudoHeaderSum(proto, len);
    if (proto != pkt.IPPROTO_ICMPV6 && hasLocalAddresses() && <u32>load<u16>(th + fieldOffset) == fold(pseudo)) return true;
    sum = pseudo;
  }
  sum = <u64>fold(sum) + <u64>fold(sumBytes(th, coverage));
  if (fold(sum) == 0xffff) return true;
  failed = true;
  return false;
}

// CRC-32C (Castagnoli, reflected), SCTP's checksum.
const CRC32C: StaticArray<u32> = new StaticArray<u32>(256);
for (let i: u32 = 0; i < 256; i++) {
  let c = i;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >> 1) ^ 0x82f63b78 : c >> 1;
  unchecked(CRC32C[i] = c);
}

// sctp_error's check: the CRC-32C of the whole packet, its checksum field
// taken as zero, stored little-endian.
export function sctpChecksumOk(): bool {
  const th = pkt.th;
  const len = <usize>pkt.l4Len;
  if (!pkt.captured(th, <u32>len)) return true;
  if (sctpChecksum(th, len) == load<u32>(th + 8)) return true;
  failed = true;
  return false;
}

// Whether the current packet's TCP or UDP checksum field holds only the
// folded pseudo-header sum: the sender left it to offload
// (CHECKSUM_PARTIAL), and NAT then updates it as the kernel updates a
// partial checksum. Judged on a host's own capture only, as above.
export function offloadPending(proto: u8, fieldOffset: u32): bool {
  if (!hasLocalAddresses() || !pkt.captured(pkt.th, fieldOffset + 2)) return false;
  return <u32>load<u16>(pkt.th + fieldOffset) == pseudoHeaderFolded(proto, pkt.l4Len);
}

// The folded sum of the current packet's pseudo-header for proto and a
// transport length of len.
export function pseudoHeaderFolded(proto: u8, len: u32): u32 {
  return fold(pseudoHeaderSum(proto, len));
}

// The 16-bit one's complement sum of len bytes, unfolded words added.
export function bytesSum(p: usize, len: u32): u32 {
  return fold(sumBytes(p, len));
}

// The CRC-32C of an SCTP packet of len bytes at p, its checksum field
// taken as zero, as stored (little-endian).
export function sctpChecksum(p: usize, len: usize): u32 {
  let crc: u32 = 0xffffffff;
  for (let i: usize = 0; i < len; i++) {
    const b: u32 = i >= 8 && i < 12 ? 0 : <u32>load<u8>(p + i);
    crc = unchecked(CRC32C[(crc ^ b) & 0xff]) ^ (crc >> 8);
  }
  return ~crc;
}
