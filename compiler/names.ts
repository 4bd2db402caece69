// What the image leaves out but the printers need: names of tables, chains,
// sets and objects, and the order nft sends things to the kernel in.
import type { Family, LogOptions } from './ast.js';

export interface ChainNames {
  family: Family;
  table: string;
  name: string;
  type?: string;
  hook?: string;
  device?: string;
  priority?: number;
}

export interface SetNames {
  name: string;
  table: string;
  // The set's default timeout in milliseconds, when it has one.
  timeout?: bigint;
  gcInterval?: bigint;
  // Comments of elements, by the key as printed.
  comments: Map<string, string>;
  meter?: boolean;
}

export type BatchEntry =
  | { kind: 'chain'; chain: number; bare?: boolean }
  | { kind: 'object'; text: string }
  | { kind: 'set'; set: number }
  | { kind: 'elements'; set: number }
  // ids: what nft prints after the chain of a rule placed by index, or
  // next to which one is; comment: the rule's comment, which nft sends as
  // the rule's userdata.
  | { kind: 'rule'; chain: number; handle: number; sets: number[]; ids: string; comment?: string };

export interface NameTables {
  chains: ChainNames[];
  sets: SetNames[];
  // Counter index -> name of the named counter it belongs to (if any).
  counterNames: Map<number, string>;
  // State slot -> name of the named quota or limit that keeps it.
  slotNames: Map<number, string>;
  helpers: string[];
  // Names of ct timeout and ct expectation objects, by their Objref index.
  ctTimeouts: string[];
  ctExpects: string[];
  synproxies: string[];
  flowtables: string[];
  logs: LogOptions[];
  batch: BatchEntry[];
}
