// Elements the ruleset declares with counters and timeouts: they count the
// packets that find them and expire on the capture's clock, from its first
// packet (the kernel's from the ruleset's loading, just before it), and
// the listing after traffic shows both as nft lists what the kernel holds.
// Compared with the kernel in test/kernel/scenarios/set-counters.test.ts.
import { describe, expect, it } from 'vitest';
import { compile, createFilter } from '../../src/index.js';
import { pcap, udp } from '../dataplane/packets.js';

const RULES = `table ip t {
	set counted {
		type ipv4_addr
		counter
		elements = { 192.0.2.1 counter packets 3 bytes 180, 192.0.2.2 comment "quiet", 192.0.2.3 }
	}
	set timed {
		type ipv4_addr
		flags timeout
		elements = { 192.0.2.1 timeout 1h expires 30m, 192.0.2.2 timeout 10s, 192.0.2.3 }
	}
	chain in {
		type filter hook input priority 0; policy accept;
		ip saddr @counted
		ip saddr @timed counter
	}
}
`;

const LOCAL = '10.0.0.1';

async function after(packets: number[][]): Promise<string> {
  const filter = await createFilter(compile(RULES), { local: [LOCAL] });
  filter.processCapture(pcap(packets, { step: 1 }));
  return filter.listRuleset();
}

describe('counters and timeouts of declared elements', () => {
  it('count the packets that find the element, from the declared values', async () => {
    const listing = await after([udp('192.0.2.1', LOCAL, 1000, 53), udp('192.0.2.1', LOCAL, 1001, 53), udp('192.0.2.3', LOCAL, 1002, 53)]);
    expect(listing).toContain(
      '\t\telements = { 192.0.2.1 counter packets 5 bytes 252, 192.0.2.2 counter packets 0 bytes 0 comment "quiet",\n' +
        '\t\t\t     192.0.2.3 counter packets 1 bytes 36 }\n',
    );
  });

  it('expire on the capture clock, and match no more once expired', async () => {
    // Twelve packets a second apart: 192.0.2.2's ten seconds run out.
    const packets = Array.from({ length: 12 }, (_, i) => udp('192.0.2.2', LOCAL, 1000 + i, 53));
    const listing = await after(packets);
    expect(listing).toContain('\t\telements = { 192.0.2.1 timeout 1h expires 29m49s, 192.0.2.3 }\n');
    expect(listing).toMatch(/ip saddr @timed counter packets 10 bytes/);
  });

  it('list the declared state before any packet', async () => {
    const listing = await after([]);
    expect(listing).toContain('\t\telements = { 192.0.2.1 timeout 1h expires 30m, 192.0.2.2 timeout 10s expires 10s,\n\t\t\t     192.0.2.3 }\n');
  });
});
