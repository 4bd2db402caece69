// The Node entry of nftwasm: `import { compile, createFilter } from 'nftwasm'`.
import { closeSync, openSync, readSync } from 'node:fs';
import { setDefaultWasm } from './filter.js';
import { setRandomSource } from './engine.js';
import { loadWasmModule } from './node-wasm.js';

// The kernel's random bytes, read from /dev/urandom: loading Node's crypto
// modules, Web Crypto included, costs a run milliseconds of start-up. Where
// there is no /dev/urandom, Web Crypto.
function urandom(into: BigUint64Array): void {
  let fd = -1;
  try {
    fd = openSync('/dev/urandom', 'r');
    if (readSync(fd, into) === into.byteLength) return;
  } catch {
    // Web Crypto below.
  } finally {
    if (fd >= 0) closeSync(fd);
  }
  globalThis.crypto.getRandomValues(into);
}

setDefaultWasm(loadWasmModule);
setRandomSource(urandom);

export { compile, NftError } from '../compiler/index.js';
export type { Ruleset, ListingOptions } from '../compiler/index.js';
export { createFilter, memoryReader, Filter, type FilterOptions, type FilterStats, type ConntrackStatistics, type BatchListener, type CaptureReader } from './filter.js';
export { PacketBatch } from './packet-batch.js';
export { dmesgLine } from './output/log-format.js';
export type { LogEntry, LogListener } from './packet-log.js';
export { CaptureFormatError } from './capture-error.js';
export { RulesetImageError } from './engine.js';
export { SYSCTLS } from './sysctl.js';
export { diffRulesets, type DiffResult, type FlowChange, type DiffSummary, type Decider } from './diff.js';
export type { Flow } from './flow.js';
export { summarizeCoverage, type RuleCoverage, type CoverageSummary } from './coverage.js';
export { parseInterfaces, parseRoutes, HostNetworkError, type HostNetwork, type NetDevice, type Route } from './host-network.js';
export type { ConntrackEntry, ConntrackTuple } from './conntrack-table.js';
