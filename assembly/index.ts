// The WASM module's exports: set-up, ruleset loading and the batch loop.
// The host reads everything else (counters, the conntrack table, results)
// straight from linear memory at the addresses these functions return.
import { PacketResult, PacketTotals, PacketFate, RulesetFlags, BatchStatus, Tunable, Verdict, OutputClass } from './abi';
import * as cap from './capture';
import { WalkStatus } from './capture';
import * as ctt from './conntrack';
import * as rs from './ruleset';
import * as validate from './validate';
import { configInit, tunables, localAddresses, tunable } from './config';
import { vmInit, setFastPaths, fastPaths, setRandomSeed } from './vm';
import * as warm from './conntrack-warm';
import { processPacket } from './pipeline';
import * as dev from './devices';
import { setAccounting } from './conntrack-hook';
import { expectInit } from './conntrack-expect';
import { natInit } from './nat';
import { defragInit } from './defrag';
import { connlimitInit } from './connlimit';
import { helpersInit } from './helpers';
import * as events from './ct-events';
import * as trace from './trace';
import * as log from './log';
import * as shard from './shard';
import * as sets from './sets';
import * as output from './output';
import * as coverage from './coverage';
import * as checksum from './checksum';

let input: usize = 0;
let inputCapacity: u32 = 0;
let results: usize = 0;
let resultCapacity: u32 = 0;
let consumed: u32 = 0;
let status: i32 = BatchStatus.NeedMore;
// The latest record time so far: the clock packets are evaluated at.
let lastTime: u64 = 0;
let packetCount: u64 = 0;
let totals: usize = 0;
// The conntrack ids results show for the first time, as u32 pairs (packet
// number, low 32 bits; id), in packet order. Ids are given at
// confirmation, in packet order, so an id shows first as the largest yet:
// a sharded run maps its workers' ids to global ones from these lists
// alone. Each batch starts a new list, unless the host keeps one across
// batches (newIdsKeep) and clears it itself.
let newIds: usize = 0;
let newIdCount: u32 = 0;
// Packets since the list was started, its own or not: at most one id each,
// and a bound every worker of a sharded run reaches at the same packet.
let newIdsSpan: u32 = 0;
let lastIdShown: u32 = 0;
let keepNewIds = false;
// Whether the host reads the per-packet results: when nobody does, every
// packet's result goes to the first record, and a batch is bounded by the
// list of first-shown ids alone.
let keepResults = true;

@inline function addTotal(field: PacketTotals): void {
  store<u64>(totals + field, load<u64>(totals + field) + 1);
}

export function init(ctMax: u32, inputBytes: u32, maxResults: u32): void {
  configInit();
  dev.devicesInit();
  ctt.conntrackInit(ctMax);
  expectInit();
  natInit();
  defragInit();
  connlimitInit();
  helpersInit();
  vmInit();
  input = heap.alloc(<usize>inputBytes);
  inputCapacity = inputBytes;
  results = heap.alloc(<usize>maxResults * PacketResult.Size);
  resultCapacity = maxResults;
  newIds = heap.alloc(<usize>maxResults * 8);
  totals = heap.alloc(PacketTotals.Size);
  memory.fill(totals, 0, PacketTotals.Size);
  cap.captureReset();
}

export function inputBuffer(): usize { return input; }
export function inputSize(): u32 { return inputCapacity; }
export function resultsBuffer(): usize { return results; }
export function packetTotals(): usize { return totals; }
export function newIdsBuffer(): usize { return newIds; }
export function newIdsCount(): u32 { return newIdCount; }
export function newIdsKeep(on: bool): void { keepNewIds = on; }
export function newIdsClear(): void {
  newIdCount = 0;
  newIdsSpan = 0;
}
export function resultsKeep(on: bool): void { keepResults = on; }
export function tunablesBuffer(): usize { return tunables; }
export function localAddressesBuffer(): usize { return localAddresses; }
export function devicesBuffer(): usize { return dev.devices; }
export function routesBuffer(): usize { return dev.routes; }

export function rulesetReserve(len: u32): usize { return rs.rulesetReserve(len); }
export function rulesetLoad(): i32 {
  const r = rs.rulesetLoad();
  if (r == 0) setAccounting((rs.flags & RulesetFlags.Accounting) != 0 || tunable(Tunable.Acct) != 0);
  return r;
}
// Where in the image the fault rulesetLoad refused lies (a byte offset),
// and the value at fault.
export function rulesetErrorAt(): u32 { return validate.errorAt; }
export function rulesetErrorValue(): u32 { return validate.errorValue; }
export function countersBuffer(): usize { return rs.counters; }
// The sets' descriptors (SetDescriptor in abi.ts), through which the host
// reads what rules have added.
export function setDescriptors(): usize { return sets.setDescriptors(); }
// The 16-byte state slots of limits and quotas (a quota's first u64: the
// bytes it has counted).
export function statesBuffer(): usize { return rs.statesBuffer(); }
export function fastPathsEnable(on: bool): void { setFastPaths(on); }
export function randomSeed(seed: u32): void { setRandomSeed(seed); }
export function shardSet(index: u32, count: u32): void { shard.shardSet(index, count); }

export function conntrackEntries(): usize { return ctt.entries; }
// Where the entry arrays are: they move as the table grows.
export function conntrackRegions(): usize { return ctt.regionsAt; }
export function conntrackExtensions(): usize { return ctt.exts; }
export function conntrackAccounting(): usize { return ctt.accts; }
export function conntrackNat(): usize { return ctt.nats; }
export function conntrackHighWater(): usize { return ctt.highWaterAt; }
export function conntrackCount(): u32 { return ctt.count; }
export function conntrackStats(): usize { return ctt.stats; }
export function conntrackHashKey(k0: u64, k1: u64): void { ctt.setHashKey(k0, k1); }
export function conntrackProbes(): u64 { return ctt.probes; }
// The index hash of a tuple key (protocols, zone, tuple) written at `at`.
export function conntrackTupleHash(at: usize): u32 { return ctt.hashKey(at); }
export function conntrackCollect(t: u64): void { ctt.collectGarbage(t); }

// Conntrack events (assembly/ct-events.ts): switched on once, drained by the
// host after every batch.
export function eventsEnable(capacity: u32): void { events.eventsEnable(capacity); }
export function eventsBuffer(): usize { return events.eventsBuffer(); }
export function eventsCount(): u32 { return events.ringCount; }
export function eventsClear(): void { events.eventsClear(); }

// Tracing (assembly/trace.ts): returns where the host writes the ascending
// packet numbers to trace. Chains from firstTriggerChain on (0xffffffff:
// none) select packets to trace by matching them.
export function traceInit(records: u32, packets: u32, firstTriggerChain: u32): usize { return trace.traceInit(records, packets, firstTriggerChain); }
export function traceBuffer(): usize { return trace.records.start; }
export function traceCount(): u32 { return trace.records.count; }
export function traceTruncated(): bool { return trace.records.truncated; }
export function traceClear(): void { trace.records.clear(); }

// Logging (assembly/log.ts): records of LogRecord.Size bytes, logCount() of
// them at the address logInit() returns, drained by the host after every
// batch.
export function logInit(records: u32): usize { return log.records.init(records); }
export function logCount(): u32 { return log.records.count; }
export function logTruncated(): bool { return log.records.truncated; }
export function logClear(): void { log.records.clear(); }

// Capture files written by the data plane (assembly/output.ts): the host
// writes each region's outputLength() bytes after a batch, then rewinds it.
export function outputEnable(cls: u32, format: u32, bytes: u32): usize { return output.outputEnable(cls, format, bytes); }
export function outputLength(cls: u32): u32 { return output.outputLength(cls); }
export function outputRewind(cls: u32): void { output.outputRewind(cls); }
export function outputStarted(cls: u32): bool { return output.outputStarted(cls); }
export function outputConflict(): i32 { return output.conflict; }
export function outputFileLinkType(cls: u32): u32 { return output.outputFileLinkType(cls); }

// Rule coverage (assembly/coverage.ts): records of CoverageRecord.Size
// bytes, coverageCount() of them at the address coverageEnable() returns.
export function coverageEnable(): usize { return coverage.coverageEnable(); }
export function coverageCount(): u32 { return coverage.recordCount; }
export function coverageRecords(): usize { return coverage.records; }

export function captureRestart(): void { cap.captureReset(); }
export function captureLinkType(): u32 { return cap.linkType; }
export function captureError(): i32 { return cap.errorCode; }
export function captureErrorLength(): u32 { return cap.errorLength; }
export function captureErrorLimit(): u32 { return cap.errorLimit; }
export function batchConsumed(): u32 { return consumed; }
export function batchStatus(): i32 { return status; }
export function lastPacketTime(): u64 { return lastTime; }
export function packetsProcessed(): u64 { return packetCount; }

// Walks the records in input[start, len), evaluating each packet, until the
// bytes run out, the result array is full, or the capture is damaged.
// Returns the number of results written; batchConsumed() tells where it
// stopped and batchStatus() why.
export function processBatch(start: u32, len: u32, final: bool): u32 {
  let pos = input + <usize>start;
  const end = input + <usize>len;
  let n: u32 = 0;
  if (!keepNewIds) newIdsClear();
  // Warming is one of the interpreter's shortcuts: the plain path shows it
  // changes no answer.
  const warming = fastPaths && rs.usesConntrack();
  warm.warmReset();
  while (true) {
    if (warming && pos >= warm.warmedUntil && ctt.count >= warm.MIN_ENTRIES) warm.warmAhead(cap.linkType, pos, end);
    // A full event ring or trace buffer also ends the batch: the host drains
    // them with the results.
    if ((keepResults && n == resultCapacity) || newIdsSpan == resultCapacity || (events.enabled && !events.roomForPacket()) || (trace.records.enabled() && !trace.records.roomForPacket()) || (log.records.enabled() && !log.records.roomForPacket())) {
      status = BatchStatus.ResultsFull;
      break;
    }
    const st = cap.nextRecord(pos, end, final);
    if (st == WalkStatus.Skip) {
      pos = cap.recordEnd;
      continue;
    }
    if (st == WalkStatus.NeedMore) {
      status = BatchStatus.NeedMore;
      break;
    }
    if (st == WalkStatus.End) {
      status = BatchStatus.End;
      break;
    }
    if (st == WalkStatus.Error) {
      status = BatchStatus.Error;
      break;
    }
    // Room for the packet's record in the capture files first: the host
    // writes them out and the batch goes on from this record.
    if (output.enabled && !output.roomFor(cap.recordCaplen)) {
      status = BatchStatus.ResultsFull;
      break;
    }
    const out = keepResults ? results + <usize>n * PacketResult.Size : results;
    store<u32>(out + PacketResult.RecordOffset, <u32>(cap.recordStart - input));
    store<u32>(out + PacketResult.RecordLength, <u32>(cap.recordEnd - cap.recordStart));
    store<u32>(out + PacketResult.DataOffset, <u32>(cap.recordData - input));
    store<u32>(out + PacketResult.CapturedLength, cap.recordCaplen);
    store<u32>(out + PacketResult.OriginalLength, cap.recordOrigLen);
    store<u32>(out + PacketResult.LinkType, cap.linkType);
    if (cap.recordLongerThanPacket && shard.shardIndex == 0) addTotal(PacketTotals.LongerThanPacket);
    const recordTime = cap.recordTime;
    if (recordTime < lastTime) {
      if (shard.shardIndex == 0) addTotal(PacketTotals.BackInTime);
    } else {
      lastTime = recordTime;
    }
    const clock = lastTime;
    if (shard.shardCount > 1 && !shard.ownPacket(cap.parsedLinkType(), cap.recordData, cap.recordCaplen, cap.recordOrigLen)) {
      store<u8>(out + PacketResult.Verdict, shard.FOREIGN);
      packetCount++;
      newIdsSpan++;
      n++;
      pos = cap.recordEnd;
      continue;
    }
    // The collector runs whether or not anyone listens, as the kernel's
    // gc_worker does: expired entries leave, and new ones take their warm
    // slots instead of new pages. Its DESTROY events go with the packet it
    // ran before.
    if (events.enabled) events.beginPacket(n, clock);
    if (rs.usesConntrack()) ctt.collectDue(clock, events.COLLECTED_PER_PACKET);
    if (trace.records.enabled()) trace.beginPacket(n, packetCount + 1);
    if (log.records.enabled()) log.beginPacket(n);
    dev.captureIfName = cap.recordIfName;
    if (warming) warm.hintRecord(cap.recordData);
    processPacket(cap.parsedLinkType(), cap.recordData, cap.recordCaplen, cap.recordOrigLen, clock, out);
    // Results keep the record's own time, as the capture has it.
    store<u64>(out + PacketResult.Time, recordTime);
    addTotal(load<u8>(out + PacketResult.Verdict) == <u8>Verdict.Accept ? PacketTotals.Accepted : PacketTotals.Dropped);
    const fate = load<u8>(out + PacketResult.Fate);
    if (fate != <u8>PacketFate.Filtered && (fate < <u8>PacketFate.Martian || fate == <u8>PacketFate.ForwardedCopy)) addTotal(PacketTotals.NotEvaluated);
    if (checksum.failed) addTotal(PacketTotals.BadL4Checksum);
    const id = load<u32>(out + PacketResult.CtId);
    if (id > lastIdShown) {
      lastIdShown = id;
      store<u32>(newIds + (<usize>newIdCount << 3), <u32>packetCount);
      store<u32>(newIds + (<usize>newIdCount << 3) + 4, id);
      newIdCount++;
    }
    if (events.enabled) events.afterPacket();
    if (trace.records.enabled()) trace.endPacket();
    packetCount++;
    newIdsSpan++;
    n++;
    pos = cap.recordEnd;
    if (output.enabled && fate != <u8>PacketFate.ForwardedCopy) {
      const cls = load<u8>(out + PacketResult.Verdict) == <u8>Verdict.Accept ? OutputClass.Accepted : OutputClass.Dropped;
      // The device the packet leaves by, for a packet that met the hooks.
      const device = fate == <u8>PacketFate.Filtered ? dev.outputEntry() : 0;
      if (!output.outputPacket(cls, cap.linkType, device, cap.recordData, cap.recordCaplen, cap.recordOrigLen, cap.recordTime)) {
        status = BatchStatus.OutputLinkType;
        break;
      }
    }
  }
  consumed = <u32>(pos - input);
  return n;
}
