// The header families nftwasm compiles, read by the data plane from crafted
// packets as the kernel reads them: VLAN tags at the link layer (the
// kernel's nft_payload_copy_vlan gives the offloaded tag back in place, so a
// tag is where a capture shows it), the transport headers at the transport
// header the kernel finds past the IP header.
import { describe, expect, it } from 'vitest';
import { compile, createFilter } from '../../src/index.js';
import { ACK, ethernet, ipv4, ipv6, MSS, pcapFrames, sctp, sctpChunk, sctpInit, tcp, udp } from './packets.js';

const RULES = `table inet t {
	chain in {
		type filter hook prerouting priority 0; policy accept;
		vlan id 100 counter
		vlan id 100 vlan pcp 5 vlan dei 1 counter
		vlan id 100 ip saddr 10.0.0.1 udp dport 53 counter
		ether type 8021ad vlan id 1 vlan type 8021q vlan id 2 vlan type ip ip protocol udp counter
		vlan id set 7 counter
		vlan id 7 counter
		esp spi 0x1234 esp sequence 9 counter
		ah spi 7 ah nexthdr 6 counter
		sctp vtag 5 sctp sport 1-3 counter
		udplite dport 9 udplite csumcov 8 counter
		dccp type request dccp dport 22 counter
		igmp type membership-query igmp group 0xe0000001 counter
		comp cpi 0x0102 counter
	}
}
`;

const A = '10.0.0.1';
const B = '10.0.0.2';

const be32 = (v: number) => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];

describe('header fields in the data plane', () => {
  it('reads VLAN tags, nested, and the transport headers behind IP', async () => {
    const filter = await createFilter(compile(RULES));
    const frames = [
      // 1: one 802.1Q tag, id 100, pcp 5, dei 1
      ethernet(udp(A, B, 1000, 53), [[0x8100, (5 << 13) | (1 << 12) | 100]]),
      // 2: 802.1ad outer tag id 1, 802.1Q inner tag id 2
      ethernet(udp(A, B, 1000, 54), [[0x88a8, 1], [0x8100, 2]]),
      // 3: untagged
      ethernet(udp(A, B, 1000, 55)),
      ethernet(ipv4(A, B, 50, [...be32(0x1234), ...be32(9), 0, 0, 0, 0])),
      ethernet(ipv4(A, B, 51, [6, 4, 0, 0, ...be32(7), ...be32(1), 0, 0, 0, 0])),
      ethernet(ipv4(A, B, 132, [0, 2, 0, 9, ...be32(5), 0, 0, 0, 0])),
      ethernet(ipv4(A, B, 136, [0, 1, 0, 9, 0, 8, 0, 0])),
      // DCCP request (type 0 in bits 3-6 of byte 8) to port 22
      ethernet(ipv4(A, B, 33, [0, 1, 0, 22, 4, 0, 0, 0, 0x00, 0, 0, 0])),
      ethernet(ipv4(A, B, 2, [0x11, 100, 0, 0, 0xe0, 0, 0, 1])),
      ethernet(ipv4(A, B, 108, [6, 0, 1, 2])),
      // A DCCP response: its type (1) must not match
      ethernet(ipv4(A, B, 33, [0, 1, 0, 22, 4, 0, 0, 0, 0x02, 0, 0, 0])),
    ];
    filter.processCapture(pcapFrames(frames));
    const counters = [...filter.listRuleset().matchAll(/packets (\d+)/g)].map((m) => Number(m[1]));
    // `vlan id set 7` rewrites the 802.1Q frame's tag, which the next rule sees.
    expect(counters).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
  });

  // The inner header starts past UDP's 8 bytes, past TCP's header with its
  // options (nft_payload's inner offset); other protocols have none.
  it('reads raw payloads at each base, the inner one past the transport header', async () => {
    const filter = await createFilter(compile(`table inet t {
	chain in {
		type filter hook prerouting priority 0; policy accept;
		@ll,96,16 0x0800 counter
		@nh,72,8 17 counter
		@th,16,16 53 counter
		@ih,0,16 0x6262 counter
		@ih,0,8 0x61 counter
		@ll,0,1 1 counter
	}
}
`));
    const frames = [
      ethernet(udp(A, B, 1000, 53)),
      ethernet(tcp({ src: A, dst: B, sport: 1, dport: 2, seq: 1, ack: 1, flags: ACK, options: MSS(1460), payload: 4 })),
      ethernet(ipv4(A, B, 50, [0x62, 0x62, 0x62, 0x62, 0x62, 0x62, 0x62, 0x62, 0x62, 0x62])),
    ];
    filter.processCapture(pcapFrames(frames));
    const counters = [...filter.listRuleset().matchAll(/packets (\d+)/g)].map((m) => Number(m[1]));
    expect(counters).toEqual([3, 1, 1, 1, 1, 0]);
  });
});

// nft_exthdr_sctp_eval: the first chunk of a type, past the ones before it
// padded to four bytes; a chunk's field only when the chunk holds it.
describe('SCTP chunks in the data plane', () => {
  it('are found after the common header and read', async () => {
    const filter = await createFilter(compile(`table inet t {
	chain in {
		type filter hook prerouting priority 0; policy accept;
		sctp chunk init exists counter
		sctp chunk data missing counter
		sctp chunk data stream 7 counter
		sctp chunk init initial-tsn 1 counter
		sctp chunk sack a-rwnd 0 counter
	}
}
`));
    filter.processCapture(pcapFrames([
      ethernet(sctp(A, B, 5000, 5001, 0, sctpChunk(1, sctpInit(0x1234)))),
      // a cookie-echo of 5 bytes (padded to 8), then DATA on stream 7
      ethernet(sctp(A, B, 5000, 5001, 9, [...sctpChunk(10, [1]), ...sctpChunk(0, [0, 0, 0, 1, 0, 7, 0, 0, 0, 0, 0, 0, 0x61])])),
    ]));
    const counters = [...filter.listRuleset().matchAll(/packets (\d+)/g)].map((m) => Number(m[1]));
    expect(counters).toEqual([1, 1, 1, 1, 0]);
  });
});

// A field that does not fill its bytes is compared where it sits in the
// bytes loaded: the bounds move with it (nft shifts the constants).
describe('ordered comparisons and ranges of header bit fields', () => {
  it('match the field\'s value, not the bytes around it', async () => {
    const filter = await createFilter(compile(`table inet t {
	chain in {
		type filter hook prerouting priority 0; policy accept;
		ip dscp 10-20 counter
		ip dscp < 20 counter
		ip dscp > 20 counter
		ip6 dscp 10-20 counter
		ip6 dscp > 10 counter
	}
}
`));
    const withDscp = (dscp: number) => {
      const p = udp(A, B, 1000, 53);
      p[1] = dscp << 2;
      p[10] = p[11] = 0;
      let sum = 0;
      for (let i = 0; i < 20; i += 2) sum += (p[i]! << 8) | p[i + 1]!;
      while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
      p[10] = (~sum >> 8) & 0xff;
      p[11] = ~sum & 0xff;
      return p;
    };
    const v6WithDscp = (dscp: number) => {
      const p = ipv6(17, [0x03, 0xe8, 0, 53, 0, 8, 0, 0]);
      const tc = dscp << 2;
      p[0] = 0x60 | (tc >> 4);
      p[1] = (tc & 0xf) << 4;
      return p;
    };
    filter.processCapture(pcapFrames([10, 20, 21, 40].map((d) => ethernet(withDscp(d))).concat([10, 30].map((d) => ethernet(v6WithDscp(d))))));
    const counters = [...filter.listRuleset().matchAll(/packets (\d+)/g)].map((m) => Number(m[1]));
    expect(counters).toEqual([2, 1, 2, 1, 1]);
  });
});

// nft converts a one-byte host-order field of a concatenated interval key
// as a 16-bit element of length one, which the kernel leaves unchanged.
describe('one-byte fields of concatenated interval keys', () => {
  it('match as the kernel converts them', async () => {
    const filter = await createFilter(compile(`table inet t {
	chain in {
		type filter hook prerouting priority 0; policy accept;
		meta l4proto . th dport { tcp . 22-23, udp . 53 } counter
		meta nfproto . meta l4proto { ipv4 . 6-17 } counter
	}
}
`));
    filter.processCapture(pcapFrames([ethernet(udp(A, B, 1000, 53)), ethernet(udp(A, B, 1000, 54)), ethernet(tcp({ src: A, dst: B, sport: 1000, dport: 23, seq: 1, flags: ACK }))]));
    const counters = [...filter.listRuleset().matchAll(/packets (\d+)/g)].map((m) => Number(m[1]));
    expect(counters).toEqual([2, 3]);
  });
});
