// A ruleset diff as people read it (one paragraph per changed connection
// and a summary line) and as programs read it (one JSON object per line).
import type { Decider, DiffResult, DiffSide, FlowChange } from '../diff.js';
import { protocolName, type Flow } from '../flow.js';

function endpoint(address: string, port: number | undefined, family: Flow['family']): string {
  if (port === undefined) return address;
  return family === 'ipv6' ? `[${address}]:${port}` : `${address}:${port}`;
}

export function flowText(flow: Flow): string {
  const name = protocolName(flow.protocol);
  const icmp = flow.type !== undefined ? ` type ${flow.type} code ${flow.code}${flow.id !== undefined ? ` id ${flow.id}` : ''}` : '';
  return `${name} ${endpoint(flow.src, flow.sport, flow.family)} -> ${endpoint(flow.dst, flow.dport, flow.family)}${icmp}`;
}

export function deciderText(d: Decider): string {
  if (d.fate) return `not filtered (${d.fate})`;
  const where = d.family ? `${d.family} ${d.table} ${d.chain}` : '';
  if (d.handle !== undefined) return `rule "${d.rule}" (${where} handle ${d.handle})`;
  return where ? `policy ${d.policy} (${where})` : `no chain (${d.policy})`;
}

function sideText(label: string, side: DiffSide): string {
  return `  ${label}: ${side.accepted} accepted, ${side.dropped} dropped; decided by ${deciderText(side.decided)}\n`;
}

export function changeText(c: FlowChange): string {
  return `${flowText(c.flow)}: ${c.changedPackets} of ${c.packets} packets change, the first #${c.firstPacket} at ${c.time}\n`
    + sideText('old', c.old) + sideText('new', c.new);
}

export function summaryText(r: DiffResult): string {
  const s = r.summary;
  return `nftwasm diff: ${s.flows} connections and ${s.packets} packets compared; ${s.changedFlows} connections change fate `
    + `(${s.nowDropped} now dropped, ${s.nowAccepted} now accepted, ${s.mixed} both), ${s.changedPackets} packets\n`;
}

function flowJson(flow: Flow): Record<string, unknown> {
  const o: Record<string, unknown> = { family: flow.family, protocol: protocolName(flow.protocol), src: flow.src, dst: flow.dst };
  if (flow.sport !== undefined) Object.assign(o, { sport: flow.sport, dport: flow.dport });
  if (flow.type !== undefined) Object.assign(o, { type: flow.type, code: flow.code }, flow.id !== undefined ? { id: flow.id } : {});
  return o;
}

export function changeJson(c: FlowChange): string {
  return JSON.stringify({
    flow: flowJson(c.flow),
    packets: c.packets,
    changed_packets: c.changedPackets,
    first_packet: c.firstPacket,
    time: c.time,
    old: c.old,
    new: c.new,
  });
}

export function summaryJson(r: DiffResult): string {
  const s = r.summary;
  return JSON.stringify({
    summary: {
      flows: s.flows, packets: s.packets, changed_flows: s.changedFlows, changed_packets: s.changedPackets,
      now_dropped: s.nowDropped, now_accepted: s.nowAccepted, mixed: s.mixed,
    },
  });
}
