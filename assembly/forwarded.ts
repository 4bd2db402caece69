// The copies a cooked capture (`tcpdump -i any`) holds of what a router
// forwards: each packet leaves again, marked outgoing, translated by NAT
// and one hop lower. Such a copy is what the kernel did with a packet the
// replay has already taken through the hooks, so it is recognised and not
// taken through them again. A forwarded packet leaves its fingerprint as
// it goes out (NAT applied, the hop count and checksums left out); an
// outgoing record with the same fingerprint is its copy.
import * as pkt from './packet';
import * as dev from './devices';

const SLOTS: u32 = 256;
const slots = memory.data(<i32>SLOTS * 8, 8);

@inline function mix(h: u64, v: u64): u64 {
  h = (h ^ v) * 0x9e3779b97f4a7c15;
  return h ^ (h >> 29);
}

function fingerprint(): u64 {
  const ip = pkt.net;
  let h: u64 = <u64>pkt.l4proto;
  if (pkt.nfproto == pkt.NFPROTO_IPV4) {
    // Version to fragment offset, before the TTL; then the addresses.
    h = mix(h, load<u64>(ip));
    h = mix(h, load<u64>(ip + 12));
  } else {
    // Version, flow label, payload length and next header, not the hop limit.
    h = mix(h, load<u64>(ip) & 0x00ffffffffffffff);
    for (let i: usize = 8; i < 40; i += 8) h = mix(h, load<u64>(ip + i));
  }
  const th = pkt.th;
  if (th != 0 && pkt.captured(th, 8)) {
    const l4 = pkt.l4proto;
    const v = load<u64>(th);
    // TCP's sequence number, a UDP datagram's length, an ICMP message's
    // type, code and sequence: neither ports nor ids, which a clash makes
    // the kernel pick at random, nor checksums.
    if (l4 == pkt.IPPROTO_TCP) h = mix(h, v >> 32);
    else if (l4 == pkt.IPPROTO_UDP || l4 == pkt.IPPROTO_UDPLITE) h = mix(h, (v >> 32) & 0xffff);
    else if (l4 == pkt.IPPROTO_ICMP || l4 == pkt.IPPROTO_ICMPV6) h = mix(h, v & 0xffff00000000ffff);
  }
  return h | 1;
}

// Notes the packet the hooks just forwarded, as it leaves.
export function noteForwarded(): void {
  if (!dev.devicesKnown()) return;
  const h = fingerprint();
  store<u64>(slots + (<usize>(<u32>h & (SLOTS - 1)) << 3), h);
}

// Whether the current record is the outgoing copy of a forwarded packet;
// a copy is recognised once.
export function isForwardedCopy(): bool {
  if (!pkt.outgoing || !dev.devicesKnown()) return false;
  const h = fingerprint();
  const slot = slots + (<usize>(<u32>h & (SLOTS - 1)) << 3);
  if (load<u64>(slot) != h) return false;
  store<u64>(slot, 0);
  return true;
}
