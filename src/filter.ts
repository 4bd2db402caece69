// The public filter: a compiled ruleset loaded into a data plane instance,
// fed capture bytes in large blocks, answering with per-packet results,
// counters and the conntrack table. No Node built-ins: the Node entry and
// the browser entry share it.
import { BatchStatus, CaptureError, CtEntry, CtStat, OutputClass, OutputFormat, PacketTotals, RulesetFlags, RulesetHeader, Tunable } from '../assembly/abi.js';
import type { Ruleset, ListingOptions } from '../compiler/index.js';
import { Engine, hashKeyOf, randomHashKey, type DataPlaneExports, type EngineOptions, type LocalAddress, type WasmSource } from './engine.js';
import { PacketBatch } from './packet-batch.js';
import { CtEventBatch } from './ct-event-batch.js';
import { TraceBatch } from './trace-batch.js';
import { PacketLog, type LogListener } from './packet-log.js';
import { CaptureFormatError, walkDetail } from './capture-error.js';
import { resolveSysctls } from './sysctl.js';
import { parseIpv4, parseIpv6 } from './address.js';
import { aliveAt, conntrackHighWater, tableEntries, type ConntrackEntry } from './conntrack-table.js';
import { conntrackListingChunks } from './conntrack-listing.js';
import { liveSetElements } from './set-contents.js';
import { readCoverage, type RuleCoverage } from './coverage.js';
import { localAddressesOf, type HostNetwork } from './host-network.js';

export type ConntrackFormat = 'conntrack' | 'proc';

export interface FilterOptions {
  // Addresses of the host the ruleset protects (see the path model in README);
  // by default those of network.devices.
  local?: readonly string[];
  // The host's devices and routes (parseInterfaces, parseRoutes): input and
  // output devices for meta iif, oifname and the like.
  network?: HostNetwork;
  // Seed of meta random's sequence and of the conntrack hash's key (a 32-bit
  // number): the same seed, the same run. Without it the hash key is random,
  // as the kernel's is.
  seed?: number;
  // Conntrack tunables by sysctl name, e.g. { nf_conntrack_tcp_loose: 0 }.
  sysctl?: Record<string, number | string>;
  // Bytes of capture handed to the data plane at a time.
  batchBytes?: number;
  // Per-packet results buffered before the host is called back.
  maxResults?: number;
  // The data plane module; the Node entry supplies it from build/.
  wasm?: WasmSource;
  // The data plane's linear memory, for one with a lower maximum than
  // 4 GiB: the conntrack table stops growing there, and new connections are
  // dropped as the kernel drops them when it cannot allocate an entry.
  memory?: WebAssembly.Memory;
  // Report conntrack events (NEW, UPDATE, DESTROY) with each batch.
  events?: boolean;
  // Trace the path of packets through the rules: those numbered here
  // (1-based), those a rule marks with `meta nftrace set 1`, and those a
  // rule of a trigger chain (every chain from index triggerChainsFrom on,
  // whose own rules are not traced) matches.
  trace?: { packets?: readonly number[]; triggerChainsFrom?: number };
  // false: the interpreter's general paths only, to check its shortcuts
  // against them.
  fastPaths?: boolean;
  // Count, per rule, the packets that reached it, matched it, and would
  // have matched it had an earlier rule not decided them (Filter.coverage).
  coverage?: boolean;
  // Called for every packet a `log` statement logs, with the kernel log's
  // message for it, or where else the kernel sends it (NFLOG, audit).
  log?: LogListener;
}

export interface FilterStats {
  packets: number;
  accepted: number;
  dropped: number;
  // Packets no hook saw: not IP, malformed before the stack, held fragments.
  notEvaluated: number;
  // Records stamped earlier than a record before them: evaluated at the
  // latest time seen, as the kernel's clock never goes back.
  backInTime: number;
  // Records holding more bytes than their packets had (tcpdump: "Invalid
  // header"): evaluated and written as their packets' own bytes.
  longerThanPacket: number;
  // Packets conntrack found invalid for their TCP, UDP, ICMP or SCTP
  // checksum alone (nf_conntrack_checksum).
  badChecksums: number;
  conntrackEntries: number;
}

// Conntrack's statistics over the run, under the kernel's names
// (`conntrack -S`).
export interface ConntrackStatistics {
  found: number;
  new: number;
  invalid: number;
  insert: number;
  // Packets dropped for want of room in a full table.
  drop: number;
  earlyDrop: number;
  expired: number;
  // Of drop, the packets whose entry found no memory left (WebAssembly's
  // 4 GiB, or the maximum the host gave), not nf_conntrack_max.
  outOfMemory: number;
}

export type BatchListener = (batch: PacketBatch) => void;
// Reads into dest, returns the number of bytes read (0 at the end).
export type CaptureReader = (dest: Uint8Array) => number;

// A reader of a capture held in memory, from its start.
export function memoryReader(bytes: Uint8Array): CaptureReader {
  let at = 0;
  return (dest) => {
    const n = Math.min(dest.length, bytes.length - at);
    dest.set(bytes.subarray(at, at + n));
    at += n;
    return n;
  };
}

// Room for records of four times the usual 256 KiB snap length.
export const DEFAULT_BATCH_BYTES = 1 << 20;
// The input buffer is read, and processed, this many blocks at a time (see
// CaptureRun.chunkBytes).
export const READ_BLOCKS_PER_BUFFER = 4;
const DEFAULT_MAX_RESULTS = 4096;
const EVENT_RING_RECORDS = 4096;
const TRACE_RECORDS = 65536;
const LOG_RECORDS = 4096;

let defaultWasm: (() => Promise<WasmSource>) | null = null;

// Lets an entry point (Node, browser) say where the module comes from.
export function setDefaultWasm(loader: () => Promise<WasmSource>): void {
  defaultWasm = loader;
}

export function parseLocalAddresses(list: readonly string[]): LocalAddress[] {
  return list.map((text) => {
    const a = text.trim();
    const v4 = parseIpv4(a);
    if (v4) return { family: 4, bytes: v4 } as LocalAddress;
    const v6 = parseIpv6(a);
    if (v6) return { family: 6, bytes: v6 } as LocalAddress;
    throw new RangeError(`"${a}" is not an IPv4 or IPv6 address`);
  });
}

// The length of conntrackTable() without building it: a run's summary must
// not cost as much as the run. Entries are handed out from the low end of
// the table, so the scan ends once every entry in use has been seen,
// before the pages no entry ever reached (reading those faults them in).
export function liveConntrackEntries(engine: Engine, now: bigint): number {
  const ex = engine.exports;
  const used = conntrackHighWater(engine);
  const inUse = ex.conntrackCount();
  const view = engine.view(ex.conntrackEntries(), used * CtEntry.Size);
  const alive = aliveAt(now);
  let seen = 0;
  let live = 0;
  for (let e = 0; seen < inUse && e < used * CtEntry.Size; e += CtEntry.Size) {
    if (view.getUint8(e + CtEntry.InUse) === 0) continue;
    seen++;
    if (alive(view, e)) live++;
  }
  return live;
}

// A capture file the data plane writes (assembly/output.ts): the host
// hands each batch's bytes to `write`, and asks `mixedLinkTypes` for the
// error when a pcap file meets a second link type.
export interface DataPlaneOutput {
  format: OutputFormat.Pcap | OutputFormat.Pcapng;
  write(bytes: Uint8Array): void;
  mixedLinkTypes(packet: number, linkType: number, fileLinkType: number): Error;
}

export class Filter {
  readonly ruleset: Ruleset;
  readonly engine: Engine;
  readonly events: boolean;
  readonly tracing: boolean;
  // The packets `log` statements logged, and who hears of them.
  log: { reader: PacketLog; listener: LogListener } | null = null;
  private lastTime = 0n;
  // By OutputClass: where the data plane writes the class's records.
  private readonly outputs: ({ output: DataPlaneOutput; region: number } | undefined)[] = [];

  constructor(ruleset: Ruleset, engine: Engine, events = false, tracing = false) {
    this.ruleset = ruleset;
    this.engine = engine;
    this.events = events;
    this.tracing = tracing;
  }

  // The data plane writes the records of the packets of a class (accepted
  // or dropped) itself, as the host's pcap and pcapng writers would.
  writeOutput(cls: OutputClass, output: DataPlaneOutput): void {
    // Room for a whole input buffer's worth of records, whatever their size.
    const ex = this.engine.exports;
    this.outputs[cls] = { output, region: ex.outputEnable(cls, output.format, ex.inputSize() * 2 + 4096) };
  }

  // Whether a data-plane output of this class has written anything yet.
  outputStarted(cls: OutputClass): boolean {
    return this.engine.exports.outputStarted(cls) !== 0;
  }

  // Hands what the data plane wrote in the last batch to the outputs.
  drainOutputs(): void {
    const ex = this.engine.exports;
    this.outputs.forEach((o, cls) => {
      const n = o ? ex.outputLength(cls) : 0;
      if (n === 0) return;
      o!.output.write(this.engine.bytes(o!.region, n));
      ex.outputRewind(cls);
    });
  }

  // The error of an output that met a second link type.
  outputConflict(): Error | null {
    const ex = this.engine.exports;
    const cls = ex.outputConflict();
    const o = cls >= 0 ? this.outputs[cls] : undefined;
    if (!o) return null;
    return o.output.mixedLinkTypes(Number(ex.packetsProcessed()), ex.captureLinkType(), ex.outputFileLinkType(cls));
  }

  // Rule coverage so far: empty unless the filter was created with it.
  // Rules of hiddenTable (the CLI's trace-filter table) are left out.
  coverage(hiddenTable?: string): RuleCoverage[] {
    return readCoverage(this.ruleset, this.engine, hiddenTable);
  }

  // Runs a whole capture file held in memory.
  processCapture(bytes: Uint8Array, onBatch?: BatchListener): FilterStats {
    return this.processReader(memoryReader(bytes), onBatch);
  }

  // Runs a capture pulled block by block (a file larger than memory).
  processReader(read: CaptureReader, onBatch?: BatchListener, source?: string): FilterStats {
    const steps = this.readerSteps(read, onBatch, source);
    while (!steps.next().done);
    return this.stats();
  }

  // processReader one block at a time: between blocks the caller may let
  // other work run (a signal's handler) or stop, leaving the rest unread.
  *readerSteps(read: CaptureReader, onBatch?: BatchListener, source?: string): Generator<void, void, void> {
    const run = this.begin(source);
    for (;;) {
      const dest = run.space().subarray(0, run.chunkBytes);
      const n = dest.length === 0 ? 0 : read(dest);
      run.filled(n, onBatch);
      if (n === 0) return;
      yield;
    }
  }

  // Runs a capture arriving as chunks (standard input, a browser stream).
  async processStream(chunks: AsyncIterable<Uint8Array>, onBatch?: BatchListener, source?: string): Promise<FilterStats> {
    const run = this.begin(source);
    for await (const chunk of chunks) {
      let at = 0;
      while (at < chunk.length) {
        const dest = run.space();
        const n = Math.min(dest.length, chunk.length - at);
        dest.set(chunk.subarray(at, at + n));
        at += n;
        run.filled(n, onBatch);
      }
    }
    run.filled(0, onBatch);
    return this.stats();
  }

  private begin(source = 'capture'): CaptureRun {
    this.engine.exports.captureRestart();
    return new CaptureRun(this, source);
  }

  // A capture fed by the caller straight into the input buffer, e.g. live
  // packets assembled into a pcap stream: write into space(), report with
  // filled(), process what is there with flush(), finish with filled(0).
  openCapture(source?: string): CaptureRun {
    return this.begin(source);
  }

  /** @internal */
  noteTime(): void {
    this.lastTime = this.engine.exports.lastPacketTime();
  }

  // The data plane instances whose totals (packets, counters, conntrack
  // statistics, quotas) add up to the filter's.
  protected totalsEngines(): readonly Engine[] {
    return [this.engine];
  }

  counters(): BigUint64Array {
    return BigUint64Array.from(this.sumOverEngines((ex) => ex.countersBuffer(), this.ruleset.counterCount * 2));
  }

  // `nft list ruleset` with the counters as they stand.
  listRuleset(opts: Omit<ListingOptions, 'counters' | 'quotaCounted' | 'setElements'> = {}): string {
    return this.ruleset.toListing({
      ...opts,
      counters: this.counters(),
      quotaCounted: (slot) => this.quotaCounted(slot),
      setElements: (set) => liveSetElements(this.engine, set.index, this.lastTime),
    });
  }

  // The bytes the quota of state slot `slot` has counted, over every data
  // plane of the run.
  private quotaCounted(slot: number): bigint {
    return this.sumOverEngines((ex) => ex.statesBuffer() + slot * 16, 1)[0]!;
  }

  // `count` u64s at the address `at` gives in each data plane's memory,
  // added up over every data plane of the run.
  private sumOverEngines(at: (ex: DataPlaneExports) => number, count: number): bigint[] {
    const sum = new Array<bigint>(count).fill(0n);
    for (const e of this.totalsEngines()) {
      const values = e.u64(at(e.exports), count);
      for (let i = 0; i < count; i++) sum[i]! += values[i]!;
    }
    return sum;
  }

  conntrackTable(): ConntrackEntry[] {
    return [...this.conntrackEntries()];
  }

  // The table one entry at a time, in the order of their ids: a table of
  // millions is read without holding them all.
  conntrackEntries(): Iterable<ConntrackEntry> {
    return tableEntries([this.engine], this.lastTime);
  }

  // `conntrack -L -o extended,id` (or /proc/net/nf_conntrack with
  // format 'proc'), timeouts as they stand at the last packet.
  conntrackListing(opts: { format?: ConntrackFormat } = {}): string {
    return [...this.conntrackListingChunks(opts)].join('');
  }

  // conntrackListing in pieces of about 64 KiB, for a writer to take one at
  // a time.
  conntrackListingChunks(opts: { format?: ConntrackFormat } = {}): Iterable<string> {
    const image = this.ruleset.image;
    const flags = new DataView(image.buffer, image.byteOffset, image.byteLength).getUint32(RulesetHeader.Flags * 4, true);
    const accounting = (flags & RulesetFlags.Accounting) !== 0;
    const tunables = this.engine.u32(this.engine.exports.tunablesBuffer(), Tunable.Count);
    const listing = { now: this.lastTime, accounting, greTimeout: tunables[Tunable.GreTimeout]!, greStreamTimeout: tunables[Tunable.GreTimeoutStream]! };
    return conntrackListingChunks(this.conntrackEntries(), listing, opts.format === 'proc');
  }

  stats(): FilterStats {
    const sum = this.sumOverEngines((ex) => ex.packetTotals(), PacketTotals.Size / 8);
    return {
      packets: Number(this.engine.exports.packetsProcessed()),
      accepted: Number(sum[PacketTotals.Accepted / 8]),
      dropped: Number(sum[PacketTotals.Dropped / 8]),
      notEvaluated: Number(sum[PacketTotals.NotEvaluated / 8]),
      backInTime: Number(sum[PacketTotals.BackInTime / 8]),
      longerThanPacket: Number(sum[PacketTotals.LongerThanPacket / 8]),
      badChecksums: Number(sum[PacketTotals.BadL4Checksum / 8]),
      conntrackEntries: liveConntrackEntries(this.engine, this.lastTime),
    };
  }

  conntrackStatistics(): ConntrackStatistics {
    const sum = this.sumOverEngines((ex) => ex.conntrackStats(), CtStat.Count);
    const at = (s: CtStat): number => Number(sum[s]);
    return {
      found: at(CtStat.Found),
      new: at(CtStat.New),
      invalid: at(CtStat.Invalid),
      insert: at(CtStat.Insert),
      drop: at(CtStat.Drop),
      earlyDrop: at(CtStat.EarlyDrop),
      expired: at(CtStat.Expired),
      outOfMemory: at(CtStat.OutOfMemory),
    };
  }

  // Capture time (ns) of the last packet seen.
  get time(): bigint {
    return this.lastTime;
  }
}

// What the walker stopped at, `offset` bytes into the capture.
export function walkFailure(ex: DataPlaneExports, offset: number, source: string): CaptureFormatError {
  const code = ex.captureError() as CaptureError;
  const detail = walkDetail(code, ex.captureLinkType(), ex.captureErrorLength(), ex.captureErrorLimit());
  return new CaptureFormatError(code, offset, Number(ex.packetsProcessed()) + 1, source, detail);
}

// One pass over one capture: the input buffer's fill level and the walker.
export class CaptureRun {
  private len = 0;
  // File offset of the first byte in the input buffer.
  private base = 0;
  private done = false;

  constructor(private readonly filter: Filter, private readonly source: string) {}

  space(): Uint8Array {
    const ex = this.filter.engine.exports;
    return this.filter.engine.bytes(ex.inputBuffer() + this.len, ex.inputSize() - this.len);
  }

  // n more bytes are in the buffer (0: the capture has ended).
  filled(n: number, onBatch?: BatchListener): void {
    if (this.done) return;
    this.len += n;
    const final = n === 0;
    if (!final && this.len < this.chunkBytes) return;
    this.drain(final, onBatch);
  }

  // Capture bytes are read, and processed, a quarter of the input buffer at
  // a time: a block small enough for the CPU's second-level cache is still
  // there when the data plane walks it right after the read. The page
  // faults of a large buffer's first use cost as much again.
  get chunkBytes(): number {
    return Math.max(1, Math.floor(this.filter.engine.exports.inputSize() / READ_BLOCKS_PER_BUFFER));
  }

  // Bytes free at the end of the input buffer, and the linear-memory address
  // where they start: a live capture writes records there itself.
  get free(): number {
    return this.filter.engine.exports.inputSize() - this.len;
  }

  get writeAddress(): number {
    return this.filter.engine.exports.inputBuffer() + this.len;
  }

  // Processes every whole record in the buffer now, without waiting for it
  // to fill.
  flush(onBatch?: BatchListener): void {
    if (!this.done && this.len > 0) this.drain(false, onBatch);
  }

  private drain(final: boolean, onBatch?: BatchListener): void {
    const engine = this.filter.engine;
    const ex = engine.exports;
    let pos = 0;
    for (;;) {
      const first = Number(ex.packetsProcessed()) + 1;
      const count = ex.processBatch(pos, this.len, final ? 1 : 0);
      if (count > 0) {
        const events = this.filter.events ? new CtEventBatch(engine) : null;
        const trace = this.filter.tracing ? new TraceBatch(engine) : null;
        const batch = new PacketBatch(engine, count, first, events, trace);
        this.filter.noteTime();
        try {
          onBatch?.(batch);
          this.filter.log?.reader.read(batch, this.filter.log.listener);
        } finally {
          // The batch's packets are counted whatever the listener met (a
          // closed pipe): the files get their records too, and stay whole.
          this.filter.drainOutputs();
        }
      }
      if (this.filter.events) ex.eventsClear();
      if (this.filter.tracing) ex.traceClear();
      pos = ex.batchConsumed();
      const status = ex.batchStatus();
      if (status === BatchStatus.ResultsFull) continue;
      if (status === BatchStatus.OutputLinkType) {
        this.done = true;
        throw this.filter.outputConflict()!;
      }
      if (status === BatchStatus.Error) {
        this.done = true;
        throw walkFailure(ex, this.base + pos, this.source);
      }
      if (status === BatchStatus.End) this.done = true;
      else if (pos === 0 && this.len === ex.inputSize()) {
        this.done = true;
        throw new CaptureFormatError(CaptureError.RecordTooLong, this.base, Number(ex.packetsProcessed()) + 1, this.source);
      }
      break;
    }
    const input = engine.bytes(ex.inputBuffer(), ex.inputSize());
    input.copyWithin(0, pos, this.len);
    this.base += pos;
    this.len -= pos;
  }
}

export function engineOptions(opts: FilterOptions): EngineOptions {
  const tunables = resolveSysctls(opts.sysctl);
  return {
    conntrackMax: tunables[Tunable.Max]!,
    inputBytes: opts.batchBytes ?? DEFAULT_BATCH_BYTES,
    maxResults: opts.maxResults ?? DEFAULT_MAX_RESULTS,
    tunables,
    local: parseLocalAddresses(opts.local ?? localAddressesOf(opts.network?.devices ?? [])),
    devices: opts.network?.devices ?? [],
    routes: opts.network?.routes ?? [],
    seed: opts.seed ?? 0,
    hashKey: opts.seed === undefined ? randomHashKey() : hashKeyOf(opts.seed),
  };
}

export async function createFilter(ruleset: Ruleset, opts: FilterOptions = {}): Promise<Filter> {
  if (ruleset.dataPlaneRefusal) throw ruleset.dataPlaneRefusal;
  if (ruleset.natNeedsDevices && (opts.network?.devices.length ?? 0) === 0) throw ruleset.natNeedsDevices;
  if (ruleset.routeLookup && !opts.network?.routes?.length) throw ruleset.routeLookup;
  const wasm = opts.wasm ?? (await defaultWasm?.());
  if (!wasm) throw new Error('no data plane module: pass options.wasm or import nftwasm through its Node or browser entry');
  const engine = await Engine.create(wasm, engineOptions(opts), opts.memory);
  engine.loadRuleset(ruleset.image);
  if (opts.fastPaths === false) engine.exports.fastPathsEnable(0);
  if (opts.events) engine.exports.eventsEnable(EVENT_RING_RECORDS);
  if (opts.coverage) engine.exports.coverageEnable();
  if (opts.trace) {
    const wanted = [...new Set(opts.trace.packets ?? [])].sort((a, b) => a - b);
    const at = engine.exports.traceInit(TRACE_RECORDS, wanted.length, opts.trace.triggerChainsFrom ?? 0xffffffff);
    engine.u64(at, wanted.length).set(wanted.map((n) => BigInt(n)));
  }
  const filter = new Filter(ruleset, engine, !!opts.events, !!opts.trace);
  if (opts.log) filter.log = { reader: new PacketLog(ruleset, engine, LOG_RECORDS, opts.network?.devices), listener: opts.log };
  return filter;
}
