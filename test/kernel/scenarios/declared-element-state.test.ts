// Elements the ruleset declares with counters and timeouts, after real
// traffic: the kernel counts from the declared values and lets an element
// expire on its clock from the ruleset's loading; the data plane counts
// the same packets and lets it expire on the capture's clock, from its
// first packet, so a packet sent well after the short timeout no longer
// matches in either.
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { setBlocks } from "../listing.js";
import { expectKernelParity, skipNote, unavailable } from "./parity.js";

const RULESET = `table inet filter {
	set counted {
		type ipv4_addr
		counter
		elements = { 10.99.0.1 counter packets 5 bytes 500, 192.0.2.1 comment "never seen" }
	}

	set timed {
		type ipv4_addr
		flags timeout
		elements = { 10.99.0.1 timeout 3s, 192.0.2.1 timeout 1h expires 30m, 192.0.2.2 }
	}

	chain input {
		type filter hook input priority filter; policy accept;
		ip saddr @counted counter
		udp dport 5353 ip saddr @timed counter
	}
}
`;

describe.skipIf(unavailable !== null)(`kernel parity: counters and timeouts of declared elements${skipNote}`, () => {
  it("count from the declared values and expire on time", { timeout: 60_000 }, async () => {
    const { kernel, filter } = await expectKernelParity({
      name: "declared-element-state",
      ruleset: RULESET,
      traffic: async (lab) => {
        await lab.udpEcho(5353);
        await lab.udpSend(5353, { payload: "a" });
        await sleep(4000);
        await lab.udpSend(5353, { payload: "bb" });
      },
    });
    const theirs = setBlocks(kernel.listing);
    expect(theirs.join("\n")).toMatch(/10\.99\.0\.1 counter packets (?!5 )\d+/);
    expect(theirs.join("\n")).not.toMatch(/10\.99\.0\.1 timeout 3s/);
    expect(kernel.listing).toMatch(/udp dport 5353 ip saddr @timed counter packets 1 /);
    expect(setBlocks(filter.listRuleset())).toEqual(theirs);
  });
});
