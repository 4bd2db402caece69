// A queue number a map gives: no listener takes the packet either way, so
// it is dropped, or goes on with bypass, as with a constant number (whose
// answers test/kernel/scenarios/queue.test.ts compares with the kernel's).
import { describe, expect, it } from 'vitest';
import { compile, createFilter } from '../../src/index.js';
import { parseListingCounters } from '../kernel/listing.js';
import { SYN, pcap, tcp } from './packets.js';

const RULESET = `table inet t {
	chain in {
		type filter hook input priority filter; policy accept;
		tcp dport 22 queue to tcp dport map { 22 : 1 }
		tcp dport 23 queue flags bypass to tcp dport map { 23 : 1 }
	}
	chain after {
		type filter hook input priority 10; policy accept;
		counter
	}
}
`;

describe('queue to a map', () => {
  it('drops without bypass, lets the packet on with it', async () => {
    const filter = await createFilter(compile(RULESET), { local: ['10.0.0.2'] });
    const syn = (dport: number) => tcp({ src: '10.0.0.1', dst: '10.0.0.2', sport: 40000 + dport, dport, seq: 1, flags: SYN });
    const stats = filter.processCapture(pcap([syn(22), syn(23)]));
    expect(stats.dropped).toBe(1);
    expect(parseListingCounters(filter.listRuleset())[0]!.packets).toBe(1);
  });
});
