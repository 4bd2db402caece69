// Conntrack events under `ct event set`: the kernel's conntrack -E against
// the events nftwasm reports for the same capture.
//
// What the kernel reports is taken as it comes, not hoped for:
// - conntrack -E is known to listen, and to have received everything, when
//   it prints a marker entry inserted by hand before and after the traffic
//   (the markers are no packets, so nftwasm never sees them);
// - the kernel delivers a connection's cached events once, with the state of
//   that moment (nf_ct_deliver_cached_events): when two packets of one
//   connection are handled at once on two CPUs, their two events arrive as
//   one, typed as the first and showing the state after the second. So each
//   connection's kernel events must be nftwasm's with such runs merged;
// - the traffic runs on one CPU, so that conntrack handles the packets in
//   the order tcpdump captures them (a FIN and an ACK crossing on two CPUs
//   may be captured in the other order).
import { execFileSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CtEvent } from "../../../assembly/abi.js";
import { compile, createFilter } from "../../../src/index.js";
import { ctEventLine } from "../../../src/output/ct-event-format.js";
import { runScenario, type Lab } from "../lab.js";
import { webTraffic } from "../web-traffic.js";
import { skipNote, unavailable } from "./parity.js";

const EXAMPLE_RULESET = new URL("../../../examples/web.nft", import.meta.url);
const MARKER_SOURCE = "192.0.2.1";
const EVENTS_TIMEOUT_MS = 10_000;
const FIRST_MARKER_TIMEOUT_MS = 1000;

interface Event {
  type: "NEW" | "UPDATE" | "DESTROY";
  connection: string;
  // State and flags: what a merged event shows of the later one.
  content: string;
}

// A line of conntrack -E (with or without the timestamp, extended and id
// outputs): its type, the original tuple naming the connection, and its state
// and flags.
function parseEvent(line: string): Event {
  const m = /\[(NEW|UPDATE|DESTROY)\]\s+(?:ipv[46]\s+\d+\s+)?(\S+)\s+\d+\s+(?:\d+\s+)?([A-Z_]+\s+)?(src=.*)$/.exec(line);
  if (!m) throw new Error(`not a conntrack event: ${line}`);
  const tuples = m[4]!.replace(/ id=\d+$/, "").replace(/ (packets|bytes|mark|zone|use)=\S+/g, "");
  const [original] = tuples.split(/ (?=src=)/);
  return {
    type: m[1] as Event["type"],
    connection: `${m[2]} ${original!.replace(" [UNREPLIED]", "")}`,
    content: `${m[3]?.trim() ?? ""}${line.includes("[UNREPLIED]") ? " unreplied" : ""}${line.includes("[ASSURED]") ? " assured" : ""}`,
  };
}

// Whether the kernel's events of one connection are ours with some runs of
// an event and the UPDATEs right after it delivered as one.
function mergedFrom(ours: Event[], theirs: Event[]): boolean {
  if (theirs.length === 0) return ours.length === 0;
  if (ours.length === 0) return false;
  const [head, ...rest] = theirs;
  if (ours[0]!.type !== head!.type) return false;
  for (let end = 0; end < ours.length && (end === 0 || ours[end]!.type === "UPDATE"); end++) {
    if (ours[end]!.content === head!.content && mergedFrom(ours.slice(end + 1), rest)) return true;
  }
  return false;
}

function byConnection(events: Event[]): Map<string, Event[]> {
  const map = new Map<string, Event[]>();
  for (const e of events) map.set(e.connection, [...(map.get(e.connection) ?? []), e]);
  return map;
}

async function waitForLine(lab: Lab, file: string, needle: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await readFile(file, "utf8").catch(() => "")).includes(needle)) {
    if (Date.now() > deadline) throw new Error(`[${lab.srvNs}] conntrack -E never printed ${needle}`);
    await sleep(20);
  }
}

/** An entry inserted by hand, and the wait until conntrack -E has printed its NEW. */
async function marker(lab: Lab, file: string, port: number, timeoutMs = EVENTS_TIMEOUT_MS): Promise<void> {
  await lab.srv(`conntrack -I -p udp -s ${MARKER_SOURCE} -d 192.0.2.2 --sport ${port} --dport ${port} -t 30 2>/dev/null`);
  await waitForLine(lab, file, `src=${MARKER_SOURCE} dst=192.0.2.2 sport=${port} dport=${port}`, timeoutMs);
}

async function compareEvents(statement: string): Promise<Event[]> {
  const ruleset = `${await readFile(EXAMPLE_RULESET, "utf8")}table inet mask {\n\tchain pre {\n\t\ttype filter hook prerouting priority filter; policy accept;\n\t\t${statement}\n\t}\n}\n`;
  let kernelEvents = "";
  const kernel = await runScenario({
    name: `events ${statement}`,
    ruleset,
    traffic: async (lab) => {
      const file = `${lab.workDir}/events.txt`;
      lab.spawnSrv(`stdbuf -oL conntrack -E > ${file} 2>/dev/null`);
      // Until it prints something, whether it listens yet is unknown: the
      // first marker is retried.
      for (let port = 1; ; port++) {
        try {
          await marker(lab, file, port, FIRST_MARKER_TIMEOUT_MS);
          break;
        } catch (error) {
          if (port === 3) throw error;
        }
      }
      await webTraffic(lab);
      await marker(lab, file, 100);
      kernelEvents = await readFile(file, "utf8");
    },
  });
  const filter = await createFilter(compile(ruleset), { local: kernel.local, events: true });
  const ours: Event[] = [];
  filter.processCapture(kernel.pcap, (batch) => {
    const ev = batch.events!;
    for (let j = 0; j < ev.count; j++) ours.push(parseEvent(ctEventLine(ev.type(j) as CtEvent, ev.entry(j), ev.timeNs(j), false, (_, t) => t)));
  });
  const theirs = kernelEvents
    .split("\n")
    .filter((l) => l.trim() !== "" && !l.includes(`src=${MARKER_SOURCE} `))
    .map(parseEvent);
  const mine = byConnection(ours);
  const kernelByConnection = byConnection(theirs);
  // The traffic opens one connection after the other.
  expect([...mine.keys()], kernelEvents).toEqual([...kernelByConnection.keys()]);
  for (const [connection, events] of kernelByConnection) {
    const explained = mergedFrom(mine.get(connection)!, events);
    expect(explained, `${connection}\nkernel: ${JSON.stringify(events)}\nnftwasm: ${JSON.stringify(mine.get(connection))}`).toBe(true);
  }
  return theirs;
}

// Child processes inherit the test's CPU affinity: the servers, clients,
// tcpdump and the softirqs their packets raise all stay on one CPU.
let affinity = "";
beforeAll(() => {
  if (unavailable !== null) return;
  affinity = /: (\S+)$/.exec(execFileSync("taskset", ["-p", String(process.pid)], { encoding: "utf8" }).trim())![1]!;
  execFileSync("taskset", ["-a", "-p", "1", String(process.pid)], { stdio: "ignore" });
});
afterAll(() => {
  if (affinity !== "") execFileSync("taskset", ["-a", "-p", affinity, String(process.pid)], { stdio: "ignore" });
});

describe.skipIf(unavailable !== null)(`kernel parity: ct event set${skipNote}`, () => {
  it("no mask: every event", { timeout: 60_000 }, async () => {
    const events = await compareEvents("counter");
    expect(events.filter((e) => e.type === "NEW")).toHaveLength(7);
  });

  it("ct event set new: only NEW events", { timeout: 60_000 }, async () => {
    expect(new Set((await compareEvents("ct event set new")).map((e) => e.type))).toEqual(new Set(["NEW"]));
  });

  // A packet's events are delivered together when any is in the mask: a
  // TCP connection's first packet also changes its state, so its NEW shows;
  // UDP and ICMP, whose state never changes, show nothing.
  it("ct event set protoinfo: TCP state changes, with the NEW they came with", { timeout: 60_000 }, async () => {
    const events = await compareEvents("ct event set protoinfo");
    expect(events.filter((e) => e.type === "NEW")).toHaveLength(3);
  });
});
