// snat, dnat, masquerade and redirect: what nft's stmt_evaluate_nat,
// netlink_gen_nat_stmt and nat_stmt_print make of them, and the hooks the
// kernel's nft_nat_validate, nft_masq_validate and nft_redir_validate let
// them into.
import { NatFlags, NatType } from '../assembly/abi.js';
import type { Expr, Stmt } from './ast.js';
import { TYPES, type Datatype } from './datatypes.js';
import { NftError, type Location } from './errors.js';
import type { TExpr } from './model.js';

export type NatKeyword = 'snat' | 'dnat' | 'masquerade' | 'redirect';

export const NAT_KEYWORDS: ReadonlySet<string> = new Set<NatKeyword>(['snat', 'dnat', 'masquerade', 'redirect']);

export const NAT_FLAG_WORDS: Readonly<Record<string, number>> = {
  random: NatFlags.ProtoRandom,
  'fully-random': NatFlags.ProtoRandomFully,
  persistent: NatFlags.Persistent,
};

export const NAT_TYPE: Readonly<Record<NatKeyword, NatType>> = {
  snat: NatType.Snat, dnat: NatType.Dnat, masquerade: NatType.Masquerade, redirect: NatType.Redirect,
};

// The hooks of a nat chain each statement may sit in (the kernel refuses
// the rest with EOPNOTSUPP).
const HOOKS: Readonly<Record<NatKeyword, readonly string[]>> = {
  snat: ['postrouting', 'input'],
  dnat: ['prerouting', 'output'],
  masquerade: ['postrouting'],
  redirect: ['prerouting', 'output'],
};

// The typed statement: addresses and ports as constants, in the family
// (NFPROTO_IPV4 or NFPROTO_IPV6) the addresses are of.
export interface NatModel {
  kind: 'nat';
  type: NatKeyword;
  nfproto: number;
  // A constant, or the lookup in a map that gives it.
  addrMin?: TExpr;
  addrMax?: TExpr & { kind: 'const' };
  protoMin?: TExpr;
  protoMax?: TExpr & { kind: 'const' };
  flags: number;
  // What the map that gives the address gives besides: a port in the
  // register words after the address's (nft sets no flag for it), ranges
  // whose highest values follow the lowest.
  mapShape?: MapShape;
  // Whether the listing names the family (`snat ip to`), as nft does in
  // inet tables.
  showFamily: boolean;
  // The keyword, where the data plane's refusal points.
  loc: Location;
}

export interface NatContext {
  tableFamily: string;
  nfproto?: number;
  // Whether the rule has matched a transport protocol so far (a set of
  // them tells nft there is one without saying which); asked after the
  // statement's own maps have added their dependencies.
  transportKnown(): boolean;
  variable(e: Expr & { kind: 'variable' }): Expr;
  // The value a map gives, its lookup typed by `like`.
  mapValue(e: Expr & { kind: 'map' }, like: { type: Datatype; bits: number; byteorder: 'big' | 'host' }): TExpr;
  // A map whose data are made by `data` from each element's.
  map(e: Expr & { kind: 'map' }, dataType: { type: Datatype; bits: number; byteorder: 'big' | 'host' }, data: (d: Expr) => TExpr): TExpr & { kind: 'map' };
  constOf(e: Expr, like: { type: Datatype; bits: number; byteorder: 'big' | 'host' }): TExpr & { kind: 'const' };
}

const IPV4 = { type: TYPES.ipv4_addr, bits: 32, byteorder: 'big' as const };
const IPV6 = { type: TYPES.ipv6_addr, bits: 128, byteorder: 'big' as const };

const NFPROTO_INET = 1;
const NFPROTO_IPV4 = 2;
const NFPROTO_IPV6 = 10;

type NatStmt = Stmt & { kind: 'nat' };

function nfprotoOf(family: string | undefined): number | undefined {
  return family === 'ip' ? NFPROTO_IPV4 : family === 'ip6' ? NFPROTO_IPV6 : undefined;
}

// The statement's address family: the table's in ip and ip6, in inet the
// one the statement names or the rule has matched on.
function natFamily(s: NatStmt, c: NatContext): number | undefined {
  if (c.tableFamily !== 'ip' && c.tableFamily !== 'ip6' && c.tableFamily !== 'inet') throw NftError.at(s.loc, `NAT is only supported for IPv4/IPv6`);
  const named = nfprotoOf(s.family);
  const table = nfprotoOf(c.tableFamily);
  if (table !== undefined) {
    if (named !== undefined && named !== table) {
      throw NftError.at(s.loc, `conflicting protocols specified: ${c.tableFamily} vs. ${s.family}. You must specify ip or ip6 family in nat statement`);
    }
    return table;
  }
  if (named !== undefined) return named;
  if (s.addr === undefined) return undefined;
  if (c.nfproto === NFPROTO_IPV4 || c.nfproto === NFPROTO_IPV6) return c.nfproto;
  throw NftError.at(s.loc, `ip or ip6 must be specified with address for inet tables.`);
}

// A range or a prefix as its lowest and highest values; one value as both.
function bounds(e: Expr, like: { type: Datatype; bits: number; byteorder: 'big' | 'host' }, c: NatContext): { low: TExpr & { kind: 'const' }; high?: TExpr & { kind: 'const' } } {
  if (e.kind === 'variable') return bounds(c.variable(e), like, c);
  if (e.kind === 'range') {
    const low = c.constOf(e.low, like);
    const high = c.constOf(e.high, like);
    if (high.value < low.value) throw NftError.at(e.loc, `Range has zero or negative size`);
    return { low, high };
  }
  if (e.kind === 'prefix') {
    if (e.length > like.bits) throw NftError.at(e.loc, `Prefix length ${e.length} is invalid for type of ${like.bits} bits width`);
    const base = c.constOf(e.expr, like);
    const host = (1n << BigInt(like.bits - e.length)) - 1n;
    return { low: { ...base, value: base.value & ~host }, high: { ...base, value: base.value | host } };
  }
  const one = c.constOf(e, like);
  return { low: one };
}

// The kernel's refusal of the statement in this chain, if it refuses it.
export function natHookError(s: NatModel, chainType: string | undefined, chainHook: string | undefined, ruleLoc: Location): NftError | undefined {
  if (chainType === 'nat' && HOOKS[s.type].includes(chainHook ?? '')) return undefined;
  return NftError.kernel(ruleLoc, `Operation not supported`);
}

export function evaluateNat(s: NatStmt, c: NatContext): NatModel {
  // Without addresses the family is the table's, NFPROTO_INET included.
  const nfproto = natFamily(s, c) ?? (c.tableFamily === 'ip6' ? NFPROTO_IPV6 : c.tableFamily === 'ip' ? NFPROTO_IPV4 : NFPROTO_INET);
  const model: NatModel = { kind: 'nat', type: s.type, nfproto, flags: s.flags | (s.netmap ? NatFlags.Netmap : 0), loc: s.loc, showFamily: c.tableFamily === 'inet' && (s.addr !== undefined || s.family !== undefined) };
  const shape = s.addr?.kind === 'map' ? mapShape(s.addr) : undefined;
  if (s.addr?.kind === 'map' && shape && (shape.withPort || shape.interval)) {
    const addr = nfproto === NFPROTO_IPV6 ? IPV6 : IPV4;
    const half = (Math.ceil(addr.bits / 32) + (shape.withPort ? 1 : 0)) * 32;
    const dataType = { type: addr.type, bits: shape.interval ? 2 * half : half, byteorder: 'big' as const };
    model.addrMin = c.map(s.addr, dataType, (d) => mapData(d, shape, addr, half, c));
    if (shape.withPort && !c.transportKnown()) throw NftError.between(s.addr.loc, s.loc, `transport protocol mapping is only valid after transport protocol match`);
    model.mapShape = shape;
    // nft names the family of such maps in every table.
    model.showFamily = true;
  } else if (s.addr?.kind === 'map') {
    model.addrMin = c.mapValue(s.addr, nfproto === NFPROTO_IPV6 ? IPV6 : IPV4);
  } else if (s.addr) {
    const { low, high } = bounds(s.addr, nfproto === NFPROTO_IPV6 ? IPV6 : IPV4, c);
    model.addrMin = low;
    if (high) model.addrMax = high;
  }
  if (s.proto?.kind === 'map') {
    // Unlike an address and port map's key, a port map's key does not
    // count as the transport match nft wants before it.
    if (!c.transportKnown()) throw NftError.between(s.proto.loc, s.loc, `transport protocol mapping is only valid after transport protocol match`);
    model.protoMin = c.mapValue(s.proto, { type: TYPES.inet_service, bits: 16, byteorder: 'big' });
    model.flags |= NatFlags.ProtoSpecified;
  } else if (s.proto) {
    if (!c.transportKnown()) throw NftError.between(s.proto.loc, s.loc, `transport protocol mapping is only valid after transport protocol match`);
    const { low, high } = bounds(s.proto, { type: TYPES.inet_service, bits: 16, byteorder: 'big' }, c);
    model.protoMin = low;
    if (high) model.protoMax = high;
    model.flags |= NatFlags.ProtoSpecified;
  }
  return model;
}

// What a NAT map's data hold: a port after the address, and a range (of
// addresses, of ports or both) rather than single values.
export interface MapShape {
  withPort: boolean;
  interval: boolean;
}

function mapShape(e: Expr & { kind: 'map' }): MapShape {
  const data = e.mapping.kind === 'set' ? e.mapping.elements.map((el) => el.data) : [];
  const ranged = (x: Expr | undefined) => x?.kind === 'range' || x?.kind === 'prefix';
  return {
    withPort: data.some((d) => d?.kind === 'concat'),
    interval: data.some((d) => ranged(d) || (d?.kind === 'concat' && d.items.some(ranged))),
  };
}

const PORT = { type: TYPES.inet_service, bits: 16, byteorder: 'big' as const };

// An element's data as the kernel reads it: the address (and port), or
// with ranges the lowest then the highest, each part in register words
// of its own.
function mapData(d: Expr, shape: MapShape, addr: typeof IPV4, half: number, c: NatContext): TExpr {
  const items = d.kind === 'concat' ? d.items : [d];
  if (shape.withPort && items.length !== 2) throw NftError.at(d.loc, `invalid data type, expected concatenation of (${addr.type.desc}, ${TYPES.inet_service.desc})`);
  const parts = [bounds(items[0]!, addr, c), ...(shape.withPort ? [bounds(items[1]!, PORT, c)] : [])];
  const side = (pick: (b: ReturnType<typeof bounds>) => TExpr & { kind: 'const' }): TExpr =>
    shape.withPort ? { kind: 'concat', items: parts.map(pick), type: addr.type, bits: half, byteorder: 'big' } : pick(parts[0]!);
  const low = side((b) => b.low);
  if (!shape.interval) return low;
  return { kind: 'range', low, high: side((b) => b.high ?? b.low), pairwise: true, type: addr.type, bits: 2 * half, byteorder: 'big' };
}

// nft prints a range of addresses that is exactly a prefix as the prefix.
export function prefixOf(low: bigint, high: bigint, bits: number): number | undefined {
  const host = low ^ high;
  if ((host & (host + 1n)) !== 0n || (low & host) !== 0n) return undefined;
  return host === 0n ? bits : bits - host.toString(2).length;
}

// A NAT map's range data part by part: a value, a prefix of addresses, or
// a range.
export function pairwiseText(e: TExpr & { kind: 'range' }, value: (e: TExpr) => string): string {
  const lows = e.low.kind === 'concat' ? e.low.items : [e.low];
  const highs = e.high.kind === 'concat' ? e.high.items : [e.high];
  return lows.map((l, i) => {
    const h = highs[i]!;
    if (l.kind !== 'const' || h.kind !== 'const' || l.value === h.value) return value(l);
    const address = l.type.print === 'ipv4' || l.type.print === 'ipv6';
    const prefix = address ? prefixOf(l.value, h.value, l.bits) : undefined;
    return prefix !== undefined ? `${value(l)}/${prefix}` : `${value(l)}-${value(h)}`;
  }).join(' . ');
}

export function natText(s: NatModel, value: (e: TExpr) => string): string {
  let out = s.type;
  if (s.showFamily) out += s.nfproto === NFPROTO_IPV6 ? ' ip6' : ' ip';
  if (s.flags & NatFlags.Netmap) out += ' prefix';
  if (s.addrMin || s.protoMin) out += ' to ';
  if (s.addrMin) {
    // An IPv6 address before a port is in brackets, a range's two each.
    const bracket = s.protoMin && s.nfproto === NFPROTO_IPV6 ? (a: string) => `[${a}]` : (a: string) => a;
    const prefix = s.addrMax && s.addrMin.kind === 'const' ? prefixOf(s.addrMin.value, s.addrMax.value, s.addrMin.bits) : undefined;
    if (prefix !== undefined) out += `${value(s.addrMin)}/${prefix}`;
    else out += bracket(value(s.addrMin)) + (s.addrMax ? `-${bracket(value(s.addrMax))}` : '');
  }
  if (s.protoMin) out += `:${s.protoMin.kind === 'const' ? s.protoMin.value : value(s.protoMin)}${s.protoMax ? `-${s.protoMax.value}` : ''}`;
  const flags = Object.entries(NAT_FLAG_WORDS).filter(([, bit]) => s.flags & bit).map(([w]) => w);
  if (flags.length > 0) out += ` ${flags.join(',')}`;
  return out;
}

// The bytecode's operand registers: nft gives each value a 128-bit
// register of its own, from NFT_REG_1 up.
export const NAT_REG_WORDS = [4, 8, 12, 16];

const FAMILY_NAMES: Readonly<Record<number, string>> = { [NFPROTO_INET]: 'inet', [NFPROTO_IPV4]: 'ip', [NFPROTO_IPV6]: 'ip6' };

export function natDebugText(type: NatType, family: number, regs: readonly number[], flags: number, regName: (word: number) => string): string {
  const [amin, amax, pmin, pmax] = regs;
  const parts: string[] = [];
  if (type === NatType.Snat || type === NatType.Dnat) {
    parts.push(`nat ${type === NatType.Snat ? 'snat' : 'dnat'} ${FAMILY_NAMES[family] ?? 'unknown'}`);
    if (amin) parts.push(`addr_min reg ${regName(amin)}`);
    if (amax) parts.push(`addr_max reg ${regName(amax)}`);
  } else {
    parts.push(type === NatType.Masquerade ? 'masq' : 'redir');
  }
  if (pmin) parts.push(`proto_min reg ${regName(pmin)}`);
  if (pmax) parts.push(`proto_max reg ${regName(pmax)}`);
  if (flags) parts.push(`flags 0x${flags.toString(16)}`);
  return parts.join(' ');
}
