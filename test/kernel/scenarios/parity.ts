// Replays a scenario's capture through nftwasm and compares it with what the
// kernel concluded from the same packets: per-rule counters and the
// conntrack table (ids and remaining timeouts aside).
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { compile, createFilter, type Filter } from "../../../src/index.js";
import { SYSTEM_PYTHON, kernelLabUnavailable, normalizeConntrack, parseListingCounters, runScenario, type Lab, type ScenarioOptions, type ScenarioResult } from "../lab.js";

export const unavailable = kernelLabUnavailable();
export const skipNote = unavailable ? ` (skipped: ${unavailable})` : "";

/** HTTP, UDP and ping over IPv4 and IPv6, each answered: the traffic of scenarios that read both directions of every kind of connection. */
export async function dualStackTraffic(lab: Lab): Promise<void> {
  await lab.httpServer(8000);
  await lab.udpEcho(5353);
  await lab.curl(8000);
  await lab.curl(8000, { family: 6 });
  await lab.udpSend(5353);
  await lab.udpSend(5353, { family: 6 });
  await lab.ping(2);
  await lab.ping(2, { family: 6 });
}

/** Eight quick pings, then two datagrams to a UDP echo on 5353: the traffic of scenarios that limit per source. */
export async function burstTraffic(lab: Lab): Promise<void> {
  await lab.cli(`ping -4 -n -c 8 -i 0.1 -W 1 ${lab.srvAddr}`, { allowFailure: true });
  await lab.udpEcho(5353);
  await lab.udpSend(5353);
  await lab.udpSend(5353);
}

/** An FTP session (scripts/ftp-client.py) in `mode` against pyftpdlib in `srv`, its passive data ports 50000-50010. */
export function ftpSession(mode: string, family: 4 | 6 = 4) {
  return async (lab: Lab) => {
    const dir = join(lab.workDir, "ftp");
    await lab.srv(`mkdir -p ${dir}`);
    await writeFile(join(dir, "hello.txt"), "hello over ftp\n".repeat(50));
    lab.spawnSrv(`${SYSTEM_PYTHON} -m pyftpdlib -i ${family === 6 ? "::" : "0.0.0.0"} -p 21 -d ${dir} -r 50000-50010`);
    await lab.waitPort(21, "tcp");
    const host = family === 6 ? lab.srvAddr6 : lab.srvAddr;
    await lab.cli(`${SYSTEM_PYTHON} ${script("ftp-client.py")} ${host} 21 ${mode}`);
  };
}

/**
 * srv learns cli's Ethernet address from cli's ARP request and, once it has
 * sent to cli with nothing to confirm the address (no TCP), asks again 5 s
 * later (delay_first_probe_time), maybe after the capture ended: scenarios
 * that count ARP turn that off on srv's veth (a namespace has no default
 * neighbour settings) before any traffic.
 */
export function noNeighbourProbes(lab: Lab): Promise<string> {
  return lab.srv(`sysctl -qw net.ipv4.neigh.${lab.iface}.delay_first_probe_time=600`);
}

/** Path of a helper script next to this file. */
export function script(name: string): string {
  return fileURLToPath(new URL(`./${name}`, import.meta.url));
}

export interface Parity {
  kernel: ScenarioResult;
  filter: Filter;
}

/** Runs the scenario in the kernel lab, replays its capture, and requires the same answers. */
export async function expectKernelParity(options: ScenarioOptions): Promise<Parity> {
  const kernel = await runScenario(options);
  const filter = await createFilter(compile(options.ruleset, { filename: `${options.name}.nft` }), {
    local: kernel.local,
    sysctl: options.sysctl,
  });
  filter.processCapture(kernel.pcap);
  const ours = parseListingCounters(filter.listRuleset());
  const theirs = parseListingCounters(kernel.listing);
  expect(ours, `counters of ${options.name}`).toEqual(theirs);
  expect(normalizeConntrack(filter.conntrackListing()), `conntrack table of ${options.name}`).toEqual(
    normalizeConntrack(kernel.conntrack),
  );
  return { kernel, filter };
}

