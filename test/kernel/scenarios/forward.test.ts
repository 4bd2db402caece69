// Thousands of generated flows through the kernel's forward path and
// through nftwasm: TCP window tracking, UDP, ICMP and stray packets at scale.
import { describe, expect, it } from "vitest";
import { generateCapture } from "../../../bench/generate.js";
import { compile, createFilter } from "../../../src/index.js";
import { normalizeConntrack, parseListingCounters } from "../lab.js";
import { forwardLabUnavailable, replayThroughRouter } from "./forward-lab.js";
import { unavailable } from "./parity.js";

const skip = unavailable ?? forwardLabUnavailable();

const RULESET = `table inet filter {
	set web_ports {
		type inet_service
		elements = { 80, 443, 8000 }
	}

	chain raw {
		type filter hook prerouting priority raw; policy accept;
		counter
	}

	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established counter accept
		ct state related counter accept
		ct state invalid counter drop
		tcp dport @web_ports ct state new counter accept
		tcp dport 22 ct state new counter accept
		udp dport { 53, 5353 } ct state new counter accept
		icmp type echo-request ct state new counter accept
		counter
	}
}
`;

/**
 * Packet times respaced `gapUs` apart, so a veth keeps up when they are
 * replayed as captured; the whole capture stays well under the two seconds
 * after which a replied UDP flow counts as a stream, so that replay jitter
 * cannot tip a flow over that line in one run and not in the other.
 */
function respace(pcap: Uint8Array, gapUs: number): Uint8Array {
  const out = Uint8Array.from(pcap);
  const view = new DataView(out.buffer);
  let t = 1_700_000_000 * 1_000_000;
  for (let at = 24; at + 16 <= out.length; t += gapUs) {
    view.setUint32(at, Math.floor(t / 1_000_000), true);
    view.setUint32(at + 4, t % 1_000_000, true);
    at += 16 + view.getUint32(at + 8, true);
  }
  return out;
}

describe.skipIf(skip !== null)(`kernel parity: forward path${skip ? ` (skipped: ${skip})` : ""}`, () => {
  it("a generated capture of many interleaved flows", { timeout: 180_000 }, async () => {
    const chunks: Uint8Array[] = [];
    const stats = generateCapture({ packets: 20000, flows: 500, seed: 7 }, (c) => chunks.push(c.slice()));
    const raw = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) {
      raw.set(c, at);
      at += c.length;
    }
    const pcap = respace(raw, 60);
    const kernel = await replayThroughRouter(pcap, RULESET);
    const theirs = parseListingCounters(kernel.listing);
    // Every packet reached the router, or the comparison means nothing.
    expect(theirs[0]!.packets).toBe(stats.packets);

    const filter = await createFilter(compile(RULESET, { filename: "forward.nft" }));
    filter.processCapture(pcap);
    expect(parseListingCounters(filter.listRuleset())).toEqual(theirs);
    expect(normalizeConntrack(filter.conntrackListing())).toEqual(normalizeConntrack(kernel.conntrack));
  });
});
