// Warming the caches for the packets ahead. A conntrack lookup is two
// dependent cache misses (the index slot, then the entry), and on a large
// capture little else: the packet bytes streaming through evict the table
// between two packets of a flow. Taking the next records as a group and
// loading all their slots, then all their entries, lets those misses
// overlap instead of each packet paying for its own in turn; the slots of
// one group are loaded with the entries of the group before it, so that
// the two rounds of misses overlap as well.
//
// Only plain TCP and UDP over IPv4 or IPv6 on Ethernet or raw IP links are
// recognised here, by a parse of their fixed headers; the lookup proper
// parses every packet in full. Nothing here changes what any packet sees:
// a wrong guess only loads a line for nothing. The keys and hashes made
// here go to the lookup of each packet as a hint, which it takes only for
// a key equal to its own byte for byte, so that it need not hash again;
// so does the confirmation of a new connection with its reply tuple's.
import * as cap from './capture';
import * as ctt from './conntrack';
import * as pkt from './packet';
import * as shard from './shard';

const GROUP: u32 = 16;
// A table this small stays in the second-level cache with the packets
// streaming through: warming it would only hash every tuple twice.
export const MIN_ENTRIES: u32 = 1024;

// Two groups' worth: the one being warmed and the one after it.
const records = memory.data(<i32>(GROUP * 8 * 2));
const hashes = memory.data(<i32>(GROUP * 4 * 2));
const keys = memory.data(<i32>(GROUP * <u32>ctt.TUPLE_KEY_SIZE * 2));
// The reply keys and hashes of the records with no entry yet (hash 0: none).
const replyKeys = memory.data(<i32>(GROUP * <u32>ctt.TUPLE_KEY_SIZE * 2));
const replyHashes = memory.data(<i32>(GROUP * 4 * 2));

// The end of the records already warmed.
export let warmedUntil: usize = 0;
// The loaded bytes end up here, so that no load is optimised away.
export let sink: u32 = 0;

// The index hash of the tuple of a plain TCP or UDP packet, written as a key
// at `key`, 0 for any other; with reply set, of the tuple its answers will
// carry.
function tupleHash(linkType: u32, data: usize, caplen: u32, reply: bool, key: usize): u32 {
  const net = pkt.plainNetworkHeader(linkType, data, caplen);
  if (net == 0) return 0;
  const left = caplen - <u32>(net - data);
  const version = load<u8>(net) >> 4;
  let l4: u8;
  let th: usize;
  const t = key + 4;
  const src: usize = reply ? 16 : 0;
  const dst: usize = reply ? 0 : 16;
  if (version == 4) {
    if (left < 20) return 0;
    const ihl = <u32>(load<u8>(net) & 15) << 2;
    // Fragments are reassembled before their lookup.
    if ((bswap<u16>(load<u16>(net + 6)) & 0x3fff) != 0 || ihl < 20 || left < ihl + 4) return 0;
    l4 = load<u8>(net + 9);
    store<u8>(key, pkt.NFPROTO_IPV4);
    store<u64>(t + src, <u64>load<u32>(net + 12));
    store<u64>(t + src + 8, 0);
    store<u64>(t + dst, <u64>load<u32>(net + 16));
    store<u64>(t + dst + 8, 0);
    th = net + ihl;
  } else if (version == 6) {
    if (left < 44) return 0;
    l4 = load<u8>(net + 6);
    store<u8>(key, pkt.NFPROTO_IPV6);
    memory.copy(t + src, net + 8, 16);
    memory.copy(t + dst, net + 24, 16);
    th = net + 40;
  } else {
    return 0;
  }
  if (l4 != pkt.IPPROTO_TCP && l4 != pkt.IPPROTO_UDP) return 0;
  // Another worker's connection is not in this table.
  const alen: usize = version == 4 ? 4 : 16;
  if (shard.shardCount > 1 && !shard.ownAddresses(t, t + 16, alen)) return 0;
  store<u8>(key + 1, l4);
  store<u16>(key + 2, 0);
  const ports = load<u32>(th);
  store<u32>(t + 32, reply ? rotr<u32>(ports, 16) : ports);
  return ctt.hashKey(key);
}

// Peeks the group of records from pos into half `half` of the scratch
// arrays, hashes their tuples and loads their first index slots. Returns
// how many records it found, leaving cap.peekEnd after them.
@inline function keyAt(half: u32, j: u32): usize {
  return keys + <usize>(half * GROUP + j) * ctt.TUPLE_KEY_SIZE;
}

@inline function replyKeyAt(half: u32, j: u32): usize {
  return replyKeys + <usize>(half * GROUP + j) * ctt.TUPLE_KEY_SIZE;
}

function prepare(half: u32, linkType: u32, pos: usize, end: usize): u32 {
  const recs = records + <usize>(half * GROUP * 8);
  const hs = hashes + <usize>(half * GROUP * 4);
  const n = cap.peekRecords(pos, end, recs, GROUP, linkType);
  for (let j: u32 = 0; j < n; j++) {
    const r = recs + (<usize>j << 3);
    store<u32>(hs + (<usize>j << 2), tupleHash(linkType, <usize>load<u32>(r), load<u32>(r + 4), false, keyAt(half, j)));
  }
  let s: u32 = 0;
  for (let j: u32 = 0; j < n; j++) {
    const h = load<u32>(hs + (<usize>j << 2));
    if (h != 0) s += load<u32>(ctt.slotAt(h) + 4);
  }
  sink += s;
  return n;
}

// Loads the entries of a prepared group (their slots are in the cache by
// now), and for a packet with no entry yet the slot its reply tuple will
// take at confirmation.
function loadEntries(half: u32, n: u32, linkType: u32): void {
  const recs = records + <usize>(half * GROUP * 8);
  const hs = hashes + <usize>(half * GROUP * 4);
  const rhs = replyHashes + <usize>(half * GROUP * 4);
  let s: u32 = 0;
  for (let j: u32 = 0; j < n; j++) {
    store<u32>(rhs + (<usize>j << 2), 0);
    const h = load<u32>(hs + (<usize>j << 2));
    if (h == 0) continue;
    const ref = ctt.slotPeek(h);
    if (ref == 0) {
      const r = recs + (<usize>j << 3);
      const rh = tupleHash(linkType, <usize>load<u32>(r), load<u32>(r + 4), true, replyKeyAt(half, j));
      store<u32>(rhs + (<usize>j << 2), rh);
      if (rh != 0) s += load<u32>(ctt.slotAt(rh) + 4);
      continue;
    }
    const e = ctt.entryAt((ref - 1) >> 1);
    s += load<u32>(e) + load<u32>(e + 64);
  }
  sink += s;
}

// The group after the one being warmed: its slots were loaded with the
// entries of the one before, so that the two kinds of miss overlap too.
let current: u32 = 0;
// The group the walk is in (its half and size), and its next record.
let walkHalf: u32 = 0;
let walkCount: u32 = 0;
let walkNext: u32 = 0;
let preparedAt: usize = 0;
let preparedCount: u32 = 0;
let preparedEnd: usize = 0;

// Forgets what was warmed: a new batch may hold other bytes at the same
// addresses.
export function warmReset(): void {
  warmedUntil = 0;
  preparedAt = 0;
  walkCount = 0;
  ctt.setHint(0, 0, 0, 0);
}

// Hands the key and hash of the record whose packet data is at `data` to
// conntrack, when it is the next of the group the walk is in; no hint
// otherwise. Called for every record of a warming batch: the keys of a
// group are overwritten as the walk moves on.
export function hintRecord(data: usize): void {
  const j = walkNext;
  if (j < walkCount && <usize>load<u32>(records + <usize>(walkHalf * GROUP + j) * 8) == data) {
    walkNext = j + 1;
    const h = load<u32>(hashes + <usize>(walkHalf * GROUP + j) * 4);
    const rh = load<u32>(replyHashes + <usize>(walkHalf * GROUP + j) * 4);
    ctt.setHint(h != 0 ? keyAt(walkHalf, j) : 0, h, rh != 0 ? replyKeyAt(walkHalf, j) : 0, rh);
    return;
  }
  ctt.setHint(0, 0, 0, 0);
}

// Warms the records from pos on (called when the walk reaches warmedUntil).
export function warmAhead(linkType: u32, pos: usize, end: usize): void {
  let n: u32;
  let groupEnd: usize;
  if (preparedAt == pos) {
    n = preparedCount;
    groupEnd = preparedEnd;
  } else {
    n = prepare(current, linkType, pos, end);
    groupEnd = cap.peekEnd;
  }
  // Nothing whole ahead: warm again only past this record.
  warmedUntil = n == 0 ? pos + 1 : groupEnd;
  const next = current ^ 1;
  preparedAt = 0;
  if (n != 0) {
    preparedCount = prepare(next, linkType, groupEnd, end);
    if (preparedCount != 0) {
      preparedAt = groupEnd;
      preparedEnd = cap.peekEnd;
    }
  }
  loadEntries(current, n, linkType);
  walkHalf = current;
  walkCount = n;
  walkNext = 0;
  current = next;
}
