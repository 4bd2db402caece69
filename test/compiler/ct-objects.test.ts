// ct timeout and ct expectation objects and the statements that attach
// them: bytecode, listing and errors as live nft and the kernel give them.
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/index.js';
import { createFilter } from '../../src/index.js';
import { expectSameAsNft, liveNftReason, nftLoadText, ourDebugText } from './live-nft.js';

// Expectations of an inet table name their family.
const OBJECTS = (family: string) => `table ${family} t {
	ct timeout cttime1 {
		protocol tcp; policy = { established:122 } ;
	}
	ct timeout cttime3 { protocol tcp; policy = { established:132, close:16, close_wait:16, syn_sent: 3, retrans: 7, unack: 9 } ; l3proto ${family === 'ip6' ? 'ip6' : 'ip'} ;}
	ct timeout u { protocol udp; policy = { replied:14, unreplied:19 } ;}
	ct timeout defaults { protocol udp; policy = { unreplied: 30 }; }
	ct timeout none { protocol udp; }
	ct expectation e1 { protocol tcp; dport 1234; timeout 2m; size 12;${family === 'inet' ? ' l3proto ip;' : ''} }
	ct expectation e5 { protocol udp; dport 9876; timeout 90s; size 12; l3proto ${family === 'ip6' ? 'ip6' : 'ip'}; }
	chain c {
		type filter hook prerouting priority 0;
		ct timeout set "cttime1"
		udp dport 53 ct timeout set "u" counter
		ct expectation set "e1"
	}
}
`;

const ERRORS = [
  'ct timeout a { protocol udp; policy = { syn_sent:122 } ;}',
  'ct timeout a {protocol tcp; policy = { estalbished:100 } ;}',
  'ct timeout a { policy = { established:122 } ; }',
  'ct timeout a { protocol icmp; }',
  'ct expectation a { protocol udp; }',
  'ct expectation a { protocol tcp; dport 4321; timeout 2m; }',
];

const INET_EXPECTATION = 'table inet t {\n\tct expectation e { protocol tcp; dport 21; timeout 1s; size 1; }\n\tchain c {\n\t\tct expectation set "e"\n\t}\n}\n';

describe('ct timeout and ct expectation objects', () => {
  it('the data plane refuses ct expectation set by name and runs ct timeout set', async () => {
    await expect(createFilter(compile(OBJECTS('ip'), { filename: 'ct.nft' }))).rejects.toThrow(/^ct\.nft:15:3-25: Error: ct expectation set is not supported by the nftwasm data plane yet/);
    const timeouts = OBJECTS('ip').replace('\t\tct expectation set "e1"\n', '');
    await expect(createFilter(compile(timeouts))).resolves.toBeDefined();
  });

  it('a missing object is the kernel\'s error', () => {
    const r = ourDebugText('table ip t {\n\tchain c {\n\t\tct timeout set "nope"\n\t}\n}\n');
    expect(r.out).toContain('Error: Could not process rule: No such file or directory');
  });
});

describe.skipIf(liveNftReason())('ct timeout and ct expectation objects against live nft', () => {
  it.each(['ip', 'ip6', 'inet'])('%s: the same bytecode and listing', (family) => {
    expectSameAsNft(OBJECTS(family));
    expectSameAsNft(OBJECTS(family), ['-a']);
  });

  it('an expectation of no IP family: the kernel\'s errors for it and the rule using it', () => {
    expect(ourDebugText(INET_EXPECTATION).out).toBe(nftLoadText(INET_EXPECTATION).out);
  });

  it.each(ERRORS)('%s: the same error', (object) => {
    const source = `table ip t {\n\t${object}\n}\n`;
    const ours = ourDebugText(source);
    expect(ours.ok).toBe(false);
    expect(ours.out).toBe(nftLoadText(source).out);
  });
});
