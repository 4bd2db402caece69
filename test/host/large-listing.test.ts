// A conntrack table of hundreds of thousands of entries is listed piece by
// piece: --conntrack runs in a JavaScript heap far smaller than the listing
// (an object per entry and the whole text at once needed over 128 MiB for
// 200k entries), and the pieces are the bytes the API's one string holds.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compile, createFilter } from '../../src/index.js';
import { orderOf } from '../../src/conntrack-table.js';
import { BIN, ROOT, ensureBuilt, nftwasm } from './cli-run.js';

const LINKTYPE_RAW = 101;
const RECORD = 16 + 28;

// n UDP packets to 192.0.2.1:53, each from its own address and port: n
// connections, all alive at the end.
function udpFlows(n: number): Uint8Array {
  const out = new Uint8Array(24 + n * RECORD);
  const v = new DataView(out.buffer);
  v.setUint32(0, 0xa1b2c3d4, true);
  v.setUint16(4, 2, true);
  v.setUint16(6, 4, true);
  v.setUint32(16, 65535, true);
  v.setUint32(20, LINKTYPE_RAW, true);
  for (let i = 0; i < n; i++) {
    const at = 24 + i * RECORD;
    v.setUint32(at, 1_700_000_000, true);
    v.setUint32(at + 4, i % 1_000_000, true);
    v.setUint32(at + 8, 28, true);
    v.setUint32(at + 12, 28, true);
    const p = at + 16;
    out[p] = 0x45;
    v.setUint16(p + 2, 28);
    out[p + 8] = 64;
    out[p + 9] = 17;
    out.set([10, (i >> 16) & 255, (i >> 8) & 255, i & 255, 192, 0, 2, 1], p + 12);
    let sum = 0;
    for (let k = 0; k < 20; k += 2) sum += v.getUint16(p + k);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    v.setUint16(p + 10, ~sum & 0xffff);
    v.setUint16(p + 20, 1024 + (i % 50000));
    v.setUint16(p + 22, 53);
    v.setUint16(p + 24, 8);
  }
  return out;
}

const RULESET = `table inet t {
	chain f {
		type filter hook forward priority 0; policy accept;
		ct state new counter
	}
}
`;

const dir = mkdtempSync(join(tmpdir(), 'nftwasm-listing-'));
const rules = join(dir, 'rules.nft');
writeFileSync(rules, RULESET);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function capture(name: string, flows: number): string {
  const path = join(dir, name);
  writeFileSync(path, udpFlows(flows));
  return path;
}

describe('large conntrack listings', () => {
  // Ids out of slot order, as reused slots and workers give them, with
  // digits in both halves of the radix sort.
  it('order entries by id', () => {
    let x = 12345;
    const keys = Uint32Array.from({ length: 5000 }, () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0));
    keys[7] = 0xffffffff;
    keys[8] = 0;
    const order = orderOf(keys);
    expect([...order].map((i) => keys[i]!)).toEqual([...keys].sort((a, b) => a - b));
    expect([...orderOf(Uint32Array.of(1, 2, 3))]).toEqual([0, 1, 2]);
  });

  it('list 200k entries in a 24 MiB JavaScript heap, in the order of their ids', () => {
    const FLOWS = 200_000;
    const path = capture('many.pcap', FLOWS);
    ensureBuilt();
    const r = spawnSync(process.execPath, ['--max-old-space-size=24', BIN, 'filter', '-f', rules, '-r', path, '--conntrack', '-q'], { cwd: ROOT, maxBuffer: 1 << 28 });
    expect(r.stderr.toString()).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.toString().trimEnd().split('\n');
    expect(lines).toHaveLength(FLOWS);
    expect(lines.every((l, i) => l.endsWith(` id=${i + 1}`))).toBe(true);
    expect(lines[FLOWS - 1]).toMatch(/^ipv4 +2 udp +17 30 src=10\.3\.13\.63 dst=192\.0\.2\.1 sport=51023 dport=53 \[UNREPLIED\] src=192\.0\.2\.1 /);
  }, 120_000);

  // Thousands of entries make dozens of pieces: the text the command line
  // writes piece by piece is the API's, as a workers' run is one worker's.
  it('writes the bytes of conntrackListing() and of one JSON object', async () => {
    const FLOWS = 3000;
    const path = capture('some.pcap', FLOWS);
    const filter = await createFilter(compile(RULESET), { seed: 1 });
    filter.processCapture(udpFlows(FLOWS));
    const listing = filter.conntrackListing();
    const proc = filter.conntrackListing({ format: 'proc' });
    expect(listing.split('\n')).toHaveLength(FLOWS + 1);
    for (const workers of [[], ['--workers', '2']]) {
      const run = (extra: string[]) => nftwasm(['filter', '-f', rules, '-r', path, '--seed', '1', '-q', '--conntrack', ...workers, ...extra]);
      expect(run([]).stdout.toString()).toBe(listing);
      expect(run(['--conntrack-format', 'proc']).stdout.toString()).toBe(proc);
      const json = run(['--json']).stdout.toString().trimEnd().split('\n');
      const last = json[json.length - 1]!;
      const table = JSON.parse(last) as { type: string; entries: Array<{ id: number }> };
      expect(JSON.stringify(table)).toBe(last);
      expect(table.type).toBe('conntrack');
      expect(table.entries.map((e) => e.id)).toEqual(Array.from({ length: FLOWS }, (_, i) => i + 1));
    }
  }, 120_000);
});
