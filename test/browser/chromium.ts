// Debian's chromium driven through playwright-core, and the playground
// server started as `npm run playground` starts it, on a free port.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { ROOT } from '../host/cli-run.js';

export const CHROMIUM = '/usr/bin/chromium';
export const HAS_CHROMIUM = existsSync(CHROMIUM);
export const SKIP_REASON = HAS_CHROMIUM ? '' : ` (skipped: ${CHROMIUM} missing; apt-get install chromium)`;

// Screenshots land here for a person to look at; /tmp/ is gitignored.
export const OUTPUT_DIR = join(ROOT, 'tmp/test-output/browser');

const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchChromium(viewport = { width: 1366, height: 900 }): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'nftwasm-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export interface Server {
  // The origin, e.g. http://127.0.0.1:40123; the playground is at /playground/.
  origin: string;
  stop(): void;
}

export async function startPlayground(): Promise<Server> {
  if (!existsSync(join(ROOT, 'dist/browser/nftwasm.js'))) throw new Error('dist/browser/ is missing: run `npm run build`');
  const child: ChildProcess = spawn(process.execPath, [join(ROOT, 'scripts/playground.js'), '--port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d;
      const m = /http:\/\/\S+\/playground\//.exec(out);
      if (m) resolve(m[0]);
    });
    child.stderr!.on('data', (d: Buffer) => (err += d));
    child.on('exit', (code) => reject(new Error(`the playground server exited (${code}): ${err}`)));
  });
  return { origin: new URL(url).origin, stop: () => child.kill() };
}

export function outputPath(name: string): string {
  mkdirSync(OUTPUT_DIR, { recursive: true });
  return join(OUTPUT_DIR, name);
}

// Waits until the status line `id` says a run later than `after` has
// finished and is shown (the page numbers its runs in data-run).
export async function runAfter(page: Page, after: number, id = 'status'): Promise<void> {
  await page.waitForFunction(([n, el]) => {
    const s = document.getElementById(el)!;
    return s.dataset.state === 'done' && Number(s.dataset.run) > n;
  }, [after, id] as const);
}
