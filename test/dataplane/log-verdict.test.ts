// A `log` statement never changes what a rule does: what follows it runs.
import { describe, expect, it } from 'vitest';
import { compile, createFilter } from '../../src/index.js';
import { pcap, udp } from './packets.js';

const RULES = `table ip t {
	chain forward {
		type filter hook forward priority 0; policy drop;
		counter log prefix "est " counter accept
		log level warn log flags all counter
	}
}
`;

describe('log', () => {
  it('lets the rest of its rule run', async () => {
    const filter = await createFilter(compile(RULES));
    filter.processCapture(pcap([udp('10.0.0.1', '10.0.0.2', 1000, 53), udp('10.0.0.1', '10.0.0.2', 1001, 53)]));
    const counters = [...filter.listRuleset().matchAll(/packets (\d+)/g)].map((m) => Number(m[1]));
    expect(counters).toEqual([2, 2, 0]);
    expect(filter.stats().accepted).toBe(2);
  });
});
