// The bytecode interpreter: one loop over a rule's instructions, a jump
// stack for chains, in the manner of the kernel's nft_do_chain.
import { evalNat } from './nat';
import { CSUM_INET, CSUM_PSEUDOHDR, DynsetWord, EXTHDR_F_PRESENT, ExthdrMode, ExthdrOp, Op, Verdict, CmpOp, BitwiseOp, ByteorderOp, PayloadBase, MetaKey, CtKey, CtDir, CtAcct, CtEntry, CtExt, CtStateBit, CtStatus, ChainEntry, RuleHeader, LookupFlags, QueueFlags, SetFlags, ObjectEntry, ObjectType, HelperKind, DeviceEntry, IFNAMSIZ, NumgenType } from './abi';
import { setTemplateZone, hasTemplate } from './conntrack-hook';
import { connCount } from './connlimit';
import { countElement, dynsetExprs, evalDynset } from './dynset';
import { chunkLen, findIpv4Option, findIpv6Header, findSctpChunk, findTcpOption, optionLen, TCPOPT_MSS, TCPOPT_NOP } from './exthdr';
import { evalLimit } from './limit';
import { evalQuota } from './quota';
import * as sets from './sets';
import * as pkt from './packet';
import * as ctt from './conntrack';
import * as rs from './ruleset';
import * as trace from './trace';
import * as log from './log';
import * as coverage from './coverage';
import * as dev from './devices';
import * as routing from './routing';
import * as dup from './dup';

const MAX_JUMP_DEPTH: i32 = 16;
const REGISTER_WORDS: usize = 20;

export let regs: usize = 0;
let jumpStack: usize = 0;
// Which rule decided the last chain run: its handle (0 = the policy) and chain.
export let decidedHandle: u32 = 0;
export let decidedChain: u32 = 0;
// The packet's mark (meta mark).
export let packetMark: u32 = 0;
// skb->priority, which only meta priority set changes.
export let packetPriority: u32 = 0;
// Whether the packet is one the host sends.
export let sentByHost = false;
// On a netdev chain, NFPROTO_NETDEV, which meta nfproto loads there in
// place of the packet's family; 0 elsewhere.
export let hookNfproto: u8 = 0;
// On the egress hook the frame has its link-layer header, also what the host
// sends (__dev_queue_xmit resets the MAC header before nf_hook_egress).
export let linkHeaderOut = false;
// meta random: a xorshift32 sequence from a seed the host sets, so that a
// run repeats (the kernel's prandom state is per processor and unseeded).
let randomState: u32 = 0x9e3779b9;

export function setRandomSeed(seed: u32): void {
  randomState = seed != 0 ? seed : 0x9e3779b9;
  routing.setHashSeed(seed);
}

export function nextRandom(): u32 {
  let x = randomState;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  randomState = x;
  return x;
}

// Word-sized shortcuts for loads and comparisons of up to four bytes, which
// the general paths do with memory.copy and memory.compare calls. Off only
// to prove the shortcuts give the same answers (test/perf/).
export let fastPaths = true;
// Whether the last queue verdict may be bypassed.
let queueBypass = false;

export function setFastPaths(on: bool): void {
  fastPaths = on;
}

export function vmInit(): void {
  regs = heap.alloc(REGISTER_WORDS * 4);
  jumpStack = heap.alloc(<usize>MAX_JUMP_DEPTH * 12);
}

@inline function reg(word: u32): usize {
  return regs + (<usize>word << 2);
}

@inline function words(len: u32): u32 {
  return (len + 3) >> 2;
}

@inline function setVerdict(v: i32): void {
  store<i32>(regs, v);
}

// Copies len bytes into a register, zeroing the rest of its last word as the
// kernel does, so comparisons of whole words see zeros.
@inline function loadInto(dreg: u32, src: usize, len: u32): void {
  const d = reg(dreg);
  if (fastPaths && len <= 4) {
    if (len == 4) store<u32>(d, load<u32>(src));
    else if (len == 2) store<u32>(d, load<u16>(src));
    else if (len == 1) store<u32>(d, load<u8>(src));
    else if (len == 3) store<u32>(d, load<u16>(src) | (<u32>load<u8>(src + 2) << 16));
    else store<u32>(d, 0);
    return;
  }
  if (len & 3) store<u32>(d + (<usize>(len & ~3)), 0);
  memory.copy(d, src, len);
}

@inline function store32(dreg: u32, v: u32): void {
  store<u32>(reg(dreg), v);
}

@inline function store64(dreg: u32, v: u64): void {
  store<u64>(reg(dreg), v);
}

// Where a payload instruction's len bytes start in the packet (its word 1:
// base | offset << 8), or 0 when the header is absent or the bytes were not
// captured.
@inline function payloadAt(w: u32, len: u32): usize {
  const base = w & 0xff;
  let p: usize = 0;
  if (base == PayloadBase.Network) p = pkt.net;
  else if (base == PayloadBase.Transport) p = pkt.th;
  else if (base == PayloadBase.Inner) p = pkt.innerHeader();
  // A packet the host sends has no link-layer header before the output
  // hooks (skb_mac_header_was_set is false there).
  else if (base == PayloadBase.LinkLayer && (!sentByHost || linkHeaderOut)) p = pkt.linkStart;
  const at = p + (<usize>(w >> 8));
  return p == 0 || !pkt.captured(at, len) ? 0 : at;
}

function evalPayload(ins: usize, dreg: u32, len: u32): bool {
  const at = payloadAt(load<u32>(ins + 4), len);
  if (at == 0) return false;
  loadInto(dreg, at, len);
  return true;
}

// One's-complement sum of the change from the old bytes to the new ones,
// as 16-bit big-endian words (RFC 1624).
function csumDelta(old: usize, now: usize, len: u32): u32 {
  let sum: u32 = 0;
  for (let i: u32 = 0; i < len; i += 2) {
    const hi = i + 1 < len;
    const o = (<u32>load<u8>(old + i) << 8) | (hi ? <u32>load<u8>(old + i + 1) : 0);
    const n = (<u32>load<u8>(now + i) << 8) | (hi ? <u32>load<u8>(now + i + 1) : 0);
    sum += (~o & 0xffff) + n;
  }
  return sum;
}

function csumApply(at: usize, delta: u32, zeroMeansNone: bool): void {
  let sum = (~<u32>bswap<u16>(load<u16>(at)) & 0xffff) + delta;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  let c = ~sum & 0xffff;
  if (zeroMeansNone && c == 0) c = 0xffff;
  store<u16>(at, bswap<u16>(<u16>c));
}

// nft_payload_set_eval: the header's checksum and, for bytes the transport
// checksum's pseudo-header covers, the transport checksum follow the write.
function evalPayloadWrite(ins: usize, sreg: u32, len: u32): bool {
  const w = load<u32>(ins + 4);
  const at = payloadAt(w, len);
  if (at == 0) return false;
  // The header's start: the checksum offset counts from it.
  const p = at - (<usize>(w >> 8));
  const c = load<u32>(ins + 8);
  const delta = csumDelta(at, reg(sreg), len);
  if ((c & 0xff) == CSUM_INET && pkt.captured(p + ((c >> 8) & 0xff), 2)) csumApply(p + ((c >> 8) & 0xff), delta, false);
  if (((c >> 16) & CSUM_PSEUDOHDR) != 0 && pkt.th != 0) {
    const l4off: usize = pkt.l4proto == 6 ? 16 : pkt.l4proto == 17 || pkt.l4proto == 136 ? 6 : pkt.l4proto == 58 ? 2 : 0;
    const udp = pkt.l4proto == 17;
    if (l4off && pkt.captured(pkt.th + l4off, 2) && !(udp && load<u16>(pkt.th + l4off) == 0)) csumApply(pkt.th + l4off, delta, udp);
  }
  memory.copy(at, reg(sreg), len);
  return true;
}

// An option's bytes before a reset blanks them (40 at most, and the byte
// before and after).
const OPTION_BEFORE = memory.data(64);

// nft_exthdr_tcp_eval, _set_eval and _strip_eval. A load of an option
// that is absent, or shorter than the bytes wanted, breaks the rule, or
// gives 0 when only its presence is asked; a write or a reset of one that
// is absent does nothing. The TCP checksum follows every change; a write
// never raises the MSS, which could stall the connection.
function evalExthdr(ins: usize, r: u32, len: u32): bool {
  const w1 = load<u32>(ins + 4);
  const w2 = load<u32>(ins + 8);
  const mode = w1 & 0xff;
  const present = ((w1 >> 16) & EXTHDR_F_PRESENT) != 0;
  const type = w2 & 0xff;
  const offset = w2 >> 8;
  const what = (w1 >> 8) & 0xff;
  if (what == ExthdrOp.Ipv6 || what == ExthdrOp.Ipv4) {
    const h = what == ExthdrOp.Ipv6 ? findIpv6Header(type) : findIpv4Option(type);
    if (present) {
      store32(r, h != 0 ? 1 : 0);
      return true;
    }
    if (h == 0 || !pkt.captured(h + offset, len)) return false;
    if (len % 4) store32(r + (len >> 2), 0);
    memory.copy(reg(r), h + offset, len);
    return true;
  }
  if (((w1 >> 8) & 0xff) == ExthdrOp.Sctp) {
    const c = findSctpChunk(type);
    if (present) {
      store32(r, c != 0 ? 1 : 0);
      return true;
    }
    if (c == 0 || offset + len > chunkLen || !pkt.captured(c, chunkLen)) return false;
    if (len % 4) store32(r + (len >> 2), 0);
    memory.copy(reg(r), c + offset, len);
    return true;
  }
  if (((w1 >> 8) & 0xff) != ExthdrOp.TcpOpt) return false;
  const opt = findTcpOption(type);
  const fits = opt != 0 && offset + len <= optionLen;
  if (mode == ExthdrMode.Load) {
    if (present) {
      store32(r, opt != 0 && fits ? 1 : 0);
      return true;
    }
    if (!fits) return false;
    if (len % 4) store32(r + (len >> 2), 0);
    memory.copy(reg(r), opt + offset, len);
    return true;
  }
  const check = pkt.th + 16;
  if (mode == ExthdrMode.Reset) {
    if (opt == 0) return true;
    // The checksum changes by the 16-bit words the NOPs fall in.
    const start = opt - ((opt - pkt.th) & 1);
    const span = (<u32>(opt + optionLen - start) + 1) & ~1;
    memory.copy(OPTION_BEFORE, start, span);
    memory.fill(opt, TCPOPT_NOP, optionLen);
    csumApply(check, csumDelta(OPTION_BEFORE, start, span), false);
    return true;
  }
  if (!fits || (len != 2 && len != 4)) return true;
  const at = opt + offset;
  if (len == 2 && type == TCPOPT_MSS && bswap<u16>(load<u16>(at)) <= bswap<u16>(load<u16>(reg(r)))) return true;
  if (memory.compare(at, reg(r), len) == 0) return true;
  csumApply(check, csumDelta(at, reg(r), len), false);
  memory.copy(at, reg(r), len);
  return true;
}

function evalMeta(key: u32, dreg: u32): bool {
  switch (key) {
    case MetaKey.Len: store32(dreg, pkt.netLen); break;
    case MetaKey.Protocol: store32(dreg, <u32>bswap<u16>(pkt.ethertype)); break;
    case MetaKey.Nfproto: store32(dreg, hookNfproto != 0 ? hookNfproto : pkt.nfproto); break;
    // A frame that is not IP, or whose IP header a device's hook found
    // invalid, has no transport protocol (nft_set_pktinfo_unspec).
    case MetaKey.L4proto:
      if (pkt.nfproto == 0) return false;
      store32(dreg, pkt.l4proto);
      break;
    case MetaKey.Mark: store32(dreg, packetMark); break;
    case MetaKey.Pkttype: store32(dreg, pkt.pkttype); break;
    // nft_meta_get_eval_ifname: a hook without the device loads index 0 and
    // an empty name, but breaks the rule for its type and group.
    case MetaKey.Iif: store32(dreg, dev.inputIndex()); break;
    case MetaKey.Oif: store32(dreg, dev.outputIndex()); break;
    case MetaKey.Iifname: memory.copy(reg(dreg), dev.inputName(), IFNAMSIZ); break;
    case MetaKey.Oifname: memory.copy(reg(dreg), dev.outputName(), IFNAMSIZ); break;
    case MetaKey.Iiftype: {
      if (!dev.hasPacketDevice()) return false;
      const e = dev.packetDeviceEntry();
      store32(dreg, e != 0 ? load<u32>(e + DeviceEntry.Type) : pkt.iifType);
      break;
    }
    case MetaKey.Oiftype: {
      const e = dev.outputEntry();
      if (e == 0) return false;
      store32(dreg, load<u32>(e + DeviceEntry.Type));
      break;
    }
    case MetaKey.Iifgroup: {
      if (!dev.hasInput()) return false;
      const e = dev.inputEntry();
      store32(dreg, e != 0 ? load<u32>(e + DeviceEntry.Group) : 0);
      break;
    }
    case MetaKey.Oifgroup: {
      const e = dev.outputEntry();
      if (e == 0) return false;
      store32(dreg, load<u32>(e + DeviceEntry.Group));
      break;
    }
    case MetaKey.Iifkind:
    case MetaKey.Oifkind: {
      const e = key == MetaKey.Iifkind ? dev.inputEntry() : dev.outputEntry();
      if (e == 0 || load<u8>(e + DeviceEntry.Kind) == 0) return false;
      memory.copy(reg(dreg), e + DeviceEntry.Kind, IFNAMSIZ);
      break;
    }
    // The packet's timestamp stands for the kernel's clock; day and hour in
    // UTC (the kernel's sys_tz is UTC unless set; nft converts hours typed
    // in local time when it reads the ruleset).
    case MetaKey.TimeNs: store64(dreg, ctt.now); break;
    case MetaKey.TimeDay: store32(dreg, <u32>((ctt.now / 1000000000 / 86400 + 4) % 7)); break;
    case MetaKey.TimeHour: store32(dreg, <u32>(ctt.now / 1000000000 % 86400)); break;
    // One processor, no IPsec, no security mark, no traffic class.
    case MetaKey.Cpu:
    case MetaKey.Secpath:
    case MetaKey.Secmark:
    case MetaKey.Priority: store32(dreg, packetPriority); break;
    case MetaKey.Prandom: store32(dreg, nextRandom()); break;
    // The route's classid, once routing has given the packet one.
    case MetaKey.Rtclassid:
      if (!dev.hasOutput() && !dev.routedInput()) return false;
      store32(dreg, 0);
      break;
    // What the host sends comes from a socket (the kernel's own for its
    // ICMP answers), in no net_cls cgroup; what it receives or forwards has
    // none. Sockets' owners are unknown offline: skuid and skgid break.
    case MetaKey.Cgroup:
      if (!sentByHost) return false;
      store32(dreg, 0);
      break;
    // No l3mdev (VRF) device in the model: the kernel's sdif is then 0 and
    // its name empty.
    case MetaKey.Sdif: store32(dreg, 0); break;
    case MetaKey.Sdifname: memory.fill(reg(dreg), 0, IFNAMSIZ); break;
    default: return false;
  }
  return true;
}

// Where a direction's address (src: the source) or port field lies.
function ctAddress(e: usize, dir: u32, src: bool): usize {
  const d: u8 = dir == CtDir.Reply ? 1 : 0;
  return src ? ctt.srcOf(e, d) : ctt.dstOf(e, d);
}

function evalCt(ins: usize, key: u32, dreg: u32): bool {
  const e = ctt.ct;
  if (key == CtKey.State) {
    store32(dreg, ctt.ctState);
    return true;
  }
  if (e == 0) return false;
  const dir = load<u32>(ins + 4);
  switch (key) {
    case CtKey.Direction: store32(dreg, ctt.ctDir); break;
    case CtKey.Status: store32(dreg, load<u32>(e + CtEntry.Status)); break;
    case CtKey.Mark: store32(dreg, load<u32>(e + CtEntry.Mark)); break;
    case CtKey.Expiration: {
      // Until confirmation the kernel's ct->timeout is relative, and
      // nf_ct_expires clamps its difference with the clock to 0.
      if (ctt.isPending(e)) {
        store32(dreg, 0);
        break;
      }
      const exp = load<u64>(e + CtEntry.Expires);
      store32(dreg, exp > ctt.now ? <u32>((exp - ctt.now) / 1000000) : 0);
      break;
    }
    case CtKey.L3protocol: store32(dreg, load<u8>(e + CtEntry.L3proto)); break;
    case CtKey.Protocol: store32(dreg, load<u8>(e + CtEntry.L4proto)); break;
    case CtKey.Zone: store32(dreg, dir == CtDir.None ? load<u16>(e + CtEntry.Zone) : ctt.zoneFor(e, <u8>dir)); break;
    case CtKey.Id: store32(dreg, load<u32>(e + CtEntry.Id)); break;
    case CtKey.Src:
    case CtKey.Dst: {
      loadInto(dreg, ctAddress(e, dir, key == CtKey.Src), load<u8>(e + CtEntry.L3proto) == pkt.NFPROTO_IPV4 ? 4 : 16);
      break;
    }
    case CtKey.SrcIp:
    case CtKey.DstIp: {
      if (load<u8>(e + CtEntry.L3proto) != pkt.NFPROTO_IPV4) return false;
      loadInto(dreg, ctAddress(e, dir, key == CtKey.SrcIp), 4);
      break;
    }
    case CtKey.SrcIp6:
    case CtKey.DstIp6: {
      if (load<u8>(e + CtEntry.L3proto) != pkt.NFPROTO_IPV6) return false;
      loadInto(dreg, ctAddress(e, dir, key == CtKey.SrcIp6), 16);
      break;
    }
    case CtKey.ProtoSrc:
    case CtKey.ProtoDst:
      loadInto(dreg, ctt.portsOf(e, dir == CtDir.Reply ? 1 : 0) + (key == CtKey.ProtoSrc ? 0 : 2), 2);
      break;
    case CtKey.Pkts:
    case CtKey.Bytes:
    case CtKey.Avgpkt: {
      const acct = ctt.acctRead(e);
      let pkts: u64 = 0, bytes: u64 = 0;
      if (dir != CtDir.Reply) {
        pkts += load<u64>(acct + CtAcct.OrigPackets);
        bytes += load<u64>(acct + CtAcct.OrigBytes);
      }
      if (dir != CtDir.Original) {
        pkts += load<u64>(acct + CtAcct.ReplyPackets);
        bytes += load<u64>(acct + CtAcct.ReplyBytes);
      }
      store64(dreg, key == CtKey.Pkts ? pkts : key == CtKey.Bytes ? bytes : pkts ? bytes / pkts : 0);
      break;
    }
    case CtKey.Labels:
      loadInto(dreg, ctt.extRead(e) + CtExt.Labels, 16);
      break;
    case CtKey.Helper: {
      // The helper of the connection's master (nft_ct.c reads
      // nfct_help(ct->master)), its name NUL-padded to 16 bytes: the
      // expected connections match, the control connection never does.
      const h = load<u16>(ctt.extRead(e) + CtExt.MasterHelper);
      if (h == HelperKind.None) return false;
      const d = reg(dreg);
      memory.fill(d, 0, 16);
      store<u32>(d, h == HelperKind.Ftp ? 0x707466 : 0x70746674);
      break;
    }
    default: return false;
  }
  return true;
}

// Bytes compare as memory.compare does, lexicographically: for up to four
// bytes that is the order of the byte-swapped words, masked to len.
@inline function compareSmall(a: usize, b: usize, len: u32): i32 {
  const mask: u32 = len == 4 ? 0xffffffff : (<u32>1 << (len << 3)) - 1;
  const x = bswap<u32>(load<u32>(a) & mask);
  const y = bswap<u32>(load<u32>(b) & mask);
  return x == y ? 0 : x < y ? -1 : 1;
}

@inline function compareBytes(a: usize, b: usize, len: u32): i32 {
  return fastPaths && len <= 4 ? compareSmall(a, b, len) : memory.compare(a, b, len);
}

function evalCmp(ins: usize, sreg: u32, len: u32): bool {
  return cmpHolds(load<u32>(ins + 4), compareBytes(reg(sreg), ins + 8, len));
}

@inline function cmpHolds(op: u32, d: i32): bool {
  switch (op) {
    case CmpOp.Eq: return d == 0;
    case CmpOp.Neq: return d != 0;
    case CmpOp.Lt: return d < 0;
    case CmpOp.Lte: return d <= 0;
    case CmpOp.Gt: return d > 0;
    case CmpOp.Gte: return d >= 0;
  }
  return false;
}

function evalBitwise(ins: usize, sreg: u32, len: u32): void {
  const w = load<u32>(ins + 4);
  const dreg = w & 0xff;
  const op = (w >> 8) & 0xff;
  const n = words(len);
  const s = reg(sreg);
  const d = reg(dreg);
  if (op == BitwiseOp.Bool) {
    const mask = ins + 8;
    const xor = mask + (<usize>n << 2);
    for (let i: usize = 0; i < <usize>n; i++) {
      const o = i << 2;
      store<u32>(d + o, (load<u32>(s + o) & load<u32>(mask + o)) ^ load<u32>(xor + o));
    }
  } else {
    // Shifts work on host-order words, carrying bits between them.
    const shift = load<u32>(ins + 8);
    if (op == BitwiseOp.Lshift) {
      let carry: u32 = 0;
      for (let i: i32 = <i32>n - 1; i >= 0; i--) {
        const v = load<u32>(s + (<usize>i << 2));
        store<u32>(d + (<usize>i << 2), (v << shift) | carry);
        carry = shift ? v >> (32 - shift) : 0;
      }
    } else {
      let carry: u32 = 0;
      for (let i: u32 = 0; i < n; i++) {
        const v = load<u32>(s + (<usize>i << 2));
        store<u32>(d + (<usize>i << 2), carry | (v >> shift));
        carry = shift ? v << (32 - shift) : 0;
      }
    }
  }
}

function evalRange(ins: usize, sreg: u32, len: u32): bool {
  const op = load<u32>(ins + 4);
  const from = ins + 8;
  const to = from + (<usize>words(len) << 2);
  const inside = compareBytes(reg(sreg), from, len) >= 0 && compareBytes(reg(sreg), to, len) <= 0;
  return op == CmpOp.Eq ? inside : !inside;
}

function evalByteorder(ins: usize, sreg: u32, dreg: u32): void {
  const w = load<u32>(ins + 4);
  const len = (w >> 8) & 0xff;
  const size = (w >> 16) & 0xff;
  const s = reg(sreg);
  const d = reg(dreg);
  // ntoh and hton are the same swap on a little-endian machine. Whole
  // elements only, as nft_byteorder_eval: a single byte as a 16-bit
  // element (nft's for one-byte fields of concatenated intervals) stays.
  if (size == 8) {
    for (let i: usize = 0; i + 8 <= <usize>len; i += 8) store<u64>(d + i, bswap<u64>(load<u64>(s + i)));
  } else if (size == 4) {
    for (let i: usize = 0; i + 4 <= <usize>len; i += 4) store<u32>(d + i, bswap<u32>(load<u32>(s + i)));
  } else if (size == 2) {
    for (let i: usize = 0; i + 2 <= <usize>len; i += 2) store<u16>(d + i, bswap<u16>(load<u16>(s + i)));
  }
}

// A verdict map writes the verdict register (code, chain); a data map
// copies the element's data into dreg. The element found counts the
// packet, unless `count` is false (coverage changes nothing).
function evalLookup(ins: usize, sreg: u32, dreg: u32, count: bool = true): bool {
  const w = load<u32>(ins + 4);
  const set = w & 0xffffff;
  const el = sets.setFind(set, reg(sreg));
  if (((w >> 24) & LookupFlags.Invert) != 0) return el == 0;
  if (el == 0) return false;
  if (count) countElement(set, el, pkt.netLen);
  const flags = sets.setFlags(set);
  if (flags & SetFlags.Verdict) {
    const data = sets.setData(set, el);
    store<i32>(regs, load<i32>(data));
    store<u32>(regs + 4, load<u32>(data + 4));
  } else if (dreg != 0 && (flags & SetFlags.Map) != 0) {
    loadInto(dreg, sets.setData(set, el), sets.setDataLength(set));
  }
  return true;
}

// nft_ct_set_eval. The zone is set on a template before conntrack; the
// others change the packet's entry, confirmed or not.
function evalCtSet(key: u32, sreg: u32, dir: u32): void {
  const e = ctt.ct;
  const src = reg(sreg);
  if (key == CtKey.Zone) {
    const dirs: u8 = dir == CtDir.Original ? 1 : dir == CtDir.Reply ? 2 : 0;
    if (e == 0 && ctt.ctState != CtStateBit.Untracked) setTemplateZone(load<u16>(src), dirs);
    return;
  }
  if (e == 0) return;
  if (key == CtKey.Mark) {
    store<u32>(e + CtEntry.Mark, load<u32>(src));
  } else if (key == CtKey.Labels) {
    // nf_connlabels_replace with the value as its own mask: bits are added.
    const l = ctt.extOf(e) + CtExt.Labels;
    store<u64>(l, load<u64>(l) | load<u64>(src));
    store<u64>(l + 8, load<u64>(l + 8) | load<u64>(src + 8));
  } else if (key == CtKey.Eventmask) {
    store<u16>(e + CtEntry.EventMask, load<u16>(src));
  }
}

// nft_ct_helper_obj_eval: a helper is attached to a connection that is not
// confirmed yet, of the object's protocol, and only once.
function attachHelper(obj: usize): void {
  const e = ctt.ct;
  if (e == 0 || !ctt.isPending(e)) return;
  if (<u32>load<u8>(e + CtEntry.L4proto) != load<u32>(obj + (<usize>ObjectEntry.Arg1 << 2))) return;
  const family = load<u32>(obj + (<usize>ObjectEntry.Arg2 << 2));
  if (family != 0 && family != <u32>load<u8>(e + CtEntry.L3proto)) return;
  if (ctt.hasStatus(e, CtStatus.Helper)) return;
  store<u16>(e + CtEntry.Helper, <u16>load<u32>(obj + (<usize>ObjectEntry.Arg0 << 2)));
  ctt.setStatus(e, CtStatus.Helper);
}

// Objref: word 2 is a counter index for a named counter, an index in the
// image's object table for a ct helper.
function evalObjref(ins: usize): bool {
  const type = load<u32>(ins + 4);
  // The quota's or limit's own instruction, as if its header were word 1.
  if (type == ObjectType.Quota) return evalQuota(ins + 8, pkt.netLen);
  if (type == ObjectType.Limit) return evalLimit(ins + 8, pkt.netLen);
  if (type == ObjectType.CtTimeout) attachTimeout(ins + 12);
  else applyObject(type, load<u32>(ins + 8));
  return true;
}

// nft_ct_timeout_obj_eval: a connection not confirmed yet, of the object's
// protocol, takes its policy (for good) and its first state's timeout.
function attachTimeout(policy: usize): void {
  const e = ctt.ct;
  if (e == 0 || !ctt.isPending(e)) return;
  if (<u32>load<u8>(e + CtEntry.L4proto) != load<u32>(policy)) return;
  store<u32>(ctt.extOf(e) + CtExt.TimeoutPolicy, <u32>(policy - rs.image));
  ctt.refresh(e, 0, load<u32>(policy + 4), false);
}

// nft_objref_map_eval: the object the key maps to, if any.
function evalObjrefMap(ins: usize, sreg: u32): bool {
  const set = load<u32>(ins + 4);
  const el = sets.setFind(set, reg(sreg));
  if (el == 0) return false;
  const type = load<u32>(ins + 8);
  const index = load<u32>(sets.setData(set, el));
  if (type == ObjectType.Quota || type == ObjectType.Limit) {
    // The image's elements are not checked on load: an index past the
    // instruction's quotas or limits names none.
    if (index >= load<u32>(ins + 12)) return false;
    // The object's instruction words, as if their header were the word before.
    const own = ins + 16 + <usize>index * 20 - 4;
    return type == ObjectType.Quota ? evalQuota(own, pkt.netLen) : evalLimit(own, pkt.netLen);
  }
  if (type == ObjectType.Counter && index >= rs.counterCount) return false;
  applyObject(type, index);
  return true;
}

function applyObject(type: u32, index: u32): void {
  if (type == ObjectType.Counter) {
    const c = rs.counters + (<usize>index << 4);
    store<u64>(c, load<u64>(c) + 1);
    store<u64>(c + 8, load<u64>(c + 8) + pkt.netLen);
  } else if (type == ObjectType.CtHelper && index < rs.objectCount) {
    attachHelper(rs.objectEntry(index));
  }
}

function evalMetaSet(key: u32, sreg: u32): void {
  if (key == MetaKey.Mark) packetMark = load<u32>(reg(sreg));
  else if (key == MetaKey.Priority) packetPriority = load<u32>(reg(sreg));
  else if (key == MetaKey.Nftrace) trace.setNftrace(load<u32>(reg(sreg)) != 0);
}

// Runs one rule; returns the verdict register's code (Continue when the rule
// ran to its end, Break when a match failed). The image passed validate.ts
// when it loaded: every opcode, size, register and index here is sound.
function evalRule(rule: usize): i32 {
  const size = load<u32>(rule + (<usize>RuleHeader.Size << 2));
  const end = rule + (<usize>size << 2);
  let ins = rule + (<usize>RuleHeader.Words << 2);
  setVerdict(Verdict.Continue);
  while (ins < end) {
    const h = load<u32>(ins);
    const op = h & 0xff;
    const a = (h >> 16) & 0xff;
    const b = h >> 24;
    switch (op) {
      case Op.Cmp:
        if (!evalCmp(ins, a, b)) return Verdict.Break;
        break;
      case Op.PayloadLoad: {
        if (!evalPayload(ins, a, b)) return Verdict.Break;
        // The shape of most matches, a small load compared at once: the
        // comparison is made here, without a trip round the loop (and the
        // verdict register, not written, needs no look).
        const next = ins + (<usize>((h >> 8) & 0xff) << 2);
        if (fastPaths && a != 0 && b <= 4 && next < end) {
          const h2 = load<u32>(next);
          if ((h2 & 0xff) == Op.Cmp && ((h2 >> 16) & 0xff) == a && (h2 >> 24) == b) {
            if (!cmpHolds(load<u32>(next + 4), compareSmall(reg(a), next + 8, b))) return Verdict.Break;
            ins = next + (<usize>((h2 >> 8) & 0xff) << 2);
            continue;
          }
        }
        break;
      }
      case Op.PayloadWrite:
        if (!evalPayloadWrite(ins, a, b)) return Verdict.Break;
        break;
      case Op.Exthdr:
        if (!evalExthdr(ins, a, b)) return Verdict.Break;
        break;
      case Op.CtLoad:
        if (!evalCt(ins, b, a)) return Verdict.Break;
        break;
      case Op.MetaLoad:
        if (!evalMeta(b, a)) return Verdict.Break;
        break;
      case Op.Bitwise:
        evalBitwise(ins, a, b);
        break;
      case Op.Immediate:
        if (a == 0) {
          store<i32>(regs, load<i32>(ins + 4));
          store<u32>(regs + 4, load<u32>(ins + 8));
        } else {
          memory.copy(reg(a), ins + 4, <usize>words(b) << 2);
        }
        break;
      case Op.Counter: {
        const c = rs.counters + (<usize>load<u32>(ins + 4) << 4);
        store<u64>(c, load<u64>(c) + 1);
        store<u64>(c + 8, load<u64>(c + 8) + pkt.netLen);
        break;
      }
      case Op.Range:
        if (!evalRange(ins, a, b)) return Verdict.Break;
        break;
      case Op.Byteorder:
        evalByteorder(ins, a, b);
        break;
      case Op.CtSet:
        evalCtSet(b, a, load<u32>(ins + 4));
        break;
      case Op.MetaSet:
        evalMetaSet(b, a);
        break;
      case Op.Lookup:
        if (!evalLookup(ins, a, b)) return Verdict.Break;
        break;
      case Op.Reject:
        ctt.noteRejected();
        return Verdict.Drop;
      case Op.Queue:
        queueBypass = (load<u32>(ins + 8) & QueueFlags.Bypass) != 0;
        return Verdict.Queue;
      case Op.Notrack:
        // nft_notrack_eval: not once conntrack (or a template) has the packet.
        if (ctt.ct == 0 && !hasTemplate) ctt.ctState = CtStateBit.Untracked;
        break;
      case Op.Objref:
        if (!evalObjref(ins)) return Verdict.Break;
        break;
      case Op.ObjrefMap:
        if (!evalObjrefMap(ins, a)) return Verdict.Break;
        break;
      // nft_log_eval hands the packet to the logger and never changes the
      // verdict.
      case Op.Log:
        if (log.records.enabled()) log.logged(load<u32>(ins + 4), packetMark);
        break;
      case Op.Connlimit: {
        // nft_connlimit: over (flags 1) matches above the limit, else at or below.
        if ((connCount(ins) > load<u32>(ins + 4)) != ((load<u32>(ins + 8) & 1) != 0)) return Verdict.Break;
        break;
      }
      case Op.Limit:
        if (!evalLimit(ins, pkt.netLen)) return Verdict.Break;
        break;
      case Op.Quota:
        if (!evalQuota(ins, pkt.netLen)) return Verdict.Break;
        break;
      case Op.Dynset:
        if (!evalDynset(ins, reg(a), b != 0 ? reg(b) : 0, pkt.netLen)) return Verdict.Break;
        // The element's statements ran on its state: past them.
        for (let i = dynsetExprs(ins); i > 0; i--) ins += <usize>((load<u32>(ins + (<usize>((h >> 8) & 0xff) << 2)) >> 8) & 0xff) << 2;
        break;
      case Op.Nat: {
        const v = evalNat(ins);
        if (v != Verdict.Continue) return v;
        break;
      }
      case Op.Fib:
        if (!routing.evalFib(ins, reg(a), b, sentByHost || pkt.loopbackDevice == pkt.DEVICE_LOOPBACK)) return Verdict.Break;
        break;
      case Op.Rt:
        if (!routing.evalRt(reg(a), b)) return Verdict.Break;
        break;
      case Op.Numgen:
        routing.evalNumgen(ins, reg(a), b, b == NumgenType.Random ? nextRandom() : 0);
        break;
      case Op.Hash:
        routing.evalHash(ins, reg(a), b, regs);
        break;
      // No socket and no IPsec state offline: nft_socket and nft_xfrm end
      // the rule, and so does nft_tproxy, which finds no transparent socket.
      case Op.Dup:
        dup.take(dev.currentHook, packetMark, reg(a), b != 0 ? load<u32>(reg(b)) : 0);
        break;
      case Op.Socket:
      case Op.Xfrm:
      case Op.Tproxy:
        return Verdict.Break;
      case Op.Osf:
        if (!routing.evalOsf(reg(a))) return Verdict.Break;
        break;
    }
    const v = load<i32>(regs);
    if (v != Verdict.Continue) return v;
    ins += <usize>((h >> 8) & 0xff) << 2;
  }
  return Verdict.Continue;
}

// Whether a rule would have matched the packet, for coverage: its matches
// are evaluated up to its first statement, which is not run. Registers are
// scratch; nothing else changes.
function wouldMatch(rule: usize): bool {
  const end = rule + (<usize>load<u32>(rule + (<usize>RuleHeader.Size << 2)) << 2);
  let ins = rule + (<usize>RuleHeader.Words << 2);
  while (ins < end) {
    const h = load<u32>(ins);
    const a = (h >> 16) & 0xff;
    const b = h >> 24;
    switch (h & 0xff) {
      case Op.Cmp: if (!evalCmp(ins, a, b)) return false; break;
      case Op.PayloadLoad: if (!evalPayload(ins, a, b)) return false; break;
      case Op.CtLoad: if (!evalCt(ins, b, a)) return false; break;
      case Op.MetaLoad: if (!evalMeta(b, a)) return false; break;
      case Op.Bitwise: evalBitwise(ins, a, b); break;
      case Op.Range: if (!evalRange(ins, a, b)) return false; break;
      case Op.Byteorder: evalByteorder(ins, a, b); break;
      case Op.Immediate:
        if (a == 0) return true;
        memory.copy(reg(a), ins + 4, <usize>words(b) << 2);
        break;
      case Op.Lookup: {
        // A verdict map decides: the match has held once an element is found.
        const set = load<u32>(ins + 4) & 0xffffff;
        if ((sets.setFlags(set) & SetFlags.Verdict) != 0) return sets.setFind(set, reg(a)) != 0;
        if (!evalLookup(ins, a, b, false)) return false;
        break;
      }
      default: return true;
    }
    ins += <usize>((h >> 8) & 0xff) << 2;
  }
  return true;
}

// Coverage: the rules a decision kept the packet from, in the deciding
// chain after the deciding rule and in every chain that jumped to it.
function noteShadowed(rule: usize, left: u32, depth: i32): void {
  let r = rule;
  let n = left;
  let d = depth;
  while (true) {
    for (; n > 0; n--) {
      if (wouldMatch(r)) coverage.wouldHaveMatched(r);
      r += <usize>load<u32>(r) << 2;
    }
    if (d == 0) return;
    d--;
    const s = jumpStack + <usize>d * 12;
    r = load<usize>(s + 4);
    n = load<u32>(s + 8);
  }
}

// Runs a base chain and everything it jumps to; returns Accept or Drop.
export function runChain(base: u32): i32 {
  let chain = base;
  let entry = rs.chainEntry(chain);
  let rule = rs.code + load<u32>(entry + (<usize>ChainEntry.FirstRule << 2));
  let left = load<u32>(entry + (<usize>ChainEntry.RuleCount << 2));
  let depth: i32 = 0;
  while (true) {
    if (left == 0) {
      if (depth == 0) {
        decidedHandle = 0;
        decidedChain = base;
        const policy = load<i32>(rs.chainEntry(base) + (<usize>ChainEntry.Policy << 2));
        if (trace.active) trace.policyDone(base, policy, packetMark);
        return policy;
      }
      if (trace.active) trace.chainReturned(chain, packetMark);
      depth--;
      const s = jumpStack + <usize>depth * 12;
      chain = load<u32>(s);
      rule = load<usize>(s + 4);
      left = load<u32>(s + 8);
      continue;
    }
    if (coverage.enabled) coverage.reached(rule);
    const v = evalRule(rule);
    if (trace.active && v != Verdict.Break) trace.ruleDone(chain, load<u32>(rule + (<usize>RuleHeader.Handle << 2)), v, load<u32>(regs + 4), packetMark);
    const next = rule + (<usize>load<u32>(rule) << 2);
    if (coverage.enabled && v != Verdict.Break) {
      coverage.matched(rule);
      if (v == Verdict.Accept || v == Verdict.Drop || v == Verdict.Queue) noteShadowed(next, left - 1, depth);
    }
    if (v == Verdict.Continue || v == Verdict.Break) {
      rule = next;
      left--;
      continue;
    }
    if (v == Verdict.Accept || v == Verdict.Drop || v == Verdict.Queue) {
      decidedHandle = load<u32>(rule + (<usize>RuleHeader.Handle << 2));
      decidedChain = chain;
      // No listener takes a queued packet: nf_queue's -ESRCH drops it, or
      // lets the hook go on to its next chain when it may be bypassed.
      if (v == Verdict.Queue) return queueBypass ? Verdict.Accept : Verdict.Drop;
      return v;
    }
    if (v == Verdict.Jump || v == Verdict.Goto) {
      if (v == Verdict.Jump) {
        if (depth == MAX_JUMP_DEPTH) return Verdict.Drop;
        const s = jumpStack + <usize>depth * 12;
        store<u32>(s, chain);
        store<usize>(s + 4, next);
        store<u32>(s + 8, left - 1);
        depth++;
      }
      chain = load<u32>(regs + 4);
      entry = rs.chainEntry(chain);
      rule = rs.code + load<u32>(entry + (<usize>ChainEntry.FirstRule << 2));
      left = load<u32>(entry + (<usize>ChainEntry.RuleCount << 2));
      continue;
    }
    // Return (or a verdict this VM does not model): leave the chain.
    left = 0;
  }
}
