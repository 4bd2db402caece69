// Set and map lookups over the sets of the loaded image. Exact-match sets
// get an open-addressing hash table, built once when the ruleset loads, so a
// lookup costs the same whatever the set's size; interval sets are sorted
// boundaries (docs/bytecode.md) searched by bisection. Concatenations with
// ranges are boxes, one range per field, that may overlap on any one field,
// so they have no single order to bisect: they are scanned, first match in
// the order they were added. Sets rules add to (assembly/dynset.ts) grow
// their hash table; the elements they add carry an expiry time, and
// elements deleted or expired stay in the table as dead ones, found again
// when their key comes back or taken over by a new key on the same path.
import { DYNSET_DEFAULT_SIZE, SetEntry, SetFlags } from './abi';
import { now } from './conntrack';

// Per-set descriptor, u32 words.
const D_FLAGS: usize = 0;
const D_KEYLEN: usize = 4;
const D_DATALEN: usize = 8;
const D_COUNT: usize = 12;
const D_ELEMENTS: usize = 16;
const D_STRIDE: usize = 20;
const D_TABLE: usize = 24;
const D_MASK: usize = 28;
const D_FIELDS: usize = 32;
const D_DATA: usize = 36;
// Dynamic sets: live elements (an upper bound: expired ones count until a
// sweep), the most there may be, occupied slots of the table.
const D_LIVE: usize = 40;
const D_LIMIT: usize = 44;
const D_OCCUPIED: usize = 48;
const DESC_SIZE: usize = 52;

const ELEM_INTERVAL_END: u32 = 1;
// Added by a rule: a u64 expiry time (ns, 0 = never) follows the data.
export const ELEM_DYNAMIC: u32 = 2;
export const ELEM_DELETED: u32 = 4;

let descriptors: usize = 0;

@inline function words(len: u32): u32 {
  return (len + 3) >> 2;
}

@inline function hashKey(key: usize, len: u32): u32 {
  let h: u32 = 2166136261;
  for (let i: usize = 0; i < <usize>len; i++) h = (h ^ load<u8>(key + i)) * 16777619;
  return h;
}

// Builds the lookup structures for the sets of an image whose set table is
// at `table` with `count` entries; element offsets are relative to `image`.
export function setsLoad(image: usize, table: usize, count: u32): void {
  descriptors = heap.alloc(<usize>count * DESC_SIZE + 4);
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
    if (flags & SetFlags.Interval) continue;
    const size = load<u32>(e + (<usize>SetEntry.Size << 2));
    store<u32>(d + D_LIVE, n);
    store<u32>(d + D_LIMIT, size != 0 ? size : DYNSET_DEFAULT_SIZE);
    store<u32>(d + D_OCCUPIED, n);
    let cap: u32 = (flags & SetFlags.Dynamic) != 0 ? 64 : 4;
    while (cap < n * 2) cap <<= 1;
    const slots = heap.alloc(<usize>cap << 2);
    memory.fill(slots, 0, <usize>cap << 2);
    store<u32>(d + D_TABLE, <u32>slots);
    store<u32>(d + D_MASK, cap - 1);
    for (let j: u32 = 0; j < n; j++) {
      const el = elements + <usize>j * stride;
      let h = hashKey(el + 4, klen) & (cap - 1);
      while (load<u32>(slots + (<usize>h << 2)) != 0) h = (h + 1) & (cap - 1);
      store<u32>(slots + (<usize>h << 2), <u32>el);
    }
  }
}

// Whether an element is in the set now: not deleted, not expired.
@inline function live(d: usize, el: usize): bool {
  const f = load<u32>(el);
  if (f & ELEM_DELETED) return false;
  if (!(f & ELEM_DYNAMIC)) return true;
  const expires = load<u64>(el + <usize>load<u32>(d + D_STRIDE));
  return expires == 0 || expires > now;
}

// The slot holding the element with this key, live or dead, or the empty
// slot that ends its probe sequence.
function slotOf(d: usize, key: usize): usize {
  const klen = load<u32>(d + D_KEYLEN);
  const slots = <usize>load<u32>(d + D_TABLE);
  const mask = load<u32>(d + D_MASK);
  let h = hashKey(key, klen) & mask;
  while (true) {
    const slot = slots + (<usize>h << 2);
    const el = <usize>load<u32>(slot);
    if (el == 0 || memory.compare(el + 4, key, klen) == 0) return slot;
    h = (h + 1) & mask;
  }
}

function findExact(d: usize, key: usize): usize {
  const el = <usize>load<u32>(slotOf(d, key));
  return el != 0 && live(d, el) ? el : 0;
}

// The last boundary not above the key decides: a start matches, an end
// (or nothing) does not.
function findInterval(d: usize, key: usize): usize {
  const klen = load<u32>(d + D_KEYLEN);
  const elements = <usize>load<u32>(d + D_ELEMENTS);
  const stride = <usize>load<u32>(d + D_STRIDE);
  let lo: i32 = 0;
  let hi: i32 = <i32>load<u32>(d + D_COUNT) - 1;
  let found: usize = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const el = elements + <usize>mid * stride;
    if (memory.compare(el + 4, key, klen) <= 0) {
      found = el;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  if (found == 0 || (load<u32>(found) & ELEM_INTERVAL_END) != 0) return 0;
  return found;
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
  return (flags & SetFlags.Interval) ? findInterval(d, key) : findExact(d, key);
}

@inline function descriptor(set: u32): usize {
  return descriptors + <usize>set * DESC_SIZE;
}

// The element with this key, live or dead, or 0.
export function setFindAny(set: u32, key: usize): usize {
  return <usize>load<u32>(slotOf(descriptor(set), key));
}

@inline export function setLive(set: u32, el: usize): bool {
  return live(descriptor(set), el);
}

// Where a dynamic element's expiry time is.
@inline export function setExpiry(set: u32, el: usize): usize {
  return el + <usize>load<u32>(descriptor(set) + D_STRIDE);
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
  let h = hashKey(key, klen) & mask;
  let el: usize = 0;
  while (true) {
    const slot = slots + (<usize>h << 2);
    const old = <usize>load<u32>(slot);
    if (old == 0) break;
    if ((load<u32>(old) & ELEM_DYNAMIC) != 0 && !live(d, old)) {
      el = old;
      break;
    }
    h = (h + 1) & mask;
  }
  const fresh = el == 0;
  if (fresh) el = heap.alloc(stride + 8);
  memory.fill(el, 0, stride + 8);
  store<u32>(el, ELEM_DYNAMIC);
  memory.copy(el + 4, key, klen);
  store<u32>(d + D_LIVE, load<u32>(d + D_LIVE) + 1);
  if (!fresh) return el;
  store<u32>(slots + (<usize>h << 2), <u32>el);
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
    const el = <usize>load<u32>(slots + (<usize>i << 2));
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
  const slots = heap.alloc(<usize>cap << 2);
  memory.fill(slots, 0, <usize>cap << 2);
  let occupied: u32 = 0;
  for (let i: u32 = 0; i < oldCap; i++) {
    const el = <usize>load<u32>(old + (<usize>i << 2));
    if (el == 0 || !live(d, el)) continue;
    let h = hashKey(el + 4, klen) & (cap - 1);
    while (load<u32>(slots + (<usize>h << 2)) != 0) h = (h + 1) & (cap - 1);
    store<u32>(slots + (<usize>h << 2), <u32>el);
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
