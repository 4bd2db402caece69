// Timing the data plane inside this process: a fresh filter per run (so state
// left by a previous run does not help), the clock around the capture only.
import { closeSync, openSync, readSync } from 'node:fs';
import { compile, createFilter, type Filter, type FilterStats } from '../src/index.js';

export interface InProcessRun {
  seconds: number;
  stats: FilterStats;
  nsPerPacket: number;
}

export interface RunOptions {
  sysctl?: Record<string, number>;
}

export async function freshFilter(rules: string, opts: RunOptions = {}): Promise<Filter> {
  return createFilter(compile(rules), { sysctl: opts.sysctl });
}

function finish(seconds: number, stats: FilterStats): InProcessRun {
  return { seconds, stats, nsPerPacket: (seconds * 1e9) / Math.max(1, stats.packets) };
}

// The capture run without the summary processReader ends with: counting the
// live entries of a large table is not part of the per-packet cost.
function feed(filter: Filter, read: (dest: Uint8Array) => number): number {
  const run = filter.openCapture();
  const start = process.hrtime.bigint();
  for (;;) {
    const n = read(run.space());
    run.filled(n);
    if (n === 0) break;
  }
  return Number(process.hrtime.bigint() - start) / 1e9;
}

export async function runBytes(rules: string, capture: Uint8Array, opts: RunOptions = {}): Promise<InProcessRun> {
  const filter = await freshFilter(rules, opts);
  let at = 0;
  const seconds = feed(filter, (dest) => {
    const n = Math.min(dest.length, capture.length - at);
    dest.set(capture.subarray(at, at + n));
    at += n;
    return n;
  });
  return finish(seconds, filter.stats());
}

export async function runFile(rules: string, path: string, opts: RunOptions = {}): Promise<InProcessRun> {
  const filter = await freshFilter(rules, opts);
  const fd = openSync(path, 'r');
  try {
    return finish(feed(filter, (dest) => readSync(fd, dest)), filter.stats());
  } finally {
    closeSync(fd);
  }
}

// The best of n runs: on a shared machine the fastest is the least disturbed.
export async function bestOf(n: number, run: () => Promise<InProcessRun>): Promise<InProcessRun> {
  let best: InProcessRun | null = null;
  for (let i = 0; i < n; i++) {
    const r = await run();
    if (!best || r.seconds < best.seconds) best = r;
  }
  return best!;
}
