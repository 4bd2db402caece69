// Meters: the dynamic set nft 1.0.6 makes of one, its bytecode and its
// listing as live nft gives them, and each element's own state in the data
// plane.
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/index.js';
import { createFilter } from '../../src/index.js';
import { pcap, udp } from '../dataplane/packets.js';
import { expectSameAsNft, liveNftReason, nftLoadText, ourDebugText } from './live-nft.js';

const METERS = (family: string) => `table ${family} t {
	chain c {
		type filter hook input priority 0;
		meter xyz size 8192 { ip saddr timeout 30s counter}
		tcp dport 22 meter ssh { ip saddr limit rate 10/second } accept
		meter m2 { ip saddr . tcp dport limit rate over 5/minute burst 3 packets } drop
		meter m3 { ip saddr counter }
		meter m4 { ip saddr quota over 10 mbytes } drop
		meter m5 size 12 { ip saddr timeout 1m limit rate 2 kbytes/second }
		meter m6 { ip saddr ct count over 3 } drop
	}
}
`;

const ERRORS = ['meter m { 1.2.3.4 counter }', 'meter m { ip saddr accept }', 'meter m { ip saddr counter'];

// Which of the packets (from the sources given, 0.1 s apart) the rule
// lets through a drop policy.
async function passing(rule: string, sources: string[]): Promise<number[]> {
  const source = `table ip t {\n\tchain in {\n\t\ttype filter hook input priority 0; policy drop;\n\t\t${rule}\n\t}\n}\n`;
  const filter = await createFilter(compile(source), { local: ['10.0.0.1'] });
  const out: number[] = [];
  filter.processCapture(pcap(sources.map((s, i) => udp(s, '10.0.0.1', 1000 + i, 53)), { step: 0.1 }), (b) => {
    for (let i = 0; i < b.count; i++) if (b.accepted(i)) out.push(b.firstPacket - 1 + i);
  });
  return out;
}

describe('meters', () => {
  it('each source has a token bucket of its own', async () => {
    const a = '192.0.2.1';
    const b = '192.0.2.2';
    expect(await passing('meter m { ip saddr limit rate 1/second burst 2 packets } accept', [a, a, a, b, a, b, b, b])).toEqual([0, 1, 3, 5]);
    expect(await passing('meter m { ip saddr limit rate over 1/second burst 1 packets } accept', [a, a, b, a])).toEqual([1, 3]);
  });

  it('each source a quota of its own', async () => {
    const a = '192.0.2.1';
    // 36 bytes a packet: the third reaches 100.
    expect(await passing('meter m { ip saddr timeout 1s quota 100 bytes } accept', [a, a, a, a, '192.0.2.9'])).toEqual([0, 1, 4]);
  });

  it('the data plane refuses a meter\'s ct count by name and place', async () => {
    await expect(createFilter(compile(METERS('ip'), { filename: 'm.nft' }))).rejects.toThrow(/^m\.nft:10:3-39: Error: ct count in a meter or a set element is not supported by the nftwasm data plane yet/);
  });
});

describe.skipIf(liveNftReason())('meters against live nft', () => {
  it.each(['ip', 'inet'])('%s: the same bytecode and listing', (family) => {
    expectSameAsNft(METERS(family), ['-a']);
  });

  it.each(ERRORS)('%s: the same error', (rule) => {
    const source = `table ip t {\n\tchain c {\n\t\t${rule}\n\t}\n}\n`;
    const ours = ourDebugText(source);
    expect(ours.ok).toBe(false);
    expect(ours.out).toBe(nftLoadText(source).out);
  });
});
