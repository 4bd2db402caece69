// IPv6 addresses written and listed as nft does: compressed zeros, and
// IPv4-mapped and IPv4-compatible addresses with the IPv4 part dotted.
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/index.js';
import { liveNftReason, nftDebugText, nftListingText } from './live-nft.js';

const source = `table ip6 t {
	chain c {
		ip6 saddr 2001:db8::1 ip6 daddr ::ffff:1.2.3.4
		ip6 saddr ::1.2.3.4
		ip6 saddr ::1
		ip6 saddr ::ffff:0.0.1.2
		ip6 saddr ::0.0.1.2
		ip6 saddr ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe
		ip6 daddr { ::1, fe80::1:2:3:4, 1:2:3:4:5:6:7:8 }
	}
}
`;

describe.skipIf(liveNftReason())('IPv6 addresses against live nft', () => {
  it('compile to the same bytecode and list the same', () => {
    const r = compile(source);
    expect(r.toNetlinkDebug()).toBe(nftDebugText(source).out);
    expect(r.toListing()).toBe(nftListingText(source));
  });
});
