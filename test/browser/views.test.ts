// The playground's coverage and diff views in Chromium show what
// `nftwasm filter --coverage` and `nftwasm diff` print for the same
// rulesets, capture and local address, and fit a laptop and a phone.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { BIN, EXAMPLE_CAPTURE, EXAMPLE_RULESET, ensureBuilt } from '../host/cli-run.js';
import { HAS_CHROMIUM, SKIP_REASON, launchChromium, outputPath, runAfter, startPlayground, type Browser, type Server } from './chromium.js';

const LOCAL = '10.99.0.2';
// The web server's port moved: its connections are dropped by the policy,
// and a rule that cannot match the capture (port 9999) is never reached
// by a packet it would match.
const NEW_RULESET = readFileSync(EXAMPLE_RULESET, 'utf8').replace('tcp dport 8000 ct state new', 'tcp dport 8001 ct state new');
// A rule shadowed by the accept before it, and a chain no packet of the
// capture enters (all of them are to or from the local address).
const COVERAGE_RULESET = readFileSync(EXAMPLE_RULESET, 'utf8')
  .replace('\t\tudp dport 5353', '\t\ttcp dport 8000 ct state new counter drop\n\t\tudp dport 5353')
  .replace(/\n}\n$/, '\n\tchain forward {\n\t\ttype filter hook forward priority filter; policy accept;\n\t\tip saddr 192.0.2.1 counter drop\n\t}\n}\n');

async function diffAfter(page: Page, after: number): Promise<void> {
  await runAfter(page, after, 'diff-status');
}

async function openWithDiff(page: Page, server: Server): Promise<void> {
  await page.goto(`${server.origin}/playground/`);
  await page.click('#load-example');
  await runAfter(page, 0);
  await page.click('#copy-ruleset');
  await diffAfter(page, 0);
  const before = Number(await page.getAttribute('#diff-status', 'data-run'));
  await page.fill('#new-source', NEW_RULESET);
  await diffAfter(page, before);
}

describe.skipIf(!HAS_CHROMIUM)(`playground views in Chromium${SKIP_REASON}`, () => {
  let browser: Browser;
  let server: Server;
  let page: Page;
  let newFile: string;

  beforeAll(async () => {
    ensureBuilt();
    newFile = join(mkdtempSync(join(tmpdir(), 'nftwasm-views-')), 'new.nft');
    writeFileSync(newFile, NEW_RULESET);
    [browser, server] = await Promise.all([launchChromium(), startPlayground()]);
    page = await browser.context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    server?.stop();
  });

  it('the coverage view: the counts of filter --coverage, rules marked by what the capture made of them', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'nftwasm-views-')), 'coverage.nft');
    writeFileSync(file, COVERAGE_RULESET);
    const cli = execFileSync(process.execPath, [BIN, 'filter', '-f', file, '-r', EXAMPLE_CAPTURE, '--local', LOCAL, '-q', '--coverage'], { encoding: 'utf8' });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.origin}/playground/`);
    await page.click('#load-example');
    await runAfter(page, 0);
    const run = Number(await page.getAttribute('#status', 'data-run'));
    await page.fill('#source', COVERAGE_RULESET);
    await runAfter(page, run);
    expect(await page.textContent('#coverage')).toBe(cli);
    const marked = async (kind: string) => page.$$eval(`#coverage .cov.${kind}`, (els) => els.map((e) => Number((e as HTMLElement).dataset.handle)));
    const handles = (kind: string) => [...cli.matchAll(new RegExp(`^  ${kind}: inet filter \\S+ handle (\\d+)`, 'gm'))].map((m) => Number(m[1]));
    for (const [kind, words] of [['shadowed', 'shadowed'], ['unreached', 'reached by no packet'], ['never', 'never matched']]) {
      expect(handles(words!).length).toBeGreaterThan(0);
      expect(await marked(kind!)).toEqual(handles(words!));
    }
    expect((await marked('matched')).length).toBeGreaterThan(0);
    const shot = outputPath('playground-coverage-marks.png');
    await page.locator('#coverage-panel').screenshot({ path: shot });
    expect(errors).toEqual([]);
  });

  it('the diff view: the changed connections and summary of nftwasm diff', async () => {
    const run = spawnSync(process.execPath, [BIN, 'diff', EXAMPLE_RULESET, newFile, '-r', EXAMPLE_CAPTURE, '--local', LOCAL, '--json'], { encoding: 'utf8' });
    const lines = run.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const changes = lines.filter((l) => l.flow);
    expect(changes.length).toBeGreaterThan(0);
    // Exactly the connections to the port that moved change.
    expect(changes.every((c) => c.flow.dport === 8000)).toBe(true);
    const summary = spawnSync(process.execPath, [BIN, 'diff', EXAMPLE_RULESET, newFile, '-r', EXAMPLE_CAPTURE, '--local', LOCAL], { encoding: 'utf8' }).stderr.trimEnd();

    await openWithDiff(page, server);
    expect(await page.textContent('#diff-status')).toBe(summary);
    expect(await page.textContent('#diff-count')).toBe(String(changes.length));
    const rows = await page.$$eval('#diff-flows tbody tr', (trs) => trs.map((tr) => ({
      first: Number((tr as HTMLElement).dataset.firstPacket),
      now: (tr as HTMLElement).dataset.now,
      flow: tr.querySelector('td.flow')!.textContent,
    })));
    expect(rows.map((r) => r.first)).toEqual(changes.map((c) => c.first_packet));
    expect(rows.every((r) => r.now === 'dropped' && r.flow!.includes(':8000'))).toBe(true);
  });

  it('marks an error in the new ruleset and shows no stale flows', async () => {
    await page.fill('#new-source', 'table inet filter {\n\tchain input {\n\t\ttcp dport 22 acept\n\t}\n}\n');
    await page.waitForFunction(() => document.getElementById('diff-status')!.dataset.state === 'error');
    expect(await page.textContent('#diff-status')).toMatch(/^The new ruleset has an error at line 3, column /);
    expect(await page.locator('#diff-flows tbody tr').count()).toBe(0);
    expect(await page.textContent('#new-gutter .bad')).toBe('3');
  });

  for (const [name, width, height] of [['a laptop screen', 1280, 800], ['a phone screen', 390, 844]] as const) {
    it(`both views fit ${name} (${width}x${height}) with nothing clipped`, async ({ annotate }) => {
      const p = await browser.context.newPage();
      await p.setViewportSize({ width, height });
      await openWithDiff(p, server);
      expect(await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
      const clipped = await p.evaluate(() => ['#coverage', '#diff-wrap', '#diff-status']
        .map((sel) => document.querySelector(sel) as HTMLElement)
        .filter((el) => el.scrollWidth > el.clientWidth + 1)
        .map((el) => el.id));
      expect(clipped).toEqual([]);
      for (const view of ['coverage', 'diff']) {
        const shot = outputPath(`playground-${view}-${width}x${height}.png`);
        await p.locator(`#${view}-panel`).screenshot({ path: shot });
        await annotate(`screenshot: ${shot}`);
      }
      await p.close();
    });
  }
});
