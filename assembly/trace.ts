// Rule tracing, as `nft monitor trace` reports it: for the packets the host
// flags (by number) or the ruleset flags (meta nftrace set 1), every rule
// that ran to its end and every policy that decided, in order, written into
// a buffer the host prints after each batch.
//
// The host can also name trigger chains (every chain from an index on): a
// packet is traced when one of their rules matches it. Until one does, its
// records are provisional, and they are taken back when none matched; the
// trigger chains' own records are never written.
//
// The VM calls in through hooks guarded by `active`, so untraced packets pay
// one branch per rule.
import { TraceRecord, TraceKind, Verdict, PacketPath } from './abi';
import * as devices from './devices';
import { RecordBuffer } from './record-buffer';

// Room kept free before a traced packet starts: a packet meets at most a few
// hundred rules in any realistic ruleset; past that its records are cut and
// the cut is flagged.
export const records = new RecordBuffer(TraceRecord.Size, 1024);

export let active = false;
// Packet numbers (u64, ascending) the host asked to trace, and the next one.
let wanted: usize = 0;
let wantedCount: u32 = 0;
let wantedNext: u32 = 0;
let packetIndex: u32 = 0;
const NO_TRIGGER: u32 = 0xffffffff;
let triggerFrom: u32 = NO_TRIGGER;
// The current packet awaits a trigger rule; its records start at packetStart.
let probing = false;
let packetStart: u32 = 0;
// The current packet's path, set before its first hook.
export let path: PacketPath = PacketPath.Input;

export function traceInit(count: u32, packets: u32, firstTriggerChain: u32): usize {
  triggerFrom = firstTriggerChain;
  records.init(count);
  wanted = heap.alloc(<usize>packets * 8 + 8);
  wantedCount = packets;
  wantedNext = 0;
  return wanted;
}

// Before each packet: is it one the host asked for?
export function beginPacket(index: u32, number: u64): void {
  packetIndex = index;
  while (wantedNext < wantedCount && load<u64>(wanted + (<usize>wantedNext << 3)) < number) wantedNext++;
  const isWanted = wantedNext < wantedCount && load<u64>(wanted + (<usize>wantedNext << 3)) == number;
  probing = !isWanted && triggerFrom != NO_TRIGGER;
  active = isWanted || probing;
  packetStart = records.count;
}

// After each packet: one still waiting for a trigger was not traced.
export function endPacket(): void {
  if (probing) {
    records.count = packetStart;
    probing = false;
  }
  active = false;
}

// meta nftrace set: tracing starts (or stops) from this rule on.
export function setNftrace(on: bool): void {
  if (records.enabled()) active = on;
}

function emit(kind: TraceKind, chain: u32, handle: u32, verdict: i32, target: u32, mark: u32): void {
  const r = records.next();
  if (r == 0) return;
  store<u32>(r + TraceRecord.Packet, packetIndex);
  store<u32>(r + TraceRecord.Chain, chain);
  store<u32>(r + TraceRecord.Handle, handle);
  store<i32>(r + TraceRecord.Verdict, verdict);
  store<u32>(r + TraceRecord.Target, target);
  store<u32>(r + TraceRecord.Kind, kind);
  store<u32>(r + TraceRecord.Mark, mark);
  store<u32>(r + TraceRecord.Path, path);
  store<u32>(r + TraceRecord.InputDevice, devices.inputIndex());
  store<u32>(r + TraceRecord.OutputDevice, devices.outputIndex());
}

// Hook: a rule ran to its end (verdict Continue) or set a verdict.
export function ruleDone(chain: u32, handle: u32, verdict: i32, target: u32, mark: u32): void {
  if (chain >= triggerFrom) {
    probing = false;
    return;
  }
  emit(TraceKind.Rule, chain, handle, verdict, target, mark);
}

// Hook: a base chain ran out of rules and its policy decided.
export function policyDone(chain: u32, verdict: i32, mark: u32): void {
  if (chain >= triggerFrom) return;
  emit(TraceKind.Policy, chain, 0, verdict, 0, mark);
}

// Hook: a chain that was jumped to ran out of rules; evaluation returns.
export function chainReturned(chain: u32, mark: u32): void {
  emit(TraceKind.Return, chain, 0, Verdict.Return, 0, mark);
}
