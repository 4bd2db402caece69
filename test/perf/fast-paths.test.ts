// The interpreter's word-sized shortcuts must answer exactly as its general
// paths: the same captures and rulesets run with them switched off at load
// time, and every per-packet result, counter and conntrack entry compared.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compile, createFilter, type PacketBatch } from '../../src/index.js';
import { generateCapture } from '../../bench/generate.js';
import { PcapngWriter } from '../../src/capture/pcapng-writer.js';

function capture(packets: number, flows: number, seed: number): Uint8Array {
  const chunks: Uint8Array[] = [];
  generateCapture({ packets, flows, seed }, (c) => chunks.push(c.slice()));
  return Buffer.concat(chunks);
}

interface Outcome {
  results: number[][];
  counters: bigint[];
  conntrack: string;
}

async function run(rules: string, bytes: Uint8Array, fastPaths: boolean): Promise<Outcome> {
  const filter = await createFilter(compile(rules), { fastPaths });
  const results: number[][] = [];
  filter.processCapture(bytes, (b: PacketBatch) => {
    for (let i = 0; i < b.count; i++) results.push([b.fate(i), Number(b.accepted(i)), b.ctState(i), b.ctDirection(i), b.ctId(i), b.handle(i), b.chain(i)]);
  });
  return { results, counters: [...filter.counters()], conntrack: filter.conntrackListing() };
}

// Loads of one to four bytes and of more, compared for equality, order and
// ranges, with prefixes, masks and sets, on traffic that matches some.
const SHAPES = `table inet shapes {
	set ports { type inet_service; elements = { 22, 53, 443 } }
	chain forward {
		type filter hook forward priority filter; policy accept;
		tcp dport < 1024 counter
		tcp dport > 8000 counter
		tcp sport <= 443 counter
		tcp sport >= 8000 counter
		tcp dport 80-443 counter
		tcp dport != 80-443 counter
		udp length 40-80 counter
		ip ttl 64 counter
		ip ttl != 64 counter
		ip protocol icmp counter
		ip saddr 10.0.0.0/8 counter
		ip daddr 198.51.100.0/24 counter
		ip daddr 192.0.2.1-192.0.2.100 counter
		ip saddr . ip daddr . tcp dport { 10.0.0.1 . 192.0.2.1 . 80 } counter
		tcp flags & (syn | ack) == syn counter
		tcp flags syn,fin / syn,fin,rst counter
		icmp type echo-request counter
		th dport @ports counter
		ct state new counter
		ct state established,related counter
		ct direction reply counter
		meta l4proto { tcp, udp } counter
		ip length > 500 counter
		ether type ip counter
	}
}
`;

// The same packets as pcapng (the warming of conntrack lookups looks ahead
// through either format's records).
function asPcapng(pcap: Uint8Array): Uint8Array {
  const chunks: Uint8Array[] = [];
  const writer = new PcapngWriter((c) => chunks.push(c.slice()), { linktype: 1, nanosecond: true });
  const view = new DataView(pcap.buffer, pcap.byteOffset, pcap.byteLength);
  const nanosecond = view.getUint32(0, true) === 0xa1b23c4d;
  for (let at = 24; at < pcap.length; ) {
    const caplen = view.getUint32(at + 8, true);
    const ns = BigInt(view.getUint32(at, true)) * 1_000_000_000n + BigInt(view.getUint32(at + 4, true)) * (nanosecond ? 1n : 1000n);
    writer.writePacket(ns, pcap.subarray(at + 16, at + 16 + caplen), view.getUint32(at + 12, true));
    at += 16 + caplen;
  }
  writer.flush();
  return Buffer.concat(chunks);
}

describe('interpreter shortcuts', () => {
  const pcapBytes = capture(20_000, 300, 7);
  const rulesets = {
    'bench/ruleset.nft': readFileSync(new URL('../../bench/ruleset.nft', import.meta.url), 'utf8'),
    'loads and comparisons of every width': SHAPES,
  };
  const runs = [
    ...Object.entries(rulesets).map(([name, rules]) => ({ name, rules, bytes: pcapBytes })),
    { name: 'bench/ruleset.nft over pcapng', rules: rulesets['bench/ruleset.nft'], bytes: asPcapng(pcapBytes) },
    // Thousands of connections at once: the lookups are warmed and take the
    // keys and hashes made ahead.
    { name: 'bench/ruleset.nft, 5000 connections at once', rules: rulesets['bench/ruleset.nft'], bytes: capture(20_000, 5_000, 9) },
  ];
  for (const { name, rules, bytes } of runs) {
    it(`give the general paths' answers: ${name}`, async () => {
      const fast = await run(rules, bytes, true);
      const plain = await run(rules, bytes, false);
      expect(fast.results.length).toBe(20_000);
      expect(fast.results).toEqual(plain.results);
      expect(fast.counters).toEqual(plain.counters);
      expect(fast.conntrack).toEqual(plain.conntrack);
      // The rules do match something: the comparison is not of empty runs.
      expect(fast.counters.some((c, i) => i % 2 === 0 && c > 0n)).toBe(true);
    });
  }
});
