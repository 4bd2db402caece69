// Connection tracking events (what `conntrack -E` shows) written into a ring
// in linear memory that the host drains after every batch.
//
// NEW and UPDATE are found after each packet by comparing the packet's entry
// with a shadow of what was last reported for its slot; DESTROY from the
// destroy hook conntrack.ts calls before an entry leaves the table. Nothing
// here runs, and no hook is registered, unless the host enabled events.
import { CtAcct, CtEntry, CtEvent, CtEventRecord, CtExtension, CtNat, CtStatus } from './abi';
import * as ctt from './conntrack';

// The kernel's event bits (enum ip_conntrack_events), as `ct event set`
// writes them into an entry's mask: only events in the mask are reported.
const IPCT_NEW: u32 = 1 << 0;
const IPCT_RELATED: u32 = 1 << 1;
const IPCT_DESTROY: u32 = 1 << 2;
const IPCT_REPLY: u32 = 1 << 3;
const IPCT_ASSURED: u32 = 1 << 4;
const IPCT_PROTOINFO: u32 = 1 << 5;
const IPCT_MARK: u32 = 1 << 7;
// Any other status change: reported under the default mask only.
const OTHER_STATUS: u32 = 1 << 31;

// An entry's event mask; none set means every event.
@inline function eventMask(e: usize): u32 {
  const m = <u32>load<u16>(e + CtEntry.EventMask);
  return m == 0 ? 0xffffffff : m;
}

// A packet can remove an expired entry on each of its lookups, evict one to
// make room, and create or update its own: far fewer than this.
export const MAX_EVENTS_PER_PACKET: u32 = 8;
// Expired entries the garbage collector removes before a packet, at most: a
// fixed number, so that where its DESTROY events fall does not depend on
// how the capture was cut into batches.
export const COLLECTED_PER_PACKET: u32 = 64;

// Shadow per entry slot: id, status, mark (u32 each), TCP state (u8).
const SHADOW_SIZE: usize = 16;

export let enabled = false;
let ring: usize = 0;
let ringCapacity: u32 = 0;
export let ringCount: u32 = 0;
let shadow: usize = 0;
// Index of the current packet's result in the batch, and its time.
let packetIndex: u32 = 0xffffffff;
let packetTime: u64 = 0;

export function eventsEnable(capacity: u32): void {
  if (enabled) return;
  ring = heap.alloc(<usize>capacity * CtEventRecord.Size);
  ringCapacity = capacity;
  ringCount = 0;
  shadow = heap.alloc(<usize>ctt.allocated * SHADOW_SIZE);
  enabled = true;
  ctt.onDestroy(entryDestroyed);
  ctt.onGrow(shadowGrow, <u32>SHADOW_SIZE);
}

// The entry arrays grew from `old` slots to `n`: the shadows follow them
// into fresh (zero) memory.
function shadowGrow(old: u32, n: u32): void {
  const from = shadow;
  shadow = heap.alloc(<usize>n * SHADOW_SIZE);
  memory.copy(shadow, from, <usize>old * SHADOW_SIZE);
}

export function eventsBuffer(): usize {
  return ring;
}

export function eventsClear(): void {
  ringCount = 0;
}

@inline export function roomForPacket(): bool {
  return ringCount + COLLECTED_PER_PACKET + MAX_EVENTS_PER_PACKET <= ringCapacity;
}

export function beginPacket(index: u32, time: u64): void {
  packetIndex = index;
  packetTime = time;
}

function emit(type: CtEvent, e: usize): void {
  if (ringCount == ringCapacity) return;
  const r = ring + <usize>ringCount * CtEventRecord.Size;
  store<u32>(r + CtEventRecord.Type, type);
  store<u32>(r + CtEventRecord.Packet, packetIndex);
  store<u64>(r + CtEventRecord.Time, packetTime);
  memory.copy(r + CtEventRecord.Entry, e, CtEntry.Size);
  memory.copy(r + CtEventRecord.Acct, ctt.acctRead(e), CtAcct.Size);
  if (ctt.hasExtension(e, CtExtension.Nat)) memory.copy(r + CtEventRecord.Nat, ctt.natOf(e), CtNat.Size);
  ringCount++;
}

// An entry is about to leave the table.
function entryDestroyed(e: usize, idx: u32): void {
  if ((eventMask(e) & IPCT_DESTROY) != 0) emit(CtEvent.Destroy, e);
}

// After a packet: its entry was just confirmed, or changed what conntrack -E
// reports (status bits, TCP state, mark).
export function afterPacket(): void {
  const e = ctt.ct;
  if (e == 0 || ctt.isPending(e)) return;
  const sh = shadow + <usize>((e - ctt.entries) / ctt.ENTRY_SIZE) * SHADOW_SIZE;
  const id = load<u32>(e + CtEntry.Id);
  const status = load<u32>(e + CtEntry.Status);
  const mark = load<u32>(e + CtEntry.Mark);
  const tcp = load<u8>(e + CtEntry.TcpState);
  // The kernel caches the events a packet causes and delivers them all when
  // any of them is in the connection's mask; the message is NEW when the
  // cache holds NEW or RELATED, UPDATE otherwise.
  const isNew = load<u32>(sh) != id;
  let cache: u32 = 0;
  if (isNew) {
    cache = (status & (<u32>1 << CtStatus.Expected)) != 0 ? IPCT_RELATED : IPCT_NEW;
    if (tcp != 0) cache |= IPCT_PROTOINFO;
    if (mark != 0) cache |= IPCT_MARK;
  } else {
    const oldStatus = load<u32>(sh + 4);
    if ((oldStatus ^ status) & (<u32>1 << CtStatus.SeenReply)) cache |= IPCT_REPLY;
    if ((oldStatus ^ status) & (<u32>1 << CtStatus.Assured)) cache |= IPCT_ASSURED;
    if (load<u8>(sh + 12) != tcp) cache |= IPCT_PROTOINFO;
    if (load<u32>(sh + 8) != mark) cache |= IPCT_MARK;
    const known = (<u32>1 << CtStatus.SeenReply) | (<u32>1 << CtStatus.Assured);
    if ((oldStatus ^ status) & ~known) cache |= OTHER_STATUS;
    if (cache == 0) return;
  }
  if (cache & eventMask(e)) emit(isNew ? CtEvent.New : CtEvent.Update, e);
  store<u32>(sh, id);
  store<u32>(sh + 4, status);
  store<u32>(sh + 8, mark);
  store<u8>(sh + 12, tcp);
}
