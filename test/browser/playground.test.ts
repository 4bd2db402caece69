// The playground in headless Chromium shows what the command line prints
// for the same ruleset, capture and local address: counters, conntrack
// table, packets and traces.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { compile, NftError } from '../../compiler/index.js';
import { BIN, EXAMPLE_CAPTURE, EXAMPLE_RULESET, ensureBuilt } from '../host/cli-run.js';
import { HAS_CHROMIUM, SKIP_REASON, launchChromium, outputPath, runAfter, startPlayground, type Browser, type Server } from './chromium.js';

const LOCAL = '10.99.0.2';

function cli(...flags: string[]): string {
  return execFileSync(process.execPath, [BIN, 'filter', '-f', EXAMPLE_RULESET, '-r', EXAMPLE_CAPTURE, '--local', LOCAL, '-q', ...flags], { encoding: 'utf8' });
}

interface PacketLine {
  packet: number;
  verdict: string;
  ct?: { state: string };
}

async function currentRun(page: Page): Promise<number> {
  return Number((await page.getAttribute('#status', 'data-run')) ?? 0);
}


async function traceOf(page: Page, packet: number): Promise<string> {
  await page.waitForSelector(`#trace[data-packet="${packet}"]`);
  return (await page.textContent('#trace'))!;
}

describe.skipIf(!HAS_CHROMIUM)(`playground in Chromium${SKIP_REASON}`, () => {
  let browser: Browser;
  let server: Server;
  let page: Page;
  let listing: string;
  let conntrack: string;
  let packets: PacketLine[];

  beforeAll(async () => {
    ensureBuilt();
    listing = cli('--list');
    conntrack = cli('--conntrack');
    packets = cli('--json').trim().split('\n').map((l) => JSON.parse(l) as PacketLine).filter((p) => 'packet' in p);
    [browser, server] = await Promise.all([launchChromium(), startPlayground()]);
    page = await browser.context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    server?.stop();
  });

  it('loads the example with one click and shows the command line\'s counters and conntrack table', async ({ annotate }) => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.origin}/playground/`);
    await page.click('#load-example');
    await runAfter(page, 0);
    expect(await page.inputValue('#local')).toBe(LOCAL);
    expect(await page.textContent('#listing')).toBe(listing);
    expect(await page.textContent('#conntrack')).toBe(conntrack);
    expect(await page.textContent('#packet-count')).toBe(String(packets.length));

    const rows = await page.$$eval('#packets tbody tr', (trs) => trs.map((tr) => ({
      packet: Number((tr as HTMLElement).dataset.packet),
      verdict: (tr as HTMLElement).dataset.verdict,
      state: (tr as HTMLElement).dataset.state,
    })));
    expect(rows).toEqual(packets.map((p) => ({ packet: p.packet, verdict: p.verdict, state: p.ct?.state ?? 'none' })));

    await page.click('#packets tbody tr[data-packet="5"]');
    expect(await traceOf(page, 5)).toBe(cli('--trace', '5').replace(/\n$/, ''));
    const shot = outputPath('playground.png');
    await page.screenshot({ path: shot, fullPage: true });
    await annotate(`screenshot: ${shot}`);
    console.log(`playground screenshot: ${shot}`);
    expect(errors).toEqual([]);
  });

  it('runs again with the local addresses typed in the field', async () => {
    const before = await currentRun(page);
    await page.fill('#local', '');
    await page.press('#local', 'Enter');
    await runAfter(page, before);
    // No local address: every packet is forwarded, and only the input and
    // output chains count, so nothing does.
    expect(await page.textContent('#listing')).not.toBe(listing);
    const again = await currentRun(page);
    await page.fill('#local', LOCAL);
    await page.press('#local', 'Enter');
    await runAfter(page, again);
    expect(await page.textContent('#listing')).toBe(listing);
  });

  it('filters the packet list by verdict, ct state and text', async () => {
    const drops = packets.filter((p) => p.verdict === 'drop').map((p) => p.packet);
    await page.selectOption('#filter-verdict', 'drop');
    expect(await page.$$eval('#packets tbody tr', (trs) => trs.map((tr) => Number((tr as HTMLElement).dataset.packet)))).toEqual(drops);
    await page.selectOption('#filter-verdict', '');
    await page.selectOption('#filter-state', 'new');
    const fresh = packets.filter((p) => p.ct?.state === 'new').map((p) => p.packet);
    expect(await page.$$eval('#packets tbody tr', (trs) => trs.map((tr) => Number((tr as HTMLElement).dataset.packet)))).toEqual(fresh);
    await page.selectOption('#filter-state', '');
    await page.fill('#filter-text', 'dport 22');
    const ssh = await page.$$eval('#packets tbody tr td.summary', (tds) => tds.map((td) => td.textContent));
    expect(ssh.length).toBeGreaterThan(0);
    expect(ssh.every((s) => s!.includes('dport 22'))).toBe(true);
    await page.fill('#filter-text', '');
    expect(await page.locator('#packets tbody tr').count()).toBe(packets.length);
  });

  it('chooses a packet with the keyboard and shows its trace', async () => {
    await page.focus('#packets tbody tr[tabindex="0"]');
    const focused = await page.evaluate(() => (document.activeElement as HTMLElement).dataset.packet);
    const target = Number(focused) + 2;
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    expect(await traceOf(page, target)).toBe(cli('--trace', String(target)).replace(/\n$/, ''));
    expect(await page.getAttribute(`#packets tbody tr[data-packet="${target}"]`, 'aria-current')).toBe('true');
  });

  it('marks a ruleset error at its line and column, as nft words it', async () => {
    const bad = 'table inet filter {\n\tchain input {\n\t\ttcp dport 22 countr drop\n\t}\n}\n';
    let expected: NftError | undefined;
    try {
      compile(bad, { filename: 'ruleset.nft' });
    } catch (e) {
      expected = e as NftError;
    }
    expect(expected).toBeInstanceOf(NftError);
    await page.fill('#source', bad);
    await page.waitForSelector('#compile-error:not([hidden])');
    expect(await page.textContent('#compile-message')).toBe(expected!.message);
    expect(await page.textContent('#gutter .bad')).toBe(String(expected!.line));
    const line = bad.split('\n')[expected!.line - 1];
    expect(await page.textContent('#backdrop mark')).toBe(line.slice(expected!.column - 1, expected!.endColumn));
    expect(await page.getAttribute('#source', 'aria-invalid')).toBe('true');
    await page.screenshot({ path: outputPath('playground-error.png') });

    await page.click('#goto-error');
    const selection = await page.$eval('#source', (t) => {
      const ta = t as HTMLTextAreaElement;
      return ta.value.slice(ta.selectionStart, ta.selectionEnd);
    });
    expect(selection).toBe(line.slice(expected!.column - 1, expected!.endColumn));

    await page.fill('#source', readFileSync(EXAMPLE_RULESET, 'utf8'));
    await page.waitForSelector('#compile-error', { state: 'hidden' });
    expect(await page.getAttribute('#source', 'aria-invalid')).toBe('false');
  });

  it('marks every error of a ruleset, each on its line', async () => {
    const bad = 'table inet filter {\n\tchain input {\n\t\ttcp dport 99999 accept\n\t\tudp dport 53 acept\n\t}\n}\n';
    let expected: NftError | undefined;
    try {
      compile(bad, { filename: 'ruleset.nft' });
    } catch (e) {
      expected = e as NftError;
    }
    expect(expected!.errors.map((e) => e.line)).toEqual([4, 3]);
    await page.fill('#source', bad);
    await page.waitForSelector('#compile-error:not([hidden])');
    expect(await page.textContent('#compile-message')).toBe(expected!.message);
    expect(await page.$$eval('#gutter .bad', (marks) => marks.map((m) => m.textContent))).toEqual(['3', '4']);
    expect(await page.$$eval('#backdrop mark', (marks) => marks.map((m) => m.textContent))).toEqual(['99999', ' ']);
    expect(await page.textContent('#status')).toBe('The ruleset has 2 errors, the first at line 4, column 21.');
    await page.fill('#source', readFileSync(EXAMPLE_RULESET, 'utf8'));
    await page.waitForSelector('#compile-error', { state: 'hidden' });
  });

  it('opens a capture from disk without sending it anywhere', async () => {
    const fresh = await browser.context.newPage();
    await fresh.goto(`${server.origin}/playground/`);
    await fresh.waitForFunction(() => (document.getElementById('source') as HTMLTextAreaElement).value !== '');
    // The data plane module is fetched on first use; nothing else may be.
    const requests: string[] = [];
    fresh.on('request', (r) => requests.push(`${r.method()} ${new URL(r.url()).pathname} ${r.postDataBuffer()?.length ?? 0}`));
    await fresh.fill('#source', readFileSync(EXAMPLE_RULESET, 'utf8'));
    await fresh.fill('#local', LOCAL);
    await fresh.setInputFiles('#capture-file', EXAMPLE_CAPTURE);
    await runAfter(fresh, 0);
    expect(await fresh.textContent('#listing')).toBe(listing);
    expect(await fresh.textContent('#status')).toMatch(/^web\.pcap: /);
    expect(requests).toEqual(['GET /nftwasm.wasm 0']);
    await fresh.close();
  });

  // Nothing the page shows runs out of its panel: the packet list, the
  // counters and the conntrack table fit or wrap (the bytecode and the
  // editor scroll, as code does).
  for (const [name, width, height] of [['a laptop screen', 1280, 800], ['a phone screen', 390, 844]] as const) {
    it(`fits ${name} (${width}x${height}) with nothing clipped`, async ({ annotate }) => {
      const p = await browser.context.newPage();
      await p.setViewportSize({ width, height });
      await p.goto(`${server.origin}/playground/`);
      await p.click('#load-example');
      await runAfter(p, 0);
      await p.click('#packets tbody tr[data-packet="3"]');
      await traceOf(p, 3);
      const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      const clipped = await p.evaluate(() => ['#packet-wrap', '#listing', '#conntrack', '#trace']
        .map((sel) => document.querySelector(sel) as HTMLElement)
        .filter((el) => el.scrollWidth > el.clientWidth + 1)
        .map((el) => el.id));
      expect(clipped).toEqual([]);
      // Every packet's text and what decided it can be read.
      const cells = await p.$$eval('#packets tbody tr[data-packet="3"] td.summary', (tds) => tds.map((td) => (td as HTMLElement).innerText));
      expect(cells[0]).toContain('tcp dport 8000');
      const shot = outputPath(`playground-${width}x${height}.png`);
      await p.screenshot({ path: shot, fullPage: true });
      await annotate(`screenshot: ${shot}`);
      await p.close();
    });
  }

  it('forgets the chosen packet when another capture is opened', async () => {
    const p = await browser.context.newPage();
    await p.goto(`${server.origin}/playground/`);
    await p.click('#load-example');
    await runAfter(p, 0);
    await p.click('#packets tbody tr[data-packet="4"]');
    await traceOf(p, 4);
    const before = await currentRun(p);
    await p.setInputFiles('#capture-file', EXAMPLE_CAPTURE);
    await runAfter(p, before);
    expect(await p.$$eval('#packets tbody tr[aria-current="true"]', (trs) => trs.length)).toBe(0);
    expect(await p.textContent('#trace')).toMatch(/^Choose a packet/);
    expect(await p.getAttribute('#trace', 'data-packet')).toBeNull();
    await p.close();
  });
});
