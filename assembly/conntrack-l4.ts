// UDP, ICMP and generic connection tracking (nf_conntrack_proto_udp.c,
// _icmp.c, _icmpv6.c, _generic.c).
import { CtEntry, CtStatus, Tunable } from './abi';
import { tunable } from './config';
import * as pkt from './packet';
import { hasStatus, now, setStatus, setTimeout } from './conntrack';

const NS_PER_SEC: u64 = 1000000000;
// A UDP flow still active this long after it started is a stream.
const UDP_STREAM_AFTER: u64 = 2 * NS_PER_SEC;
// Where a UDP entry keeps its start time (the TCP window area is unused).
const UDP_STREAM_TS: usize = CtEntry.TcpOrig;

export function udpStart(e: usize): void {
  store<u64>(e + UDP_STREAM_TS, now + UDP_STREAM_AFTER);
}

export function udpPacket(e: usize): void {
  if (hasStatus(e, CtStatus.SeenReply)) {
    let extra = tunable(Tunable.UdpTimeout);
    let stream = false;
    if (now > load<u64>(e + UDP_STREAM_TS)) {
      extra = tunable(Tunable.UdpTimeoutStream);
      stream = !hasStatus(e, CtStatus.Assured);
    }
    setTimeout(e, extra);
    if (stream) setStatus(e, CtStatus.Assured);
  } else {
    setTimeout(e, tunable(Tunable.UdpTimeout));
  }
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

// Whether an ICMP type is a reply to a query (valid only in the reply direction).
export function icmpIsReply(type: u8, v6: bool): bool {
  if (v6) return type == 129 || type == 140;
  return type == 0 || type == 14 || type == 16 || type == 18;
}

export function icmpIsError(type: u8, v6: bool): bool {
  if (v6) return type < 128;
  return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

// ICMPv6 types conntrack leaves untracked (neighbour discovery, MLD).
export function icmpv6Untracked(type: u8): bool {
  return (type >= 130 && type <= 137) || type == 143;
}

export function icmpPacket(e: usize, v6: bool): void {
  setTimeout(e, tunable(v6 ? Tunable.Icmpv6Timeout : Tunable.IcmpTimeout));
}

export function genericPacket(e: usize): void {
  setTimeout(e, tunable(Tunable.GenericTimeout));
}

export function icmpType(): u8 {
  return <u8>(pkt.dport & 0xff);
}
