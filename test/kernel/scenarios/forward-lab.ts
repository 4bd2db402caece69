// The second harness: a capture replayed into a router namespace with
// tcpreplay, so the kernel's forward path (prerouting, forward, postrouting)
// judges every packet of it; then its counters and conntrack table.
//
//   gen (tcpreplay) --veth--> rtr (ruleset, ip_forward) --veth--> sink
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { generateCapture } from "../../../bench/generate.js";
import { Capture } from "../capture.js";
import { BackgroundProcess, runHost, runInNamespace } from "../netns.js";

export interface ForwardResult {
  listing: string;
  conntrack: string;
  /**
   * The packets as the router received them, stamped when it did: under
   * load tcpreplay falls behind the capture's own times, and the kernel's
   * timeouts (a UDP flow becomes a stream after two seconds) run on these.
   */
  seen: Buffer;
  /** `conntrack -S`: per-CPU statistics. */
  statistics: string;
  /** `ip -j -d addr` and `ip -j route show table all` in the router: its devices and routes, for nftwasm's network. */
  addr: string;
  routes: string;
  /** What `nft monitor trace` printed in the router, with monitorTrace. */
  trace?: string;
}

export interface ReplayOptions {
  /** Runs `nft monitor trace` in the router while the capture is replayed. */
  monitorTrace?: boolean;
}

/** null when tcpreplay is there, else why not. */
export function forwardLabUnavailable(): string | null {
  try {
    execFileSync("sh", ["-c", "command -v tcpreplay"], { stdio: "ignore" });
    return null;
  } catch {
    return "the forward harness needs tcpreplay";
  }
}

export const ROUTER_MAC = "02:00:5e:00:53:fe";
const NEXT_HOP = "172.31.255.2";
const NEXT_HOP_MAC = "02:00:5e:00:53:fd";

/** Every Ethernet frame of a pcap addressed to `mac`, so the router takes it as its own. */
export function retarget(pcap: Uint8Array, mac: string): Uint8Array {
  const out = Uint8Array.from(pcap);
  const bytes = mac.split(":").map((h) => parseInt(h, 16));
  const view = new DataView(out.buffer);
  for (let at = 24; at + 16 <= out.length; ) {
    const caplen = view.getUint32(at + 8, true);
    if (caplen >= 6) out.set(bytes, at + 16);
    at += 16 + caplen;
  }
  return out;
}

let runs = 0;
// Only what comes in (not the resets and ICMP errors the router sends
// back), with room for a burst of thousands of packets.
const SEEN_OPTIONS = "-Q in -B 65536";

/** A statistic of `conntrack -S` summed over the CPUs. */
export function conntrackStatistic(statistics: string, name: string): number {
  return [...statistics.matchAll(new RegExp(`\\b${name}=(\\d+)`, "g"))].reduce((n, m) => n + Number(m[1]), 0);
}
const MONITOR_START_MS = 300;

/** Replays `pcap` (Ethernet, IPv4) through a router loaded with `ruleset`. */
export async function replayThroughRouter(pcap: Uint8Array, ruleset: string, options: ReplayOptions = {}): Promise<ForwardResult> {
  const id = `nftwasm-fwd-${process.pid}-${++runs}`;
  const [gen, rtr, sink] = ["gen", "rtr", "sink"].map((n) => `${id}-${n}`);
  const dir = await mkdtemp(join(tmpdir(), `${id}-`));
  const created: string[] = [];
  let seenCapture: Capture | undefined;
  let monitor: BackgroundProcess | undefined;
  try {
    for (const ns of [gen, rtr, sink]) {
      await runHost(["ip", "netns", "add", ns], "host");
      created.push(ns);
      await runInNamespace(ns, "ip link set lo up && sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1");
    }
    await runHost(["ip", "-n", gen, "link", "add", "in0", "type", "veth", "peer", "name", "in1", "netns", rtr], "host");
    await runHost(["ip", "-n", rtr, "link", "add", "out0", "type", "veth", "peer", "name", "out1", "netns", sink], "host");
    await runInNamespace(gen, "ip link set in0 up");
    await runInNamespace(sink, `ip link set out1 address ${NEXT_HOP_MAC} && ip addr add ${NEXT_HOP}/30 dev out1 && ip link set out1 up`);
    await runInNamespace(
      rtr,
      [
        `ip link set in1 address ${ROUTER_MAC}`,
        "ip link set in1 up",
        "ip addr add 172.31.255.1/30 dev out0",
        "ip link set out0 up",
        `ip route add default via ${NEXT_HOP}`,
        `ip neigh replace ${NEXT_HOP} lladdr ${NEXT_HOP_MAC} dev out0 nud permanent`,
        "sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.conf.in1.rp_filter=0",
      ].join(" && "),
    );
    const rules = join(dir, "ruleset.nft");
    await writeFile(rules, ruleset);
    await runInNamespace(rtr, `nft -f ${rules}`);
    const capture = join(dir, "replay.pcap");
    await writeFile(capture, retarget(pcap, ROUTER_MAC));
    const traceFile = join(dir, "trace.txt");
    if (options.monitorTrace) {
      monitor = new BackgroundProcess(rtr, `stdbuf -oL nft monitor trace > ${traceFile}`);
      // nft says nothing once it listens; line-buffered, so that stopping
      // it loses nothing it printed.
      await sleep(MONITOR_START_MS);
    }
    seenCapture = await Capture.start(rtr, "in1", join(dir, "seen.pcap"), SEEN_OPTIONS);
    await runInNamespace(gen, `tcpreplay -q -i in0 ${capture}`, { timeoutMs: 120_000 });
    const { pcap: seen } = await seenCapture.stop();
    seenCapture = undefined;
    const conntrack = await runInNamespace(rtr, "conntrack -L -o extended,id");
    const listing = await runInNamespace(rtr, "nft list ruleset");
    const statistics = await runInNamespace(rtr, "conntrack -S");
    const addr = await runInNamespace(rtr, "ip -j -d addr");
    const routes = await runInNamespace(rtr, "ip -j route show table all");
    if (!monitor) return { listing, conntrack, seen, statistics, addr, routes };
    await monitor.stop();
    return { listing, conntrack, seen, statistics, addr, routes, trace: await readFile(traceFile, "utf8") };
  } finally {
    await seenCapture?.abort();
    await monitor?.stop("SIGKILL");
    for (const ns of created) await runHost(["ip", "netns", "del", ns], "host", { allowFailure: true });
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Packet times respaced `gapUs` apart, so a veth keeps up when they are
 * replayed as captured; the whole capture stays well under the two seconds
 * after which a replied UDP flow counts as a stream, so that replay jitter
 * cannot tip a flow over that line in one run and not in the other.
 */
export function respace(pcap: Uint8Array, gapUs: number): Uint8Array {
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

/** A generated capture of `packets` packets over `flows` flows, and how many it holds. */
export function generated(packets: number, flows: number, seed: number): { pcap: Uint8Array; packets: number } {
  const chunks: Uint8Array[] = [];
  const stats = generateCapture({ packets, flows, seed }, (c) => chunks.push(c.slice()));
  const raw = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    raw.set(c, at);
    at += c.length;
  }
  return { pcap: raw, packets: stats.packets };
}

