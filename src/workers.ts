// `--workers N`: flows sharded across worker threads. Each worker runs its own
// data plane over a shared memory and evaluates the packets of its shard
// (assembly/shard.ts: both directions of a connection, its fragments and the
// ICMP errors about it land on one worker); the main thread reads the
// capture once into worker 0's input buffer, copies each block to the others,
// runs a batch on all of them at once, and merges their results in packet
// order, so that batches, counters and the conntrack table read as one
// worker's would.
import { Worker } from 'node:worker_threads';
import { getSystemErrorMap, getSystemErrorName } from 'node:util';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { BatchStatus, CaptureError, PacketResult } from '../assembly/abi.js';
import { CaptureFormatError } from './capture-error.js';
import { PacketBatch } from './packet-batch.js';
import type { Ruleset } from '../compiler/index.js';
import { Engine, type DataPlaneExports } from './engine.js';
import { Filter, engineOptions, liveConntrackEntries, walkFailure, type BatchListener, type FilterOptions, type FilterStats } from './filter.js';
import { tableEntries, type ConntrackEntry } from './conntrack-table.js';
import { Answer, Command, Slot, controlBytes, workerBase, type WorkerLayout } from './shard-control.js';
import type { ShardWorkerData } from './shard-worker.js';

// assembly/shard.ts FOREIGN: the verdict byte of a packet another worker has.
const FOREIGN = 0xff;
// Workers reading the capture themselves read it a block at a time, small
// enough to be still in the core's second-level cache when the walk
// reaches it; a record may be as long as one data plane's whole input
// buffer, and their buffers hold that and a block after it.
const FILE_BLOCK_BYTES = 256 << 10;
const MAX_RECORD_BYTES = 1 << 20;
const SHARDED_BATCH_BYTES = 2 * MAX_RECORD_BYTES;
// Room for the results of a batch of smallest records, and for the
// first-shown ids of a command's packets (a full list ends the command).
const SHARDED_MAX_RESULTS = 131072;
// Blocks a command reads and runs when nobody reads per-packet results: the
// workers meet once per command, and wait there for the slower one.
const FILE_ROUNDS = 128;

function firstExisting(candidates: readonly string[], what: string): URL {
  for (const rel of candidates) {
    const url = new URL(rel, import.meta.url);
    if (existsSync(fileURLToPath(url))) return url;
  }
  throw new Error(`${what} is missing: run \`npm run build\``);
}

// From the compiled package (dist/src/) and from the sources (src/) alike.
const sharedWasmUrl = (): URL => firstExisting(['../build/nftwasm.shared.wasm', '../../build/nftwasm.shared.wasm'], 'build/nftwasm.shared.wasm');
// The bundled script loads in a fraction of the time its modules take.
const workerUrl = (): URL => firstExisting(['./shard-worker.bundle.cjs', '../dist/src/shard-worker.bundle.cjs', './shard-worker.js', '../dist/src/shard-worker.js'], 'dist/src/shard-worker.bundle.cjs');

class ShardPool {
  readonly ctl: Int32Array;
  private seq = 0;
  private closed = false;
  // Per worker, the global conntrack id of each of its own ids (0: none
  // yet): ids are given in the order entries first show in the merged
  // results, which is the order one worker would have confirmed them in.
  private idMaps: Int32Array[];
  private nextId = 1;
  private owner = new Uint8Array(0);

  constructor(
    readonly workers: Worker[],
    readonly memories: WebAssembly.Memory[],
    readonly layouts: WorkerLayout[],
    control: SharedArrayBuffer,
  ) {
    this.ctl = new Int32Array(control);
    this.idMaps = workers.map(() => new Int32Array(1024));
  }

  answer(w: number, a: Answer): number {
    return this.ctl[workerBase(w) + a]!;
  }

  private run(cmd: Command, start = 0, len = 0, final = 0, copy = 1, results = true): void {
    if (this.closed) throw new Error('the shard workers have ended with the capture they ran');
    const ctl = this.ctl;
    ctl[Slot.Command] = cmd;
    ctl[Slot.Start] = start;
    ctl[Slot.Length] = len;
    ctl[Slot.Final] = final;
    ctl[Slot.Copy] = copy;
    ctl[Slot.Results] = results ? 1 : 0;
    const seq = ++this.seq;
    Atomics.store(ctl, Slot.Seq, seq);
    Atomics.notify(ctl, Slot.Seq);
    if (cmd === Command.Exit) return;
    for (let w = 0; w < this.workers.length; w++) {
      const at = workerBase(w) + Answer.Seq;
      for (;;) {
        const now = Atomics.load(ctl, at);
        if (now === seq) break;
        if (ctl[workerBase(w) + Answer.Failed]) throw new Error(`shard worker ${w} failed`);
        Atomics.wait(ctl, at, now);
      }
    }
  }

  restart(): void {
    this.run(Command.Restart);
  }

  close(): void {
    if (this.closed) return;
    this.run(Command.Exit);
    this.closed = true;
    for (const w of this.workers) void w.terminate();
  }

  // copy: the workers take the bytes from worker 0's input buffer (0: each
  // has them already).
  batch(start: number, len: number, final: number, results = true, copy = 1): number {
    const base = this.packets();
    this.run(Command.Batch, start, len, final, copy, results);
    return this.batchDone(results, base);
  }

  // The packets worker w has been through (every worker goes through all).
  packets(w = 0): number {
    return (this.answer(w, Answer.PacketsHigh) >>> 0) * 2 ** 32 + (this.answer(w, Answer.PacketsLow) >>> 0);
  }

  // Every worker reads up to len bytes of file fd at position after what
  // its input buffer still holds, and runs a batch over it, up to rounds
  // times. Returns the bytes read; what the workers read must agree.
  readBatch(fd: number, position: number, len: number, rounds: number, results: boolean): number {
    const ctl = this.ctl;
    ctl[Slot.File] = fd;
    ctl[Slot.PositionLow] = position % 2 ** 32 | 0;
    ctl[Slot.PositionHigh] = Math.floor(position / 2 ** 32);
    ctl[Slot.Rounds] = rounds;
    this.run(Command.ReadBatch, 0, len, 0, 1, results);
    const n = this.answer(0, Answer.BytesRead);
    for (let w = 0; w < this.workers.length; w++) {
      const errno = this.answer(w, Answer.ReadError);
      if (errno !== 0) {
        this.close();
        throw readError(errno);
      }
      if (this.answer(w, Answer.BytesRead) !== n) {
        this.close();
        throw new Error('the capture changed while the workers read it');
      }
    }
    return n;
  }

  // After a batch: worker 0's results become those of the whole batch when
  // someone reads them (results), and the conntrack ids they show are made
  // global either way.
  // base: the number of packets before the command, in every worker.
  batchDone(results: boolean, base: number): number {
    const n = this.answer(0, Answer.Count);
    if (results) this.merge(n);
    else this.mergeIds(base);
    // The capture is over: the threads go, their memories stay readable for
    // the counters and the conntrack table.
    const status = this.answer(0, Answer.Status);
    if (status === BatchStatus.End || status === BatchStatus.Error) this.close();
    return n;
  }

  // Gives global ids to the entries the batch's packets show, in packet
  // order, as merge does, without going through the results: from the
  // workers' lists of the ids their results show first.
  // The lists carry packet numbers modulo 2^32, ordered from `base`.
  private mergeIds(base: number): void {
    const lists = this.memories.map((m, w) => new Uint32Array(m.buffer, this.layouts[w]!.newIdsBuffer, this.answer(w, Answer.NewIds) * 2));
    const at = lists.map(() => 0);
    const key = (w: number) => (lists[w]![at[w]!]! - base) >>> 0;
    for (;;) {
      let next = -1;
      for (let w = 0; w < lists.length; w++) {
        if (at[w]! < lists[w]!.length && (next < 0 || key(w) < key(next))) next = w;
      }
      if (next < 0) return;
      this.globalId(next, lists[next]![at[next]! + 1]!);
      at[next]! += 2;
    }
  }

  // Word by word, in place: a result is a dozen words, and this runs once
  // per packet on the thread that also reads the capture.
  private merge(n: number): void {
    const words = PacketResult.Size >> 2;
    const out = this.words(0, n * words);
    if (this.owner.length < n) this.owner = new Uint8Array(n);
    const owner = this.owner;
    owner.fill(0, 0, n);
    const verdictWord = PacketResult.Verdict >> 2;
    // The verdict is the low byte of its word (little-endian memory).
    for (let w = 1; w < this.workers.length; w++) {
      const theirs = this.words(w, n * words);
      for (let i = 0, at = 0; i < n; i++, at += words) {
        if ((theirs[at + verdictWord]! & 0xff) === FOREIGN) continue;
        for (let k = 0; k < words; k++) out[at + k] = theirs[at + k]!;
        owner[i] = w;
      }
    }
    for (let i = 0, at = PacketResult.CtId >> 2; i < n; i++, at += words) {
      const id = out[at]!;
      if (id !== 0) out[at] = this.globalId(owner[i]!, id);
    }
  }

  private words(w: number, count: number): Uint32Array {
    return new Uint32Array(this.memories[w]!.buffer, this.layouts[w]!.resultsBuffer, count);
  }

  globalId(w: number, local: number): number {
    let map = this.idMaps[w]!;
    if (local >= map.length) {
      const grown = new Int32Array(Math.max(local + 1, map.length * 2));
      grown.set(map);
      this.idMaps[w] = map = grown;
    }
    if (map[local] === 0) map[local] = this.nextId++;
    return map[local]!;
  }
}

// A failed read in a worker, as fs.readSync would have thrown it.
function readError(errno: number): Error {
  const [code, text] = getSystemErrorMap().get(errno) ?? [getSystemErrorName(errno), 'read failed'];
  return Object.assign(new Error(`${code}: ${text}, read`), { code, errno, syscall: 'read' });
}

function unsupported(name: string): () => never {
  return () => {
    throw new Error(`${name} is not available with --workers`);
  };
}

// Exports standing in for worker w's data plane: its regions, and its batch
// state as it last answered.
function workerExports(pool: ShardPool, w: number): DataPlaneExports {
  const l = pool.layouts[w]!;
  const answer = (a: Answer) => pool.answer(w, a);
  const region = (i: number) => new Uint32Array(pool.memories[w]!.buffer, l.conntrackRegions, 4)[i]!;
  const u64 = (lo: Answer, hi: Answer) => (BigInt(answer(hi) >>> 0) << 32n) | BigInt(answer(lo) >>> 0);
  const missing = new Proxy({} as Record<string, unknown>, { get: (_t, name) => unsupported(String(name)) });
  return Object.assign(Object.create(missing) as DataPlaneExports, {
    memory: pool.memories[w]!,
    inputBuffer: () => l.inputBuffer,
    inputSize: () => l.inputSize,
    resultsBuffer: () => l.resultsBuffer,
    packetTotals: () => l.packetTotals,
    countersBuffer: () => l.countersBuffer,
    statesBuffer: () => l.statesBuffer,
    tunablesBuffer: () => l.tunablesBuffer,
    conntrackEntries: () => region(0),
    conntrackExtensions: () => region(1),
    conntrackAccounting: () => region(2),
    conntrackNat: () => region(3),
    conntrackHighWater: () => l.conntrackHighWater,
    conntrackStats: () => l.conntrackStats,
    // Every worker loads the same image and no rule of a sharded run
    // updates a set, so the first worker's sets are every worker's.
    setDescriptors: () => l.setDescriptors,
    conntrackCount: () => answer(Answer.ConntrackCount),
    captureRestart: () => pool.restart(),
    processBatch: (start: number, len: number, final: number) => pool.batch(start, len, final),
    batchConsumed: () => answer(Answer.Consumed),
    batchStatus: () => answer(Answer.Status),
    captureError: () => answer(Answer.CaptureError),
    captureErrorLength: () => answer(Answer.CaptureErrorLength) >>> 0,
    captureErrorLimit: () => answer(Answer.CaptureErrorLimit) >>> 0,
    captureLinkType: () => answer(Answer.LinkType) >>> 0,
    lastPacketTime: () => u64(Answer.TimeLow, Answer.TimeHigh),
    packetsProcessed: () => BigInt(pool.packets(w)),
    eventsClear: () => {},
    traceClear: () => {},
  });
}

export class ShardedFilter extends Filter {
  private readonly workerEngines: Engine[];

  constructor(ruleset: Ruleset, private readonly pool: ShardPool) {
    super(ruleset, Engine.over(workerExports(pool, 0)));
    this.workerEngines = pool.workers.map((_, w) => Engine.over(workerExports(pool, w)));
  }

  get workers(): number {
    return this.pool.workers.length;
  }

  protected override totalsEngines(): readonly Engine[] {
    return this.workerEngines;
  }

  // Entries no result has shown yet (none, in practice) are given ids in
  // worker order.
  override conntrackEntries(): Iterable<ConntrackEntry> {
    return tableEntries(this.workerEngines, this.time, (w, id) => this.pool.globalId(w, id));
  }

  // A capture file read by the workers themselves, each into its own
  // memory: the bytes land in the cache of the core that walks them, and
  // the main thread only answers for the batches. onRead hears of every
  // block read (for a progress bar).
  processFile(fd: number, onBatch?: BatchListener, source = 'capture', onRead?: (bytes: number) => void): FilterStats {
    const steps = this.fileSteps(fd, onBatch, source, onRead);
    while (!steps.next().done);
    return this.stats();
  }

  // processFile one block at a time, as Filter.readerSteps.
  *fileSteps(fd: number, onBatch?: BatchListener, source = 'capture', onRead?: (bytes: number) => void): Generator<void, void, void> {
    const pool = this.pool;
    const ex = this.engine.exports;
    pool.restart();
    // Results someone reads are merged batch by batch: one block a command.
    const rounds = onBatch ? 1 : FILE_ROUNDS;
    let position = 0;
    for (;;) {
      const before = pool.packets();
      const n = pool.readBatch(fd, position, FILE_BLOCK_BYTES, rounds, onBatch !== undefined);
      position += n;
      onRead?.(n);
      const len = pool.answer(0, Answer.Length);
      const final = pool.answer(0, Answer.Final);
      // Capture offset of the first byte in the workers' input buffers.
      const offset = position - len;
      let count = pool.batchDone(onBatch !== undefined, before);
      this.noteTime();
      let first = before + 1;
      let status: BatchStatus;
      for (;;) {
        if (count > 0) onBatch?.(new PacketBatch(this.engine, count, first));
        status = ex.batchStatus();
        if (status !== BatchStatus.ResultsFull) break;
        first = pool.packets() + 1;
        count = pool.batch(ex.batchConsumed(), len, final, onBatch !== undefined, 0);
        this.noteTime();
      }
      const pos = ex.batchConsumed();
      if (status === BatchStatus.End) break;
      if (status === BatchStatus.Error) throw walkFailure(ex, offset + pos, source);
      // As one data plane: a record that does not fit its input buffer is
      // damage.
      if (len - pos >= MAX_RECORD_BYTES) throw new CaptureFormatError(CaptureError.RecordTooLong, offset + pos, pool.packets() + 1, source);
      yield;
    }
  }

  override stats(): FilterStats {
    const live = this.workerEngines.reduce((n, e) => n + liveConntrackEntries(e, this.time), 0);
    return { ...super.stats(), conntrackEntries: live };
  }

  // Ends the worker threads before the capture has (the end of a capture
  // ends them); the filter processes nothing afterwards.
  close(): void {
    this.pool.close();
  }
}

export async function createShardedFilter(ruleset: Ruleset, workers: number, opts: FilterOptions = {}): Promise<ShardedFilter> {
  if (!Number.isInteger(workers) || workers < 1 || workers > 64) throw new RangeError(`--workers expects 1 to 64, got ${workers}`);
  if (opts.events || opts.trace || opts.coverage || opts.log) throw new RangeError('--workers does not combine with conntrack events, tracing, coverage or --log');
  if (ruleset.dataPlaneRefusal) throw ruleset.dataPlaneRefusal;
  if (ruleset.translates) {
    throw new RangeError('--workers does not combine with nat chains: the two directions of a translated connection carry different address pairs, which the workers share out apart');
  }
  if (ruleset.routeLookup && !opts.network?.routes?.length) throw ruleset.routeLookup;
  if (ruleset.packetState.length > 0) {
    throw new RangeError(`--workers does not combine with rules that keep state as packets pass (here: ${ruleset.packetState.join(', ')}): each worker would keep its own`);
  }
  const module = await WebAssembly.compile(await readFile(sharedWasmUrl()));
  // Larger batches than one data plane's: every batch is a round trip
  // through the control block that wakes each worker.
  const base = engineOptions({ batchBytes: SHARDED_BATCH_BYTES, maxResults: SHARDED_MAX_RESULTS, ...opts });
  // nf_conntrack_max bounds the whole table: each worker holds its share.
  const engine = { ...base, conntrackMax: Math.ceil(base.conntrackMax / workers) };
  const control = new SharedArrayBuffer(controlBytes(workers));
  const memories = Array.from({ length: workers }, () => Engine.sharedMemory());
  const url = workerUrl();
  const threads: Worker[] = [];
  const layouts = await Promise.all(
    memories.map((memory, index) => {
      const data: ShardWorkerData = { module, memory, first: memories[0]!, control, index, count: workers, engine, image: ruleset.image, fastPaths: opts.fastPaths !== false };
      const worker = new Worker(url, { workerData: data });
      threads.push(worker);
      return new Promise<WorkerLayout>((resolve, reject) => {
        worker.once('error', reject);
        worker.once('message', (m: { ready?: WorkerLayout; error?: string }) => (m.ready ? resolve(m.ready) : reject(new Error(m.error))));
      });
    }),
  ).catch((e: unknown) => {
    for (const t of threads) void t.terminate();
    throw e;
  });
  if (layouts.some((l) => l.inputBuffer !== layouts[0]!.inputBuffer)) {
    for (const t of threads) void t.terminate();
    throw new Error('shard workers laid out their memories differently');
  }
  // Idle workers wait on the control block; they must not keep the process alive.
  for (const t of threads) t.unref();
  return new ShardedFilter(ruleset, new ShardPool(threads, memories, layouts, control));
}
