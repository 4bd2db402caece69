// A server's ruleset as admins write them (defines, an interval set, ct
// state vmap, ICMPv6 neighbour discovery, logging under a limit, reject):
// bytecode and listing as live nft gives them.
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/index.js';
import { liveNftReason, nftDebugText, nftListingText } from './live-nft.js';

const source = `#!/usr/sbin/nft -f
flush ruleset

define LAN = 192.168.1.0/24
define SSH_PORTS = { 22, 2222 }

table inet filter {
	set blocked {
		type ipv4_addr
		flags interval
		elements = { 203.0.113.0/24, 198.51.100.7 }
	}

	chain input {
		type filter hook input priority filter; policy drop;
		ct state vmap { established : accept, related : accept, invalid : drop }
		iif lo accept
		ip saddr @blocked counter drop
		meta l4proto { icmp, ipv6-icmp } accept
		ip6 nexthdr icmpv6 icmpv6 type { nd-neighbor-solicit, nd-router-advert, nd-neighbor-advert } accept
		tcp dport $SSH_PORTS ip saddr $LAN ct state new accept
		tcp dport { http, https } accept
		udp dport 53 accept
		limit rate 5/minute log prefix "nft drop: " level warn
		counter reject with icmpx type port-unreachable
	}

	chain forward {
		type filter hook forward priority filter; policy drop;
	}

	chain output {
		type filter hook output priority filter; policy accept;
	}
}
`;

describe.skipIf(liveNftReason())('a server ruleset against live nft', () => {
  it('compiles to the same bytecode and lists the same', () => {
    const r = compile(source);
    expect(r.toNetlinkDebug()).toBe(nftDebugText(source).out);
    expect(r.toListing()).toBe(nftListingText(source));
  });
});
