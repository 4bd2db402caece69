// Conntrack events under `ct event set`: the kernel's conntrack -E against
// the events nftwasm reports for the same capture.
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { compile, createFilter } from "../../../src/index.js";
import { CT_EVENT_NAMES } from "../../../src/ct-event-batch.js";
import { runScenario } from "../lab.js";
import { webTraffic } from "../web-traffic.js";
import { skipNote, unavailable } from "./parity.js";

const EXAMPLE_RULESET = new URL("../../../examples/web.nft", import.meta.url);

async function compareEvents(statement: string): Promise<string[]> {
  const ruleset = `${await readFile(EXAMPLE_RULESET, "utf8")}table inet mask {\n\tchain pre {\n\t\ttype filter hook prerouting priority filter; policy accept;\n\t\t${statement}\n\t}\n}\n`;
  let kernelEvents = "";
  const kernel = await runScenario({
    name: `events ${statement}`,
    ruleset,
    traffic: async (lab) => {
      const file = `${lab.workDir}/events.txt`;
      lab.spawnSrv(`stdbuf -oL conntrack -E > ${file} 2>/dev/null`);
      await new Promise((r) => setTimeout(r, 300));
      await webTraffic(lab);
      await new Promise((r) => setTimeout(r, 500));
      kernelEvents = await lab.srv(`cat ${file}`);
    },
  });
  const filter = await createFilter(compile(ruleset), { local: kernel.local, events: true });
  const ours: string[] = [];
  filter.processCapture(kernel.pcap, (batch) => {
    const ev = batch.events!;
    for (let j = 0; j < ev.count; j++) ours.push(CT_EVENT_NAMES[ev.type(j)]);
  });
  const theirs = kernelEvents.trim().split("\n").filter(Boolean).map((l) => /\[(NEW|UPDATE|DESTROY)\]/.exec(l)![1]);
  expect(ours.map((e) => e.toUpperCase()), kernelEvents).toEqual(theirs);
  return theirs;
}

describe.skipIf(unavailable !== null)(`kernel parity: ct event set${skipNote}`, () => {
  it("no mask: every event, in the kernel's order", { timeout: 60_000 }, async () => {
    const events = await compareEvents("counter");
    expect(events.filter((e) => e === "NEW")).toHaveLength(7);
  });

  it("ct event set new: only NEW events", { timeout: 60_000 }, async () => {
    expect(new Set(await compareEvents("ct event set new"))).toEqual(new Set(["NEW"]));
  });

  // A packet's events are delivered together when any is in the mask: a
  // TCP connection's first packet also changes its state, so its NEW shows;
  // UDP and ICMP, whose state never changes, show nothing.
  it("ct event set protoinfo: TCP state changes, with the NEW they came with", { timeout: 60_000 }, async () => {
    const events = await compareEvents("ct event set protoinfo");
    expect(events.filter((e) => e === "NEW")).toHaveLength(3);
  });
});
