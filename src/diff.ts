// What a ruleset change does to real traffic: one capture replayed through
// two rulesets, packet by packet, and the connections whose packets meet
// another verdict under the new one.
import { CtEvent, PacketFate } from '../assembly/abi.js';
import type { Ruleset } from '../compiler/index.js';
import { createFilter, type CaptureReader, type FilterOptions } from './filter.js';
import { entryFlow, flowKey, flowOf, type Flow } from './flow.js';
import { FATE_NAMES, secondsText } from './output/names.js';
import type { PacketBatch } from './packet-batch.js';
import { ruleTexts } from './rule-text.js';

// What decided a packet: a rule (by handle, with its text), a chain's
// policy, or, for packets no hook saw, their fate.
export interface Decider {
  family?: string;
  table?: string;
  chain?: string;
  handle?: number;
  rule?: string;
  policy?: 'accept' | 'drop';
  fate?: string;
}

export interface DiffSide {
  accepted: number;
  dropped: number;
  // What decided the connection's first packet whose verdict changed.
  decided: Decider;
}

export interface FlowChange {
  flow: Flow;
  packets: number;
  changedPackets: number;
  // The first packet (numbered from 1) whose verdict changed, and its time.
  firstPacket: number;
  time: string;
  // Whose packets the change drops, accepts, or both.
  now: 'dropped' | 'accepted' | 'both';
  old: DiffSide;
  new: DiffSide;
}

export interface DiffSummary {
  flows: number;
  packets: number;
  changedFlows: number;
  changedPackets: number;
  // Connections with packets that only lost (accepted before, dropped now),
  // only gained, or both.
  nowDropped: number;
  nowAccepted: number;
  mixed: number;
}

export interface DiffResult {
  changes: FlowChange[];
  summary: DiffSummary;
}

// Per packet of the old run: verdict (1 accept), the deciding chain and rule.
class Decisions {
  verdict = new Uint8Array(1 << 16);
  chain = new Int32Array(1 << 16);
  handle = new Uint32Array(1 << 16);
  fate = new Uint8Array(1 << 16);
  count = 0;

  add(batch: PacketBatch): void {
    const need = this.count + batch.count;
    if (need > this.verdict.length) {
      let size = this.verdict.length;
      while (size < need) size *= 2;
      const grow = <T extends Uint8Array | Int32Array | Uint32Array>(a: T, make: (n: number) => T): T => {
        const b = make(size);
        b.set(a);
        return b;
      };
      this.verdict = grow(this.verdict, (n) => new Uint8Array(n));
      this.chain = grow(this.chain, (n) => new Int32Array(n));
      this.handle = grow(this.handle, (n) => new Uint32Array(n));
      this.fate = grow(this.fate, (n) => new Uint8Array(n));
    }
    for (let i = 0; i < batch.count; i++) {
      const at = batch.firstPacket - 1 + i;
      this.verdict[at] = batch.accepted(i) ? 1 : 0;
      this.chain[at] = batch.chain(i);
      this.handle[at] = batch.handle(i);
      this.fate[at] = batch.fate(i);
    }
    this.count = need;
  }
}

function decider(ruleset: Ruleset, texts: Map<string, string>, fate: number, chainIndex: number, handle: number): Decider {
  if (fate !== PacketFate.Filtered) return { fate: FATE_NAMES[fate as PacketFate] ?? String(fate) };
  const chain = chainIndex >= 0 ? ruleset.chains[chainIndex] : undefined;
  if (!chain) return { policy: 'accept' };
  const where = { family: chain.family, table: chain.table, chain: chain.name };
  if (handle === 0) return { ...where, policy: chain.policy ?? 'accept' };
  return { ...where, handle, rule: texts.get(`${chain.family} ${chain.table} ${handle}`) ?? '' };
}

interface FlowTally {
  flow: Flow;
  packets: number;
  changed: number;
  oldAccepted: number;
  newAccepted: number;
  lost: number;
  gained: number;
  first?: { packet: number; time: string; old: Decider; new: Decider };
}

/**
 * Replays one capture through both rulesets (`open` gives a fresh reader
 * of it for each run) with the same options, and reports every connection
 * whose packets meet another verdict.
 */
export async function diffRulesets(oldRuleset: Ruleset, newRuleset: Ruleset, open: () => CaptureReader, options: FilterOptions = {}, source?: string): Promise<DiffResult> {
  const before = new Decisions();
  const oldFilter = await createFilter(oldRuleset, options);
  oldFilter.processReader(open(), (batch) => before.add(batch), source);
  const oldTexts = ruleTexts(oldRuleset);
  const newTexts = ruleTexts(newRuleset);
  const flows = new Map<string, FlowTally>();
  const unkeyed: Flow = { family: 'ipv4', protocol: 0, src: '', dst: '' };
  let packets = 0;
  // A packet of a conntrack entry belongs to the flow of the entry's
  // original tuple, which NEW events give: NAT leaves the packets of the
  // two directions with addresses that are not each other's swapped.
  const byEntry = new Map<number, FlowTally>();
  const entryFlows = new Map<number, Flow>();
  const newFilter = await createFilter(newRuleset, { ...options, events: true });
  newFilter.processReader(open(), (batch) => {
    const events = batch.events!;
    for (let j = 0; j < events.count; j++) {
      if (events.type(j) !== CtEvent.New) continue;
      const entry = events.entry(j);
      entryFlows.set(entry.id, entryFlow(entry));
    }
    for (let i = 0; i < batch.count; i++) {
      const at = batch.firstPacket - 1 + i;
      if (at >= before.count) continue;
      const id = batch.ctId(i);
      let tally = id !== 0 ? byEntry.get(id) : undefined;
      if (!tally) {
        const original = id !== 0 ? entryFlows.get(id) : undefined;
        const identity = original ? { key: flowKey(original), flow: original } : flowOf(batch.linkType(i), batch.data(i));
        const key = identity?.key ?? '';
        tally = flows.get(key);
        if (!tally) {
          tally = { flow: identity?.flow ?? unkeyed, packets: 0, changed: 0, oldAccepted: 0, newAccepted: 0, lost: 0, gained: 0 };
          flows.set(key, tally);
        }
        if (id !== 0) {
          byEntry.set(id, tally);
          entryFlows.delete(id);
        }
      }
      packets++;
      tally.packets++;
      const was = before.verdict[at] === 1;
      const now = batch.accepted(i);
      if (was) tally.oldAccepted++;
      if (now) tally.newAccepted++;
      if (was === now) continue;
      tally.changed++;
      if (was) tally.lost++;
      else tally.gained++;
      tally.first ??= {
        packet: at + 1,
        time: secondsText(batch.timeNs(i)),
        old: decider(oldRuleset, oldTexts, before.fate[at], before.chain[at], before.handle[at]),
        new: decider(newRuleset, newTexts, batch.fate(i), batch.chain(i), batch.handle(i)),
      };
    }
  }, source);
  const changes: FlowChange[] = [];
  const summary: DiffSummary = { flows: flows.size, packets, changedFlows: 0, changedPackets: 0, nowDropped: 0, nowAccepted: 0, mixed: 0 };
  for (const t of flows.values()) {
    if (!t.first) continue;
    summary.changedFlows++;
    summary.changedPackets += t.changed;
    if (t.lost && t.gained) summary.mixed++;
    else if (t.lost) summary.nowDropped++;
    else summary.nowAccepted++;
    changes.push({
      flow: t.flow,
      packets: t.packets,
      changedPackets: t.changed,
      firstPacket: t.first.packet,
      time: t.first.time,
      now: t.lost && t.gained ? 'both' : t.lost ? 'dropped' : 'accepted',
      old: { accepted: t.oldAccepted, dropped: t.packets - t.oldAccepted, decided: t.first.old },
      new: { accepted: t.newAccepted, dropped: t.packets - t.newAccepted, decided: t.first.new },
    });
  }
  changes.sort((a, b) => a.firstPacket - b.firstPacket);
  return { changes, summary };
}
