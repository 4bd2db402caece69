// IPv6 extension headers found as the kernel's ipv6_find_hdr finds them for
// nft_exthdr: through hop-by-hop, routing and destination options headers,
// up to the first header that is not one (Mobility is found there too).
import { describe, expect, it } from 'vitest';
import { compile, createFilter } from '../../src/index.js';
import { ethernet, ipv6, pcapFrames, udp } from './packets.js';

const RULES = `table inet t {
	chain pre {
		type filter hook prerouting priority 0; policy accept;
		exthdr hbh exists counter
		exthdr frag missing counter
		rt seg-left 2 counter
		dst nexthdr 6 counter
		mh type binding-update counter
		hbh hdrlength 0 counter
		exthdr dst exists counter
		rt type 0 rt seg-left 9 counter
	}
}
`;

const TCP = [0, 1, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0];
const V6 = 0x86dd;

describe('IPv6 extension headers', () => {
  it('are found along the header chain', async () => {
    const filter = await createFilter(compile(RULES));
    filter.processCapture(pcapFrames([
      // hop-by-hop, then destination options, then TCP
      ethernet(ipv6(0, [60, 0, 1, 4, 0, 0, 0, 0, 6, 0, 1, 4, 0, 0, 0, 0, ...TCP]), [], V6),
      // a routing header with two segments left, then TCP
      ethernet(ipv6(43, [6, 0, 0, 2, 0, 0, 0, 0, ...TCP]), [], V6),
      // a binding update in a Mobility header
      ethernet(ipv6(135, [59, 0, 5, 0, 0, 0, 0, 0]), [], V6),
      // destination options after TCP is not in the chain
      ethernet(ipv6(6, TCP), [], V6),
      ethernet(udp('10.0.0.1', '10.0.0.2', 1, 2)),
    ]));
    const counters = [...filter.listRuleset().matchAll(/packets (\d+)/g)].map((m) => Number(m[1]));
    expect(counters).toEqual([1, 4, 1, 1, 1, 1, 1, 0]);
  });
});
