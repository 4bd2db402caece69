// A statement kept by each element a rule adds to a named set (`update @s
// { ip saddr limit rate over ... }`) is what nft 1.0.6 makes of a meter on
// a set of its own: the same dynset with the same statement, so the same
// packets take the same verdicts (meters are compared with the kernel in
// test/kernel/scenarios/meter.test.ts).
import { describe, expect, it } from 'vitest';
import { compile, createFilter } from '../../src/index.js';
import { ethernet, pcapFrames, udp } from './packets.js';

const ruleset = (rule: string) => `table ip t {
	set s {
		type ipv4_addr
		flags dynamic
	}
	chain c {
		type filter hook prerouting priority 0; policy accept;
		${rule} counter drop
		counter
	}
}
`;

async function counters(rule: string): Promise<number[]> {
  const filter = await createFilter(compile(ruleset(rule)));
  const frames = [];
  for (let i = 0; i < 6; i++) frames.push(ethernet(udp('10.0.0.1', '10.0.0.9', 1000 + i, 53)), ethernet(udp('10.0.0.2', '10.0.0.9', 1000 + i, 53)));
  frames.push(ethernet(udp('10.0.0.3', '10.0.0.9', 1000, 53)));
  filter.processCapture(pcapFrames(frames));
  // The rules' counters: the set's elements list their own.
  return [...filter.listRuleset().split('\tchain c {')[1]!.matchAll(/packets (\d+)/g)].map((m) => Number(m[1]));
}

describe('statements of elements rules add to named sets', () => {
  it('limit each element as a meter does', async () => {
    const named = await counters('update @s { ip saddr limit rate over 2/minute burst 2 packets }');
    expect(named).toEqual(await counters('meter m { ip saddr limit rate over 2/minute burst 2 packets }'));
    // Two sources each over their own limit, the third never.
    expect(named[0]).toBeGreaterThan(0);
    expect(named[0]! % 2).toBe(0);
  });

  it('count each element as a meter does', async () => {
    expect(await counters('add @s { ip saddr counter }')).toEqual(await counters('meter m { ip saddr counter }'));
  });
});

describe('two statements of elements rules add to named sets', () => {
  it('run in order on state of their own, the rule stopping where the first stops it', async () => {
    const limited = await counters('update @s { ip saddr limit rate over 2/minute burst 2 packets }');
    expect(await counters('update @s { ip saddr limit rate over 2/minute burst 2 packets counter }')).toEqual(limited);
    expect(await counters('update @s { ip saddr counter limit rate over 2/minute burst 2 packets }')).toEqual(limited);
    // Each element's quota counts its own packets after its counter.
    const quota = await counters('add @s { ip saddr counter quota over 100 bytes }');
    expect(quota).toEqual(await counters('meter m { ip saddr quota over 100 bytes }'));
    expect(quota[0]).toBeGreaterThan(0);
  });

  it('list what each element\'s statements counted, a quota at most its size', async () => {
    const filter = await createFilter(compile(ruleset('add @s { ip saddr counter quota over 100 bytes }')));
    filter.processCapture(pcapFrames(Array.from({ length: 3 }, (_, i) => ethernet(udp('10.0.0.1', '10.0.0.9', 1000 + i, 53)))));
    expect(filter.listRuleset()).toContain('elements = { 10.0.0.1 counter packets 3 bytes 108 quota over 100 bytes used 100 bytes }');
  });

  it('more than two are refused by name', () => {
    expect(() => compile(ruleset('add @s { ip saddr counter limit rate 1/second quota 5 bytes }'))).toThrow('more than 2 statements in a set element are not supported by nftwasm');
  });
});
