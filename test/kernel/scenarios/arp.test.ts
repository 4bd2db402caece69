// ARP's own hooks: arp input and output chains over the ARP of real traffic
// (the first ping brings a request from cli and srv's reply; a ping to an
// address nobody has brings requests srv answers not), beside a netdev
// ingress chain, which ARP meets first. Both hooks see the ARP header at
// the network base, with meta nfproto arp; coming in the length past the
// link-layer header, going out the whole frame arp_create built. The veth's
// pcap names no device: the hook's own device is then unnamed, as on the
// IP hooks, so only the side without one is matched by name.
import { describe, expect, it } from "vitest";
import { compile, createFilter } from "../../../src/index.js";
import { asNamedPcapng } from "../capture.js";
import { withKernelLog, withoutTime } from "../kernel-log.js";
import { parseListingCounters, runScenario } from "../lab.js";
import { expectKernelParity, noNeighbourProbes, skipNote, unavailable } from "./parity.js";

const RULESET = `table arp filter {
	chain input {
		type filter hook input priority 0; policy accept;
		counter
		arp operation request counter
		arp operation reply counter
		arp htype 1 arp ptype ip arp hlen 6 arp plen 4 counter
		arp saddr ip 10.99.0.1 counter
		arp daddr ip 10.99.0.2 counter
		arp daddr ip 10.99.0.9 counter
		arp saddr ether 00:00:00:00:00:00 counter
		meta oifname != "eth0" counter
		meta pkttype broadcast counter
		meta length 28 counter
		meta protocol arp counter
		arp daddr ip 10.99.0.9 counter drop
		counter
	}

	chain output {
		type filter hook output priority 0; policy accept;
		counter
		arp operation reply counter
		arp operation request counter
		arp saddr ip 10.99.0.2 counter
		arp daddr ip 10.99.0.1 counter
		meta iifname != "eth0" counter
		meta length 42 counter
		@ll,0,48 0xffffffffffff counter
	}
}

table netdev filter {
	chain ingress {
		type filter hook ingress device "eth0" priority 0; policy accept;
		meta protocol arp counter
	}
}
`;

describe.skipIf(unavailable !== null)(`kernel parity: arp input and output${skipNote}`, () => {
  it("arp chains count the ARP packets the kernel's do", { timeout: 60_000 }, async () => {
    await expectKernelParity({
      name: "arp",
      ruleset: RULESET,
      traffic: async (lab) => {
        await noNeighbourProbes(lab);
        await lab.ping(2);
        await lab.cli("ping -c 2 -i 0.2 -W 1 10.99.0.9", { allowFailure: true });
        // The kernel asks a few times, a second apart: the capture must not
        // end before it gives up on the address.
        await lab.cli("for i in $(seq 100); do ip neigh show 10.99.0.9 | grep -q FAILED && break; sleep 0.1; done");
      },
    });
  });

  // Logged on ARP's hooks and the device's, ARP lines are nf_log_syslog's
  // dump_arp_packet; the capture, named as its device (as dumpcap names
  // it), gives the hooks their device.
  it("log statements on arp and netdev hooks write the kernel's lines", { timeout: 60_000 }, async () => {
    const tag = `nftwasm${process.pid}arp`;
    const ruleset = `table arp filter {
	chain input {
		type filter hook input priority 0; policy accept;
		log prefix "${tag}-in "
		arp operation request log prefix "${tag}-in-ether " flags ether
		meta iifname "eth0" counter
	}

	chain output {
		type filter hook output priority 0; policy accept;
		log prefix "${tag}-out " flags ether
		meta oifname "eth0" counter
	}
}

table netdev filter {
	chain ingress {
		type filter hook ingress device "eth0" priority 0; policy accept;
		meta protocol arp log prefix "${tag}-nd-in " level info
		icmp type echo-request log prefix "${tag}-nd-icmp "
	}

	chain egress {
		type filter hook egress device "eth0" priority 0; policy accept;
		meta protocol arp log prefix "${tag}-nd-out "
		icmp type echo-reply log prefix "${tag}-nd-reply " flags ether
	}
}
`;
    const { result: kernel, lines } = await withKernelLog(tag, () =>
      runScenario({ name: "arp-log", ruleset, traffic: async (lab) => { await noNeighbourProbes(lab); await lab.ping(2); } }),
    );
    const ours: string[] = [];
    const filter = await createFilter(compile(ruleset), { local: kernel.local, log: (e) => { if (e.target === "syslog") ours.push(`<${e.level}>${e.message}`); } });
    filter.processCapture(asNamedPcapng(kernel.pcap, "eth0"));
    expect(ours.some((l) => l.includes(" ARP HTYPE=1 PTYPE=0x0800 OPCODE=2 "))).toBe(true);
    expect([...ours].sort()).toEqual(lines.map(withoutTime).sort());
    expect(parseListingCounters(filter.listRuleset())).toEqual(parseListingCounters(kernel.listing));
  });
});
