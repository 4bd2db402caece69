// Meters: the dynamic set nft 1.0.6 makes of one, its bytecode and its
// listing as live nft gives them, and the data plane's refusal by name.
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/index.js';
import { createFilter } from '../../src/index.js';
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

describe('meters', () => {
  it('the data plane refuses them by name and place', async () => {
    await expect(createFilter(compile(METERS('ip'), { filename: 'm.nft' }))).rejects.toThrow(/^m\.nft:4:3-53: Error: meter is not supported by the nftwasm data plane yet/);
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
