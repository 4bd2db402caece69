// Sets that rules add to, listed after real traffic: the elements the
// kernel holds against those the data plane holds (the time left before
// they expire aside, which depends on when each lists them).
import { describe, expect, it } from "vitest";
import { DYNAMIC_SETS } from "../../host/dynamic-sets.js";
import { setBlocks } from "../listing.js";
import { expectKernelParity, skipNote, unavailable } from "./parity.js";

const DYNAMIC = `table inet filter {
${DYNAMIC_SETS}
	chain input {
		type filter hook input priority filter; policy accept;
		ip saddr != 127.0.0.0/8 add @seen { ip saddr }
		udp dport 5353 update @recent { ip saddr . udp dport }
		udp dport 5354 update @recent { ip saddr . udp dport timeout 30s }
		udp dport { 5353, 5354 } add @ports { ip saddr : udp dport }
	}
}
`;


describe.skipIf(unavailable !== null)(`kernel parity: dynamic sets${skipNote}`, () => {
  it("hold what the packets put there", { timeout: 60_000 }, async () => {
    const { kernel, filter } = await expectKernelParity({
      name: "dynamic-sets",
      ruleset: DYNAMIC,
      traffic: async (lab) => {
        await lab.udpEcho(5353);
        await lab.udpSend(5353, { payload: "a" });
        await lab.udpSend(5354, { payload: "b", allowFailure: true });
      },
    });
    const theirs = setBlocks(kernel.listing);
    expect(theirs).toHaveLength(3);
    expect(theirs.join("\n")).toMatch(/\d+\.\d+\.\d+\.\d+ \. 5354 timeout 30s expires \?/);
    expect(setBlocks(filter.listRuleset())).toEqual(theirs);
  });
});
