// Records examples/web.pcap and the kernel's answers to the same traffic.
// Run on demand: NFTWASM_RECORD_EXAMPLE=1 npx vitest run test/kernel/record-example.test.ts
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { kernelLabUnavailable, parseListingCounters, runScenario } from "./lab.js";
import { webTraffic } from "./web-traffic.js";

const EXAMPLE_RULESET = new URL("../../examples/web.nft", import.meta.url);
const EXAMPLE_CAPTURE = new URL("../../examples/web.pcap", import.meta.url);
const FIXTURES = new URL("../fixtures/", import.meta.url);

const skipReason = !process.env.NFTWASM_RECORD_EXAMPLE
  ? "set NFTWASM_RECORD_EXAMPLE=1 to re-record examples/web.pcap"
  : kernelLabUnavailable();

describe.skipIf(skipReason !== null)(`example capture${skipReason ? ` (skipped: ${skipReason})` : ""}`, () => {
  it("records examples/web.pcap with the kernel's listing and conntrack table", { timeout: 60_000 }, async () => {
    const result = await runScenario({
      name: "web example",
      ruleset: await readFile(EXAMPLE_RULESET, "utf8"),
      traffic: webTraffic,
    });

    const counters = parseListingCounters(result.listing);
    const packets = (rule: string) => counters.find((counter) => counter.rule === rule)?.packets;
    expect(packets("tcp dport 8000 ct state new counter accept")).toBe(3);
    expect(packets("udp dport 5353 counter accept")).toBe(3);
    expect(packets("icmp type echo-request counter accept")).toBe(1);
    expect(packets("tcp dport 22 counter drop")).toBeGreaterThanOrEqual(1);
    expect(packets("counter")).toBe(1);
    expect(result.pcap.length).toBeLessThan(100_000);

    await writeFile(EXAMPLE_CAPTURE, result.pcap);
    await mkdir(FIXTURES, { recursive: true });
    await writeFile(new URL("web.kernel-listing.txt", FIXTURES), result.listing);
    await writeFile(new URL("web.kernel-conntrack.txt", FIXTURES), result.conntrack);
  });
});
