// Sets declared with `counter` and elements with counters of their own:
// bytecode and listing as live nft gives them; the data plane runs them
// (test/host/declared-element-state.test.ts) but refuses them in interval
// sets, whose elements are boundaries, by name and place.
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
  it('the data plane takes them, and refuses those of interval sets by name and place', async () => {
    await expect(createFilter(compile(RULESET))).resolves.toBeDefined();
    const interval = 'table ip t {\n\tset w {\n\t\ttype ipv4_addr\n\t\tflags interval\n\t\tcounter\n\t\telements = { 10.0.0.0/24 }\n\t}\n}\n';
    await expect(createFilter(compile(interval, { filename: 'c.nft' }))).rejects.toThrow(/^c\.nft:2:6-6: Error: counters and timeouts of the elements of an interval set are not supported by the nftwasm data plane yet/);
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
