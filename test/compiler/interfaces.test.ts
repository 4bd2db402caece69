// Interfaces by index (iif, oif, iface_index keys): a name nft resolves in
// the namespace it checks rules in (only the loopback), or a number.
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/index.js';
import { liveNftReason, nftDebugText, nftListingText } from './live-nft.js';

const RULES = `table inet t {
	set ifs {
		type iface_index
		elements = { 1, 2, 3, 4, 5, 6 }
	}

	chain c {
		type filter hook input priority 0;
		meta iif 7 accept
		iif { 1, 3 } drop
		iif lo accept
	}
}
`;

describe('interface indexes', () => {
  it('are numbers or known names, and list as names where known', () => {
    const r = compile(RULES);
    expect(r.toNetlinkDebug()).toContain('[ cmp eq reg 1 0x00000007 ]');
    expect(r.toListing()).toContain('iif { "lo", 3 } drop');
    expect(() => compile(RULES.replace('iif lo accept', 'iif eth9 accept'))).toThrow('Interface does not exist');
  });

  it.skipIf(liveNftReason())('compile and list as nft does', () => {
    const r = compile(RULES);
    expect(r.toNetlinkDebug()).toBe(nftDebugText(RULES).out);
    expect(r.toListing()).toBe(nftListingText(RULES));
  });
});

// Interface names and kinds: a trailing '*' matches the bytes before it
// (in sets, an interval ordered as the bytes compare);
// groups by their /etc/iproute2/group names.
const NAMES = `table inet t {
	chain c {
		type filter hook forward priority 0;
		iifname "eth*" counter
		oifname != "veth*" counter
		iifname "e\\\\*" counter
		iifname "eth0" oifname "eth1" counter
		oifname { "lana", "x*", "veth*", "lo" } counter
		iifname != { "eth*", "lo" } counter
		meta iifgroup 0 counter
		oifgroup 5 counter
		meta oiftype ether counter
		meta iifkind "veth" counter
		meta oifkind "vl*" counter
		meta sdif 0 meta sdifname "vrf0" counter
	}
}
`;

describe('interface names', () => {
  it('with a wildcard compile to a compare of the bytes before it', () => {
    const r = compile(NAMES);
    expect(r.toNetlinkDebug()).toContain('[ meta load iifname => reg 1 ]\n  [ cmp eq reg 1 0x00687465 ]');
    expect(r.toListing()).toContain('oifname != "veth*" counter');
    expect(() => compile(NAMES.replace('"eth*"', '"*"'))).toThrow('All-wildcard strings are not supported');
    expect(() => compile(NAMES.replace('"eth*"', '""'))).toThrow('Empty string is not allowed');
  });

  it.skipIf(liveNftReason())('compile and list as nft does', () => {
    const r = compile(NAMES);
    expect(r.toNetlinkDebug()).toBe(nftDebugText(NAMES).out);
    expect(r.toListing()).toBe(nftListingText(NAMES));
  });
});
