// The connection tracking table: entries in linear memory (layout in
// abi.ts CtEntry, docs/conntrack.md) and an open-addressing hash index over
// both tuples of every entry.
//
// The table grows with use, as the kernel allocates its entries one by one:
// the entry arrays double when every slot is taken (up to nf_conntrack_max,
// without limit when it is 0), the index doubles with the count, and the
// extension records of an entry are written only when a feature needs
// them. Entries are handed out from the low end, so the touched pages stay
// few enough to stay in the caches.
//
// A packet that starts a connection gets a pending entry, built in the slot
// it will keep but not in the index nor in use; it is inserted only when the
// packet is accepted at the last hook, as the kernel confirms its
// unconfirmed entries, and its slot goes back to the free ones otherwise.
import { CtAcct, CtEntry, CtExt, CtExtension, CtNat, CtStat, CtStateBit, CtStatus, Tunable, Tuple } from './abi';
import * as pkt from './packet';
import { tunable } from './config';
import * as rs from './ruleset';

export const ENTRY_SIZE: usize = CtEntry.Size;
const EXT_SIZE: usize = CtExt.Size;
const ACCT_SIZE: usize = CtAcct.Size;
const NAT_SIZE: usize = CtNat.Size;
// A tuple key: l3proto, l4proto, zone (u16), then the tuple.
const KEY_SIZE: usize = 4 + <usize>Tuple.Size;
const EMPTY: u32 = 0;
const NS_PER_SEC: u64 = 1000000000;

export let entries: usize = 0;
// Extension records, one of each kind per entry slot, valid where the
// entry's Extensions bits say.
export let exts: usize = 0;
export let accts: usize = 0;
export let nats: usize = 0;
// The index hashes of each slot's two tuples (u32 each, original then
// reply), so that removing an entry finds its slots without hashing again.
let tupleHashes: usize = 0;
// Read in place of an extension an entry does not have: all zeros.
let noExtension: usize = 0;
// The CtExtension bits any entry has had: growth copies only the arrays of
// those, so that the pages of an extension nothing uses are never touched.
let extensionsUsed: u8 = 0;
// nf_conntrack_max; 0: no limit.
export let capacity: u32 = 0;
// Slots of the entry arrays.
export let allocated: u32 = 0;
export let count: u32 = 0;
// Where the entry arrays are now (u32 each: entries, misc extensions,
// accounting, NAT), for the host and the threads of a sharded run to read.
export let regionsAt: usize = 0;
// u32 in memory, so that the host (and the threads of a sharded run) can
// read it: slots below it have been used, those above never.
export let highWaterAt: usize = 0;
let slots: usize = 0;
let slotMask: u32 = 0;
// A tuple's home slot is the top bits of its hash, so that the index keeps
// tuples in the order of their hashes, as the kernel's buckets do.
let slotShift: u32 = 0;
// Indices of released entries, reused before new ones (they are the warm
// ones).
let freeList: usize = 0;
let freeCount: u32 = 0;
// The entry of a connection that is not confirmed yet, or 0. A packet that
// lost it still holds it: pendingHeld says whether its slot is still taken.
export let pending: usize = 0;
let pendingHeld = false;
let nextId: u32 = 1;
let key: usize = 0;
// The hash of the key as lookupKey last hashed it: a new entry's original
// tuple is that key, so confirmation and early drop need not hash it again.
let keyHash: u32 = 0;

// The current packet's conntrack view.
export let ct: usize = 0;
export let ctDir: u8 = 0;
export let ctState: u32 = CtStateBit.Invalid;
export let now: u64 = 0;
export let stats: usize = 0;

// What other modules do when an entry enters the table (NAT indexes its
// source), when it leaves it (conntrack events report it, expectations die
// with their master) and when the entry arrays move: they register here, so
// that this module depends on none of them.
export type EntryHook = (e: usize, idx: u32) => void;
export type GrowHook = (old: u32, n: u32) => void;
const MAX_HOOKS = 4;
const confirmHooks = new StaticArray<EntryHook>(MAX_HOOKS);
let confirmHookCount = 0;
const destroyHooks = new StaticArray<EntryHook>(MAX_HOOKS);
let destroyHookCount = 0;
const growHooks = new StaticArray<GrowHook>(MAX_HOOKS);
let growHookCount = 0;

export function onConfirm(hook: EntryHook): void {
  unchecked(confirmHooks[confirmHookCount++] = hook);
}

export function onDestroy(hook: EntryHook): void {
  unchecked(destroyHooks[destroyHookCount++] = hook);
}

// bytesPerSlot: what the hook allocates for each slot of the grown arrays,
// so that a growth is attempted only when all of it fits.
export function onGrow(hook: GrowHook, bytesPerSlot: u32): void {
  unchecked(growHooks[growHookCount++] = hook);
  growHookBytes += bytesPerSlot;
}

@inline function stat(s: CtStat): void {
  const p = stats + (<usize>s << 3);
  store<u64>(p, load<u64>(p) + 1);
}

// The stub allocator hands out memory never used before, which is zero: new
// arrays are not filled, so that only the pages entries reach are faulted in.
export function conntrackInit(max: u32): void {
  capacity = max;
  allocated = 0;
  count = 0;
  extensionsUsed = 0;
  regionsAt = heap.alloc(16);
  noExtension = heap.alloc(EXT_SIZE > ACCT_SIZE ? EXT_SIZE : ACCT_SIZE);
  allocateEntries(max != 0 && max < INITIAL_ENTRIES ? max : INITIAL_ENTRIES);
  slots = heap.alloc(<usize>MIN_SLOTS * 8);
  slotMask = MIN_SLOTS - 1;
  slotShift = 32 - MIN_SLOTS_BITS;
  freeCount = 0;
  highWaterAt = heap.alloc(4);
  count = 0;
  key = heap.alloc(KEY_SIZE);
  rejected = heap.alloc(ENTRY_SIZE);
  confirmHookCount = 0;
  destroyHookCount = 0;
  growHookCount = 0;
  growHookBytes = 0;
  cannotGrow = false;
  stats = heap.alloc(<usize>CtStat.Count * 8);
  memory.fill(stats, 0, <usize>CtStat.Count * 8);
}

// The index starts this small and doubles as entries come (two tuples per
// entry, past a load of three quarters: probes stay within a line or two).
const MIN_SLOTS_BITS: u32 = 10;
const MIN_SLOTS: u32 = 1 << MIN_SLOTS_BITS;
// The entry arrays start this small, or at nf_conntrack_max if lower.
const INITIAL_ENTRIES: u32 = 1024;
// The stub runtime allocates less than 1 GiB at once; wasm32 addresses 4 GiB.
const MAX_ALLOCATION: u64 = (1 << 30) - 64;
// The most entry slots: the entries array is the largest allocation.
const MAX_ENTRY_SLOTS: u64 = (MAX_ALLOCATION - 63) / <u64>ENTRY_SIZE;
const ADDRESS_SPACE: u64 = <u64>1 << 32;
// Left free above a growth for what else allocates (sets, buffers).
const HEADROOM: u64 = 1 << 20;
// Bytes of the entry arrays per slot: entry, extensions, free list, hashes.
const SLOT_BYTES: u64 = <u64>(ENTRY_SIZE + EXT_SIZE + ACCT_SIZE + NAT_SIZE + 4 + 8);
// The block headers and alignment of the entry arrays.
const ARRAYS_OVERHEAD: u64 = 256;
// The jump to nf_conntrack_buckets slots stops at the kernel's default
// bucket count for hosts of 4 GiB and more: a bucket count in the millions
// does not make the 1025th entry take a gigabyte.
const BUCKET_JUMP_MAX: u64 = 262144;
let growHookBytes: u64 = 0;
// Set when the entry arrays could not grow by a single slot: memory never
// comes back, so later packets do not try again.
let cannotGrow = false;

// Where the next allocation starts (the stub runtime takes back its last
// block when it is freed).
function heapTop(): u64 {
  const probe = heap.alloc(16);
  heap.free(probe);
  return <u64>probe;
}

// Grows the memory now to hold `bytes` more above everything allocated. The
// stub runtime traps when memory.grow fails, at 4 GiB or at the maximum the
// host gave the memory; this says false instead, as the kernel's
// allocation of an entry fails.
function reserve(bytes: u64): bool {
  const end = heapTop() + bytes + HEADROOM;
  if (end > ADDRESS_SPACE) return false;
  const pages = <i32>((end + 0xffff) >> 16);
  const have = memory.size();
  return pages <= have || memory.grow(pages - have) >= 0;
}

// Entry arrays of n slots, the old ones' contents moved over. The old
// arrays are left behind: the stub runtime frees nothing, and doubling keeps
// what is left behind below what is used.
function allocateEntries(n: u32): bool {
  if (<u64>n > MAX_ENTRY_SLOTS) return false;
  if (!reserve(<u64>n * (SLOT_BYTES + growHookBytes) + ARRAYS_OVERHEAD)) return false;
  const old = allocated;
  const oldEntries = entries;
  const oldExts = exts;
  const oldAccts = accts;
  const oldNats = nats;
  const oldFree = freeList;
  const oldHashes = tupleHashes;
  // On cache-line boundaries, so that an entry is two lines, not three.
  entries = (heap.alloc(<usize>n * ENTRY_SIZE + 63) + 63) & ~<usize>63;
  exts = heap.alloc(<usize>n * EXT_SIZE);
  accts = heap.alloc(<usize>n * ACCT_SIZE);
  nats = heap.alloc(<usize>n * NAT_SIZE);
  freeList = heap.alloc(<usize>n * 4);
  tupleHashes = heap.alloc(<usize>n * 8);
  allocated = n;
  if (old != 0) {
    const used = <usize>highWater();
    memory.copy(entries, oldEntries, used * ENTRY_SIZE);
    if (extensionsUsed & <u8>CtExtension.Misc) memory.copy(exts, oldExts, used * EXT_SIZE);
    if (extensionsUsed & <u8>CtExtension.Acct) memory.copy(accts, oldAccts, used * ACCT_SIZE);
    if (extensionsUsed & <u8>CtExtension.Nat) memory.copy(nats, oldNats, used * NAT_SIZE);
    memory.copy(freeList, oldFree, <usize>freeCount * 4);
    memory.copy(tupleHashes, oldHashes, used * 8);
    const oldEnd = oldEntries + <usize>old * ENTRY_SIZE;
    if (ct >= oldEntries && ct < oldEnd) ct = entries + (ct - oldEntries);
    if (pending != 0) pending = entries + (pending - oldEntries);
    for (let i = 0; i < growHookCount; i++) unchecked(growHooks[i])(old, n);
  }
  store<u32>(regionsAt, <u32>entries);
  store<u32>(regionsAt + 4, <u32>exts);
  store<u32>(regionsAt + 8, <u32>accts);
  store<u32>(regionsAt + 12, <u32>nats);
  return true;
}

// Room for one more entry in the arrays: they double, up to the maximum.
// The first growth goes to the size of the kernel's hash table
// (nf_conntrack_buckets, up to BUCKET_JUMP_MAX) at once: that is memory whose
// pages are faulted in only as entries reach them, and a table of that size
// then never moves nor leaves old arrays behind. When doubling no longer
// fits, the arrays take what still does, down to one slot more.
function growEntries(): bool {
  if (cannotGrow) return false;
  const doubled = <u64>allocated * 2;
  let buckets = <u64>tunable(Tunable.Buckets);
  if (buckets > BUCKET_JUMP_MAX) buckets = BUCKET_JUMP_MAX;
  if (buckets > doubled && growTo(buckets)) return true;
  let n = doubled;
  if (capacity != 0 && n > <u64>capacity) n = <u64>capacity;
  if (n > MAX_ENTRY_SLOTS) n = MAX_ENTRY_SLOTS;
  while (n > <u64>allocated) {
    if (allocateEntries(<u32>n)) return true;
    n = <u64>allocated + ((n - <u64>allocated) >> 1);
  }
  cannotGrow = true;
  return false;
}

function growTo(want: u64): bool {
  let n = want;
  if (capacity != 0 && n > <u64>capacity) n = <u64>capacity;
  return n > <u64>allocated && allocateEntries(<u32>n);
}

@inline export function highWater(): u32 {
  return load<u32>(highWaterAt);
}

@inline export function entryAt(i: u32): usize {
  return entries + <usize>i * ENTRY_SIZE;
}

@inline export function indexOf(e: usize): u32 {
  return <u32>((e - entries) / ENTRY_SIZE);
}

@inline export function hasExtension(e: usize, x: CtExtension): bool {
  return (load<u8>(e + CtEntry.Extensions) & <u8>x) != 0;
}

// The record of extension x of entry e, added (zeroed) if e has none yet.
function extension(e: usize, x: CtExtension, base: usize, size: usize): usize {
  const r = base + <usize>indexOf(e) * size;
  if (!hasExtension(e, x)) {
    memory.fill(r, 0, size);
    store<u8>(e + CtEntry.Extensions, load<u8>(e + CtEntry.Extensions) | <u8>x);
    extensionsUsed |= <u8>x;
  }
  return r;
}

// The misc extension of an entry (the pending one included), to write.
export function extOf(e: usize): usize {
  return extension(e, CtExtension.Misc, exts, EXT_SIZE);
}

// The misc extension of an entry to read: zeros when it has none.
@inline export function extRead(e: usize): usize {
  return hasExtension(e, CtExtension.Misc) ? exts + <usize>indexOf(e) * EXT_SIZE : noExtension;
}

@inline export function acctRead(e: usize): usize {
  return hasExtension(e, CtExtension.Acct) ? accts + <usize>indexOf(e) * ACCT_SIZE : noExtension;
}

// The NAT record of an entry (the pending one included), to write: its
// reply addresses start as the original's swapped.
export function natOf(e: usize): usize {
  const r = nats + <usize>indexOf(e) * NAT_SIZE;
  if (!hasExtension(e, CtExtension.Nat)) {
    memory.copy(r + CtNat.ReplySrc, e + CtEntry.OrigTuple + Tuple.Dst, 16);
    memory.copy(r + CtNat.ReplyDst, e + CtEntry.OrigTuple + Tuple.Src, 16);
    store<u8>(e + CtEntry.Extensions, load<u8>(e + CtEntry.Extensions) | <u8>CtExtension.Nat);
    extensionsUsed |= <u8>CtExtension.Nat;
  }
  return r;
}

// The tuple of a direction: the reply's addresses are the original's
// swapped unless NAT changed them, its ports kept apart (an ICMP reply's
// type is not a swap). Only the reply direction pays for the NAT check.
@inline export function srcOf(e: usize, dir: u8): usize {
  if (dir && hasExtension(e, CtExtension.Nat)) return nats + <usize>indexOf(e) * NAT_SIZE + CtNat.ReplySrc;
  return e + <usize>CtEntry.OrigTuple + (dir ? <usize>Tuple.Dst : <usize>Tuple.Src);
}

@inline export function dstOf(e: usize, dir: u8): usize {
  if (dir && hasExtension(e, CtExtension.Nat)) return nats + <usize>indexOf(e) * NAT_SIZE + CtNat.ReplyDst;
  return e + <usize>CtEntry.OrigTuple + (dir ? <usize>Tuple.Src : <usize>Tuple.Dst);
}

// The u16 source port (or ICMP id), then the u16 destination port (or ICMP
// type and code), as in Tuple.
@inline export function portsOf(e: usize, dir: u8): usize {
  return e + (dir ? <usize>CtEntry.ReplyPorts : <usize>CtEntry.OrigTuple + <usize>Tuple.SrcPort);
}

// The index is keyed with a secret, as the kernel keys its table with a
// random one (siphash with nf_conntrack_hash_rnd): tuples crafted to share
// a slot under one key scatter under another, so that probes stay short
// whatever the traffic. The host sets it once, before the first packet.
let sipK0: u64 = 0;
let sipK1: u64 = 0;

export function setHashKey(k0: u64, k1: u64): void {
  sipK0 = k0;
  sipK1 = k1;
}

// SipHash-1-3 of the key's 64-bit words. An IPv4 key is zero but for its
// first word, the high half of its third (the destination address) and of
// its fifth (the ports), so it goes in as two words: its first, and the
// other two halves together.
export function hashKey(k: usize): u32 {
  let v0: u64 = sipK0 ^ 0x736f6d6570736575;
  let v1: u64 = sipK1 ^ 0x646f72616e646f6d;
  let v2: u64 = sipK0 ^ 0x6c7967656e657261;
  let v3: u64 = sipK1 ^ 0x7465646279746573;
  const v4 = load<u8>(k) == pkt.NFPROTO_IPV4;
  const words: u32 = v4 ? 2 : <u32>(KEY_SIZE >> 3);
  const last: u64 = <u64>(words << 3) << 56;
  for (let i: u32 = 0; i <= words; i++) {
    let m: u64;
    if (i == words) m = last;
    else if (v4 && i == 1) m = load<u64>(k + 16) | (load<u64>(k + 32) >> 32);
    else m = load<u64>(k + (<usize>i << 3));
    v3 ^= m;
    v0 += v1; v1 = rotl<u64>(v1, 13); v1 ^= v0; v0 = rotl<u64>(v0, 32);
    v2 += v3; v3 = rotl<u64>(v3, 16); v3 ^= v2;
    v0 += v3; v3 = rotl<u64>(v3, 21); v3 ^= v0;
    v2 += v1; v1 = rotl<u64>(v1, 17); v1 ^= v2; v2 = rotl<u64>(v2, 32);
    v0 ^= m;
  }
  v2 ^= 0xff;
  for (let i = 0; i < 3; i++) {
    v0 += v1; v1 = rotl<u64>(v1, 13); v1 ^= v0; v0 = rotl<u64>(v0, 32);
    v2 += v3; v3 = rotl<u64>(v3, 16); v3 ^= v2;
    v0 += v3; v3 = rotl<u64>(v3, 21); v3 ^= v0;
    v2 += v1; v1 = rotl<u64>(v1, 17); v1 ^= v2; v2 = rotl<u64>(v2, 32);
  }
  const h = v0 ^ v1 ^ v2 ^ v3;
  return <u32>(h ^ (h >> 32));
}

// The zone a direction of the entry is looked up in (nf_ct_zone_id): its
// zone, unless the zone was set for the other direction only.
@inline export function zoneFor(e: usize, dir: u8): u16 {
  const dirs = load<u8>(e + CtEntry.ZoneDirections);
  return dirs == 0 || (dirs & (<u8>1 << dir)) != 0 ? load<u16>(e + CtEntry.Zone) : 0;
}

export function writeKey(k: usize, e: usize, dir: u8): void {
  store<u8>(k, load<u8>(e + CtEntry.L3proto));
  store<u8>(k + 1, load<u8>(e + CtEntry.L4proto));
  store<u16>(k + 2, zoneFor(e, dir));
  memory.copy(k + 4 + Tuple.Src, srcOf(e, dir), 16);
  memory.copy(k + 4 + Tuple.Dst, dstOf(e, dir), 16);
  store<u32>(k + 4 + Tuple.SrcPort, load<u32>(portsOf(e, dir)));
}

// Word compares: memory.compare goes byte by byte when the two sides are
// aligned differently, as the key and the original tuple are.
@inline function keyEquals(k: usize, e: usize, dir: u8): bool {
  if (load<u8>(k) != load<u8>(e + CtEntry.L3proto)) return false;
  if (load<u8>(k + 1) != load<u8>(e + CtEntry.L4proto)) return false;
  if (load<u16>(k + 2) != zoneFor(e, dir)) return false;
  const a = k + 4;
  const src = srcOf(e, dir);
  const dst = dstOf(e, dir);
  const diff = (load<u64>(a) ^ load<u64>(src)) | (load<u64>(a + 8) ^ load<u64>(src + 8)) | (load<u64>(a + 16) ^ load<u64>(dst)) |
    (load<u64>(a + 24) ^ load<u64>(dst + 8)) | <u64>(load<u32>(a + 32) ^ load<u32>(portsOf(e, dir)));
  return diff == 0;
}

@inline function home(h: u32): u32 {
  return h >> slotShift;
}

// Where the index looks first for a tuple of hash h.
@inline export function slotAt(h: u32): usize {
  return slots + (<usize>home(h) << 3);
}

// The reference in the first slot from h's place that holds hash h, or 0:
// slotFind without comparing keys, for warming.
export function slotPeek(h: u32): u32 {
  let i = home(h);
  while (true) {
    const s = slots + (<usize>i << 3);
    const ref = load<u32>(s + 4);
    if (ref == EMPTY || load<u32>(s) == h) return ref;
    i = (i + 1) & slotMask;
  }
}

// Slots the lookups have looked at, in all: what a flood of colliding
// tuples would make grow faster than the lookups.
export let probes: u64 = 0;

// Slot: u32 hash, u32 reference (entry index << 1 | direction, plus one).
function slotFind(k: usize, h: u32): u32 {
  let i = home(h);
  let steps: u32 = 1;
  while (true) {
    const s = slots + (<usize>i << 3);
    const ref = load<u32>(s + 4);
    if (ref == EMPTY) break;
    if (load<u32>(s) == h) {
      const r = ref - 1;
      if (keyEquals(k, entryAt(r >> 1), <u8>(r & 1))) {
        probes += steps;
        return ref;
      }
    }
    i = (i + 1) & slotMask;
    steps++;
  }
  probes += steps;
  return 0;
}

// Doubles the index into fresh memory, inserting every slot of the old one
// anew: the slot a tuple lands in depends on the index's size. Slots keep
// their tuple's full hash and homes keep the order of the hashes, so both
// sides go through memory in order, without touching an entry: a large
// table grows at the speed of a copy. Returns false when memory ran out.
function growIndex(): bool {
  const old = <usize>slotMask + 1;
  if (<u64>(old << 4) > MAX_ALLOCATION || !reserve(<u64>(old << 4))) return false;
  const from = slots;
  slots = heap.alloc(old << 4);
  slotMask = (slotMask << 1) | 1;
  slotShift--;
  for (let i: usize = 0; i < old; i++) {
    const s = from + (i << 3);
    const ref = load<u32>(s + 4);
    if (ref != EMPTY) slotInsert(load<u32>(s), ref);
  }
  return true;
}

function slotInsert(h: u32, ref: u32): void {
  let i = home(h);
  while (load<u32>(slots + (<usize>i << 3) + 4) != EMPTY) i = (i + 1) & slotMask;
  const s = slots + (<usize>i << 3);
  store<u32>(s, h);
  store<u32>(s + 4, ref);
}

// Removes ref by backward-shift deletion, so probes never meet tombstones.
function slotRemove(h: u32, ref: u32): void {
  let i = home(h);
  while (load<u32>(slots + (<usize>i << 3) + 4) != ref) i = (i + 1) & slotMask;
  let j = i;
  while (true) {
    j = (j + 1) & slotMask;
    const sj = slots + (<usize>j << 3);
    const rj = load<u32>(sj + 4);
    if (rj == EMPTY) break;
    const hj = home(load<u32>(sj));
    // Move j back to i when its home is not cyclically within (i, j].
    if (((j - hj) & slotMask) >= ((j - i) & slotMask)) {
      const si = slots + (<usize>i << 3);
      store<u32>(si, load<u32>(sj));
      store<u32>(si + 4, rj);
      i = j;
    }
  }
  store<u32>(slots + (<usize>i << 3) + 4, EMPTY);
}

function unlinkEntry(idx: u32): void {
  const e = entryAt(idx);
  for (let i = 0; i < destroyHookCount; i++) unchecked(destroyHooks[i])(e, idx);
  const hs = tupleHashes + (<usize>idx << 3);
  slotRemove(load<u32>(hs), (idx << 1) + 1);
  slotRemove(load<u32>(hs + 4), (idx << 1) + 2);
  store<u8>(e + CtEntry.InUse, 0);
  releaseLinks(idx);
  store<u32>(freeList + (<usize>freeCount << 2), idx);
  freeCount++;
  count--;
}

// A removed entry gives back its reference on its master and is forgotten
// by children that outlive it.
function releaseLinks(idx: u32): void {
  const e = entryAt(idx);
  if (!hasExtension(e, CtExtension.Misc)) return;
  const x = extOf(e);
  const m = load<u32>(x + CtExt.Master);
  if (m != 0) {
    const mx = extOf(entryAt(m - 1));
    store<u16>(mx + CtExt.Refs, load<u16>(mx + CtExt.Refs) - 1);
    store<u32>(x + CtExt.Master, 0);
  }
  if (load<u16>(x + CtExt.Refs) != 0) {
    const top = highWater();
    for (let i: u32 = 0; i < top; i++) {
      const c = entryAt(i);
      if (!hasExtension(c, CtExtension.Misc)) continue;
      const cx = extOf(c);
      if (load<u32>(cx + CtExt.Master) == idx + 1) store<u32>(cx + CtExt.Master, 0);
    }
    store<u16>(x + CtExt.Refs, 0);
  }
}

// nf_ct_kill: the entry leaves the table; a packet still holding it sees it
// dying.
export function killEntry(e: usize): void {
  setStatus(e, CtStatus.Dying);
  if (e == pending) {
    if (pendingHeld) discardPending();
    return;
  }
  unlinkEntry(<u32>((e - entries) / ENTRY_SIZE));
}

@inline export function isExpired(e: usize): bool {
  return load<u64>(e + CtEntry.Expires) <= now;
}

// A key and its hash made ahead for the packet (conntrack-warm.ts), or 0;
// and those of the reply tuple a new connection of the packet would have.
let hintKey: usize = 0;
let hintHash: u32 = 0;
let replyHintKey: usize = 0;
let replyHintHash: u32 = 0;

export function setHint(k: usize, h: u32, rk: usize, rh: u32): void {
  hintKey = k;
  hintHash = h;
  replyHintKey = rk;
  replyHintHash = rh;
}

@inline function sameKey(a: usize, b: usize): bool {
  return ((load<u64>(a) ^ load<u64>(b)) | (load<u64>(a + 8) ^ load<u64>(b + 8)) | (load<u64>(a + 16) ^ load<u64>(b + 16)) |
    (load<u64>(a + 24) ^ load<u64>(b + 24)) | (load<u64>(a + 32) ^ load<u64>(b + 32))) == 0;
}

// Looks the current key up; sets ct and ctDir when found (and alive).
export function lookupKey(): bool {
  const h = hintKey != 0 && sameKey(key, hintKey) ? hintHash : hashKey(key);
  keyHash = h;
  const ref = slotFind(key, h);
  if (ref == 0) return false;
  const r = ref - 1;
  const e = entryAt(r >> 1);
  if (isExpired(e)) {
    stat(CtStat.Expired);
    unlinkEntry(r >> 1);
    return false;
  }
  ct = e;
  ctDir = <u8>(r & 1);
  return true;
}

// The live entry one of whose tuples is key k, or 0; the packet's view of
// conntrack is left as it is.
export function findEntry(k: usize): usize {
  const ref = slotFind(k, hashKey(k));
  if (ref == 0) return 0;
  const e = entryAt((ref - 1) >> 1);
  return isExpired(e) ? 0 : e;
}

export const TUPLE_KEY_SIZE: usize = KEY_SIZE;

export function keyPtr(): usize {
  return key;
}

// Fills the key from the packet: the original-direction tuple as it would
// be seen. Ports already hold ICMP fields for ICMP.
export function keyFromPacket(zone: u16, isIcmp: bool): void {
  const l3 = pkt.nfproto;
  store<u8>(key, l3);
  store<u8>(key + 1, pkt.l4proto);
  store<u16>(key + 2, zone);
  // Word stores rather than memory.fill and memory.copy, which are calls.
  const t = key + 4;
  if (l3 == pkt.NFPROTO_IPV4) {
    store<u64>(t + Tuple.Src, <u64>load<u32>(pkt.saddr));
    store<u64>(t + Tuple.Src + 8, 0);
    store<u64>(t + Tuple.Dst, <u64>load<u32>(pkt.daddr));
    store<u64>(t + Tuple.Dst + 8, 0);
  } else {
    store<u64>(t + Tuple.Src, load<u64>(pkt.saddr));
    store<u64>(t + Tuple.Src + 8, load<u64>(pkt.saddr + 8));
    store<u64>(t + Tuple.Dst, load<u64>(pkt.daddr));
    store<u64>(t + Tuple.Dst + 8, load<u64>(pkt.daddr + 8));
  }
  // ICMP of the other family is tracked as a generic protocol, without ports.
  const generic = !isIcmp && (pkt.l4proto == pkt.IPPROTO_ICMP || pkt.l4proto == pkt.IPPROTO_ICMPV6);
  store<u32>(t + Tuple.SrcPort, generic ? 0 : <u32>pkt.sport | (<u32>pkt.dport << 16));
}

// A free slot for a new entry, taken out of the free ones: a released one
// (the warm ones) or one never used. Returns allocated when memory ran out.
function takeSlot(): u32 {
  if (freeCount != 0) {
    freeCount--;
    return load<u32>(freeList + (<usize>freeCount << 2));
  }
  if (highWater() >= allocated && !growEntries()) return allocated;
  const idx = highWater();
  store<u32>(highWaterAt, idx + 1);
  return idx;
}

// The pending entry's slot goes back to the free ones.
function discardPending(): void {
  const idx = indexOf(pending);
  releaseLinks(idx);
  store<u32>(freeList + (<usize>freeCount << 2), idx);
  freeCount++;
  pendingHeld = false;
}

// Starts a pending entry from the key, which lookupKey just missed; reply is
// the inverted tuple, with the reply ICMP type given by the caller. Returns
// 0 when memory ran out, as when the kernel cannot allocate an entry.
export function newPending(replyDport: u16, isIcmp: bool): usize {
  if (!pendingHeld) {
    const idx = takeSlot();
    if (idx == allocated) {
      stat(CtStat.Drop);
      stat(CtStat.OutOfMemory);
      return 0;
    }
    pending = entryAt(idx);
    pendingHeld = true;
  }
  const e = pending;
  memory.fill(e, 0, ENTRY_SIZE);
  store<u8>(e + CtEntry.L3proto, load<u8>(key));
  store<u8>(e + CtEntry.L4proto, load<u8>(key + 1));
  store<u16>(e + CtEntry.Zone, load<u16>(key + 2));
  const o = e + CtEntry.OrigTuple;
  const r = e + CtEntry.ReplyPorts;
  memory.copy(o, key + 4, Tuple.Size);
  if (isIcmp) {
    store<u16>(r, load<u16>(o + Tuple.SrcPort));
    store<u16>(r + 2, replyDport);
  } else {
    store<u16>(r, load<u16>(o + Tuple.DstPort));
    store<u16>(r + 2, load<u16>(o + Tuple.SrcPort));
  }
  store<u32>(tupleHashes + (<usize>indexOf(e) << 3), keyHash);
  ct = e;
  ctDir = 0;
  stat(CtStat.New);
  return e;
}

export function setTimeout(e: usize, seconds: u32): void {
  store<u64>(e + CtEntry.Expires, now + <u64>seconds * NS_PER_SEC);
}

// Per-direction packet and byte counts are kept only when the ruleset asks
// for them (or nf_conntrack_acct is set), as the kernel's acct extension.
export let accounting = false;
// The network-layer length of the current packet, as the kernel's skb->len.
export let packetLength: u32 = 0;

export function account(e: usize, dir: u8): void {
  if (accounting) accountPacket(e, dir, packetLength);
}

// nf_ct_refresh_acct: a new timeout (unless the entry has a fixed one) and
// the packet counted.
export function refresh(e: usize, dir: u8, seconds: u32, acct: bool): void {
  if (!hasStatus(e, CtStatus.FixedTimeout)) setTimeout(e, seconds);
  if (acct) account(e, dir);
}

// The timeout of the state at index i of its protocol's array (nft's
// order, CT_TIMEOUT_STATES) in the ct timeout policy attached to e, or
// dflt when it has none (nf_ct_timeout_lookup).
export function policyTimeout(e: usize, i: u32, dflt: u32): u32 {
  const at = load<u32>(extRead(e) + CtExt.TimeoutPolicy);
  return at == 0 ? dflt : load<u32>(rs.image + <usize>at + 4 + (<usize>i << 2));
}

// Whole seconds left before the entry expires.
export function expiresIn(e: usize): u64 {
  const t = load<u64>(e + CtEntry.Expires);
  return t > now ? (t - now) / NS_PER_SEC : 0;
}

@inline export function setStatus(e: usize, bit: i32): void {
  store<u32>(e + CtEntry.Status, load<u32>(e + CtEntry.Status) | (<u32>1 << bit));
}

@inline export function hasStatus(e: usize, bit: i32): bool {
  return (load<u32>(e + CtEntry.Status) & (<u32>1 << bit)) != 0;
}

// early_drop looks at this many hash buckets from the new tuple's, and
// stops at the first where it could drop something (NF_CT_EVICTION_RANGE).
const EVICTION_RANGE: u32 = 8;
// Unassured entries of one bucket dropped at a time.
const DROP_BATCH: u32 = 64;
let dropScratch: usize = 0;
let lastSweep: u64 = 0;

// Room for a new connection (__nf_conntrack_alloc): when the table holds
// nf_conntrack_max entries, early_drop; expired entries go first (swept at
// most once a second of capture time, standing in for the kernel's
// background garbage collection). Returns false when nothing could go: the
// kernel then drops the packet.
export function makeRoom(): bool {
  if (capacity == 0 || count < capacity) return true;
  // The kernel's garbage collector runs in the background; a sweep per
  // second of capture time stands in for it without a sweep per packet.
  if (now >= lastSweep + NS_PER_SEC) {
    lastSweep = now;
    collectGarbage(now);
    if (count < capacity) return true;
  }
  if (earlyDrop(keyHash)) return true;
  stat(CtStat.Drop);
  return false;
}

// The kernel's hash buckets (nf_conntrack_buckets): bucket b holds the
// tuples whose hash h has (h * buckets) >> 32 == b (reciprocal_scale), a
// range of hashes, which the index keeps together.
function bucketCount(): u64 {
  const b = tunable(Tunable.Buckets);
  return b == 0 ? 1 : <u64>b;
}

@inline function bucketStart(b: u64, n: u64): u64 {
  return ((b << 32) + n - 1) / n;
}

function earlyDrop(h: u32): bool {
  const n = bucketCount();
  let b = (<u64>h * n) >> 32;
  for (let i: u32 = 0; i < EVICTION_RANGE; i++) {
    const drops = dropBucket(bucketStart(b, n), bucketStart(b + 1, n));
    if (drops != 0) {
      for (let d: u32 = 0; d < drops; d++) stat(CtStat.EarlyDrop);
      return true;
    }
    b = b + 1 == n ? 0 : b + 1;
  }
  return false;
}

// early_drop_list over the tuples of hashes [lo, hi): expired entries are
// reaped, unassured ones dropped; returns how many were dropped.
function dropBucket(lo: u64, hi: u64): u32 {
  if (dropScratch == 0) dropScratch = heap.alloc(<usize>DROP_BATCH * 4);
  let drops: u32 = 0;
  while (true) {
    const found = bucketEntries(lo, hi);
    if (found == 0) return drops;
    let progress = false;
    for (let k: u32 = 0; k < found; k++) {
      const idx = load<u32>(dropScratch + (<usize>k << 2));
      const e = entryAt(idx);
      if (!load<u8>(e + CtEntry.InUse)) continue;
      if (isExpired(e)) {
        unlinkEntry(idx);
        progress = true;
      } else if (!hasStatus(e, CtStatus.Assured)) {
        unlinkEntry(idx);
        drops++;
        progress = true;
      }
    }
    // A scan that did not fill the batch saw every candidate of the range
    // (assured live entries stay what they were): early_drop_list's one
    // pass over its bucket, without a second scan to find nothing.
    if (!progress || found < DROP_BATCH) return drops;
  }
}

// The entries (at most DROP_BATCH, each once) with a tuple of hash in
// [lo, hi) that are expired or unassured, into dropScratch; returns how many.
function bucketEntries(lo: u64, hi: u64): u32 {
  if (lo >= hi) return 0;
  const first = home(<u32>lo);
  const last = home(<u32>(hi - 1));
  const span = (last - first) & slotMask;
  let found: u32 = 0;
  let i = first;
  for (let step: u32 = 0; step <= slotMask; step++, i = (i + 1) & slotMask) {
    const s = slots + (<usize>i << 3);
    const ref = load<u32>(s + 4);
    if (ref == EMPTY) {
      // Past the range's last home, an empty slot ends every probe from it.
      if (step >= span) break;
      continue;
    }
    const h = <u64>load<u32>(s);
    if (h < lo || h >= hi) continue;
    const idx = (ref - 1) >> 1;
    const e = entryAt(idx);
    if (hasStatus(e, CtStatus.Assured) && !isExpired(e)) continue;
    let seen = false;
    for (let k: u32 = 0; k < found; k++) if (load<u32>(dropScratch + (<usize>k << 2)) == idx) seen = true;
    if (seen) continue;
    store<u32>(dropScratch + (<usize>found << 2), idx);
    if (++found == DROP_BATCH) break;
  }
  return found;
}

// Inserts the pending entry into the table; makeRoom made sure it fits.
// When it cannot, the packet loses its entry.
export function confirm(): bool {
  // A full index that cannot grow any more takes entries up to a load of
  // seven eighths; past that the connection is refused like one the
  // kernel cannot allocate.
  if (<u64>(count + 1) * 8 > <u64>(slotMask + 1) * 3 && !growIndex() && <u64>(count + 1) * 8 > <u64>(slotMask + 1) * 7) {
    stat(CtStat.Drop);
    stat(CtStat.OutOfMemory);
    discardPending();
    ct = 0;
    return false;
  }
  const e = pending;
  const idx = indexOf(e);
  pending = 0;
  pendingHeld = false;
  store<u8>(e + CtEntry.InUse, 1);
  store<u32>(e + CtEntry.Id, nextId++);
  setStatus(e, CtStatus.Confirmed);
  const hs = tupleHashes + (<usize>idx << 3);
  const origHash = load<u32>(hs);
  writeKey(key, e, 1);
  const replyHash = replyHintKey != 0 && sameKey(key, replyHintKey) ? replyHintHash : hashKey(key);
  store<u32>(hs + 4, replyHash);
  slotInsert(origHash, (idx << 1) + 1);
  slotInsert(replyHash, (idx << 1) + 2);
  count++;
  stat(CtStat.Insert);
  for (let i = 0; i < confirmHookCount; i++) unchecked(confirmHooks[i])(e, idx);
  return true;
}

// The kernel answers a packet `reject` drops (a TCP reset, an ICMP error)
// and attaches the packet's conntrack entry to the answer (nf_ct_attach):
// the answer, which a host's capture shows going out next, is related to
// a connection that never enters the table. The entry is kept aside here
// for it, for a second of capture time.
let rejected: usize = 0;
let rejectedDir: u8 = 0;
let rejectedUntil: u64 = 0;

export function noteRejected(): void {
  if (ct == 0) return;
  memory.copy(rejected, ct, ENTRY_SIZE);
  // Its NAT record stays with the slot it came from: the copy's reply is
  // the swapped original.
  store<u8>(rejected + CtEntry.Extensions, load<u8>(rejected + CtEntry.Extensions) & ~(<u8>CtExtension.Nat));
  rejectedDir = ctDir;
  rejectedUntil = now + NS_PER_SEC;
}

@inline export function rejectedPending(): bool {
  return now < rejectedUntil;
}

// Whether the key is the answer's tuple, the rejected packet's turned
// around; if it is, the answer takes the entry kept aside, once.
export function takeRejected(): bool {
  const dir = rejectedDir ^ 1;
  if (!keyEquals(key, rejected, dir)) return false;
  rejectedUntil = 0;
  ct = rejected;
  ctDir = dir;
  ctState = CtStateBit.Related;
  return true;
}

export function isRejectedCopy(e: usize): bool {
  return e == rejected;
}

export function isPending(e: usize): bool {
  return e != 0 && e == pending;
}

export function countStat(s: CtStat): void {
  stat(s);
}

// The kernel's garbage collector removes expired entries in the background
// (gc_worker), so that conntrack -E reports their DESTROY soon after they
// expire. When events are reported, a pass over the table starts once a
// second of capture time, before a packet, and removes at most `budget`
// entries at a time, going on before the next packets until it has been
// through the table.
let collectAt: u64 = 0;
let collectCursor: u32 = 0;
let collecting = false;

export function collectDue(t: u64, budget: u32): void {
  if (!collecting) {
    if (t < collectAt) return;
    collecting = true;
    collectCursor = 0;
  }
  now = t;
  collectCursor = collectFrom(collectCursor, budget);
  if (collectCursor >= highWater()) {
    collecting = false;
    collectAt = t + NS_PER_SEC;
  }
}

// Removes every entry whose timeout has run out at time t.
export function collectGarbage(t: u64): void {
  now = t;
  collectFrom(0, 0xffffffff);
}

// Removes the expired entries from slot `from` on, at most `budget` of
// them; returns the slot it stopped at.
function collectFrom(from: u32, budget: u32): u32 {
  const top = highWater();
  let i = from;
  let removed: u32 = 0;
  for (; i < top && removed < budget; i++) {
    const e = entryAt(i);
    if (load<u8>(e + CtEntry.InUse) && isExpired(e)) {
      unlinkEntry(i);
      removed++;
    }
  }
  return i;
}

export function accountPacket(e: usize, dir: u8, len: u32): void {
  const base = extension(e, CtExtension.Acct, accts, ACCT_SIZE) + (dir ? <usize>CtAcct.ReplyPackets : <usize>CtAcct.OrigPackets);
  store<u64>(base, load<u64>(base) + 1);
  store<u64>(base + 8, load<u64>(base + 8) + len);
}
