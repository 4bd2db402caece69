// TCP connection tracking as nf_conntrack_proto_tcp.c does it: the state
// transition table (as data), window tracking (tcp_in_window), the special
// cases around ignored segments, resets and reopening, and the timeouts.
import { CtEntry, CtStatus, TcpState, Tunable } from './abi';
import { tunable } from './config';
import * as pkt from './packet';
import { hasStatus, setStatus, refresh, account, expiresIn, killEntry, policyTimeout } from './conntrack';

// Segment kinds, the table's rows (the kernel's tcp_bit_set).
export const SYN: u32 = 0;
export const SYNACK: u32 = 1;
export const FIN: u32 = 2;
export const ACK: u32 = 3;
export const RST: u32 = 4;
export const NONE: u32 = 5;

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

// tcp_valid_flags indexed by FIN|SYN|RST|ACK|URG (PSH, ECE and CWR masked).
const VALID_FLAGS: StaticArray<u8> = [
  0, 0, 1, 0, 1, 0, 0, 0, // 0x00-0x07: SYN, RST
  0, 0, 0, 0, 0, 0, 0, 0,
  1, 1, 1, 0, 1, 0, 0, 0, // 0x10-0x17: ACK, FIN|ACK, SYN|ACK, RST|ACK
  0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 1, 0, 0, 0, 0, 0, // 0x20-0x27: SYN|URG
  0, 0, 0, 0, 0, 0, 0, 0,
  1, 1, 0, 0, 0, 0, 0, 0, // 0x30-0x37: ACK|URG, FIN|ACK|URG
  0, 0, 0, 0, 0, 0, 0, 0,
];

// Per-direction flags (ip_ct_tcp_state.flags).
export const F_WINDOW_SCALE: u8 = 0x01;
export const F_SACK_PERM: u8 = 0x02;
export const F_CLOSE_INIT: u8 = 0x04;
export const F_BE_LIBERAL: u8 = 0x08;
export const F_DATA_UNACKNOWLEDGED: u8 = 0x10;
export const F_MAXACK_SET: u8 = 0x20;
// last_flags
const L_SIMULTANEOUS_OPEN: u8 = 0x04;
const L_CHALLENGE_ACK: u8 = 0x40;

const MAXACKWINCONST: u32 = 66000;
const MAX_WSCALE: u8 = 14;
// SYN_SENT2 has no sysctl of its own.
const TIMEOUT_SYN_SENT2: u32 = 120;

const TCPOPT_EOL: u8 = 0;
const TCPOPT_NOP: u8 = 1;
const TCPOPT_WINDOW: u8 = 3;
const TCPOPT_SACK_PERM: u8 = 4;
const TCPOPT_SACK: u8 = 5;

export enum TcpVerdict {
  Ok = 0,
  Invalid = 1,
  // The segment reopens a closed connection: delete it and look up again.
  Reopen = 2,
  // Accepted without touching the entry's state, timeout or counters.
  Ignore = 3,
}

// The current segment, read once.
let seq: u32 = 0;
let ackSeq: u32 = 0;
let win: u32 = 0;
let doff: u32 = 0;
let segEnd: u32 = 0;
let flags: u8 = 0;
// What tcp_options found.
let optScale: u8 = 0;
let optFlags: u8 = 0;

@inline function before(a: u32, b: u32): bool {
  return <i32>(a - b) < 0;
}

@inline function after(a: u32, b: u32): bool {
  return <i32>(b - a) < 0;
}

@inline function be32(p: usize): u32 {
  return bswap<u32>(load<u32>(p));
}

@inline function transition(dir: u8, kind: u32, state: u8): u8 {
  return unchecked(TRANSITIONS[(<i32>dir * 6 + <i32>kind) * 10 + <i32>state]);
}

export function segmentKind(f: u8): u32 {
  if (f & pkt.TCP_RST) return RST;
  if (f & pkt.TCP_SYN) return f & pkt.TCP_ACK ? SYNACK : SYN;
  if (f & pkt.TCP_FIN) return FIN;
  if (f & pkt.TCP_ACK) return ACK;
  return NONE;
}

// Where the per-direction window state lives.
@inline function side(e: usize, d: u8): usize {
  return e + (d ? <usize>CtEntry.TcpReply : <usize>CtEntry.TcpOrig);
}
@inline function tdEnd(e: usize, d: u8): u32 { return load<u32>(side(e, d)); }
@inline function tdMaxend(e: usize, d: u8): u32 { return load<u32>(side(e, d) + 4); }
@inline function tdMaxwin(e: usize, d: u8): u32 { return load<u32>(side(e, d) + 8); }
@inline function setEnd(e: usize, d: u8, v: u32): void { store<u32>(side(e, d), v); }
@inline function setMaxend(e: usize, d: u8, v: u32): void { store<u32>(side(e, d) + 4, v); }
@inline function setMaxwin(e: usize, d: u8, v: u32): void { store<u32>(side(e, d) + 8, v); }
@inline function scalePtr(e: usize, d: u8): usize { return e + CtEntry.TcpScaleOrig + (<usize>d << 1); }
@inline function flagsPtr(e: usize, d: u8): usize { return e + CtEntry.TcpFlagsOrig + (<usize>d << 1); }
@inline function maxackPtr(e: usize, d: u8): usize { return e + CtEntry.TcpMaxackOrig + (<usize>d << 2); }
@inline function dirFlags(e: usize, d: u8): u8 { return load<u8>(flagsPtr(e, d)); }
@inline function orFlags(e: usize, d: u8, f: u8): void { store<u8>(flagsPtr(e, d), dirFlags(e, d) | f); }

// tcp_error: header checks that make a segment invalid whatever its entry.
export function tcpHeaderValid(): bool {
  if (pkt.l4Len < 20 || !pkt.captured(pkt.th, 20)) return false;
  const d: u32 = <u32>(load<u8>(pkt.th + 12) >> 4) << 2;
  if (d < 20 || d > pkt.l4Len) return false;
  return unchecked(VALID_FLAGS[pkt.tcpFlags & 0x37]) != 0;
}

function readSegment(): void {
  const th = pkt.th;
  seq = be32(th + 4);
  ackSeq = be32(th + 8);
  win = <u32>bswap<u16>(load<u16>(th + 14));
  doff = <u32>(load<u8>(th + 12) >> 4) << 2;
  flags = pkt.tcpFlags;
  segEnd = seq + pkt.l4Len - doff + (flags & pkt.TCP_SYN ? 1 : 0) + (flags & pkt.TCP_FIN ? 1 : 0);
}

// tcp_options: window scale and SACK permitted, within the captured bytes.
function parseOptions(): void {
  optScale = 0;
  optFlags = 0;
  let p = pkt.th + 20;
  let end = pkt.th + <usize>doff;
  if (end > pkt.dataEnd) end = pkt.dataEnd;
  while (p < end) {
    const kind = load<u8>(p);
    if (kind == TCPOPT_EOL) return;
    if (kind == TCPOPT_NOP) {
      p++;
      continue;
    }
    if (end - p < 2) return;
    const size = load<u8>(p + 1);
    if (size < 2 || <usize>size > end - p) return;
    if (kind == TCPOPT_SACK_PERM && size == 2) {
      optFlags |= F_SACK_PERM;
    } else if (kind == TCPOPT_WINDOW && size == 3) {
      const s = load<u8>(p + 2);
      optScale = s > MAX_WSCALE ? MAX_WSCALE : s;
      optFlags |= F_WINDOW_SCALE;
    }
    p += size;
  }
}

// tcp_sack: the highest right edge of the SACK blocks, or ack.
function highestSack(ack: u32): u32 {
  let sack = ack;
  let p = pkt.th + 20;
  let end = pkt.th + <usize>doff;
  if (end > pkt.dataEnd) end = pkt.dataEnd;
  // The timestamp-only option block (NOP, NOP, TS) carries no SACK.
  if (end - p == 12 && load<u32>(p) == 0x0a080101) return sack;
  while (p < end) {
    const kind = load<u8>(p);
    if (kind == TCPOPT_EOL) return sack;
    if (kind == TCPOPT_NOP) {
      p++;
      continue;
    }
    if (end - p < 2) return sack;
    const size = load<u8>(p + 1);
    if (size < 2 || <usize>size > end - p) return sack;
    if (kind == TCPOPT_SACK && size >= 10 && (size - 2) % 8 == 0) {
      for (let i: usize = 2; i < <usize>size; i += 8) {
        const right = be32(p + i + 4);
        if (after(right, sack)) sack = right;
      }
      return sack;
    }
    p += size;
  }
  return sack;
}

// tcp_options into a direction's state, keeping its be-liberal flag.
function optionsInto(e: usize, d: u8): void {
  parseOptions();
  if (doff == 20) return;
  store<u8>(scalePtr(e, d), optScale);
  store<u8>(flagsPtr(e, d), (dirFlags(e, d) & F_BE_LIBERAL) | optFlags);
}

function initSender(e: usize, dir: u8): void {
  setEnd(e, dir, segEnd);
  setMaxend(e, dir, segEnd);
  setMaxwin(e, dir, win == 0 ? 1 : win);
  optionsInto(e, dir);
  // Window scaling is on only when both sides offered it.
  if (dir == 1 && !((dirFlags(e, 1) & F_WINDOW_SCALE) && (dirFlags(e, 0) & F_WINDOW_SCALE))) {
    store<u8>(scalePtr(e, 0), 0);
    store<u8>(scalePtr(e, 1), 0);
  }
}

// tcp_new: sets up a fresh entry for the segment that creates it.
function tcpNew(e: usize): bool {
  const s = transition(0, segmentKind(flags), sNO);
  if (s >= sIV) return false;
  if (s != sSS && tunable(Tunable.TcpLoose) == 0) return false;
  setEnd(e, 0, segEnd);
  setMaxwin(e, 0, win == 0 ? 1 : win);
  if (s == sSS) {
    setMaxend(e, 0, segEnd);
    optionsInto(e, 0);
  } else {
    // Picked up mid-stream: its history is lost, so assume SACK and be liberal.
    setMaxend(e, 0, segEnd + tdMaxwin(e, 0));
    store<u8>(flagsPtr(e, 0), F_SACK_PERM | F_BE_LIBERAL);
    store<u8>(flagsPtr(e, 1), F_SACK_PERM | F_BE_LIBERAL);
  }
  store<u8>(e + CtEntry.TcpLastIndex, <u8>NONE);
  return true;
}

// tcp_new's verdict without side effects, for deciding whether to create.
export function tcpCanStart(): bool {
  const s = transition(0, segmentKind(pkt.tcpFlags), sNO);
  if (s >= sIV) return false;
  return s == sSS || tunable(Tunable.TcpLoose) != 0;
}

enum Window {
  Accept = 0,
  Ignore = 1,
  Invalid = 2,
}

@inline function maxAckWindow(e: usize, d: u8): u32 {
  const w = tdMaxwin(e, d);
  return w > MAXACKWINCONST ? w : MAXACKWINCONST;
}

function logInvalid(e: usize, dir: u8, res: Window): Window {
  if ((dirFlags(e, dir) & F_BE_LIBERAL) || tunable(Tunable.TcpBeLiberal) != 0) return Window.Accept;
  return res;
}

function inWindow(e: usize, dir: u8, index: u32, state: u8): Window {
  const rdir: u8 = dir ^ 1;
  let sq = seq;
  let end = segEnd;
  let ack = ackSeq;
  let sack = ack;
  if (dirFlags(e, rdir) & F_SACK_PERM) sack = highestSack(ack);

  if (tdMaxwin(e, dir) == 0) {
    if (flags & pkt.TCP_SYN) {
      initSender(e, dir);
      if (!(flags & pkt.TCP_ACK)) return Window.Accept;
    } else {
      setEnd(e, dir, end);
      const swin = win << load<u8>(scalePtr(e, dir));
      setMaxwin(e, dir, swin == 0 ? 1 : swin);
      setMaxend(e, dir, end + tdMaxwin(e, dir));
      if (tdMaxwin(e, rdir) == 0) {
        setEnd(e, rdir, sack);
        setMaxend(e, rdir, sack);
      } else if (sack == tdEnd(e, rdir) + 1) {
        // Likely the answer to a keepalive.
        setEnd(e, rdir, tdEnd(e, rdir) + 1);
      }
    }
  } else if ((flags & pkt.TCP_SYN) && after(end, tdEnd(e, dir)) && (state == sSS || state == sSR)) {
    // A reinitialised sender: take its SYN(-ACK) afresh.
    initSender(e, dir);
    if (dir == 1 && !(flags & pkt.TCP_ACK)) return Window.Accept;
  }

  if (!(flags & pkt.TCP_ACK)) {
    ack = sack = tdEnd(e, rdir);
  } else if ((flags & (pkt.TCP_ACK | pkt.TCP_RST)) == (pkt.TCP_ACK | pkt.TCP_RST) && ack == 0) {
    // Stacks that set ACK on a RST with a zero ack number.
    ack = sack = tdEnd(e, rdir);
  }

  if ((flags & pkt.TCP_RST) && sq == 0 && state == sSS) {
    sq = end = tdEnd(e, dir);
  }

  const rEnd = tdEnd(e, rdir);
  const rMaxwin = tdMaxwin(e, rdir);
  if (!before(sq, tdMaxend(e, dir) + 1)) {
    const overshot = end - tdMaxend(e, dir) + 1;
    const ackOk = after(sack, rEnd - maxAckWindow(e, dir) - 1);
    const inRecv = rMaxwin != 0 && after(end, tdEnd(e, dir) - rMaxwin - 1);
    if (inRecv && ackOk && overshot <= rMaxwin && before(sack, rEnd + 1)) {
      setEnd(e, dir, end);
      orFlags(e, dir, F_DATA_UNACKNOWLEDGED);
      return logInvalid(e, dir, Window.Ignore);
    }
    return logInvalid(e, dir, Window.Invalid);
  }
  if (!before(sack, rEnd + 1)) return logInvalid(e, dir, Window.Invalid);
  if (!(rMaxwin == 0 || after(end, tdEnd(e, dir) - rMaxwin - 1))) return logInvalid(e, dir, Window.Ignore);
  if (!after(sack, rEnd - maxAckWindow(e, dir) - 1)) return logInvalid(e, dir, Window.Ignore);

  let w = win;
  if (!(flags & pkt.TCP_SYN)) w <<= load<u8>(scalePtr(e, dir));

  const swin = w + (sack - ack);
  if (tdMaxwin(e, dir) < swin) setMaxwin(e, dir, swin);
  if (after(end, tdEnd(e, dir))) {
    setEnd(e, dir, end);
    orFlags(e, dir, F_DATA_UNACKNOWLEDGED);
  }
  if (flags & pkt.TCP_ACK) {
    const mp = maxackPtr(e, dir);
    if (!(dirFlags(e, dir) & F_MAXACK_SET)) {
      store<u32>(mp, ack);
      orFlags(e, dir, F_MAXACK_SET);
    } else if (after(ack, load<u32>(mp))) {
      store<u32>(mp, ack);
    }
  }

  if (tdMaxwin(e, rdir) != 0 && after(end, tdMaxend(e, dir))) {
    setMaxwin(e, rdir, tdMaxwin(e, rdir) + (end - tdMaxend(e, dir)));
  }
  if (after(sack + w, tdMaxend(e, rdir) - 1)) {
    setMaxend(e, rdir, sack + w + (w == 0 ? 1 : 0));
  }
  if (ack == tdEnd(e, rdir)) store<u8>(flagsPtr(e, rdir), dirFlags(e, rdir) & ~F_DATA_UNACKNOWLEDGED);

  if (index == ACK) {
    if (load<u8>(e + CtEntry.TcpLastDir) == dir && load<u32>(e + CtEntry.TcpLastSeq) == sq &&
        load<u32>(e + CtEntry.TcpLastAck) == ack && load<u32>(e + CtEntry.TcpLastEnd) == end &&
        <u32>load<u16>(e + CtEntry.TcpLastWin) == win) {
      store<u8>(e + CtEntry.TcpRetrans, load<u8>(e + CtEntry.TcpRetrans) + 1);
    } else {
      store<u8>(e + CtEntry.TcpLastDir, dir);
      store<u32>(e + CtEntry.TcpLastSeq, sq);
      store<u32>(e + CtEntry.TcpLastAck, ack);
      store<u32>(e + CtEntry.TcpLastEnd, end);
      store<u16>(e + CtEntry.TcpLastWin, <u16>win);
      store<u8>(e + CtEntry.TcpRetrans, 0);
    }
  }
  return Window.Accept;
}

// A TCP state's timeout, the states numbered as the kernel's from
// SYN_SENT = 1, which are one ahead of a ct timeout policy's.
function stateTimeout(e: usize, s: u8): u32 {
  return policyTimeout(e, <u32>s - 1, s == sS2 ? TIMEOUT_SYN_SENT2 : tunable(<Tunable>(Tunable.TcpTimeoutSynSent + <i32>s - 1)));
}

// The policy's places of the timeouts that are no state's.
const POLICY_RETRANS: u32 = 9;
const POLICY_UNACK: u32 = 10;

// nf_tcp_handle_invalid: an out-of-window FIN or RST on an assured entry
// shortens its timeout when the other side closed last.
function handleInvalid(e: usize, dir: u8, index: u32): void {
  if (!hasStatus(e, CtStatus.Assured) || hasStatus(e, CtStatus.FixedTimeout)) return;
  if (index != RST && index != FIN) return;
  const lastIndex = <u32>load<u8>(e + CtEntry.TcpLastIndex);
  if (load<u8>(e + CtEntry.TcpLastDir) != dir && (lastIndex == FIN || lastIndex == RST)) {
    const left = expiresIn(e);
    if (left < 120) return;
    const unack = policyTimeout(e, POLICY_UNACK, tunable(Tunable.TcpTimeoutUnacknowledged));
    if (left > <u64>unack) refresh(e, dir, unack, false);
  } else {
    store<u8>(e + CtEntry.TcpLastIndex, <u8>index);
    store<u8>(e + CtEntry.TcpLastDir, dir);
  }
}

@inline function isClosing(s: u8): bool {
  return s == sFW || s == sLA || s == sTW || s == sCL || s == sCW;
}

// The ignored-segment bookkeeping (cases a, b, c of the kernel). Returns true
// when a SYN/ACK acknowledges a SYN ignored earlier, so the entry resyncs.
function ignoredSegment(e: usize, dir: u8, index: u32, old: u8): bool {
  const lastDir = load<u8>(e + CtEntry.TcpLastDir);
  if (index == SYNACK && <u32>load<u8>(e + CtEntry.TcpLastIndex) == SYN && lastDir != dir &&
      ackSeq == load<u32>(e + CtEntry.TcpLastEnd)) {
    const lastEnd = load<u32>(e + CtEntry.TcpLastEnd);
    const lastWin = <u32>load<u16>(e + CtEntry.TcpLastWin);
    setEnd(e, lastDir, lastEnd);
    setMaxend(e, lastDir, lastEnd);
    setMaxwin(e, lastDir, lastWin == 0 ? 1 : lastWin);
    store<u8>(scalePtr(e, lastDir), load<u8>(e + CtEntry.TcpLastWscale));
    const lf = load<u8>(e + CtEntry.TcpLastFlags) & ~L_CHALLENGE_ACK;
    store<u8>(e + CtEntry.TcpLastFlags, lf);
    store<u8>(flagsPtr(e, lastDir), lf);
    setEnd(e, dir, 0);
    setMaxend(e, dir, 0);
    setMaxwin(e, dir, 0);
    store<u32>(maxackPtr(e, dir), 0);
    store<u8>(scalePtr(e, dir), 0);
    store<u8>(flagsPtr(e, dir), dirFlags(e, dir) & F_BE_LIBERAL);
    return true;
  }
  store<u8>(e + CtEntry.TcpLastIndex, <u8>index);
  store<u8>(e + CtEntry.TcpLastDir, dir);
  store<u32>(e + CtEntry.TcpLastSeq, seq);
  store<u32>(e + CtEntry.TcpLastEnd, segEnd);
  store<u16>(e + CtEntry.TcpLastWin, <u16>win);
  if (index == SYN && dir == 0) {
    parseOptions();
    let lf: u8 = 0;
    let ws: u8 = 0;
    if (optFlags & F_WINDOW_SCALE) {
      lf |= F_WINDOW_SCALE;
      ws = optScale;
    }
    if (optFlags & F_SACK_PERM) lf |= F_SACK_PERM;
    // A SYN in LAST_ACK may draw an RFC 5961 challenge ACK.
    if (old == sLA) lf |= L_CHALLENGE_ACK;
    store<u8>(e + CtEntry.TcpLastFlags, lf);
    store<u8>(e + CtEntry.TcpLastWscale, ws);
  }
  if (old == sSS && index == ACK && dir == 1) store<u32>(e + CtEntry.TcpLastAck, ackSeq);
  return false;
}

// Whether the entry has seen the three-way handshake through.
@inline function established(e: usize): bool {
  return load<u8>(e + CtEntry.TcpState) == sES && hasStatus(e, CtStatus.Assured);
}

// nf_conntrack_tcp_packet for a segment in direction dir; isNew when the
// entry was created for this segment.
export function tcpPacket(e: usize, dir: u8, isNew: bool): TcpVerdict {
  readSegment();
  if (isNew && !tcpNew(e)) return TcpVerdict.Invalid;
  let old = load<u8>(e + CtEntry.TcpState);
  const index = segmentKind(flags);
  let next = transition(dir, index, old);
  let checkWindow = true;

  if (next == sSS && old >= sTW) {
    if (((dirFlags(e, dir) | dirFlags(e, dir ^ 1)) & F_CLOSE_INIT) ||
        (load<u8>(e + CtEntry.TcpLastDir) == dir && <u32>load<u8>(e + CtEntry.TcpLastIndex) == RST)) {
      killEntry(e);
      return TcpVerdict.Reopen;
    }
    next = sIG;
  }
  if (next == sIG) {
    if (!ignoredSegment(e, dir, index, old)) return TcpVerdict.Ignore;
    old = sSS;
    next = sSR;
  } else if (next == sIV) {
    return TcpVerdict.Invalid;
  } else if (next == sTW) {
    if (old == sLA && index == ACK && load<u8>(e + CtEntry.TcpLastDir) != dir &&
        <u32>load<u8>(e + CtEntry.TcpLastIndex) == SYN && (load<u8>(e + CtEntry.TcpLastFlags) & L_CHALLENGE_ACK)) {
      store<u8>(e + CtEntry.TcpLastFlags, load<u8>(e + CtEntry.TcpLastFlags) & ~L_CHALLENGE_ACK);
      return TcpVerdict.Ignore;
    }
  } else if (next == sS2) {
    store<u8>(e + CtEntry.TcpLastFlags, load<u8>(e + CtEntry.TcpLastFlags) | L_SIMULTANEOUS_OPEN);
  } else if (next == sSR) {
    if (dir == 1 && index == ACK && (load<u8>(e + CtEntry.TcpLastFlags) & L_SIMULTANEOUS_OPEN)) next = sES;
  } else if (next == sCL && index == RST) {
    const lastIndex = <u32>load<u8>(e + CtEntry.TcpLastIndex);
    const lastDir = load<u8>(e + CtEntry.TcpLastDir);
    if (isClosing(old)) {
      checkWindow = false;
    } else {
      let decided = false;
      if ((dirFlags(e, dir ^ 1) & F_MAXACK_SET) && lastIndex != SYN) {
        const maxack = load<u32>(maxackPtr(e, dir ^ 1));
        if (seq == 0 && !established(e)) {
          decided = true;
        } else if (before(seq, maxack)) {
          return TcpVerdict.Invalid;
        } else if (!established(e) || seq == maxack) {
          decided = true;
        } else if (lastIndex == ACK && lastDir == dir && seq == load<u32>(e + CtEntry.TcpLastEnd)) {
          decided = true;
        } else {
          // Not exactly in sequence: stay, a challenge ACK may follow.
          next = old;
        }
      }
      if (!decided) {
        if (((hasStatus(e, CtStatus.SeenReply) && lastIndex == SYN) ||
             (!hasStatus(e, CtStatus.Assured) && lastIndex == ACK)) &&
            ackSeq == load<u32>(e + CtEntry.TcpLastEnd)) {
          checkWindow = false;
        } else if (old == sSS && lastIndex == ACK && lastDir == 1 && seq == load<u32>(e + CtEntry.TcpLastAck)) {
          checkWindow = false;
        }
      }
    }
  }

  if (checkWindow) {
    const res = inWindow(e, dir, index, old);
    if (res == Window.Ignore) return TcpVerdict.Ignore;
    if (res == Window.Invalid) {
      handleInvalid(e, dir, index);
      return TcpVerdict.Invalid;
    }
  }

  store<u8>(e + CtEntry.TcpLastIndex, <u8>index);
  store<u8>(e + CtEntry.TcpLastDir, dir);
  store<u8>(e + CtEntry.TcpState, next);
  if (old != next && next == sFW) orFlags(e, dir, F_CLOSE_INIT);

  let timeout = stateTimeout(e, next);
  const retransTimeout = policyTimeout(e, POLICY_RETRANS, tunable(Tunable.TcpTimeoutMaxRetrans));
  const unackTimeout = policyTimeout(e, POLICY_UNACK, tunable(Tunable.TcpTimeoutUnacknowledged));
  if (<u32>load<u8>(e + CtEntry.TcpRetrans) >= tunable(Tunable.TcpMaxRetrans) && timeout > retransTimeout) {
    timeout = retransTimeout;
  } else if (index == RST) {
    timeout = stateTimeout(e, sCL);
  } else if (((dirFlags(e, 0) | dirFlags(e, 1)) & F_DATA_UNACKNOWLEDGED) && timeout > unackTimeout) {
    timeout = unackTimeout;
  } else if (load<u16>(e + CtEntry.TcpLastWin) == 0 && timeout > retransTimeout) {
    timeout = retransTimeout;
  }

  if (!hasStatus(e, CtStatus.SeenReply)) {
    if (flags & pkt.TCP_RST) {
      // The only answer was a reset: the connection never existed.
      account(e, dir);
      killEntry(e);
      return TcpVerdict.Ok;
    }
    // A retransmitted SYN does not renew the timeout.
    if (index == SYN && old == sSS) return TcpVerdict.Ok;
    if (next == sES && timeout > unackTimeout) timeout = unackTimeout;
  } else if (!hasStatus(e, CtStatus.Assured) && (old == sSR || old == sES) && next == sES) {
    setStatus(e, CtStatus.Assured);
  }
  refresh(e, dir, timeout, true);
  return TcpVerdict.Ok;
}
