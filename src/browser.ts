// The browser, Web Worker and edge entry of nftwasm: the same API as the Node
// entry. The data plane module is fetched from nftwasm.wasm beside this
// module on first use; runtimes that cannot fetch it, or may not compile
// code at run time, pass a compiled module as createFilter's `wasm` option.
import { setDefaultWasm } from './filter.js';

let cached: Promise<WebAssembly.Module> | null = null;

async function fetchModule(url: URL): Promise<WebAssembly.Module> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url.href}: HTTP ${response.status} ${response.statusText}`);
  // compileStreaming refuses a response without the application/wasm type,
  // which many static servers do not send.
  if (response.headers.get('content-type')?.startsWith('application/wasm')) return WebAssembly.compileStreaming(response);
  return WebAssembly.compile(await response.arrayBuffer());
}

function loadWasmModule(): Promise<WebAssembly.Module> {
  cached ??= fetchModule(new URL('./nftwasm.wasm', import.meta.url)).catch((e: unknown) => {
    cached = null;
    throw e;
  });
  return cached;
}

setDefaultWasm(loadWasmModule);

export { compile, NftError } from '../compiler/index.js';
export type { Ruleset, ListingOptions } from '../compiler/index.js';
export { createFilter, memoryReader, Filter, type FilterOptions, type FilterStats, type BatchListener, type CaptureReader } from './filter.js';
export { PacketBatch } from './packet-batch.js';
export { dmesgLine } from './output/log-format.js';
export type { LogEntry, LogListener } from './packet-log.js';
export { CaptureFormatError } from './capture-error.js';
export { SYSCTLS } from './sysctl.js';
export { diffRulesets, type DiffResult, type FlowChange, type DiffSummary, type Decider } from './diff.js';
export type { Flow } from './flow.js';
export { summarizeCoverage, type RuleCoverage, type CoverageSummary } from './coverage.js';
export { parseInterfaces, parseRoutes, HostNetworkError, type HostNetwork, type NetDevice, type Route } from './host-network.js';
export type { ConntrackEntry, ConntrackTuple } from './conntrack-table.js';
