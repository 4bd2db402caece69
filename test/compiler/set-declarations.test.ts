// Set declarations with every option nft takes there, and element
// comments: bytecode and listing against live nft; what the data plane
// cannot keep (element timeouts, counters) refused by name.
import { describe, expect, it } from 'vitest';
import { expectSameAsNft, liveNftReason } from './live-nft.js';

const cases: Record<string, string> = {
  'auto-merge, gc-interval, size and flags': `table ip t {
	set s {
		type ipv4_addr
		flags interval,timeout
		auto-merge
		gc-interval 30s
		size 100
		elements = { 1.2.3.4 comment "hi", 10.0.0.0/8 comment "net", 5.5.5.5, 5.5.5.6 }
	}
	set d {
		type ipv4_addr
		flags dynamic,timeout
		timeout 1m
		gc-interval 2s
	}
	chain c {
		ip saddr @s accept
	}
}
`,
  'constant sets, whose size is what they hold': `table ip t {
	set u { type inet_service; flags constant; elements = { 22 comment "ssh", 80, 81 } }
	set v { type inet_service; flags constant; }
	set w { type inet_service; flags constant,interval; elements = { 22, 80-90 comment "web" } }
}
`,
  'comments in maps, concatenations and odd bytes': `table ip t {
	map m { type ipv4_addr . inet_service : mark; flags interval; elements = { 1.1.1.0/24 . 1-2 comment "x y" : 5 } }
	map m2 { type ipv4_addr : mark; elements = { 1.1.1.1 comment "é\\\\t" : 5 } }
}
`,
};

describe.skipIf(liveNftReason())('set declarations against live nft', () => {
  for (const [name, text] of Object.entries(cases)) {
    it(name, () => expectSameAsNft(text));
  }
});
