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

const OWN: i32 = 1;
const FOREIGN_PACKET: i32 = 0;
const UNSURE: i32 = -1;

// The owner of most packets from a glance at their network header: IPv4
// other than ICMP, IPv6 whose first next header is TCP or UDP, on Ethernet
// or raw IP links. The addresses are those the full parse would take; a
// packet the stack would find malformed goes by them too, which changes
// nothing, as no state sees such a packet. UNSURE for everything else.
function glance(linkType: u32, data: usize, caplen: u32): i32 {
  const net = pkt.plainNetworkHeader(linkType, data, caplen);
  if (net == 0) return UNSURE;
  const left = caplen - <u32>(net - data);
  if (left < 20) return UNSURE;
  const version = load<u8>(net) >> 4;
  if (version == 4) {
    if (load<u8>(net + 9) == pkt.IPPROTO_ICMP) return UNSURE;
    return ownAddresses(net + 12, net + 16, 4) ? OWN : FOREIGN_PACKET;
  }
  if (version == 6 && left >= 40) {
    const next = load<u8>(net + 6);
    if (next != pkt.IPPROTO_TCP && next != pkt.IPPROTO_UDP) return UNSURE;
    return ownAddresses(net + 8, net + 24, 16) ? OWN : FOREIGN_PACKET;
  }
  return UNSURE;
}

// Whether the packet of this record is this worker's to evaluate. Packets
// without addresses (not IP, malformed) are worker 0's. Fragments go by
// their own addresses, whatever the first of them quotes: they meet in one
// worker's reassembly.
export function ownPacket(linkType: u32, data: usize, caplen: u32, origLen: u32): bool {
  const seen = glance(linkType, data, caplen);
  if (seen != UNSURE) return seen == OWN;
  const fate = pkt.parsePacket(linkType, data, caplen, origLen);
  if (fate != PacketFate.Filtered && fate != PacketFate.Fragment) return shardIndex == 0;
  const v6 = pkt.nfproto == pkt.NFPROTO_IPV6;
  const len: usize = v6 ? 16 : 4;
  let s = pkt.saddr;
  let d = pkt.daddr;
  if (fate == PacketFate.Filtered && pkt.l4proto == (v6 ? pkt.IPPROTO_ICMPV6 : pkt.IPPROTO_ICMP)) {
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
