// What the conntrack hook does to a packet (nf_conntrack_in): classify it,
// find or start its entry, let the protocol tracker move the state, and give
// the packet its ct state; and the confirmation at the last hook.
import { CtStateBit, CtStatus, Tuple } from './abi';
import * as pkt from './packet';
import * as ctt from './conntrack';
import { tcpCanStart, tcpHeaderValid, tcpPacket, TcpVerdict } from './conntrack-tcp';
import { udpStart, udpPacket, icmpPacket, genericPacket, icmpReplyType, icmpIsReply, icmpIsError, icmpv6Untracked, icmpType } from './conntrack-l4';

export let accounting = false;
// Zone from a template (ct zone set before conntrack); 0 by default.
export let packetZone: u16 = 0;

export function resetPacketConntrack(): void {
  ctt.ct = 0;
  ctt.ctDir = 0;
  ctt.ctState = CtStateBit.Invalid;
  packetZone = 0;
}

function invalid(): void {
  if (ctt.ct != 0 && ctt.isPending(ctt.ct)) ctt.killEntry(ctt.ct);
  ctt.ct = 0;
  ctt.ctState = CtStateBit.Invalid;
  ctt.countStat(ctt.Stat.Invalid);
}

// An ICMP error quotes a packet of some connection: the error is related to
// it. Returns false when no connection matches.
function relatedToQuoted(): bool {
  const v6 = pkt.nfproto == pkt.NFPROTO_IPV6;
  const inner = pkt.th + 8;
  let l4: u8 = 0;
  let innerTh: usize = 0;
  const k = ctt.keyPtr();
  memory.fill(k, 0, 4 + Tuple.Size);
  const t = k + 4;
  if (!v6) {
    if (!pkt.captured(inner, 20)) return false;
    const ihl: usize = <usize>(load<u8>(inner) & 15) << 2;
    l4 = load<u8>(inner + 9);
    innerTh = inner + ihl;
    // Inverted: the quoted packet travelled the other way.
    memory.copy(t + Tuple.Src, inner + 16, 4);
    memory.copy(t + Tuple.Dst, inner + 12, 4);
  } else {
    if (!pkt.captured(inner, 40)) return false;
    l4 = load<u8>(inner + 6);
    innerTh = inner + 40;
    memory.copy(t + Tuple.Src, inner + 24, 16);
    memory.copy(t + Tuple.Dst, inner + 8, 16);
  }
  if (!pkt.captured(innerTh, 8)) return false;
  store<u8>(k, pkt.nfproto);
  store<u8>(k + 1, l4);
  store<u16>(k + 2, packetZone);
  if (l4 == pkt.IPPROTO_ICMP || l4 == pkt.IPPROTO_ICMPV6) {
    const rt = icmpReplyType(load<u8>(innerTh), v6);
    if (rt < 0) return false;
    store<u16>(t + Tuple.SrcPort, load<u16>(innerTh + 4));
    store<u16>(t + Tuple.DstPort, <u16>rt | (<u16>load<u8>(innerTh + 1) << 8));
  } else {
    store<u16>(t + Tuple.SrcPort, load<u16>(innerTh + 2));
    store<u16>(t + Tuple.DstPort, load<u16>(innerTh));
  }
  if (!ctt.lookupKey()) return false;
  ctt.ctState = CtStateBit.Related;
  return true;
}

// The conntrack hook at priority -200 on prerouting and output.
export function conntrackIn(): void {
  if (ctt.ctState == CtStateBit.Untracked) return;
  const l4 = pkt.l4proto;
  const v6 = pkt.nfproto == pkt.NFPROTO_IPV6;
  const isIcmp = l4 == pkt.IPPROTO_ICMP || l4 == pkt.IPPROTO_ICMPV6;
  if (l4 == pkt.IPPROTO_TCP && !tcpHeaderValid()) return invalid();
  if (l4 == pkt.IPPROTO_UDP && !pkt.captured(pkt.th, 8)) return invalid();
  if (isIcmp) {
    if (!pkt.captured(pkt.th, 8)) return invalid();
    const type = icmpType();
    if (v6 && icmpv6Untracked(type)) {
      ctt.ctState = CtStateBit.Untracked;
      return;
    }
    if (icmpIsError(type, v6)) {
      if (!relatedToQuoted()) invalid();
      return;
    }
  }
  ctt.keyFromPacket(packetZone);
  for (let attempt = 0; attempt < 2; attempt++) {
    let e: usize = 0;
    if (ctt.lookupKey()) {
      e = ctt.ct;
    } else {
      let replyDport: u16 = 0;
      if (l4 == pkt.IPPROTO_TCP && !tcpCanStart()) return invalid();
      if (isIcmp) {
        const type = icmpType();
        const rt = icmpReplyType(type, v6);
        if (rt < 0) return invalid();
        replyDport = <u16>rt | (pkt.dport & 0xff00);
      }
      e = ctt.newPending(replyDport);
      if (l4 == pkt.IPPROTO_UDP) udpStart(e);
    }
    const dir = ctt.ctDir;
    if (isIcmp && dir == 0 && icmpIsReply(icmpType(), v6)) return invalid();
    if (dir == 1) {
      ctt.ctState = CtStateBit.Established;
    } else if (ctt.hasStatus(e, CtStatus.SeenReply)) {
      ctt.ctState = CtStateBit.Established;
    } else if (ctt.hasStatus(e, CtStatus.Expected)) {
      ctt.ctState = CtStateBit.Related;
    } else {
      ctt.ctState = CtStateBit.New;
    }
    if (l4 == pkt.IPPROTO_TCP) {
      const v = tcpPacket(e, dir);
      if (v == TcpVerdict.Invalid) return invalid();
      if (v == TcpVerdict.Reopen) {
        ctt.ct = 0;
        ctt.keyFromPacket(packetZone);
        continue;
      }
    } else if (l4 == pkt.IPPROTO_UDP) {
      udpPacket(e);
    } else if (isIcmp) {
      icmpPacket(e, v6);
    } else {
      genericPacket(e);
    }
    if (dir == 1) ctt.setStatus(e, CtStatus.SeenReply);
    if (accounting) ctt.accountPacket(e, dir, pkt.netLen);
    return;
  }
  invalid();
}

// Confirmation after the last hook of an accepted packet. Returns false when
// the table is full and the packet must be dropped.
export function conntrackConfirm(): bool {
  const e = ctt.ct;
  if (e == 0 || !ctt.isPending(e)) return true;
  return ctt.confirm();
}

// A packet dropped before confirmation leaves no entry.
export function conntrackDiscard(): void {
  const e = ctt.ct;
  if (e != 0 && ctt.isPending(e)) ctt.killEntry(e);
}

export function setAccounting(on: bool): void {
  accounting = on;
}
