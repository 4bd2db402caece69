// Set and map lookups over the sets of the loaded image. Exact-match sets
// get an open-addressing hash table, built once when the ruleset loads, so a
// lookup costs the same whatever the set's size (a fixed set of a few short
// keys is scanned instead); interval sets are sorted boundaries
// (docs/bytecode.md) found through a direct index built with them
// (assembly/interval-index.ts), to the same end. Concatenations with
// ranges are boxes, one range per field, that may overlap on any one field,
// so they have no single order to bisect: they are scanned, first match in
// the order they were added. Sets rules add to (assembly/dynset.ts) grow
// their hash table; the elements they add carry an expiry time, and
// elements deleted or expired stay in the table as dead ones, found again
// when their key comes back or taken over by a new key on the same path.
import { DYNSET_DEFAULT_SIZE, DynamicElementTail, SetDescriptor, SetElementFlag, SetEntry, SetFlags, SetSlot } from './abi';
import { now } from './conntrack';
import { intervalIndex, lastNotAbove } from './interval-index';

// Per-set descriptor fields (abi.ts).
const D_FLAGS: usize = SetDescriptor.Flags;
const D_KEYLEN: usize = SetDescriptor.KeyLength;
const D_DATALEN: usize = SetDescriptor.DataLength;
const D_COUNT: usize = SetDescriptor.Count;
const D_ELEMENTS: usize = SetDescriptor.Elements;
const D_STRIDE: usize = SetDescriptor.Stride;
const D_TABLE: usize = SetDescriptor.Table;
const D_MASK: usize = SetDescriptor.Mask;
const D_FIELDS: usize = SetDescriptor.Fields;
const D_DATA: usize = SetDescriptor.Data;
const D_LIVE: usize = SetDescriptor.Live;
const D_LIMIT: usize = SetDescriptor.Limit;
const D_OCCUPIED: usize = SetDescriptor.Occupied;
// A fixed set of at most SMALL_SET keys of up to four bytes has no hash
// table: a lookup scans its keys, which costs less than hashing. Here are
// which bits of its word a key fills, then the keys, so masked, in the
// order of the elements.
const D_KEYMASK: usize = SetDescriptor.KeyMask;
const D_KEYS: usize = SetDescriptor.Keys;
const D_CATCHALL: usize = SetDescriptor.CatchAll;
const SMALL_SET: u32 = 8;
const DESC_SIZE: usize = SetDescriptor.Size;

const ELEM_INTERVAL_END: u32 = SetElementFlag.IntervalEnd;
const ELEM_CATCHALL: u32 = SetElementFlag.CatchAll;
export const ELEM_DYNAMIC: u32 = SetElementFlag.Dynamic;
export const ELEM_DELETED: u32 = SetElementFlag.Deleted;
const DYNAMIC_TAIL: usize = DynamicElementTail.Size;

// A hash table slot (SetSlot): the key's hash, then its element, so a
// probe reads an element only when the hashes agree.
const SLOT_HASH: usize = SetSlot.Hash;
const SLOT_ELEMENT: usize = SetSlot.Element;
// SetSlot.Size is 1 << SLOT_SHIFT.
const SLOT_SHIFT: usize = 3;

let descriptors: usize = 0;
let setCount: u32 = 0;
// Declared elements' expiry times are still relative to the first packet.
let expiryPending = false;

@inline function words(len: u32): u32 {
  return (len + 3) >> 2;
}

// Fibonacci hashing a word at a time (keys are padded to words, in the
// elements and in the registers), with the bytes past the key masked off:
// the multiplication by an odd constant carries every bit of a word into
// the top bits, which pick the slot, and the top half is folded down
// before the next word. A one-word key's hash is a one-to-one function of
// it, so for keys of up to four bytes equal hashes are equal keys.
function hashKey(key: usize, len: u32): u32 {
  let h: u32 = 0;
  let i: u32 = 0;
  for (; i + 4 <= len; i += 4) h = (h ^ (h >> 16) ^ load<u32>(key + i)) * 0x9e3779b1;
  if (i < len) h = (h ^ (h >> 16) ^ (load<u32>(key + i) & ((<u32>1 << ((len - i) << 3)) - 1))) * 0x9e3779b1;
  return h;
}

// The slot a hash starts probing at: its top bits, as many as the table
// has (a power of two, `mask` + 1).
@inline function home(h: u32, mask: u32): u32 {
  return h >> clz(mask);
}

@inline function sameKey(slot: usize, h: u32, key: usize, klen: u32): bool {
  return load<u32>(slot + SLOT_HASH) == h && (klen <= 4 || memory.compare(<usize>load<u32>(slot + SLOT_ELEMENT) + 4, key, klen) == 0);
}

// Puts an element in the first empty slot of its probe sequence.
function place(slots: usize, mask: u32, el: usize, klen: u32): void {
  const h = hashKey(el + 4, klen);
  let i = home(h, mask);
  while (load<u32>(slots + (<usize>i << SLOT_SHIFT) + SLOT_ELEMENT) != 0) i = (i + 1) & mask;
  const slot = slots + (<usize>i << SLOT_SHIFT);
  store<u32>(slot + SLOT_HASH, h);
  store<u32>(slot + SLOT_ELEMENT, <u32>el);
}

function newTable(cap: u32): usize {
  const slots = heap.alloc(<usize>cap << SLOT_SHIFT);
  memory.fill(slots, 0, <usize>cap << SLOT_SHIFT);
  return slots;
}

// Builds the lookup structures for the sets of an image whose set table is
// at `table` with `count` entries; element offsets are relative to `image`.
export function setsLoad(image: usize, table: usize, count: u32): void {
  descriptors = heap.alloc(<usize>count * DESC_SIZE + 4);
  setCount = count;
  expiryPending = false;
  for (let i: u32 = 0; i < count; i++) {
    const e = table + <usize>i * (<usize>SetEntry.Words << 2);
    const d = descriptors + <usize>i * DESC_SIZE;
    const klen = load<u32>(e + (<usize>SetEntry.KeyLength << 2));
    const dlen = load<u32>(e + (<usize>SetEntry.DataLength << 2));
    const flags = load<u32>(e + (<usize>SetEntry.Flags << 2));
    const n = load<u32>(e + (<usize>SetEntry.ElementCount << 2));
    const elements = image + load<u32>(e + (<usize>SetEntry.ElementsOffset << 2));
    const concat = (flags & SetFlags.Concat) != 0;
    // Concatenations with ranges hold a last key after the first one.
    const keyWords = concat ? words(klen) * 2 : words(klen);
    const stride: u32 = (1 + keyWords + words(dlen)) << 2;
    store<u32>(d + D_FLAGS, flags);
    store<u32>(d + D_KEYLEN, klen);
    store<u32>(d + D_DATALEN, dlen);
    store<u32>(d + D_COUNT, n);
    store<u32>(d + D_ELEMENTS, <u32>elements);
    store<u32>(d + D_STRIDE, stride);
    store<u32>(d + D_FIELDS, load<u32>(e + (<usize>SetEntry.Fields << 2)));
    store<u32>(d + D_DATA, (1 + keyWords) << 2);
    if (flags & SetFlags.Interval) {
      if (!concat) store<u32>(d + D_TABLE, <u32>intervalIndex(elements, n, stride, klen));
      continue;
    }
    const stateful = (flags & SetFlags.Stateful) != 0;
    if (stateful) expiryPending = true;
    const pitch = <usize>stride + (stateful ? DYNAMIC_TAIL : 0);
    // The catch-all element is kept apart (the compiler puts none in
    // interval sets), found when no other is.
    let catchAll: usize = 0;
    for (let j: u32 = 0; j < n; j++) {
      const el = elements + <usize>j * pitch;
      if (load<u32>(el) & ELEM_CATCHALL) catchAll = el;
    }
    store<u32>(d + D_CATCHALL, <u32>catchAll);
    if ((flags & (SetFlags.Dynamic | SetFlags.Stateful)) == 0 && catchAll == 0 && klen <= 4 && n <= SMALL_SET) {
      const keyMask: u32 = klen == 4 ? 0xffffffff : (<u32>1 << (klen << 3)) - 1;
      store<u32>(d + D_KEYMASK, keyMask);
      store<u32>(d + D_TABLE, 0);
      for (let j: u32 = 0; j < n; j++) store<u32>(d + D_KEYS + (<usize>j << 2), load<u32>(elements + <usize>j * stride + 4) & keyMask);
      continue;
    }
    const size = load<u32>(e + (<usize>SetEntry.Size << 2));
    store<u32>(d + D_LIVE, n);
    store<u32>(d + D_LIMIT, size != 0 ? size : DYNSET_DEFAULT_SIZE);
    store<u32>(d + D_OCCUPIED, n);
    let cap: u32 = (flags & SetFlags.Dynamic) != 0 ? 64 : 4;
    while (cap < n * 2) cap <<= 1;
    const slots = newTable(cap);
    store<u32>(d + D_TABLE, <u32>slots);
    store<u32>(d + D_MASK, cap - 1);
    for (let j: u32 = 0; j < n; j++) {
      const el = elements + <usize>j * pitch;
      if (el != catchAll) place(slots, cap - 1, el, klen);
    }
  }
  if (expiryPending && now != 0) setsClock(now);
}

// The kernel counts a declared element's expiry from when the ruleset
// loads, which is just before the capture starts: from its first packet.
export function setsClock(t: u64): void {
  if (!expiryPending) return;
  expiryPending = false;
  for (let i: u32 = 0; i < setCount; i++) {
    const d = descriptors + <usize>i * DESC_SIZE;
    if ((load<u32>(d + D_FLAGS) & SetFlags.Stateful) == 0) continue;
    const stride = <usize>load<u32>(d + D_STRIDE);
    const elements = <usize>load<u32>(d + D_ELEMENTS);
    const n = load<u32>(d + D_COUNT);
    for (let j: u32 = 0; j < n; j++) {
      const at = elements + <usize>j * (stride + DYNAMIC_TAIL) + stride + DynamicElementTail.Expires;
      const expires = load<u64>(at);
      if (expires != 0) store<u64>(at, expires + t);
    }
  }
}

// Whether an element is in the set now: not deleted, not expired.
@inline function live(d: usize, el: usize): bool {
  const f = load<u32>(el);
  if (f & ELEM_DELETED) return false;
  if (!(f & ELEM_DYNAMIC)) return true;
  const expires = load<u64>(el + <usize>load<u32>(d + D_STRIDE) + <usize>DynamicElementTail.Expires);
  return expires == 0 || expires > now;
}

// The slot holding the element with this key, live or dead, or the empty
// slot that ends its probe sequence.
function slotOf(d: usize, key: usize): usize {
  const klen = load<u32>(d + D_KEYLEN);
  const slots = <usize>load<u32>(d + D_TABLE);
  const mask = load<u32>(d + D_MASK);
  const h = hashKey(key, klen);
  let i = home(h, mask);
  while (true) {
    const slot = slots + (<usize>i << SLOT_SHIFT);
    if (load<u32>(slot + SLOT_ELEMENT) == 0 || sameKey(slot, h, key, klen)) return slot;
    i = (i + 1) & mask;
  }
}

function scanSmall(d: usize, key: usize): usize {
  const w = load<u32>(key) & load<u32>(d + D_KEYMASK);
  const n = load<u32>(d + D_COUNT);
  for (let j: u32 = 0; j < n; j++) {
    if (load<u32>(d + D_KEYS + (<usize>j << 2)) == w) return <usize>load<u32>(d + D_ELEMENTS) + <usize>j * <usize>load<u32>(d + D_STRIDE);
  }
  return 0;
}

// Only sets rules change have elements that may not be live.
function findExact(d: usize, key: usize): usize {
  if (load<u32>(d + D_TABLE) == 0) return scanSmall(d, key);
  const el = <usize>load<u32>(slotOf(d, key) + SLOT_ELEMENT);
  return el != 0 && ((load<u32>(d + D_FLAGS) & (SetFlags.Dynamic | SetFlags.Stateful)) == 0 || live(d, el)) ? el : 0;
}

// The last boundary not above the key decides: a start matches, an end
// (or nothing) does not.
function findInterval(d: usize, key: usize): usize {
  const at = lastNotAbove(<usize>load<u32>(d + D_TABLE), key);
  if (at < 0) return 0;
  const found = <usize>load<u32>(d + D_ELEMENTS) + <usize>at * <usize>load<u32>(d + D_STRIDE);
  return (load<u32>(found) & ELEM_INTERVAL_END) != 0 ? 0 : found;
}

// Fields are compared as whole register words: both the stored keys and
// the registers a shorter value is loaded into are zero past its end.
function findConcat(d: usize, key: usize): usize {
  const klen = <usize>load<u32>(d + D_KEYLEN);
  const fields = load<u32>(d + D_FIELDS);
  const elements = <usize>load<u32>(d + D_ELEMENTS);
  const stride = <usize>load<u32>(d + D_STRIDE);
  const n = load<u32>(d + D_COUNT);
  const keyWords = <usize>words(<u32>klen) << 2;
  for (let i: u32 = 0; i < n; i++) {
    const first = elements + <usize>i * stride + 4;
    const last = first + keyWords;
    let at: usize = 0;
    let f: u32 = 0;
    while (at < klen) {
      const len = <usize>(((fields >> (f << 1)) & 3) + 1) << 2;
      if (memory.compare(key + at, first + at, len) < 0 || memory.compare(key + at, last + at, len) > 0) break;
      at += len;
      f++;
    }
    if (at >= klen) return first - 4;
  }
  return 0;
}

// The matching element of set `set` for the key at `key`, or 0.
export function setFind(set: u32, key: usize): usize {
  const d = descriptors + <usize>set * DESC_SIZE;
  const flags = load<u32>(d + D_FLAGS);
  if (flags & SetFlags.Concat) return findConcat(d, key);
  if (flags & SetFlags.Interval) return findInterval(d, key);
  const el = findExact(d, key);
  return el != 0 ? el : <usize>load<u32>(d + D_CATCHALL);
}

@inline function descriptor(set: u32): usize {
  return descriptors + <usize>set * DESC_SIZE;
}

// The element with this key, live or dead, or 0.
export function setFindAny(set: u32, key: usize): usize {
  return <usize>load<u32>(slotOf(descriptor(set), key) + SLOT_ELEMENT);
}

@inline export function setLive(set: u32, el: usize): bool {
  return live(descriptor(set), el);
}

// Where a dynamic element's tail (DynamicElementTail) starts.
@inline export function setExpiry(set: u32, el: usize): usize {
  return el + <usize>load<u32>(descriptor(set) + D_STRIDE);
}

export function setDescriptors(): usize {
  return descriptors;
}

// Counts an element coming back to life or leaving.
@inline export function setLiveChange(set: u32, delta: i32): void {
  const d = descriptor(set);
  store<u32>(d + D_LIVE, <u32>(<i32>load<u32>(d + D_LIVE) + delta));
}

// Adds a dynamic element for a key the set does not hold, live or dead;
// returns it, or 0 when the set is full.
export function setInsert(set: u32, key: usize): usize {
  const d = descriptor(set);
  if (load<u32>(d + D_LIVE) >= load<u32>(d + D_LIMIT)) {
    sweep(d);
    if (load<u32>(d + D_LIVE) >= load<u32>(d + D_LIMIT)) return 0;
  }
  const stride = <usize>load<u32>(d + D_STRIDE);
  const klen = load<u32>(d + D_KEYLEN);
  // A dead dynamic element on the key's probe path takes the new key:
  // lookups of the new key pass it, lookups of the old one may miss it.
  const slots = <usize>load<u32>(d + D_TABLE);
  const mask = load<u32>(d + D_MASK);
  const h = hashKey(key, klen);
  let i = home(h, mask);
  let slot: usize = 0;
  let el: usize = 0;
  while (true) {
    slot = slots + (<usize>i << SLOT_SHIFT);
    const old = <usize>load<u32>(slot + SLOT_ELEMENT);
    if (old == 0) break;
    if ((load<u32>(old) & ELEM_DYNAMIC) != 0 && !live(d, old)) {
      el = old;
      break;
    }
    i = (i + 1) & mask;
  }
  const fresh = el == 0;
  if (fresh) el = heap.alloc(stride + DYNAMIC_TAIL);
  memory.fill(el, 0, stride + DYNAMIC_TAIL);
  store<u32>(el, ELEM_DYNAMIC);
  memory.copy(el + 4, key, klen);
  store<u32>(d + D_LIVE, load<u32>(d + D_LIVE) + 1);
  store<u32>(slot + SLOT_HASH, h);
  if (!fresh) return el;
  store<u32>(slot + SLOT_ELEMENT, <u32>el);
  const occupied = load<u32>(d + D_OCCUPIED) + 1;
  store<u32>(d + D_OCCUPIED, occupied);
  if (occupied * 2 > mask + 1) rehash(d);
  return el;
}

// Recounts the live elements of a dynamic set.
function sweep(d: usize): void {
  const slots = <usize>load<u32>(d + D_TABLE);
  const cap = load<u32>(d + D_MASK) + 1;
  let n: u32 = 0;
  for (let i: u32 = 0; i < cap; i++) {
    const el = <usize>load<u32>(slots + (<usize>i << SLOT_SHIFT) + SLOT_ELEMENT);
    if (el != 0 && live(d, el)) n++;
  }
  store<u32>(d + D_LIVE, n);
}

// A table with room for twice the live elements, leaving the dead ones out.
function rehash(d: usize): void {
  sweep(d);
  const old = <usize>load<u32>(d + D_TABLE);
  const oldCap = load<u32>(d + D_MASK) + 1;
  const klen = load<u32>(d + D_KEYLEN);
  let cap: u32 = 64;
  while (cap < load<u32>(d + D_LIVE) * 4) cap <<= 1;
  const slots = newTable(cap);
  let occupied: u32 = 0;
  for (let i: u32 = 0; i < oldCap; i++) {
    const el = <usize>load<u32>(old + (<usize>i << SLOT_SHIFT) + SLOT_ELEMENT);
    if (el == 0 || !live(d, el)) continue;
    place(slots, cap - 1, el, klen);
    occupied++;
  }
  store<u32>(d + D_TABLE, <u32>slots);
  store<u32>(d + D_MASK, cap - 1);
  store<u32>(d + D_OCCUPIED, occupied);
}

// Where an element's data starts, and how long it is.
@inline export function setData(set: u32, el: usize): usize {
  return el + <usize>load<u32>(descriptors + <usize>set * DESC_SIZE + D_DATA);
}

@inline export function setDataLength(set: u32): u32 {
  return load<u32>(descriptors + <usize>set * DESC_SIZE + D_DATALEN);
}

@inline export function setFlags(set: u32): u32 {
  return load<u32>(descriptors + <usize>set * DESC_SIZE + D_FLAGS);
}
