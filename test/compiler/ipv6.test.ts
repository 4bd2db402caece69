// IPv6 addresses written and listed as nft does: compressed zeros, and
// IPv4-mapped and IPv4-compatible addresses with the IPv4 part dotted; an
// address is the longest valid one, a map's colon right after it.
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/index.js';
import { expectSameAsNft, liveNftReason, nftDebugText, nftListingText } from './live-nft.js';

const source = `table ip6 t {
	chain c {
		ip6 saddr 2001:db8::1 ip6 daddr ::ffff:1.2.3.4
		ip6 saddr ::1.2.3.4
		ip6 saddr ::1
		ip6 saddr ::ffff:0.0.1.2
		ip6 saddr ::0.0.1.2
		ip6 saddr ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe
		ip6 daddr { ::1, fe80::1:2:3:4, 1:2:3:4:5:6:7:8 }
		ip6 saddr vmap { ::1234:1234:1234:1234:1234:1234:1234 : accept, 1234:1234:1234:1234:1234:1234:1234:: : drop }
		ip6 daddr vmap {1234:1234:1234:1234:1234:1234:aaaa:::accept,::dddd: drop}
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

describe.skipIf(liveNftReason())('ICMPv6 and IPv6 header fields against live nft', () => {
  it('code names, MLD max-delay, the type a field needs, dscp numbers and segment routing sids compile and list as nft does', () => {
    expectSameAsNft(`table ip6 t {
	chain c {
		type filter hook input priority 0; policy accept;
		icmpv6 code 4 counter
		icmpv6 code 3-66 counter
		icmpv6 code { 5, 6, 7 } accept
		icmpv6 type parameter-problem icmpv6 code no-route
		icmpv6 max-delay != 33-45
		icmpv6 max-delay { 33, 55 }
		icmpv6 type packet-too-big icmpv6 mtu 1280
		icmpv6 type echo-reply icmpv6 id 65534
		ip6 dscp vmap { 4 : accept, 63 : continue }
		ip6 dscp set 63
		ip6 saddr ::1234:1234:1234:1234:1234:1234:1234
		ip6 saddr 1234:1234:1234:1234:1234:1234:1234::
		srh sid[1] dead::beef
		srh sid[2] dead::beef counter
	}
}
`);
  });
});
