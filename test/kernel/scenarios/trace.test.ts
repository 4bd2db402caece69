// `nft monitor trace` in the server namespace while the traffic runs, and
// nftwasm's trace of the capture: the same lines, trace ids aside.
import { describe, expect, it } from "vitest";
import { compile, createFilter, type Filter } from "../../../src/index.js";
import { TraceFormatter } from "../../../src/output/trace-format.js";
import { normalizeConntrack, parseListingCounters, runScenario, SYSTEM_PYTHON, type Lab, type ScenarioResult } from "../lab.js";
import { ACK, FIN, SYN, pcap as buildPcap, tcp, udp } from "../../dataplane/packets.js";
import { forwardLabUnavailable, replayThroughRouter, retarget, ROUTER_MAC } from "./forward-lab.js";
import { script, skipNote, unavailable } from "./parity.js";

const RULESET = `table inet filter {
	chain output {
		type filter hook output priority raw; policy accept;
		meta nftrace set 1
		udp dport 9999 meta mark set 0x0000002a
		counter
	}

	chain postrouting {
		type filter hook postrouting priority filter; policy accept;
		ct state new counter
	}

	chain prerouting {
		type filter hook prerouting priority filter; policy accept;
		ct state established counter accept
	}

	chain checks {
		icmp type echo-request counter return
		ip6 nexthdr ipv6-icmp counter
	}

	chain input {
		type filter hook input priority filter; policy accept;
		jump checks
		tcp dport 22 counter drop
		tcp dport 8000 ct state new counter accept
	}
}
`;

async function loopbackTraffic(lab: Lab): Promise<void> {
	await lab.srv("sysctl -qw net.ipv6.conf.lo.disable_ipv6=0");
	const root = `${lab.workDir}/www`;
	await lab.srv(`mkdir -p ${root} && echo hello > ${root}/index.html`);
	lab.spawnSrv(`${SYSTEM_PYTHON} -m http.server 8000 --bind :: --directory ${root}`);
	await lab.waitPort(8000, "tcp");
	await lab.srv("ping -n -c 2 -i 0.2 -W 1 127.0.0.1");
	await lab.srv("ping -n -c 1 -W 1 ::1");
	await lab.srv("curl -sS --noproxy '*' --max-time 5 http://127.0.0.1:8000/");
	await lab.srv("curl -sS --noproxy '*' --connect-timeout 0.5 http://127.0.0.1:22/", { allowFailure: true });
	await lab.srv(`${SYSTEM_PYTHON} ${script("../udp-send.py")} 127.0.0.1 9999 probe 0.3`, { allowFailure: true });
}

/**
 * The passes of packets through base chains: each a "packet:" line and the
 * lines of the same trace id after it, trace ids left out, in a canonical
 * order. The kernel's ids hash the skb's address: they recur across
 * packets, but two packets in flight at once have different ones, and
 * their lines may interleave (a reply going out while the next segment
 * comes in), as may a packet's way back in over lo and the next one's way
 * out.
 */
function chainPasses(text: string): string[] {
	const passes: string[][] = [];
	const current = new Map<string, string[]>();
	for (const line of text.split("\n")) {
		const m = /^trace id ([0-9a-f]{8}) (.*)$/.exec(line);
		if (!m) continue;
		let pass = current.get(m[1]!);
		if (m[2]!.includes(" packet: ") || !pass) {
			pass = [];
			passes.push(pass);
			current.set(m[1]!, pass);
		}
		pass.push(m[2]!);
	}
	return passes.map((p) => p.join("\n")).sort();
}

/** Replays a scenario with tracing on, as `nft monitor trace` has it: the trace lines and the filter. */
async function replayTraced(kernel: Pick<ScenarioResult, "pcap" | "local">, rulesetText: string): Promise<{ trace: string; filter: Filter }> {
	const ruleset = compile(rulesetText);
	const filter = await createFilter(ruleset, { local: kernel.local, trace: { packets: [] } });
	const formatter = new TraceFormatter(ruleset, (_colour, text) => text);
	const lines: string[] = [];
	filter.processCapture(kernel.pcap, (batch) => {
		const trace = batch.trace!;
		for (let i = 0, j = 0; i < batch.count; i++) {
			if (j < trace.count && trace.packet(j) === i) j = formatter.lines(batch, i, j, (line) => lines.push(line), false);
		}
	});
	return { trace: lines.join("\n"), filter };
}

// Over the veth: what the host sends is traced from output on; what comes in
// from prerouting on, but for neighbour discovery, whose timing is the
// kernel's own.
const VETH_RULESET = RULESET.replace(
	"\t\tmeta nftrace set 1\n",
	"\t\tmeta l4proto ipv6-icmp return\n\t\tmeta nftrace set 1\n",
).replace(
	"\t\ttype filter hook prerouting priority filter; policy accept;\n",
	"\t\ttype filter hook prerouting priority filter; policy accept;\n\t\tmeta l4proto != ipv6-icmp meta nftrace set 1\n",
);

// Without the host's interface list the veth's name is unknown.
const devicesAside = (text: string) => text.replace(/ [io]if "eth0"/g, "");

describe.skipIf(unavailable !== null)(`kernel parity: nft monitor trace${skipNote}`, () => {
	it("traffic over lo: every trace line as nft prints it", { timeout: 60_000 }, async () => {
		const kernel = await runScenario({ name: "trace-lo", ruleset: RULESET, captureOn: "lo", monitorTrace: true, traffic: loopbackTraffic });
		const { trace, filter } = await replayTraced(kernel, RULESET);
		expect(kernel.trace).toMatch(/verdict drop/);
		expect(chainPasses(trace)).toEqual(chainPasses(kernel.trace!));
		expect(parseListingCounters(filter.listRuleset())).toEqual(parseListingCounters(kernel.listing));
		expect(normalizeConntrack(filter.conntrackListing())).toEqual(normalizeConntrack(kernel.conntrack));
	});

	it("traffic over the veth with IPv4 options and IPv6 extension headers: every line, devices aside", { timeout: 60_000 }, async () => {
		const kernel = await runScenario({
			name: "trace-veth",
			ruleset: VETH_RULESET,
			ipv6: true,
			monitorTrace: true,
			traffic: async (lab) => {
				await lab.udpEcho(5353);
				await lab.httpServer(8000);
				await lab.curl(8000);
				await lab.curl(8000, { family: 6 });
				// Record route: routing writes the host's address into the
				// option before the input hook.
				await lab.cli(`ping -4 -n -R -c 2 -i 0.2 ${lab.srvAddr}`);
				await lab.cli(`${SYSTEM_PYTHON} ${script("ip-options.py")} ${lab.srvAddr6} 5353`);
			},
		});
		const { trace } = await replayTraced(kernel, VETH_RULESET);
		expect(chainPasses(trace)).toEqual(chainPasses(devicesAside(kernel.trace!)));
	});

	// ARP and ping on the veth's ingress and egress hooks and ARP's: nft
	// decodes what comes in by its link-layer header, ARP going out by the
	// arp chain's family, and shows the rest going out as raw bytes.
	it("ARP and ping on netdev and arp hooks: every line, devices aside", { timeout: 60_000 }, async () => {
		const ruleset = `table arp a {
	chain in {
		type filter hook input priority 0; policy accept;
		meta nftrace set 1
		counter
	}

	chain out {
		type filter hook output priority 0; policy accept;
		meta nftrace set 1
		counter
	}
}

table netdev n {
	chain in {
		type filter hook ingress device "eth0" priority 0; policy accept;
		meta nftrace set 1
		counter
	}

	chain out {
		type filter hook egress device "eth0" priority 0; policy accept;
		meta nftrace set 1
		counter
	}
}
`;
		const kernel = await runScenario({ name: "trace-netdev", ruleset, monitorTrace: true, traffic: (lab) => lab.ping(2).then(() => undefined) });
		const { trace } = await replayTraced(kernel, ruleset);
		expect(kernel.trace).toMatch(/arp operation reply/);
		expect(chainPasses(trace)).toEqual(chainPasses(devicesAside(kernel.trace!)));
	});

	it.skipIf(forwardLabUnavailable() !== null)("a replay through a router: every line, devices aside", { timeout: 120_000 }, async () => {
		const ruleset = `table inet filter {
	chain prerouting {
		type filter hook prerouting priority raw; policy accept;
		meta nftrace set 1
	}

	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established counter accept
		tcp dport 80 ct state new counter accept
		counter
	}

	chain postrouting {
		type filter hook postrouting priority filter; policy accept;
		ip protocol tcp counter
	}
}
`;
		const [c, s] = ["10.0.0.1", "192.0.2.1"];
		const packets = [
			tcp({ src: c, dst: s, sport: 40000, dport: 80, seq: 100, flags: SYN }),
			tcp({ src: s, dst: c, sport: 80, dport: 40000, seq: 900, ack: 101, flags: SYN | ACK }),
			tcp({ src: c, dst: s, sport: 40000, dport: 80, seq: 101, ack: 901, flags: ACK, payload: 10 }),
			tcp({ src: c, dst: s, sport: 40000, dport: 80, seq: 111, ack: 901, flags: FIN | ACK }),
			udp(c, s, 5000, 53, 30),
		];
		const capture = retarget(buildPcap(packets), ROUTER_MAC);
		const kernel = await replayThroughRouter(capture, ruleset, { monitorTrace: true });
		const { trace } = await replayTraced({ pcap: Buffer.from(capture), local: [] }, ruleset);
		const devicesAside = (text: string) => text.replace(/ [io]if "(in1|out0)"/g, "");
		expect(kernel.trace).toMatch(/forward policy drop/);
		expect(chainPasses(trace)).toEqual(chainPasses(devicesAside(kernel.trace!)));
	});
});
