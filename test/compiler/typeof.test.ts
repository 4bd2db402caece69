// Sets and maps declared with `typeof` and with a size: bytecode and
// listing as live nft gives them, and lookups in them. Selectors of a type
// without a size of its own (ip ttl, ip length) give the key theirs.
import { describe, expect, it } from 'vitest';
import { compile, createFilter } from '../../src/index.js';
import { pcap, SYN, tcp } from '../dataplane/packets.js';
import { liveNftReason, nftDebugText, nftListingText } from './live-nft.js';

const source = `table inet t {
	set a {
		typeof ip saddr . tcp dport
		elements = { 1.2.3.4 . 22 }
	}
	map m {
		typeof ip saddr : meta mark
		elements = { 10.0.0.1 : 0x5 }
	}
	set b {
		typeof meta mark
		size 100
	}
	set c {
		typeof ct state
	}
	set d {
		typeof ip6 daddr
		size 10
		flags interval
		elements = { 2001:db8::/32 }
	}
	set e {
		typeof iifname . ip saddr
	}
	set f {
		typeof ip ttl
		elements = { 1, 64 }
	}
	set g {
		typeof ip length
		elements = { 40, 1500 }
	}
	set h {
		typeof ip saddr . ip ttl
		elements = { 1.2.3.4 . 64 }
	}
	chain x {
		type filter hook input priority 0; policy accept;
		ip saddr . tcp dport @a drop
		meta mark set ip saddr map @m
		meta mark @b
		ip6 daddr @d
		ip ttl @f counter
		ip ttl @f ip length != @g drop
		ip saddr . ip ttl @h
	}
}
`;

describe('typeof', () => {
  it.skipIf(liveNftReason())('compiles and lists as live nft does', () => {
    const r = compile(source);
    expect(r.toNetlinkDebug()).toBe(nftDebugText(source).out);
    expect(r.toListing()).toBe(nftListingText(source));
  });

  it('keys lookups like the types it names', async () => {
    const filter = await createFilter(compile(source), { local: ['10.0.0.2'] });
    const accepted: boolean[] = [];
    filter.processCapture(pcap([
      tcp({ src: '1.2.3.4', dst: '10.0.0.2', sport: 1000, dport: 22, seq: 1, flags: SYN }),
      tcp({ src: '1.2.3.4', dst: '10.0.0.2', sport: 1000, dport: 23, seq: 1, flags: SYN }),
    ]), (b) => {
      for (let i = 0; i < b.count; i++) accepted.push(b.accepted(i));
    });
    expect(accepted).toEqual([false, true]);
    // A selector of an integer type keys the set with its own size: the
    // packet that got past the drop carries a TTL of 64.
    expect(filter.counters()[0]).toBe(1n);
  });
});
