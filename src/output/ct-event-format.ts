// Conntrack events as `conntrack -E -o timestamp,extended,id` prints them, or
// as JSON objects for --json.
import { CtEvent, CtStatus } from '../../assembly/abi.js';
import { hasStatus, type ConntrackEntry, type ConntrackTuple } from '../conntrack-table.js';
import { L3_NAMES, L4_NAMES, protocolStateName, tupleText } from '../conntrack-listing.js';
import { CT_EVENT_NAMES } from '../ct-event-batch.js';
import { secondsText } from './names.js';
import type { Paint } from './style.js';

const EVENT_COLOURS = { [CtEvent.New]: 'green', [CtEvent.Update]: 'cyan', [CtEvent.Destroy]: 'red' } as const;

function pad(s: string, width: number): string {
  return s.length >= width ? s : s + ' '.repeat(width - s.length);
}

export function ctEventLine(type: CtEvent, e: ConntrackEntry, timeNs: bigint, accounting: boolean, paint: Paint): string {
  const tag = `[${CT_EVENT_NAMES[type]}]`;
  let s = `[${secondsText(timeNs, 6)}]\t${paint(EVENT_COLOURS[type], tag.padStart(9))} `;
  s += `${pad(L3_NAMES[e.l3proto] ?? 'unknown', 8)} ${e.l3proto} ${pad(L4_NAMES[e.l4proto] ?? 'unknown', 8)} ${e.l4proto} `;
  // conntrack prints neither timeout nor state for an entry that is gone.
  if (type !== CtEvent.Destroy) {
    const left = e.expires > timeNs ? (e.expires - timeNs) / 1_000_000_000n : 0n;
    s += `${left} `;
    const state = protocolStateName(e);
    if (state !== undefined) s += `${state} `;
  }
  s += tupleText(e.original, e.l4proto);
  if (accounting) s += `packets=${e.counters.original.packets} bytes=${e.counters.original.bytes} `;
  if (!hasStatus(e, CtStatus.SeenReply)) s += '[UNREPLIED] ';
  s += tupleText(e.reply, e.l4proto);
  if (accounting) s += `packets=${e.counters.reply.packets} bytes=${e.counters.reply.bytes} `;
  if (hasStatus(e, CtStatus.Assured)) s += '[ASSURED] ';
  s += `mark=${e.mark} `;
  if (e.zone !== 0) s += `zone=${e.zone} `;
  return `${s}id=${e.id}`;
}

// An entry's fields as JSON, for events and for the table at the end: those
// `conntrack -o xml` gives (tuples, timeout, state, mark, zone, id,
// counters with accounting on), under plain names.
export function ctEntryFields(e: ConntrackEntry, now: bigint, gone = false, accounting = false): Record<string, unknown> {
  const o: Record<string, unknown> = {
    id: e.id,
    l3proto: L3_NAMES[e.l3proto] ?? e.l3proto,
    l4proto: L4_NAMES[e.l4proto] ?? e.l4proto,
  };
  if (!gone) {
    o.timeout = Number(e.expires > now ? (e.expires - now) / 1_000_000_000n : 0n);
    const state = protocolStateName(e);
    if (state !== undefined) o.state = state;
  }
  o.original = { ...e.original };
  o.reply = { ...e.reply };
  if (accounting) {
    o.counters = {
      original: { packets: Number(e.counters.original.packets), bytes: Number(e.counters.original.bytes) },
      reply: { packets: Number(e.counters.reply.packets), bytes: Number(e.counters.reply.bytes) },
    };
  }
  o.assured = hasStatus(e, CtStatus.Assured);
  o.seenReply = hasStatus(e, CtStatus.SeenReply);
  o.mark = e.mark;
  if (e.zone !== 0) o.zone = e.zone;
  return o;
}

export function ctEventJson(type: CtEvent, e: ConntrackEntry, timeNs: bigint, packet: number | null): string {
  return JSON.stringify({
    type: 'ct-event',
    event: CT_EVENT_NAMES[type].toLowerCase(),
    time: secondsText(timeNs),
    packet,
    ...ctEntryFields(e, timeNs, type === CtEvent.Destroy),
  });
}
