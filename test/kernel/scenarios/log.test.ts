// The kernel log's lines against nftwasm's: log statements with every flag,
// level and a mark on the input and output hooks of a server, real HTTP,
// UDP and ping over IPv4 and IPv6 (with record route, and large enough to
// be fragmented), the ICMP errors answering datagrams to a closed port.
// The kernel writes into dmesg (for a namespace only with
// net.netfilter.nf_log_all_netns=1); nftwasm replays the server's capture,
// of its device or of any, with the server's interfaces and routes (so
// that the destination a cooked capture drops is the device's address).
// The lines must be equal but for the
// time (the kernel's since boot, nftwasm's the capture's) and the UID=/GID=
// of `flags skuid` on the output hook (the kernel knows the sending socket's
// owner; a capture does not).
import { describe, expect, it } from "vitest";
import { compile, createFilter, parseInterfaces, parseRoutes, type LogEntry } from "../../../src/index.js";
import { asNamedPcapng } from "../capture.js";
import { runScenario } from "../lab.js";
import { withKernelLog, withoutTime } from "../kernel-log.js";
import { unavailable } from "./parity.js";

const rulesetTagged = (TAG: string) => `table inet t {
	chain input {
		type filter hook input priority 0; policy accept;
		tcp dport 8000 log prefix "${TAG}-tcp "
		tcp dport 8000 tcp flags syn log prefix "${TAG}-syn " level info flags all
		tcp dport 8000 ct state established log prefix "${TAG}-seq " flags tcp sequence,options
		icmp type echo-request log prefix "${TAG}-icmp " flags ip options level notice
		udp dport 5353 log prefix "${TAG}-udp " level debug flags ether
		meta nfproto ipv6 meta l4proto ipv6-icmp log prefix "${TAG}-icmp6 " level err
		meta nfproto ipv6 tcp dport 8000 log prefix "${TAG}-tcp6 " flags ip options
		tcp dport 8000 log group 5
		udp dport 5353 meta mark set 0x2a log prefix "${TAG}-mark "
	}

	chain output {
		type filter hook output priority 0; policy accept;
		tcp sport 8000 log prefix "${TAG}-out " flags all
		icmp type echo-reply log prefix "${TAG}-reply " level crit
		udp sport 5353 log prefix "${TAG}-out-udp " flags skuid
		icmp type destination-unreachable log prefix "${TAG}-unreach "
		icmpv6 type destination-unreachable log prefix "${TAG}-unreach6 " flags all
	}
}
`;

// dmesg --raw's lines of this run's statements, the time and the sending
// socket's owner taken out.
function comparable(line: string): string {
  return withoutTime(line).replace(/UID=\d+ GID=\d+ /, "");
}

interface Compared {
  ours: string[];
  theirs: string[];
  entries: LogEntry[];
  tag: string;
}

// Runs the traffic with the statements tagged by `tag`, and replays the
// capture of the server's device (`eth0`: Ethernet, named as `dumpcap`
// would name it; `any`: Linux cooked v2) with the server's interfaces and
// routes.
async function compareWithKernel(captureOn: "eth0" | "any"): Promise<Compared> {
  const tag = `nftwasm${process.pid}${captureOn}`;
  const ruleset = rulesetTagged(tag);
  let interfaces = "";
  let routes = "";
  const { result, lines } = await withKernelLog(tag, () =>
    runScenario({
      name: `log-${captureOn}`,
      ruleset,
      ipv6: true,
      captureOn,
      traffic: async (lab) => {
        await lab.httpServer(8000);
        await lab.udpEcho(5353);
        await lab.curl(8000);
        await lab.curl(8000, { family: 6 });
        await lab.udpSend(5353);
        await lab.cli(`ping -4 -n -c 2 -i 0.2 -W 1 -R ${lab.srvAddr}`);
        await lab.ping(2, { family: 6 });
        await lab.cli(`ping -4 -n -c 1 -s 3000 -W 1 ${lab.srvAddr}`);
        await lab.udpSend(9999, { waitSeconds: 0 });
        await lab.udpSend(9999, { family: 6, waitSeconds: 0 });
        interfaces = await lab.srv("ip -j -d addr");
        routes = await lab.srv("ip -j route show table all");
      },
    }),
  );
  const devices = parseInterfaces(interfaces);
  const network = { devices, routes: parseRoutes(routes, devices) };
  const entries: LogEntry[] = [];
  const filter = await createFilter(compile(ruleset, { interfaces: devices }), { local: result.local, network, log: (e) => entries.push(e) });
  filter.processCapture(captureOn === "any" ? result.pcap : asNamedPcapng(result.pcap, "eth0"));
  const ours = entries.filter((e) => e.target === "syslog").map((e) => `<${e.level}>${e.message}`);
  return { ours, theirs: lines.map(comparable), entries, tag };
}

describe("log statements against the kernel log", () => {
  for (const captureOn of ["eth0", "any"] as const) {
    it.skipIf(unavailable)(`--log's lines equal the kernel's for the same packets, captured on ${captureOn}`, async () => {
      const { ours, theirs, entries, tag } = await compareWithKernel(captureOn);
      expect(ours.length).toBeGreaterThan(20);
      // The ICMP errors quote the datagram; the large ping was reassembled.
      for (const part of [`${tag}-unreach `, `${tag}-unreach6 `, "LEN=3028 ", "OPT (0107270C", "MARK=0x2a ", "IN=eth0 OUT= MAC="]) {
        expect(ours.some((l) => l.includes(part)), part).toBe(true);
      }
      expect([...ours].sort()).toEqual([...theirs].sort());
      expect(entries.filter((e) => e.target === "nflog").length).toBe(ours.filter((l) => l.includes(`${tag}-tcp `)).length);
    });
  }
});
