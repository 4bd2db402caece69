// Whole process against whole process: `nftwasm filter` (the real CLI, from
// start-up to exit) and tcpdump with the equivalent stateless BPF, over the
// same capture, run alternately so that both see the same machine load.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_DIR } from './captures.js';
import { median } from './stats.js';

export interface Contender {
  name: string;
  command: string;
  args: string[];
}

export interface WholeRunResult {
  name: string;
  seconds: number[];
  median: number;
}

export function nftwasmContender(ruleset: string, capture: string, extra: string[] = [], name = 'nftwasm filter'): Contender {
  return { name, command: process.execPath, args: [join(REPO_DIR, 'bin/nftwasm.js'), 'filter', '-f', ruleset, '-r', capture, '-q', ...extra] };
}

export function tcpdumpContender(bpf: string, capture: string): Contender {
  return { name: 'tcpdump', command: 'tcpdump', args: ['-r', capture, '-w', '/dev/null', bpf] };
}

function timeOnce(c: Contender): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(c.command, c.args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.error) throw new Error(`${c.name}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${c.name} exited with ${r.status}: ${r.stderr}`);
  return seconds;
}

// One warm-up round (page cache, JIT caches), then `runs` alternating rounds.
export function compareWholeRuns(contenders: readonly Contender[], runs: number): WholeRunResult[] {
  for (const c of contenders) timeOnce(c);
  const seconds = contenders.map(() => [] as number[]);
  for (let r = 0; r < runs; r++) {
    contenders.forEach((c, i) => seconds[i]!.push(timeOnce(c)));
  }
  return contenders.map((c, i) => ({ name: c.name, seconds: seconds[i]!, median: median(seconds[i]!) }));
}

// Copies of one contender started together, timed until the last exits.
function timeTogether(c: Contender, copies: number): Promise<number> {
  const start = process.hrtime.bigint();
  const exits = Array.from({ length: copies }, () => new Promise<void>((resolve, reject) => {
    const child = spawn(c.command, c.args, { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${c.name} exited with ${code}`))));
  }));
  return Promise.all(exits).then(() => Number(process.hrtime.bigint() - start) / 1e9);
}

export interface CeilingResult {
  alone: number;
  together: number;
  // Work done per second by `copies` runs at once, against one alone.
  throughput: number;
}

// What this machine gives two (or more) independent runs of the same
// capture at once, against one alone, alternately: the most that any
// sharding of one run over as many threads could reach here, where the
// runs share the memory bandwidth and caches as well as the cores.
export async function parallelCeiling(c: Contender, copies: number, runs: number): Promise<CeilingResult> {
  timeOnce(c);
  const alone: number[] = [];
  const together: number[] = [];
  for (let r = 0; r < runs; r++) {
    alone.push(timeOnce(c));
    together.push(await timeTogether(c, copies));
  }
  const a = median(alone);
  const t = median(together);
  return { alone: a, together: t, throughput: (copies * a) / t };
}
