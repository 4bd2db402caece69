// Connection tracking events (what `conntrack -E` shows) written into a ring
// in linear memory that the host drains after every batch.
//
// NEW and UPDATE are found after each packet by comparing the packet's entry
// with a shadow of what was last reported for its slot; DESTROY comes from
// the one hook in conntrack.ts that removes entries, before the entry is
// wiped. Nothing here runs unless the host enabled events.
import { CtEntry, CtEvent, CtEventRecord } from './abi';
import * as ctt from './conntrack';

// A packet can remove an expired entry on each of its lookups, evict one to
// make room, and create or update its own: far fewer than this.
export const MAX_EVENTS_PER_PACKET: u32 = 8;

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
  const slots = <usize>ctt.capacity;
  shadow = heap.alloc(slots * SHADOW_SIZE);
  memory.fill(shadow, 0, slots * SHADOW_SIZE);
  enabled = true;
}

export function eventsBuffer(): usize {
  return ring;
}

export function eventsClear(): void {
  ringCount = 0;
}

@inline export function roomForPacket(): bool {
  return ringCount + MAX_EVENTS_PER_PACKET <= ringCapacity;
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
  ringCount++;
}

// The hook: an entry is about to leave the table.
export function entryDestroyed(e: usize): void {
  if (enabled) emit(CtEvent.Destroy, e);
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
  if (load<u32>(sh) != id) {
    emit(CtEvent.New, e);
  } else if (load<u32>(sh + 4) != status || load<u32>(sh + 8) != mark || load<u8>(sh + 12) != tcp) {
    emit(CtEvent.Update, e);
  } else {
    return;
  }
  store<u32>(sh, id);
  store<u32>(sh + 4, status);
  store<u32>(sh + 8, mark);
  store<u8>(sh + 12, tcp);
}
