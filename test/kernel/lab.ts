// The kernel differential harness: two network namespaces joined by a veth
// pair, the ruleset under test loaded in `srv`, real traffic driven from
// `cli`, and the kernel's own answers (capture, counters, conntrack table)
// collected for comparison with nftwasm replaying the same capture.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { Capture, type CaptureStats } from "./capture.js";
import { BackgroundProcess, runHost, runInNamespace, type RunOptions } from "./netns.js";

export { parseListingCounters, type RuleCounter } from "./listing.js";
export { normalizeConntrack } from "./conntrack.js";
export type { RunOptions } from "./netns.js";

/** Debian's python: the one with pyftpdlib, whatever `python3` is on PATH. */
export const SYSTEM_PYTHON = "/usr/bin/python3";

const REQUIRED_TOOLS = ["ip", "nft", "tcpdump", "conntrack", "ss", "curl", "ping", "sh"];

let unavailableReason: string | null | undefined;

/** null when scenarios can run here, otherwise a one-line reason to skip them. */
export function kernelLabUnavailable(): string | null {
  unavailableReason ??= probeLab();
  return unavailableReason;
}

function probeLab(): string | null {
  if (process.platform !== "linux") return `kernel lab needs Linux, not ${process.platform}`;
  if (process.getuid?.() !== 0) return "kernel lab needs root (network namespaces, nft, tcpdump)";
  const missing = REQUIRED_TOOLS.filter((tool) => {
    try {
      execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" });
      return false;
    } catch {
      return true;
    }
  });
  if (!existsSync(SYSTEM_PYTHON)) missing.push(SYSTEM_PYTHON);
  if (missing.length > 0) return `kernel lab needs ${missing.join(", ")}`;
  const probe = `nftwasm-probe-${process.pid}`;
  try {
    execFileSync("ip", ["netns", "add", probe], { stdio: "pipe" });
    execFileSync("ip", ["netns", "exec", probe, "nft", "list", "ruleset"], { stdio: "pipe" });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    return `kernel lab cannot use network namespaces: ${stderr || String(error)}`;
  } finally {
    try {
      execFileSync("ip", ["netns", "del", probe], { stdio: "ignore" });
    } catch {
      // Creation failed, so there is nothing to delete.
    }
  }
  return null;
}

export interface LabAddresses {
  cli4: string;
  srv4: string;
  prefix4: number;
  cli6: string;
  srv6: string;
  prefix6: number;
}

/**
 * Each scenario has namespaces of its own, so concurrent scenarios may use
 * the same addresses; these are only defaults.
 */
export const DEFAULT_ADDRESSES: LabAddresses = {
  cli4: "10.99.0.1",
  srv4: "10.99.0.2",
  prefix4: 24,
  cli6: "fd99::1",
  srv6: "fd99::2",
  prefix6: 64,
};

export type Family = 4 | 6;

export interface Lab {
  readonly cliNs: string;
  readonly srvNs: string;
  /** The veth's name, the same in both namespaces. */
  readonly iface: string;
  readonly cliAddr: string;
  readonly srvAddr: string;
  /** Set only when the scenario asked for IPv6. */
  readonly cliAddr6?: string;
  readonly srvAddr6?: string;
  /** A per-scenario scratch directory on the host (both namespaces see it). */
  readonly workDir: string;

  /** Runs a shell command in `cli` and resolves with its stdout. */
  cli(command: string, options?: RunOptions): Promise<string>;
  /** Runs a shell command in `srv` and resolves with its stdout. */
  srv(command: string, options?: RunOptions): Promise<string>;
  /** Starts a long-running command in `srv`; it is killed when the scenario ends. */
  spawnSrv(command: string): BackgroundProcess;
  /** Resolves once something in `srv` listens on `port`. */
  waitPort(port: number, proto: "tcp" | "udp", timeoutMs?: number): Promise<void>;

  /** python http.server in `srv`, serving a small fixed index.html. */
  httpServer(port: number): Promise<void>;
  /** A UDP server in `srv` that sends every datagram back. */
  udpEcho(port: number): Promise<void>;
  /** GET http://srv:port/ from `cli`; resolves with the body. */
  curl(port: number, options?: CurlOptions): Promise<string>;
  /** ping srv from `cli`, 0.2 s apart. */
  ping(count: number, options?: { family?: Family } & RunOptions): Promise<string>;
  /** One datagram from a fresh `cli` socket to srv:port; resolves with the answer, if one was awaited. */
  udpSend(port: number, options?: UdpSendOptions): Promise<string>;
}

export interface CurlOptions extends RunOptions {
  family?: Family;
  path?: string;
  /** Passed to curl as --connect-timeout, so a dropped SYN is retried only briefly. */
  connectTimeoutSeconds?: number;
}

export interface UdpSendOptions extends RunOptions {
  family?: Family;
  payload?: string;
  /** 0 sends without waiting for an answer. */
  waitSeconds?: number;
}

export interface ScenarioOptions {
  name: string;
  /** nft syntax, loaded with `nft -f` into `srv` before the capture starts. */
  ruleset: string;
  ipv6?: boolean;
  /** Applied in `srv` before the ruleset is loaded, e.g. net.netfilter.nf_conntrack_acct. */
  sysctl?: Record<string, string>;
  addresses?: Partial<LabAddresses>;
  traffic: (lab: Lab) => Promise<void>;
  /** Upper bound for the traffic function. */
  timeoutMs?: number;
  /** The interface of `srv` tcpdump listens on: the veth unless named (`lo`, `any`). */
  captureOn?: string;
  /** Runs `nft monitor trace` in `srv` while the traffic runs (rules with `meta nftrace set 1`). */
  monitorTrace?: boolean;
}

export interface ScenarioResult {
  name: string;
  /** tcpdump's capture in srv (of the veth, unless captureOn), from before the traffic until it went quiet. */
  pcap: Buffer;
  captureStats: CaptureStats;
  /** `nft list ruleset` in srv after the traffic. */
  listing: string;
  /** `nft -a list ruleset`, the same with handles. */
  listingHandles: string;
  /** `conntrack -L -o extended,id` in srv after the traffic. */
  conntrack: string;
  /** srv's addresses on the veth, for nftwasm's --local. */
  local: string[];
  /** `ip -j -d addr` and `ip -j route show table all` in srv: its devices and routes, for nftwasm's network. */
  addr: string;
  routes: string;
  /** What `nft monitor trace` printed, with monitorTrace. */
  trace?: string;
}

const IFACE = "eth0";
const DEFAULT_TRAFFIC_TIMEOUT_MS = 60_000;
const MONITOR_START_MS = 300;
const WAIT_PORT_TIMEOUT_MS = 5000;
const INDEX_HTML = "<!doctype html><title>nftwasm lab</title><p>hello from srv</p>\n";
const UDP_ECHO_SCRIPT = fileURLToPath(new URL("./udp-echo.py", import.meta.url));
const UDP_SEND_SCRIPT = fileURLToPath(new URL("./udp-send.py", import.meta.url));

let scenarioCount = 0;

/**
 * Builds the namespaces, loads the ruleset, captures while `traffic` runs and
 * returns what the kernel saw and concluded. The namespaces and everything
 * started in them are gone when the promise settles.
 *
 * The kernel tracks connections in a namespace only while some loaded rule
 * needs conntrack (a ct expression, NAT, a helper): a ruleset without one
 * leaves the conntrack table empty.
 */
export async function runScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  const id = `nftwasm-${process.pid}-${++scenarioCount}`;
  const cliNs = `${id}-cli`;
  const srvNs = `${id}-srv`;
  const addresses = { ...DEFAULT_ADDRESSES, ...options.addresses };
  const ipv6 = options.ipv6 ?? false;
  const workDir = await mkdtemp(join(tmpdir(), `${id}-`));
  const background: BackgroundProcess[] = [];
  const createdNamespaces: string[] = [];
  let capture: Capture | undefined;
  try {
    for (const ns of [cliNs, srvNs]) {
      await runHost(["ip", "netns", "add", ns], "host");
      createdNamespaces.push(ns);
      await setUpNamespace(ns, ipv6);
    }
    for (const [key, value] of Object.entries(options.sysctl ?? {})) {
      await runInNamespace(srvNs, `sysctl -qw ${key}=${value}`);
    }
    await linkNamespaces(cliNs, srvNs, addresses, ipv6);

    const rulesetFile = join(workDir, "ruleset.nft");
    await writeFile(rulesetFile, options.ruleset);
    await runInNamespace(srvNs, `nft -f ${rulesetFile}`);

    const lab = makeLab({ cliNs, srvNs, addresses, ipv6, workDir, background });
    const traceFile = join(workDir, "trace.txt");
    const monitor = options.monitorTrace ? lab.spawnSrv(`stdbuf -oL nft monitor trace > ${traceFile}`) : undefined;
    // nft says nothing once it listens; it needs a moment to read the
    // ruleset and join the trace group. Line-buffered, so that stopping it
    // loses nothing it printed.
    if (monitor) await sleep(MONITOR_START_MS);
    capture = await Capture.start(srvNs, options.captureOn ?? IFACE, join(workDir, "capture.pcap"));
    await withTimeout(
      options.traffic(lab),
      options.timeoutMs ?? DEFAULT_TRAFFIC_TIMEOUT_MS,
      `scenario ${options.name}: traffic`,
    );
    const { pcap, stats } = await capture.stop();
    capture = undefined;
    await monitor?.stop();
    const trace = monitor ? await readFile(traceFile, "utf8") : undefined;

    // conntrack first: its timeouts tick, the counters do not.
    const conntrack = await runInNamespace(srvNs, "conntrack -L -o extended,id");
    const listing = await runInNamespace(srvNs, "nft list ruleset");
    const listingHandles = await runInNamespace(srvNs, "nft -a list ruleset");
    const local = await vethAddresses(srvNs);
    const addr = await runInNamespace(srvNs, "ip -j -d addr");
    const routes = await runInNamespace(srvNs, "ip -j route show table all");
    return { name: options.name, pcap, captureStats: stats, listing, listingHandles, conntrack, local, addr, routes, ...(trace !== undefined ? { trace } : {}) };
  } finally {
    await capture?.abort();
    await Promise.all(background.map((server) => server.stop()));
    for (const ns of createdNamespaces) await deleteNamespace(ns);
    await rm(workDir, { recursive: true, force: true });
  }
}

async function setUpNamespace(ns: string, ipv6: boolean): Promise<void> {
  // Set before the veth exists, so that it is created with them. Without
  // IPv6 the veth sends no neighbour discovery or MLD at all; with it, no
  // router solicitations, no duplicate address detection, and MLD's
  // unsolicited reports bunched into the first milliseconds, which
  // waitUntilSettled keeps out of the capture.
  const ipv6Sysctls = ipv6
    ? ["disable_ipv6=0", "router_solicitations=0", "dad_transmits=0", "mldv2_unsolicited_report_interval=1", "mldv1_unsolicited_report_interval=1"]
    : ["disable_ipv6=1"];
  const sysctls = ["all", "default"].flatMap((scope) => ipv6Sysctls.map((setting) => `net.ipv6.conf.${scope}.${setting}`));
  await runInNamespace(ns, `sysctl -qw ${sysctls.join(" ")} && ip link set lo up`);
}

async function linkNamespaces(cliNs: string, srvNs: string, addresses: LabAddresses, ipv6: boolean): Promise<void> {
  await runHost(["ip", "-n", cliNs, "link", "add", IFACE, "type", "veth", "peer", "name", IFACE, "netns", srvNs], "host");
  const sides: Array<[string, string, string]> = [
    [cliNs, addresses.cli4, addresses.cli6],
    [srvNs, addresses.srv4, addresses.srv6],
  ];
  for (const [ns, address4, address6] of sides) {
    let commands = `ip addr add ${address4}/${addresses.prefix4} dev ${IFACE}`;
    if (ipv6) commands += ` && ip addr add ${address6}/${addresses.prefix6} dev ${IFACE} nodad`;
    await runInNamespace(ns, `${commands} && ip link set ${IFACE} up`);
  }
  for (const [ns] of sides) await waitUntilSettled(ns, ipv6);
}

const SETTLE_TIMEOUT_MS = 5000;
const MLD_REPORTS_DONE_MS = 50;

/** Waits for carrier and, with IPv6, for the link-local address and MLD reports. */
async function waitUntilSettled(ns: string, ipv6: boolean): Promise<void> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  const settled = async () => {
    const link = await runInNamespace(ns, `ip -o link show dev ${IFACE}`);
    if (!link.includes("LOWER_UP")) return false;
    if (!ipv6) return true;
    const linkLocal = await runInNamespace(ns, `ip -o -6 addr show dev ${IFACE} scope link -tentative`);
    return linkLocal.trim() !== "";
  };
  while (!(await settled())) {
    if (Date.now() > deadline) throw new Error(`[${ns}] ${IFACE} not ready after ${SETTLE_TIMEOUT_MS} ms`);
    await sleep(10);
  }
  if (ipv6) await sleep(MLD_REPORTS_DONE_MS);
}

async function vethAddresses(ns: string): Promise<string[]> {
  const json = await runInNamespace(ns, `ip -j addr show dev ${IFACE}`);
  const [link] = JSON.parse(json) as Array<{ addr_info: Array<{ local: string }> }>;
  return link.addr_info.map((info) => info.local);
}

async function deleteNamespace(ns: string): Promise<void> {
  // Whatever a traffic command left running inside would otherwise keep
  // running, detached from the namespace's name.
  const pids = await runHost(["ip", "netns", "pids", ns], "host", { allowFailure: true });
  for (const pid of pids.split(/\s+/).filter(Boolean)) {
    try {
      process.kill(Number(pid), "SIGKILL");
    } catch {
      // Already exited.
    }
  }
  await runHost(["ip", "netns", "del", ns], "host", { allowFailure: true });
}

async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

interface LabContext {
  cliNs: string;
  srvNs: string;
  addresses: LabAddresses;
  ipv6: boolean;
  workDir: string;
  background: BackgroundProcess[];
}

function makeLab({ cliNs, srvNs, addresses, ipv6, workDir, background }: LabContext): Lab {
  const srvAddress = (family: Family = 4): string => {
    if (family === 4) return addresses.srv4;
    if (!ipv6) throw new Error("IPv6 traffic in a scenario without ipv6: true");
    return addresses.srv6;
  };
  const lab: Lab = {
    cliNs,
    srvNs,
    iface: IFACE,
    cliAddr: addresses.cli4,
    srvAddr: addresses.srv4,
    ...(ipv6 ? { cliAddr6: addresses.cli6, srvAddr6: addresses.srv6 } : {}),
    workDir,

    cli: (command, options) => runInNamespace(cliNs, command, options),
    srv: (command, options) => runInNamespace(srvNs, command, options),

    spawnSrv(command) {
      const server = new BackgroundProcess(srvNs, command);
      background.push(server);
      return server;
    },

    waitPort: (port, proto, timeoutMs = WAIT_PORT_TIMEOUT_MS) => waitForListener(srvNs, port, proto, timeoutMs),

    async httpServer(port) {
      const root = join(workDir, `http-${port}`);
      await runHost(["mkdir", "-p", root], "host");
      await writeFile(join(root, "index.html"), INDEX_HTML);
      // http.server makes a "::" socket dual-stack by itself.
      const bind = ipv6 ? "::" : "0.0.0.0";
      const server = lab.spawnSrv(`${SYSTEM_PYTHON} -m http.server ${port} --bind ${bind} --directory ${root}`);
      await waitForListener(srvNs, port, "tcp", WAIT_PORT_TIMEOUT_MS, server);
    },

    async udpEcho(port) {
      const server = lab.spawnSrv(`${SYSTEM_PYTHON} ${UDP_ECHO_SCRIPT} ${port} ${ipv6 ? 6 : 4}`);
      await waitForListener(srvNs, port, "udp", WAIT_PORT_TIMEOUT_MS, server);
    },

    curl(port, { family, path = "/", connectTimeoutSeconds = 3, ...runOptions } = {}) {
      const host = family === 6 ? `[${srvAddress(6)}]` : srvAddress(4);
      return lab.cli(
        `curl -sS --noproxy '*' --connect-timeout ${connectTimeoutSeconds} --max-time 10 http://${host}:${port}${path}`,
        runOptions,
      );
    },

    ping(count, { family = 4, ...runOptions } = {}) {
      return lab.cli(`ping -${family} -n -c ${count} -i 0.2 -W 1 ${srvAddress(family)}`, runOptions);
    },

    udpSend(port, { family, payload = "ping", waitSeconds = 1, ...runOptions } = {}) {
      return lab.cli(
        `${SYSTEM_PYTHON} ${UDP_SEND_SCRIPT} ${srvAddress(family)} ${port} '${payload.replace(/'/g, "'\\''")}' ${waitSeconds}`,
        runOptions,
      );
    },
  };
  return lab;
}

/** Polls `ss` until the port listens; fails early if `server` dies first. */
async function waitForListener(
  ns: string,
  port: number,
  proto: "tcp" | "udp",
  timeoutMs: number,
  server?: BackgroundProcess,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const query = `ss -Hln${proto === "tcp" ? "t" : "u"} sport = :${port}`;
  while ((await runInNamespace(ns, query)).trim() === "") {
    if (server && !server.running) {
      throw new Error(`[${ns}] \`${server.command}\` exited: ${server.stderr.trim()}`);
    }
    if (Date.now() > deadline) throw new Error(`[${ns}] nothing listens on ${proto} port ${port} after ${timeoutMs} ms`);
    await sleep(25);
  }
}
