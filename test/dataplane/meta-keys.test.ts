// Meta keys the data plane answers without devices: meta random from a
// seeded sequence (the same seed, the same counts), cpu 0, no IPsec, and
// no socket for what the host receives (skuid, skgid, cgroup break).
import { describe, expect, it } from 'vitest';
import { compile, createFilter } from '../../src/index.js';
import { pcap, udp } from './packets.js';
import { nftwasm } from '../host/cli-run.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const RULES = `table inet t {
	chain c {
		type filter hook input priority 0; policy accept;
		meta random < 2147483648 counter
		meta cpu 0 counter
		meta ipsec missing counter
		meta skuid 0 counter
		meta skgid 0 counter
		meta cgroup 0 counter
		meta priority none counter
		meta priority set 1:2
		meta priority 1:2 counter
	}
}
`;

const CAPTURE = pcap(Array.from({ length: 200 }, (_, i) => udp('10.0.0.1', '10.0.0.2', 1000 + i, 53)));

async function counts(seed?: number): Promise<number[]> {
  const filter = await createFilter(compile(RULES), { local: ['10.0.0.2'], ...(seed !== undefined ? { seed } : {}) });
  filter.processCapture(CAPTURE);
  return [...filter.listRuleset().matchAll(/counter packets (\d+)/g)].map((m) => Number(m[1]));
}

describe('meta keys without devices', () => {
  it('random repeats with its seed and takes about half below the middle', async () => {
    const a = await counts(7);
    expect(await counts(7)).toEqual(a);
    expect(a[0]).toBeGreaterThan(70);
    expect(a[0]).toBeLessThan(130);
    expect((await counts(8))[0]).not.toBe(a[0]);
    // skb->priority is 0 until a rule sets it.
    expect(a.slice(1)).toEqual([200, 200, 0, 0, 0, 200, 200]);
  });

  // 1700000000 is Tuesday 2023-11-14 22:13:20 UTC; ten packets a
  // millisecond apart from then.
  it('time, day and hour come from the packet timestamp, in UTC', async () => {
    const rules = `table inet t {
	chain c {
		type filter hook input priority 0; policy accept;
		meta time 1700000000 counter
		meta time > 1700000000 counter
		meta day "Tuesday" counter
		meta day 3 counter
		meta hour 80000 counter
		meta hour > 80000 counter
	}
}
`;
    const filter = await createFilter(compile(rules), { local: ['10.0.0.2'] });
    filter.processCapture(pcap(Array.from({ length: 10 }, (_, i) => udp('10.0.0.1', '10.0.0.2', 1000 + i, 53))));
    expect([...filter.listRuleset().matchAll(/counter packets (\d+)/g)].map((m) => Number(m[1]))).toEqual([1, 9, 10, 0, 10, 0]);
  });

  it('--seed on the command line: the same seed, the same counters', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nftwasm-seed-'));
    writeFileSync(join(dir, 'r.nft'), RULES);
    writeFileSync(join(dir, 'c.pcap'), CAPTURE);
    const run = (seed: string) => nftwasm(['filter', '-q', '-f', join(dir, 'r.nft'), '-r', join(dir, 'c.pcap'), '--local', '10.0.0.2', '--list', '--seed', seed]);
    const a = run('7');
    expect(a.status).toBe(0);
    expect(a.stdout.toString()).toBe(run('7').stdout.toString());
    expect(a.stdout.toString()).not.toBe(run('8').stdout.toString());
    const bad = run('-1');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--seed expects a number from 0 to 4294967295, got "-1"');
  });
});
