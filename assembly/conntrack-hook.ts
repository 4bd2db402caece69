// What the conntrack hook does to a packet (nf_conntrack_in): classify it,
// find or start its entry, let the protocol tracker move the state, and give
// the packet its ct state; and what the confirmation hook does at the end.
import { CtEntry, CtStat, CtStateBit, CtStatus, Hook, Tuple, Tunable } from './abi';
import * as pkt from './packet';
import * as ctt from './conntrack';
import { tunable } from './config';
import * as checksum from './checksum';
import { l4ChecksumOk, sctpChecksumOk } from './checksum';
import { tcpHeaderValid, tcpPacket, TcpVerdict } from './conntrack-tcp';
import { sctpPacket } from './conntrack-sctp';
import { udpValid, udpPacket, icmpPacket, genericPacket, grePacket, icmpReplyType, icmpIsError, icmpv6Untracked, icmpType, ICMP_MAX_TYPE } from './conntrack-l4';
import { expectationFor, attachExpected } from './conntrack-expect';
import { runHelper } from './helpers';

const IPPROTO_GRE: u8 = 47;
const IPPROTO_SCTP: u8 = 132;
const ICMP_DEST_UNREACH: u8 = 3;
const ICMP_PORT_UNREACH: u8 = 3;
const ICMPV6_DEST_UNREACH: u8 = 1;
const ICMPV6_PORT_UNREACH: u8 = 4;

// Zone from a template (`ct zone set` before conntrack); 0 by default. It
// applies to the directions in packetZoneDirections (1 original, 2 reply,
// 0 both).
export let packetZone: u16 = 0;
export let packetZoneDirections: u8 = 0;
// Whether a template was attached to the packet before conntrack.
export let hasTemplate = false;

export function resetPacketConntrack(): void {
  checksum.failed = false;
  ctt.ct = 0;
  ctt.ctDir = 0;
  ctt.ctState = CtStateBit.Invalid;
  packetZone = 0;
  packetZoneDirections = 0;
  hasTemplate = false;
}

// The zone the packet's own tuple is looked up in.
@inline function lookupZone(): u16 {
  return packetZoneDirections == 0 || (packetZoneDirections & 1) != 0 ? packetZone : 0;
}

// `ct zone set` before the conntrack hook: the kernel attaches a template
// entry, which `ct state` then reads as new.
export function setTemplateZone(zone: u16, directions: u8): void {
  packetZone = zone;
  packetZoneDirections = directions;
  hasTemplate = true;
  ctt.ctState = CtStateBit.New;
}

// The packet goes on without an entry; true, as conntrack does not drop it.
function invalid(): bool {
  if (ctt.ct != 0 && ctt.isPending(ctt.ct)) ctt.killEntry(ctt.ct);
  ctt.ct = 0;
  ctt.ctDir = 0;
  ctt.ctState = CtStateBit.Invalid;
  ctt.countStat(CtStat.Invalid);
  return true;
}

// Whether the protocol carries ports in its tuple (nf_ct_get_tuple_ports).
@inline function hasPorts(l4: u8): bool {
  return l4 == pkt.IPPROTO_TCP || l4 == pkt.IPPROTO_UDP || l4 == pkt.IPPROTO_UDPLITE || l4 == IPPROTO_SCTP;
}

// An ICMP error quotes a packet of some connection: the error is related to
// it (nf_conntrack_inet_error). Returns false when no connection matches.
function relatedToQuoted(): bool {
  if (!quotedKey()) return false;
  if (!ctt.lookupKey()) return false;
  // The error must travel to where that direction of the connection goes.
  const alen: usize = pkt.nfproto == pkt.NFPROTO_IPV6 ? 16 : 4;
  if (memory.compare(ctt.dstOf(ctt.ct, ctt.ctDir), pkt.daddr, alen) != 0) {
    ctt.ct = 0;
    ctt.ctDir = 0;
    return false;
  }
  ctt.ctState = CtStateBit.Related;
  return true;
}

// The lookup key of the packet an ICMP error quotes, turned around: the
// tuple of the direction the error travels. False when the quote is too
// short to tell.
function quotedKey(): bool {
  const v6 = pkt.nfproto == pkt.NFPROTO_IPV6;
  const inner = pkt.th + 8;
  const end = pkt.dataEnd;
  let l4: u8 = 0;
  let innerTh: usize = 0;
  const k = ctt.keyPtr();
  memory.fill(k, 0, 4 + Tuple.Size);
  const t = k + 4;
  if (!v6) {
    if (inner + 20 > end) return false;
    // A quoted non-first fragment has no transport header to match.
    if (bswap<u16>(load<u16>(inner + 6)) & 0x1fff) return false;
    l4 = load<u8>(inner + 9);
    innerTh = inner + (<usize>(load<u8>(inner) & 15) << 2);
    // Inverted: the quoted packet travelled the other way.
    memory.copy(t + Tuple.Src, inner + 16, 4);
    memory.copy(t + Tuple.Dst, inner + 12, 4);
  } else {
    if (inner + 40 > end) return false;
    innerTh = pkt.skipIpv6Extensions(inner + 40, load<u8>(inner + 6), end);
    if (innerTh == 0) return false;
    l4 = pkt.lastNextHeader;
    memory.copy(t + Tuple.Src, inner + 24, 16);
    memory.copy(t + Tuple.Dst, inner + 8, 16);
  }
  store<u8>(k, pkt.nfproto);
  store<u8>(k + 1, l4);
  store<u16>(k + 2, lookupZone());
  if (l4 == pkt.IPPROTO_ICMP || l4 == pkt.IPPROTO_ICMPV6) {
    if (innerTh + 8 > end) return false;
    const rt = icmpReplyType(load<u8>(innerTh), l4 == pkt.IPPROTO_ICMPV6);
    if (rt < 0) return false;
    store<u16>(t + Tuple.SrcPort, load<u16>(innerTh + 4));
    store<u16>(t + Tuple.DstPort, <u16>rt | (<u16>load<u8>(innerTh + 1) << 8));
  } else if (hasPorts(l4)) {
    if (innerTh + 4 > end) return false;
    store<u16>(t + Tuple.SrcPort, load<u16>(innerTh + 2));
    store<u16>(t + Tuple.DstPort, load<u16>(innerTh));
  }
  return true;
}

// Whether a packet going out is the kernel's answer to the packet a
// `reject` dropped last (see ctt.noteRejected): a TCP segment or an ICMP
// error carrying that packet's tuple turned around. Such an answer has its
// entry already, and conntrack leaves it at that.
function answersRejected(): bool {
  const l4 = pkt.l4proto;
  const v6 = pkt.nfproto == pkt.NFPROTO_IPV6;
  if (l4 == (v6 ? pkt.IPPROTO_ICMPV6 : pkt.IPPROTO_ICMP)) {
    if (pkt.l4Len < 8 || !pkt.captured(pkt.th, 8) || !icmpIsError(icmpType(), v6) || !quotedKey()) return false;
  } else if (l4 == pkt.IPPROTO_TCP) {
    if (pkt.l4Len < 4 || !pkt.captured(pkt.th, 4)) return false;
    ctt.keyFromPacket(lookupZone(), false);
  } else {
    return false;
  }
  return ctt.takeRejected();
}

// icmp_error / icmpv6_error. Returns true when the packet is dealt with
// (related, untracked or invalid), false when it is an ICMP query to track.
function icmpError(verify: bool): bool {
  const v6 = pkt.nfproto == pkt.NFPROTO_IPV6;
  if (pkt.l4Len < 8 || !pkt.captured(pkt.th, 8)) {
    invalid();
    return true;
  }
  if (verify && !l4ChecksumOk(pkt.l4proto, 2, pkt.l4Len)) {
    invalid();
    return true;
  }
  const type = icmpType();
  if (v6) {
    if (icmpv6Untracked(type)) {
      ctt.ctState = CtStateBit.Untracked;
      return true;
    }
  } else if (type > ICMP_MAX_TYPE) {
    invalid();
    return true;
  }
  if (!icmpIsError(type, v6)) return false;
  if (!relatedToQuoted()) invalid();
  return true;
}

// The protocol's own validity checks (the *_error functions).
function protocolValid(l4: u8, verify: bool): bool {
  if (l4 == pkt.IPPROTO_TCP) {
    if (!tcpHeaderValid()) return false;
    return !verify || l4ChecksumOk(l4, 16, pkt.l4Len);
  }
  if (l4 == pkt.IPPROTO_UDP || l4 == pkt.IPPROTO_UDPLITE) return udpValid(l4, verify);
  if (l4 == IPPROTO_SCTP) {
    if (pkt.l4Len < 12 || !pkt.captured(pkt.th, 12)) return false;
    return !verify || sctpChecksumOk();
  }
  return true;
}

// A reject's answer, and an ICMP error the host sends for a packet that
// still had its entry, leave with that entry attached from the start
// (nf_ct_attach in the reject modules and in icmp_glue_bits): chains of
// output before conntrack see it related, and conntrack then leaves the
// packet alone. A port unreachable comes from a transport protocol, which
// let go of the entry on taking the packet (nf_reset_ct in __udp4_lib_rcv,
// and in ip_protocol_deliver_rcu for every protocol it hands a packet to):
// it has none until conntrack's hook. True when the packet has its entry so.
export function attachAnswer(): bool {
  if (ctt.ctState == CtStateBit.Untracked || pkt.th == 0) return false;
  if (ctt.rejectedPending() && answersRejected()) return true;
  const v6 = pkt.nfproto == pkt.NFPROTO_IPV6;
  if (pkt.l4proto != (v6 ? pkt.IPPROTO_ICMPV6 : pkt.IPPROTO_ICMP) || pkt.l4Len < 8 || !pkt.captured(pkt.th, 8)) return false;
  const type = icmpType();
  if ((!v6 && type > ICMP_MAX_TYPE) || !icmpIsError(type, v6)) return false;
  const code = load<u8>(pkt.th + 1);
  if (v6 ? type == ICMPV6_DEST_UNREACH && code == ICMPV6_PORT_UNREACH : type == ICMP_DEST_UNREACH && code == ICMP_PORT_UNREACH) return false;
  if (relatedToQuoted()) return true;
  ctt.ct = 0;
  ctt.ctDir = 0;
  ctt.ctState = CtStateBit.Invalid;
  return false;
}

// The conntrack hook at priority -200 on prerouting and output. Returns
// false when the packet is dropped there.
export function conntrackIn(hook: Hook): bool {
  if (ctt.ctState == CtStateBit.Untracked) return true;
  hasTemplate = false;
  if (pkt.th == 0) return invalid();
  ctt.ctState = CtStateBit.Invalid;
  ctt.packetLength = pkt.netLen;
  const l4 = pkt.l4proto;
  const v6 = pkt.nfproto == pkt.NFPROTO_IPV6;
  const verify = hook == Hook.Prerouting && tunable(Tunable.Checksum) != 0;
  // The tuple follows the protocol number, whatever the family: ICMPv6
  // inside IPv4 is tracked by ICMPv6's rules. Errors are looked into only
  // in their own family.
  const isIcmp = l4 == pkt.IPPROTO_ICMP || l4 == pkt.IPPROTO_ICMPV6;
  const icmpV6 = l4 == pkt.IPPROTO_ICMPV6;
  if (l4 == (v6 ? pkt.IPPROTO_ICMPV6 : pkt.IPPROTO_ICMP) && icmpError(verify)) return true;
  if (isIcmp && (pkt.l4Len < 8 || !pkt.captured(pkt.th, 8))) return invalid();
  if (hasPorts(l4) && (pkt.l4Len < 4 || !pkt.captured(pkt.th, 4))) return invalid();
  ctt.keyFromPacket(lookupZone(), isIcmp);
  for (let attempt = 0; attempt < 2; attempt++) {
    let e: usize = 0;
    let isNew = false;
    if (ctt.lookupKey()) {
      e = ctt.ct;
    } else {
      let replyDport: u16 = 0;
      if (isIcmp) {
        const rt = icmpReplyType(icmpType(), icmpV6);
        // Only a query starts an ICMP connection.
        if (rt < 0) return invalid();
        replyDport = <u16>rt | (pkt.dport & 0xff00);
      }
      // A full table that cannot make room drops the packet.
      if (!ctt.makeRoom()) {
        ctt.ct = 0;
        return false;
      }
      e = ctt.newPending(replyDport, isIcmp);
      if (e == 0) {
        ctt.ct = 0;
        return false;
      }
      store<u16>(e + CtEntry.Zone, packetZone);
      store<u8>(e + CtEntry.ZoneDirections, packetZoneDirections);
      isNew = true;
      const exp = expectationFor(ctt.keyPtr());
      if (exp != 0) attachExpected(e, exp);
    }
    const dir = ctt.ctDir;
    if (dir == 1) {
      ctt.ctState = CtStateBit.Established;
    } else if (ctt.hasStatus(e, CtStatus.SeenReply)) {
      ctt.ctState = CtStateBit.Established;
    } else if (ctt.hasStatus(e, CtStatus.Expected)) {
      ctt.ctState = CtStateBit.Related;
    } else {
      ctt.ctState = CtStateBit.New;
    }
    if (!protocolValid(l4, verify)) return invalid();
    if (l4 == pkt.IPPROTO_TCP) {
      const v = tcpPacket(e, dir, isNew);
      if (v == TcpVerdict.Invalid) return invalid();
      if (v == TcpVerdict.Reopen) {
        ctt.ct = 0;
        ctt.keyFromPacket(lookupZone(), isIcmp);
        continue;
      }
    } else if (l4 == IPPROTO_SCTP) {
      if (!sctpPacket(e, dir, isNew)) return invalid();
    } else if (l4 == pkt.IPPROTO_UDP || l4 == pkt.IPPROTO_UDPLITE) {
      udpPacket(e, dir, isNew);
    } else if (isIcmp) {
      icmpPacket(e, dir, icmpV6);
    } else if (l4 == IPPROTO_GRE) {
      grePacket(e, dir);
    } else {
      genericPacket(e, dir);
    }
    if (dir == 1) ctt.setStatus(e, CtStatus.SeenReply);
    return true;
  }
  return invalid();
}

// nf_confirm after the last hook of an accepted packet: the entry enters the
// table, then its helper looks at the packet. Returns false when the packet
// must be dropped (the table is full, or the helper refuses it).
export function conntrackConfirm(): bool {
  const e = ctt.ct;
  if (e == 0) return true;
  if (ctt.isPending(e) && !ctt.confirm()) return false;
  const c = ctt.ct;
  const helper = load<u16>(c + CtEntry.Helper);
  if (helper == 0 || ctt.ctState == CtStateBit.Related) return true;
  return runHelper(helper, c, ctt.ctDir, ctt.ctState == CtStateBit.Established);
}

// A packet dropped before confirmation leaves no entry.
export function conntrackDiscard(): void {
  const e = ctt.ct;
  if (e != 0 && ctt.isPending(e)) ctt.killEntry(e);
}

export function setAccounting(on: bool): void {
  ctt.accounting = on;
}
