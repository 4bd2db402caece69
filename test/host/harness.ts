// Runs captures through a filter and collects every per-packet result as
// plain values, so runs can be compared field by field.
import { execFileSync } from 'node:child_process';
import { createFilter, type Filter, type FilterOptions } from '../../src/filter.js';
import { loadWasmModule } from '../../src/node-wasm.js';
import type { PacketBatch } from '../../src/packet-batch.js';
import type { Ruleset } from '../../compiler/index.js';
import { acceptAllRuleset } from './accept-all.js';

export interface ResultRow {
  number: number;
  accepted: boolean;
  fate: number;
  ctState: number;
  ctDirection: number;
  ctId: number;
  handle: number;
  chain: number;
  timeNs: bigint;
  linkType: number;
  originalLength: number;
  data: string;
}

export function rows(into: ResultRow[]): (batch: PacketBatch) => void {
  return (batch) => {
    for (let i = 0; i < batch.count; i++) {
      into.push({
        number: batch.firstPacket + i,
        accepted: batch.accepted(i),
        fate: batch.fate(i),
        ctState: batch.ctState(i),
        ctDirection: batch.ctDirection(i),
        ctId: batch.ctId(i),
        handle: batch.handle(i),
        chain: batch.chain(i),
        timeNs: batch.timeNs(i),
        linkType: batch.linkType(i),
        originalLength: batch.originalLength(i),
        data: Buffer.from(batch.data(i)).toString('hex'),
      });
    }
  };
}

export async function newFilter(ruleset: Ruleset = acceptAllRuleset(), opts: FilterOptions = {}): Promise<Filter> {
  return createFilter(ruleset, { wasm: await loadWasmModule(), ...opts });
}

export async function run(bytes: Uint8Array, opts: FilterOptions = {}, ruleset?: Ruleset): Promise<{ rows: ResultRow[]; error: unknown }> {
  const filter = await newFilter(ruleset, opts);
  const out: ResultRow[] = [];
  try {
    filter.processCapture(bytes, rows(out));
    return { rows: out, error: null };
  } catch (error) {
    return { rows: out, error };
  }
}

export function hasTool(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
