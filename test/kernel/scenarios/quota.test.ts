// Quotas after traffic: the bytes each has used, as `nft list ruleset`
// shows them, against the kernel.
import { describe, expect, it } from "vitest";
import { expectKernelParity, skipNote, unavailable } from "./parity.js";

const QUOTAS = `table inet filter {
	chain input {
		type filter hook input priority filter; policy accept;
		udp dport 5353 quota over 300 bytes counter drop
		udp dport 5353 quota 5000 bytes used 100 bytes counter accept
		udp dport 5354 quota 2 kbytes counter accept
	}
}
`;

const quotaLines = (listing: string): string[] => listing.match(/quota [^\n]*?(?= counter)/g) ?? [];

describe.skipIf(unavailable !== null)(`kernel parity: quotas${skipNote}`, () => {
  it("counts the bytes of the packets that reach them", { timeout: 60_000 }, async () => {
    const { kernel, filter } = await expectKernelParity({
      name: "quota",
      ruleset: QUOTAS,
      traffic: async (lab) => {
        await lab.udpEcho(5353);
        for (let i = 0; i < 4; i++) await lab.udpSend(5353, { payload: `query ${i}`, allowFailure: true });
      },
    });
    const theirs = quotaLines(kernel.listing);
    expect(theirs).toHaveLength(3);
    expect(theirs[0]).toMatch(/^quota over 300 bytes used [1-9]/);
    expect(quotaLines(filter.listRuleset())).toEqual(theirs);
  });
});
