// Flows sharded across worker threads give exactly what one data plane
// gives: every per-packet result (conntrack ids included), every counter,
// the conntrack table and the summary.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compile, createFilter, type Filter, type PacketBatch } from '../../src/index.js';
import { createShardedFilter } from '../../src/workers.js';
import { generateCapture } from '../../bench/generate.js';

function generated(packets: number, flows: number, seed: number): Uint8Array {
  const chunks: Uint8Array[] = [];
  generateCapture({ packets, flows, seed }, (c) => chunks.push(c.slice()));
  return Buffer.concat(chunks);
}

interface Outcome {
  results: string[];
  counters: bigint[];
  conntrack: string;
  stats: object;
}

function run(filter: Filter, bytes: Uint8Array): Outcome {
  const results: string[] = [];
  filter.processCapture(bytes, (b: PacketBatch) => {
    for (let i = 0; i < b.count; i++) {
      results.push([b.firstPacket + i, b.fate(i), b.accepted(i), b.ctState(i), b.ctDirection(i), b.ctId(i), b.handle(i), b.chain(i), b.dataOffset(i), b.capturedLength(i)].join(' '));
    }
  });
  return { results, counters: [...filter.counters()], conntrack: filter.conntrackListing(), stats: filter.stats() };
}

const read = (rel: string) => readFileSync(new URL(rel, import.meta.url));

const cases = [
  { name: 'generated traffic, bench/ruleset.nft', rules: read('../../bench/ruleset.nft').toString(), bytes: generated(30_000, 400, 3), local: [] as string[] },
  { name: 'the web example, with a local address', rules: read('../../examples/web.nft').toString(), bytes: read('../../examples/web.pcap'), local: ['10.99.0.2'] },
];

describe('--workers', () => {
  for (const c of cases) {
    for (const workers of [2, 3]) {
      it(`${workers} workers answer as one: ${c.name}`, async () => {
        const ruleset = compile(c.rules);
        const one = run(await createFilter(ruleset, { local: c.local }), c.bytes);
        const many = run(await createShardedFilter(ruleset, workers, { local: c.local }), c.bytes);
        expect(many.results.length).toBe(one.results.length);
        expect(many.results).toEqual(one.results);
        expect(many.counters).toEqual(one.counters);
        expect(many.conntrack).toEqual(one.conntrack);
        expect(many.stats).toEqual(one.stats);
      });
    }
  }

  it('refuses conntrack events and tracing', async () => {
    const ruleset = compile(cases[0]!.rules);
    await expect(createShardedFilter(ruleset, 2, { events: true })).rejects.toThrow(RangeError);
    await expect(createShardedFilter(ruleset, 2, { trace: { packets: [1] } })).rejects.toThrow(RangeError);
  });
});
