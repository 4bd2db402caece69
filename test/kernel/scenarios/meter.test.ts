// Meters: each source keeps its own token bucket, the kernel's and the
// data plane's alike, seen in the counters of the rules around them.
import { describe, expect, it } from "vitest";
import { burstTraffic, expectKernelParity, skipNote, unavailable } from "./parity.js";

const RULESET = `table inet filter {
	chain input {
		type filter hook input priority filter; policy accept;
		icmp type echo-request meter pings { ip saddr limit rate 1/second burst 2 packets } counter accept
		icmp type echo-request counter drop
		meter seen { ip saddr timeout 10s counter } counter
		udp dport 5353 meter perport { ip saddr . udp dport limit rate over 1/minute burst 1 packets } counter
	}
}
`;

describe.skipIf(unavailable !== null)(`kernel parity: meters${skipNote}`, () => {
  it("a limit per source lets its burst through, then its rate", { timeout: 60_000 }, async () => {
    const { kernel } = await expectKernelParity({
      name: "meter",
      ruleset: RULESET,
      traffic: burstTraffic,
    });
    // The burst passed and the rest was limited; the second datagram of
    // the same source and port was over its own bucket.
    expect(kernel.listing).toMatch(/meter pings [^\n]* counter packets 2 [^\n]*\n\t\ticmp type echo-request counter packets [1-9]/);
    expect(kernel.listing).toMatch(/meter perport [^\n]* counter packets 1 /);
  });
});
