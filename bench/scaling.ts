// Scaling curves: per-packet cost as concurrent flows, set size and linear
// rule count grow. The default sweep stops short of the largest points
// (minutes of generation and hundreds of megabytes); --full runs them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_DIR, trafficCapture, udpCapture } from './captures.js';
import { bestOf, runBytes, runFile, type InProcessRun } from './in-process.js';
import { emptyChain, linearRules, setLookup } from './rulesets.js';

export interface CurvePoint {
  x: number;
  nsPerPacket: number;
  // Less the empty-chain cost: what the swept thing itself costs.
  nsExtra?: number;
  note?: string;
}

// Room for a million concurrent flows (and those closing) at every point,
// so each point runs the same table size.
const SCALING_CT_MAX = 1 << 22;

export async function flowCurve(full: boolean, runs: number, log: (s: string) => void): Promise<CurvePoint[]> {
  const rules = readFileSync(join(BENCH_DIR, 'ruleset.nft'), 'utf8');
  const points = full ? [1_000, 10_000, 100_000, 1_000_000] : [1_000, 10_000, 100_000];
  const out: CurvePoint[] = [];
  for (const flows of points) {
    // Every flow gets several packets after the warm-up.
    const packets = Math.max(1_000_000, flows * 4);
    const path = trafficCapture({ packets, flows, seed: 1 }, log);
    const r = await bestOf(runs, () => runFile(rules, path, { sysctl: { nf_conntrack_max: SCALING_CT_MAX } }));
    out.push({ x: flows, nsPerPacket: r.nsPerPacket, note: `${packets} packets, ${r.stats.conntrackEntries} entries at end` });
  }
  return out;
}

async function sweep(xs: readonly number[], runs: number, perItem: string | null, packetsFor: (x: number) => number, rulesFor: (x: number) => string): Promise<CurvePoint[]> {
  const out: CurvePoint[] = [];
  for (const x of xs) {
    const capture = udpCapture(packetsFor(x), 1000);
    const base: InProcessRun = await bestOf(runs, () => runBytes(emptyChain(), capture));
    const r = await bestOf(runs, () => runBytes(rulesFor(x), capture));
    const nsExtra = r.nsPerPacket - base.nsPerPacket;
    out.push({ x, nsPerPacket: r.nsPerPacket, nsExtra, ...(perItem ? { note: `${(nsExtra / x).toFixed(2)} ns per ${perItem}` } : {}) });
  }
  return out;
}

export function setCurve(full: boolean, runs: number, interval: boolean): Promise<CurvePoint[]> {
  const sizes = full ? [1, 10, 100, 1_000, 10_000, 100_000] : [1, 100, 10_000];
  return sweep(sizes, runs, null, () => 200_000, (n) => setLookup(n, interval));
}

export function ruleCurve(full: boolean, runs: number): Promise<CurvePoint[]> {
  const counts = full ? [10, 100, 1_000, 10_000] : [10, 100, 1_000];
  // Fewer packets for long chains: the cost grows with the rule count.
  return sweep(counts, runs, 'rule', (n) => Math.max(10_000, Math.min(200_000, Math.floor(2e7 / n))), linearRules);
}
