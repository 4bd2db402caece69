// The conntrack index is keyed with a secret, as the kernel's table is: a
// capture of tuples crafted to share one slot under a known key (what an
// attacker who knows the hash and its key can build) piles up under that
// key, and scatters under any other, so that lookups stay short whatever
// the traffic. Probes are counted, not timed.
import { describe, expect, it } from 'vitest';
import { compile, createFilter, type Filter } from '../../src/index.js';
import { pcap, udp } from './packets.js';

const RULESET = `table ip t {
	chain forward {
		type filter hook forward priority filter; policy accept;
		ct state new counter
	}
}
`;

const FLOWS = 300;
const SERVER = [192, 0, 2, 1];
const DPORT = 53;
// The index starts with 1024 slots, a tuple's home the top ten bits of its
// hash; it does not grow below 384 entries.
const HOME_BITS = 10;
const KEY_BYTES = 40;

const filterWith = (seed?: number): Promise<Filter> => createFilter(compile(RULESET), seed === undefined ? {} : { seed });

// The index hash of a UDP tuple under the filter's key, from the data
// plane's own function (as public as its source).
function tupleHash(filter: Filter, src: readonly number[], sport: number): number {
  const ex = filter.engine.exports;
  const at = ex.inputBuffer();
  const key = filter.engine.bytes(at, KEY_BYTES);
  key.fill(0);
  key.set([2, 17]);
  key.set(src, 4);
  key.set(SERVER, 20);
  key.set([sport >> 8, sport & 0xff, DPORT >> 8, DPORT & 0xff], 36);
  return ex.conntrackTupleHash(at) >>> 0;
}

// FLOWS client tuples whose original direction has one home slot under the
// key of `seed`.
async function collidingFlows(seed: number): Promise<[string, number][]> {
  const attacker = await filterWith(seed);
  const target = tupleHash(attacker, [10, 0, 0, 1], 1024) >>> (32 - HOME_BITS);
  const found: [string, number][] = [];
  for (let i = 0; found.length < FLOWS; i++) {
    const src = [10, (i >> 16) & 255, (i >> 8) & 255, i & 255];
    const sport = 1024 + (i % 60000);
    if (tupleHash(attacker, src, sport) >>> (32 - HOME_BITS) === target) found.push([src.join('.'), sport]);
  }
  return found;
}

// Each flow's first packet, then each one's second: misses, then hits.
function capture(flows: readonly [string, number][]): Uint8Array {
  const once = flows.map(([src, sport]) => udp(src, SERVER.join('.'), sport, DPORT));
  return pcap([...once, ...once]);
}

async function probesPerLookup(seed: number | undefined, bytes: Uint8Array): Promise<number> {
  const filter = await filterWith(seed);
  const stats = filter.processCapture(bytes);
  expect(stats.accepted).toBe(2 * FLOWS);
  expect(filter.conntrackTable()).toHaveLength(FLOWS);
  return Number(filter.engine.exports.conntrackProbes()) / (2 * FLOWS);
}

describe('conntrack hash key', () => {
  it('tuples crafted to collide under one key pile up under it and scatter under another', async () => {
    const bytes = capture(await collidingFlows(7));
    // Every lookup walks the pile: half of it on average, all of it to miss.
    expect(await probesPerLookup(7, bytes)).toBeGreaterThan(FLOWS / 4);
    expect(await probesPerLookup(8, bytes)).toBeLessThan(4);
    expect(await probesPerLookup(undefined, bytes)).toBeLessThan(4);
  });

  it('is random in every run, and the seed fixes it', async () => {
    const a = tupleHash(await filterWith(), [10, 0, 0, 1], 1024);
    const b = tupleHash(await filterWith(), [10, 0, 0, 1], 1024);
    expect(a).not.toBe(b);
    expect(tupleHash(await filterWith(5), [10, 0, 0, 1], 1024)).toBe(tupleHash(await filterWith(5), [10, 0, 0, 1], 1024));
  });
});
