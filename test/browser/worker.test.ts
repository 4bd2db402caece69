// The library off the main thread, where there is no DOM and no Node: a
// module Web Worker runs the example capture through it, and the edge
// handler of docs/embedding.md answers a form POST there. Both give what the
// command line gives.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { BIN, EXAMPLE_CAPTURE, EXAMPLE_RULESET, ROOT, ensureBuilt } from '../host/cli-run.js';
import { HAS_CHROMIUM, SKIP_REASON, launchChromium, startPlayground, type Browser, type Server } from './chromium.js';

const LOCAL = '10.99.0.2';

function cli(...flags: string[]): string {
  return execFileSync(process.execPath, [BIN, 'filter', '-f', EXAMPLE_RULESET, '-r', EXAMPLE_CAPTURE, '--local', LOCAL, '-q', ...flags], { encoding: 'utf8' });
}

// The code block of docs/embedding.md that defines the edge handler.
function edgeHandlerFromDocs(): string {
  const doc = readFileSync(join(ROOT, 'docs/embedding.md'), 'utf8');
  const block = [...doc.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]).find((code) => code.includes('export async function filterCapture'));
  if (!block) throw new Error('docs/embedding.md has no filterCapture block');
  return block;
}

// Starts a module worker from `source` (its relative imports resolved
// against the server), sends it `message` and resolves with its answer.
async function inWorker(page: Page, source: string, message: unknown): Promise<unknown> {
  return page.evaluate(async ({ source, message }) => {
    const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
    const worker = new Worker(url, { type: 'module' });
    try {
      return await new Promise((resolve, reject) => {
        worker.onmessage = (e) => resolve(e.data);
        worker.onerror = (e) => reject(new Error(`worker: ${e.message}`));
        worker.postMessage(message);
      });
    } finally {
      worker.terminate();
      URL.revokeObjectURL(url);
    }
  }, { source, message });
}

describe.skipIf(!HAS_CHROMIUM)(`the library in a Web Worker${SKIP_REASON}`, () => {
  let browser: Browser;
  let server: Server;
  let page: Page;

  beforeAll(async () => {
    ensureBuilt();
    [browser, server] = await Promise.all([launchChromium(), startPlayground()]);
    page = await browser.context.newPage();
    // A page of the server's origin, so the worker may import the library.
    await page.goto(`${server.origin}/playground/examples/web.nft`);
  });

  afterAll(async () => {
    await browser?.close();
    server?.stop();
  });

  it('runs the example capture off the main thread, as the command line does', async () => {
    const source = `
      import { compile, createFilter } from '${server.origin}/nftwasm.js';
      self.onmessage = async ({ data: { rules, capture, local } }) => {
        const filter = await createFilter(compile(rules, { filename: 'web.nft' }), { local });
        const verdicts = [];
        filter.processCapture(new Uint8Array(capture), (batch) => {
          for (let i = 0; i < batch.count; i++) verdicts.push(batch.accepted(i) ? 'accept' : 'drop');
        });
        self.postMessage({
          listing: filter.listRuleset(),
          conntrack: filter.conntrackListing(),
          verdicts,
          globals: [typeof process, typeof require, typeof Buffer, typeof document, typeof WorkerGlobalScope],
        });
      };`;
    // Plain numbers cross from Node into the page; the worker makes bytes of them.
    const capture = [...readFileSync(EXAMPLE_CAPTURE)];
    const result = await inWorker(page, source, {
      rules: readFileSync(EXAMPLE_RULESET, 'utf8'), capture, local: [LOCAL],
    }) as { listing: string; conntrack: string; verdicts: string[]; globals: string[] };
    const packets = cli('--json').trim().split('\n').map((l) => JSON.parse(l) as { verdict: string });
    expect(result.globals).toEqual(['undefined', 'undefined', 'undefined', 'undefined', 'function']);
    expect(result.listing).toBe(cli('--list'));
    expect(result.conntrack).toBe(cli('--conntrack'));
    expect(result.verdicts).toEqual(packets.map((p) => p.verdict));
  });

  it('answers a form POST with the listing through the edge handler of docs/embedding.md', async () => {
    const handler = edgeHandlerFromDocs().replace("'./nftwasm.js'", `'${server.origin}/nftwasm.js'`);
    const source = `${handler}
      self.onmessage = async ({ data: { rules, capture, local } }) => {
        const post = (fields) => {
          const form = new FormData();
          for (const [k, v] of Object.entries(fields)) form.append(k, v);
          return filterCapture(new Request('https://edge.invalid/filter', { method: 'POST', body: form }));
        };
        const answers = [];
        const file = new File([Uint8Array.from(capture)], 'web.pcap');
        for (const response of [
          await post({ ruleset: rules, capture: file, local }),
          await post({ ruleset: rules.replace('counter drop', 'countr drop'), capture: file, local }),
          await post({ ruleset: rules, capture: new File([new Uint8Array(10)], 'empty.pcap'), local }),
          await filterCapture(new Request('https://edge.invalid/filter')),
        ]) answers.push({ status: response.status, type: response.headers.get('content-type'), text: await response.text() });
        self.postMessage(answers);
      };`;
    const answers = await inWorker(page, source, {
      rules: readFileSync(EXAMPLE_RULESET, 'utf8'), capture: [...readFileSync(EXAMPLE_CAPTURE)], local: LOCAL,
    }) as { status: number; type: string; text: string }[];
    expect(answers[0]).toEqual({ status: 200, type: 'text/plain; charset=utf-8', text: cli('--list') });
    expect(answers[1].status).toBe(422);
    expect(answers[1].text).toMatch(/^ruleset\.nft:\d+:\d+-\d+: Error: /);
    expect(answers[2].status).toBe(422);
    expect(answers[3].status).toBe(405);
  });
});
