// Set and map lookups over the sets of the loaded image. Exact-match sets
// get an open-addressing hash table, built once when the ruleset loads, so a
// lookup costs the same whatever the set's size; interval sets are sorted
// boundaries (docs/bytecode.md) searched by bisection. Concatenations with
// ranges are boxes, one range per field, that may overlap on any one field,
// so they have no single order to bisect: they are scanned, first match in
// the order they were added.
import { SetEntry, SetFlags } from './abi';

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
const DESC_SIZE: usize = 40;

const ELEM_INTERVAL_END: u32 = 1;

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
    let cap: u32 = 4;
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

function findExact(d: usize, key: usize): usize {
  const klen = load<u32>(d + D_KEYLEN);
  const slots = <usize>load<u32>(d + D_TABLE);
  const mask = load<u32>(d + D_MASK);
  let h = hashKey(key, klen) & mask;
  while (true) {
    const el = <usize>load<u32>(slots + (<usize>h << 2));
    if (el == 0) return 0;
    if (memory.compare(el + 4, key, klen) == 0) return el;
    h = (h + 1) & mask;
  }
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
