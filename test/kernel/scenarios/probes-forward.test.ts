// The probe table on the forward path: generated flows through the kernel's
// router and through nftwasm, each probe's counter the same. Here no packet
// has a socket, so meta skuid and skgid break the rule in both.
import { describe, expect, it } from "vitest";
import { compile, createFilter } from "../../../src/index.js";
import { parseListingCounters } from "../lab.js";
import { forwardLabUnavailable, generated, replayThroughRouter, respace } from "./forward-lab.js";
import { unavailable } from "./parity.js";
import { COMMON } from "./probe-table.js";

const skip = unavailable ?? forwardLabUnavailable();

const PROBES = [...COMMON, "meta skuid 0", "meta skgid 0", "meta skuid != 0", "ip daddr 10.0.0.0/8", "ip saddr 10.0.0.0/8", "tcp dport { 80, 443 }"];

const RULESET = `table inet probes {
	chain forward {
		type filter hook forward priority filter; policy accept;
${PROBES.map((p) => `\t\t${p} counter\n`).join("")}	}
}
`;

describe.skipIf(skip !== null)(`kernel parity: probes on the forward path${skip ? ` (skipped: ${skip})` : ""}`, () => {
  it("every probe counts the packets the kernel's counts", { timeout: 120_000 }, async () => {
    const { pcap } = generated(3000, 100, 11);
    const spaced = respace(pcap, 60);
    const kernel = await replayThroughRouter(spaced, RULESET);
    const theirs = parseListingCounters(kernel.listing);
    const filter = await createFilter(compile(RULESET, { filename: "probes-forward.nft" }));
    // What the router received, when it received it.
    filter.processCapture(kernel.seen);
    expect(parseListingCounters(filter.listRuleset())).toEqual(theirs);
    expect(theirs.some((c) => c.packets > 0)).toBe(true);
  });
});
