// The progress bar and colours appear on a terminal and nowhere else.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, EXAMPLE_CAPTURE, EXAMPLE_RULESET, ROOT, ensureBuilt, nftwasm } from './cli-run.js';
import { hasTool } from './harness.js';

const workDir = mkdtempSync(join(tmpdir(), 'nftwasm-progress-'));
const big = join(workDir, 'big.pcap');
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

// The example's traffic repeated for 20 MB, a minute apart each time.
beforeAll(() => {
  ensureBuilt();
  const example = readFileSync(EXAMPLE_CAPTURE);
  const records = example.subarray(24);
  const copies = Math.ceil((20 << 20) / records.length);
  const out = Buffer.alloc(24 + copies * records.length);
  example.copy(out, 0, 0, 24);
  for (let c = 0; c < copies; c++) {
    const base = 24 + c * records.length;
    records.copy(out, base);
    for (let at = base; at < base + records.length; at += 16 + out.readUInt32LE(at + 8)) {
      out.writeUInt32LE(out.readUInt32LE(at) + c * 60, at);
    }
  }
  writeFileSync(big, out);
}, 60_000);

// Runs the command on a pseudo-terminal, as a person at a shell would.
function onTerminal(args: string[]): string {
  const command = [process.execPath, BIN, ...args].map((a) => `'${a}'`).join(' ');
  // A person's terminal, whatever the environment running the tests says.
  const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm-256color' };
  delete env.NO_COLOR;
  return execFileSync('script', ['-qec', command, '/dev/null'], { cwd: ROOT, env, maxBuffer: 1 << 26 }).toString();
}

describe.skipIf(!hasTool('script'))('progress and colours', () => {
  it('draw a progress bar and colour the summary on a terminal', () => {
    const out = onTerminal(['filter', '-f', EXAMPLE_RULESET, '-r', big, '--local', '10.99.0.2']);
    expect(out).toMatch(/\d+ packets \| \d+ packets\/s \| elapsed \d+s \| left \d+s/);
    expect(out).toMatch(/\x1b\[32m\d+ accepted/);
  });

  it('stay away from pipes', () => {
    const r = nftwasm(['filter', '-f', EXAMPLE_RULESET, '-r', big, '--local', '10.99.0.2']);
    expect(r.status).toBe(0);
    expect(r.stderr).not.toMatch(/elapsed|\x1b\[/);
    expect(r.stderr).toMatch(/^nftwasm: \d+ packets, \d+ accepted, \d+ dropped, \d+ conntrack entries; \d+\.\d{3} s, \d+ packets\/s\n$/);
  });

  it('--no-progress keeps the terminal quiet', () => {
    expect(onTerminal(['filter', '-f', EXAMPLE_RULESET, '-r', big, '--no-progress'])).not.toMatch(/elapsed/);
  });
});
