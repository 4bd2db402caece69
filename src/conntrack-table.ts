// Reads the conntrack table straight out of the data plane's linear memory
// (entry layout: assembly/abi.ts CtEntry, docs/conntrack.md).
import { CtAcct, CtEntry, CtExt, CtExtension, CtNat, Tuple, CtStatus, TcpState, HelperKind } from '../assembly/abi.js';
import type { Engine } from './engine.js';
import { formatIpv4, formatIpv6 } from './address.js';

export interface ConntrackTuple {
  src: string;
  dst: string;
  // TCP, UDP and other port-based protocols
  sport?: number;
  dport?: number;
  // ICMP and ICMPv6
  type?: number;
  code?: number;
  id?: number;
}

export interface ConntrackEntry {
  id: number;
  l3proto: number;
  l4proto: number;
  tcpState: TcpState;
  status: number;
  mark: number;
  zone: number;
  // Nanoseconds of capture time at which the entry expires.
  expires: bigint;
  original: ConntrackTuple;
  reply: ConntrackTuple;
  counters: { original: { packets: bigint; bytes: bigint }; reply: { packets: bigint; bytes: bigint } };
  // The helper attached to the connection (HelperKind.None when none).
  helper: HelperKind;
  // The kernel's reference count as conntrack prints it: the table's own
  // reference and one for each expected connection still alive.
  use: number;
  // The 128-bit ct label, as 32 hex digits (most significant first).
  labels: string;
  // The directions the zone applies to: 1 original, 2 reply, 0 both.
  zoneDirections: number;
}

const NFPROTO_IPV4 = 2;
const IPPROTO_ICMP = 1;
const IPPROTO_ICMPV6 = 58;

// A direction's tuple: addresses at src and dst, then the two u16 of ports
// (Tuple.SrcPort, Tuple.DstPort) at ports.
function readTuple(bytes: Uint8Array, view: DataView, src: number, dst: number, ports: number, l3: number, l4: number): ConntrackTuple {
  const fmt = l3 === NFPROTO_IPV4 ? formatIpv4 : formatIpv6;
  const t: ConntrackTuple = { src: fmt(bytes, src), dst: fmt(bytes, dst) };
  if (l4 === IPPROTO_ICMP || l4 === IPPROTO_ICMPV6) {
    t.type = bytes[ports + 2];
    t.code = bytes[ports + 3];
    t.id = view.getUint16(ports, false);
  } else {
    t.sport = view.getUint16(ports, false);
    t.dport = view.getUint16(ports + 2, false);
  }
  return t;
}

function readCounters(acct: DataView | null, at: number): ConntrackEntry['counters'] {
  const get = (field: CtAcct) => (acct ? acct.getBigUint64(at + field, true) : 0n);
  return {
    original: { packets: get(CtAcct.OrigPackets), bytes: get(CtAcct.OrigBytes) },
    reply: { packets: get(CtAcct.ReplyPackets), bytes: get(CtAcct.ReplyBytes) },
  };
}

// One entry at byte offset `e` of `bytes` (a CtEntry.Size record), with its
// accounting record at `acctAt` of `acct` (null: the entry has none) and
// its NAT record at `natAt` of `nat` (read when the entry has one).
export function readConntrackEntry(bytes: Uint8Array, view: DataView, e: number, acct: DataView | null, acctAt: number, nat?: Uint8Array, natAt = 0): ConntrackEntry {
  const l3 = bytes[e + CtEntry.L3proto];
  const l4 = bytes[e + CtEntry.L4proto];
  const orig = e + CtEntry.OrigTuple;
  return {
    id: view.getUint32(e + CtEntry.Id, true),
    l3proto: l3,
    l4proto: l4,
    tcpState: bytes[e + CtEntry.TcpState],
    status: view.getUint32(e + CtEntry.Status, true),
    mark: view.getUint32(e + CtEntry.Mark, true),
    zone: view.getUint16(e + CtEntry.Zone, true),
    expires: view.getBigUint64(e + CtEntry.Expires, true),
    original: readTuple(bytes, view, orig + Tuple.Src, orig + Tuple.Dst, orig + Tuple.SrcPort, l3, l4),
    // The reply's addresses are the original's swapped, unless NAT gave
    // the entry its own.
    reply: nat && (bytes[e + CtEntry.Extensions]! & CtExtension.Nat)
      ? natReply(bytes, view, e, nat, natAt, l3, l4)
      : readTuple(bytes, view, orig + Tuple.Dst, orig + Tuple.Src, e + CtEntry.ReplyPorts, l3, l4),
    counters: readCounters(acct, acctAt),
    helper: view.getUint16(e + CtEntry.Helper, true) as HelperKind,
    use: 1,
    labels: '0'.repeat(32),
    zoneDirections: bytes[e + CtEntry.ZoneDirections]!,
  };
}

function natReply(bytes: Uint8Array, view: DataView, e: number, nat: Uint8Array, at: number, l3: number, l4: number): ConntrackTuple {
  const t = readTuple(nat, new DataView(nat.buffer, nat.byteOffset, nat.byteLength), at + CtNat.ReplySrc, at + CtNat.ReplyDst, at + CtNat.ReplySrc, l3, l4);
  const ports = readTuple(bytes, view, e, e, e + CtEntry.ReplyPorts, l3, l4);
  return { ...ports, src: t.src, dst: t.dst };
}

function labelsText(ext: DataView, at: number): string {
  let s = '';
  for (let i = 15; i >= 0; i--) s += ext.getUint8(at + CtExt.Labels + i).toString(16).padStart(2, '0');
  return s;
}

// Slots below it have held an entry; those above never did.
export function conntrackHighWater(engine: Engine): number {
  return engine.u32(engine.exports.conntrackHighWater(), 1)[0]!;
}

// Entries alive at time `now` (nanoseconds), in the order they were created.
export function readConntrackTable(engine: Engine, now: bigint): ConntrackEntry[] {
  return [...tableEntries([engine], now)];
}

// A growable array of u32, a few bytes per live entry where an object per
// entry would take hundreds.
class U32List {
  data = new Uint32Array(1024);
  length = 0;

  push(v: number): void {
    if (this.length === this.data.length) {
      const grown = new Uint32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = v;
  }

  view(): Uint32Array {
    return this.data.subarray(0, this.length);
  }
}

// The indices of `keys` in the order of their values (a stable radix sort,
// two passes of 16 bits): millions of keys take tens of milliseconds, with
// no call per comparison.
export function orderOf(keys: Uint32Array): Uint32Array {
  let order = new Uint32Array(keys.length);
  let sorted = true;
  for (let i = 0; i < order.length; i++) {
    order[i] = i;
    if (i > 0 && keys[i]! < keys[i - 1]!) sorted = false;
  }
  // A table whose slots were never reused, the usual case, is in order.
  if (sorted) return order;
  let spare = new Uint32Array(keys.length);
  const counts = new Uint32Array(1 << 16);
  for (const shift of [0, 16]) {
    counts.fill(0);
    for (let i = 0; i < keys.length; i++) counts[(keys[i]! >>> shift) & 0xffff]!++;
    for (let d = 0, at = 0; d < counts.length; d++) {
      const n = counts[d]!;
      counts[d] = at;
      at += n;
    }
    for (let i = 0; i < order.length; i++) spare[counts[(keys[order[i]!]! >>> shift) & 0xffff]!++] = order[i]!;
    [order, spare] = [spare, order];
  }
  return order;
}

// Whether the entry at byte e of a view of the entries is alive at time
// `now`. Compared as two u32 halves: a BigInt per entry would cost more than
// the rest of a scan of the table.
export function aliveAt(now: bigint): (view: DataView, e: number) => boolean {
  const nowHigh = Number(now >> 32n);
  const nowLow = Number(now & 0xffffffffn);
  return (view, e) => {
    const high = view.getUint32(e + CtEntry.Expires + 4, true);
    return high > nowHigh || (high === nowHigh && view.getUint32(e + CtEntry.Expires, true) > nowLow);
  };
}

// The live entries of one data plane by their id: slots and ids in the
// order of the ids.
function liveSlots(engine: Engine, now: bigint): { slots: Uint32Array; ids: Uint32Array } {
  const used = conntrackHighWater(engine);
  const view = engine.view(engine.exports.conntrackEntries(), used * CtEntry.Size);
  const slots = new U32List();
  const ids = new U32List();
  const alive = aliveAt(now);
  for (let i = 0, seen = 0, inUse = engine.exports.conntrackCount(); seen < inUse && i < used; i++) {
    const e = i * CtEntry.Size;
    if (view.getUint8(e + CtEntry.InUse) === 0) continue;
    seen++;
    if (!alive(view, e)) continue;
    slots.push(i);
    ids.push(view.getUint32(e + CtEntry.Id, true));
  }
  const order = orderOf(ids.view());
  return { slots: order.map((k) => slots.data[k]!), ids: order.map((k) => ids.data[k]!) };
}

// The live entries of every data plane of a run, one at a time in the order
// of their ids, without holding them all: what a listing of millions of
// entries needs. globalId(w, id) gives the run's id of data plane w's entry
// `id` (workers number their entries each on its own); it is asked in the
// order of each data plane's own ids.
export function* tableEntries(engines: readonly Engine[], now: bigint, globalId: (w: number, id: number) => number = (_w, id) => id): Generator<ConntrackEntry> {
  const planes = engines.map((engine, w) => {
    const { slots, ids } = liveSlots(engine, now);
    return { engine, slots, ids: ids.map((id) => globalId(w, id)) };
  });
  const keys = new Uint32Array(planes.reduce((n, p) => n + p.ids.length, 0));
  const plane = new Uint8Array(keys.length);
  const slot = new Uint32Array(keys.length);
  let at = 0;
  planes.forEach((p, w) => {
    keys.set(p.ids, at);
    slot.set(p.slots, at);
    plane.fill(w, at, at + p.ids.length);
    at += p.ids.length;
  });
  const regions = planes.map((p) => regionsOf(p.engine));
  const uses = planes.map((p, w) => expectationsOf(regions[w]!, p.slots, now));
  for (const k of orderOf(keys)) {
    const w = plane[k]!;
    const entry = readEntryAt(regions[w]!, slot[k]!);
    entry.id = keys[k]!;
    entry.use += uses[w]!.get(slot[k]!) ?? 0;
    yield entry;
  }
}

// A data plane's entry arrays: they stay put while nothing is processed.
interface Regions {
  bytes: Uint8Array;
  view: DataView;
  ext: DataView;
  acct: DataView;
  nat: Uint8Array;
}

function regionsOf(engine: Engine): Regions {
  const ex = engine.exports;
  const used = conntrackHighWater(engine);
  const bytes = engine.bytes(ex.conntrackEntries(), used * CtEntry.Size);
  // The extension records sit in parallel arrays beside the entries, valid
  // where an entry's Extensions bits say.
  return {
    bytes,
    view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    ext: engine.view(ex.conntrackExtensions(), used * CtExt.Size),
    acct: engine.view(ex.conntrackAccounting(), used * CtAcct.Size),
    nat: engine.bytes(ex.conntrackNat(), used * CtNat.Size),
  };
}

// How many live expected connections each master (by slot) has: the kernel
// holds a reference to the master for each.
function expectationsOf(r: Regions, live: Uint32Array, now: bigint): Map<number, number> {
  const alive = aliveAt(now);
  const uses = new Map<number, number>();
  for (const i of live) {
    if (!(r.bytes[i * CtEntry.Size + CtEntry.Extensions]! & CtExtension.Misc)) continue;
    const m = r.ext.getUint32(i * CtExt.Size + CtExt.Master, true) - 1;
    if (m < 0 || m * CtEntry.Size >= r.bytes.length || r.bytes[m * CtEntry.Size + CtEntry.InUse] === 0 || !alive(r.view, m * CtEntry.Size)) continue;
    uses.set(m, (uses.get(m) ?? 0) + 1);
  }
  return uses;
}

// The entry in slot i, with its extensions.
function readEntryAt(r: Regions, i: number): ConntrackEntry {
  const has = r.bytes[i * CtEntry.Size + CtEntry.Extensions]!;
  const entry = readConntrackEntry(r.bytes, r.view, i * CtEntry.Size, has & CtExtension.Acct ? r.acct : null, i * CtAcct.Size, r.nat, i * CtNat.Size);
  if (has & CtExtension.Misc) entry.labels = labelsText(r.ext, i * CtExt.Size);
  return entry;
}

export function hasStatus(e: ConntrackEntry, bit: CtStatus): boolean {
  return (e.status & (1 << bit)) !== 0;
}
