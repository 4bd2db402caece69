// A device's ingress and egress hooks (netdev chains, inet ingress chains):
// which frames meet them and how they see them. The kernel scenario
// test/kernel/scenarios/netdev.test.ts compares the same with the kernel's
// counters; these run without root.
import { describe, expect, it } from 'vitest';
import { compile, createFilter } from '../../src/index.js';
import { packetJson } from '../../src/output/packet-json.js';
import { encodePcapng } from '../host/captures.js';
import { ethernet, ipv4, pcap, pcapFrames, REPLY_MACS, udp } from './packets.js';

const HOST_MAC = [2, 0, 0, 0, 0, 2];
const PEER_MAC = [2, 0, 0, 0, 0, 1];

// An ARP request for 10.0.0.2 from 10.0.0.1, broadcast.
const arpRequest = [
  ...[0xff, 0xff, 0xff, 0xff, 0xff, 0xff], ...PEER_MAC, 0x08, 0x06,
  0, 1, 0x08, 0, 6, 4, 0, 1, ...PEER_MAC, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2,
];
// The host's answer.
const arpReply = [
  ...PEER_MAC, ...HOST_MAC, 0x08, 0x06,
  0, 1, 0x08, 0, 6, 4, 0, 2, ...HOST_MAC, 10, 0, 0, 2, ...PEER_MAC, 10, 0, 0, 1,
];

async function run(rules: string, capture: Uint8Array): Promise<{ counts: number[]; verdicts: string[] }> {
  const ruleset = compile(rules);
  const filter = await createFilter(ruleset, { local: ['10.0.0.2'] });
  const verdicts: string[] = [];
  filter.processCapture(capture, (batch) => {
    for (let i = 0; i < batch.count; i++) verdicts.push((JSON.parse(packetJson(ruleset, batch, i)) as { verdict: string }).verdict);
  });
  const counts = [...filter.listRuleset().matchAll(/counter packets (\d+)/g)].map((m) => Number(m[1]));
  return { counts, verdicts };
}

describe('netdev ingress and egress', () => {
  it('ingress sees every frame received, ARP and damaged IP too, before IP; a drop there ends it', async () => {
    const badIhl = ethernet(ipv4('10.0.0.1', '10.0.0.2', 17, [0, 1, 0, 2, 0, 8, 0, 0]).map((b, i) => (i === 0 ? 0x44 : b)));
    const rules = `table netdev n {
	chain in {
		type filter hook ingress device "eth0" priority 0; policy accept;
		counter
		meta protocol arp counter
		arp operation request counter
		meta l4proto udp counter
		meta iifname "eth0" counter
		udp dport 53 drop
	}
}
table inet t {
	chain in {
		type filter hook ingress device "eth0" priority 10; policy accept;
		counter
		ct state invalid counter
	}
	chain input {
		type filter hook input priority 0; policy accept;
		counter
	}
}
`;
    const capture = pcapFrames([arpRequest, ethernet(udp('10.0.0.1', '10.0.0.2', 1000, 53)), ethernet(udp('10.0.0.1', '10.0.0.2', 1000, 54)), badIhl]);
    const { counts, verdicts } = await run(rules, capture);
    // netdev: 4 frames, 1 ARP request, 2 UDP with a valid header; inet
    // ingress: the port 54 datagram alone (it drops the broken header
    // before its rules, nft_do_chain_inet_ingress); input: the same.
    expect(counts).toEqual([4, 1, 1, 2, 4, 1, 1, 1]);
    expect(verdicts).toEqual(['accept', 'drop', 'accept', 'drop']);
  });

  it('egress sees what the host sends, its link-layer header counted', async () => {
    const rules = `table netdev n {
	chain out {
		type filter hook egress device "eth0" priority 0; policy accept;
		counter
		arp operation reply counter
		ether saddr 02:00:00:00:00:02 counter
		meta oifname "eth0" counter
	}
}
`;
    const sent = udp('10.0.0.2', '10.0.0.1', 53, 1000);
    const capture = pcapFrames([arpRequest, arpReply, ethernet(udp('10.0.0.1', '10.0.0.2', 1000, 53)), ethernet(sent, [], 0x0800, REPLY_MACS)]);
    const filter = await createFilter(compile(rules), { local: ['10.0.0.2'] });
    filter.processCapture(capture);
    const bytes = [...filter.listRuleset().matchAll(/counter packets (\d+) bytes (\d+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(bytes).toEqual([[2, 42 + 14 + sent.length], [1, 42], [2, 42 + 14 + sent.length], [2, 42 + 14 + sent.length]]);
  });

  it('a capture that names its interfaces: only the chains of that device', async () => {
    const frame = Uint8Array.from(ethernet(udp('10.0.0.1', '10.0.0.2', 1000, 53)));
    const capture = encodePcapng([
      { type: 'section' },
      { type: 'interface', linktype: 1, name: 'eth0' },
      { type: 'interface', linktype: 1, name: 'eth1' },
      { type: 'epb', packet: { tsNs: 1_000n, data: frame, interfaceId: 0 }, unitNs: 1000n },
      { type: 'epb', packet: { tsNs: 2_000n, data: frame, interfaceId: 1 }, unitNs: 1000n },
      { type: 'epb', packet: { tsNs: 3_000n, data: frame, interfaceId: 1 }, unitNs: 1000n },
    ]);
    const rules = `table netdev a {
	chain in {
		type filter hook ingress device "eth0" priority 0; policy accept;
		counter
	}
}
table netdev b {
	chain in {
		type filter hook ingress device "eth1" priority 0; policy accept;
		counter
	}
}
`;
    expect((await run(rules, capture)).counts).toEqual([1, 2]);
    // Without names, both devices' chains see every frame.
    expect((await run(rules, pcap([udp('10.0.0.1', '10.0.0.2', 1000, 53)]))).counts).toEqual([1, 1]);
  });

  it('arp input sees the ARP received after ingress, arp output what the host sends, whole', async () => {
    const rules = `table arp a {
	chain in {
		type filter hook input priority 0; policy accept;
		arp operation request counter
		arp daddr ip 10.0.0.2 counter drop
	}
	chain out {
		type filter hook output priority 0; policy accept;
		arp operation reply counter
		meta length 42 counter
	}
}
table netdev n {
	chain in {
		type filter hook ingress device "eth0" priority 0; policy accept;
		counter
	}
}
`;
    const { counts, verdicts } = await run(rules, pcapFrames([arpRequest, arpReply, ethernet(udp('10.0.0.1', '10.0.0.2', 1000, 53))]));
    expect(counts).toEqual([1, 1, 1, 1, 2]);
    expect(verdicts).toEqual(['drop', 'accept', 'accept']);
  });
});
