// The expressions that ask the host rather than the packet: fib (a route
// lookup), rt (the packet's route), numgen and the hashes jhash and symhash,
// socket, ipsec (xfrm) and osf, as nft's src/fib.c, rt.c, numgen.c, hash.c,
// socket.c, xfrm.c and osf.c hold them: their words, types, the kernel's
// checks, their listing and their netlink debug text.
import { FibFlags, FibResult, HashType, NumgenType, OSF_GENRE_LEN, RtKey, SocketKey, XfrmKey } from '../assembly/abi.js';
import type { Expr } from './ast.js';
import { TYPES, type Datatype } from './datatypes.js';
import { NftError, span, type Location } from './errors.js';
import type { Token } from './lexer.js';
import type { TExpr } from './model.js';
import type { Parser } from './parser.js';

export const ROUTING_EXPRESSIONS = new Set(['fib', 'rt', 'numgen', 'jhash', 'symhash', 'socket', 'osf', 'ipsec']);

const SOCKET_KEYS: Record<string, { key: SocketKey; type: Datatype; bits: number }> = {
  transparent: { key: SocketKey.Transparent, type: TYPES.integer, bits: 1 },
  mark: { key: SocketKey.Mark, type: TYPES.mark, bits: 32 },
  wildcard: { key: SocketKey.Wildcard, type: TYPES.integer, bits: 1 },
  cgroupv2: { key: SocketKey.Cgroupv2, type: TYPES.cgroupv2, bits: 64 },
};
const SOCKET_NAMES = ['transparent', 'mark', 'wildcard', 'cgroupv2'];
// nft_socket_init: the deepest cgroup level the kernel takes.
const CGROUP_LEVEL_MAX = 255;

// xfrm keys by what follows `ipsec in|out`, and libnftnl's names.
const XFRM_WORDS: Record<string, XfrmKey> = {
  'ip daddr': XfrmKey.Daddr4, 'ip6 daddr': XfrmKey.Daddr6, 'ip saddr': XfrmKey.Saddr4, 'ip6 saddr': XfrmKey.Saddr6, reqid: XfrmKey.Reqid, spi: XfrmKey.Spi,
};
const XFRM_DEBUG_NAMES = ['', 'daddr4', 'daddr6', 'saddr4', 'saddr6', 'reqid', 'spi'];
const XFRM_TYPES: Array<{ type: Datatype; bits: number; byteorder: 'big' | 'host' }> = [
  { type: TYPES.integer, bits: 0, byteorder: 'host' },
  { type: TYPES.ipv4_addr, bits: 32, byteorder: 'big' }, { type: TYPES.ipv6_addr, bits: 128, byteorder: 'big' },
  { type: TYPES.ipv4_addr, bits: 32, byteorder: 'big' }, { type: TYPES.ipv6_addr, bits: 128, byteorder: 'big' },
  { type: TYPES.integer, bits: 32, byteorder: 'host' }, { type: TYPES.integer, bits: 32, byteorder: 'big' },
];

// NF_OSF_TTL_* by nft's words (the default, a true TTL check, has none).
const OSF_TTL: Record<string, number> = { loose: 1, skip: 2 };
const OSF_TTL_NAMES = ['', 'loose', 'skip'];

// nft's fib tuple words and results, in the order it prints the tuple.
const FIB_FLAGS: Array<[string, FibFlags]> = [
  ['saddr', FibFlags.Saddr], ['daddr', FibFlags.Daddr], ['mark', FibFlags.Mark], ['iif', FibFlags.Iif], ['oif', FibFlags.Oif],
];
const FIB_RESULTS: Record<string, FibResult> = { oif: FibResult.Oif, oifname: FibResult.Oifname, type: FibResult.Addrtype };
const FIB_RESULT_NAMES = ['', 'oif', 'oifname', 'type'];

// rt keys: name, type, bits and byte order, as nft's rt_templates.
const RT_KEYS: Record<string, { key: RtKey; type: Datatype; bits: number; byteorder: 'big' | 'host' }> = {
  classid: { key: RtKey.Classid, type: TYPES.realm, bits: 32, byteorder: 'host' },
  nexthop: { key: RtKey.Nexthop4, type: TYPES.ipv4_addr, bits: 32, byteorder: 'big' },
  mtu: { key: RtKey.Tcpmss, type: TYPES.integer, bits: 16, byteorder: 'host' },
  ipsec: { key: RtKey.Xfrm, type: TYPES.boolean, bits: 8, byteorder: 'host' },
};
const RT_NEXTHOP6 = { key: RtKey.Nexthop6, type: TYPES.ipv6_addr, bits: 128, byteorder: 'big' as const };
// libnftnl's names of the keys in the debug text.
const RT_DEBUG_NAMES = ['classid', 'nexthop4', 'nexthop6', 'tcpmss', 'ipsec'];
const RT_LIST_NAMES = ['classid', 'ip nexthop', 'ip6 nexthop', 'mtu', 'ipsec'];

const NUMGEN_TYPES: Record<string, NumgenType> = { inc: NumgenType.Inc, random: NumgenType.Random };
const NUMGEN_NAMES = ['inc', 'random'];

function isNum(t: Token): boolean {
  return t.kind === 'word' && /^(\d+|0[xX][0-9a-fA-F]+)$/.test(t.text);
}

// A NUM the kernel takes as a u32: nft keeps its low 32 bits.
function u32(p: Parser): { value: number; tok: Token } {
  const t = p.peek();
  if (!isNum(t)) p.failExpecting(t, 'number');
  p.next();
  return { value: Number(BigInt(t.text) & 0xffffffffn), tok: t };
}

// A word of the expression's own scanner scope, which nft names as such.
function scoped(p: Parser, word: string): Token {
  const t = p.peek();
  if (!p.is(word)) p.failExpecting(t, word);
  return p.next();
}

function offsetOpt(p: Parser, last: Token): { offset: number; last: Token } {
  if (!p.accept('offset')) return { offset: 0, last };
  const n = u32(p);
  return { offset: n.value, last: n.tok };
}

export function parseRouting(p: Parser): Expr {
  const t = p.peek();
  switch (t.text) {
    case 'fib': return parseFib(p);
    case 'rt': return parseRt(p);
    case 'numgen': return parseNumgen(p);
    case 'socket': return parseSocket(p);
    case 'ipsec': return parseXfrm(p);
    case 'osf': return parseOsf(p);
    default: return parseHash(p);
  }
}

function parseSocket(p: Parser): Expr {
  const t = p.next();
  const k = p.peek();
  if (k.kind !== 'word' || !Object.hasOwn(SOCKET_KEYS, k.text)) p.fail(k);
  p.next();
  if (k.text !== 'cgroupv2') return { kind: 'socket', key: SOCKET_KEYS[k.text].key, loc: span(t, k) };
  scoped(p, 'level');
  const level = u32(p);
  return { kind: 'socket', key: SocketKey.Cgroupv2, level: level.value, loc: span(t, level.tok) };
}

// `ipsec` without a direction is meta ipsec.
function parseXfrm(p: Parser): Expr {
  const t = p.next();
  const d = p.peek();
  if (!p.is('in') && !p.is('out')) return { kind: 'meta', key: 'ipsec', loc: t };
  p.next();
  let spnum = 0;
  if (p.is('spnum')) {
    const w = p.next();
    const n = p.peek();
    if (!isNum(n)) p.failExpecting(n, 'number');
    p.next();
    if (BigInt(n.text) > 255n) p.failAt(span(w, n), 'value too large');
    spnum = Number(n.text);
  }
  const k = p.peek();
  let words = k.text;
  if ((p.is('ip') || p.is('ip6')) && (p.is('saddr', 1) || p.is('daddr', 1))) {
    p.next();
    words += ` ${p.peek().text}`;
  } else if (!p.is('reqid') && !p.is('spi')) {
    p.failExpecting(k, 'ip or ip6 or spi or reqid', k.kind === 'word' && (k.text === 'saddr' || k.text === 'daddr') ? k.text : undefined);
  }
  const last = p.next();
  return { kind: 'xfrm', dir: d.text === 'in' ? 0 : 1, spnum, key: XFRM_WORDS[words], loc: span(t, last) };
}

function parseOsf(p: Parser): Expr {
  const t = p.next();
  let ttl = 0;
  if (p.accept('ttl')) {
    const m = p.peek();
    if (m.kind !== 'word' || !Object.hasOwn(OSF_TTL, m.text)) p.fail(m, 'invalid ttl option');
    p.next();
    ttl = OSF_TTL[m.text];
  }
  const k = p.peek();
  if (!p.is('name') && !p.is('version')) p.fail(k);
  p.next();
  return { kind: 'osf', ttl, version: k.text === 'version', loc: span(t, k) };
}

function parseFib(p: Parser): Expr {
  const t = p.next();
  const first = p.peek();
  let last = first;
  let flags = 0;
  do {
    last = p.peek();
    const f = last.kind === 'word' ? FIB_FLAGS.find(([w]) => w === last.text) : undefined;
    if (!f) p.fail(last);
    p.next();
    flags |= f[1];
  } while (p.accept('.'));
  const r = p.peek();
  const result = r.kind === 'word' && Object.hasOwn(FIB_RESULTS, r.text) ? FIB_RESULTS[r.text] : undefined;
  if (result === undefined) p.failExpecting(r, 'type or oif or oifname');
  p.next();
  const tuple = span(first, last);
  const both = (a: number, b: number) => (flags & (a | b)) === (a | b);
  if ((flags & (FibFlags.Saddr | FibFlags.Daddr)) === 0) p.failAt(tuple, 'fib: need either saddr or daddr');
  if (both(FibFlags.Saddr, FibFlags.Daddr)) p.failAt(tuple, 'fib: saddr and daddr are mutually exclusive');
  if (both(FibFlags.Iif, FibFlags.Oif)) p.failAt(tuple, 'fib: iif and oif are mutually exclusive');
  return { kind: 'fib', flags, result, loc: span(t, r) };
}

function parseRt(p: Parser): Expr {
  const t = p.next();
  const proto = p.is('ip') || p.is('ip6') ? (p.next().text as 'ip' | 'ip6') : undefined;
  const k = p.peek();
  if (k.kind !== 'word' || !Object.hasOwn(RT_KEYS, k.text)) p.fail(k);
  p.next();
  return { kind: 'rt', key: k.text, proto, loc: span(t, k) };
}

function parseNumgen(p: Parser): Expr {
  const t = p.next();
  const m = p.peek();
  const mode = m.kind === 'word' && Object.hasOwn(NUMGEN_TYPES, m.text) ? NUMGEN_TYPES[m.text] : undefined;
  if (mode === undefined) p.failExpecting(m, 'random or inc');
  p.next();
  scoped(p, 'mod');
  const mod = u32(p);
  const { offset, last } = offsetOpt(p, mod.tok);
  return { kind: 'numgen', mode, mod: mod.value, offset, loc: span(t, last) };
}

function parseHash(p: Parser): Expr {
  const t = p.next();
  const jenkins = t.text === 'jhash';
  const key = jenkins ? p.expr() : undefined;
  scoped(p, 'mod');
  const mod = u32(p);
  let last = mod.tok;
  let seed: number | undefined;
  if (p.is('seed')) {
    if (!jenkins) p.fail(p.peek(), 'syntax error, unexpected seed');
    p.next();
    const s = u32(p);
    seed = s.value;
    last = s.tok;
  }
  const o = offsetOpt(p, last);
  return { kind: 'hash', fn: jenkins ? HashType.Jenkins : HashType.Sym, key, mod: mod.value, seed, offset: o.offset, loc: span(t, o.last) };
}

export interface RoutingContext {
  // The table's family and the network protocol the rule has matched.
  family: string;
  nfproto?: number;
  // The next state slot, for a generator's counter.
  slot: () => number;
  key: (e: Expr) => TExpr;
  // A refusal the kernel makes when it takes the rule.
  kernelError: (e: NftError) => void;
}

function typed(type: Datatype, bits: number, byteorder: 'big' | 'host') {
  return { type, bits, byteorder };
}

// The kernel's refusals of a generator's range (nft_ng_inc_init,
// nft_jhash_init): no modulus, or a largest value past 32 bits.
function checkRange(mod: number, offset: number, loc: Location, c: RoutingContext): void {
  if (mod === 0) c.kernelError(NftError.kernel(loc, 'Numerical result out of range'));
  else if (offset + mod - 1 > 0xffffffff) c.kernelError(NftError.kernel(loc, 'Value too large for defined data type'));
}

export function evaluateRouting(e: Expr & { kind: 'fib' | 'rt' | 'numgen' | 'hash' | 'socket' | 'xfrm' | 'osf' }, c: RoutingContext): TExpr {
  switch (e.kind) {
    case 'socket': {
      const k = Object.values(SOCKET_KEYS).find((x) => x.key === e.key)!;
      if (e.level !== undefined && e.level > CGROUP_LEVEL_MAX) c.kernelError(NftError.kernel(e.loc, 'Numerical result out of range'));
      return { kind: 'socket', key: e.key, ...(e.level !== undefined ? { level: e.level } : {}), ...typed(k.type, k.bits, 'host') };
    }
    case 'xfrm': {
      const t = XFRM_TYPES[e.key];
      return { kind: 'xfrm', dir: e.dir, spnum: e.spnum, key: e.key, ...typed(t.type, t.bits, t.byteorder) };
    }
    case 'osf':
      return { kind: 'osf', ttl: e.ttl, version: e.version, ...typed(TYPES.string, OSF_GENRE_LEN * 8, 'host') };
    case 'fib': {
      // nft_fib_init: a lookup by the output device gives no device.
      if ((e.flags & FibFlags.Oif) && e.result !== FibResult.Addrtype) c.kernelError(NftError.kernel(e.loc, 'Invalid argument'));
      const t = e.result === FibResult.Oif ? typed(TYPES.iface_index, 32, 'host')
        : e.result === FibResult.Oifname ? typed(TYPES.ifname, 128, 'host') : typed(TYPES.fib_addrtype, 32, 'host');
      return { kind: 'fib', flags: e.flags, result: e.result, ...t };
    }
    case 'rt': {
      let tmpl = RT_KEYS[e.key];
      if (e.key === 'nexthop') {
        // rt_expr_update_type: the network protocol decides the nexthop's
        // family, unless written.
        const v6 = e.proto === 'ip6' || (e.proto === undefined || e.proto === 'ip') && (c.family === 'ip6' || c.nfproto === 10);
        const v4 = e.proto === 'ip' || c.family === 'ip' || c.nfproto === 2;
        if (!v6 && !v4) throw NftError.at(e.loc, `cannot determine ip protocol version, use "ip nexthop" or "ip6 nexthop" instead`);
        if (v6 && c.family === 'ip') throw NftError.at(e.loc, 'ip6 nexthop will not match');
        if (v6) tmpl = RT_NEXTHOP6;
      }
      return { kind: 'rt', key: tmpl.key, ...typed(tmpl.type, tmpl.bits, tmpl.byteorder) };
    }
    case 'numgen':
      checkRange(e.mod, e.offset, e.loc, c);
      return { kind: 'numgen', mode: e.mode, mod: e.mod, offset: e.offset, slot: c.slot(), ...typed(TYPES.integer, 32, 'host') };
    case 'hash': {
      const key = e.key && c.key(e.key);
      checkRange(e.mod, e.offset, e.loc, c);
      return { kind: 'hash', fn: e.fn, key, mod: e.mod, seed: e.seed, offset: e.offset, ...typed(TYPES.integer, 32, 'host') };
    }
  }
}

// The largest value a generator gives, which nft checks values against
// (as a u32, and not when that is 0).
export function routingMaxValue(e: TExpr): bigint | undefined {
  if (e.kind !== 'numgen' && e.kind !== 'hash') return undefined;
  const max = (BigInt(e.mod) + BigInt(e.offset) - 1n) & 0xffffffffn;
  return max === 0n ? undefined : max;
}

// `fib daddr oif exists`: the lookup only says whether it found a device.
export function fibPresent(e: TExpr & { kind: 'fib' }, loc: Location, c: RoutingContext): TExpr {
  // The kernel answers presence of an output device alone.
  if (e.result !== FibResult.Oif) c.kernelError(NftError.kernel(loc, 'Invalid argument'));
  return { ...e, flags: e.flags | FibFlags.Present, type: TYPES.boolean };
}

// The hooks the kernel takes each in (nft_fib_validate, nft_rt_validate);
// undefined: all.
export function routingHooks(e: TExpr): string[] | undefined {
  if (e.kind === 'fib') {
    if (e.result !== FibResult.Addrtype) return e.flags & FibFlags.Iif ? ['prerouting', 'input', 'forward'] : ['prerouting'];
    if (e.flags & FibFlags.Iif) return ['prerouting', 'input', 'forward'];
    if (e.flags & FibFlags.Oif) return ['output', 'postrouting', 'forward'];
    return undefined;
  }
  if (e.kind === 'rt' && e.key === RtKey.Tcpmss) return ['forward', 'output', 'postrouting'];
  if (e.kind === 'socket') return ['prerouting', 'input', 'output'];
  if (e.kind === 'xfrm') return e.dir === 0 ? ['prerouting', 'input', 'forward'] : ['forward', 'output', 'postrouting'];
  if (e.kind === 'osf') return ['prerouting', 'input', 'forward'];
  return undefined;
}

export function routingText(e: TExpr, expr: (e: TExpr) => string): string | undefined {
  switch (e.kind) {
    case 'fib': {
      const tuple = FIB_FLAGS.filter(([, f]) => e.flags & f).map(([w]) => w).join(' . ');
      return `fib ${tuple} ${FIB_RESULT_NAMES[e.result]}`;
    }
    case 'rt':
      return `rt ${RT_LIST_NAMES[e.key]}`;
    case 'socket':
      return `socket ${SOCKET_NAMES[e.key]}${e.level !== undefined ? ` level ${e.level}` : ''}`;
    case 'xfrm': {
      const key = Object.entries(XFRM_WORDS).find(([, k]) => k === e.key)![0];
      return `ipsec ${e.dir === 0 ? 'in' : 'out'}${e.spnum ? ` spnum ${e.spnum}` : ''} ${key}`;
    }
    case 'osf':
      return `osf ${e.ttl ? `ttl ${OSF_TTL_NAMES[e.ttl]} ` : ''}${e.version ? 'version' : 'name'}`;
    case 'numgen':
      return `numgen ${NUMGEN_NAMES[e.mode]} mod ${e.mod}${e.offset ? ` offset ${e.offset}` : ''}`;
    case 'hash': {
      const head = e.fn === HashType.Jenkins ? `jhash ${expr(e.key!)}` : 'symhash';
      const seed = e.seed !== undefined ? ` seed 0x${e.seed.toString(16)}` : '';
      return `${head} mod ${e.mod}${seed}${e.offset ? ` offset ${e.offset}` : ''}`;
    }
  }
  return undefined;
}

// libnftnl's debug text of the instructions.
export function fibDebugText(result: number, flags: number, dreg: string): string {
  const tuple = FIB_FLAGS.filter(([, f]) => flags & f).map(([w]) => w).join(' . ');
  return `fib ${tuple} ${FIB_RESULT_NAMES[result]}${flags & FibFlags.Present ? ' present' : ''} => reg ${dreg}`;
}

export function rtDebugText(key: number, dreg: string): string {
  return `rt load ${RT_DEBUG_NAMES[key]} => reg ${dreg}`;
}

export function numgenDebugText(mode: number, mod: number, offset: number, dreg: string): string {
  return `numgen reg ${dreg} = ${NUMGEN_NAMES[mode]} mod ${mod}${offset ? ` offset ${offset}` : ''}`;
}

export function hashDebugText(type: number, sreg: string, len: number, seed: number, mod: number, offset: number, dreg: string): string {
  const fn = type === HashType.Sym ? 'symhash()' : `jhash(reg ${sreg}, ${len}, 0x${seed.toString(16)})`;
  return `hash reg ${dreg} = ${fn} % mod ${mod}${offset ? ` offset ${offset}` : ''}`;
}

export function socketDebugText(key: number, dreg: string): string {
  return `socket load ${SOCKET_NAMES[key]} => reg ${dreg}`;
}

export function xfrmDebugText(key: number, dir: number, spnum: number, dreg: string): string {
  return `xfrm load ${dir === 0 ? 'in' : 'out'} ${spnum} ${XFRM_DEBUG_NAMES[key]} => reg ${dreg}`;
}

type Json = null | boolean | number | bigint | string | Json[] | { [key: string]: Json };

// nft -j's objects of the expressions (json.c), keys in its order.
export function routingJson(e: TExpr, expr: (e: TExpr) => Json): Json {
  switch (e.kind) {
    case 'fib':
      return { fib: { result: FIB_RESULT_NAMES[e.result], flags: FIB_FLAGS.filter(([, f]) => e.flags & f).map(([w]) => w) } };
    case 'rt': {
      const [key, family] = e.key === RtKey.Nexthop4 ? ['nexthop', 'ip'] : e.key === RtKey.Nexthop6 ? ['nexthop', 'ip6'] : [RT_LIST_NAMES[e.key], undefined];
      return { rt: { key, ...(family ? { family } : {}) } };
    }
    case 'numgen':
      return { numgen: { mode: NUMGEN_NAMES[e.mode], mod: e.mod, offset: e.offset } };
    case 'hash': {
      const common = { mod: e.mod, ...(e.seed !== undefined ? { seed: e.seed } : {}), ...(e.offset ? { offset: e.offset } : {}) };
      return e.fn === HashType.Jenkins ? { jhash: { ...common, expr: expr(e.key!) } } : { symhash: common };
    }
    case 'socket':
      return { socket: { key: SOCKET_NAMES[e.key] } };
    case 'xfrm': {
      const [family, key] = Object.entries(XFRM_WORDS).find(([, k]) => k === e.key)![0].split(' ');
      return { ipsec: key === undefined ? { key: family, dir: e.dir === 0 ? 'in' : 'out', spnum: e.spnum } : { key, family, dir: e.dir === 0 ? 'in' : 'out', spnum: e.spnum } };
    }
    case 'osf':
      return { osf: { key: e.version ? 'version' : 'name', ...(e.ttl ? { ttl: OSF_TTL_NAMES[e.ttl] } : {}) } };
  }
  return null;
}
