// Expectations (nf_conntrack_expect.c): connections a helper has announced,
// waiting for their first packet. A new connection that matches one becomes
// its master's child: status expected, ct state related.
//
// Helpers open at most one expectation per master at a time (the FTP and
// TFTP policies' max_expected), so the table stays small and is scanned. It
// grows as expectations come, up to nf_conntrack_expect_max, past which the
// kernel refuses one ("expectation table full") and the helper drops the
// packet.
import { CtEntry, CtExt, CtStatus, Tunable, Tuple } from './abi';
import { tunable } from './config';
import { doubled } from './grow';
import * as ctt from './conntrack';

// Record layout, byte offsets.
const X_IN_USE: usize = 0;
const X_L3: usize = 1;
const X_L4: usize = 2;
const X_ZONE: usize = 4;
const X_MASTER: usize = 8;
const X_EXPIRES: usize = 16;
// Source address, destination address, destination port (the source port
// is always a wildcard for the helpers implemented).
const X_SRC: usize = 24;
const X_DST: usize = 40;
const X_DPORT: usize = 56;
const X_SIZE: usize = 64;

const FIRST_CAPACITY: u32 = 64;
const NS_PER_SEC: u64 = 1000000000;

let table: usize = 0;
let capacity: u32 = 0;
export let expectCount: u32 = 0;
// Records at or past this index have never been used.
let highWater: u32 = 0;

export function expectInit(): void {
  capacity = FIRST_CAPACITY;
  table = heap.alloc(<usize>capacity * X_SIZE);
  memory.fill(table, 0, <usize>capacity * X_SIZE);
  expectCount = 0;
  highWater = 0;
  ctt.onDestroy(masterDestroyed);
}

// A never-used record, the table doubled when it has none left.
function freshRecord(): usize {
  if (highWater == capacity) {
    table = doubled(table, <usize>capacity * X_SIZE);
    capacity *= 2;
  }
  return recordAt(highWater++);
}

@inline function recordAt(i: u32): usize {
  return table + <usize>i * X_SIZE;
}

function unlinkExpectation(x: usize): void {
  store<u8>(x + X_IN_USE, 0);
  expectCount--;
  const m = ctt.extOf(ctt.entryAt(load<u32>(x + X_MASTER)));
  store<u16>(m + CtExt.Expectations, load<u16>(m + CtExt.Expectations) - 1);
}

// The live expectation a new connection's key matches, or 0. Expired ones
// met on the way are removed, as their timers would have.
export function expectationFor(key: usize): usize {
  if (expectCount == 0) return 0;
  const t = key + 4;
  for (let i: u32 = 0; i < highWater; i++) {
    const x = recordAt(i);
    if (!load<u8>(x + X_IN_USE)) continue;
    if (load<u64>(x + X_EXPIRES) <= ctt.now) {
      unlinkExpectation(x);
      continue;
    }
    if (load<u8>(x + X_L3) != load<u8>(key) || load<u8>(x + X_L4) != load<u8>(key + 1)) continue;
    if (load<u16>(x + X_ZONE) != load<u16>(key + 2)) continue;
    if (load<u16>(x + X_DPORT) != load<u16>(t + Tuple.DstPort)) continue;
    if (memory.compare(x + X_SRC, t + Tuple.Src, 16) != 0) continue;
    if (memory.compare(x + X_DST, t + Tuple.Dst, 16) != 0) continue;
    return x;
  }
  return 0;
}

// init_conntrack's part for an expected connection: it takes the master's
// mark and a reference on the master; the expectation is used up.
export function attachExpected(e: usize, x: usize): void {
  const mi = load<u32>(x + X_MASTER);
  const master = ctt.entryAt(mi);
  ctt.setStatus(e, CtStatus.Expected);
  store<u32>(e + CtEntry.Mark, load<u32>(master + CtEntry.Mark));
  const ex = ctt.extOf(e);
  store<u32>(ex + CtExt.Master, mi + 1);
  store<u16>(ex + CtExt.MasterHelper, load<u16>(master + CtEntry.Helper));
  const mx = ctt.extOf(master);
  store<u16>(mx + CtExt.Refs, load<u16>(mx + CtExt.Refs) + 1);
  unlinkExpectation(x);
}

// nf_ct_expect_related for master e: a connection of protocol l4 from src
// (any port) to dst:dport (network order), alive for timeout seconds. An
// older expectation of the same master gives way (max_expected is 1).
// Returns false when it cannot be added: the helper then drops the packet.
export function expectRelated(e: usize, l4: u8, src: usize, dst: usize, alen: usize, dport: u16, timeout: u32): bool {
  const mi = ctt.indexOf(e);
  const zone = load<u16>(e + CtEntry.Zone);
  const l3 = load<u8>(e + CtEntry.L3proto);
  let free: usize = 0;
  for (let i: u32 = 0; i < highWater; i++) {
    const x = recordAt(i);
    if (!load<u8>(x + X_IN_USE)) {
      if (free == 0) free = x;
      continue;
    }
    if (load<u64>(x + X_EXPIRES) <= ctt.now || load<u32>(x + X_MASTER) == mi) {
      unlinkExpectation(x);
      if (free == 0) free = x;
      continue;
    }
    // Another master already expects this very connection.
    if (load<u8>(x + X_L3) == l3 && load<u8>(x + X_L4) == l4 && load<u16>(x + X_ZONE) == zone &&
        load<u16>(x + X_DPORT) == dport && memory.compare(x + X_SRC, src, alen) == 0 &&
        memory.compare(x + X_DST, dst, alen) == 0) {
      return false;
    }
  }
  if (expectCount >= tunable(Tunable.ExpectMax)) return false;
  if (free == 0) free = freshRecord();
  memory.fill(free, 0, X_SIZE);
  store<u8>(free + X_IN_USE, 1);
  store<u8>(free + X_L3, l3);
  store<u8>(free + X_L4, l4);
  store<u16>(free + X_ZONE, zone);
  store<u32>(free + X_MASTER, mi);
  store<u64>(free + X_EXPIRES, ctt.now + <u64>timeout * NS_PER_SEC);
  memory.copy(free + X_SRC, src, alen);
  memory.copy(free + X_DST, dst, alen);
  store<u16>(free + X_DPORT, dport);
  expectCount++;
  const mx = ctt.extOf(e);
  store<u16>(mx + CtExt.Expectations, load<u16>(mx + CtExt.Expectations) + 1);
  return true;
}

// A dying master takes its expectations with it.
function masterDestroyed(e: usize, mi: u32): void {
  if (load<u16>(ctt.extRead(e) + CtExt.Expectations) != 0) removeExpectationsOf(mi);
}

function removeExpectationsOf(mi: u32): void {
  for (let i: u32 = 0; i < highWater && load<u16>(ctt.extRead(ctt.entryAt(mi)) + CtExt.Expectations) != 0; i++) {
    const x = recordAt(i);
    if (load<u8>(x + X_IN_USE) && load<u32>(x + X_MASTER) == mi) unlinkExpectation(x);
  }
}
