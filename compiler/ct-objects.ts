// ct timeout and ct expectation objects: what nft's ct_timeout_evaluate and
// ct_expect_evaluate make of them, their listing (rule.c's obj_print_data)
// and libnftnl's debug text.
import type { CtExpectDecl, CtTimeoutDecl, Expr } from './ast.js';
import { NftError } from './errors.js';

const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;

// nft's timeout_protocol: the states of each protocol in the order of its
// timeout array (NFTNL_CTTIMEOUT_*), and the timeouts nft sends for those
// a policy does not name.
const STATES: Readonly<Record<number, readonly [string, number, string][]>> = {
  [IPPROTO_TCP]: [
    ['syn_sent', 120, 'SYN_SENT'], ['syn_recv', 60, 'SYN_RECV'], ['established', 432000, 'ESTABLISHED'],
    ['fin_wait', 120, 'FIN_WAIT'], ['close_wait', 60, 'CLOSE_WAIT'], ['last_ack', 30, 'LAST_ACK'],
    ['time_wait', 120, 'TIME_WAIT'], ['close', 10, 'CLOSE'], ['syn_sent2', 120, 'SYN_SENT2'],
    ['retrans', 300, 'RETRANS'], ['unack', 300, 'UNACKNOWLEDGED'],
  ],
  [IPPROTO_UDP]: [['unreplied', 30, 'UNREPLIED'], ['replied', 120, 'REPLIED']],
};

// libnftnl prints the timeouts that differ from its own defaults, which
// differ from nft's in UDP's replied one.
const LIBNFTNL_DEFAULTS: Readonly<Record<number, readonly number[]>> = {
  [IPPROTO_TCP]: STATES[IPPROTO_TCP]!.map(([, d]) => d),
  [IPPROTO_UDP]: [30, 180],
};

const FAMILIES: Readonly<Record<string, number>> = { ip: 2, ip6: 10, inet: 1 };
const FAMILY_NAMES: Readonly<Record<number, string>> = { 2: 'ip', 10: 'ip6', 1: 'inet' };

export interface CtTimeoutModel {
  kind: 'cttimeout';
  name: string;
  handle: number;
  // Its place among the ruleset's ct timeouts.
  index: number;
  l4proto: number;
  // As given (0: none, the table's), and as the kernel keeps it.
  l3proto: number;
  family: number;
  // Seconds for each state of the protocol, in its array's order.
  timeouts: number[];
}

export interface CtExpectModel {
  kind: 'ctexpect';
  name: string;
  handle: number;
  index: number;
  l4proto: number;
  dport: number;
  timeoutMs: bigint;
  size: number;
  l3proto: number;
  family: number;
}

function families(l3proto: string | undefined, tableFamily: string): { l3proto: number; family: number } {
  const given = l3proto !== undefined ? FAMILIES[l3proto] ?? 0 : 0;
  return { l3proto: given, family: given || (FAMILIES[tableFamily] ?? 0) };
}

function protocolNumber(name: string | undefined): number {
  return name === 'tcp' ? IPPROTO_TCP : name === 'udp' ? IPPROTO_UDP : 0;
}

export function evaluateCtTimeout(o: CtTimeoutDecl, tableFamily: string, handle: number, index: number): CtTimeoutModel {
  const l4proto = protocolNumber(o.protocol);
  const states = STATES[l4proto] ?? [];
  const timeouts = states.map(([, d]) => d);
  for (const p of o.policy) {
    const i = states.findIndex(([name]) => name === p.state);
    if (i < 0) throw NftError.at(p.loc, `invalid state for this protocol`);
    timeouts[i] = Number(p.seconds & 0xffffffffn);
  }
  return { kind: 'cttimeout', name: o.name, handle, index, l4proto, ...families(o.l3proto, tableFamily), timeouts };
}

export function evaluateCtExpect(o: CtExpectDecl, tableFamily: string, handle: number, index: number, time: (e: Expr) => bigint): CtExpectModel {
  const timeoutMs = o.timeout ? time(o.timeout) : 0n;
  const l4proto = protocolNumber(o.protocol);
  if (!l4proto || !o.dport || !timeoutMs || !o.size) throw NftError.at(o.loc, `missing options`);
  return { kind: 'ctexpect', name: o.name, handle, index, l4proto, dport: o.dport & 0xffff, timeoutMs, size: o.size & 0xff, ...families(o.l3proto, tableFamily) };
}

export function ctObjectText(o: CtTimeoutModel | CtExpectModel, header: string, time: (ms: bigint) => string): string {
  const proto = o.l4proto === IPPROTO_TCP ? 'tcp' : 'udp';
  const l3 = FAMILY_NAMES[o.family] ?? 'unknown';
  if (o.kind === 'ctexpect') {
    return `\tct expectation ${header}\n\t\tprotocol ${proto}\n\t\tdport ${o.dport}\n\t\ttimeout ${time(o.timeoutMs)}\n\t\tsize ${o.size}\n\t\tl3proto ${l3}\n\t}\n`;
  }
  const states = STATES[o.l4proto] ?? [];
  const policy = states.flatMap(([name, d], i) => (o.timeouts[i] !== d ? [`${name} : ${o.timeouts[i]}`] : []));
  return `\tct timeout ${header}\n\t\tprotocol ${proto}\n\t\tl3proto ${l3}\n\t\tpolicy = { ${policy.join(', ')} }\n\t}\n`;
}

export function ctObjectDebugText(o: CtTimeoutModel | CtExpectModel): string {
  const family = o.l3proto ? `family ${o.l3proto} ` : '';
  if (o.kind === 'ctexpect') return `ct_expect ${family}protocol ${o.l4proto} dport ${o.dport} timeout ${o.timeoutMs} size ${o.size}`;
  const defaults = LIBNFTNL_DEFAULTS[o.l4proto] ?? [];
  const states = STATES[o.l4proto] ?? [];
  const policy = o.timeouts.map((t, i) => (t !== defaults[i] ? `${states[i]![2]} = ${t},` : '')).join('');
  return `ct_timeout ${family}protocol ${o.l4proto} policy = {${policy}}`;
}

// nft's obj_print_json of them: the policy's timeouts that differ from
// nft's defaults, or null.
export function ctObjectJson(o: CtTimeoutModel | CtExpectModel): Record<string, string | number | bigint | Record<string, number> | null> {
  const protocol = o.l4proto === IPPROTO_TCP ? 'tcp' : 'udp';
  const l3proto = FAMILY_NAMES[o.family] ?? 'unknown';
  if (o.kind === 'ctexpect') return { protocol, dport: o.dport, timeout: o.timeoutMs, size: o.size, l3proto };
  const policy: Record<string, number> = {};
  (STATES[o.l4proto] ?? []).forEach(([name, d], i) => {
    if (o.timeouts[i] !== d) policy[name] = o.timeouts[i]!;
  });
  return { protocol, l3proto, policy: Object.keys(policy).length ? policy : null };
}
