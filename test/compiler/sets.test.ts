import { describe, expect, it } from 'vitest';
import { RulesetHeader, SetEntry, SetFlags } from '../../assembly/abi.js';
import { compile } from '../../compiler/index.js';
import { expectRuleSameAsNft, expectSameAsNft, liveNftReason, nftDebugText, nftListingText, nftLoadText, ourDebugText } from './live-nft.js';

function setTable(image: Uint8Array) {
  const v = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const head = (f: RulesetHeader) => v.getUint32(f * 4, true);
  return Array.from({ length: head(RulesetHeader.SetCount) }, (_, i) => {
    const e = (f: number) => v.getUint32(head(RulesetHeader.SetTableOffset) + (i * SetEntry.Words + f) * 4, true);
    const klen = e(SetEntry.KeyLength);
    const dlen = e(SetEntry.DataLength);
    const stride = 1 + Math.ceil(klen / 4) + Math.ceil(dlen / 4);
    const elements = Array.from({ length: e(SetEntry.ElementCount) }, (_, j) => {
      const at = e(SetEntry.ElementsOffset) + j * stride * 4;
      return Array.from({ length: stride }, (_, k) => v.getUint32(at + k * 4, true));
    });
    return { klen, dlen, flags: e(SetEntry.Flags), elements };
  });
}

const RULES = `table ip t {
	set s { type ipv4_addr; flags interval; elements = { 10.0.0.0/8, 1.2.3.4 } }
	chain c {
		type filter hook input priority 0; policy accept;
		ip saddr @s accept
		tcp dport vmap { 22 : accept, 23 : drop }
		ct mark set tcp dport map { 80 : 0x10 }
	}
}
`;

describe('set encoding', () => {
  const r = compile(RULES);
  const [s, vmap, map] = setTable(r.image);

  it('stores interval sets as sorted boundaries, ends flagged', () => {
    expect(s.flags).toBe(SetFlags.Interval);
    expect(s.klen).toBe(4);
    expect(s.elements).toEqual([[1, 0x00000000], [0, 0x04030201], [1, 0x05030201], [0, 0x0000000a], [1, 0x0000000b]]);
  });

  it('stores verdict maps with verdict code and chain', () => {
    expect(vmap.flags).toBe(SetFlags.Map | SetFlags.Verdict);
    expect([vmap.klen, vmap.dlen]).toEqual([2, 8]);
    expect(vmap.elements).toEqual([[0, 0x1600, 1, 0], [0, 0x1700, 0, 0]]);
  });

  it('stores data maps with host-order data', () => {
    expect(map.flags).toBe(SetFlags.Map);
    expect(map.elements).toEqual([[0, 0x5000, 0x10]]);
  });
});

// Named sets' elements over several lines, as many to a line as nft puts
// there for each key type; anonymous sets on one line.
const WRAPPED = `table inet t {
	set a6 { type ipv6_addr; elements = { ::1, ::2, ::3, ::4, ::5 } }
	set mk { type mark; elements = { 1, 2, 3, 4, 5, 6, 7, 8 } }
	set eth { type ether_addr; elements = { 00:00:00:00:00:01, 00:00:00:00:00:02, 00:00:00:00:00:03 } }
	set pr { type inet_proto; elements = { 1, 6, 17, 33, 47, 50, 51, 58 } }
	set cc { type ipv4_addr . inet_service; elements = { 10.0.0.1 . 80, 10.0.0.2 . 80, 10.0.0.3 . 80 } }
	set cs { type ct_state; elements = { new, established, related, invalid } }
	set cst { type ct_status; elements = { expected, seen-reply, assured, confirmed } }
	set pk { type pkt_type; elements = { host, broadcast, multicast } }
	set cd { type ct_dir; elements = { original, reply } }
	set ifn { type ifname; elements = { "eth0", "eth1", "eth2" } }
	set et { type ether_type; elements = { ip, ip6, arp } }
	map vm { type ipv4_addr : verdict; elements = { 10.0.0.1 : accept, 10.0.0.2 : drop, 10.0.0.3 : accept } }
	set iv { type ipv4_addr; flags interval; elements = { 10.0.0.0/24, 10.1.0.0/24, 10.2.0.0/24, 10.3.0.1-10.3.0.5 } }
	set tf { type tcp_flag; elements = { syn, ack, fin, rst, psh, urg, ecn } }
	set ttl { typeof ip ttl; elements = { 1, 2, 3, 4, 5, 6 } }
	map mm { type inet_service : mark; elements = { 1 : 1, 2 : 2, 3 : 3, 4 : 4, 5 : 5, 6 : 6 } }
	chain c {
		tcp dport { 1, 2, 3, 4, 5, 6, 7 } accept
	}
}
`;

describe('set listing', () => {
  it('breaks a named set\'s elements over lines by key type', () => {
    const listing = compile(WRAPPED).toListing();
    expect(listing).toContain('elements = { 10.0.0.1 : accept, 10.0.0.2 : drop,\n\t\t\t     10.0.0.3 : accept }');
    expect(listing).toContain('elements = { 1, 2, 3, 4, 5,\n\t\t\t     6 }');
    expect(listing).toContain('elements = { ::1,\n\t\t\t     ::2,');
    expect(listing).toContain('tcp dport { 1, 2, 3, 4, 5, 6, 7 } accept');
  });

  it.skipIf(liveNftReason())('as nft lists them', () => {
    expect(compile(WRAPPED).toListing()).toBe(nftListingText(WRAPPED));
  });
});

// The kernel keeps one element of a key given twice when the data agree,
// and refuses the second when it maps the key elsewhere.
const TWICE = `table ip t {
	set s {
		type ipv4_addr
		elements = { 1.1.1.1, 1.1.1.1, 2.2.2.2 }
	}
	map m {
		type ipv4_addr : verdict
		elements = { 1.1.1.1 : accept }
	}
	chain c {
		tcp dport { 22, 22, 23 } counter
		ip saddr . tcp dport { 1.2.3.4 . 80, 1.2.3.4 . 80 } accept
	}
}
add element ip t s { 2.2.2.2, 3.3.3.3 }
add element ip t m { 1.1.1.1 : accept, 2.2.2.2 : drop, 2.2.2.2 : drop }
`;
const CLASHES = [
  TWICE.replace('1.1.1.1 : accept }\n\t}', '1.1.1.1 : accept, 1.1.1.1 : drop }\n\t}'),
  `${TWICE}add element ip t m { 1.1.1.1 : drop }\n`,
  'table ip t {\n\tmap m {\n\t\ttype ipv4_addr : mark\n\t\telements = { 1.1.1.1 : 1, 1.1.1.1 : 2 }\n\t}\n}\n',
];

describe('a key given twice', () => {
  it.skipIf(liveNftReason())('lists once, as nft lists what the kernel kept', () => {
    expect(ourDebugText(TWICE)).toEqual(nftDebugText(TWICE));
    expect(compile(TWICE).toListing()).toBe(nftListingText(TWICE));
  });

  it.skipIf(liveNftReason())('mapped elsewhere is the kernel\'s error', () => {
    for (const text of CLASHES) expect(ourDebugText(text)).toEqual(nftLoadText(text));
  });
});

const TIMED = `table ip t {
	set u {
		type ipv4_addr
		flags timeout
		elements = { 10.0.0.1 timeout 1h expires 30m, 10.0.0.2 timeout 10s comment "x",
			     10.0.0.3 }
	}
	set v {
		type ipv4_addr
		timeout 2m
		elements = { 10.0.0.1 timeout 1h expires 30m, 10.0.0.2 expires 1m, 10.0.0.3 timeout 2m }
	}
}
`;

describe('declared elements', () => {
  it('a counter the set lacks is nft\'s error', () => {
    const set = (element: string) => `table ip t {\n\tset s {\n\t\ttype ipv4_addr\n\t\tflags timeout\n\t\telements = { 10.0.0.2, ${element} }\n\t}\n}\n`;
    expect(() => compile(set('10.0.0.1 comment "x" counter'))).toThrow('missing statement in set declaration');
    expect(compile(set('10.0.0.1')).toListing()).toContain('elements = { 10.0.0.1, 10.0.0.2 }');
  });

  it('with timeouts list them, the whole time left before any packet', () => {
    expect(compile(TIMED).toListing()).toContain('elements = { 10.0.0.1 timeout 1h expires 30m, 10.0.0.2 timeout 10s expires 10s comment "x",\n\t\t\t     10.0.0.3 }');
    expect(compile(TIMED).toListing()).toContain('elements = { 10.0.0.1 timeout 1h expires 30m, 10.0.0.2 expires 1m,\n\t\t\t     10.0.0.3 expires 2m }');
    expect(compile(TIMED).toListing({ stateless: true })).toContain('elements = { 10.0.0.1 timeout 1h, 10.0.0.2,\n\t\t\t     10.0.0.3 }');
  });
});

describe.skipIf(liveNftReason())('sets and their elements against live nft', () => {
  it('the same bytecode, and the listing but for the time gone by since loading', () => {
    expect(ourDebugText(TIMED)).toEqual(nftDebugText(TIMED));
    // nft lists what is left some milliseconds after loading.
    const elapsed = (listing: string) => listing.replace(/expires [\w]+/g, 'expires ~');
    expect(elapsed(compile(TIMED).toListing())).toBe(elapsed(nftListingText(TIMED)));
    expect(compile(TIMED).toListing({ stateless: true })).toBe(nftListingText(TIMED, ['-s']));
  });

  it('a set among an anonymous set\'s elements: flattened, as nft does', () => {
    expectRuleSameAsNft('ip saddr { { 1.1.1.0, 3.3.3.0 }, 2.2.2.0 }');
    expectRuleSameAsNft('ip saddr { { 1.1.1.0/24, 3.3.3.0/24 }, 2.2.2.0/24 }');
  });

  it('catch-all elements: the same bytecode and listing, in text and JSON', () => {
    const source = `table ip t {
	set known {
		type ipv4_addr
		elements = { 192.168.3.5, * }
	}

	chain c {
		type filter hook input priority filter; policy accept;
		ip saddr @known drop
		ip saddr vmap { 1.1.1.1 : drop, * : accept }
		meta mark set ip saddr map { 1.1.1.1 : 0x00000001, * : 0x00000002 }
	}
}
`;
    expectSameAsNft(source);
    expect(compile(source).toListing({ json: true })).toBe(nftListingText(source, ['-j']));
    expect(compile(compile(source).toListing({ json: true }), { json: true }).toListing()).toBe(source);
  });

  it('a named set looked up by a key of another type: nft\'s errors', () => {
    const source = 'table inet t {\n\tset a6 {\n\t\ttype ipv6_addr\n\t}\n\tset a4 {\n\t\ttype ipv4_addr\n\t}\n\tchain c {\n\t\tip saddr != @a6 drop\n\t\tip6 daddr @a4 drop\n\t\tip saddr @a4 drop\n\t}\n}\n';
    const theirs = nftDebugText(source);
    expect(theirs.out).toContain('datatype mismatch');
    expect(ourDebugText(source).out).toBe(theirs.out.trimEnd());
  });

  it('a timeout in a set without timeouts: the kernel\'s error', () => {
    const source = 'table ip t {\n\tset s {\n\t\ttype ipv4_addr\n\t\telements = { 10.0.0.1 timeout 10s }\n\t}\n}\n';
    expect(ourDebugText(source).out).toBe(nftLoadText(source).out);
  });
});
