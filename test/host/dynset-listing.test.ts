// Sets that rules add to, listed after traffic as nft lists what the kernel
// holds: the elements the packets put there, sorted, with the timeout of
// those whose timeout is not the set's and the time left at the last
// packet.
import { describe, expect, it } from 'vitest';
import { compile, createFilter } from '../../src/index.js';
import { pcap, udp } from '../dataplane/packets.js';
import { DYNAMIC_SETS } from './dynamic-sets.js';

const RULES = `table ip t {
${DYNAMIC_SETS}
	chain in {
		type filter hook input priority 0; policy accept;
		add @seen { ip saddr }
		udp dport 53 update @recent { ip saddr . udp sport }
		udp dport 123 update @recent { ip saddr . udp sport timeout 30s }
		add @ports { ip saddr : udp dport }
		ip saddr 192.0.2.9 delete @seen { ip saddr }
	}
}
`;

const LOCAL = '10.0.0.1';

async function after(packets: number[][]): Promise<string> {
  const filter = await createFilter(compile(RULES), { local: [LOCAL] });
  filter.processCapture(pcap(packets, { step: 1 }));
  return filter.listRuleset();
}

describe('sets rules add to, after traffic', () => {
  it('list what the packets put there', async () => {
    const listing = await after([
      udp('192.0.2.5', LOCAL, 1000, 53),
      udp('192.0.2.1', LOCAL, 1001, 123),
      udp('192.0.2.9', LOCAL, 1002, 53),
      udp('192.0.2.3', LOCAL, 1003, 53),
    ]);
    // 192.0.2.9 took itself out again; the last packet came 3 s after
    // the first.
    expect(listing).toContain('\t\telements = { 192.0.2.1, 192.0.2.3,\n\t\t\t     192.0.2.5 }\n');
    expect(listing).toContain(
      // In nft's order, where a concatenation's last part weighs most.
      '\t\telements = { 192.0.2.5 . 1000 expires 57s,\n' +
        '\t\t\t     192.0.2.1 . 1001 timeout 30s expires 28s,\n' +
        '\t\t\t     192.0.2.9 . 1002 expires 59s,\n' +
        '\t\t\t     192.0.2.3 . 1003 expires 1m }\n',
    );
    expect(listing).toContain('\t\telements = { 192.0.2.1 : 123, 192.0.2.3 : 53,\n\t\t\t     192.0.2.5 : 53, 192.0.2.9 : 53 }\n');
  });

  it('leave out what has expired, and list nothing for an empty set', async () => {
    const listing = await after([udp('192.0.2.5', LOCAL, 1000, 53), ...Array.from({ length: 61 }, () => udp('192.0.2.9', LOCAL, 1002, 80))]);
    expect(listing).toContain('\t\telements = { 192.0.2.5 }\n');
    expect(listing).toMatch(/set recent \{\n\t\ttype ipv4_addr \. inet_service\n\t\tsize 65535\n\t\tflags dynamic,timeout\n\t\ttimeout 1m\n\t\}/);
  });
});
