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
  const ex = engine.exports;
  const used = conntrackHighWater(engine);
  const bytes = engine.bytes(ex.conntrackEntries(), used * CtEntry.Size);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The extension records sit in parallel arrays beside the entries, valid
  // where an entry's Extensions bits say.
  const ext = engine.view(ex.conntrackExtensions(), used * CtExt.Size);
  const acct = engine.view(ex.conntrackAccounting(), used * CtAcct.Size);
  const nat = engine.bytes(ex.conntrackNat(), used * CtNat.Size);
  const alive = new Map<number, ConntrackEntry>();
  const masters: number[] = [];
  for (let i = 0; i < used; i++) {
    const e = i * CtEntry.Size;
    if (bytes[e + CtEntry.InUse] === 0) continue;
    if (view.getBigUint64(e + CtEntry.Expires, true) <= now) continue;
    const has = bytes[e + CtEntry.Extensions]!;
    const entry = readConntrackEntry(bytes, view, e, has & CtExtension.Acct ? acct : null, i * CtAcct.Size, nat, i * CtNat.Size);
    if (has & CtExtension.Misc) {
      entry.labels = labelsText(ext, i * CtExt.Size);
      masters.push(ext.getUint32(i * CtExt.Size + CtExt.Master, true));
    }
    alive.set(i, entry);
  }
  for (const m of masters) {
    const master = m === 0 ? undefined : alive.get(m - 1);
    if (master) master.use++;
  }
  return [...alive.values()].sort((a, b) => a.id - b.id);
}

export function hasStatus(e: ConntrackEntry, bit: CtStatus): boolean {
  return (e.status & (1 << bit)) !== 0;
}
