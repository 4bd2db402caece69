// Flows sharded across workers: each worker walks every record of the
// capture but evaluates only the packets whose shard is its own. The shard
// is a hash of the address pair that does not depend on its order, so both
// directions of a connection, its fragments, the ICMP errors quoting it and
// the connections its helpers expect (same hosts, other ports) meet the
// same conntrack table.
import { PacketFate } from './abi';
import * as pkt from './packet';

export let shardIndex: u32 = 0;
export let shardCount: u32 = 1;

// The verdict byte of a result whose packet another worker evaluates.
export const FOREIGN: u8 = 0xff;

export function shardSet(index: u32, count: u32): void {
  shardIndex = index;
  shardCount = count;
}

@inline function mix(v: u64): u64 {
  v *= 0x9e3779b97f4a7c15;
  return v ^ (v >> 29);
}

function addressHash(a: usize, len: usize): u64 {
  let h: u64 = 0;
  for (let i: usize = 0; i < len; i += 4) h = mix(h ^ <u64>load<u32>(a + i));
  return h;
}

// ICMP errors (destination unreachable, source quench, redirect, time
// exceeded, parameter problem; their ICMPv6 counterparts) go with the
// packet they quote, which travelled between the same two hosts.
function quotedAddresses(v6: bool): usize {
  const t = pkt.th;
  if (t == 0 || !pkt.captured(t, 8)) return 0;
  const type = load<u8>(t);
  if (!v6 && (type == 3 || type == 4 || type == 5 || type == 11 || type == 12) && pkt.captured(t + 8, 20)) return t + 8 + 12;
  if (v6 && type >= 1 && type <= 4 && pkt.captured(t + 8, 40)) return t + 8 + 8;
  return 0;
}

// Whether the packet of this record is this worker's to evaluate. Packets
// without addresses (not IP, malformed) are worker 0's.
export function ownPacket(linkType: u32, data: usize, caplen: u32, origLen: u32): bool {
  const fate = pkt.parsePacket(linkType, data, caplen, origLen);
  if (fate != PacketFate.Filtered && fate != PacketFate.Fragment) return shardIndex == 0;
  const v6 = pkt.nfproto == pkt.NFPROTO_IPV6;
  const len: usize = v6 ? 16 : 4;
  let s = pkt.saddr;
  let d = pkt.daddr;
  if (pkt.l4proto == (v6 ? pkt.IPPROTO_ICMPV6 : pkt.IPPROTO_ICMP)) {
    const q = quotedAddresses(v6);
    if (q != 0) {
      s = q;
      d = q + len;
    }
  }
  return ownAddresses(s, d, len);
}

// Whether the packets between addresses s and d (len bytes each, in either
// order) are this worker's.
export function ownAddresses(s: usize, d: usize, len: usize): bool {
  const h = mix(addressHash(s, len) + addressHash(d, len));
  return <u32>(((h >> 32) * <u64>shardCount) >> 32) == shardIndex;
}
