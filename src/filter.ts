// The public filter: a compiled ruleset loaded into a data plane instance,
// fed capture bytes in large blocks, answering with per-packet results,
// counters and the conntrack table. No Node built-ins: the Node entry and
// the browser entry share it.
import { BatchStatus, CaptureError, RulesetFlags, RulesetHeader, Tunable } from '../assembly/abi.js';
import type { Ruleset, ListingOptions } from '../compiler/index.js';
import { Engine, type LocalAddress, type WasmSource } from './engine.js';
import { PacketBatch } from './packet-batch.js';
import { CaptureFormatError } from './capture-error.js';
import { resolveSysctls } from './sysctl.js';
import { parseIpv4, parseIpv6 } from './address.js';
import { readConntrackTable, type ConntrackEntry } from './conntrack-table.js';
import { formatConntrackListing } from './conntrack-listing.js';

export interface FilterOptions {
  // Addresses of the host the ruleset protects (see the path model in README).
  local?: readonly string[];
  // Conntrack tunables by sysctl name, e.g. { nf_conntrack_tcp_loose: 0 }.
  sysctl?: Record<string, number | string>;
  // Bytes of capture handed to the data plane at a time.
  batchBytes?: number;
  // Per-packet results buffered before the host is called back.
  maxResults?: number;
  // The data plane module; the Node entry supplies it from build/.
  wasm?: WasmSource;
}

export interface FilterStats {
  packets: number;
  accepted: number;
  dropped: number;
  // Packets no hook saw: not IP, malformed before the stack, held fragments.
  notEvaluated: number;
  conntrackEntries: number;
}

export type BatchListener = (batch: PacketBatch) => void;
// Reads into dest, returns the number of bytes read (0 at the end).
export type CaptureReader = (dest: Uint8Array) => number;

const DEFAULT_BATCH_BYTES = 8 << 20;
const DEFAULT_MAX_RESULTS = 65536;

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

export class Filter {
  readonly ruleset: Ruleset;
  readonly engine: Engine;
  private readonly statsSoFar: FilterStats = { packets: 0, accepted: 0, dropped: 0, notEvaluated: 0, conntrackEntries: 0 };
  private lastTime = 0n;

  constructor(ruleset: Ruleset, engine: Engine) {
    this.ruleset = ruleset;
    this.engine = engine;
  }

  // Runs a whole capture file held in memory.
  processCapture(bytes: Uint8Array, onBatch?: BatchListener): FilterStats {
    let at = 0;
    return this.processReader((dest) => {
      const n = Math.min(dest.length, bytes.length - at);
      dest.set(bytes.subarray(at, at + n));
      at += n;
      return n;
    }, onBatch);
  }

  // Runs a capture pulled block by block (a file larger than memory).
  processReader(read: CaptureReader, onBatch?: BatchListener, source?: string): FilterStats {
    const run = this.begin(source);
    for (;;) {
      const dest = run.space();
      const n = dest.length === 0 ? 0 : read(dest);
      run.filled(n, onBatch);
      if (n === 0) break;
    }
    return this.stats();
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

  /** @internal */
  account(batch: PacketBatch): void {
    const s = this.statsSoFar;
    for (let i = 0; i < batch.count; i++) {
      if (batch.fate(i) !== 0) s.notEvaluated++;
      if (batch.accepted(i)) s.accepted++;
      else s.dropped++;
    }
    s.packets += batch.count;
    this.lastTime = this.engine.exports.lastPacketTime();
  }

  counters(): BigUint64Array {
    const n = this.ruleset.counterCount;
    return this.engine.u64(this.engine.exports.countersBuffer(), n * 2).slice();
  }

  // `nft list ruleset` with the counters as they stand.
  listRuleset(opts: Omit<ListingOptions, 'counters'> = {}): string {
    return this.ruleset.toListing({ ...opts, counters: this.counters() });
  }

  conntrackTable(): ConntrackEntry[] {
    return readConntrackTable(this.engine, this.lastTime);
  }

  // `conntrack -L -o extended,id`, timeouts as they stand at the last packet.
  conntrackListing(): string {
    const image = this.ruleset.image;
    const flags = new DataView(image.buffer, image.byteOffset, image.byteLength).getUint32(RulesetHeader.Flags * 4, true);
    const accounting = (flags & RulesetFlags.Accounting) !== 0;
    return formatConntrackListing(this.conntrackTable(), { now: this.lastTime, accounting });
  }

  stats(): FilterStats {
    return { ...this.statsSoFar, conntrackEntries: this.conntrackTable().length };
  }

  // Capture time (ns) of the last packet seen.
  get time(): bigint {
    return this.lastTime;
  }
}

// One pass over one capture: the input buffer's fill level and the walker.
class CaptureRun {
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
    if (!final && this.len < this.filter.engine.exports.inputSize()) return;
    this.drain(final, onBatch);
  }

  private drain(final: boolean, onBatch?: BatchListener): void {
    const engine = this.filter.engine;
    const ex = engine.exports;
    let pos = 0;
    for (;;) {
      const first = Number(ex.packetsProcessed()) + 1;
      const count = ex.processBatch(pos, this.len, final ? 1 : 0);
      if (count > 0) {
        const batch = new PacketBatch(engine, count, first);
        this.filter.account(batch);
        onBatch?.(batch);
      }
      pos = ex.batchConsumed();
      const status = ex.batchStatus();
      if (status === BatchStatus.ResultsFull) continue;
      if (status === BatchStatus.Error) {
        this.done = true;
        const code = ex.captureError() as CaptureError;
        throw new CaptureFormatError(code, this.base + pos, Number(ex.packetsProcessed()) + 1, this.source);
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

export async function createFilter(ruleset: Ruleset, opts: FilterOptions = {}): Promise<Filter> {
  const wasm = opts.wasm ?? (await defaultWasm?.());
  if (!wasm) throw new Error('no data plane module: pass options.wasm or import nftwasm through its Node or browser entry');
  const tunables = resolveSysctls(opts.sysctl);
  const engine = await Engine.create(wasm, {
    conntrackMax: tunables[Tunable.Max],
    inputBytes: opts.batchBytes ?? DEFAULT_BATCH_BYTES,
    maxResults: opts.maxResults ?? DEFAULT_MAX_RESULTS,
    tunables,
    local: parseLocalAddresses(opts.local ?? []),
  });
  engine.loadRuleset(ruleset.image);
  return new Filter(ruleset, engine);
}
