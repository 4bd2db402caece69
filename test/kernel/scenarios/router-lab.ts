// A router namespace between two hosts, for rules judged on every hook:
//
//   a (10.61.1.2) eth0 --veth-- lana (10.61.1.1) r lanb (10.61.2.1, group 5) --veth-- eth0 b (10.61.2.2)
//
// The ruleset is loaded into r, the traffic runs, and r's `tcpdump -i any`
// capture comes back with r's `ip -j -d addr`, `ip -j route show table all`
// and `nft list ruleset`, to be replayed with the same devices and routes.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compile, createFilter, parseInterfaces, parseRoutes, type HostNetwork } from "../../../src/index.js";
import { Capture } from "../capture.js";
import { parseListingCounters } from "../lab.js";
import { runHost, runInNamespace } from "../netns.js";

export interface RouterRun {
  pcap: Uint8Array;
  listing: string;
  network: HostNetwork;
}

export interface RouterNamespaces {
  a: string;
  r: string;
  b: string;
}

const SLL2 = 276;
const OUTGOING = 4;

// The records of a Linux cooked v2 pcap to replay: every incoming one, and
// the outgoing ones sent from one of the router's own addresses.
export function replayable(pcap: Uint8Array, own: ReadonlySet<string>): Uint8Array {
  const view = new DataView(pcap.buffer, pcap.byteOffset, pcap.byteLength);
  if (view.getUint32(20, true) !== SLL2) throw new Error("expected a Linux cooked v2 capture");
  const parts: Uint8Array[] = [pcap.subarray(0, 24)];
  for (let at = 24; at + 16 <= pcap.length; ) {
    const caplen = view.getUint32(at + 8, true);
    const frame = pcap.subarray(at + 16, at + 16 + caplen);
    const ipv4 = frame[0] === 0x08 && frame[1] === 0x00;
    const source = ipv4 ? Array.from(frame.subarray(20 + 12, 20 + 16)).join(".") : "";
    if (frame[10] !== OUTGOING || own.has(source)) parts.push(pcap.subarray(at, at + 16 + caplen));
    at += 16 + caplen;
  }
  return Uint8Array.from(parts.flatMap((p) => Array.from(p)));
}

// Builds the three namespaces (setup: shell commands run in r before the
// ruleset is loaded), runs traffic and tears everything down. With ipv6,
// the links also carry fd61:1::/64 and fd61:2::/64 (r ::1, the hosts ::2).
export async function runRouter(name: string, ruleset: string, traffic: (ns: RouterNamespaces) => Promise<void>, setup: string[] = [], ipv6 = false): Promise<RouterRun> {
  const id = `nftwasm-${name}-${process.pid}`;
  const [a, r, b] = ["a", "r", "b"].map((n) => `${id}-${n}`);
  const dir = await mkdtemp(join(tmpdir(), `${id}-`));
  const created: string[] = [];
  let capture: Capture | undefined;
  try {
    for (const ns of [a, r, b]) {
      await runHost(["ip", "netns", "add", ns], "host");
      created.push(ns);
      await runInNamespace(ns, `ip link set lo up && sysctl -qw net.ipv6.conf.all.disable_ipv6=${ipv6 ? 0 : 1} net.ipv6.conf.default.disable_ipv6=${ipv6 ? 0 : 1}`);
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
      ...(ipv6 ? ["ip addr add fd61:1::1/64 dev lana nodad", "ip addr add fd61:2::1/64 dev lanb nodad", "sysctl -qw net.ipv6.conf.all.forwarding=1"] : []),
      ...setup,
    ].join(" && "));
    if (ipv6) {
      await runInNamespace(a, "ip addr add fd61:1::2/64 dev eth0 nodad && ip -6 route add default via fd61:1::1");
      await runInNamespace(b, "ip addr add fd61:2::2/64 dev eth0 nodad && ip -6 route add default via fd61:2::1");
      // Link-local addresses are usable once duplicate address detection
      // is done, a second or so.
      for (const ns of [a, r, b]) await runInNamespace(ns, "for i in $(seq 50); do ip -6 addr show tentative | grep -q inet6 || exit 0; sleep 0.1; done");
    }
    const rules = join(dir, "ruleset.nft");
    await writeFile(rules, ruleset);
    await runInNamespace(r, `nft -f ${rules}`);
    const addr = await runInNamespace(r, "ip -j -d addr");
    const routes = await runInNamespace(r, "ip -j route show table all");
    capture = await Capture.start(r, "any", join(dir, "router.pcap"));
    await traffic({ a, r, b });
    const { pcap } = await capture.stop();
    capture = undefined;
    const listing = await runInNamespace(r, "nft list ruleset");
    const devices = parseInterfaces(addr, "ip -j -d addr");
    return { pcap, listing, network: { devices, routes: parseRoutes(routes, devices, "ip -j route show table all") } };
  } finally {
    await capture?.abort();
    for (const ns of created) await runHost(["ip", "netns", "del", ns], "host", { allowFailure: true });
    await rm(dir, { recursive: true, force: true });
  }
}

// The kernel's per-rule counters after the run, and nftwasm's for its
// capture replayed with the router's devices and routes.
export async function routerCounters(ruleset: string, run: RouterRun): Promise<{ ours: ReturnType<typeof parseListingCounters>; theirs: ReturnType<typeof parseListingCounters> }> {
  const own = new Set(run.network.devices.flatMap((d) => d.addresses.map((x) => x.address)));
  const filter = await createFilter(compile(ruleset, { interfaces: run.network.devices }), { network: run.network });
  filter.processCapture(replayable(run.pcap, own));
  return { ours: parseListingCounters(filter.listRuleset()), theirs: parseListingCounters(run.listing) };
}
