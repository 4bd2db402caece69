// Named objects after traffic: counters counted by name and through a map,
// a named quota running out, as `nft list ruleset` shows them, against the
// kernel.
import { describe, expect, it } from "vitest";
import { expectKernelParity, skipNote, unavailable } from "./parity.js";

const OBJECTS = `table inet filter {
	counter dns { }
	counter mdns { packets 1 bytes 10 }
	counter other { }
	quota small { 200 bytes }
	quota big { over 2 kbytes used 100 bytes }
	quota mapped { 150 bytes }

	chain input {
		type filter hook input priority filter; policy accept;
		udp dport 5353 counter name "mdns"
		udp dport { 5353, 5354 } counter name udp dport map { 5353 : "dns", 5354 : "other" }
		udp dport 5353 quota name "small" counter accept
		udp dport 5354 quota name big counter drop
		udp dport 5354 counter accept
		udp dport 5355 quota name udp dport map { 5355 : "mapped" } counter accept
		udp dport 5355 counter drop
	}
}
`;

// The blocks of the named objects, values included.
const objectBlocks = (listing: string): string[] => listing.match(/\t(counter|quota) \w+ \{\n[^}]*\}/g) ?? [];

describe.skipIf(unavailable !== null)(`kernel parity: named objects${skipNote}`, () => {
  it("count by name and through maps, and run out", { timeout: 60_000 }, async () => {
    const { kernel, filter } = await expectKernelParity({
      name: "objects",
      ruleset: OBJECTS,
      traffic: async (lab) => {
        await lab.udpEcho(5353);
        await lab.udpEcho(5354);
        for (let i = 0; i < 5; i++) await lab.udpSend(5353, { payload: `query ${i}`, allowFailure: true });
        for (let i = 0; i < 3; i++) await lab.udpSend(5354, { payload: `other ${i}`, allowFailure: true });
        for (let i = 0; i < 4; i++) await lab.udpSend(5355, { payload: `mapped ${i}`, allowFailure: true });
      },
    });
    const theirs = objectBlocks(kernel.listing);
    expect(theirs).toHaveLength(6);
    expect(theirs.find((b) => b.includes("quota mapped"))).toMatch(/used [1-9]/);
    expect(theirs.find((b) => b.includes("counter dns"))).toMatch(/packets [1-9]/);
    expect(theirs.find((b) => b.includes("counter other"))).toMatch(/packets [1-9]/);
    // The small quota ran out partway.
    expect(theirs.find((b) => b.includes("quota small"))).toMatch(/used [1-9]/);
    expect(objectBlocks(filter.listRuleset())).toEqual(theirs);
  });
});
