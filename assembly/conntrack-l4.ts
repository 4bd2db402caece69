// UDP, UDP-Lite, ICMP, ICMPv6, GRE and generic connection tracking
// (nf_conntrack_proto_udp.c, _icmp.c, _icmpv6.c, _gre.c, _generic.c).
import { CtEntry, CtStatus, Tunable } from './abi';
import { tunable } from './config';
import * as pkt from './packet';
import { l4ChecksumOk } from './checksum';
import { hasStatus, now, policyTimeout, setStatus, refresh } from './conntrack';

const NS_PER_SEC: u64 = 1000000000;
// A UDP flow still active this long after it started is a stream.
const UDP_STREAM_AFTER: u64 = 2 * NS_PER_SEC;
// Where a UDP entry keeps the time it becomes a stream (the TCP window area
// is free for other protocols).
const UDP_STREAM_TS: usize = CtEntry.TcpOrig;
// NR_ICMP_TYPES: types above it are unknown to the kernel and invalid.
export const ICMP_MAX_TYPE: u8 = 18;

// udp_error / udplite_error: length, coverage and checksum.
export function udpValid(l4: u8, verify: bool): bool {
  const len = pkt.l4Len;
  if (len < 8 || !pkt.captured(pkt.th, 8)) return false;
  const field = <u32>bswap<u16>(load<u16>(pkt.th + 4));
  const check = load<u16>(pkt.th + 6);
  let coverage = len;
  if (l4 == pkt.IPPROTO_UDP) {
    if (field > len || field < 8) return false;
    if (check == 0) return true;
  } else {
    // UDP-Lite: the length field is the checksum coverage, 0 meaning all.
    if (field != 0) {
      if (field < 8 || field > len) return false;
      coverage = field;
    }
    if (check == 0) return false;
  }
  // The kernel verifies UDP-Lite with UDP's protocol number in the pseudo
  // header (udplite_error passes IPPROTO_UDP): a correct UDP-Lite checksum
  // fails there, and so it does here.
  return !verify || l4ChecksumOk(pkt.IPPROTO_UDP, 6, coverage);
}

export function udpPacket(e: usize, dir: u8, isNew: bool): void {
  if (isNew) store<u64>(e + UDP_STREAM_TS, now + UDP_STREAM_AFTER);
  if (hasStatus(e, CtStatus.SeenReply)) {
    let extra = udpTimeout(e, false);
    let stream = false;
    if (now > load<u64>(e + UDP_STREAM_TS)) {
      extra = udpTimeout(e, true);
      stream = !hasStatus(e, CtStatus.Assured);
    }
    refresh(e, dir, extra, true);
    if (stream) setStatus(e, CtStatus.Assured);
  } else {
    refresh(e, dir, udpTimeout(e, false), true);
  }
}

// UDP's timeouts: UDP_CT_UNREPLIED and UDP_CT_REPLIED, a ct timeout
// policy's first and second.
function udpTimeout(e: usize, replied: bool): u32 {
  return replied ? policyTimeout(e, 1, tunable(Tunable.UdpTimeoutStream)) : policyTimeout(e, 0, tunable(Tunable.UdpTimeout));
}

// The reply type of an ICMP query that may start a connection, or -1.
export function icmpReplyType(type: u8, v6: bool): i32 {
  if (v6) {
    if (type == 128) return 129;
    if (type == 139) return 140;
    return -1;
  }
  if (type == 8) return 0;
  if (type == 13) return 14;
  if (type == 15) return 16;
  if (type == 17) return 18;
  return -1;
}

export function icmpIsError(type: u8, v6: bool): bool {
  if (v6) return type < 128;
  return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

// ICMPv6 types conntrack leaves untracked (neighbour discovery, MLD).
export function icmpv6Untracked(type: u8): bool {
  return (type >= 130 && type <= 136) || type == 143;
}

export function icmpPacket(e: usize, dir: u8, v6: bool): void {
  refresh(e, dir, tunable(v6 ? Tunable.Icmpv6Timeout : Tunable.IcmpTimeout), true);
}

export function genericPacket(e: usize, dir: u8): void {
  refresh(e, dir, tunable(Tunable.GenericTimeout), true);
}

export function grePacket(e: usize, dir: u8): void {
  if (hasStatus(e, CtStatus.SeenReply)) {
    refresh(e, dir, tunable(Tunable.GreTimeoutStream), true);
    setStatus(e, CtStatus.Assured);
  } else {
    refresh(e, dir, tunable(Tunable.GreTimeout), true);
  }
}

export function icmpType(): u8 {
  return <u8>(pkt.dport & 0xff);
}
