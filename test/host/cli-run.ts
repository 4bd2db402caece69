// Runs the built `nftwasm` command as a user would: its own process, real
// standard input and output, real exit code.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = join(ROOT, 'bin/nftwasm.js');
export const EXAMPLE_RULESET = join(ROOT, 'examples/web.nft');
export const EXAMPLE_CAPTURE = join(ROOT, 'examples/web.pcap');

export interface CliResult {
  status: number | null;
  stdout: Buffer;
  stderr: string;
}

function newest(dir: string): number {
  let t = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    t = Math.max(t, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

let built = false;

// `npm test` builds first; a direct `vitest run` may find dist/ older than
// the sources, so it is rebuilt once.
export function ensureBuilt(): void {
  if (built) return;
  const cli = join(ROOT, 'dist/src/cli.bundle.cjs');
  const sources = Math.max(newest(join(ROOT, 'src')), newest(join(ROOT, 'compiler')), statSync(join(ROOT, 'assembly/abi.ts')).mtimeMs);
  if (!existsSync(cli) || statSync(cli).mtimeMs < sources) {
    try {
      execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'pipe' });
    } catch {
      // Type errors still emit JavaScript; the tests say whether it works.
    }
    try {
      execFileSync(process.execPath, ['scripts/build-cli.js'], { cwd: ROOT, stdio: 'pipe' });
    } catch {
      // The bundle is written before the run that makes its code cache; a
      // command line that fails that run is for the tests to show.
    }
  }
  built = true;
}

export function nftwasm(args: string[], input?: Uint8Array, as?: { uid: number; gid: number }): CliResult {
  ensureBuilt();
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, input, maxBuffer: 1 << 28, env: { ...process.env, NO_COLOR: '1' }, ...as });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}
