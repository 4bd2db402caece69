// Trace records printed as `nft monitor trace` prints them: a "packet:" line
// when a packet enters a base chain, then each rule that ran to its end with
// its verdict, and the policy that decided. The kernel reports nothing when
// a jumped-to chain runs out of rules. A packet something other than a rule
// dropped ends with a line of nftwasm's own naming its fate.
import { PacketFate, PacketPath, TraceKind, Verdict } from '../../assembly/abi.js';
import type { Ruleset } from '../../compiler/index.js';
import type { PacketBatch } from '../packet-batch.js';
import { beforeHooks, chainPath, FATE_NAMES, verdictName } from './names.js';
import type { Paint } from './paint.js';
import { tracePacketLine } from './trace-packet.js';

// The table --trace-filter adds to select packets; its chains are trigger
// chains, which the data plane never reports.
export const TRACE_TABLE = 'nftwasm_trace';

// Rule text by chain index and handle, from the listing nft would print
// with -a when the ruleset was loaded: nft prints the rules of its own copy
// of the ruleset, taken when the monitor started, counters and all.
function ruleTexts(ruleset: Ruleset): Map<string, string> {
  const chainIndex = new Map(ruleset.chains.map((c, i) => [`${c.family} ${c.table} ${c.name}`, i]));
  const texts = new Map<string, string>();
  let table = '';
  let chain = -1;
  for (const line of ruleset.toListing({ handles: true }).split('\n')) {
    const t = /^table (\S+) (\S+) \{/.exec(line);
    if (t) {
      table = `${t[1]} ${t[2]}`;
      continue;
    }
    const c = /^\tchain (\S+) \{/.exec(line);
    if (c) {
      chain = chainIndex.get(`${table} ${c[1]}`) ?? -1;
      continue;
    }
    if (line === '\t}') {
      chain = -1;
      continue;
    }
    const r = /^\t\t(.*) # handle (\d+)$/.exec(line);
    if (r && chain >= 0) texts.set(`${chain}:${r[2]}`, r[1]);
  }
  return texts;
}

// The trace id is the packet number in hex; a packet the host sends itself
// comes back in under a second id, as the kernel gives it one: the number
// with the top bit set.
function traceId(number: number, cameBack: boolean): string {
  return `trace id ${((number | (cameBack ? 0x80000000 : 0)) >>> 0).toString(16).padStart(8, '0')}`;
}

export class TraceFormatter {
  private readonly texts: Map<string, string>;

  // deviceNames: the host's interfaces by index (--interfaces).
  constructor(private readonly ruleset: Ruleset, private readonly paint: Paint, private readonly deviceNames: ReadonlyMap<number, string> = new Map()) {
    this.texts = ruleTexts(ruleset);
  }

  private verdictText(v: number, target: number): string {
    const text = verdictName(v, this.ruleset.chains[target]?.name);
    if (v === Verdict.Accept) return this.paint('green', text);
    if (v === Verdict.Drop) return this.paint('red', text);
    return text;
  }

  // Records of packet i of the batch, starting at record `from`; returns the
  // index of the first record of a later packet.
  lines(batch: PacketBatch, i: number, from: number, emit: (line: string) => void, json: boolean): number {
    const trace = batch.trace!;
    const number = batch.firstPacket + i;
    let id = traceId(number, false);
    let j = from;
    let lastBase = -1;
    for (; j < trace.count && trace.packet(j) === i; j++) {
      const chain = trace.chain(j);
      const kind = trace.kind(j);
      const verdict = trace.verdict(j);
      if (json) {
        emit(this.json(number, chain, kind, trace.handle(j), verdict, trace.target(j)));
        continue;
      }
      if (kind === TraceKind.Return) continue;
      const info = this.ruleset.chains[chain];
      const where = chainPath(this.ruleset, chain);
      if (info?.hook !== undefined && chain !== lastBase) {
        lastBase = chain;
        const path = trace.path(j);
        id = traceId(number, path === PacketPath.Loopback && (info.hook === 'prerouting' || info.hook === 'input'));
        const iif = this.deviceNames.get(trace.inputDevice(j));
        const oif = this.deviceNames.get(trace.outputDevice(j));
        const headers = tracePacketLine(batch.linkType(i), batch.data(i), { hook: info.hook, family: info.family, path, iif, oif });
        emit(`${id} ${where} packet: ${headers}${headers ? ' ' : ''}`);
      }
      if (kind === TraceKind.Rule) {
        const text = this.texts.get(`${chain}:${trace.handle(j)}`) ?? `handle ${trace.handle(j)}`;
        emit(`${id} ${where} rule ${text} (verdict ${this.verdictText(verdict, trace.target(j))})`);
      } else {
        const mark = trace.mark(j);
        emit(`${id} ${where} policy ${this.verdictText(verdict, 0)} ${mark ? `meta mark 0x${mark.toString(16).padStart(8, '0')} ` : ''}`);
      }
    }
    const fate = batch.fate(i);
    if (fate !== PacketFate.Filtered && !beforeHooks(fate)) {
      const name = FATE_NAMES[fate] ?? String(fate);
      emit(json ? JSON.stringify({ type: 'trace', packet: number, fate: name, verdict: 'drop' }) : `${id} fate ${name} (verdict ${this.verdictText(Verdict.Drop, 0)})`);
    }
    return j;
  }

  private json(packet: number, chain: number, kind: TraceKind, handle: number, verdict: number, target: number): string {
    const c = this.ruleset.chains[chain];
    const o: Record<string, unknown> = { type: 'trace', packet, family: c?.family, table: c?.table, chain: c?.name };
    if (c?.hook !== undefined) o.hook = c.hook;
    if (kind === TraceKind.Rule) {
      o.handle = handle;
      o.rule = this.texts.get(`${chain}:${handle}`);
      o.verdict = verdictName(verdict, this.ruleset.chains[target]?.name);
    } else if (kind === TraceKind.Policy) {
      o.policy = verdictName(verdict);
    } else {
      o.verdict = 'return';
    }
    return JSON.stringify(o);
  }
}
