// The Node entry of nftwasm: `import { compile, createFilter } from 'nftwasm'`.
import { setDefaultWasm } from './filter.js';
import { loadWasmModule } from './node-wasm.js';

setDefaultWasm(loadWasmModule);

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
