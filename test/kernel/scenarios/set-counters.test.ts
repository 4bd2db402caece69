// Sets declared with `counter` that rules fill: each element counts the
// packets that add it again or find it, in the kernel and the data plane
// alike (the time left before they expire aside).
import { describe, expect, it } from "vitest";
import { setBlocks } from "../listing.js";
import { expectKernelParity, skipNote, unavailable } from "./parity.js";

const RULESET = `table inet filter {
	set seen {
		type ipv4_addr
		flags dynamic,timeout
		counter
		timeout 1m
	}

	set ports {
		type ipv4_addr . inet_service
		size 64
		flags dynamic
		counter
	}

	chain input {
		type filter hook input priority filter; policy accept;
		ip saddr @seen counter
		ip saddr != 127.0.0.0/8 add @seen { ip saddr }
		udp dport 5353 update @ports { ip saddr . udp dport }
		ip saddr . udp dport @ports counter
	}
}
`;


describe.skipIf(unavailable !== null)(`kernel parity: counters of set elements${skipNote}`, () => {
  it("count what adds and finds each element", { timeout: 60_000 }, async () => {
    const { kernel, filter } = await expectKernelParity({
      name: "set-counters",
      ruleset: RULESET,
      traffic: async (lab) => {
        await lab.udpEcho(5353);
        await lab.udpSend(5353, { payload: "a" });
        await lab.udpSend(5353, { payload: "bb" });
        await lab.ping(2);
      },
    });
    const theirs = setBlocks(kernel.listing);
    expect(theirs.join("\n")).toMatch(/counter packets [1-9]/);
    expect(setBlocks(filter.listRuleset())).toEqual(theirs);
  });
});
