// Sets declared with `counter` and elements with counters of their own:
// bytecode and listing as live nft gives them; the data plane refuses
// those of elements the ruleset declares by name; those of elements rules
// add count.
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/index.js';
import { createFilter } from '../../src/index.js';
import { expectSameAsNft, liveNftReason, nftListingText, nftLoadText, ourDebugText } from './live-nft.js';

const RULESET = `table inet t {
	set s {
		type ipv4_addr
		counter
		elements = { 127.0.0.1, 10.9.9.9 counter packets 3 bytes 4 }
	}
	set d {
		type ipv4_addr
		flags dynamic,timeout
		counter
		timeout 1m
	}
	set e {
		type inet_service
		counter
		elements = { 22 counter, 80 comment "web", 443 counter packets 1 bytes 2 comment "tls" }
	}
	map m {
		type ipv4_addr : mark
		counter
		elements = { 1.1.1.1 : 0x00000001 }
	}
	chain c {
		type filter hook input priority 0;
		ip saddr @s counter
		add @d { ip saddr }
		tcp dport @e accept
		meta mark set ip saddr map @m
	}
}
`;

describe('counters of set elements', () => {
  it('the data plane refuses them by name and place', async () => {
    await expect(createFilter(compile(RULESET, { filename: 'c.nft' }))).rejects.toThrow(/^c\.nft:2:6-6: Error: counters of elements a ruleset declares are not supported by the nftwasm data plane yet/);
  });

  it('stateless, the listing leaves their values out', () => {
    expect(compile(RULESET).toListing({ stateless: true })).toContain('elements = { 22 counter, 80 counter comment "web", 443 counter comment "tls" }');
  });
});

describe.skipIf(liveNftReason())('counters of set elements against live nft', () => {
  it('the same bytecode and listing', () => {
    expectSameAsNft(RULESET);
    expect(compile(RULESET).toListing({ stateless: true })).toBe(nftListingText(RULESET, ['-s']));
  });

  it('an element\'s counter in a set declared without: the same error', () => {
    const source = 'table ip t {\n\tset e {\n\t\ttype inet_service\n\t\telements = { 22 counter, 80 }\n\t}\n}\n';
    expect(ourDebugText(source).out).toBe(nftLoadText(source).out);
  });
});
