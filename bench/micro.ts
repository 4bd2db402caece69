// Micro benchmarks (tinybench): each task runs a crafted capture through a
// crafted ruleset on a fresh filter, warmed by one pass over the same
// capture; costs are per packet, and per rule where the task repeats one
// kind of rule.
import { Bench } from 'tinybench';
import type { Filter } from '../src/index.js';
import { arpCapture, udpCapture } from './captures.js';
import { conntrackChain, conntrackOnly, emptyChain, repeatedRule, RULE_KINDS, setLookup, type RuleKind } from './rulesets.js';
import { freshFilter } from './in-process.js';

const RULES_PER_KIND = 20;

export interface MicroResult {
  name: string;
  nsPerPacket: number;
  // Cost of one rule, less the baseline the task is measured against.
  nsPerRule?: number;
}

interface Task {
  name: string;
  rules: string;
  capture: Uint8Array;
  baseline?: string;
  rulesPerPacket?: number;
  // What the warming pass runs instead of the capture: the connections the
  // timed pass finds in the table.
  prefill?: Uint8Array;
  sysctl?: Record<string, number>;
}

function process(filter: Filter, capture: Uint8Array): void {
  let at = 0;
  const run = filter.openCapture();
  for (;;) {
    const dest = run.space();
    const n = Math.min(dest.length, capture.length - at);
    dest.set(capture.subarray(at, at + n));
    at += n;
    run.filled(n);
    if (n === 0) break;
  }
}

export async function microBenchmarks(packets: number, iterations: number): Promise<MicroResult[]> {
  const arp = arpCapture(packets);
  const udp = udpCapture(packets, 1000);
  const distinct = udpCapture(packets, packets);
  // New connections at the rate their timeout retires them: `packets` live
  // at any time, each new one taking an expired one's slot.
  const timeout = 1;
  const gap = BigInt((timeout * 1e9) / packets);
  const steadyPrefill = udpCapture(2 * packets, 2 * packets, 0, gap);
  const steady = udpCapture(packets, packets, 2 * packets, gap);
  const tasks: Task[] = [
    { name: 'walk records (ARP: no hook)', rules: emptyChain(), capture: arp },
    { name: 'walk + parse IPv4/UDP, empty chain', rules: emptyChain(), capture: udp },
    { name: 'conntrack hit (1k UDP flows)', rules: conntrackChain(true), capture: udp },
    { name: 'conntrack miss (every tuple new)', rules: conntrackChain(false), capture: distinct },
    // Lookup and insertion with as many connections live as the capture has
    // packets: the timed pass finds every one, or adds as many more.
    { name: `conntrack hit, ${packets / 1000}k live flows`, rules: conntrackChain(true), capture: distinct, baseline: emptyChain(), rulesPerPacket: 1 },
    { name: `conntrack insert, ${packets / 1000}k live flows`, rules: conntrackChain(true), capture: steady, prefill: steadyPrefill, sysctl: { nf_conntrack_udp_timeout: timeout }, baseline: emptyChain(), rulesPerPacket: 1 },
    ...Object.keys(RULE_KINDS).map((k) => {
      const kind = k as RuleKind;
      const stateful = kind.startsWith('ct ');
      return { name: `${RULES_PER_KIND} x ${kind}`, rules: repeatedRule(kind, RULES_PER_KIND), capture: udp, baseline: stateful ? conntrackOnly() : emptyChain(), rulesPerPacket: stateful ? RULES_PER_KIND - 1 : RULES_PER_KIND };
    }),
    { name: 'set lookup, 1k addresses', rules: setLookup(1000, false), capture: udp, baseline: emptyChain(), rulesPerPacket: 1 },
    { name: 'interval set lookup, 1k ranges', rules: setLookup(1000, true), capture: udp, baseline: emptyChain(), rulesPerPacket: 1 },
  ];
  const baselines = new Map<string, Task>();
  for (const t of tasks) {
    if (t.baseline && !tasks.some((o) => o.rules === t.baseline && o.capture === t.capture) && !baselines.has(t.baseline)) {
      baselines.set(t.baseline, { name: `baseline: ${t.baseline === emptyChain() ? 'empty chain' : 'conntrack + one rule'}`, rules: t.baseline, capture: t.capture });
    }
  }
  const all = [...tasks, ...baselines.values()];
  const bench = new Bench({ iterations, time: 0, warmup: true, warmupIterations: 1, warmupTime: 0 });
  for (const t of all) {
    let filter: Filter | null = null;
    bench.add(t.name, () => process(filter!, t.capture), {
      // A first pass faults in the pages the run reaches and fills the
      // caches, so the timed pass measures the per-packet work alone.
      beforeEach: async () => {
        filter = await freshFilter(t.rules, { sysctl: t.sysctl });
        process(filter, t.prefill ?? t.capture);
      },
    });
  }
  await bench.run();
  const perPacket = new Map<string, number>();
  for (const task of bench.tasks) {
    const r = task.result;
    if (r.state !== 'completed') throw new Error(`${task.name}: ${r.state}`);
    perPacket.set(task.name, (r.latency.p50! * 1e6) / packets);
  }
  const byRules = new Map(all.map((t) => [t.rules + '\0' + String(t.capture.length), t.name]));
  return tasks.map((t) => {
    const ns = perPacket.get(t.name)!;
    if (!t.baseline) return { name: t.name, nsPerPacket: ns };
    const base = perPacket.get(byRules.get(t.baseline + '\0' + String(t.capture.length))!)!;
    return { name: t.name, nsPerPacket: ns, nsPerRule: (ns - base) / t.rulesPerPacket! };
  });
}
