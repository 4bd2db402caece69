// `limit rate` and `quota`: bytecode and listing as nft gives them, and the
// data plane's token buckets and byte counts over packet timestamps.
import { describe, expect, it } from 'vitest';
import { compile, createFilter } from '../../src/index.js';
import { pcap, udp } from '../dataplane/packets.js';
import { liveNftReason, nftDebugText, nftListingText, nftLoadText, ourDebugText } from './live-nft.js';

const statements = `table inet t {
	chain c {
		type filter hook input priority 0; policy accept;
		limit rate 10/second accept
		limit rate over 5/minute burst 10 packets drop
		limit rate 1 mbytes/second accept
		limit rate over 400 kbytes/hour burst 100 kbytes drop
		limit rate 7/day burst 5 packets
		limit rate 1000 bytes/week burst 1 bytes
		limit rate 1 kbytes / second
		limit rate over 2 mbytes / minute burst 3 kbytes
		limit rate 5 bytes / hour
		quota 10 mbytes accept
		quota over 500 kbytes used 100 kbytes drop
		quota 1000 bytes
		ip saddr 10.0.0.1 limit rate 3/second counter accept
	}
}
`;

describe.skipIf(liveNftReason())('limit and quota against live nft', () => {
  it('compile to the same bytecode and list the same', () => {
    const r = compile(statements);
    expect(r.toNetlinkDebug()).toBe(nftDebugText(statements).out);
    expect(r.toListing()).toBe(nftListingText(statements));
  });

  it.each(['limit rate 1 gbytes / second', 'limit rate 1 kbytes / fortnight', 'limit rate 1023000 mbytes/second'])('%s: the same error', (rule) => {
    const source = `table ip t {\n\tchain c {\n\t\t${rule}\n\t}\n}\n`;
    expect(ourDebugText(source).out).toBe(nftLoadText(source).out);
  });
});

// Which of `count` UDP packets (36 bytes of IP each), `step` seconds apart,
// the rule lets through.
async function passing(rule: string, policy: 'accept' | 'drop', count: number, step: number): Promise<number[]> {
  const source = `table ip t {\n\tchain in {\n\t\ttype filter hook input priority 0; policy ${policy};\n\t\t${rule}\n\t}\n}\n`;
  const filter = await createFilter(compile(source), { local: ['10.0.0.1'] });
  const out: number[] = [];
  const packets = Array.from({ length: count }, (_, i) => udp('192.0.2.1', '10.0.0.1', 1000 + i, 53));
  filter.processCapture(pcap(packets, { step }), (b) => {
    for (let i = 0; i < b.count; i++) if (b.accepted(i)) out.push(b.firstPacket - 1 + i);
  });
  return out;
}

describe('limit rate in the data plane', () => {
  // 2/second with the default burst of 5: the bucket holds 2.5 s of credit,
  // a packet costs 0.5 s, and 0.1 s passes between packets: six go through,
  // then one in five.
  it('lets the burst through, then the rate', async () => {
    expect(await passing('limit rate 2/second accept', 'drop', 20, 0.1)).toEqual([0, 1, 2, 3, 4, 5, 10, 15]);
  });

  it('over: matches what exceeds the rate', async () => {
    const dropped = [6, 7, 8, 9, 11, 12, 13, 14, 16, 17, 18, 19];
    const all = Array.from({ length: 20 }, (_, i) => i);
    expect(await passing('limit rate over 2/second drop', 'accept', 20, 0.1)).toEqual(all.filter((i) => !dropped.includes(i)));
  });

  // 72 bytes a second, no burst: a bucket of one second, a 36-byte packet
  // costs half of it.
  it('counts bytes', async () => {
    expect(await passing('limit rate 72 bytes/second accept', 'drop', 16, 0.1)).toEqual([0, 1, 5, 10, 15]);
  });

  it('refills with the time between packets', async () => {
    expect(await passing('limit rate 1/minute burst 1 packets accept', 'drop', 4, 30)).toEqual([0, 2]);
  });
});

describe('quota in the data plane', () => {
  it('passes until the bytes reach the quota', async () => {
    expect(await passing('quota 100 bytes accept', 'drop', 5, 0.001)).toEqual([0, 1]);
  });

  it('over: matches once they have', async () => {
    expect(await passing('quota over 100 bytes drop', 'accept', 5, 0.001)).toEqual([0, 1]);
  });

  it('starts from the bytes already used', async () => {
    expect(await passing('quota 100 bytes used 30 bytes accept', 'drop', 5, 0.001)).toEqual([0]);
  });

  // As nft lists a quota the kernel has counted with: every packet that
  // reached it, the one that went past its limit included; nothing of it
  // stateless (nft -s).
  it('lists the bytes it has used', async () => {
    const source = `table ip t {\n\tchain in {\n\t\ttype filter hook input priority 0; policy accept;\n\t\tquota over 100 bytes used 10 bytes drop\n\t\tquota 2 kbytes\n\t}\n}\n`;
    const filter = await createFilter(compile(source), { local: ['10.0.0.1'] });
    expect(filter.listRuleset()).toContain('quota over 100 bytes used 10 bytes drop\n\t\tquota 2 kbytes\n');
    filter.processCapture(pcap(Array.from({ length: 5 }, (_, i) => udp('192.0.2.1', '10.0.0.1', 1000 + i, 53))));
    // Two packets of 36 bytes pass the first quota; with the third, 10 + 108
    // bytes reach it: that one and the next are dropped, and counted too,
    // but the kernel lists no more than the quota (nft_quota_do_dump).
    expect(filter.listRuleset()).toContain('quota over 100 bytes used 100 bytes drop\n\t\tquota 2 kbytes used 72 bytes\n');
    expect(filter.listRuleset({ stateless: true })).toContain('quota over 100 bytes drop\n\t\tquota 2 kbytes\n');
  });
});

describe('state the rules keep as packets pass', () => {
  it('is named for the callers that share out the flows', () => {
    const rules = (body: string) => compile(`table ip t {\n\tset s {\n\t\ttype ipv4_addr\n\t\tflags dynamic\n\t}\n\tchain in {\n\t\ttype filter hook input priority 0;\n${body}\t}\n}\n`).packetState;
    expect(rules('\t\tip saddr 10.0.0.1 counter accept\n')).toEqual([]);
    expect(rules('\t\tlimit rate 2/second accept\n\t\tquota 10 mbytes\n\t\tlimit rate 1/minute\n')).toEqual(['limit', 'quota']);
    expect(rules('\t\tct count over 2 drop\n\t\tadd @s { ip saddr }\n')).toEqual(['ct count', 'set updates']);
  });
});
