// queue with nobody listening: nf_queue finds no queue instance (-ESRCH),
// so the packet is dropped, unless the rule allows a bypass, when it goes
// on as if the chain had accepted it and later chains still see it.
//
// This kernel may lack nft's queue expression (CONFIG_NFT_QUEUE), so the
// kernel's side of the queue rules is iptables-nft's NFQUEUE target, which
// takes the same path through nf_queue; nftwasm gets the same rules as nft
// writes them. Both sides share the counting chains before and after it.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { compile, createFilter } from "../../../src/index.js";
import { normalizeConntrack, parseListingCounters, runScenario, type RuleCounter } from "../lab.js";
import { skipNote, unavailable } from "./parity.js";

const iptables = spawnSync("iptables-nft", ["--version"]).status === 0;
const skip = unavailable ?? (iptables ? null : "iptables-nft not installed");
const note = unavailable ? skipNote : iptables ? "" : ` (skipped: ${skip})`;

const COUNTING = `table inet counting {
	chain before {
		type filter hook input priority -10; policy accept;
		ct state new counter
		ct state established counter
		tcp dport 8003 counter
		tcp dport 8004 counter
		udp dport 5353 counter
		udp dport 5354 counter
		counter
	}

	chain after {
		type filter hook input priority 10; policy accept;
		tcp dport 8003 counter
		tcp dport 8004 counter
		udp dport 5353 counter
		udp dport 5354 counter
		counter
	}
}
`;

const QUEUE_RULES: [string, string][] = [
  ["-p tcp --dport 8003 -j NFQUEUE --queue-num 3 --queue-bypass", "tcp dport 8003 counter queue num 3 bypass"],
  ["-p tcp --dport 8004 -j NFQUEUE", "tcp dport 8004 counter queue"],
  ["-p udp --dport 5353 -j NFQUEUE --queue-balance 2:4 --queue-bypass", "udp dport 5353 counter queue num 2-4 bypass"],
  ["-p udp --dport 5354 -j NFQUEUE --queue-balance 7:8", "udp dport 5354 counter queue num 7-8"],
];

const OURS = `${COUNTING}
table ip filter {
	chain INPUT {
		type filter hook input priority filter; policy accept;
${QUEUE_RULES.map(([, rule]) => `\t\t${rule}\n`).join("")}	}
}
`;

// Rules compared by place: the two sides write the queue rules differently.
const byPlace = (counters: RuleCounter[]) => counters.map(({ table, chain, packets, bytes }) => ({ table, chain, packets, bytes }));

describe.skipIf(skip !== null)(`kernel parity: queue${note}`, () => {
  it("a queue without a listener drops, a bypass lets the packet on", { timeout: 60_000 }, async () => {
    const kernel = await runScenario({
      name: "queue",
      ruleset: COUNTING,
      traffic: async (lab) => {
        for (const [args] of QUEUE_RULES) await lab.srv(`iptables-nft -A INPUT ${args}`);
        await lab.httpServer(8003);
        await lab.httpServer(8004);
        await lab.udpEcho(5353);
        await lab.udpEcho(5354);
        await lab.curl(8003);
        await lab.curl(8004, { connectTimeoutSeconds: 1, allowFailure: true });
        await lab.udpSend(5353, { waitSeconds: 0.3 });
        await lab.udpSend(5354, { waitSeconds: 0.3, allowFailure: true });
        await lab.ping(1);
      },
    });
    const filter = await createFilter(compile(OURS, { filename: "queue.nft" }), { local: kernel.local });
    filter.processCapture(kernel.pcap);
    const ours = parseListingCounters(filter.listRuleset());
    const theirs = parseListingCounters(kernel.listing);
    expect(ours.filter((c) => c.table === "inet counting")).toEqual(theirs.filter((c) => c.table === "inet counting"));
    expect(byPlace(ours)).toEqual(byPlace(theirs));
    // The bypassed connection went through, the queued one did not.
    const after = ours.filter((c) => c.chain === "after");
    expect(after.map((c) => c.packets > 0)).toEqual([true, false, true, false, true]);
    expect(normalizeConntrack(filter.conntrackListing())).toEqual(normalizeConntrack(kernel.conntrack));
  });
});
