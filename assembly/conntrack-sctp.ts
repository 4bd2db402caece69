// SCTP connection tracking as nf_conntrack_proto_sctp.c does it: the
// association state driven by a transition table (as data) over chunk types
// and direction, the verification tags of both directions, and the timeouts.
import { CtEntry, CtStatus, SctpState, Tunable } from './abi';
import { tunable } from './config';
import * as pkt from './packet';
import { hasStatus, setStatus, refresh } from './conntrack';

// Chunk types (SCTP_CID_*).
const DATA: u32 = 0;
const INIT: u32 = 1;
const INIT_ACK: u32 = 2;
const HEARTBEAT: u32 = 4;
const HEARTBEAT_ACK: u32 = 5;
const ABORT: u32 = 6;
const SHUTDOWN: u32 = 7;
const SHUTDOWN_ACK: u32 = 8;
const COOKIE_ECHO: u32 = 10;
const COOKIE_ACK: u32 = 11;
const SHUTDOWN_COMPLETE: u32 = 14;
// The T bit of ABORT and SHUTDOWN_COMPLETE: the tag is the sender's own.
const FLAG_T: u8 = 0x01;

const sNO: u8 = <u8>SctpState.None;
const sCL: u8 = <u8>SctpState.Closed;
const sCW: u8 = <u8>SctpState.CookieWait;
const sCE: u8 = <u8>SctpState.CookieEchoed;
const sES: u8 = <u8>SctpState.Established;
const sSS: u8 = <u8>SctpState.ShutdownSent;
const sSR: u8 = <u8>SctpState.ShutdownRecd;
const sSA: u8 = <u8>SctpState.ShutdownAckSent;
const sHS: u8 = <u8>SctpState.HeartbeatSent;
const sIV: u8 = <u8>SctpState.Max;

// Rows of the table per chunk type; 0xff for chunks that leave the state
// alone (DATA, SACK and the rest).
const ROW: StaticArray<u8> = [
  0xff, 0, 1, 0xff, 9, 10, 2, 3, 4, 5, 6, 7, 0xff, 0xff, 8,
];
const ROWS: i32 = 11;
const STATES: i32 = 9;

// [direction][row][old state] -> new state; columns in SctpState order
// sNO sCL sCW sCE sES sSS sSR sSA sHS.
const TRANSITIONS: StaticArray<u8> = [
  // original
  sCL, sCL, sCW, sCE, sES, sCL, sCL, sSA, sCW, // init
  sCL, sCL, sCW, sCE, sES, sSS, sSR, sSA, sCL, // init_ack
  sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, // abort
  sCL, sCL, sCW, sCE, sSS, sSS, sSR, sSA, sCL, // shutdown
  sSA, sCL, sCW, sCE, sES, sSA, sSA, sSA, sSA, // shutdown_ack
  sCL, sCL, sCW, sCE, sES, sSS, sSR, sSA, sCL, // error
  sCL, sCL, sCE, sCE, sES, sSS, sSR, sSA, sCL, // cookie_echo
  sCL, sCL, sCW, sES, sES, sSS, sSR, sSA, sCL, // cookie_ack
  sCL, sCL, sCW, sCE, sES, sSS, sSR, sCL, sCL, // shutdown_complete
  sHS, sCL, sCW, sCE, sES, sSS, sSR, sSA, sHS, // heartbeat
  sCL, sCL, sCW, sCE, sES, sSS, sSR, sSA, sHS, // heartbeat_ack
  // reply
  sIV, sCL, sCW, sCE, sES, sSS, sSR, sSA, sIV, // init
  sIV, sCW, sCW, sCE, sES, sSS, sSR, sSA, sIV, // init_ack
  sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sIV, // abort
  sIV, sCL, sCW, sCE, sSR, sSS, sSR, sSA, sIV, // shutdown
  sIV, sCL, sCW, sCE, sES, sSA, sSA, sSA, sIV, // shutdown_ack
  sIV, sCL, sCW, sCL, sES, sSS, sSR, sSA, sIV, // error
  sIV, sCL, sCE, sCE, sES, sSS, sSR, sSA, sIV, // cookie_echo
  sIV, sCL, sCW, sES, sES, sSS, sSR, sSA, sIV, // cookie_ack
  sIV, sCL, sCW, sCE, sES, sSS, sSR, sCL, sIV, // shutdown_complete
  sIV, sCL, sCW, sCE, sES, sSS, sSR, sSA, sHS, // heartbeat
  sIV, sCL, sCW, sCE, sES, sSS, sSR, sSA, sES, // heartbeat_ack
];

// Where an SCTP entry keeps ip_ct_sctp (the TCP window words are free):
// the verification tag each direction must carry, as on the wire (u32
// each), whether each direction has sent an INIT, the heartbeat flag and the
// direction of the heartbeat that set it (u8 each).
const VTAG: usize = CtEntry.TcpOrig;
const INIT_SEEN: usize = CtEntry.TcpOrig + 8;
const HB_FLAGS: usize = CtEntry.TcpOrig + 10;
const HB_LAST_DIR: usize = CtEntry.TcpOrig + 11;
const HEARTBEAT_VTAG_FAILED: u8 = 1;

@inline function vtag(e: usize, d: u8): u32 { return load<u32>(e + VTAG + (<usize>d << 2)); }
@inline function setVtag(e: usize, d: u8, v: u32): void { store<u32>(e + VTAG + (<usize>d << 2), v); }
@inline function initSeen(e: usize, d: u8): bool { return load<u8>(e + INIT_SEEN + <usize>d) != 0; }
@inline function setInitSeen(e: usize, d: u8, v: bool): void { store<u8>(e + INIT_SEEN + <usize>d, v ? 1 : 0); }

// sctp_new_state: the old state for chunks outside the table.
function newState(dir: u8, old: u8, type: u32): u8 {
  if (type >= <u32>ROW.length) return old;
  const row = <i32>unchecked(ROW[type]);
  if (row == 0xff) return old;
  return unchecked(TRANSITIONS[(<i32>dir * ROWS + row) * STATES + <i32>old]);
}

// The end of the chunks: the kernel walks up to the end of the IP payload,
// here no further than what was captured.
@inline function chunksEnd(): usize {
  const end = pkt.th + <usize>pkt.l4Len;
  return end < pkt.dataEnd ? end : pkt.dataEnd;
}

@inline function nextChunk(p: usize): usize {
  return p + ((<usize>bswap<u16>(load<u16>(p + 2)) + 3) & ~<usize>3);
}

// The initiate tag of an INIT or INIT_ACK at p, or -1 when its fixed part
// is not all there.
function initTag(p: usize): i64 {
  if (p + 20 > pkt.th + <usize>pkt.l4Len || !pkt.captured(p, 20)) return -1;
  return <i64>load<u32>(p + 4);
}

// do_basic_checks: the set of chunk types present (types below 32, all the
// checks need), or -1 when the packet has no chunks, a zero-length chunk,
// a COOKIE_ECHO or COOKIE_ACK not first, or INIT, INIT_ACK or
// SHUTDOWN_COMPLETE not alone.
function chunkMap(): i64 {
  const end = chunksEnd();
  let map: u32 = 0;
  let count = 0;
  let alone = false;
  for (let p = pkt.th + 12; p + 4 <= end; p = nextChunk(p), count++) {
    const type = <u32>load<u8>(p);
    if (type == INIT || type == INIT_ACK || type == SHUTDOWN_COMPLETE) alone = true;
    if (((type == COOKIE_ACK || type == COOKIE_ECHO || alone) && count != 0) || load<u16>(p + 2) == 0) return -1;
    if (type < 32) map |= <u32>1 << type;
  }
  return count == 0 ? -1 : <i64>map;
}

@inline function has(map: u32, type: u32): bool {
  return (map & (<u32>1 << type)) != 0;
}

// sctp_new: every chunk of the first packet must be able to start an
// association; the tags the answer must carry come from it.
function sctpNew(e: usize, sh: u32): bool {
  const end = chunksEnd();
  for (let p = pkt.th + 12; p + 4 <= end; p = nextChunk(p)) {
    const type = <u32>load<u8>(p);
    const s = newState(0, sNO, type);
    if (s == sNO || s == sIV) return false;
    if (type == INIT) {
      if (sh != 0) return false;
      const tag = initTag(p);
      if (tag < 0) return false;
      setVtag(e, 1, <u32>tag);
    } else if (type == HEARTBEAT) {
      setVtag(e, 0, sh);
    } else {
      // Out of the blue: the answer (SHUTDOWN_COMPLETE or ABORT) reflects it.
      setVtag(e, 1, sh);
    }
  }
  return true;
}

@inline function stateTimeout(s: u8): u32 {
  // NONE takes the CLOSED timeout, as the kernel's timeouts[0] does.
  return tunable(<Tunable>(Tunable.SctpTimeoutClosed + (s == sNO ? 0 : <i32>s - 1)));
}

// nf_conntrack_sctp_packet after sctp_error, for a packet in direction dir;
// isNew when the entry was created for it. Returns false when the packet is
// invalid.
export function sctpPacket(e: usize, dir: u8, isNew: bool): bool {
  const m = chunkMap();
  if (m < 0) return false;
  const map = <u32>m;
  const sh = load<u32>(pkt.th + 4);
  if (isNew) {
    if (has(map, ABORT) || has(map, SHUTDOWN_COMPLETE) || has(map, COOKIE_ACK)) return false;
    if (!sctpNew(e, sh)) return false;
  }
  const exempt = (<u32>1 << INIT) | (<u32>1 << SHUTDOWN_COMPLETE) | (<u32>1 << COOKIE_ECHO) | (<u32>1 << ABORT) |
    (<u32>1 << SHUTDOWN_ACK) | (<u32>1 << HEARTBEAT) | (<u32>1 << HEARTBEAT_ACK);
  if ((map & exempt) == 0 && sh != vtag(e, dir)) return false;

  const rdir: u8 = dir ^ 1;
  let next = sNO;
  let ignore = false;
  const end = chunksEnd();
  for (let p = pkt.th + 12; p + 4 <= end; p = nextChunk(p)) {
    const type = <u32>load<u8>(p);
    // The tag checks of RFC 4960 8.5.1.
    if (type == INIT) {
      if (sh != 0) return false;
    } else if (type == ABORT || type == SHUTDOWN_COMPLETE) {
      if (sh != vtag(e, load<u8>(p + 1) & FLAG_T ? rdir : dir)) return false;
    } else if (type == COOKIE_ECHO) {
      if (sh != vtag(e, dir)) return false;
    } else if (type == COOKIE_ACK) {
      setInitSeen(e, 0, false);
      setInitSeen(e, 1, false);
    } else if (type == HEARTBEAT || type == HEARTBEAT_ACK) {
      const flags = load<u8>(e + HB_FLAGS);
      if (vtag(e, dir) == 0) {
        setVtag(e, dir, sh);
      } else if (sh != vtag(e, dir)) {
        if (has(map, DATA) || ignore) return false;
        if (type == HEARTBEAT) {
          // Perhaps the peer restarted: let it through once, and take its
          // new tag if the acknowledgement comes back from the other side.
          store<u8>(e + HB_FLAGS, flags | HEARTBEAT_VTAG_FAILED);
          store<u8>(e + HB_LAST_DIR, dir);
          ignore = true;
          continue;
        }
        if ((flags & HEARTBEAT_VTAG_FAILED) == 0 || load<u8>(e + HB_LAST_DIR) == dir) return false;
        store<u8>(e + HB_FLAGS, flags & ~HEARTBEAT_VTAG_FAILED);
        setVtag(e, dir, sh);
        setVtag(e, rdir, 0);
      } else if (flags & HEARTBEAT_VTAG_FAILED) {
        store<u8>(e + HB_FLAGS, flags & ~HEARTBEAT_VTAG_FAILED);
      }
    }

    const old = load<u8>(e + CtEntry.TcpState);
    next = newState(dir, old, type);
    if (next == sIV) return false;

    if (type == INIT) {
      const tag = initTag(p);
      if (tag < 0) return false;
      if (initSeen(e, dir) && initSeen(e, rdir)) setInitSeen(e, rdir, false);
      setInitSeen(e, dir, true);
      setVtag(e, rdir, <u32>tag);
      // A retransmitted INIT does not renew the timeout, so that reusing the
      // ports cannot keep the entry alive for ever.
      if (next == sCL && old == sCL && !isNew) ignore = true;
    } else if (type == INIT_ACK) {
      const tag = initTag(p);
      if (tag < 0) return false;
      const v = vtag(e, rdir);
      if (!initSeen(e, rdir) && v != 0 && v != <u32>tag) return false;
      // An INIT collision: the INIT_ACK must answer the INIT that won.
      if (initSeen(e, dir) && initSeen(e, rdir) && v != <u32>tag) return false;
      setVtag(e, rdir, <u32>tag);
    }

    store<u8>(e + CtEntry.TcpState, next);
    if (old != next && next == sES && !hasStatus(e, CtStatus.Assured)) setStatus(e, CtStatus.Assured);
  }
  if (!ignore) refresh(e, dir, stateTimeout(next), true);
  return true;
}
