// Sets and maps declared with `typeof` and with a size: bytecode and
// listing as live nft gives them, and lookups in them.
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
	chain x {
		type filter hook input priority 0; policy accept;
		ip saddr . tcp dport @a drop
		meta mark set ip saddr map @m
		meta mark @b
		ip6 daddr @d
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
  });
});
