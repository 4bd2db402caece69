// A direct index over the sorted boundaries of an interval set, so finding
// the last boundary not above a key costs the same whatever the set's size.
// A key's window, eight of its bytes read as a big-endian number, orders
// keys as their bytes do once the boundaries' common prefix is set aside.
// The windows from the second boundary to the last are cut into equal
// buckets, about two for each boundary, and each bucket records where its
// boundaries start; a lookup bisects only its key's bucket. The first
// boundary is always key zero (docs/bytecode.md), a start or an end marker,
// and is left out: counted in, it would stretch the buckets from zero, and
// a set in one corner of the key space (addresses of one network) would
// fall into a few of them. Sets in far-apart clusters still share few
// buckets per cluster; bisecting a bucket costs no more than bisecting all.

// Index header, then the bucket starts (u32, one past the last bucket's).
const X_LOW: usize = 0;
const X_MASK: usize = 8;
const X_SHIFT: usize = 16;
const X_LAST: usize = 20;
const X_AT: usize = 24;
const X_KEYLEN: usize = 28;
const X_ELEMENTS: usize = 32;
const X_STRIDE: usize = 36;
const X_COUNT: usize = 40;
const X_STARTS: usize = 44;

// 4 MiB of bucket starts at most; beyond that buckets hold more than one
// boundary and the bisection within them takes a step more per doubling.
const MAX_BUCKETS: u64 = 1 << 20;

// Keys are padded to words, in the elements and in the registers, so a key
// of up to four bytes is read as one word and one of five to eight as two
// without reading past its own words; longer ones are read from `at`, which
// leaves at least eight bytes.
@inline function window(key: usize, klen: u32, at: usize, mask: u64): u64 {
  return (klen <= 4 ? <u64>bswap<u32>(load<u32>(key)) << 32 : bswap<u64>(load<u64>(key + at))) & mask;
}

// Builds the index of `n` boundaries sorted by their `klen` key bytes, the
// first at `elements` (a flags word, then the key), `stride` bytes apart.
export function intervalIndex(elements: usize, n: u32, stride: u32, klen: u32): usize {
  const second = elements + <usize>stride;
  const lastEl = n > 1 ? elements + <usize>(n - 1) * <usize>stride : second;
  // Keys longer than a window start it where the second boundary and the
  // last part: every boundary between them shares the bytes before.
  let at: u32 = 0;
  if (klen > 8 && n > 1) while (at < klen - 8 && load<u8>(second + 4 + at) == load<u8>(lastEl + 4 + at)) at++;
  const mask: u64 = klen >= 8 ? <u64>-1 : ~(<u64>-1 >> (<u64>klen << 3));
  const low = n > 1 ? window(second + 4, klen, at, mask) : 0;
  const span = n > 1 ? window(lastEl + 4, klen, at, mask) - low : 0;
  let buckets: u64 = 2;
  while (buckets < <u64>n * 2 && buckets < MAX_BUCKETS) buckets <<= 1;
  let shift: u64 = 0;
  while ((span >> shift) >= buckets) shift++;
  const last = <u32>(span >> shift);
  const ix = heap.alloc(X_STARTS + (<usize>last + 2) * 4);
  store<u64>(ix + X_LOW, low);
  store<u64>(ix + X_MASK, mask);
  store<u32>(ix + X_SHIFT, <u32>shift);
  store<u32>(ix + X_LAST, last);
  store<u32>(ix + X_AT, at);
  store<u32>(ix + X_KEYLEN, klen);
  store<u32>(ix + X_ELEMENTS, <u32>elements);
  store<u32>(ix + X_STRIDE, stride);
  store<u32>(ix + X_COUNT, n);
  let j: u32 = 1;
  for (let b: u32 = 0; b <= last; b++) {
    while (j < n && (window(elements + <usize>j * stride + 4, klen, at, mask) - low) >> shift < <u64>b) j++;
    store<u32>(ix + X_STARTS + (<usize>b << 2), j);
  }
  store<u32>(ix + X_STARTS + (<usize>(last + 1) << 2), n);
  return ix;
}

// The position of the last boundary not above the key, -1 when none is.
// Keys below the second boundary have the first, key zero, under them.
export function lastNotAbove(ix: usize, key: usize): i32 {
  const n = <i32>load<u32>(ix + X_COUNT);
  if (n <= 1) return n - 1;
  const klen = load<u32>(ix + X_KEYLEN);
  const at = <usize>load<u32>(ix + X_AT);
  const elements = <usize>load<u32>(ix + X_ELEMENTS);
  const stride = <usize>load<u32>(ix + X_STRIDE);
  if (at != 0) {
    const c = memory.compare(key, elements + stride + 4, at);
    if (c != 0) return c < 0 ? 0 : n - 1;
  }
  const mask = load<u64>(ix + X_MASK);
  const w = window(key, klen, at, mask);
  const low = load<u64>(ix + X_LOW);
  if (w < low) return 0;
  const b = (w - low) >> load<u32>(ix + X_SHIFT);
  if (b > <u64>load<u32>(ix + X_LAST)) return n - 1;
  const starts = ix + X_STARTS + (<usize>b << 2);
  let lo = <i32>load<u32>(starts);
  let hi = <i32>load<u32>(starts + 4) - 1;
  let found = lo - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const el = elements + <usize>mid * stride + 4;
    const we = window(el, klen, at, mask);
    // Equal windows of keys longer than eight bytes leave their tails.
    if (we < w || (we == w && (klen <= 8 || memory.compare(el, key, klen) <= 0))) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}
