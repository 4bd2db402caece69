// No capacity of the data plane's own changes a verdict: `ct count` counts
// as many connections, in as many rules, as the kernel's nf_conncount,
// whose lists have no length limit.
import { describe, expect, it } from 'vitest';
import { compile, createFilter } from '../../src/index.js';
import { parseListingCounters } from '../kernel/listing.js';
import { SYN, pcap, tcp } from './packets.js';

const FLOWS = 300;
const syns = Array.from({ length: FLOWS }, (_, i) => tcp({ src: `10.0.${1 + (i >> 8)}.${1 + (i & 0xff)}`, dst: '10.0.0.2', sport: 30000 + i, dport: 80, seq: 1, flags: SYN }));

describe('ct count', () => {
  it('counts past 256 connections, and never drops for want of room', async () => {
    const ruleset = `table inet t {
	chain in {
		type filter hook input priority filter; policy accept;
		ct count over 1000 counter drop
		ct count over ${FLOWS - 1} counter
		ct count ${FLOWS - 1} counter
	}
}
`;
    const filter = await createFilter(compile(ruleset), { local: ['10.0.0.2'] });
    const stats = filter.processCapture(pcap(syns));
    expect(stats.dropped).toBe(0);
    expect(parseListingCounters(filter.listRuleset()).map((c) => c.packets)).toEqual([0, 1, FLOWS - 1]);
  });

  it('keeps a list for every ct count rule, however many', async () => {
    const rules = Array.from({ length: 40 }, (_, i) => `\t\ttcp dport 80 ct count over ${1000 + i} counter drop\n`).join('');
    const ruleset = `table inet t {\n\tchain in {\n\t\ttype filter hook input priority filter; policy accept;\n${rules}\t\tcounter\n\t}\n}\n`;
    const filter = await createFilter(compile(ruleset), { local: ['10.0.0.2'] });
    const stats = filter.processCapture(pcap(syns.slice(0, 20)));
    expect(stats.dropped).toBe(0);
    expect(parseListingCounters(filter.listRuleset()).at(-1)!.packets).toBe(20);
  });
});
