// The data plane's differential fuzzer against the kernel: probe rulesets
// generated from a seed, on the local host (real programs in namespaces) and
// on the forward path (a generated capture with damaged and adversarial
// packets, replayed into a router), every counter and the conntrack table the
// kernel's. NFTWASM_FUZZ_SEED picks the run, NFTWASM_FUZZ_COUNT the scenarios
// per harness, NFTWASM_FUZZ_LONG=1 many of them; each scenario's seed is in
// every disagreement it reports, and the tally line says what was compared.
import { describe, expect, it } from "vitest";
import { Random } from "../../../bench/random.js";
import { compile, type Filter } from "../../../src/index.js";
import { liveNftReason, nftDebugText } from "../../compiler/live-nft.js";
import { ethernet, pcapFrames } from "../../dataplane/packets.js";
import { parseListingCounters, runScenario, SYSTEM_PYTHON, type Lab } from "../lab.js";
import { forwardLabUnavailable, generated, replayThroughRouter, respace } from "./forward-lab.js";
import { adversarialFlows, disagreements, FORWARD, framesOf, fuzzSettings, interleave, LOCAL, probeRuleset, scenarioSeed, withInterfaceName, withNetwork, type Target } from "./fuzz.js";
import { ftpSession, noNeighbourProbes, script, unavailable } from "./parity.js";

const { seed, count, long } = fuzzSettings(5);
const forwardSkip = unavailable ?? forwardLabUnavailable();
const TIMEOUT = (long ? 60_000 : 30_000) * Math.max(count, 1);

/** Some of the local harness's traffic, chosen by the scenario's seed; always some. */
function localTraffic(s: number): (lab: Lab) => Promise<void> {
  const r = new Random(s);
  const parts: Array<(lab: Lab) => Promise<unknown>> = [
    (lab) => lab.curl(8000),
    (lab) => lab.curl(8000, { family: 6 }),
    (lab) => lab.udpSend(5353),
    (lab) => lab.udpSend(5353, { family: 6, payload: "x".repeat(1 + r.below(400)) }),
    (lab) => lab.ping(1 + r.below(3)),
    (lab) => lab.ping(1 + r.below(2), { family: 6 }),
    // A closed port: the answer is an ICMP error, related to the datagram's entry.
    (lab) => lab.udpSend(9, { waitSeconds: 0.3, allowFailure: true }),
    (lab) => lab.curl(81, { allowFailure: true }),
    // Flag combinations conntrack calls invalid, a lone ACK, a bad checksum, a SYN to a closed port.
    (lab) => lab.cli(`${SYSTEM_PYTHON} ${script("raw-tcp.py")} ${lab.cliAddr} ${lab.srvAddr} 8000 9`),
    (lab) => lab.cli(`${SYSTEM_PYTHON} ${script("raw-protocols.py")} ${lab.srvAddr}`),
    (lab) => lab.cli(`${SYSTEM_PYTHON} ${script("raw-fragments.py")} ${lab.cliAddr} ${lab.srvAddr} 5353`),
    (lab) => lab.cli(`${SYSTEM_PYTHON} ${script("ipv4-options.py")} ${lab.srvAddr}`),
    (lab) => lab.cli(`${SYSTEM_PYTHON} ${script("udp-stream.py")} ${lab.srvAddr} 5353 3 0.4`),
  ];
  const chosen = parts.filter(() => r.chance(0.5));
  const ftp = r.chance(0.4) ? ftpSession(r.chance(0.5) ? "pasv" : "port") : undefined;
  // A client that fails under load (an answer later than it waits for)
  // leaves the scenario valid: what is compared is what the kernel saw.
  const tolerant = (part: (lab: Lab) => Promise<unknown>) => (lab: Lab) =>
    part(lab).catch((error: Error) => console.warn(`fuzz traffic of seed ${s}: ${error.message}`));
  return async (lab) => {
    // The probe rules count ARP too.
    await noNeighbourProbes(lab);
    await lab.httpServer(8000);
    await lab.udpEcho(5353);
    for (const part of chosen.length ? chosen : parts.slice(0, 1)) await tolerant(part)(lab);
    if (ftp) await tolerant(ftp)(lab);
  };
}

/** The generated capture of the scenario, its damaged and adversarial flows mixed in. */
function forwardCapture(s: number): Uint8Array {
  const r = new Random(s);
  const { pcap } = generated(1500 + r.below(2000), 50 + r.below(150), s);
  const bad = adversarialFlows(s, 3 + r.below(6)).map((flow) => flow.map((ip) => ethernet(ip)));
  return respace(pcapFrames(interleave(r, [framesOf(pcap), ...bad])), 60);
}

/** What the kernel concluded from a scenario, and nftwasm after replaying what the kernel saw. */
interface Outcome {
  listing: string;
  conntrack: string;
  filter: Filter;
}

/** Runs `count` scenarios of the harness, prints its tally line and requires no disagreement. */
async function fuzz(harness: string, target: Target, run: (s: number, ruleset: string) => Promise<Outcome>): Promise<void> {
  const found: string[] = [];
  let rules = 0;
  let matched = 0;
  for (let i = 0; i < count; i++) {
    const s = scenarioSeed(seed, i);
    const { text, probes } = probeRuleset(s, target);
    const { listing, conntrack, filter } = await run(s, text);
    const theirs = parseListingCounters(listing);
    found.push(...disagreements(theirs, parseListingCounters(filter.listRuleset()), conntrack, filter.conntrackListing()).map((d) => `seed ${s}: ${d}`));
    rules += probes;
    matched += theirs.filter((c) => c.packets > 0).length;
  }
  console.log(`fuzz tally (${harness}): ${rules} probe rules compared (${matched} of them matched packets in the kernel) over ${count} scenarios, seed ${seed}, ${found.length} disagreements`);
  expect(found).toEqual([]);
}

describe("probe rulesets", () => {
  it("are determined by the seed", () => {
    expect(probeRuleset(7, LOCAL)).toEqual(probeRuleset(7, LOCAL));
    expect(probeRuleset(7, LOCAL).text).not.toBe(probeRuleset(8, LOCAL).text);
    expect(probeRuleset(7, LOCAL).probes).toBeGreaterThanOrEqual(24);
  });

  it.skipIf(liveNftReason())("nftwasm compiles every one of the run as nft does", () => {
    for (let i = 0; i < count; i++) {
      for (const target of [LOCAL, FORWARD]) {
        const { text } = probeRuleset(scenarioSeed(seed, i), target);
        const nft = nftDebugText(text);
        expect(nft.ok, `${nft.out}\n${text}`).toBe(true);
        expect(() => compile(text, { filename: "fuzz.nft" }), text).not.toThrow();
      }
    }
  });
});

describe.skipIf(unavailable !== null)(`kernel fuzz: local host${unavailable ? ` (skipped: ${unavailable})` : ""}`, () => {
  it(`${count} probe rulesets from seed ${seed}`, { timeout: TIMEOUT }, () =>
    fuzz("local host", LOCAL, async (s, ruleset) => {
      const kernel = await runScenario({ name: `fuzz-${s}`, ruleset, ipv6: true, traffic: localTraffic(s) });
      const filter = await withNetwork(ruleset, `fuzz-${s}`, kernel, { local: kernel.local });
      filter.processCapture(withInterfaceName(kernel.pcap, "eth0"));
      return { ...kernel, filter };
    }));
});

describe.skipIf(forwardSkip !== null)(`kernel fuzz: forward path${forwardSkip ? ` (skipped: ${forwardSkip})` : ""}`, () => {
  it(`${count} probe rulesets from seed ${seed} over generated and adversarial captures`, { timeout: TIMEOUT }, () =>
    fuzz("forward path", FORWARD, async (s, ruleset) => {
      const kernel = await replayThroughRouter(forwardCapture(s), ruleset);
      const filter = await withNetwork(ruleset, `fuzz-${s}`, kernel);
      filter.processCapture(withInterfaceName(kernel.seen, "in1"));
      return { ...kernel, filter };
    }));
});
