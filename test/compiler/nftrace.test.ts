// `meta nftrace set 1` compiles as nft does and marks the packets the rule
// matches for tracing, from the rules after it on.
import { describe, expect, it } from 'vitest';
import { compile, createFilter } from '../../src/index.js';
import { pcap, udp } from '../dataplane/packets.js';

const source = `table ip t {
  chain in {
    type filter hook input priority 0; policy accept;
    udp dport 53 meta nftrace set 1
    counter
  }
}
`;

describe('meta nftrace', () => {
  it('compiles to an immediate and a meta set', () => {
    const text = compile(source).toNetlinkDebug();
    expect(text).toContain('  [ immediate reg 1 0x00000001 ]\n  [ meta set nftrace with reg 1 ]\n');
  });

  it('traces the packets it marks', async () => {
    const filter = await createFilter(compile(source), { local: ['10.0.0.1'], trace: {} });
    const traced = new Set<number>();
    filter.processCapture(pcap([udp('192.0.2.1', '10.0.0.1', 1000, 80), udp('192.0.2.1', '10.0.0.1', 1000, 53)]), (b) => {
      for (let j = 0; j < b.trace!.count; j++) traced.add(b.firstPacket + b.trace!.packet(j));
    });
    expect([...traced]).toEqual([2]);
  });
});
