// Disagreements the data plane's fuzzer (fuzz.test.ts) found with the
// kernel, each kept as a fixed scenario that failed before its fix.
import { describe, expect, it } from "vitest";
import { compile, createFilter } from "../../../src/index.js";
import { parseListingCounters, runScenario, SYSTEM_PYTHON } from "../lab.js";
import { forwardLabUnavailable, generated, replayThroughRouter, respace } from "./forward-lab.js";
import { disagreements, withInterfaceName, withNetwork } from "./fuzz.js";
import { script, skipNote, unavailable } from "./parity.js";

const forwardSkip = unavailable ?? forwardLabUnavailable();

// A reject's answer, and an ICMP error the host sends for a protocol it does
// not speak, carry the entry of the packet they answer before conntrack's
// hook: output chains at raw priority read it (related, reply direction).
// A port unreachable and a TCP reset from a closed port carry none. The
// neighbour advertisements the host sends have a device (meta iiftype), which
// is postrouting's input device (iifname) but not output's.
const ANSWERS = `table inet t {
	chain raw_out {
		type filter hook output priority raw; policy accept;
		ct state related counter
		ct state invalid counter
		ct direction reply counter
		ct zone != 1 counter
		ct original ip daddr 10.99.0.2 counter
		ct original ip6 daddr fd99::2 counter
		meta l4proto ipv6-icmp ct state related counter
		ct mark 5 counter
		tcp flags rst counter
		ct state related ct mark set 6 counter
		iifname "eth0" counter
		meta l4proto ipv6-icmp meta iiftype ether counter
	}

	chain in {
		type filter hook input priority filter; policy accept;
		udp dport 9 ct mark set 5
		tcp dport 82 reject with tcp reset
		udp dport 10 reject
	}

	chain out {
		type filter hook output priority filter; policy accept;
		ct state related counter
		ct mark 6 counter
	}

	chain post {
		type filter hook postrouting priority filter; policy accept;
		iifname "eth0" counter
	}
}
`;

describe.skipIf(unavailable !== null)(`fuzzer findings on the local host${skipNote}`, () => {
  it("the host's ICMP errors and reject answers carry their entry before conntrack; its neighbour advertisements have an input device in postrouting only", { timeout: 60_000 }, async () => {
    const kernel = await runScenario({
      name: "answers-attached",
      ruleset: ANSWERS,
      ipv6: true,
      traffic: async (lab) => {
        await lab.udpSend(9, { waitSeconds: 0.3, allowFailure: true });
        await lab.udpSend(9, { family: 6, waitSeconds: 0.3, allowFailure: true });
        await lab.udpSend(10, { waitSeconds: 0.3, allowFailure: true });
        await lab.curl(81, { allowFailure: true });
        await lab.curl(82, { allowFailure: true });
        await lab.cli(`${SYSTEM_PYTHON} ${script("raw-protocols.py")} ${lab.srvAddr}`);
      },
    });
    const filter = await withNetwork(ANSWERS, "answers-attached", kernel, { local: kernel.local });
    filter.processCapture(withInterfaceName(kernel.pcap, "eth0"));
    expect(disagreements(parseListingCounters(kernel.listing), parseListingCounters(filter.listRuleset()), kernel.conntrack, filter.conntrackListing())).toEqual([]);
    expect(kernel.listing).toMatch(/raw_out[\s\S]*ct state related counter packets [1-9]/);
    expect(kernel.listing).toMatch(/meta l4proto ipv6-icmp meta iiftype ether counter packets [1-9]/);
    expect(kernel.listing).toMatch(/post[\s\S]*iifname "eth0" counter packets [1-9]/);
  });
});

// Of two chains of one priority on a hook, the one created last runs first,
// across tables too; a header bit field compared with < and >; ranges of
// symbolic types listed as numbers.
const ORDER = `table inet t {
	chain a {
		type filter hook forward priority filter; policy accept;
		meta mark 2 counter
		tcp doff < 8 counter
		tcp doff >= 8 counter
		ip version > 3 counter
		icmp code 0-1 counter
		icmp type != 0-3 counter
		meta l4proto 6-17 counter
		ip dscp 0-8 counter
		meta mark set 1
	}

	chain b {
		type filter hook forward priority filter; policy accept;
		meta mark 1 counter
		meta mark set 2
	}
}
table ip u {
	chain z {
		type filter hook forward priority filter; policy accept;
		meta mark 0 counter
		meta mark 2 counter
	}
}
`;

describe.skipIf(forwardSkip !== null)(`fuzzer findings on the forward path${forwardSkip ? ` (skipped: ${forwardSkip})` : ""}`, () => {
  it("chains of one priority, bit fields in order, symbolic ranges", { timeout: 60_000 }, async () => {
    const kernel = await replayThroughRouter(respace(generated(1000, 60, 5).pcap, 60), ORDER);
    const theirs = parseListingCounters(kernel.listing);
    const filter = await createFilter(compile(ORDER, { filename: "order.nft" }));
    filter.processCapture(kernel.seen);
    expect(parseListingCounters(filter.listRuleset())).toEqual(theirs);
    const count = (chain: string, rule: string) => theirs.find((c) => c.chain === chain && c.rule === rule)!.packets;
    expect(count("a", "meta mark 0x00000002 counter")).toBeGreaterThan(0);
    expect(count("z", "meta mark 0x00000002 counter")).toBe(0);
    expect(count("a", "tcp doff < 8 counter")).toBeGreaterThan(0);
  });
});
