// A capture run through a ruleset in this page, and the trace of one of its
// packets: the same filter, JSON words and trace lines as the command line.
import { createFilter, type RuleCoverage, type Ruleset } from '../src/browser.js';
import { packetJson } from '../src/output/packet-json.js';
import { secondsText } from '../src/output/names.js';
import { packetSummary } from '../src/output/packet-summary.js';
import { TraceFormatter } from '../src/output/trace-format.js';

export interface PacketRow {
  number: number;
  // Capture time, and seconds since the first packet.
  time: string;
  since: string;
  verdict: 'accept' | 'drop';
  // Why no hook saw the packet (not-ip, malformed, fragment), or what other
  // than a rule dropped it (martian, ttl-exceeded, ...).
  fate?: string;
  state?: string;
  direction?: 'original' | 'reply';
  ctId?: number;
  decided: string;
  summary: string;
}

export interface RunResult {
  rows: PacketRow[];
  listing: string;
  // The listing with handles, and how many packets reached and matched
  // each rule.
  coverage: { listing: string; rules: RuleCoverage[] };
  conntrack: string;
  conntrackEntries: number;
  accepted: number;
  dropped: number;
  notEvaluated: number;
  milliseconds: number;
}

interface PacketJson {
  packet: number;
  time: string;
  verdict: 'accept' | 'drop';
  fate?: string;
  decided?: { chain: string; handle?: number; policy?: string };
  ct?: { state: string; direction?: 'original' | 'reply'; id?: number };
}

function decidedText(p: PacketJson): string {
  if (p.fate) return p.fate;
  const d = p.decided;
  if (!d) return '—';
  return d.handle !== undefined ? `${d.chain} handle ${d.handle}` : `${d.chain} policy ${d.policy}`;
}

export async function runCapture(ruleset: Ruleset, capture: Uint8Array, local: string[]): Promise<RunResult> {
  const started = performance.now();
  const filter = await createFilter(ruleset, { local, coverage: true });
  const rows: PacketRow[] = [];
  let first: bigint | null = null;
  const stats = filter.processCapture(capture, (batch) => {
    for (let i = 0; i < batch.count; i++) {
      const p = JSON.parse(packetJson(ruleset, batch, i)) as PacketJson;
      const ns = batch.timeNs(i);
      first ??= ns;
      rows.push({
        number: p.packet,
        time: p.time,
        since: secondsText(ns - first, 6),
        verdict: p.verdict,
        fate: p.fate,
        state: p.ct?.state,
        direction: p.ct?.direction,
        ctId: p.ct?.id,
        decided: decidedText(p),
        summary: packetSummary(batch.linkType(i), batch.data(i)),
      });
    }
  });
  return {
    rows,
    listing: filter.listRuleset(),
    coverage: { listing: filter.listRuleset({ handles: true }), rules: filter.coverage() },
    conntrack: filter.conntrackListing(),
    conntrackEntries: stats.conntrackEntries,
    accepted: stats.accepted,
    dropped: stats.dropped,
    notEvaluated: stats.notEvaluated,
    milliseconds: performance.now() - started,
  };
}

// The capture is run again with only this packet traced: tracing every
// packet of a large capture on the first run would cost far more.
export async function tracePacket(ruleset: Ruleset, capture: Uint8Array, local: string[], packet: number): Promise<string[]> {
  const filter = await createFilter(ruleset, { local, trace: { packets: [packet] } });
  const formatter = new TraceFormatter(ruleset, (_colour, text) => text);
  const lines: string[] = [];
  filter.processCapture(capture, (batch) => {
    const i = packet - batch.firstPacket;
    if (!batch.trace || i < 0 || i >= batch.count) return;
    let from = 0;
    while (from < batch.trace.count && batch.trace.packet(from) !== i) from++;
    formatter.lines(batch, i, from, (line) => lines.push(line), false);
    if (batch.trace.truncated) lines.push('… the trace buffer filled up: later records of this packet are missing');
  });
  return lines;
}
