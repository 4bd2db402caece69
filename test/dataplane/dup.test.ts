// dup in ip and ip6 tables: each copy goes through output and postrouting
// as the host sends it, untracked, with the mark the packet had, its TTL or
// hop limit lowered when taken on prerouting or input; a dup there copies
// nothing again, and the packet itself goes on as if the rule had not
// copied it (test/kernel/scenarios/dup.test.ts compares this with the
// kernel).
import { describe, expect, it } from 'vitest';
import { compile, createFilter } from '../../src/index.js';
import { parseListingCounters } from '../kernel/listing.js';
import { ipv6, pcap, udp } from './packets.js';

const RULESET = `table ip t {
	chain pre {
		type filter hook prerouting priority 0; policy accept;
		udp dport 53 meta mark set 7 dup to 192.0.2.1 dup to 192.0.2.2
	}
	chain out {
		type filter hook output priority 0; policy accept;
		dup to 192.0.2.3
		ct state untracked counter
		ct state untracked ip ttl 63 meta mark 7 counter
		counter
	}
	chain post {
		type filter hook postrouting priority 0; policy accept;
		ct state untracked counter
	}
	chain in {
		type filter hook input priority 0; policy drop;
		ct state new udp dport 53 counter accept
	}
}
table ip6 t6 {
	chain pre {
		type filter hook prerouting priority 0; policy accept;
		udp dport 53 dup to 2001:db8::9
	}
	chain out {
		type filter hook output priority 0; policy accept;
		ct state untracked ip6 hoplimit 63 counter
	}
}
`;

describe('dup', () => {
  it('sends each copy out through output and postrouting, untracked, once', async () => {
    const filter = await createFilter(compile(RULESET), { local: ['10.0.0.2', '2001:db8::2'] });
    const stats = filter.processCapture(pcap([
      udp('10.0.0.1', '10.0.0.2', 40000, 53),
      ipv6(17, [0x9c, 0x41, 0, 53, 0, 8, 0, 0]),
    ]));
    expect(stats.accepted).toBe(2);
    expect(parseListingCounters(filter.listRuleset()).map((c) => c.packets)).toEqual([2, 2, 2, 2, 1, 1]);
  });
});
