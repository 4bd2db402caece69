// Named objects and the maps that pick them (counter name ... map, ct helper
// set ... map): bytecode and listing against live nft.
import { describe, expect, it } from 'vitest';
import { expectSameAsNft, liveNftReason, nftDebugText, ourDebugText } from './live-nft.js';

const cases: Record<string, string> = {
  'object maps of counters and ct helpers': `table ip t {
	ct helper h1 { type "ftp" protocol tcp; }
	ct helper h2 { type "tftp" protocol udp; }
	counter c1 { }
	counter c2 { packets 3 bytes 300 }
	chain c {
		ct helper set udp dport map { 69 : "h2", 70 : "h1" }
		counter name tcp dport map { 22 : "c1", 80 : "c2", 443 : "c2" }
		counter name ip saddr . tcp dport map { 10.0.0.1 . 22 : "c1" }
		counter name "c1"
	}
}
`,
  'named quotas and limits': `table ip t {
	quota q1 { over 100 mbytes used 10 bytes }
	quota q2 { 25 mbytes }
	limit l1 { rate 400/minute burst 7 packets; }
	limit l2 { rate over 1024 bytes/second burst 512 bytes }
	limit l3 { rate 10/second }
	chain c {
		quota name "q1" limit name "l1"
		limit name l2 drop
		tcp dport 22 quota name q2 accept
		counter name tcp dport map { 22 : "c" }
		quota name tcp dport map { 443 : "q1", 80 : "q2", 22 : "q1" }
		limit name udp dport map { 443 : "l3", 80 : "l1", 22 : "l3" }
	}
	counter c { }
}
`,
};

describe.skipIf(liveNftReason())('named objects against live nft', () => {
  for (const [name, text] of Object.entries(cases)) {
    it(name, () => expectSameAsNft(text));
  }

  it('quotas and limits that are not there', () => {
    const text = 'table ip t {\n\tquota q { 5 bytes }\n\tchain c {\n\t\tquota name "q" limit name "nope"\n\t\tquota name r\n\t}\n}\n';
    const theirs = nftDebugText(text);
    expect(theirs.ok).toBe(false);
    expect(ourDebugText(text).out + '\n').toBe(theirs.out);
  });

  it('a map naming a counter that is not there', () => {
    const text = 'table ip t {\n\tcounter c1 { }\n\tchain c {\n\t\tcounter name tcp dport map { 22 : "c1", 80 : "nope" }\n\t}\n}\n';
    const theirs = nftDebugText(text);
    expect(theirs.ok).toBe(false);
    expect(ourDebugText(text).out + '\n').toBe(theirs.out);
  });
});
