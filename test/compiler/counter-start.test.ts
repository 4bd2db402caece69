// Counters given starting values (`counter packets 5 bytes 300`, and named
// counters declared with them) start there in the data plane: the image
// carries the values, and the listing adds the traffic to them.
import { describe, expect, it } from 'vitest';
import { compile, createFilter } from '../../src/index.js';
import { pcap, udp } from '../dataplane/packets.js';

const source = `table ip t {
  counter named { packets 7 bytes 900 }
  chain in {
    type filter hook input priority 0; policy accept;
    counter packets 5 bytes 300
    udp dport 53 counter name named
    counter
  }
}
`;

describe('counter starting values', () => {
  it('are in the image, as nft sends them', () => {
    const text = compile(source).toNetlinkDebug();
    expect(text).toContain('table (null) name (null) use 0 [ counter pkts 7 bytes 900 ]');
    expect(text).toContain('  [ counter pkts 5 bytes 300 ]');
    expect(text).toContain('  [ counter pkts 0 bytes 0 ]');
  });

  it('are where the data plane counters start', async () => {
    const filter = await createFilter(compile(source), { local: ['10.0.0.1'] });
    const before = filter.listRuleset();
    expect(before).toContain('packets 7 bytes 900');
    expect(before).toContain('\t\tcounter packets 5 bytes 300\n');
    // Each frame: 20 bytes of IPv4, 8 of UDP, 8 of payload.
    filter.processCapture(pcap([udp('192.0.2.1', '10.0.0.1', 1000, 53), udp('192.0.2.1', '10.0.0.1', 1000, 54)]));
    const after = filter.listRuleset();
    expect(after).toContain('\t\tpackets 8 bytes 936\n');
    expect(after).toContain('\t\tcounter packets 7 bytes 372\n');
    expect(after).toContain('\t\tcounter packets 2 bytes 72\n');
  });
});
