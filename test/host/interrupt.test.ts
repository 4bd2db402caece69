// An offline run stopped by SIGINT or SIGTERM ends as a finished one would,
// for what it processed: every capture file whole, the report printed, and
// the exit status a shell gives a process a signal ended.
import { execFileSync, spawn } from 'node:child_process';
import { PROGRESS_MIN_BYTES } from '../../src/output/progress.js';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCapture } from '../../bench/generate.js';
import { BIN, ROOT, ensureBuilt } from './cli-run.js';
import { hasTool } from './harness.js';

const workDir = mkdtempSync(join(tmpdir(), 'nftwasm-interrupt-'));
const at = (name: string) => join(workDir, name);
const big = at('big.pcap');
const PACKETS = 400_000;
const RULESET = join(ROOT, 'bench/ruleset.nft');

beforeAll(() => {
  ensureBuilt();
  const chunks: Uint8Array[] = [];
  generateCapture({ packets: PACKETS, flows: 2000, seed: 7 }, (c) => chunks.push(c.slice()));
  writeFileSync(big, Buffer.concat(chunks));
}, 120_000);
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

interface Interrupted {
  status: number | null;
  stdout: string;
  stderr: string;
}

// Runs nftwasm with per-packet JSON on standard output and sends `signal`
// once the first of it arrives: the run is then surely under way.
function interrupt(args: string[], signal: NodeJS.Signals, stdin: 'ignore' | number = 'ignore'): Promise<Interrupted> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: [stdin, 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let stdout = '';
  let stderr = '';
  child.stdout!.once('data', () => child.kill(signal));
  child.stdout!.on('data', (c) => (stdout += c));
  child.stderr!.on('data', (c) => (stderr += c));
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
}

function tcpdumpCount(file: string): number {
  const out = execFileSync('tcpdump', ['-r', file, '-nn'], { stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 28 }).toString();
  return out === '' ? 0 : out.trimEnd().split('\n').length;
}

function summary(stderr: string, signal: string): { packets: number; accepted: number; dropped: number } {
  const m = new RegExp(`^nftwasm: (\\d+) packets \\(stopped by ${signal}\\), (\\d+) accepted, (\\d+) dropped, \\d+ conntrack entries`).exec(stderr);
  expect(m, stderr).not.toBeNull();
  return { packets: Number(m![1]), accepted: Number(m![2]), dropped: Number(m![3]) };
}

function packetLines(stdout: string): number {
  return stdout.trimEnd().split('\n').filter((l) => JSON.parse(l).type === 'packet').length;
}

describe.skipIf(!hasTool('tcpdump'))('an interrupted nftwasm filter (tcpdump reads what it wrote)', () => {
  for (const workers of [[], ['--workers', '2']]) {
    it(`SIGINT ${workers.join(' ')}: exit 130, files whole, summary of what was processed`, async () => {
      const acc = at(`acc${workers.length}.pcap`);
      const drop = at(`drop${workers.length}.pcapng`);
      const r = await interrupt(['filter', '-f', RULESET, '-r', big, '-w', acc, '--dropped', drop, '--json', ...workers], 'SIGINT');
      expect(r.status).toBe(130);
      const s = summary(r.stderr, 'SIGINT');
      expect(s.packets).toBeGreaterThan(0);
      expect(s.packets).toBeLessThan(PACKETS);
      expect(tcpdumpCount(acc)).toBe(s.accepted);
      expect(tcpdumpCount(drop)).toBe(s.dropped);
      expect(packetLines(r.stdout)).toBe(s.packets);
    }, 60_000);
  }

  it('a reader of standard output that goes away: the capture files are still whole and the summary says what went into them', async () => {
    const drop = at('epipe-drop.pcapng');
    const child = spawn(process.execPath, [BIN, 'filter', '-f', RULESET, '-r', big, '--dropped', drop, '--json'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (c) => (stderr += c));
    child.stdout!.once('data', () => child.stdout.destroy());
    const status = await new Promise((resolve) => child.on('close', resolve));
    expect(status).toBe(0);
    // The summary, for what was processed, is all that is said.
    const summary = /^nftwasm: (\d+) packets \(the reader of standard output went away\), (\d+) accepted, (\d+) dropped/.exec(stderr);
    expect(summary, stderr).not.toBeNull();
    expect(tcpdumpCount(drop)).toBeGreaterThan(0);
    expect(tcpdumpCount(drop)).toBe(Number(summary![3]));
  }, 60_000);

  it('SIGTERM while reading standard input: exit 143, files whole', async () => {
    const input = openSync(big, 'r');
    const drop = at('stdin-drop.pcapng');
    const r = await interrupt(['filter', '-f', RULESET, '-r', '-', '--dropped', drop, '--json'], 'SIGTERM', input);
    closeSync(input);
    expect(r.status).toBe(143);
    const s = summary(r.stderr, 'SIGTERM');
    expect(s.packets).toBeLessThan(PACKETS);
    expect(tcpdumpCount(drop)).toBe(s.dropped);
  }, 60_000);
});

describe.skipIf(!hasTool('script') || !hasTool('mkfifo'))('an interrupted run on a terminal', () => {
  it('clears its progress bar before the summary', () => {
    expect(statSync(big).size).toBeGreaterThanOrEqual(PROGRESS_MIN_BYTES);
    const fifo = at('json.fifo');
    execFileSync('mkfifo', [fifo]);
    // The JSON goes to a named pipe the shell holds open: once its first
    // byte arrives the run is under way, and SIGINT is sent.
    const run = [process.execPath, BIN, 'filter', '-f', RULESET, '-r', big, '--json'].map((a) => `'${a}'`).join(' ');
    const shell = `${run} > '${fifo}' & pid=$!; exec 3< '${fifo}'; head -c 1 <&3 > /dev/null; kill -INT $pid; cat <&3 > /dev/null; wait $pid; echo "exit $?"`;
    const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm-256color' };
    delete env.NO_COLOR;
    const out = execFileSync('script', ['-qec', `sh -c "${shell.replaceAll('"', '\\"').replaceAll('$', '\\$')}"`, '/dev/null'], { cwd: ROOT, env }).toString();
    expect(out).toMatch(/exit 130\r?\n/);
    const lastBar = out.lastIndexOf('| elapsed ');
    const summary = out.indexOf('nftwasm: ', lastBar);
    expect(lastBar).toBeGreaterThan(0);
    expect(summary).toBeGreaterThan(lastBar);
    expect(out.slice(lastBar, summary)).toContain('\x1b[2K');
    expect(out.slice(summary)).toMatch(/^nftwasm: \d+ packets \(stopped by SIGINT\)/);
  }, 60_000);
});
