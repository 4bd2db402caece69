// Two statements kept by each element a rule adds to a named set: the
// kernel runs them in order on the element's own state and stops the rule
// where the first stops it; the data plane's rule counters, and what each
// element's statements counted, agree.
import { describe, expect, it } from "vitest";
import { setBlocks } from "../listing.js";
import { burstTraffic, expectKernelParity, skipNote, unavailable } from "./parity.js";

const RULESET = `table inet filter {
	set pings {
		type ipv4_addr
		flags dynamic
	}

	set quotas {
		type ipv4_addr
		flags dynamic
	}

	chain input {
		type filter hook input priority filter; policy accept;
		icmp type echo-request update @pings { ip saddr limit rate 1/second burst 2 packets counter } counter accept
		icmp type echo-request counter drop
		udp dport 5353 add @quotas { ip saddr counter quota over 60 bytes } counter
	}
}
`;

describe.skipIf(unavailable !== null)(`kernel parity: statements of set elements${skipNote}`, () => {
  it("run in order, each on its own state", { timeout: 60_000 }, async () => {
    const { kernel, filter } = await expectKernelParity({
      name: "element-statements",
      ruleset: RULESET,
      traffic: burstTraffic,
    });
    expect(kernel.listing).toMatch(/counter \} counter packets 2 [^\n]*\n\t\ticmp type echo-request counter packets [1-9]/);
    expect(kernel.listing).toMatch(/quota over 60 bytes \} counter packets 1 /);
    // Each element lists what its statements counted.
    const theirs = setBlocks(kernel.listing);
    expect(theirs.join("\n")).toMatch(/counter packets 2 bytes \d+ quota over 60 bytes used 60 bytes/);
    expect(setBlocks(filter.listRuleset())).toEqual(theirs);
  });
});
