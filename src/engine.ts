// The data plane instance: the WASM module, its linear memory and typed
// access to the regions the module publishes. No Node built-ins here: the
// same engine runs in Node, browsers, workers and edge runtimes.
import { DeviceEntry, ImageError, MAX_DEVICES, MAX_ROUTES, RouteEntry, Tunable } from '../assembly/abi.js';
import { writeDevices, writeRoutes, type NetDevice, type Route } from './host-network.js';

const IMAGE_ERRORS: Record<ImageError, string> = {
  [ImageError.Truncated]: 'shorter than its header',
  [ImageError.BadMagic]: 'not a ruleset image (bad magic)',
  [ImageError.BadVersion]: 'an image version this data plane does not read',
  [ImageError.OutOfImage]: 'a table or set elements outside the image',
  [ImageError.BadRule]: 'a rule outside its chain or of a bad size',
  [ImageError.UnknownOpcode]: 'an unknown instruction',
  [ImageError.BadSize]: "an instruction whose size is not its opcode's",
  [ImageError.BadRegister]: 'a register or length outside the register file',
  [ImageError.BadOperand]: 'an operand the instruction does not take',
  [ImageError.ChainIndex]: 'a chain index out of range, or a jump to a base chain',
  [ImageError.SetIndex]: 'a set index out of range',
  [ImageError.ObjectIndex]: 'an object index out of range',
  [ImageError.CounterIndex]: 'a counter index out of range',
  [ImageError.StateSlot]: 'a limit or quota state slot out of range',
  [ImageError.ChainLoop]: 'jumps or gotos that loop',
  [ImageError.ChainDepth]: 'a chain 16 jumps or gotos below a base chain',
  [ImageError.BadPolicy]: 'a chain policy that is neither accept nor drop',
  [ImageError.BadSet]: 'a set of bad key or data length',
};

// A ruleset image the data plane refused: what is wrong and where.
export class RulesetImageError extends Error {
  constructor(readonly kind: ImageError, readonly offset: number, readonly value: number) {
    super(`ruleset image refused: ${IMAGE_ERRORS[kind] ?? `error ${kind}`} at byte ${offset} (value ${value})`);
    this.name = 'RulesetImageError';
  }
}

export interface DataPlaneExports {
  memory: WebAssembly.Memory;
  init(ctMax: number, inputBytes: number, maxResults: number): void;
  inputBuffer(): number;
  inputSize(): number;
  resultsBuffer(): number;
  packetTotals(): number;
  newIdsBuffer(): number;
  newIdsCount(): number;
  newIdsKeep(on: number): void;
  newIdsClear(): void;
  resultsKeep(on: number): void;
  tunablesBuffer(): number;
  localAddressesBuffer(): number;
  devicesBuffer(): number;
  routesBuffer(): number;
  rulesetReserve(len: number): number;
  rulesetLoad(): number;
  rulesetErrorAt(): number;
  rulesetErrorValue(): number;
  countersBuffer(): number;
  statesBuffer(): number;
  setDescriptors(): number;
  fastPathsEnable(on: number): void;
  randomSeed(seed: number): void;
  shardSet(index: number, count: number): void;
  conntrackEntries(): number;
  conntrackRegions(): number;
  conntrackExtensions(): number;
  conntrackAccounting(): number;
  conntrackNat(): number;
  conntrackHighWater(): number;
  conntrackCount(): number;
  conntrackStats(): number;
  conntrackCollect(t: bigint): void;
  conntrackHashKey(k0: bigint, k1: bigint): void;
  conntrackProbes(): bigint;
  conntrackTupleHash(at: number): number;
  eventsEnable(capacity: number): void;
  eventsBuffer(): number;
  eventsCount(): number;
  eventsClear(): void;
  traceInit(records: number, packets: number, firstTriggerChain: number): number;
  traceBuffer(): number;
  logInit(records: number): number;
  logCount(): number;
  logTruncated(): number;
  logClear(): void;
  traceCount(): number;
  traceTruncated(): number;
  traceClear(): void;
  outputEnable(cls: number, format: number, bytes: number): number;
  outputLength(cls: number): number;
  outputRewind(cls: number): void;
  outputStarted(cls: number): number;
  outputConflict(): number;
  outputFileLinkType(cls: number): number;
  coverageEnable(): number;
  coverageCount(): number;
  coverageRecords(): number;
  captureRestart(): void;
  captureLinkType(): number;
  captureError(): number;
  captureErrorLength(): number;
  captureErrorLimit(): number;
  batchConsumed(): number;
  batchStatus(): number;
  lastPacketTime(): bigint;
  packetsProcessed(): bigint;
  processBatch(start: number, len: number, final: number): number;
}

export type WasmSource = BufferSource | WebAssembly.Module;

export interface EngineOptions {
  conntrackMax: number;
  inputBytes: number;
  maxResults: number;
  tunables: Uint32Array;
  local: readonly LocalAddress[];
  // The host's devices and routes (src/host-network.ts).
  devices?: readonly NetDevice[];
  routes?: readonly Route[];
  // Seed of meta random's sequence.
  seed?: number;
  // Secret key of the conntrack index's hash; random when absent.
  hashKey?: readonly [bigint, bigint];
}

export interface LocalAddress {
  family: 4 | 6;
  bytes: Uint8Array;
}

// An AssemblyScript string: UTF-16 code units, their byte length in the
// object header just before them.
function asString(memory: WebAssembly.Memory, ptr: number): string {
  if (ptr === 0) return 'null';
  const bytes = new Uint32Array(memory.buffer)[(ptr - 4) >>> 2]!;
  return String.fromCharCode(...new Uint16Array(memory.buffer, ptr, bytes >>> 1));
}

let fillRandom = (into: BigUint64Array): void => void globalThis.crypto.getRandomValues(into);

// Lets an entry point give a cheaper source of random bytes than Web
// Crypto, which Node loads on first use at a cost of milliseconds.
export function setRandomSource(fill: (into: BigUint64Array) => void): void {
  fillRandom = fill;
}

// The conntrack index is keyed with a secret, as the kernel's table is with a
// random one at boot, so that nobody can craft tuples that pile up in it.
export function randomHashKey(): [bigint, bigint] {
  const k = new BigUint64Array(2);
  fillRandom(k);
  return [k[0]!, k[1]!];
}

// A key that a seed fixes (splitmix64), for runs that must repeat.
export function hashKeyOf(seed: number): [bigint, bigint] {
  let x = BigInt(seed);
  const next = (): bigint => {
    x = BigInt.asUintN(64, x + 0x9e3779b97f4a7c15n);
    let z = x;
    z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
    z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
    return z ^ (z >> 31n);
  };
  return [next(), next()];
}

const MAX_LOCAL_ADDRESSES = 64;
const LOCAL_ENTRY_BYTES = 20;
// Pages of 64 KiB the memory starts with; the module grows it at init.
const INITIAL_PAGES = 256;
const MAXIMUM_PAGES = 65536;

export class Engine {
  readonly exports: DataPlaneExports;

  private constructor(exports: DataPlaneExports) {
    this.exports = exports;
  }

  // A shared memory for the module built with threads (build/nftwasm.shared.wasm),
  // which worker threads instantiate and the main thread reads.
  static sharedMemory(): WebAssembly.Memory {
    return new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAXIMUM_PAGES, shared: true });
  }

  // An engine whose exports stand in for a data plane running elsewhere
  // (worker threads) over memory this thread can read.
  static over(exports: DataPlaneExports): Engine {
    return new Engine(exports);
  }

  static async create(wasm: WasmSource, opts: EngineOptions, memory?: WebAssembly.Memory): Promise<Engine> {
    memory ??= new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAXIMUM_PAGES });
    // Not through @assemblyscript/loader: its test for a fetch Response
    // loads Node's fetch implementation, tens of milliseconds of start-up.
    const module = wasm instanceof WebAssembly.Module ? wasm : await WebAssembly.compile(wasm);
    const abort = (message: number, file: number, line: number, column: number): never => {
      throw new Error(`abort: ${asString(memory, message)} at ${asString(memory, file)}:${line}:${column}`);
    };
    const instance = await WebAssembly.instantiate(module, { env: { memory, abort } });
    const engine = new Engine(instance.exports as unknown as DataPlaneExports);
    engine.configure(opts);
    return engine;
  }

  private configure(opts: EngineOptions): void {
    const ex = this.exports;
    ex.init(opts.conntrackMax, opts.inputBytes, opts.maxResults);
    this.u32(ex.tunablesBuffer(), Tunable.Count).set(opts.tunables);
    if (opts.local.length > MAX_LOCAL_ADDRESSES) {
      throw new RangeError(`at most ${MAX_LOCAL_ADDRESSES} local addresses are supported`);
    }
    const base = ex.localAddressesBuffer();
    const bytes = this.bytes(base, 4 + MAX_LOCAL_ADDRESSES * LOCAL_ENTRY_BYTES);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    view.setUint32(0, opts.local.length, true);
    opts.local.forEach((a, i) => {
      const at = 4 + i * LOCAL_ENTRY_BYTES;
      view.setUint32(at, a.family, true);
      bytes.fill(0, at + 4, at + LOCAL_ENTRY_BYTES);
      bytes.set(a.bytes, at + 4);
    });
    writeDevices(this.view(ex.devicesBuffer(), 4 + MAX_DEVICES * DeviceEntry.Size), opts.devices ?? []);
    writeRoutes(this.view(ex.routesBuffer(), 4 + MAX_ROUTES * RouteEntry.Size), opts.routes ?? []);
    ex.randomSeed(opts.seed ?? 0);
    const [k0, k1] = opts.hashKey ?? randomHashKey();
    ex.conntrackHashKey(k0, k1);
  }

  loadRuleset(image: Uint8Array): void {
    const ptr = this.exports.rulesetReserve(image.length);
    this.bytes(ptr, image.length).set(image);
    const rc = this.exports.rulesetLoad();
    if (rc !== 0) throw new RulesetImageError(-rc, this.exports.rulesetErrorAt(), this.exports.rulesetErrorValue());
  }

  // Views are taken afresh each time: growing the memory detaches old ones.
  // Addresses come out of the module as i32: those past 2 GiB are negative
  // until read back as unsigned.
  bytes(ptr: number, len: number): Uint8Array {
    return new Uint8Array(this.exports.memory.buffer, ptr >>> 0, len);
  }

  u32(ptr: number, count: number): Uint32Array {
    return new Uint32Array(this.exports.memory.buffer, ptr >>> 0, count);
  }

  u64(ptr: number, count: number): BigUint64Array {
    return new BigUint64Array(this.exports.memory.buffer, ptr >>> 0, count);
  }

  view(ptr: number, len: number): DataView {
    return new DataView(this.exports.memory.buffer, ptr >>> 0, len);
  }
}
