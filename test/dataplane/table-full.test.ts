// A full conntrack table (nf_conntrack_max): unassured entries make room
// for new ones; when every entry is assured, the new connection's packet is
// dropped at the conntrack hook and no later chain sees it.
import { describe, expect, it } from 'vitest';
import { compile, createFilter } from '../../src/index.js';
import { parseListingCounters } from '../kernel/listing.js';
import { ACK, SYN, pcap, tcp, udp } from './packets.js';

const RULESET = `table inet t {
	chain in {
		type filter hook input priority filter; policy accept;
		ct state new counter
	}
}
`;

const newCount = (listing: string) => parseListingCounters(listing)[0]!.packets;

describe('nf_conntrack_max', () => {
  it('early-drops unassured entries to admit new ones', async () => {
    const filter = await createFilter(compile(RULESET), { local: ['10.0.0.2'], sysctl: { nf_conntrack_max: 4 } });
    const flows = Array.from({ length: 10 }, (_, i) => udp('10.0.0.1', '10.0.0.2', 20000 + i, 53));
    filter.processCapture(pcap(flows));
    expect(filter.conntrackTable().length).toBeLessThanOrEqual(4);
    expect(newCount(filter.listRuleset())).toBe(10);
  });

  it('drops the packet when only assured entries remain', async () => {
    const filter = await createFilter(compile(RULESET), { local: ['10.0.0.2'], sysctl: { nf_conntrack_max: 2 } });
    const handshake = (port: number) => [
      tcp({ src: '10.0.0.1', dst: '10.0.0.2', sport: port, dport: 80, seq: 100, flags: SYN }),
      tcp({ src: '10.0.0.2', dst: '10.0.0.1', sport: 80, dport: port, seq: 900, ack: 101, flags: SYN | ACK }),
      tcp({ src: '10.0.0.1', dst: '10.0.0.2', sport: port, dport: 80, seq: 101, ack: 901, flags: ACK }),
    ];
    filter.processCapture(pcap([...handshake(30001), ...handshake(30002)]));
    expect(filter.conntrackTable()).toHaveLength(2);
    const stats = filter.processCapture(pcap([handshake(30003)[0]!], { start: 1_700_000_001 }));
    expect(filter.conntrackTable()).toHaveLength(2);
    expect(newCount(filter.listRuleset())).toBe(2);
    expect(stats.dropped).toBe(1);
  });
});
