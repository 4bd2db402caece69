import { describe, expect, it } from "vitest";
import { kernelLabUnavailable, normalizeConntrack, parseListingCounters, runScenario } from "./lab.js";

const unavailable = kernelLabUnavailable();

describe.skipIf(unavailable !== null)(`kernel lab${unavailable ? ` (skipped: ${unavailable})` : ""}`, () => {
  it("captures a ping and reads back the counter and the conntrack entry", { timeout: 30_000 }, async () => {
    const result = await runScenario({
      name: "lab self-test",
      // The ct expression matters: the kernel tracks connections in a
      // namespace only once a loaded rule needs conntrack.
      ruleset: `table inet lab {
	chain input {
		type filter hook input priority filter; policy accept;
		icmp type echo-request ct state new,established counter
	}
}
`,
      traffic: async (lab) => {
        await lab.ping(2);
      },
    });

    // Two echo requests in, two replies out, plus ARP both ways.
    expect(result.pcap.length).toBeGreaterThan(24);
    expect(result.captureStats.captured).toBeGreaterThanOrEqual(4);
    expect(result.local).toEqual(["10.99.0.2"]);

    const counters = parseListingCounters(result.listing);
    expect(counters).toEqual([
      { table: "inet lab", chain: "input", rule: "icmp type echo-request ct state established,new counter", packets: 2, bytes: 168 },
    ]);
    expect(parseListingCounters(result.listingHandles)[0]).toMatchObject({ packets: 2, handle: expect.any(Number) });

    const entries = normalizeConntrack(result.conntrack);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatch(
      /^ipv4 2 icmp 1 src=10\.99\.0\.1 dst=10\.99\.0\.2 type=8 code=0 id=\d+ src=10\.99\.0\.2 dst=10\.99\.0\.1 type=0 code=0 id=\d+ mark=0 use=1$/,
    );
  });
});
