// Prints the ruleset as `nft -j list ruleset` does (libnftables JSON, nft
// 1.0.6's json.c): the same expressions the listing shows, as JSON trees.
import { routingJson } from './routing.js';
import { CtDir, ExthdrOp, NatFlags, ObjectType, QueueFlags, SynproxyFlags } from '../assembly/abi.js';
import { ctObjectJson } from './ct-objects.js';
import type { ForwardingModel } from './forwarding.js';
import { LOG_ALL, LOG_IPOPT, LOG_MACDECODE, LOG_TCPOPT, LOG_TCPSEQ, LOG_UID } from './ast.js';
import { symbolName, TYPES, type Datatype } from './datatypes.js';
import { isRaw } from './headers/raw.js';
import { tcpOptionName } from './headers/tcpopt.js';
import {
  byteUnits, counterValues, listedTables, decodeKey, decodeValue, isCtPort, orderedElements, PERIOD_NAMES, popcount, prefixLength, Printer, quotaUsed,
  rawBits, thName, valueText, visibleStmts, type ListingOptions, type LiveSetElement,
} from './listing.js';
import type { ChainModel, ObjectModel, RuleModel, RulesetModel, SetElementModel, SetModel, TableModel, TExpr, TStmt } from './model.js';
import { NAT_FLAG_WORDS, prefixOf } from './nat.js';
import { bounds } from './evaluate.js';
import { foldBitwise } from './linearize.js';
import { sameKey } from './commands.js';

function splitOnce(text: string): [string, string | undefined] {
  const space = text.indexOf(' ');
  return space < 0 ? [text, undefined] : [text.slice(0, space), text.slice(space + 1)];
}

export type Json = null | boolean | number | bigint | string | Json[] | { [key: string]: Json };

// What nft 1.0.6 says of itself in every listing.
export const JSON_METAINFO = { version: '1.0.6', release_name: 'Lester Gooch #5', json_schema_version: 1 };

// jansson's json_dumpf with no flags: one line, ", " and ": " between
// items, keys in the order they were set.
export function stringifyJson(v: Json): string {
  if (v === null) return 'null';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(stringifyJson).join(', ')}]`;
  return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}: ${stringifyJson(x)}`).join(', ')}}`;
}

const NUMERIC_PRINTS = new Set(['decimal', 'hex', 'hexnum', 'user', 'group', 'service']);

// An integer as json_integer gives it, or in hex past 64 bits.
function integer(v: bigint): Json {
  return v < 1n << 64n ? v : `0x${v.toString(16)}`;
}

function single(names: Json[]): Json {
  return names.length === 1 ? names[0]! : names;
}

class JsonPrinter {
  private readonly text: Printer;

  constructor(private readonly o: ListingOptions) {
    this.text = new Printer(o);
  }

  constant(type: Datatype, value: bigint, bits: number): Json {
    switch (type.print) {
      case 'protocol':
        if (this.o.numeric || this.o.numericProtocol) return integer(value);
        return symbolName(type, Number(value)) ?? integer(value);
      case 'symbol':
        if (type.name === 'boolean') return value !== 0n;
        if (this.o.numeric) return integer(value);
        return symbolName(type, Number(value)) ?? integer(value);
      case 'time': return value / 1000n;
      case 'label': {
        for (let i = 0n; i < 128n; i++) if (value === 1n << i) return i;
        return integer(value);
      }
      case 'bitmask': {
        const names = this.flagNames(type, value);
        return single(names);
      }
      default:
        if (NUMERIC_PRINTS.has(type.print)) return integer(value);
        return valueText(type, value, this.o, bits).replace(/^"(.*)"$/, '$1');
    }
  }

  // Flag names in bit order, a value of no name as a number.
  private flagNames(type: Datatype, value: bigint): Json[] {
    if (value === 0n) return [0];
    const names: Json[] = [];
    for (let bit = 0n; value >> bit; bit++) {
      const v = 1n << bit;
      if (value & v) names.push(symbolName(type, Number(v)) ?? integer(v));
    }
    return names;
  }

  // Several flags as nft 1.0.6 writes an | of them: pairs, leftmost deepest.
  private flagOr(type: Datatype, value: bigint): Json {
    const names = this.flagNames(type, value);
    return names.slice(1).reduce<Json>((acc, n) => ({ '|': [acc, n] }), names[0]!);
  }

  expr(e: TExpr): Json {
    switch (e.kind) {
      case 'ct': {
        const words = this.text.expr(e).split(' ').slice(1);
        const dir = words[0] === 'original' || words[0] === 'reply' ? words.shift() : undefined;
        // The key as its template names it: the family only of the
        // addresses of one IP version.
        if (e.tmpl.name === 'src' || e.tmpl.name === 'dst') words.splice(0, words.length - 1);
        return { ct: { key: words.join(' '), ...(dir ? { dir } : {}) } };
      }
      case 'meta':
        return { meta: { key: e.name } };
      case 'payload':
        return this.payload(e);
      case 'const':
        if (e.type.print === 'bitmask' && popcount(e.value) > 1) return this.flagOr(e.type, e.value);
        return this.constant(e.type, e.value, e.bits);
      case 'binop': {
        const folded = foldBitwise(e);
        if (folded) return this.bitwise(e, folded);
        const right = e.op === '<<' || e.op === '>>' ? (e.right as TExpr & { kind: 'const' }).value : this.expr(e.right);
        return { [e.op]: [this.expr(e.left), right] };
      }
      case 'concat':
        return { concat: e.items.map((i) => this.expr(i)) };
      case 'range': {
        if (e.pairwise) return this.pairwise(e);
        // nft prints both ends with numeric protocols (range_expr_json).
        const ends = new JsonPrinter({ ...this.o, numericProtocol: true, services: false });
        return { range: [ends.expr(e.low), ends.expr(e.high)] };
      }
      case 'prefix': {
        // An interface name wildcard, as written, without its quotes.
        if (e.type.print === 'string') return this.text.expr(e).slice(1, -1);
        const { lo } = bounds(e);
        const value = this.expr({ ...(e.value as TExpr & { kind: 'const' }), value: lo });
        return e.length === e.bits ? value : { prefix: { addr: value, len: e.length } };
      }
      case 'setref':
        return this.setRef(e.set);
      case 'map':
        return { map: { key: this.expr(e.key), data: this.setRef(e.set) } };
      case 'verdict':
        return e.chain ? { [e.verdict]: { target: e.chain.name } } : { [e.verdict]: null };
      case 'fib':
      case 'rt':
      case 'numgen':
      case 'hash':
      case 'socket':
      case 'xfrm':
      case 'osf':
        return routingJson(e, (x) => this.expr(x));
    }
  }

  // A NAT map's data part by part, as Printer lists it (pairwiseText).
  private pairwise(e: TExpr & { kind: 'range' }): Json {
    const lows = e.low.kind === 'concat' ? e.low.items : [e.low];
    const highs = e.high.kind === 'concat' ? e.high.items : [e.high];
    const parts = lows.map((l, i): Json => {
      const h = highs[i]!;
      if (l.kind !== 'const' || h.kind !== 'const' || l.value === h.value) return this.expr(l);
      const address = l.type.print === 'ipv4' || l.type.print === 'ipv6';
      const prefix = address ? prefixOf(l.value, h.value, l.bits) : undefined;
      return prefix !== undefined ? { prefix: { addr: this.expr(l), len: prefix } } : { range: [this.expr(l), this.expr(h)] };
    });
    return parts.length === 1 ? parts[0]! : { concat: parts };
  }

  private payload(e: TExpr & { kind: 'payload' }): Json {
    if (isRaw(e.proto)) {
      const [offset, len] = e.field.split(',').map(Number);
      return { payload: { base: e.proto.slice(1), offset: offset!, len: len! } };
    }
    if (e.exthdr) {
      const op = e.exthdr.op;
      const [hdr, field] = op === ExthdrOp.Ipv6 && e.proto === 'exthdr' ? [e.field, undefined] : op === ExthdrOp.Ipv6 ? [e.proto, e.field] : splitOnce(e.field);
      const key = op === ExthdrOp.Ipv6 ? 'exthdr' : e.proto;
      // An option known by its kind alone (`tcp option 6`, `@255,8,8`).
      const raw = /^@?(\d+)(?:,(\d+),(\d+))?$/.exec(hdr!);
      if (raw) return { [key]: { base: Number(raw[1]), offset: Number(raw[2] ?? 0), len: Number(raw[3] ?? 8) } };
      return { [key]: { name: hdr!, ...(field && !e.exthdr.present ? { field } : {}) } };
    }
    return { payload: { protocol: e.proto, field: e.field } };
  }

  private bitwise(e: TExpr, f: { inner: TExpr; mask: bigint; xor: bigint }): Json {
    const all = (1n << BigInt(e.bits)) - 1n;
    const or = (f.xor & f.mask) === 0n;
    const mask = or ? f.mask | f.xor : f.mask;
    const value = (v: bigint) => this.expr({ kind: 'const', value: v, type: e.type, bits: e.bits, byteorder: e.byteorder });
    let out = this.expr(f.inner);
    if (mask !== all) out = { '&': [out, value(mask)] };
    if (f.xor !== 0n) out = { [or ? '|' : '^']: [out, value(f.xor)] };
    return out;
  }

  setRef(set: SetModel): Json {
    return set.anonymous ? { set: this.elements(orderedElements(set)) } : `@${set.name}`;
  }

  // nft's set_elem_expr_json: the key, the element's timeout when it is
  // not the set's, the time left, its comment, then its counter.
  private element(el: SetElementModel, set?: SetModel): Json {
    let key = el.catchAll ? '*' : this.expr(el.key);
    const extra: Record<string, Json> = {};
    if (el.timeoutMs !== undefined && el.timeoutMs !== set?.timeout) extra.timeout = el.timeoutMs / 1000n;
    if (el.expiresMs !== undefined && !this.o.stateless) extra.expires = el.expiresMs / 1000n;
    if (el.comment !== undefined) extra.comment = el.comment;
    if (el.counter) extra.counter = this.o.stateless ? null : { packets: el.counter.packets, bytes: el.counter.bytes };
    if (Object.keys(extra).length) key = { elem: { val: key, ...extra } };
    if (!el.data && el.objName === undefined) return key;
    return [key, el.objName !== undefined ? el.objName : this.expr(el.data!)];
  }

  elements(els: SetElementModel[], set?: SetModel): Json[] {
    return els.map((el) => this.element(el, set));
  }

  private liveElements(set: SetModel, live: LiveSetElement[]): Json[] | undefined {
    const rows: { key: TExpr; json: Json }[] = [];
    for (const el of live) {
      const key = decodeKey(set, el.key);
      const data = set.dataType && el.data ? decodeValue(set.dataType, el.data) : undefined;
      if (!key || (set.dataType && !data)) return undefined;
      const comment = set.elements.find((d) => d.comment !== undefined && sameKey(d.key, key))?.comment;
      const times = { ...(el.timeoutMs !== undefined ? { timeoutMs: el.timeoutMs } : {}), ...(el.expiresMs !== undefined ? { expiresMs: el.expiresMs } : {}) };
      rows.push({ key, json: this.element({ key, ...(data ? { data } : {}), ...times, ...(comment !== undefined ? { comment } : {}), ...(el.counter ? { counter: el.counter } : {}) }, set) });
    }
    const order = orderedElements({ ...set, interval: false, elements: rows.map((r) => ({ key: r.key })) });
    return order.map((o) => rows.find((r) => r.key === o.key)!.json);
  }

  // Matches on flag types, as nft reads them back (see Printer.flagMatch).
  private flagMatch(s: TStmt & { kind: 'match' }): Json {
    const right = s.right as TExpr & { kind: 'const' };
    const type = s.left.type;
    const list = (v: bigint) => single(this.flagNames(type, v));
    const match = (op: string, left: Json, r: Json) => ({ match: { op, left, right: r } });
    if (s.op === 'implicit') return match('in', this.expr(s.left), list(right.value));
    if (s.op === '!') return match('!', this.expr(s.left), list(right.value));
    let left = s.left;
    if (left.kind === 'binop' && left.op === '&' && left.right.kind === 'const') {
      const mask = left.right.value;
      if (mask !== (1n << BigInt(left.left.bits)) - 1n) {
        const inner = this.expr(left.left);
        if (right.value === 0n) return match(s.op === '!=' ? 'in' : '!', inner, list(mask));
        return match(s.op, { '&': [inner, list(mask)] }, list(right.value));
      }
      left = left.left;
    }
    const l = this.expr(left);
    if (popcount(right.value) <= 1) return match(s.op, l, list(right.value));
    if (left.kind === 'payload') return match(s.op, l, integer(right.value));
    return match(s.op, l, this.flagOr(type, right.value));
  }

  // A value a statement sets keeps flags as a list.
  private value(e: TExpr): Json {
    return e.kind === 'const' && e.type.print === 'bitmask' ? single(this.flagNames(e.type, e.value)) : this.expr(e);
  }

  private match(s: TStmt & { kind: 'match' }, all: TStmt[]): Json {
    const raw = rawBits(s);
    if (raw) {
      const op = s.op === 'implicit' ? '==' : s.op;
      return { match: { op, left: { '&': [{ payload: { base: raw.base, offset: raw.offset, len: raw.len } }, integer(raw.mask)] }, right: integer(raw.value) } };
    }
    let left = this.expr(s.left);
    if (s.left.kind === 'payload' && s.left.proto === 'th') left = { payload: { protocol: thName(all, s.left), field: s.left.field } };
    if (s.left.type.print === 'bitmask' && s.right.kind === 'const') return this.flagMatch(s);
    const prefix = s.left.kind === 'binop' && s.left.op === '&' && s.left.right.kind === 'const' && s.right.kind === 'const' && (s.left.type.print === 'ipv4' || s.left.type.print === 'ipv6')
      ? prefixLength(s.left.right.value, s.left.bits) : undefined;
    if (prefix !== undefined) {
      const inner = this.expr((s.left as TExpr & { kind: 'binop' }).left);
      return { match: { op: s.op === '==' ? '==' : s.op, left: inner, right: { prefix: { addr: this.expr(s.right), len: prefix } } } };
    }
    const right = isCtPort(s.left) && s.right.kind === 'setref' && s.right.set.anonymous
      ? { set: orderedElements(s.right.set).map((el) => integer(bounds(el.key).lo)) }
      : this.expr(s.right);
    // ct label is a bitmask to nft, matched with its implicit op.
    const op = s.op === 'implicit' ? (s.left.type.print === 'label' ? 'in' : '==') : s.op;
    return { match: { op, left, right } };
  }

  stmt(s: TStmt, all: TStmt[]): Json {
    switch (s.kind) {
      case 'match':
        return this.match(s, all);
      case 'joined':
        return s.parts.map((p) => this.match({ ...p, op: s.op }, all)) as Json;
      case 'verdict':
        return s.chain ? { [s.verdict]: { target: s.chain.name } } : { [s.verdict]: null };
      case 'vmap':
        return { vmap: { key: this.expr(s.key), data: this.setRef(s.set) } };
      case 'counter': {
        if (this.o.stateless) return { counter: null };
        const { packets, bytes } = counterValues(this.o, s.index, s);
        return { counter: { packets, bytes } };
      }
      case 'objmap':
        return { [OBJREF_NAMES[s.objType]!]: { map: { key: this.expr(s.key), data: this.setRef(s.set) } } };
      case 'objref':
        return { [OBJREF_NAMES[s.objType]!]: s.object.name };
      case 'ctset': {
        const dir: Record<string, Json> = s.dir === undefined ? {} : { dir: s.dir === CtDir.Original ? 'original' : 'reply' };
        return { mangle: { key: { ct: { key: s.tmpl.name, ...dir } }, value: this.value(s.value) } };
      }
      case 'metaset':
        return { mangle: { key: { meta: { key: s.tmpl.name } }, value: this.value(s.value) } };
      case 'payloadset':
        return { mangle: { key: this.expr(s.target), value: this.expr(s.value) } };
      case 'optreset': {
        // An option of no name is known by its kind alone.
        const name = tcpOptionName(s.option);
        return { reset: { 'tcp option': /^\d+$/.test(name) ? { base: s.option, offset: 0, len: 0 } : { name } } };
      }
      case 'notrack':
        return { notrack: null };
      case 'dup': case 'fwd': case 'tproxy': case 'synproxy': case 'flowoffload':
        return forwardingJson(s, (e) => this.expr(e));
      case 'nat': {
        const root: Record<string, Json> = {};
        if (s.showFamily) root.family = s.nfproto === 10 ? 'ip6' : 'ip';
        if (s.addrMin) {
          const prefix = s.addrMax && s.addrMin.kind === 'const' ? prefixOf(s.addrMin.value, s.addrMax.value, s.addrMin.bits) : undefined;
          root.addr = prefix !== undefined ? { prefix: { addr: this.expr(s.addrMin), len: prefix } }
            : s.addrMax ? { range: [this.expr(s.addrMin), this.expr(s.addrMax)] } : this.expr(s.addrMin);
        }
        if (s.protoMin) root.port = s.protoMax ? { range: [this.expr(s.protoMin), this.expr(s.protoMax)] } : this.expr(s.protoMin);
        const flags = Object.entries(NAT_FLAG_WORDS).filter(([, bit]) => s.flags & bit).map(([w]) => w);
        if (s.flags & NatFlags.Netmap) flags.push('netmap');
        if (flags.length) root.flags = single(flags);
        if (s.flags & NatFlags.Netmap) root.type_flags = 'prefix';
        return { [s.type]: Object.keys(root).length ? root : null };
      }
      case 'queue': {
        const root: Record<string, Json> = {};
        root.num = s.map ? this.expr(s.map) : s.last > s.first ? { range: [s.first, s.last] } : s.first;
        const flags = [s.flags & QueueFlags.Bypass ? 'bypass' : '', s.flags & QueueFlags.Fanout ? 'fanout' : ''].filter(Boolean);
        if (flags.length) root.flags = single(flags);
        return { queue: root };
      }
      case 'reject': {
        if (s.icmp === 'tcp') return { reject: { type: 'tcp reset' } };
        const codes = s.icmp === 'icmp' ? TYPES.icmp_code : s.icmp === 'icmpv6' ? TYPES.icmpv6_code : TYPES.icmpx_code;
        return { reject: { type: s.icmp, expr: symbolName(codes, s.code) ?? s.code } };
      }
      case 'log': {
        const root: Record<string, Json> = {};
        if (s.prefix !== undefined) root.prefix = s.prefix;
        if (s.group !== undefined) root.group = s.group;
        if (s.snaplen !== undefined) root.snaplen = s.snaplen;
        if (s.qthreshold !== undefined) root['queue-threshold'] = s.qthreshold;
        if (s.level !== undefined && s.level !== 'warn') root.level = s.level;
        const flags: string[] = [];
        if ((s.flags & LOG_ALL) === LOG_ALL) flags.push('all');
        else {
          if (s.flags & LOG_TCPSEQ) flags.push('tcp sequence');
          if (s.flags & LOG_TCPOPT) flags.push('tcp options');
          if (s.flags & LOG_IPOPT) flags.push('ip options');
          if (s.flags & LOG_UID) flags.push('skuid');
          if (s.flags & LOG_MACDECODE) flags.push('ether');
        }
        if (flags.length) root.flags = single(flags);
        return { log: Object.keys(root).length ? root : null };
      }
      case 'connlimit':
        return { 'ct count': { val: s.count, ...(s.over ? { inv: true } : {}) } };
      case 'limit':
        return { limit: this.limit(s) };
      case 'dynset': {
        const elem = s.timeout !== undefined ? { elem: { val: this.expr(s.key), timeout: s.timeout / 1000n } } : this.expr(s.key);
        // nft's meter_stmt_json: the element's statement stateless.
        const list = (s.exprs ?? []).map((e) => (e.kind === 'counter' ? { counter: null } : this.stmt(e, [])) as Json);
        if (list.length && s.set.meter) return { meter: { key: elem, stmt: list[0]!, size: s.set.declaredSize ?? 65535, name: s.set.name } };
        const stmts: Record<string, Json> = list.length ? { stmt: list } : {};
        if (s.data) return { map: { op: s.op, elem, data: this.expr(s.data), map: `@${s.set.name}`, ...stmts } };
        return { set: { op: s.op, elem, set: `@${s.set.name}`, ...stmts } };
      }
      case 'quota': {
        const { value, unit } = byteUnits(s.bytes);
        const root: Record<string, Json> = { val: value, val_unit: unit };
        if (s.over) root.inv = true;
        const used = quotaUsed(this.o, s);
        if (used && !this.o.stateless) {
          const u = byteUnits(used);
          root.used = u.value;
          root.used_unit = u.unit;
        }
        return { quota: root };
      }
    }
  }

  private limit(s: TStmt & { kind: 'limit' }): Record<string, Json> {
    const rate = s.bytes ? byteUnits(s.rate) : { value: s.rate, unit: undefined };
    const burst = s.bytes ? byteUnits(s.burst) : { value: s.burst, unit: undefined };
    return {
      rate: rate.value, burst: burst.value, per: PERIOD_NAMES[s.unit]!,
      ...(s.over ? { inv: true } : {}), ...(rate.unit ? { rate_unit: rate.unit } : {}), ...(burst.unit ? { burst_unit: burst.unit } : {}),
    };
  }

  rule(r: RuleModel, t: TableModel): Json {
    const expr = visibleStmts(r).flatMap((s) => {
      const j = this.stmt(s, r.stmts);
      return s.kind === 'joined' ? (j as Json[]) : [j];
    });
    return {
      rule: {
        family: t.family, table: t.name, chain: r.chain.name, handle: r.handle,
        ...(r.comment !== undefined ? { comment: r.comment } : {}), expr,
      },
    };
  }

  // nft 1.0.6 lists no device of a netdev chain here.
  chain(c: ChainModel, t: TableModel): Json {
    return {
      chain: {
        family: t.family, table: t.name, name: c.name, handle: c.handle,
        ...(c.hook !== undefined ? { type: c.type!, hook: c.hook, prio: c.priority!, policy: c.policy ?? 'accept' } : {}),
      },
    };
  }

  object(obj: ObjectModel, t: TableModel): Json {
    const head = { family: t.family, name: obj.name, table: t.name, handle: obj.handle };
    switch (obj.kind) {
      case 'counter': return { counter: { ...head, ...counterValues(this.o, obj.index, obj) } };
      case 'quota': return { quota: { ...head, bytes: obj.stmt.bytes, used: quotaUsed(this.o, obj.stmt), inv: obj.stmt.over } };
      case 'limit': {
        const { burst, ...rest } = this.limit(obj.stmt);
        const rateUnit = rest.rate_unit;
        const burstUnit = rest.burst_unit;
        return {
          limit: {
            ...head, rate: rest.rate!, per: rest.per!, ...(obj.stmt.over ? { inv: true } : {}),
            ...(rateUnit ? { rate_unit: rateUnit } : {}), ...(burst ? { burst, ...(burstUnit ? { burst_unit: burstUnit } : {}) } : {}),
          },
        };
      }
      case 'synproxy': {
        const flags = [obj.flags & SynproxyFlags.Timestamp ? 'timestamp' : '', obj.flags & SynproxyFlags.SackPerm ? 'sack-perm' : ''].filter(Boolean);
        return { synproxy: { ...head, mss: obj.mss, wscale: obj.wscale, ...(flags.length ? { flags } : {}) } };
      }
      case 'cttimeout':
        return { 'ct timeout': { ...head, ...ctObjectJson(obj) } };
      case 'ctexpect':
        return { 'ct expectation': { ...head, ...ctObjectJson(obj) } };
      case 'cthelper':
        return { 'ct helper': { ...head, type: obj.helper, protocol: obj.protocolName, l3proto: obj.family === 10 ? 'ip6' : obj.family === 1 ? 'inet' : 'ip' } };
    }
  }

  set(set: SetModel, t: TableModel): Json {
    // nft 1.0.6 names the types of a set declared with typeof too.
    const type = single(set.keyTypes.map((k) => k.name));
    const root: Record<string, Json> = { family: t.family, name: set.name, table: t.name, type, handle: set.handle };
    if (set.comment !== undefined) root.comment = set.comment;
    if (set.isMap) root.map = set.objType !== undefined ? OBJREF_NAMES[set.objType]! : single(set.dataType!.type.name.split(' . '));
    const constant = set.flagNames.includes('constant');
    const size = set.declaredSize ?? (set.updated ? 65535 : undefined);
    if (!constant && size !== undefined) root.size = size;
    // nft 1.0.6 lists neither the dynamic flag nor auto-merge here.
    const flags = JSON_SET_FLAGS.filter((f) => set.flagNames.includes(f));
    if (flags.length) root.flags = flags;
    if (set.timeout !== undefined) root.timeout = set.timeout / 1000n;
    if (set.gcInterval !== undefined) root['gc-interval'] = set.gcInterval / 1000n;
    const live = this.o.setElements?.(set);
    const elements = live ? this.liveElements(set, live) : undefined;
    const elem = live && elements !== undefined ? elements : set.elements.length ? this.elements(orderedElements(set), set) : [];
    if (elem.length) root.elem = elem;
    if (set.counter) root.stmt = [{ counter: null }];
    return { [set.isMap ? 'map' : 'set']: root };
  }
}

const JSON_SET_FLAGS = ['constant', 'interval', 'timeout'];

const OBJREF_NAMES: Record<number, string> = {
  [ObjectType.Counter]: 'counter', [ObjectType.CtHelper]: 'ct helper', [ObjectType.Quota]: 'quota', [ObjectType.Limit]: 'limit',
  [ObjectType.CtTimeout]: 'ct timeout', [ObjectType.CtExpect]: 'ct expectation', [ObjectType.Synproxy]: 'synproxy',
};

// The document `nft -j list ruleset` prints: metainfo, then per table the
// table, its objects, named sets, chains and rules (nft 1.0.6's order).
export function rulesetJson(model: RulesetModel, o: ListingOptions = {}): Json {
  const p = new JsonPrinter(o);
  const items: Json[] = [{ metainfo: JSON_METAINFO }];
  for (const t of listedTables(model, o)) {
    items.push({ table: { family: t.family, name: t.name, handle: t.handle } });
    for (const x of t.objects) items.push(p.object(x, t));
    for (const s of t.sets) if (!s.anonymous) items.push(p.set(s, t));
    for (const c of t.chains) items.push(p.chain(c, t));
    for (const c of t.chains) for (const r of c.rules) items.push(p.rule(r, t));
  }
  return { nftables: items };
}

export function listRulesetJson(model: RulesetModel, o: ListingOptions = {}): string {
  return `${stringifyJson(rulesetJson(model, o))}\n`;
}

// nft's dup_stmt_json, fwd_stmt_json, tproxy_stmt_json, synproxy_stmt_json
// and flow_offload_stmt_json (netdev's dup names its device as the address,
// as nft keeps it).
function forwardingJson(s: ForwardingModel, expr: (e: TExpr) => Json): Json {
  const family = (nfproto: number): string => (nfproto === 10 ? 'ip6' : 'ip');
  switch (s.kind) {
    case 'dup':
      return { dup: s.addr ? { addr: expr(s.addr), ...(s.dev ? { dev: expr(s.dev) } : {}) } : { addr: expr(s.dev!) } };
    case 'fwd':
      return { fwd: { dev: expr(s.dev), ...(s.addr ? { family: family(s.nfproto), addr: expr(s.addr) } : {}) } };
    case 'tproxy':
      return { tproxy: { ...(s.showFamily ? { family: family(s.nfproto) } : {}), ...(s.addr ? { addr: expr(s.addr) } : {}), ...(s.port ? { port: expr(s.port) } : {}) } };
    case 'synproxy': {
      const root: Record<string, Json> = {};
      if (s.flags & SynproxyFlags.Mss) root.mss = s.mss;
      if (s.flags & SynproxyFlags.Wscale) root.wscale = s.wscale;
      const flags = [s.flags & SynproxyFlags.Timestamp ? 'timestamp' : '', s.flags & SynproxyFlags.SackPerm ? 'sack-perm' : ''].filter(Boolean);
      if (flags.length) root.flags = flags;
      return { synproxy: Object.keys(root).length ? root : null };
    }
    case 'flowoffload':
      return { flow: { op: 'add', flowtable: `@${s.flowtable.name}` } };
  }
}
