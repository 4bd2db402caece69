// Network address translation as the kernel's nf_nat does it: the binding
// of a connection is made once, by the nat chains or as a null binding, on
// its first packet (nf_nat_setup_info, get_unique_tuple); it lives in the
// conntrack entry as a translated reply tuple (CtNat); every later packet
// of both directions is rewritten to it (nf_nat_packet, nf_nat_manip_pkt),
// checksums updated as the kernel updates them, and ICMP errors have the
// packet they quote translated too (nf_nat_icmp_reply_translation).
// Source NAT remembers every connection it translated by its original
// source (nf_nat_bysource), so that a new connection from that source
// takes the same mapping (find_appropriate_src).
import { CtEntry, CtStatus, DeviceEntry, Hook, NatFlags, NatType, RulesetFlags, Tuple, Verdict } from './abi';
import * as pkt from './packet';
import * as ctt from './conntrack';
import * as dev from './devices';
import * as rs from './ruleset';
import { regs, nextRandom } from './vm';
import { offloadPending, bytesSum, pseudoHeaderFolded, sctpChecksum } from './checksum';

const MANIP_SRC: i32 = 0;
const MANIP_DST: i32 = 1;
const IPPROTO_SCTP: u8 = 132;
const IPPROTO_DCCP: u8 = 33;
const IPPROTO_GRE: u8 = 47;
const RANDOM_ALL: u32 = NatFlags.ProtoRandom | NatFlags.ProtoRandomFully;
// nf_nat_l4proto_unique_tuple's max_attempts.
const MAX_ATTEMPTS: u32 = 128;

// The range of the binding being made (nf_nat_range2): addresses, ports
// (u16 as on the wire), NatFlags.
const rangeMin = memory.data(16, 8);
const rangeMax = memory.data(16, 8);
let protoMin: u16 = 0;
let protoMax: u16 = 0;
let rangeFlags: u32 = 0;
// Tuples (Tuple layout) and a lookup key of conntrack's layout.
const current = memory.data(<i32>Tuple.Size, 8);
const chosen = memory.data(<i32>Tuple.Size, 8);
const target = memory.data(<i32>Tuple.Size, 8);
const usedKey = memory.data(<i32>ctt.TUPLE_KEY_SIZE, 8);
const loopback6 = memory.data(16, 8);

// The hook the nat chains being run belong to.
export let hook: Hook = Hook.Prerouting;
// Whether NAT changed the current packet's destination: routing decides
// again (ip_route_me_harder, or the prerouting route lookup that follows).
export let destinationChanged = false;

export function natActive(family: i32): bool {
  return (rs.flags & (family == 0 ? RulesetFlags.NatIpv4 : RulesetFlags.NatIpv6)) != 0;
}

// HOOK2MANIP: source NAT on postrouting and input, destination NAT on
// prerouting and output.
@inline export function manipOf(h: Hook): i32 {
  return h == Hook.Postrouting || h == Hook.Input ? MANIP_SRC : MANIP_DST;
}

@inline export function initialized(e: usize, manip: i32): bool {
  return ctt.hasStatus(e, manip == MANIP_SRC ? CtStatus.SrcNatDone : CtStatus.DstNatDone);
}

@inline function isIcmp(l4: u8): bool {
  return l4 == pkt.IPPROTO_ICMP || l4 == pkt.IPPROTO_ICMPV6;
}

@inline function hasPorts(l4: u8): bool {
  return l4 == pkt.IPPROTO_TCP || l4 == pkt.IPPROTO_UDP || l4 == pkt.IPPROTO_UDPLITE || l4 == IPPROTO_SCTP || l4 == IPPROTO_DCCP;
}

@inline function alen(e: usize): usize {
  return load<u8>(e + CtEntry.L3proto) == pkt.NFPROTO_IPV4 ? 4 : 16;
}

function copyAddr(to: usize, from: usize): void {
  store<u64>(to, load<u64>(from));
  store<u64>(to + 8, load<u64>(from + 8));
}

// The tuple of direction dir turned around (nf_ct_invert_tuple), into t:
// for ICMP the id stays and the type is that of the other direction.
function invertInto(t: usize, e: usize, dir: u8): void {
  copyAddr(t + Tuple.Src, ctt.dstOf(e, dir));
  copyAddr(t + Tuple.Dst, ctt.srcOf(e, dir));
  const ports = ctt.portsOf(e, dir);
  if (isIcmp(load<u8>(e + CtEntry.L4proto))) {
    store<u16>(t + Tuple.SrcPort, load<u16>(ports));
    store<u16>(t + Tuple.DstPort, load<u16>(ctt.portsOf(e, dir ^ 1) + 2));
  } else {
    store<u16>(t + Tuple.SrcPort, load<u16>(ports + 2));
    store<u16>(t + Tuple.DstPort, load<u16>(ports));
  }
}

function tupleInto(t: usize, e: usize, dir: u8): void {
  copyAddr(t + Tuple.Src, ctt.srcOf(e, dir));
  copyAddr(t + Tuple.Dst, ctt.dstOf(e, dir));
  store<u32>(t + Tuple.SrcPort, load<u32>(ctt.portsOf(e, dir)));
}

function tupleEquals(a: usize, b: usize): bool {
  return memory.compare(a, b, Tuple.Size) == 0;
}

// nf_nat_used_tuple: whether the reply of t belongs to another connection.
function usedTuple(t: usize, e: usize): bool {
  store<u8>(usedKey, load<u8>(e + CtEntry.L3proto));
  store<u8>(usedKey + 1, load<u8>(e + CtEntry.L4proto));
  store<u16>(usedKey + 2, ctt.zoneFor(e, 1));
  const k = usedKey + 4;
  copyAddr(k + Tuple.Src, t + Tuple.Dst);
  copyAddr(k + Tuple.Dst, t + Tuple.Src);
  if (isIcmp(load<u8>(e + CtEntry.L4proto))) {
    store<u16>(k + Tuple.SrcPort, load<u16>(t + Tuple.SrcPort));
    store<u16>(k + Tuple.DstPort, load<u16>(e + CtEntry.ReplyPorts + 2));
  } else {
    store<u16>(k + Tuple.SrcPort, load<u16>(t + Tuple.DstPort));
    store<u16>(k + Tuple.DstPort, load<u16>(t + Tuple.SrcPort));
  }
  const found = ctt.findEntry(usedKey);
  return found != 0 && found != e;
}

@inline function port16(p: u16): u32 {
  return <u32>bswap<u16>(p);
}

// Where the part of the tuple a manipulation changes lies: the ICMP id
// whatever the manipulation, else the source or destination port.
@inline function keyAt(t: usize, l4: u8, manip: i32): usize {
  return t + (isIcmp(l4) || manip == MANIP_SRC ? <usize>Tuple.SrcPort : <usize>Tuple.DstPort);
}

function l4InRange(t: usize, l4: u8, manip: i32): bool {
  if (!isIcmp(l4) && !hasPorts(l4)) return true;
  const v = port16(load<u16>(keyAt(t, l4, manip)));
  return v >= port16(protoMin) && v <= port16(protoMax);
}

function addrInRange(a: usize, v4: bool): bool {
  if (v4) {
    const x = bswap<u32>(load<u32>(a));
    return x >= bswap<u32>(load<u32>(rangeMin)) && x <= bswap<u32>(load<u32>(rangeMax));
  }
  return memory.compare(a, rangeMin, 16) >= 0 && memory.compare(a, rangeMax, 16) <= 0;
}

// in_range: the source of t within the range (get_unique_tuple asks it of
// source NAT only).
function inRange(t: usize, e: usize): bool {
  if ((rangeFlags & NatFlags.MapIps) != 0 && !addrInRange(t + Tuple.Src, alen(e) == 4)) return false;
  if ((rangeFlags & NatFlags.ProtoSpecified) == 0) return true;
  return l4InRange(t, load<u8>(e + CtEntry.L4proto), MANIP_SRC);
}

@inline function rol32(x: u32, r: u32): u32 {
  return (x << r) | (x >> (32 - r));
}

// The kernel's jhash2 over four words (an nf_inet_addr).
function jhashAddr(k: usize, initval: u32): u32 {
  let a: u32 = 0xdeadbeef + (4 << 2) + initval;
  let b = a;
  let c = a;
  a += load<u32>(k);
  b += load<u32>(k + 4);
  c += load<u32>(k + 8);
  a -= c; a ^= rol32(c, 4); c += b;
  b -= a; b ^= rol32(a, 6); a += c;
  c -= b; c ^= rol32(b, 8); b += a;
  a -= c; a ^= rol32(c, 16); c += b;
  b -= a; b ^= rol32(a, 19); a += c;
  c -= b; c ^= rol32(b, 4); b += a;
  a += load<u32>(k + 12);
  c ^= b; c -= rol32(b, 14);
  a ^= c; a -= rol32(c, 11);
  b ^= a; b -= rol32(a, 25);
  c ^= b; c -= rol32(b, 16);
  a ^= c; a -= rol32(c, 4);
  b ^= a; b -= rol32(a, 14);
  c ^= b; c -= rol32(b, 24);
  return c;
}

// find_best_ips_proto: the address in the range that a hash of the
// source and destination picks (the source alone when persistent).
function findBestIps(t: usize, e: usize, manip: i32): void {
  if ((rangeFlags & NatFlags.MapIps) == 0) return;
  const v = manip == MANIP_SRC ? t + Tuple.Src : t + Tuple.Dst;
  if (memory.compare(rangeMin, rangeMax, 16) == 0) {
    copyAddr(v, rangeMin);
    return;
  }
  const max: usize = alen(e) == 4 ? 0 : 3;
  const persistent = (rangeFlags & NatFlags.Persistent) != 0;
  const zone = <u32>load<u16>(e + CtEntry.Zone);
  let j = jhashAddr(t + Tuple.Src, persistent ? 0 : load<u32>(t + Tuple.Dst + (max << 2)) ^ zone);
  let full = false;
  for (let i: usize = 0; i <= max; i++) {
    let minip: u32 = 0;
    let dist: u32 = 0xffffffff;
    if (!full) {
      minip = bswap<u32>(load<u32>(rangeMin + (i << 2)));
      dist = bswap<u32>(load<u32>(rangeMax + (i << 2))) - minip + 1;
    }
    const word = bswap<u32>(minip + <u32>((<u64>j * <u64>dist) >> 32));
    store<u32>(v + (i << 2), word);
    if (word != load<u32>(rangeMax + (i << 2))) full = true;
    if (!persistent) j ^= load<u32>(t + Tuple.Dst + (i << 2));
  }
}

// nf_nat_l4proto_unique_tuple: a free port (or ICMP id) in the range, from
// a random offset (the kernel's get_random_u16; here the seeded generator)
// or, for destination NAT without random, from the first.
function l4UniqueTuple(t: usize, e: usize, manip: i32): void {
  const randomSearch = (rangeFlags & RANDOM_ALL) != 0;
  const l4 = load<u8>(e + CtEntry.L4proto);
  let min: u32 = 0;
  let size: u32 = 0;
  const at = keyAt(t, l4, manip);
  const specified = (rangeFlags & NatFlags.ProtoSpecified) != 0;
  if (isIcmp(l4)) {
    min = specified ? port16(protoMin) : 0;
    size = specified ? port16(protoMax) - port16(protoMin) + 1 : 65536;
  } else if (hasPorts(l4)) {
    if (!specified) {
      if (manip == MANIP_DST) return;
      const p = port16(load<u16>(at));
      if (p < 1024) {
        min = p < 512 ? 1 : 600;
        size = p < 512 ? 511 : 1023 - 600 + 1;
      } else {
        min = 1024;
        size = 65535 - 1024 + 1;
      }
    } else {
      let lo = port16(protoMin);
      let hi = port16(protoMax);
      if (hi < lo) {
        const x = lo;
        lo = hi;
        hi = x;
      }
      min = lo;
      size = hi - lo + 1;
    }
  } else {
    return;
  }
  // Destination NAT searches from the start of the range unless told to
  // be random; source NAT from a random place.
  let off: u32 = randomSearch || manip != MANIP_DST ? nextRandom() & 0xffff : 0;
  let attempts = size < MAX_ATTEMPTS ? size : MAX_ATTEMPTS;
  while (true) {
    for (let i: u32 = 0; i < attempts; i++, off = (off + 1) & 0xffff) {
      store<u16>(at, bswap<u16>(<u16>(min + off % size)));
      if (!usedTuple(t, e)) return;
    }
    if (attempts >= size || attempts < 16) return;
    attempts /= 2;
    off = nextRandom() & 0xffff;
  }
}

// nf_nat_bysource: the confirmed entries source NAT translated, in chains
// of a hash of their original source (address, port or ICMP id, protocol,
// zone), the latest first as hlist_add_head leaves them. Links are entry
// slot numbers plus one (0 ends a chain), kept beside the entry arrays
// with each entry's source hash, so that the chains are rebuilt in order
// when those arrays grow, and an entry leaves its chain, without hashing.
let heads: usize = 0;
let headMask: u32 = 0;
let links: usize = 0;
let sourceHashes: usize = 0;
const srcKey = memory.data(<i32>ctt.TUPLE_KEY_SIZE, 8);

export function natInit(): void {
  heads = 0;
  links = 0;
  sourceHashes = 0;
  ctt.onConfirm(linkBySource);
  ctt.onDestroy(unlinkBySource);
  // Per slot: its link (8 bytes), its source hash (4) and at most two
  // buckets of 4.
  ctt.onGrow(bysourceGrow, 20);
}

function sourceHash(l3: u8, l4: u8, zone: u16, src: usize, port: u16): u32 {
  memory.fill(srcKey, 0, ctt.TUPLE_KEY_SIZE);
  store<u8>(srcKey, l3);
  store<u8>(srcKey + 1, l4);
  store<u16>(srcKey + 2, zone);
  copyAddr(srcKey + 4 + Tuple.Src, src);
  store<u16>(srcKey + 4 + Tuple.SrcPort, port);
  return ctt.hashKey(srcKey);
}

@inline function bucketOf(idx: u32): usize {
  return heads + (<usize>(load<u32>(sourceHashes + (<usize>idx << 2)) & headMask) << 2);
}

@inline function nextAt(idx: u32): usize {
  return links + (<usize>idx << 3);
}

function pushHead(bucket: usize, idx: u32): void {
  const first = load<u32>(bucket);
  store<u32>(nextAt(idx), first);
  store<u32>(nextAt(idx) + 4, 0);
  if (first != 0) store<u32>(nextAt(first - 1) + 4, idx + 1);
  store<u32>(bucket, idx + 1);
}

// Chains for n entry slots: a bucket per slot (a power of two), the
// entries of every old chain pushed from its end so that they keep their
// order.
function rebuild(n: u32): void {
  const oldHeads = heads;
  const oldBuckets: u32 = heads == 0 ? 0 : headMask + 1;
  let buckets: u32 = 1;
  while (buckets < n) buckets <<= 1;
  heads = heap.alloc(<usize>buckets << 2);
  memory.fill(heads, 0, <usize>buckets << 2);
  headMask = buckets - 1;
  for (let b: u32 = 0; b < oldBuckets; b++) {
    let last = load<u32>(oldHeads + (<usize>b << 2));
    if (last == 0) continue;
    while (load<u32>(nextAt(last - 1)) != 0) last = load<u32>(nextAt(last - 1));
    while (last != 0) {
      const prev = load<u32>(nextAt(last - 1) + 4);
      pushHead(bucketOf(last - 1), last - 1);
      last = prev;
    }
  }
}

function bysourceGrow(old: u32, n: u32): void {
  if (links == 0) return;
  const from = links;
  links = heap.alloc(<usize>n << 3);
  memory.copy(links, from, <usize>old << 3);
  const hashesFrom = sourceHashes;
  sourceHashes = heap.alloc(<usize>n << 2);
  memory.copy(sourceHashes, hashesFrom, <usize>old << 2);
  rebuild(n);
}

function linkBySource(e: usize, idx: u32): void {
  if (!ctt.hasStatus(e, CtStatus.Snat)) return;
  if (links == 0) {
    links = heap.alloc(<usize>ctt.allocated << 3);
    sourceHashes = heap.alloc(<usize>ctt.allocated << 2);
    rebuild(ctt.allocated);
  }
  const o = e + CtEntry.OrigTuple;
  const h = sourceHash(load<u8>(e + CtEntry.L3proto), load<u8>(e + CtEntry.L4proto), ctt.zoneFor(e, 0), o + Tuple.Src, load<u16>(o + Tuple.SrcPort));
  store<u32>(sourceHashes + (<usize>idx << 2), h);
  pushHead(bucketOf(idx), idx);
}

function unlinkBySource(e: usize, idx: u32): void {
  if (links == 0 || !ctt.hasStatus(e, CtStatus.Snat)) return;
  const next = load<u32>(nextAt(idx));
  const prev = load<u32>(nextAt(idx) + 4);
  if (prev != 0) store<u32>(nextAt(prev - 1), next);
  else store<u32>(bucketOf(idx), next);
  if (next != 0) store<u32>(nextAt(next - 1) + 4, prev);
}

// find_appropriate_src: the mapping of the latest live connection from the
// source of orig (same protocol, address, port and zone), with orig's
// destination, into t, if it is in the range.
function findAppropriateSrc(t: usize, orig: usize, e: usize): bool {
  if (links == 0) return false;
  const l3 = load<u8>(e + CtEntry.L3proto);
  const l4 = load<u8>(e + CtEntry.L4proto);
  const zone = ctt.zoneFor(e, 0);
  const port = load<u16>(orig + Tuple.SrcPort);
  const h = sourceHash(l3, l4, zone, orig + Tuple.Src, port);
  let ref = load<u32>(heads + (<usize>(h & headMask) << 2));
  while (ref != 0) {
    const c = ctt.entryAt(ref - 1);
    const o = c + CtEntry.OrigTuple;
    ref = load<u32>(nextAt(ref - 1));
    if (load<u8>(c + CtEntry.L3proto) != l3 || load<u8>(c + CtEntry.L4proto) != l4 || ctt.zoneFor(c, 0) != zone) continue;
    if (load<u16>(o + Tuple.SrcPort) != port || memory.compare(o + Tuple.Src, orig + Tuple.Src, 16) != 0 || ctt.isExpired(c)) continue;
    invertInto(t, c, 1);
    copyAddr(t + Tuple.Dst, orig + Tuple.Dst);
    store<u16>(t + Tuple.DstPort, load<u16>(orig + Tuple.DstPort));
    if (inRange(t, e)) return true;
  }
  return false;
}

// get_unique_tuple: for source NAT, the original tuple when it is in the
// range and free, else the mapping of the latest connection from the same
// source address and port when it is in the range and free; otherwise the
// range's address and the first free port of the search.
function uniqueTuple(t: usize, orig: usize, e: usize, manip: i32): void {
  const randomAll = (rangeFlags & RANDOM_ALL) != 0;
  if (manip == MANIP_SRC && !randomAll) {
    if (inRange(orig, e)) {
      if (!usedTuple(orig, e)) {
        memory.copy(t, orig, Tuple.Size);
        return;
      }
    } else if (findAppropriateSrc(t, orig, e) && !usedTuple(t, e)) {
      return;
    }
  }
  memory.copy(t, orig, Tuple.Size);
  findBestIps(t, e, manip);
  const l4 = load<u8>(e + CtEntry.L4proto);
  if (!randomAll) {
    if ((rangeFlags & NatFlags.ProtoSpecified) != 0) {
      if (l4InRange(t, l4, manip) && (protoMin == protoMax || !usedTuple(t, e))) return;
    } else if (!usedTuple(t, e)) {
      return;
    }
  }
  l4UniqueTuple(t, e, manip);
}

// nf_nat_setup_info for the current range: the binding of one
// manipulation, made once, before the entry is confirmed.
function setupInfo(e: usize, manip: i32): i32 {
  if (!ctt.isPending(e)) return Verdict.Accept;
  if (initialized(e, manip)) return Verdict.Drop;
  invertInto(current, e, 1);
  uniqueTuple(chosen, current, e, manip);
  if (!tupleEquals(chosen, current)) {
    // The reply tuple becomes the inverse of the chosen one.
    const n = ctt.natOf(e);
    copyAddr(n + 0, chosen + Tuple.Dst);
    copyAddr(n + 16, chosen + Tuple.Src);
    const rp = e + CtEntry.ReplyPorts;
    if (isIcmp(load<u8>(e + CtEntry.L4proto))) {
      store<u16>(rp, load<u16>(chosen + Tuple.SrcPort));
    } else {
      store<u16>(rp, load<u16>(chosen + Tuple.DstPort));
      store<u16>(rp + 2, load<u16>(chosen + Tuple.SrcPort));
    }
    ctt.setStatus(e, manip == MANIP_SRC ? CtStatus.Snat : CtStatus.Dnat);
  }
  ctt.setStatus(e, manip == MANIP_SRC ? CtStatus.SrcNatDone : CtStatus.DstNatDone);
  return Verdict.Accept;
}

function rangeToAddress(a: usize, v4: bool): void {
  memory.fill(rangeMin, 0, 16);
  memory.copy(rangeMin, a, v4 ? 4 : 16);
  memory.copy(rangeMax, rangeMin, 16);
}

// nf_nat_alloc_null_binding: the connection keeps its addresses (the
// reply's, should a manipulation have changed them), and gets another
// port only if its own is taken.
export function nullBinding(e: usize, manip: i32): bool {
  rangeFlags = NatFlags.MapIps;
  protoMin = 0;
  protoMax = 0;
  rangeToAddress(manip == MANIP_SRC ? ctt.dstOf(e, 1) : ctt.srcOf(e, 1), alen(e) == 4);
  return setupInfo(e, manip) == Verdict.Accept;
}

@inline function reg(word: u32): usize {
  return regs + (<usize>word << 2);
}

// The ports of the statement: proto_max defaults to proto_min.
function rangeProto(words: u32): void {
  const pmin = (words >> 16) & 0xff;
  const pmax = words >> 24;
  if (pmin == 0) {
    protoMin = 0;
    protoMax = 0;
    return;
  }
  rangeFlags |= NatFlags.ProtoSpecified;
  protoMin = load<u16>(reg(pmin));
  protoMax = load<u16>(reg(pmax != 0 ? pmax : pmin));
}

// nft_nat_setup_netmap: the packet's address with the range's prefix.
function netmap(v4: bool, manip: i32): void {
  const from = manip == MANIP_SRC ? pkt.saddr : pkt.daddr;
  const n: usize = v4 ? 1 : 4;
  for (let i: usize = 0; i < n; i++) {
    const lo = load<u32>(rangeMin + (i << 2));
    const mask = ~(lo ^ load<u32>(rangeMax + (i << 2)));
    const w = (load<u32>(from + (i << 2)) & ~mask) | (lo & mask);
    store<u32>(rangeMin + (i << 2), w);
  }
  memory.copy(rangeMax, rangeMin, 16);
}

// The address masquerade (the output device's) or redirect (the input
// device's, loopback for what the host sends) takes, or 0 when the device
// has none.
function deviceAddress(type: u32, v4: bool): usize {
  if (type == NatType.Redirect && hook == Hook.Output) {
    if (v4) {
      store<u32>(loopback6, 0x0100007f);
    } else {
      memory.fill(loopback6, 0, 16);
      store<u8>(loopback6 + 15, 1);
    }
    return loopback6;
  }
  const d = type == NatType.Masquerade ? dev.outputEntry() : dev.inputEntry();
  if (d == 0 || (load<u8>(d + DeviceEntry.Has) & (v4 ? 1 : 2)) == 0) return 0;
  return d + (v4 ? DeviceEntry.Addr4 : DeviceEntry.Addr6);
}

// The nat statement (nft_nat, nft_masq, nft_redir): makes the binding and
// ends the chain with its verdict; in an inet chain, a statement for the
// other family does nothing.
export function evalNat(ins: usize): i32 {
  const h = load<u32>(ins);
  const type = (h >> 16) & 0xff;
  const family = h >> 24;
  const words = load<u32>(ins + 4);
  const e = ctt.ct;
  if (e == 0) return Verdict.Continue;
  const v4 = pkt.nfproto == pkt.NFPROTO_IPV4;
  if (family != 1 && family != <u32>pkt.nfproto) return Verdict.Continue;
  rangeFlags = load<u32>(ins + 8);
  if (type == NatType.Snat || type == NatType.Dnat) {
    const manip = type == NatType.Snat ? MANIP_SRC : MANIP_DST;
    const amin = words & 0xff;
    if (amin != 0) {
      const amax = (words >> 8) & 0xff;
      memory.fill(rangeMin, 0, 16);
      memory.fill(rangeMax, 0, 16);
      memory.copy(rangeMin, reg(amin), v4 ? 4 : 16);
      memory.copy(rangeMax, reg(amax != 0 ? amax : amin), v4 ? 4 : 16);
      rangeFlags |= NatFlags.MapIps;
      if (rangeFlags & NatFlags.Netmap) netmap(v4, manip);
    }
    rangeProto(words);
    return setupInfo(e, manip);
  }
  // A locally generated packet from 0.0.0.0 is not masqueraded.
  if (type == NatType.Masquerade && v4 && load<u32>(e + CtEntry.OrigTuple + Tuple.Src) == 0) return Verdict.Accept;
  const a = deviceAddress(type, v4);
  if (a == 0) return Verdict.Drop;
  rangeToAddress(a, v4);
  rangeFlags |= NatFlags.MapIps;
  rangeProto(words);
  return setupInfo(e, type == NatType.Masquerade ? MANIP_SRC : MANIP_DST);
}

// Checksum arithmetic as the kernel's csum_add, csum_fold and
// inet_proto_csum_replace*: a finished checksum is updated by the change
// of the words it covers; one left to offload (partial) holds the
// pseudo-header sum, which only an address change moves.
@inline function csumAdd(a: u32, b: u32): u32 {
  const r = a + b;
  return r + (r < b ? 1 : 0);
}

@inline function csumFold(x: u32): u16 {
  x = (x & 0xffff) + (x >> 16);
  x = (x & 0xffff) + (x >> 16);
  return <u16>~x;
}

function replaceWords(field: usize, from: usize, to: usize, n: usize, partial: bool, pseudo: bool): void {
  if (partial && !pseudo) return;
  let acc: u32 = partial ? <u32>load<u16>(field) : ~<u32>load<u16>(field);
  for (let i: usize = 0; i < n; i++) acc = csumAdd(acc, ~load<u32>(from + (i << 2)));
  for (let i: usize = 0; i < n; i++) acc = csumAdd(acc, load<u32>(to + (i << 2)));
  const f = csumFold(acc);
  store<u16>(field, partial ? ~f : f);
}

function replace2(field: usize, from: u16, to: u16, partial: bool): void {
  if (partial) return;
  const acc = csumAdd(csumAdd(~<u32>load<u16>(field), ~<u32>from), <u32>to);
  store<u16>(field, csumFold(acc));
}

const ICMP_ECHOREPLY: u8 = 0;
const ICMP_REDIRECT: u8 = 5;
const ICMP_ECHO: u8 = 8;
const ICMPV6_ECHO_REQUEST: u8 = 128;
const ICMPV6_ECHO_REPLY: u8 = 129;

// Echo, timestamp, information and address mask requests and replies:
// the ICMP messages whose id NAT rewrites.
@inline function icmpQuery(type: u8): bool {
  return type == ICMP_ECHOREPLY || type == ICMP_ECHO || (type >= 13 && type <= 18);
}

// nf_nat_ipv4_manip_pkt / nf_nat_ipv6_manip_pkt on the IP header at ip
// whose transport header is at hdr (0: none to change), the packet
// ending at end: the transport part first (its checksum over the old
// address), then the address. False when the header is too short to
// rewrite, which the kernel drops.
function manipIp(ip: usize, hdr: usize, end: usize, v6: bool, l4: u8, t: usize, manip: i32, partial: bool): bool {
  const addr = ip + (v6 ? (manip == MANIP_SRC ? 8 : 24) : (manip == MANIP_SRC ? 12 : 16));
  const to = t + (manip == MANIP_SRC ? <usize>Tuple.Src : <usize>Tuple.Dst);
  const words: usize = v6 ? 4 : 1;
  if (hdr != 0) {
    const avail: usize = end > hdr ? end - hdr : 0;
    if (l4 == pkt.IPPROTO_TCP || l4 == IPPROTO_SCTP || l4 == IPPROTO_DCCP) {
      if (avail < 8) return false;
      const portAt = hdr + (manip == MANIP_SRC ? 0 : 2);
      const old = load<u16>(portAt);
      const now = load<u16>(t + (manip == MANIP_SRC ? <usize>Tuple.SrcPort : <usize>Tuple.DstPort));
      store<u16>(portAt, now);
      if (l4 == pkt.IPPROTO_TCP && avail >= 20) {
        replaceWords(hdr + 16, addr, to, words, partial, true);
        replace2(hdr + 16, old, now, partial);
      } else if (l4 == IPPROTO_SCTP && avail >= 12 && !partial) {
        store<u32>(hdr + 8, sctpChecksum(hdr, avail));
      }
    } else if (l4 == pkt.IPPROTO_UDP || l4 == pkt.IPPROTO_UDPLITE) {
      if (avail < 8) return false;
      const portAt = hdr + (manip == MANIP_SRC ? 0 : 2);
      const old = load<u16>(portAt);
      const now = load<u16>(t + (manip == MANIP_SRC ? <usize>Tuple.SrcPort : <usize>Tuple.DstPort));
      // A UDP datagram without a checksum (zero, IPv4) keeps none.
      if (l4 == pkt.IPPROTO_UDPLITE || load<u16>(hdr + 6) != 0 || partial) {
        replaceWords(hdr + 6, addr, to, words, partial, true);
        replace2(hdr + 6, old, now, partial);
        if (load<u16>(hdr + 6) == 0) store<u16>(hdr + 6, 0xffff);
      }
      store<u16>(portAt, now);
    } else if (l4 == pkt.IPPROTO_ICMP && !v6) {
      if (avail < 8) return false;
      if (icmpQuery(load<u8>(hdr))) {
        const now = load<u16>(t + Tuple.SrcPort);
        replace2(hdr + 2, load<u16>(hdr + 4), now, false);
        store<u16>(hdr + 4, now);
      }
    } else if (l4 == pkt.IPPROTO_ICMPV6 && v6) {
      if (avail < 8) return false;
      replaceWords(hdr + 2, addr, to, 4, false, true);
      const type = load<u8>(hdr);
      if (type == ICMPV6_ECHO_REQUEST || type == ICMPV6_ECHO_REPLY) {
        const now = load<u16>(t + Tuple.SrcPort);
        replace2(hdr + 2, load<u16>(hdr + 4), now, false);
        store<u16>(hdr + 4, now);
      }
    }
  }
  if (!v6) replaceWords(ip + 10, addr, to, 1, false, false);
  memory.copy(addr, to, v6 ? 16 : 4);
  return true;
}

@inline function packetEnd(): usize {
  const end = pkt.net + <usize>pkt.netLen;
  return end < pkt.dataEnd ? end : pkt.dataEnd;
}

// The status bit that says a manipulation applies in direction dir.
function statusBit(manip: i32, dir: u8): i32 {
  const src = (manip == MANIP_SRC) != (dir == 1);
  return src ? CtStatus.Snat : CtStatus.Dnat;
}

// Re-reads the ports the packet now carries.
function reparsePorts(): void {
  const th = pkt.th;
  if (th == 0 || !pkt.captured(th, 8)) return;
  if (isIcmp(pkt.l4proto)) pkt.sport = load<u16>(th + 4);
  else if (hasPorts(pkt.l4proto)) {
    pkt.sport = load<u16>(th);
    pkt.dport = load<u16>(th + 2);
  }
}

// nf_nat_packet: rewrites the packet of direction dir to the binding.
export function natPacket(e: usize, dir: u8, manip: i32): bool {
  if (!ctt.hasStatus(e, statusBit(manip, dir))) return true;
  invertInto(target, e, dir ^ 1);
  const l4 = load<u8>(e + CtEntry.L4proto);
  const partial = (l4 == pkt.IPPROTO_TCP || l4 == pkt.IPPROTO_UDP) && offloadPending(l4, l4 == pkt.IPPROTO_TCP ? 16 : 6);
  const v6 = pkt.nfproto == pkt.NFPROTO_IPV6;
  const hdr = pkt.th;
  if (!manipIp(pkt.net, hdr, packetEnd(), v6, l4, target, manip, partial)) return false;
  reparsePorts();
  rerouted(manip);
  return true;
}

// What the host sent through NAT is captured as it left, translated: a
// packet that no connection knows, whose tuple turned around is the
// original of a connection NAT bound, is that connection's reply as the
// host's socket sent it before NAT (a redirected connection's answer).
// It is turned back into that, so that it meets conntrack and NAT as it
// did; postrouting translates it again.
export function untranslateSent(): bool {
  if (!natActive(pkt.nfproto == pkt.NFPROTO_IPV4 ? 0 : 1) || !hasPorts(pkt.l4proto) || pkt.th == 0 || !pkt.captured(pkt.th, 8)) return false;
  ctt.keyFromPacket(0, false);
  const k = ctt.keyPtr();
  if (ctt.findEntry(k) != 0) return false;
  store<u32>(usedKey, load<u32>(k));
  copyAddr(usedKey + 4 + Tuple.Src, k + 4 + Tuple.Dst);
  copyAddr(usedKey + 4 + Tuple.Dst, k + 4 + Tuple.Src);
  store<u16>(usedKey + 4 + Tuple.SrcPort, load<u16>(k + 4 + Tuple.DstPort));
  store<u16>(usedKey + 4 + Tuple.DstPort, load<u16>(k + 4 + Tuple.SrcPort));
  const e = ctt.findEntry(usedKey);
  if (e == 0 || memory.compare(e + CtEntry.OrigTuple, usedKey + 4, Tuple.Size) != 0) return false;
  if (!ctt.hasStatus(e, CtStatus.Dnat) && !ctt.hasStatus(e, CtStatus.Snat)) return false;
  tupleInto(target, e, 1);
  const l4 = pkt.l4proto;
  const partial = (l4 == pkt.IPPROTO_TCP || l4 == pkt.IPPROTO_UDP) && offloadPending(l4, l4 == pkt.IPPROTO_TCP ? 16 : 6);
  const v6 = pkt.nfproto == pkt.NFPROTO_IPV6;
  if (!manipIp(pkt.net, pkt.th, packetEnd(), v6, l4, target, MANIP_SRC, partial)) return false;
  if (!manipIp(pkt.net, pkt.th, packetEnd(), v6, l4, target, MANIP_DST, partial)) return false;
  reparsePorts();
  return true;
}

// Whether the packet is an ICMP message of its own family, which for a
// related connection nf_nat hands to nf_nat_icmp_reply_translation.
export function relatedIcmp(): bool {
  return pkt.th != 0 && pkt.l4proto == (pkt.nfproto == pkt.NFPROTO_IPV6 ? pkt.IPPROTO_ICMPV6 : pkt.IPPROTO_ICMP);
}

// nf_nat_icmp_reply_translation (and its IPv6 twin): the packet the error
// quotes belongs to the other direction of the connection; it is
// translated as that direction's packets are, the error's checksum made
// anew, then the outer header turned to the reply to it.
export function icmpReplyTranslation(e: usize, dir: u8, manip: i32): bool {
  const v6 = pkt.nfproto == pkt.NFPROTO_IPV6;
  const th = pkt.th;
  const end = packetEnd();
  if (!pkt.captured(th, 8 + (v6 ? 40 : 20))) return false;
  const status = load<u32>(e + CtEntry.Status);
  if (!v6 && load<u8>(th) == ICMP_REDIRECT) {
    const done = (<u32>1 << CtStatus.SrcNatDone) | (<u32>1 << CtStatus.DstNatDone);
    if ((status & done) != done) return false;
    if ((status & ((<u32>1 << CtStatus.Snat) | (<u32>1 << CtStatus.Dnat))) != 0) return false;
  }
  if (!ctt.hasStatus(e, statusBit(manip, dir))) return true;
  const inner = th + 8;
  const l4 = load<u8>(e + CtEntry.L4proto);
  let innerHdr: usize = 0;
  if (!v6) {
    innerHdr = inner + (<usize>(load<u8>(inner) & 15) << 2);
  } else {
    innerHdr = pkt.skipIpv6Extensions(inner + 40, load<u8>(inner + 6), end);
    if (innerHdr != 0 && pkt.fragmentHeader != 0 && (bswap<u16>(load<u16>(pkt.fragmentHeader + 2)) & 0xfff8) != 0) innerHdr = 0;
  }
  // The quoted packet travelled in the other direction, and becomes what
  // that direction's tuple says.
  tupleInto(target, e, dir ^ 1);
  if (!manipIp(inner, innerHdr, end, v6, l4, target, manip ^ 1, false)) return false;
  const len = <u32>(end - th);
  if (pkt.captured(th, pkt.l4Len) && len == pkt.l4Len) {
    store<u16>(th + 2, 0);
    const sum = bytesSum(th, len) + (v6 ? pseudoHeaderFolded(pkt.IPPROTO_ICMPV6, len) : 0);
    store<u16>(th + 2, csumFold(sum));
  }
  invertInto(target, e, dir ^ 1);
  if (!manipIp(pkt.net, th, end, v6, v6 ? pkt.IPPROTO_ICMPV6 : pkt.IPPROTO_ICMP, target, manip, false)) return false;
  rerouted(manip);
  return true;
}

// A new destination is routed anew.
function rerouted(manip: i32): void {
  if (manip != MANIP_DST) return;
  destinationChanged = true;
  dev.reroute();
}

export function resetPacketNat(): void {
  destinationChanged = false;
}
