// The data plane's differential fuzzer: probe rulesets generated from a seed
// (dozens of `<expression> counter` rules over ct keys, meta keys, payload
// fields and set lookups, in chains of several hooks and priorities, marks set
// by earlier rules), whose counters and conntrack table, after the kernel and
// nftwasm have seen the same traffic, must be the same.
//
// Every expression is one the kernel answers the same way whatever the
// scheduling of the run: `ct expiration` is only compared with durations far
// from every timeout the kernel can have refreshed a connection to (a
// connection's first packet reads 0), and the traffic is what the kernel lab
// captured, replayed with its own timestamps.
import { Random } from "../../../bench/random.js";
import { compile, createFilter, parseInterfaces, parseRoutes, type Filter, type FilterOptions } from "../../../src/index.js";
import { ACK, FIN, PSH, RST, SYN, ipv4, tcp, udp } from "../../dataplane/packets.js";
import { encodePcapng, type PcapngBlock } from "../../host/captures.js";
import { normalizeConntrack, type RuleCounter } from "../lab.js";

/** What a ruleset's expressions are drawn from: the traffic's addresses, ports and hooks. */
export interface Target {
  hooks: readonly string[];
  v4: readonly string[];
  v4nets: readonly string[];
  v6: readonly string[];
  v6nets: readonly string[];
  tcpPorts: readonly number[];
  udpPorts: readonly number[];
  /** The ftp helper is attached to port 21, so `ct helper "ftp"` can match. */
  ftp: boolean;
  /** The devices packets come in and go out on. */
  devices: readonly string[];
  /** The devices of the netdev probe chains: frames come in on the first, leave by the second. */
  netdev: readonly [string, string];
}

/** The local harness: cli 10.99.0.1 / fd99::1 talking to srv 10.99.0.2 / fd99::2. */
export const LOCAL: Target = {
  hooks: ["prerouting", "input", "output", "postrouting"],
  v4: ["10.99.0.1", "10.99.0.2", "10.99.0.3"],
  v4nets: ["10.99.0.0/24", "10.0.0.0/8", "10.99.0.0/31", "10.99.0.2/32", "192.168.0.0/16"],
  v6: ["fd99::1", "fd99::2", "fd99::3"],
  v6nets: ["fd99::/64", "fe80::/10", "ff02::/16", "fd99::/127", "2001:db8::/32"],
  tcpPorts: [8000, 21, 80, 50000, 50005],
  udpPorts: [5353, 9, 53],
  ftp: true,
  devices: ["eth0", "lo"],
  netdev: ["eth0", "eth0"],
};

/** The forward harness: generated clients in 10.0.0.0/8 and 10.200.0.0/16 talking to servers in 192.0.2.0/24 and 198.51.100.0/24. */
export const FORWARD: Target = {
  hooks: ["prerouting", "forward", "postrouting"],
  v4: ["192.0.2.10", "192.0.2.11", "192.0.2.22", "198.51.100.53", "10.0.0.1", "10.200.0.1", "192.0.2.80"],
  v4nets: ["10.0.0.0/8", "10.0.0.0/24", "10.128.0.0/9", "192.0.2.0/24", "192.0.2.0/28", "198.51.100.0/24", "10.200.0.0/16"],
  v6: [],
  v6nets: [],
  tcpPorts: [80, 443, 8000, 22, 8080],
  udpPorts: [53, 5353],
  ftp: false,
  devices: ["in1", "out0", "lo"],
  netdev: ["in1", "out0"],
};

// Far from 0 and from every conntrack timeout (10 s, 30 s, 60 s, 120 s,
// 600 s, 5 days) less the few seconds a scenario lasts.
const EXPIRATIONS = ["15s", "45s", "90s", "3m", "1h", "2d"];
const PRIORITIES = [-300, -250, -150, -100, -10, 0, 10, 100, 250, 300];
const CT_STATES = ["new", "established", "related", "invalid", "untracked"];
const CT_STATUSES = ["expected", "seen-reply", "assured", "confirmed"];
const MARKS = [0, 1, 2, 3, 4, 5, 6, 7];

type Gen = (r: Random, t: Target) => string;

const pick = <T>(r: Random, items: readonly T[]): T => items[r.below(items.length)]!;

function distinct<T>(r: Random, items: readonly T[], most: number): T[] {
  const pool = [...items];
  const out: T[] = [];
  for (let n = 1 + r.below(Math.min(most, pool.length)); n > 0; n--) out.push(pool.splice(r.below(pool.length), 1)[0]!);
  return out;
}

/** Sorted values and ranges, none beyond the largest of `values`: a set's elements that never overlap. */
function elements(r: Random, values: readonly number[], most: number): string {
  const chosen = [...new Set(distinct(r, values, most))].sort((a, b) => a - b);
  const top = Math.max(...values);
  return chosen.map((v, i) => {
    const room = (chosen[i + 1] ?? top + 1) - v - 1;
    return room > 1 && r.chance(0.3) ? `${v}-${v + 1 + r.below(room - 1)}` : `${v}`;
  }).join(", ");
}

/** A comparison of a number-typed key in every form nft has: ==, !=, <, >, ranges, sets. */
function numeric(r: Random, key: string, values: readonly number[]): string {
  const v = pick(r, values);
  switch (r.below(8)) {
    case 0: return `${key} ${v}`;
    case 1: return `${key} != ${v}`;
    case 2: return `${key} ${pick(r, ["<", ">", "<=", ">="])} ${v}`;
    case 3:
    case 4: {
      const above = values.filter((x) => x > v);
      if (!above.length) return `${key} >= ${v}`;
      const range = `${v}-${pick(r, above)}`;
      return r.chance(0.5) ? `${key} ${range}` : `${key} != ${range}`;
    }
    case 5:
    case 6: return `${key} { ${elements(r, values, 4)} }`;
    default: return `${key} != { ${elements(r, values, 4)} }`;
  }
}

function symbolic(r: Random, key: string, values: readonly string[]): string {
  switch (r.below(4)) {
    case 0: return `${key} != ${pick(r, values)}`;
    case 1: return `${key} { ${distinct(r, values, 3).join(", ")} }`;
    default: return `${key} ${pick(r, values)}`;
  }
}

function address(r: Random, key: string, singles: readonly string[], nets: readonly string[]): string {
  switch (r.below(6)) {
    case 0: return `${key} ${pick(r, singles)}`;
    case 1: return `${key} != ${pick(r, nets)}`;
    case 2: return `${key} { ${distinct(r, singles, 3).join(", ")} }`;
    default: return `${key} ${pick(r, nets)}`;
  }
}

const ports = (t: Target) => [...t.tcpPorts, ...t.udpPorts, 1, 1023, 1024, 33000, 65535];
const small = [0, 1, 2, 3, 4, 5, 8, 10, 20, 50];
const lengths = [28, 40, 52, 60, 64, 84, 100, 200, 576, 1000, 1500];

const CT: Gen[] = [
  (r) => r.chance(0.3) ? `ct state != ${pick(r, CT_STATES)}` : `ct state ${distinct(r, CT_STATES, 2).join(",")}`,
  (r) => `ct state { ${distinct(r, CT_STATES, 3).join(", ")} }`,
  (r) => r.chance(0.3) ? `ct status != ${pick(r, CT_STATUSES)}` : `ct status ${distinct(r, CT_STATUSES, 2).join(",")}`,
  (r) => `ct direction ${pick(r, ["original", "reply"])}`,
  (r) => r.chance(0.2) ? `ct mark & 0x${(1 + r.below(7)).toString(16)} == 0x${r.below(8).toString(16)}` : numeric(r, "ct mark", MARKS),
  // Not of TCP: when a FIN and an ACK cross, the capture can order them
  // otherwise than conntrack took them, and a closing state's timeout (10 s
  // to 2 minutes, or 5 days before the FIN) with them.
  (r) => `ct protocol != tcp ct expiration ${pick(r, ["<", ">"])} ${pick(r, EXPIRATIONS)}`,
  (r) => {
    const lo = r.below(EXPIRATIONS.length - 1);
    return `ct protocol != tcp ct expiration ${EXPIRATIONS[lo]}-${EXPIRATIONS[lo + 1 + r.below(EXPIRATIONS.length - lo - 1)]}`;
  },
  (r, t) => symbolic(r, "ct l3proto", t.v6.length ? ["ipv4", "ipv6"] : ["ipv4"]),
  (r) => symbolic(r, "ct protocol", ["tcp", "udp", "icmp", "ipv6-icmp"]),
  (r, t) => address(r, `ct ${pick(r, ["original", "reply"])} ip ${pick(r, ["saddr", "daddr"])}`, t.v4, t.v4nets),
  (r, t) => t.v6.length ? address(r, `ct ${pick(r, ["original", "reply"])} ip6 ${pick(r, ["saddr", "daddr"])}`, t.v6, t.v6nets) : "ct l3proto ipv4",
  (r, t) => `meta l4proto ${pick(r, ["tcp", "udp"])} ${numeric(r, `ct ${pick(r, ["original", "reply"])} ${pick(r, ["proto-src", "proto-dst"])}`, ports(t)).replace(/\{[^}]*\}/, (s) => s.replace(/-\d+/g, ""))}`,
  (r) => numeric(r, `ct ${pick(r, ["", "original ", "reply "])}packets`, small),
  (r) => numeric(r, `ct ${pick(r, ["", "original ", "reply "])}bytes`, [0, 60, 100, 300, 500, 1000, 3000, 10000]),
  (r) => `ct ${pick(r, ["", "original ", "reply "])}avgpkt ${pick(r, ["<", ">"])} ${pick(r, [40, 52, 60, 80, 100, 200, 500])}`,
  (r) => numeric(r, "ct zone", [0, 1]),
  (r, t) => t.ftp ? `ct helper ${r.chance(0.8) ? "" : "!= "}"ftp"` : "ct zone 0",
];

const META: Gen[] = [
  (r) => numeric(r, "meta length", lengths),
  (r) => symbolic(r, "meta l4proto", ["tcp", "udp", "icmp", "ipv6-icmp"]),
  (r) => symbolic(r, "meta protocol", ["ip", "ip6", "arp"]),
  (r) => symbolic(r, "meta nfproto", ["ipv4", "ipv6"]),
  (r) => symbolic(r, "meta pkttype", ["host", "multicast", "broadcast", "other"]),
  (r) => numeric(r, "meta mark", MARKS),
  (r, t) => {
    const name = pick(r, t.devices);
    const value = r.chance(0.3) ? `"${name.slice(0, -1)}*"` : `"${name}"`;
    return `${pick(r, ["iifname", "oifname"])} ${r.chance(0.3) ? "!= " : ""}${value}`;
  },
];

const PAYLOAD: Gen[] = [
  (r) => numeric(r, "ip ttl", [1, 63, 64, 128, 255]),
  (r) => r.chance(0.5) ? "ip id != 0" : numeric(r, "ip id", [0, 1, 1000, 30000, 65535]),
  (r) => numeric(r, "ip length", lengths),
  (r) => symbolic(r, "ip dscp", ["cs0", "cs1", "af11", "ef"]),
  (r) => symbolic(r, "ip ecn", ["not-ect", "ect0", "ce"]),
  (r) => symbolic(r, "ip protocol", ["tcp", "udp", "icmp"]),
  (r, t) => address(r, `ip ${pick(r, ["saddr", "daddr"])}`, t.v4, t.v4nets),
  (r) => pick(r, ["ip hdrlength 5", "ip hdrlength > 5", "ip version 4", "ip frag-off & 0x4000 != 0", "ip frag-off & 0x1fff != 0"]),
  (r, t) => `ip saddr . ip daddr { ${distinct(r, t.v4, 2).map((a) => `${a} . ${pick(r, t.v4)}`).join(", ")} }`,
  (r, t) => t.v6.length ? address(r, `ip6 ${pick(r, ["saddr", "daddr"])}`, t.v6, t.v6nets) : "ip6 nexthdr tcp",
  (r) => numeric(r, "ip6 hoplimit", [1, 64, 255]),
  (r) => symbolic(r, "ip6 nexthdr", ["tcp", "udp", "ipv6-icmp"]),
  (r) => r.chance(0.5) ? "ip6 flowlabel != 0" : numeric(r, "ip6 length", lengths),
  (r, t) => numeric(r, `tcp ${pick(r, ["sport", "dport"])}`, ports(t)),
  (r, t) => numeric(r, `udp ${pick(r, ["sport", "dport"])}`, ports(t)),
  (r, t) => numeric(r, `th ${pick(r, ["sport", "dport"])}`, ports(t)),
  (r) => `tcp flags ${distinct(r, ["syn", "ack", "fin", "rst", "psh"], 2).join(",")}`,
  (r) => {
    const mask = distinct(r, ["syn", "ack", "fin", "rst"], 3);
    const want = mask.filter(() => r.chance(0.5));
    return `tcp flags & (${mask.join(" | ")}) ${r.chance(0.3) ? "!=" : "=="} ${want.length ? want.join(" | ") : "0"}`;
  },
  (r) => numeric(r, "tcp window", [0, 512, 1000, 29200, 64240, 65535]),
  (r) => numeric(r, "tcp doff", [5, 8, 10]),
  (r) => numeric(r, "udp length", [8, 12, 16, 30, 100]),
  (r) => symbolic(r, "icmp type", ["echo-request", "echo-reply", "destination-unreachable", "time-exceeded"]),
  (r) => numeric(r, "icmp code", [0, 1, 3]),
  (r) => symbolic(r, "icmpv6 type", ["echo-request", "echo-reply", "nd-neighbor-solicit", "nd-neighbor-advert", "mld-listener-report", "destination-unreachable"]),
  (r, t) => `ip saddr . tcp dport { ${distinct(r, t.v4, 3).map((a) => `${a} . ${pick(r, t.tcpPorts)}`).join(", ")} }`,
  (r, t) => `meta l4proto . th dport { ${distinct(r, [...t.tcpPorts.map((p) => `tcp . ${p}`), ...t.udpPorts.map((p) => `udp . ${p}`)], 4).join(", ")} }`,
  (r, t) => `ip daddr . th dport { ${distinct(r, t.v4, 2).map((a) => `${a} . ${pick(r, ports(t))}`).join(", ")} }`,
];

const SETS = (r: Random, t: Target): { declarations: string; lookups: string[] } => {
  const svc = distinct(r, t.v4, 3).map((a) => `${a} . ${pick(r, t.tcpPorts)}`);
  const declarations = [
    `set ports {\n\t\ttype inet_service\n\t\tflags interval\n\t\telements = { ${elements(r, ports(t), 5)} }\n\t}`,
    `set nets4 {\n\t\ttype ipv4_addr\n\t\tflags interval\n\t\telements = { ${pick(r, t.v4nets)} }\n\t}`,
    `set addrs4 {\n\t\ttype ipv4_addr\n\t\telements = { ${distinct(r, t.v4, 3).join(", ")} }\n\t}`,
    `set svc {\n\t\ttype ipv4_addr . inet_service\n\t\telements = { ${[...new Set(svc)].join(", ")} }\n\t}`,
  ];
  const lookups = ["tcp dport @ports", "udp sport @ports", "th dport != @ports", "ip saddr @nets4", "ip daddr != @nets4", "ip saddr @addrs4", "ip daddr @addrs4", "ip daddr . tcp dport @svc", "ip saddr . tcp sport @svc"];
  if (t.v6.length) {
    declarations.push(`set addrs6 {\n\t\ttype ipv6_addr\n\t\tflags interval\n\t\telements = { ${pick(r, ["fe80::/10", "2001:db8::/32", "ff02::/16"])}, ${pick(r, t.v6)} }\n\t}`);
    lookups.push("ip6 saddr @addrs6", "ip6 daddr != @addrs6");
  }
  return { declarations: declarations.map((d) => `\t${d}\n`).join("\n"), lookups };
};

const MARK_STATEMENTS: Gen[] = [
  (r) => `meta mark set ${pick(r, MARKS.slice(1))}`,
  (r) => `meta mark set meta mark | 0x${pick(r, [1, 2, 4]).toString(16)}`,
  (r) => `ct mark set ${pick(r, MARKS.slice(1))}`,
  (r) => `ct mark set ct mark | 0x${pick(r, [1, 2, 4]).toString(16)}`,
  () => "ct mark set meta mark",
  () => "meta mark set ct mark",
];

export interface ProbeRuleset {
  text: string;
  /** Probe rules, each with a counter. */
  probes: number;
}

/** The probe ruleset `seed` gives for `target`: a table inet of 3 to 5 chains, with named sets, each chain 8 to 20 rules. */
export function probeRuleset(seed: number, target: Target): ProbeRuleset {
  const r = new Random(seed);
  const sets = SETS(r, target);
  const pools: Gen[] = [
    ...CT, ...CT, ...META, ...PAYLOAD, ...PAYLOAD,
    (rr) => pick(rr, sets.lookups),
  ];
  // A second expression that brings in no protocol of its own, so that the pair never conflicts.
  const second = [...CT.filter((g) => !/proto-| ip6? /.test(g(new Random(0), target))), ...META];
  let probes = 0;
  const chains: string[] = [];
  for (let c = 0, n = 3 + r.below(3); c < n; c++) {
    const hook = pick(r, target.hooks);
    const rules: string[] = [];
    for (let k = 0, m = 8 + r.below(13); k < m; k++) {
      const expr = pick(r, pools)(r, target);
      const both = r.chance(0.15) ? `${expr} ${pick(r, second)(r, target)}` : expr;
      rules.push(r.chance(0.15) ? `${both} counter ${pick(r, MARK_STATEMENTS)(r, target)}` : `${both} counter`);
      probes++;
    }
    chains.push(`\tchain c${c} {\n\t\ttype filter hook ${hook} priority ${pick(r, PRIORITIES)}; policy accept;\n${rules.map((x) => `\t\t${x}\n`).join("")}\t}\n`);
  }
  const helper = target.ftp
    ? `\tct helper ftp-standard {\n\t\ttype "ftp" protocol tcp\n\t}\n\n\tchain helpers {\n\t\ttype filter hook prerouting priority filter; policy accept;\n\t\ttcp dport 21 ct helper set "ftp-standard"\n\t}\n\n`
    : "";
  const devices = deviceProbes(seed, target);
  return { text: `table inet fuzz {\n${helper}${sets.declarations}\n${chains.join("\n")}}\n${devices.text}`, probes: probes + devices.probes };
}

// Frames that are not IP: ARP, by its fields.
const LINK: Gen[] = [
  (r) => symbolic(r, "meta protocol", ["ip", "ip6", "arp"]),
  (r) => symbolic(r, "ether type", ["ip", "ip6", "arp"]),
  (r) => symbolic(r, "arp operation", ["request", "reply"]),
  (r, t) => address(r, `arp ${pick(r, ["saddr", "daddr"])} ip`, t.v4, t.v4nets),
];

/**
 * A table netdev of probe chains on the ingress hook of the device frames
 * come in on and the egress hook of the one they leave by, and a table arp
 * of probe chains on ARP's input and output hooks, drawn from a
 * random sequence of their own, so the inet table of a seed stays what it
 * was. No ct: the kernel has no conntrack in netdev tables.
 */
function deviceProbes(seed: number, target: Target): ProbeRuleset {
  const r = new Random(seed ^ 0x6e657464);
  const pools: Gen[] = [...META.filter((g) => !/nfproto/.test(g(new Random(0), target))), ...PAYLOAD, ...LINK, ...LINK];
  const chains = (["ingress", "egress"] as const).map((hook, i) => probeChain(r, target, pools, hook, target.netdev[i], 4, 9));
  // ARP's hooks: the same keys but IP's, which an ARP packet has not.
  const arpPools: Gen[] = [...META.filter((g) => !/nfproto|l4proto|protocol/.test(g(new Random(0), target))), ...LINK.slice(2), ...LINK.slice(2)];
  const arpChains = (["input", "output"] as const).map((hook) => probeChain(r, target, arpPools, hook, undefined, 3, 6));
  const text = (all: ProbeRuleset[]) => all.map((c) => c.text).join("\n");
  return {
    text: `\ntable netdev fuzzdev {\n${text(chains)}}\n\ntable arp fuzzarp {\n${text(arpChains)}}\n`,
    probes: [...chains, ...arpChains].reduce((n, c) => n + c.probes, 0),
  };
}

// A base chain of `least` to `least + spread - 1` probe rules drawn from pools.
function probeChain(r: Random, target: Target, pools: Gen[], hook: string, device: string | undefined, least: number, spread: number): ProbeRuleset {
  const rules: string[] = [];
  for (let k = 0, m = least + r.below(spread); k < m; k++) rules.push(`${pick(r, pools)(r, target)} counter`);
  const on = device !== undefined ? ` device "${device}"` : "";
  return { text: `\tchain ${hook} {\n\t\ttype filter hook ${hook}${on} priority ${pick(r, PRIORITIES)}; policy accept;\n${rules.map((x) => `\t\t${x}\n`).join("")}\t}\n`, probes: rules.length };
}

/** The seed of scenario `i` of a run seeded `seed`. */
export const scenarioSeed = (seed: number, i: number) => seed * 1000 + i;

/** Every counter or conntrack entry that differs, one line each. */
export function disagreements(theirs: RuleCounter[], ours: RuleCounter[], kernelTable?: string, ourTable?: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < Math.max(theirs.length, ours.length); i++) {
    const k = theirs[i];
    const o = ours[i];
    if (!k || !o) out.push(`rule ${i}: only in ${k ? "the kernel's" : "nftwasm's"} listing: ${(k ?? o)!.rule}`);
    else if (k.rule !== o.rule) out.push(`rule ${i} of ${k.chain} listed differently: kernel "${k.rule}", nftwasm "${o.rule}"`);
    else if (k.packets !== o.packets || k.bytes !== o.bytes) {
      out.push(`${k.chain}: ${k.rule}: kernel ${k.packets} packets ${k.bytes} bytes, nftwasm ${o.packets} packets ${o.bytes} bytes`);
    }
  }
  if (kernelTable !== undefined && ourTable !== undefined) {
    const k = normalizeConntrack(kernelTable);
    const o = normalizeConntrack(ourTable);
    for (const e of k.filter((x) => !o.includes(x))) out.push(`conntrack entry only in the kernel's table: ${e}`);
    for (const e of o.filter((x) => !k.includes(x))) out.push(`conntrack entry only in nftwasm's table: ${e}`);
  }
  return out;
}

/** NFTWASM_FUZZ_SEED, NFTWASM_FUZZ_COUNT (scenarios per harness) and NFTWASM_FUZZ_LONG (many scenarios, for local runs). */
export function fuzzSettings(defaultCount: number): { seed: number; count: number; long: boolean } {
  const env = (name: string): number | undefined => {
    const text = process.env[name];
    if (text === undefined || text === "") return undefined;
    const n = Number(text);
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name}=${text}: expected a non-negative integer`);
    return n;
  };
  const long = process.env.NFTWASM_FUZZ_LONG === "1";
  return { seed: env("NFTWASM_FUZZ_SEED") ?? 1, count: env("NFTWASM_FUZZ_COUNT") ?? (long ? 50 : defaultCount), long };
}

/** The Ethernet frames of a pcap, in order. */
export function framesOf(capture: Uint8Array): number[][] {
  const view = new DataView(capture.buffer, capture.byteOffset, capture.byteLength);
  const frames: number[][] = [];
  for (let at = 24; at + 16 <= capture.length; ) {
    const caplen = view.getUint32(at + 8, true);
    frames.push(Array.from(capture.subarray(at + 16, at + 16 + caplen)));
    at += 16 + caplen;
  }
  return frames;
}

/** Interleaves sequences at random, each keeping its own order. */
export function interleave<T>(r: Random, sequences: T[][]): T[] {
  const left = sequences.map((s) => [...s]).filter((s) => s.length > 0);
  const total = left.reduce((n, s) => n + s.length, 0);
  const out: T[] = [];
  while (out.length < total) {
    let draw = r.below(total - out.length);
    const s = left.find((x) => (draw -= x.length) < 0)!;
    out.push(s.shift()!);
  }
  return out;
}

/**
 * Damaged and adversarial IPv4 packets: TCP connections from 10.200.0.0/16
 * to 192.0.2.80 that, once set up, carry bad TCP and IP header checksums,
 * truncated TCP headers, frames shorter than their IP length, segments far
 * out of the window, retransmissions, RST storms of random sequence numbers,
 * a SYN on an open connection, an in-window RST and FINs; and UDP datagrams
 * with bad checksums or lengths. One sequence per connection.
 */
export function adversarialFlows(seed: number, flows = 6): number[][][] {
  const r = new Random(seed);
  const sequences: number[][][] = [];
  for (let c = 0; c < flows; c++) {
    const cli = `10.200.${c}.${1 + r.below(250)}`;
    const srv = "192.0.2.80";
    const sport = 30000 + r.below(30000);
    const dport = pick(r, [8080, 80, 443]);
    let cs = r.uint32();
    let ss = r.uint32();
    const fromClient = (flags: number, more: { seq?: number; payload?: number; badChecksum?: boolean } = {}) =>
      tcp({ src: cli, dst: srv, sport, dport, seq: more.seq ?? cs, ack: flags & ACK ? ss : 0, flags, payload: more.payload, badChecksum: more.badChecksum });
    const fromServer = (flags: number, payload = 0) => tcp({ src: srv, dst: cli, sport: dport, dport: sport, seq: ss, ack: cs, flags, payload });
    const out: number[][] = [fromClient(SYN)];
    cs = (cs + 1) >>> 0;
    out.push(fromServer(SYN | ACK));
    ss = (ss + 1) >>> 0;
    out.push(fromClient(ACK));
    for (let e = 0, n = 5 + r.below(10); e < n; e++) {
      const size = 1 + r.below(300);
      switch (r.below(12)) {
        case 0: out.push(fromClient(PSH | ACK, { payload: size })); cs = (cs + size) >>> 0; out.push(fromServer(ACK)); break;
        case 1: out.push(fromServer(PSH | ACK, size)); ss = (ss + size) >>> 0; out.push(fromClient(ACK)); break;
        case 2: out.push(fromClient(PSH | ACK, { payload: size, badChecksum: true })); break;
        case 3: {
          const whole = fromClient(PSH | ACK, { payload: size });
          out.push(ipv4(cli, srv, 6, whole.slice(20, 20 + 4 + r.below(14))));
          break;
        }
        case 4: out.push(fromClient(PSH | ACK, { payload: 20 + size }).slice(0, 40 + r.below(size))); break;
        case 5: {
          const broken = fromClient(PSH | ACK, { payload: size });
          broken[10] ^= 0xff;
          out.push(broken);
          break;
        }
        case 6: out.push(fromClient(PSH | ACK, { seq: (cs + 0x40000000 + r.below(1 << 20)) >>> 0, payload: size })); break;
        case 7: out.push(fromClient(PSH | ACK, { seq: (cs - size) >>> 0, payload: size })); break;
        case 8: for (let k = 0, m = 3 + r.below(15); k < m; k++) out.push(fromClient(r.chance(0.5) ? RST : RST | ACK, { seq: r.uint32() })); break;
        case 9: out.push(fromClient(SYN, { seq: r.uint32() })); break;
        case 10: {
          const u = udp(cli, srv, sport, pick(r, [53, 5353, 9999]), size);
          if (r.chance(0.5)) u[27] ^= 0x5a;
          else u[25] = (u[25]! + 8) & 0xff;
          out.push(u);
          break;
        }
        default:
          if (r.chance(0.5)) {
            out.push(fromClient(FIN | ACK));
            cs = (cs + 1) >>> 0;
            out.push(fromServer(FIN | ACK));
            ss = (ss + 1) >>> 0;
            out.push(fromClient(ACK));
          } else {
            out.push(fromClient(RST | ACK, { seq: (cs + r.below(1000)) >>> 0 }));
          }
      }
    }
    sequences.push(out);
  }
  return sequences;
}

/** The records of a pcap in a pcapng whose one interface is named `name`, so that nftwasm knows the device every packet came in on. */
export function withInterfaceName(capture: Uint8Array, name: string): Uint8Array {
  const view = new DataView(capture.buffer, capture.byteOffset, capture.byteLength);
  const unitNs = view.getUint32(0, true) === 0xa1b23c4d ? 1n : 1000n;
  const blocks: PcapngBlock[] = [{ type: "section" }, { type: "interface", linktype: view.getUint32(20, true), tsresol: unitNs === 1n ? 9 : 6, name }];
  for (let at = 24; at + 16 <= capture.length; ) {
    const caplen = view.getUint32(at + 8, true);
    const tsNs = BigInt(view.getUint32(at, true)) * 1_000_000_000n + BigInt(view.getUint32(at + 4, true)) * unitNs;
    blocks.push({ type: "epb", unitNs, packet: { tsNs, data: capture.subarray(at + 16, at + 16 + caplen), origLen: view.getUint32(at + 12, true) } });
    at += 16 + caplen;
  }
  return encodePcapng(blocks);
}

/** The filter of a ruleset, knowing the kernel host's devices and routes (`ip -j -d addr`, `ip -j route show table all`). */
export function withNetwork(ruleset: string, name: string, host: { addr: string; routes: string }, options: FilterOptions = {}): Promise<Filter> {
  const devices = parseInterfaces(host.addr, "ip -j -d addr");
  const network = { devices, routes: parseRoutes(host.routes, devices, "ip -j route show table all") };
  return createFilter(compile(ruleset, { filename: `${name}.nft`, interfaces: devices }), { ...options, network });
}
