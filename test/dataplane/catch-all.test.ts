// The catch-all element (`*`) of sets and maps: found for a key that no
// other element has, as the kernel's nft_set_catchall_lookup does after
// the set's own lookup fails; bytecode and listing against live nft in
// test/compiler/sets.test.ts.
import { describe, expect, it } from 'vitest';
import { compile, createFilter } from '../../src/index.js';
import { ethernet, pcapFrames, udp } from './packets.js';

const RULES = `table ip t {
	set known {
		type ipv4_addr
		elements = { 10.0.0.1, * }
	}
	chain c {
		type filter hook prerouting priority 0; policy accept;
		meta mark set ip saddr map { 10.0.0.1 : 0x00000001, * : 0x00000002 }
		meta mark 0x00000001 counter
		meta mark 0x00000002 counter
		ip saddr vmap { 10.0.0.2 : drop, * : continue }
		ip saddr @known counter
	}
}
`;

describe('the catch-all element', () => {
  it('matches the keys no other element has, and only those', async () => {
    const filter = await createFilter(compile(RULES));
    const sources = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '0.0.0.0'];
    filter.processCapture(pcapFrames(sources.map((s) => ethernet(udp(s, '10.0.0.9', 1000, 53)))));
    const counts = [...filter.listRuleset().matchAll(/counter packets (\d+)/g)].map((m) => Number(m[1]));
    // Marks: 10.0.0.1 its own, the rest the catch-all's; 10.0.0.2 dropped
    // by its own verdict, the rest on to the named set's catch-all.
    expect(counts).toEqual([1, 3, 3]);
  });
});
