// Devices on every hook: a router namespace with two veths (lanb in group 5)
// between two hosts, rules matching iifname/oifname/iif/oif/types/groups/
// kinds/pkttype/length on all five hooks, real traffic (forwarded pings both
// ways, pings and a broadcast ping to the router, a UDP datagram to a closed
// port answered from the router). The router's `tcpdump -i any` capture is
// replayed with its `ip -j -d addr` and `ip -j route show table all`: what
// came in, and what the router itself sent (its output path; the outgoing
// copies of forwarded packets are what the kernel did with the incoming
// ones). Per-rule counters must equal the kernel's, and the lines log
// statements on the forward and postrouting hooks put in the kernel log
// (dmesg, with net.netfilter.nf_log_all_netns=1) the lines of --log.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compile, createFilter, parseInterfaces, parseRoutes } from "../../../src/index.js";
import { Capture } from "../capture.js";
import { withKernelLog, withoutTime } from "../kernel-log.js";
import { parseListingCounters } from "../lab.js";
import { runHost, runInNamespace } from "../netns.js";
import { unavailable } from "./parity.js";
import { replayable } from "./router-lab.js";

const TAG = `nftwasm${process.pid}if`;

const RULESET = `table inet t {
	chain c_pre {
		type filter hook prerouting priority 0; policy accept;
		iifname "lana" counter
		iifname "lan*" counter
		iifname != "lana" counter
		iif "lanb" counter
		oifname != "x" counter
		oif 0 counter
		meta iiftype ether counter
		meta oiftype ether counter
		meta iifgroup 5 counter
		meta iifkind "veth" counter
		meta pkttype broadcast counter
		meta pkttype host counter
		meta length > 150 counter
		meta rtclassid 0 counter
		meta ipsec missing counter
	}

	chain c_in {
		type filter hook input priority 0; policy accept;
		iifname "lana" counter
		oif 0 counter
		oifname != "x" counter
		meta oifgroup 0 counter
		meta iifgroup 0 counter
		meta pkttype broadcast counter
		meta rtclassid 0 counter
	}

	chain c_fwd {
		type filter hook forward priority 0; policy accept;
		iifname "lana" oifname "lanb" counter
		iifname "lana" log prefix "${TAG}-fwd " flags ether
		iifname "lanb" log prefix "${TAG}-fwd-back " level info
		iifname "lanb" oifname "lana" counter
		oif "lanb" counter
		oifname { "lana", "x*" } counter
		meta oifgroup 5 counter
		meta iifgroup 5 counter
		meta oiftype ether counter
		meta oifkind "veth" counter
		meta rtclassid 0 counter
		meta skuid 0 counter
	}

	chain c_out {
		type filter hook output priority 0; policy accept;
		iifname != "x" counter
		iif 0 counter
		oifname "lana" counter
		oif "lanb" counter
		meta iiftype ether counter
		meta oifgroup 5 counter
		meta skuid 0 counter
		meta skgid 0 counter
		meta cgroup 0 counter
	}

	chain c_post {
		type filter hook postrouting priority 0; policy accept;
		oifname "lanb" counter
		oifname "lanb" log prefix "${TAG}-post " flags ip options
		iifname "lana" counter
		iif 0 counter
		meta iiftype ether counter
		meta iifgroup 0 counter
		meta oifgroup 5 counter
	}
}
`;

describe("meta keys of devices on every hook, against the kernel", () => {
  it.skipIf(unavailable)("per-rule counters equal the kernel's", async () => {
    const id = `nftwasm-if-${process.pid}`;
    const [a, r, b] = ["a", "r", "b"].map((n) => `${id}-${n}`);
    const dir = await mkdtemp(join(tmpdir(), `${id}-`));
    const created: string[] = [];
    let capture: Capture | undefined;
    try {
      for (const ns of [a, r, b]) {
        await runHost(["ip", "netns", "add", ns], "host");
        created.push(ns);
        await runInNamespace(ns, "ip link set lo up && sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1");
      }
      await runHost(["ip", "-n", a, "link", "add", "eth0", "type", "veth", "peer", "name", "lana", "netns", r], "host");
      await runHost(["ip", "-n", b, "link", "add", "eth0", "type", "veth", "peer", "name", "lanb", "netns", r], "host");
      await runInNamespace(a, "ip addr add 10.61.1.2/24 dev eth0 && ip link set eth0 up && ip route add default via 10.61.1.1");
      await runInNamespace(b, "ip addr add 10.61.2.2/24 dev eth0 && ip link set eth0 up && ip route add default via 10.61.2.1");
      await runInNamespace(r, [
        "ip addr add 10.61.1.1/24 broadcast 10.61.1.255 dev lana",
        "ip addr add 10.61.2.1/24 broadcast 10.61.2.255 dev lanb",
        "ip link set lanb group 5",
        "ip link set lana up",
        "ip link set lanb up",
        "sysctl -qw net.ipv4.ip_forward=1 net.ipv4.icmp_echo_ignore_broadcasts=0",
      ].join(" && "));
      const rules = join(dir, "ruleset.nft");
      await writeFile(rules, RULESET);
      await runInNamespace(r, `nft -f ${rules}`);
      const addr = await runInNamespace(r, "ip -j -d addr");
      const routes = await runInNamespace(r, "ip -j route show table all");
      const { result: { pcap, kernel }, lines: kernelLog } = await withKernelLog(TAG, async () => {
        capture = await Capture.start(r, "any", join(dir, "router.pcap"));
        await runInNamespace(a, "ping -n -q -c 3 -i 0.2 10.61.2.2");
        await runInNamespace(b, "ping -n -q -c 2 -i 0.2 -s 300 10.61.1.2");
        await runInNamespace(a, "ping -n -q -c 2 -i 0.2 10.61.1.1");
        await runInNamespace(a, "ping -n -q -c 2 -i 0.2 10.61.2.1");
        await runInNamespace(a, "ping -n -q -b -c 2 -i 0.2 10.61.1.255", { allowFailure: true });
        await runInNamespace(b, `python3 -c "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.sendto(b'x' * 200, ('10.61.2.1', 9))"`);
        const stopped = await capture.stop();
        capture = undefined;
        return { pcap: stopped.pcap, kernel: await runInNamespace(r, "nft list ruleset") };
      });

      const devices = parseInterfaces(addr, "ip -j -d addr");
      const network = { devices, routes: parseRoutes(routes, devices, "ip -j route show table all") };
      const own = new Set(devices.flatMap((d) => d.addresses.map((x) => x.address)));
      const logged: string[] = [];
      const filter = await createFilter(compile(RULESET, { interfaces: devices }), { network, log: (e) => logged.push(`<${e.level}>${e.message}`) });
      filter.processCapture(replayable(pcap, own));
      const theirs = parseListingCounters(kernel);
      expect(theirs.some((c) => c.packets > 0)).toBe(true);
      expect(parseListingCounters(filter.listRuleset())).toEqual(theirs);
      expect(logged.some((l) => l.includes("-fwd IN=lana OUT=lanb MACSRC="))).toBe(true);
      expect(logged.sort()).toEqual(kernelLog.map(withoutTime).sort());
    } finally {
      await capture?.abort();
      for (const ns of created) await runHost(["ip", "netns", "del", ns], "host", { allowFailure: true });
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
