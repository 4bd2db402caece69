// TCP connection tracking: the kernel's state transition table and its
// timeout rules (nf_conntrack_proto_tcp.c), as data.
import { CtEntry, CtStatus, TcpState, Tunable } from './abi';
import { tunable } from './config';
import * as pkt from './packet';
import { hasStatus, setStatus, setTimeout, killEntry } from './conntrack';

// Segment kinds, the table's rows.
const SYN: u32 = 0;
const SYNACK: u32 = 1;
const FIN: u32 = 2;
const ACK: u32 = 3;
const RST: u32 = 4;
const NONE: u32 = 5;

const sNO: u8 = <u8>(TcpState.None);
const sSS: u8 = <u8>(TcpState.SynSent);
const sSR: u8 = <u8>(TcpState.SynRecv);
const sES: u8 = <u8>(TcpState.Established);
const sFW: u8 = <u8>(TcpState.FinWait);
const sCW: u8 = <u8>(TcpState.CloseWait);
const sLA: u8 = <u8>(TcpState.LastAck);
const sTW: u8 = <u8>(TcpState.TimeWait);
const sCL: u8 = <u8>(TcpState.Close);
const sS2: u8 = <u8>(TcpState.SynSent2);
const sIV: u8 = <u8>(TcpState.Max);
const sIG: u8 = <u8>(TcpState.Max + 1);

// [direction][segment kind][old state] -> new state; columns in TcpState order
// sNO sSS sSR sES sFW sCW sLA sTW sCL sS2.
const TRANSITIONS: StaticArray<u8> = [
  // original
  sSS, sSS, sIG, sIG, sIG, sIG, sIG, sSS, sSS, sS2, // syn
  sIV, sIV, sSR, sIV, sIV, sIV, sIV, sIV, sIV, sSR, // synack
  sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV, // fin
  sES, sIV, sES, sES, sCW, sCW, sTW, sTW, sCL, sIV, // ack
  sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, // rst
  sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, // none
  // reply
  sIV, sS2, sIV, sIV, sIV, sIV, sIV, sSS, sIV, sS2, // syn
  sIV, sSR, sIG, sIG, sIG, sIG, sIG, sIG, sIG, sSR, // synack
  sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV, // fin
  sIV, sIG, sSR, sES, sCW, sCW, sTW, sTW, sCL, sIG, // ack
  sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, // rst
  sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, // none
];

// Flag combinations the kernel accepts (tcp_valid_flags), ECE and CWR aside.
function validFlags(f: u8): bool {
  const t = f & 0x3f;
  const S = pkt.TCP_SYN, A = pkt.TCP_ACK, F = pkt.TCP_FIN, R = pkt.TCP_RST, P = pkt.TCP_PSH, U = pkt.TCP_URG;
  return t == S || t == (S | U) || t == (S | A) || t == R || t == (R | A) || t == (R | A | P) ||
    t == (F | A) || t == (F | A | U) || t == A || t == (A | U) || t == (A | P) || t == (A | P | U) ||
    t == (F | A | P) || t == (F | A | P | U);
}

function segmentKind(f: u8): u32 {
  if (f & pkt.TCP_RST) return RST;
  if (f & pkt.TCP_SYN) return f & pkt.TCP_ACK ? SYNACK : SYN;
  if (f & pkt.TCP_FIN) return FIN;
  if (f & pkt.TCP_ACK) return ACK;
  return NONE;
}

@inline function transition(dir: u8, kind: u32, state: u8): u8 {
  return unchecked(TRANSITIONS[(<i32>dir * 6 + <i32>kind) * 10 + <i32>state]);
}

// tcp_error: header checks that make a segment invalid before any lookup.
export function tcpHeaderValid(): bool {
  if (!pkt.captured(pkt.th, 20)) return false;
  const doff: u32 = <u32>(load<u8>(pkt.th + 12) >> 4) << 2;
  if (doff < 20 || doff > pkt.l4Len) return false;
  return validFlags(pkt.tcpFlags);
}

// tcp_new: whether this segment may start a tracked connection.
export function tcpCanStart(): bool {
  const kind = segmentKind(pkt.tcpFlags);
  const s = transition(0, kind, sNO);
  if (s >= sIV) return false;
  if (s == sES && tunable(Tunable.TcpLoose) == 0) return false;
  return true;
}

export enum TcpVerdict {
  Ok = 0,
  Invalid = 1,
  // The segment reopens a closed connection: delete it and look up again.
  Reopen = 2,
}

function stateTimeout(s: u8): u32 {
  if (s == sS2) return tunable(Tunable.TcpTimeoutSynSent);
  return tunable(<Tunable>(Tunable.TcpTimeoutSynSent + <i32>s - 1));
}

// tcp_packet: moves the entry's state for a segment in direction dir.
export function tcpPacket(e: usize, dir: u8): TcpVerdict {
  const kind = segmentKind(pkt.tcpFlags);
  const old = load<u8>(e + CtEntry.TcpState);
  const next = transition(dir, kind, old);
  if (next == sIV) return TcpVerdict.Invalid;
  if (next == sIG) return TcpVerdict.Ok;
  if (next == sSS && old >= sTW && dir == 0 && old != sS2) {
    killEntry(e);
    return TcpVerdict.Reopen;
  }
  store<u8>(e + CtEntry.TcpState, next);
  if (!hasStatus(e, CtStatus.SeenReply)) {
    if (kind == RST) {
      // The only answer was a reset: the connection never existed.
      setTimeout(e, 0);
      return TcpVerdict.Ok;
    }
  } else if (!hasStatus(e, CtStatus.Assured) && (old == sSR || old == sES) && next == sES) {
    setStatus(e, CtStatus.Assured);
  }
  setTimeout(e, stateTimeout(next));
  return TcpVerdict.Ok;
}
