// The conntrack index starts small and doubles as entries come, inserting
// every tuple anew each time: after many doublings every connection must
// still be found from both directions, and gone ones must not be.
import { describe, expect, it } from 'vitest';
import { compile, createFilter } from '../../src/index.js';
import { conntrackHighWater } from '../../src/conntrack-table.js';
import { parseListingCounters } from '../kernel/listing.js';
import { pcap, udp } from './packets.js';

const RULESET = `table inet t {
	chain in {
		type filter hook forward priority filter; policy accept;
		ct state new counter
		ct state established ct direction reply counter
	}
}
`;

const FLOWS = 5000;
const client = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

describe('conntrack index', () => {
  it('finds every connection from both directions across its growth', async () => {
    const filter = await createFilter(compile(RULESET));
    const requests = Array.from({ length: FLOWS }, (_, i) => udp(client(i + 256), '192.0.2.1', 10000 + (i % 50000), 53));
    const replies = Array.from({ length: FLOWS }, (_, i) => udp('192.0.2.1', client(i + 256), 53, 10000 + (i % 50000)));
    filter.processCapture(pcap([...requests, ...replies]));
    const [fresh, answered] = parseListingCounters(filter.listRuleset());
    expect(fresh!.packets).toBe(FLOWS);
    expect(answered!.packets).toBe(FLOWS);
    expect(filter.conntrackTable()).toHaveLength(FLOWS);
  });

  // The entry arrays grow to nf_conntrack_buckets slots at once, then
  // double: with fewer buckets they move at every doubling.
  it.each([
    [262144, 1],
    [1024, 3],
  ])('with %i buckets, the entry arrays move %i time(s) for 5000 connections', async (buckets, moves) => {
    const filter = await createFilter(compile(RULESET), { sysctl: { nf_conntrack_buckets: buckets } });
    const entriesAt = () => filter.engine.u32(filter.engine.exports.conntrackRegions(), 1)[0]!;
    const places = new Set([entriesAt()]);
    for (let i = 0; i < FLOWS; i += 500) {
      filter.processCapture(pcap(Array.from({ length: 500 }, (_, j) => udp(client(i + j + 256), '192.0.2.1', 10000, 53)), { start: 1_700_000_000 + i / 1000 }));
      places.add(entriesAt());
    }
    expect(places.size - 1).toBe(moves);
    expect(filter.conntrackTable()).toHaveLength(FLOWS);
  });

  // Growth moves only the extension arrays some entry uses: those of the
  // entries made before it must come along.
  it.each([262144, 1024])('keeps the accounting and NAT records of every connection across its growth (%i buckets)', async (buckets) => {
    const rules = `table ip t {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		ip saddr 10.0.0.0/8 udp sport 20000 snat to 203.0.113.1
	}
}
`;
    const filter = await createFilter(compile(rules), { sysctl: { nf_conntrack_acct: 1, nf_conntrack_buckets: buckets } });
    const requests = Array.from({ length: FLOWS }, (_, i) => udp(client(i + 256), '192.0.2.1', i === 0 ? 20000 : 10000 + (i % 50000), 53, 8 + (i % 7)));
    filter.processCapture(pcap(requests));
    const table = filter.conntrackTable();
    expect(table).toHaveLength(FLOWS);
    table.forEach((e, i) => expect(e.counters.original).toEqual({ packets: 1n, bytes: BigInt(28 + 8 + (i % 7)) }));
    expect(table[0]!.reply.dst).toBe('203.0.113.1');
    expect(table[1]!.reply.dst).toBe(client(257));
  });

  it('forgets expired connections and admits their tuples anew', async () => {
    const filter = await createFilter(compile(RULESET));
    const requests = Array.from({ length: FLOWS }, (_, i) => udp(client(i + 256), '192.0.2.1', 20000, 53));
    filter.processCapture(pcap(requests));
    // UDP's unreplied timeout is 30 s: a minute later they are all new again.
    filter.processCapture(pcap(requests, { start: 1_700_000_060 }));
    expect(parseListingCounters(filter.listRuleset())[0]!.packets).toBe(2 * FLOWS);
    expect(filter.conntrackTable()).toHaveLength(FLOWS);
    expect(filter.stats().conntrackEntries).toBe(FLOWS);
    // Later, one more: the others have expired, though no lookup
    // has removed them yet.
    filter.processCapture(pcap([udp('10.0.0.1', '192.0.2.1', 20000, 53)], { start: 1_700_000_100 }));
    expect(filter.conntrackTable()).toHaveLength(1);
    expect(filter.stats().conntrackEntries).toBe(1);
  });

  it('collects expired entries in the background, and new connections take their slots', async () => {
    const filter = await createFilter(compile(RULESET));
    const from = (port: number) => Array.from({ length: FLOWS }, (_, i) => udp(client(i + 256), '192.0.2.1', port, 53));
    filter.processCapture(pcap(from(20000)));
    // Other tuples once the first have expired: no lookup meets those.
    filter.processCapture(pcap(from(20001), { start: 1_700_000_060 }));
    expect(filter.conntrackTable()).toHaveLength(FLOWS);
    expect(conntrackHighWater(filter.engine)).toBe(FLOWS);
  });
});
