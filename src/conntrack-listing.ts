// The conntrack table as `conntrack -L -o extended,id` prints it
// (libnetfilter_conntrack's default format with the layer-3 prefix).
import { CtStatus, HelperKind, SctpState, TcpState } from '../assembly/abi.js';
import { type ConntrackEntry, type ConntrackTuple, hasStatus } from './conntrack-table.js';

export const TCP_STATE_NAMES: Record<TcpState, string> = {
  [TcpState.None]: 'NONE',
  [TcpState.SynSent]: 'SYN_SENT',
  [TcpState.SynRecv]: 'SYN_RECV',
  [TcpState.Established]: 'ESTABLISHED',
  [TcpState.FinWait]: 'FIN_WAIT',
  [TcpState.CloseWait]: 'CLOSE_WAIT',
  [TcpState.LastAck]: 'LAST_ACK',
  [TcpState.TimeWait]: 'TIME_WAIT',
  [TcpState.Close]: 'CLOSE',
  [TcpState.SynSent2]: 'SYN_SENT2',
  [TcpState.Max]: 'MAX',
};

export const SCTP_STATE_NAMES: Record<SctpState, string> = {
  [SctpState.None]: 'NONE',
  [SctpState.Closed]: 'CLOSED',
  [SctpState.CookieWait]: 'COOKIE_WAIT',
  [SctpState.CookieEchoed]: 'COOKIE_ECHOED',
  [SctpState.Established]: 'ESTABLISHED',
  [SctpState.ShutdownSent]: 'SHUTDOWN_SENT',
  [SctpState.ShutdownRecd]: 'SHUTDOWN_RECD',
  [SctpState.ShutdownAckSent]: 'SHUTDOWN_ACK_SENT',
  [SctpState.HeartbeatSent]: 'HEARTBEAT_SENT',
  [SctpState.Max]: 'MAX',
};

const IPPROTO_TCP = 6;
const IPPROTO_SCTP = 132;

// The state name TCP and SCTP entries carry (the byte holds both), or
// undefined for protocols without one.
export function protocolStateName(e: ConntrackEntry): string | undefined {
  if (e.l4proto === IPPROTO_TCP) return TCP_STATE_NAMES[e.tcpState];
  if (e.l4proto === IPPROTO_SCTP) return SCTP_STATE_NAMES[e.tcpState as number as SctpState];
  return undefined;
}

export const L3_NAMES: Record<number, string> = { 2: 'ipv4', 10: 'ipv6' };
export const L4_NAMES: Record<number, string> = {
  1: 'icmp',
  6: 'tcp',
  17: 'udp',
  33: 'dccp',
  47: 'gre',
  58: 'icmpv6',
  132: 'sctp',
  136: 'udplite',
};
const HELPER_NAMES: Record<HelperKind, string> = {
  [HelperKind.None]: '',
  [HelperKind.Ftp]: 'ftp',
  [HelperKind.Tftp]: 'tftp',
};
const PORT_PROTOCOLS = new Set([6, 17, 132, 136]);
const IPPROTO_GRE = 47;

export interface ConntrackListingOptions {
  // Capture time (ns) the remaining timeouts are computed at.
  now: bigint;
  // Print per-direction packets= bytes= (on when accounting is).
  accounting: boolean;
  // nf_conntrack_gre_timeout and _stream, which /proc shows for GRE.
  greTimeout: number;
  greStreamTimeout: number;
}

function pad(s: string, width: number): string {
  return s.length >= width ? s : s + ' '.repeat(width - s.length);
}

const ZONE_ORIGINAL = 1;
const ZONE_REPLY = 2;

// A zone set for one direction only is shown after that direction's tuple.
function directionZone(e: ConntrackEntry, direction: number, name: string): string {
  return e.zoneDirections === direction ? `${name}=${e.zone} ` : '';
}

export function tupleText(t: ConntrackTuple, l4: number): string {
  let s = `src=${t.src} dst=${t.dst} `;
  if (t.type !== undefined) s += `type=${t.type} code=${t.code} id=${t.id} `;
  else if (PORT_PROTOCOLS.has(l4)) s += `sport=${t.sport} dport=${t.dport} `;
  else if (l4 === IPPROTO_GRE) s += `srckey=0x${t.sport!.toString(16)} dstkey=0x${t.dport!.toString(16)} `;
  return s;
}

// Protocol, remaining timeout and TCP or SCTP state: how both formats begin.
function entryHead(e: ConntrackEntry, now: bigint): string {
  const remaining = e.expires > now ? (e.expires - now) / 1_000_000_000n : 0n;
  let s = `${pad(L3_NAMES[e.l3proto] ?? 'unknown', 8)} ${e.l3proto} `;
  s += `${pad(L4_NAMES[e.l4proto] ?? 'unknown', 8)} ${e.l4proto} ${remaining} `;
  const state = protocolStateName(e);
  if (state !== undefined) s += `${state} `;
  return s;
}

// Both tuples with their zones and counters, the flags and the mark.
function entryBody(e: ConntrackEntry, opts: ConntrackListingOptions): string {
  // The kernel's acct extension is on for every entry or none; counts only
  // grow from one, so an entry with any shows that accounting was on.
  const acct = opts.accounting || e.counters.original.packets > 0n || e.counters.reply.packets > 0n;
  let s = tupleText(e.original, e.l4proto) + directionZone(e, ZONE_ORIGINAL, 'zone-orig');
  if (acct) s += `packets=${e.counters.original.packets} bytes=${e.counters.original.bytes} `;
  if (!hasStatus(e, CtStatus.SeenReply)) s += '[UNREPLIED] ';
  s += tupleText(e.reply, e.l4proto) + directionZone(e, ZONE_REPLY, 'zone-reply');
  if (acct) s += `packets=${e.counters.reply.packets} bytes=${e.counters.reply.bytes} `;
  if (hasStatus(e, CtStatus.Assured)) s += '[ASSURED] ';
  return `${s}mark=${e.mark} `;
}

export function formatConntrackLine(e: ConntrackEntry, opts: ConntrackListingOptions): string {
  let s = entryHead(e, opts.now) + entryBody(e, opts);
  if (e.zone !== 0 && e.zoneDirections === 0) s += `zone=${e.zone} `;
  if (e.helper !== HelperKind.None) s += `helper=${HELPER_NAMES[e.helper]} `;
  return `${s}use=${e.use} id=${e.id}`;
}


// One line of /proc/net/nf_conntrack (ct_seq_show): no ids, zone= always,
// no helper, and the reference the reader itself holds counted in use=.
export function formatProcConntrackLine(e: ConntrackEntry, opts: ConntrackListingOptions): string {
  let s = entryHead(e, opts.now);
  // gre_print_conntrack: the timeouts the entry took from the sysctls.
  if (e.l4proto === IPPROTO_GRE) s += `timeout=${opts.greTimeout}, stream_timeout=${opts.greStreamTimeout} `;
  s += entryBody(e, opts);
  if (e.zoneDirections === 0) s += `zone=${e.zone} `;
  return `${s}use=${e.use + 1}`;
}

// Characters of listing handed out at a time.
const CHUNK_CHARS = 1 << 16;

// Text made a line per item, handed out in pieces of about 64 KiB: a table
// of millions of entries is written piece by piece, never held whole.
export function* chunkedLines<T>(items: Iterable<T>, line: (item: T) => string, separator = '\n'): Generator<string> {
  let chunk = '';
  for (const item of items) {
    chunk += line(item) + separator;
    if (chunk.length >= CHUNK_CHARS) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk !== '') yield chunk;
}

// The table as `conntrack -L -o extended,id` (or, with proc,
// /proc/net/nf_conntrack) lists it at time opts.now, in pieces.
export function conntrackListingChunks(entries: Iterable<ConntrackEntry>, opts: ConntrackListingOptions, proc = false): Generator<string> {
  return chunkedLines(entries, (e) => (proc ? formatProcConntrackLine(e, opts) : formatConntrackLine(e, opts)));
}
