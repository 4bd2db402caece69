// Prints the ruleset as `nft list ruleset` does, with nft's output flags.
import { CtDir, CtKey, DYNSET_DEFAULT_SIZE, DynamicElementTail, MetaKey, ObjectType, QueueFlags } from '../assembly/abi.js';
import { LOOPBACK_ONLY, SERVICES, type CgroupTree, type InterfaceName, TYPES, symbolName, type ByteOrder, type Datatype } from './datatypes.js';
import { LOG_ALL, LOG_IPOPT, LOG_MACDECODE, LOG_TCPOPT, LOG_TCPSEQ, LOG_UID } from './ast.js';
import type { ChainModel, ObjectModel, TableModel, RuleModel, RulesetModel, SetElementModel, SetModel, TExpr, TStmt } from './model.js';
import { ctObjectText } from './ct-objects.js';
import { flowtableText, forwardingText, synproxyObjectText } from './forwarding.js';
import { natText, pairwiseText } from './nat.js';
import { priorityName } from './priorities.js';
import { payloadShift } from './evaluate.js';
import { isRaw } from './headers/raw.js';
import { tcpOptionName } from './headers/tcpopt.js';
import { PROTOCOLS } from './selectors.js';
import { intervalRanges, type IntervalRange } from './encode.js';
import { bounds, fromStringOrder } from './evaluate.js';
import { foldBitwise } from './linearize.js';
import { fromBytes, TC_H_ROOT, toBytes } from './values.js';
import { routingText } from './routing.js';
import { sameKey } from './commands.js';

export interface ListingOptions {
  // [packets, bytes] per counter index.
  counters?: BigUint64Array;
  // Bytes a quota (by its state slot) has counted since the ruleset was
  // loaded, on top of the `used` it was given.
  quotaCounted?: (slot: number) => bigint;
  // What a set rules update holds now, as the data plane keeps it;
  // undefined: the elements the ruleset declares.
  setElements?: (set: SetModel) => LiveSetElement[] | undefined;
  handles?: boolean;
  stateless?: boolean;
  // -n: numeric protocols, priorities, times and symbols (flags in hex).
  numeric?: boolean;
  numericProtocol?: boolean;
  numericPriority?: boolean;
  // -T: times in seconds.
  numericTime?: boolean;
  // -S: ports as quoted service names, -n or not.
  services?: boolean;
  // The devices interface indexes are listed by name with (CompileOptions).
  interfaces?: readonly InterfaceName[];
  // The tree cgroup ids are listed by path with (CompileOptions).
  cgroups?: CgroupTree;
  // -j: as libnftables JSON, one line.
  json?: boolean;
  // A table of nftwasm's own (the trace filter's) left out of the listing.
  omitTable?: string;
}

// An element of a set as the data plane holds it: key and data in register
// layout; for one a rule added with a timeout, that timeout and the time
// left before it expires.
const ELEMENT_STATE_SIZE = DynamicElementTail.StateSize;

export interface LiveSetElement {
  key: Uint8Array;
  data?: Uint8Array;
  // What the statements rules give the element keep (DynamicElementTail
  // from State on), for an element a rule added.
  state?: Uint8Array;
  timeoutMs?: bigint;
  expiresMs?: bigint;
  counter?: { packets: bigint; bytes: bigint };
}

function priorityText(c: ChainModel, o: ListingOptions): string {
  const p = c.priority!;
  if (o.numeric || o.numericPriority) return String(p);
  return priorityName(c.table.family, c.hook!, p);
}

export function formatTime(ms: bigint, o: ListingOptions): string {
  if (o.numericTime) return `${ms / 1000n}s`;
  let rest = ms;
  let out = '';
  for (const [unit, size] of [['d', 86400000n], ['h', 3600000n], ['m', 60000n], ['s', 1000n]] as const) {
    if (rest >= size) {
      out += `${rest / size}${unit}`;
      rest %= size;
    }
  }
  if (rest > 0n) out += `${rest}ms`;
  return out;
}

function ipv6Text(v: bigint): string {
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((v >> BigInt(i * 16)) & 0xffffn));
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = (g: number[]) => g.map((x) => x.toString(16)).join(':');
  // inet_ntop writes IPv4-compatible and IPv4-mapped addresses with the
  // IPv4 address dotted.
  if (best === 0 && (bestLen === 6 || (bestLen === 5 && groups[5] === 0xffff))) {
    const v4 = [groups[6] >> 8, groups[6] & 0xff, groups[7] >> 8, groups[7] & 0xff].join('.');
    return bestLen === 6 ? `::${v4}` : `::ffff:${v4}`;
  }
  if (best < 0) return hex(groups);
  return `${hex(groups.slice(0, best))}::${hex(groups.slice(best + bestLen))}`;
}

function stringText(v: bigint): string {
  let s = '';
  let x = v;
  while (x > 0n) {
    s += String.fromCharCode(Number(x & 0xffn));
    x >>= 8n;
  }
  return s;
}

export function valueText(type: Datatype, value: bigint, o: ListingOptions, bits = type.bits): string {
  switch (type.print) {
    case 'hex': return '0x' + value.toString(16).padStart(Math.ceil(bits / 4), '0');
    case 'date': {
      const d = new Date(Number(value / 1_000_000n));
      const two = (n: number) => String(n).padStart(2, '0');
      return `"${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}"`;
    }
    case 'hour': {
      // nft 1.0.6 adds today's offset in C arithmetic: west of UTC, an hour
      // before the offset wraps to a 32-bit number of seconds, and prints so.
      const offset = -new Date().getTimezoneOffset() * 60;
      const s = ((Number(value) + offset) % 86400) >>> 0;
      const two = (n: number) => String(n).padStart(2, '0');
      return `"${two(Math.floor(s / 3600))}:${two(Math.floor(s / 60) % 60)}${s % 60 ? `:${two(s % 60)}` : ''}"`;
    }
    case 'hexnum': return '0x' + value.toString(16);
    case 'classid': return value === TC_H_ROOT ? 'root' : value === 0n ? 'none' : `${(value >> 16n).toString(16)}:${(value & 0xffffn).toString(16)}`;
    case 'cgroupv2': {
      const path = o.cgroups?.path(value);
      return path === undefined ? value.toString() : `"${path}"`;
    }
    case 'decimal':
    case 'user':
    case 'group': return value.toString();
    case 'iface': {
      const name = (o.interfaces ?? LOOPBACK_ONLY).find((d) => BigInt(d.index) === value)?.name;
      return name === undefined ? value.toString() : `"${name}"`;
    }
    case 'ipv4': return [24n, 16n, 8n, 0n].map((s) => (value >> s) & 0xffn).join('.');
    case 'ipv6': return ipv6Text(value);
    case 'ether': return Array.from({ length: 6 }, (_, i) => ((value >> BigInt((5 - i) * 8)) & 0xffn).toString(16).padStart(2, '0')).join(':');
    // A star of the value itself, not a wildcard, is escaped.
    case 'string': return `"${stringText(value).replace(/\*$/, '\\*')}"`;
    case 'time': return formatTime(value, o.numeric ? { numericTime: true } : o);
    case 'label': {
      for (let i = 0n; i < 128n; i++) if (value === 1n << i) return i.toString();
      return '0x' + value.toString(16);
    }
    case 'service': {
      if (o.services) {
        // nft 1.0.6 quotes the names getservbyport gives it.
        const name = SERVICES.find(([, v]) => BigInt(v) === value)?.[0];
        return name === undefined ? value.toString() : `"${name}"`;
      }
      return value.toString();
    }
    case 'protocol': {
      if (o.numeric || o.numericProtocol) return value.toString();
      return symbolName(type, Number(value)) ?? value.toString();
    }
    case 'symbol': {
      // Types with a hex base format print numbers without a name in it.
      const number = type.hexDigits ? '0x' + value.toString(16).padStart(type.hexDigits, '0') : value.toString();
      if (o.numeric) return number;
      const name = symbolName(type, Number(value));
      if (name === undefined) return number;
      return type.quoted ? `"${name}"` : name;
    }
    case 'bitmask': {
      if (value === 0n) return '0x0';
      if (o.numeric) return '0x' + value.toString(16);
      const names: string[] = [];
      let rest = value;
      for (const [n, v] of type.symbols ?? []) {
        if (v && (value & BigInt(v)) === BigInt(v) && (rest & BigInt(v))) {
          names.push(n);
          rest &= ~BigInt(v);
        }
      }
      if (rest) names.push('0x' + rest.toString(16));
      return names.join(',');
    }
    case 'verdict': return String(value);
  }
}

// The length of a mask of leading ones, as nft lists an address masked
// with one.
export function prefixLength(mask: bigint, bits: number): number | undefined {
  for (let n = 0; n <= bits; n++) {
    const m = ((1n << BigInt(n)) - 1n) << BigInt(bits - n);
    if (m === mask) return n;
  }
  return undefined;
}

export function popcount(v: bigint): number {
  let n = 0;
  for (let x = v; x > 0n; x >>= 1n) n += Number(x & 1n);
  return n;
}

// Flag names in bit order, as nft splits a bitmask value.
export function flagsText(type: Datatype, value: bigint, sep: string, numeric = false): string {
  if (value === 0n) return '0x0';
  const names: string[] = [];
  for (let bit = 0n; value >> bit; bit++) {
    const v = 1n << bit;
    if (value & v) names.push((numeric ? undefined : symbolName(type, Number(v))) ?? '0x' + v.toString(16));
  }
  return names.join(sep);
}

export class Printer {
  constructor(private readonly o: ListingOptions) {}

  expr(e: TExpr, top = true): string {
    switch (e.kind) {
      case 'ct': {
        const dropDir = e.tmpl.name === 'protocol' || e.tmpl.name === 'l3proto';
        const dir = e.dir === undefined || dropDir ? '' : (e.dir === CtDir.Original ? 'original ' : 'reply ');
        const key = e.tmpl.name === 'src_ip' || e.tmpl.name === 'src_ip6' || e.tmpl.name === 'src' ? 'saddr'
          : e.tmpl.name === 'dst_ip' || e.tmpl.name === 'dst_ip6' || e.tmpl.name === 'dst' ? 'daddr'
          : Object.entries(CT_PRINT).find(([, v]) => v === e.tmpl.name)?.[0] ?? e.tmpl.name;
        const proto = key === 'saddr' || key === 'daddr' ? (e.type.name === 'ipv4_addr' ? 'ip ' : 'ip6 ') : '';
        return `ct ${dir}${proto}${key}`;
      }
      case 'meta':
        return UNQUALIFIED_PRINT.has(e.key) ? e.name : `meta ${e.name}`;
      case 'payload':
        return isRaw(e.proto) ? `${e.proto},${e.field}` : `${e.proto} ${e.field}`;
      case 'const':
        if (e.type.print === 'bitmask' && popcount(e.value) > 1) return top ? this.flags(e.type, e.value, ' | ') : `(${this.flags(e.type, e.value, ' | ')})`;
        return valueText(e.type, e.value, this.o, e.bits);
      case 'binop': {
        const folded = foldBitwise(e);
        if (folded) return this.bitwise(e, folded, top);
        const l = this.expr(e.left, false);
        const r = e.op === '<<' || e.op === '>>' ? (e.right as TExpr & { kind: 'const' }).value.toString() : this.expr(e.right, false);
        const s = `${l} ${e.op} ${r}`;
        return top ? s : `(${s})`;
      }
      case 'concat':
        return e.items.map((i) => this.expr(i, false)).join(' . ');
      case 'range':
        if (e.pairwise) return pairwiseText(e, (x) => this.expr(x));
        // nft prints both ends of a time range in seconds.
        if (e.type.print === 'time') return `${formatTime((e.low as TExpr & { kind: 'const' }).value, { numericTime: true })}-${formatTime((e.high as TExpr & { kind: 'const' }).value, { numericTime: true })}`;
        // nft prints a range's ends as numbers, symbols in their base.
        return `${this.numeric(e.low)}-${this.numeric(e.high)}`;
      case 'prefix': {
        // An interface name wildcard, as written.
        if (e.type.print === 'string') return `"${stringText((e.value as TExpr & { kind: 'const' }).value)}*"`;
        // Listed from what the kernel holds: the host bits cleared, a
        // prefix of the whole field as the value alone.
        const { lo } = bounds(e);
        const value = this.expr({ ...(e.value as TExpr & { kind: 'const' }), value: lo });
        return e.length === e.bits ? value : `${value}/${e.length}`;
      }
      case 'setref':
        return this.setRef(e.set);
      case 'map':
        return `${this.expr(e.key)} map ${this.setRef(e.set)}`;
      case 'verdict':
        return e.chain ? `${e.verdict} ${e.chain.name}` : e.verdict;
      case 'fib':
      case 'rt':
      case 'numgen':
      case 'hash':
      case 'socket':
      case 'xfrm':
      case 'osf':
        return routingText(e, (x) => this.expr(x, false))!;
    }
  }

  // One mask and xor as nft prints them back (netlink_delinearize.c):
  // xor bits outside the mask are an | with the mask widened by them,
  // any other xor an ^.
  private bitwise(e: TExpr, f: { inner: TExpr; mask: bigint; xor: bigint }, top: boolean): string {
    const all = (1n << BigInt(e.bits)) - 1n;
    const or = (f.xor & f.mask) === 0n;
    const mask = or ? f.mask | f.xor : f.mask;
    const value = (v: bigint) => this.expr({ kind: 'const', value: v, type: e.type, bits: e.bits, byteorder: e.byteorder }, false);
    let s = this.expr(f.inner, false);
    if (mask !== all) s += ` & ${value(mask)}`;
    if (f.xor !== 0n) s += ` ${or ? '|' : '^'} ${value(f.xor)}`;
    return top ? s : `(${s})`;
  }

  // Matches on flag types as nft prints them back from the bytecode
  // (netlink_delinearize.c: relational_binop_postprocess, flagcmp).
  private flagMatch(s: TStmt & { kind: 'match' }, leftText: string): string {
    const right = s.right as TExpr & { kind: 'const' };
    const type = s.left.type;
    const list = (v: bigint) => this.flags(type, v, ',');
    if (s.op === 'implicit') return `${leftText} ${list(right.value)}`;
    if (s.op === '!') return `${leftText} ! ${list(right.value)}`;
    let left = s.left;
    if (left.kind === 'binop' && left.op === '&' && left.right.kind === 'const') {
      const mask = left.right.value;
      if (mask !== (1n << BigInt(left.left.bits)) - 1n) {
        const inner = this.expr(left.left, false);
        if (right.value === 0n) return s.op === '!=' ? `${inner} ${list(mask)}` : `${inner} ! ${list(mask)}`;
        if (right.value === mask && popcount(mask) <= 1) return `${inner} & ${list(mask)} ${s.op} ${list(right.value)}`;
        return `${inner} ${s.op === '!=' ? '!= ' : ''}${list(right.value)} / ${list(mask)}`;
      }
      left = left.left;
    }
    const l = this.expr(left, false);
    if (popcount(right.value) <= 1) return `${l} ${s.op} ${list(right.value)}`;
    // A header field keeps the value as loaded; other selectors turn it
    // into an expression of single flags.
    if (left.kind === 'payload') return `${l} ${s.op} 0x${right.value.toString(16)}`;
    return `${l} ${s.op === '!=' ? '!= ' : ''}${this.flags(type, right.value, ' | ')}`;
  }

  private flags(type: Datatype, value: bigint, sep: string): string {
    return flagsText(type, value, sep, this.o.numeric);
  }

  private numeric(e: TExpr): string {
    return e.kind === 'const' ? valueText(e.type, e.value, { ...this.o, numeric: true }, e.bits) : this.expr(e);
  }

  // A value a statement sets keeps flags as a list.
  private setValue(e: TExpr): string {
    return e.kind === 'const' && e.type.print === 'bitmask' ? this.flags(e.type, e.value, ',') : this.expr(e);
  }

  setRef(set: SetModel): string {
    return set.anonymous ? `{ ${this.elements(set)} }` : `@${set.name}`;
  }

  // A named set's elements are broken over lines as nft breaks them (its
  // calculate_delim).
  elements(set: SetModel): string {
    const els = orderedElements(set);
    const data = (el: SetElementModel): string => (el.objName !== undefined ? `"${el.objName}"` : this.expr(el.data!));
    const key = (el: SetElementModel): string => `${el.catchAll ? '*' : this.expr(el.key)}${this.elementCounter(el)}${this.elementTimes(set, el)}${el.comment !== undefined ? ` comment "${el.comment}"` : ''}`;
    return this.elementLines(set, els.map((el) => (el.data ? `${key(el)} : ${data(el)}` : key(el))));
  }

  // An element's counter after its key, without its values when stateless.
  private elementCounter(el: { counter?: { packets: bigint; bytes: bigint } }): string {
    if (!el.counter) return '';
    return this.o.stateless ? ' counter' : ` counter packets ${el.counter.packets} bytes ${el.counter.bytes}`;
  }

  // The statements the element keeps, as the first rule adding to the set
  // gives them (nft's set_elem_expr_print), with what they counted.
  private elementStmts(set: SetModel, el: LiveSetElement): string {
    const adding = set.table.chains.flatMap((c) => c.rules.flatMap((r) => r.stmts)).find((s) => s.kind === 'dynset' && s.set === set && s.exprs?.length);
    if (adding?.kind !== 'dynset' || !el.state || set.meter) return '';
    const view = new DataView(el.state.buffer, el.state.byteOffset, el.state.byteLength);
    return adding.exprs!.map((e, i) => {
      const at = i * ELEMENT_STATE_SIZE;
      if (e.kind === 'counter') return this.elementCounter({ counter: { packets: view.getBigUint64(at, true), bytes: view.getBigUint64(at + 8, true) } });
      // nft_quota's dump: what was used, at most the quota.
      if (e.kind === 'quota') {
        const used = e.used + view.getBigUint64(at, true);
        return ` ${new Printer({ ...this.o, quotaCounted: undefined }).stmt({ ...e, used: used > e.bytes ? e.bytes : used }, [])}`;
      }
      return ` ${this.stmt(e, [])}`;
    }).join('');
  }

  // nft's set_elem_expr_print: the element's timeout when it is not the
  // set's, then the time it has left.
  private elementTimes(set: SetModel, el: { timeoutMs?: bigint; expiresMs?: bigint }): string {
    let text = '';
    if (el.timeoutMs !== undefined && el.timeoutMs !== set.timeout) text += ` timeout ${formatTime(el.timeoutMs, this.o)}`;
    if (el.expiresMs !== undefined && !this.o.stateless) text += ` expires ${formatTime(el.expiresMs, this.o)}`;
    return text;
  }

  private elementLines(set: SetModel, texts: string[]): string {
    if (set.anonymous) return texts.join(', ');
    const perLine = set.keyTypes.length === 1 ? ELEMENTS_PER_LINE[set.keyTypes[0]!.name] ?? 1 : 1;
    return texts.map((t, i) => (i === 0 ? t : i % perLine === 0 ? `,\n\t\t\t     ${t}` : `, ${t}`)).join('');
  }

  // A set's live elements, printed as nft prints what the kernel holds:
  // the key, the element's timeout when it is not the set's, the time
  // left, then a map's data. Undefined when a key does not decode.
  private liveElements(set: SetModel, live: LiveSetElement[]): string | undefined {
    const rows: { key: TExpr; text: string }[] = [];
    for (const el of live) {
      const key = decodeKey(set, el.key);
      const data = set.dataType && el.data ? decodeValue(set.dataType, el.data) : undefined;
      if (!key || (set.dataType && !data)) return undefined;
      let text = this.expr(key) + this.elementCounter(el) + this.elementStmts(set, el) + this.elementTimes(set, el);
      // The data plane keeps no comments: those the ruleset gave.
      const comment = set.elements.find((d) => d.comment !== undefined && sameKey(d.key, key))?.comment;
      if (comment !== undefined) text += ` comment "${comment}"`;
      if (data) text += ` : ${this.expr(data)}`;
      rows.push({ key, text });
    }
    rows.sort((a, b) => compareKeys(a.key, b.key));
    return this.elementLines(set, rows.map((r) => r.text));
  }

  stmts(rule: RuleModel): string {
    const parts = visibleStmts(rule).map((s) => this.stmt(s, rule.stmts));
    if (rule.comment !== undefined) parts.push(`comment "${rule.comment}"`);
    return parts.join(' ');
  }

  private stmt(s: TStmt, all: TStmt[]): string {
    switch (s.kind) {
      case 'match': {
        const raw = rawBitsMatch(s);
        if (raw !== undefined) return raw;
        let left = this.expr(s.left);
        if (s.left.kind === 'payload' && s.left.proto === 'th') left = `${thName(all, s.left)} ${s.left.field}`;
        if (s.left.type.print === 'bitmask' && s.right.kind === 'const') return this.flagMatch(s, left);
        const prefix = s.left.kind === 'binop' && s.left.op === '&' && s.left.right.kind === 'const' && s.right.kind === 'const' && (s.left.type.print === 'ipv4' || s.left.type.print === 'ipv6')
          ? prefixLength(s.left.right.value, s.left.bits) : undefined;
        if (prefix !== undefined) {
          const inner = this.expr((s.left as TExpr & { kind: 'binop' }).left);
          return `${inner} ${s.op === '==' ? '' : s.op + ' '}${this.expr(s.right)}/${prefix}`;
        }
        const right = isCtPort(s.left) && s.right.kind === 'setref' && s.right.set.anonymous ? `{ ${untypedElements(s.right.set)} }` : this.expr(s.right);
        if (s.op === 'implicit') return `${left} ${right}`;
        if (s.op === '==') return s.left.kind === 'binop' ? `${left} == ${right}` : `${left} ${right}`;
        return `${left} ${s.op} ${right}`;
      }
      case 'joined':
        return s.parts.map((p) => this.stmt({ ...p, op: s.op }, all)).join(' ');
      case 'verdict':
        return s.chain ? `${s.verdict} ${s.chain.name}` : s.verdict;
      case 'vmap':
        return `${this.expr(s.key)} vmap ${this.setRef(s.set)}`;
      case 'counter': {
        if (this.o.stateless) return 'counter';
        const { packets, bytes } = counterValues(this.o, s.index, s);
        return `counter packets ${packets} bytes ${bytes}`;
      }
      case 'objmap':
        return `${OBJMAP_WORDS[s.objType]} ${this.expr(s.key)} map ${this.setRef(s.set)}`;
      case 'objref':
        return `${OBJREF_SET[s.object.kind] ?? `${s.object.kind} name`} "${s.object.name}"`;
      case 'ctset': {
        const dir = s.dir === undefined ? '' : s.dir === CtDir.Original ? 'original ' : 'reply ';
        return `ct ${dir}${s.tmpl.name} set ${this.setValue(s.value)}`;
      }
      case 'metaset':
        return `${UNQUALIFIED_PRINT.has(s.tmpl.key) ? '' : 'meta '}${s.tmpl.name} set ${this.setValue(s.value)}`;
      case 'payloadset':
        return `${this.expr(s.target)} set ${this.expr(s.value)}`;
      case 'optreset':
        return `reset tcp option ${tcpOptionName(s.option)}`;
      case 'notrack':
        return 'notrack';
      case 'nat':
        return natText(s, (e) => this.expr(e));
      case 'dup': case 'fwd': case 'tproxy': case 'synproxy': case 'flowoffload':
        return forwardingText(s, (e) => this.expr(e));
      case 'queue': {
        const flags = [s.flags & QueueFlags.Bypass ? 'bypass' : '', s.flags & QueueFlags.Fanout ? 'fanout' : ''].filter(Boolean).join(',');
        const to = s.map ? this.expr(s.map) : `${s.first}${s.last > s.first ? `-${s.last}` : ''}`;
        return `queue${flags ? ` flags ${flags}` : ''} to ${to}`;
      }
      case 'reject': {
        if (s.isDefault) return 'reject';
        if (s.icmp === 'tcp') return 'reject with tcp reset';
        const codes = s.icmp === 'icmp' ? TYPES.icmp_code : s.icmp === 'icmpv6' ? TYPES.icmpv6_code : TYPES.icmpx_code;
        return `reject with ${s.icmp} ${symbolName(codes, s.code) ?? s.code}`;
      }
      case 'log': {
        let out = 'log';
        if (s.prefix !== undefined) out += ` prefix "${s.prefix}"`;
        if (s.group !== undefined) out += ` group ${s.group}`;
        if (s.snaplen !== undefined) out += ` snaplen ${s.snaplen}`;
        if (s.qthreshold !== undefined) out += ` queue-threshold ${s.qthreshold}`;
        if (s.level !== undefined && s.level !== 'warn') out += ` level ${s.level}`;
        if ((s.flags & LOG_ALL) === LOG_ALL) return `${out} flags all`;
        if (s.flags & (LOG_TCPSEQ | LOG_TCPOPT)) out += ` flags tcp ${[s.flags & LOG_TCPSEQ ? 'sequence' : '', s.flags & LOG_TCPOPT ? 'options' : ''].filter(Boolean).join(',')}`;
        if (s.flags & LOG_IPOPT) out += ' flags ip options';
        if (s.flags & LOG_UID) out += ' flags skuid';
        if (s.flags & LOG_MACDECODE) out += ' flags ether';
        return out;
      }
      case 'connlimit':
        return `ct count ${s.over ? 'over ' : ''}${s.count}`;
      case 'limit': {
        const over = s.over ? 'over ' : '';
        const period = PERIOD_NAMES[s.unit];
        if (!s.bytes) return `limit rate ${over}${s.rate}/${period}${s.burst !== 5n ? ` burst ${s.burst} packets` : ''}`;
        return `limit rate ${over}${byteAmount(s.rate)}/${period}${s.burst ? ` burst ${byteAmount(s.burst)}` : ''}`;
      }
      case 'dynset':
        // An element's counter is listed without its values.
        const exprs = (s.exprs ?? []).map((e) => (e.kind === 'counter' ? 'counter' : this.stmt(e, []))).join(' ');
        if (exprs && s.set.meter) {
          const expr = exprs;
          return `meter ${s.set.name} size ${s.set.declaredSize ?? DYNSET_DEFAULT_SIZE} { ${this.expr(s.key)}${s.timeout !== undefined ? ` timeout ${formatTime(s.timeout, this.o)}` : ''} ${expr} }`;
        }
        return `${s.op} @${s.set.name} { ${this.expr(s.key)}${s.timeout !== undefined ? ` timeout ${formatTime(s.timeout, this.o)}` : ''}${exprs ? ` ${exprs}` : ''}${s.data ? ` : ${this.expr(s.data)}` : ''} }`;
      case 'quota': {
        const used = quotaUsed(this.o, s);
        return `quota ${s.over ? 'over ' : ''}${byteAmount(s.bytes)}${used && !this.o.stateless ? ` used ${byteAmount(used)}` : ''}`;
      }
    }
  }

  object(obj: ObjectModel): string {
    const h = this.o.handles ? ` # handle ${obj.handle}` : '';
    if (obj.kind === 'cthelper') {
      const l3 = obj.family === 10 ? 'ip6' : obj.family === 1 ? 'inet' : 'ip';
      return `\tct helper ${obj.name} {${h}\n\t\ttype "${obj.helper}" protocol ${obj.protocolName}\n\t\tl3proto ${l3}\n\t}\n`;
    }
    if (obj.kind === 'synproxy') return synproxyObjectText(obj, `\tsynproxy ${obj.name} {${h}`);
    if (obj.kind === 'cttimeout' || obj.kind === 'ctexpect') return ctObjectText(obj, `${obj.name} {${h}`, (ms) => formatTime(ms, this.o));
    if (obj.kind === 'quota' || obj.kind === 'limit') {
      // The statement of its name without the keyword, as used so far.
      const args = this.stmt(obj.stmt, []).slice(obj.kind.length + 1);
      return `\t${obj.kind} ${obj.name} {${h}\n\t\t${args}\n\t}\n`;
    }
    const { packets, bytes } = counterValues(this.o, obj.index, obj);
    // Stateless, nft prints the counter's block empty.
    if (this.o.stateless) return `\tcounter ${obj.name} {${h}\n\t}\n`;
    return `\tcounter ${obj.name} {${h}\n\t\tpackets ${packets} bytes ${bytes}\n\t}\n`;
  }

  set(set: SetModel): string {
    const h = this.o.handles ? ` # handle ${set.handle}` : '';
    let out = `\t${set.isMap ? 'map' : 'set'} ${set.name} {${h}\n`;
    if (set.typeofKey) {
      out += `\t\ttypeof ${set.typeofKey.map((e) => this.expr(e, false)).join(' . ')}${set.typeofData ? ` : ${this.expr(set.typeofData)}` : ''}\n`;
    } else {
      out += `\t\ttype ${set.keyTypes.map((t) => t.name).join(' . ')}${set.dataType ? ` : ${set.dataType.type.name}` : ''}\n`;
    }
    // The kernel gives a set rules add to a size when it was declared
    // without one.
    const size = set.declaredSize ?? (set.updated ? DYNSET_DEFAULT_SIZE : undefined);
    if (size !== undefined) out += `\t\tsize ${size}\n`;
    const flags = SET_FLAG_ORDER.filter((f) => set.flagNames.includes(f) || (f === 'dynamic' && set.dynamic));
    // A timeout alone among the flags goes without saying beside the
    // set's timeout.
    if (flags.length && !(flags.length === 1 && flags[0] === 'timeout' && set.timeout !== undefined)) out += `\t\tflags ${flags.join(',')}\n`;
    if (set.counter) out += '\t\tcounter\n';
    if (set.autoMerge) out += '\t\tauto-merge\n';
    if (set.timeout !== undefined) out += `\t\ttimeout ${formatTime(set.timeout, this.o)}\n`;
    if (set.comment !== undefined) out += `\t\tcomment "${set.comment}"\n`;
    if (set.gcInterval !== undefined) out += `\t\tgc-interval ${formatTime(set.gcInterval, this.o)}\n`;
    const live = this.o.setElements?.(set);
    const elements = live ? this.liveElements(set, live) : undefined;
    if (live && elements !== undefined) {
      if (live.length) out += `\t\telements = { ${elements} }\n`;
    } else if (set.elements.length) {
      out += `\t\telements = { ${this.elements(set)} }\n`;
    }
    return out + '\t}\n';
  }

  chain(c: ChainModel): string {
    const h = this.o.handles ? ` # handle ${c.handle}` : '';
    let out = `\tchain ${c.name} {${h}\n`;
    if (c.hook !== undefined) {
      out += `\t\ttype ${c.type} hook ${c.hook}${c.device !== undefined ? ` device "${c.device}"` : ''} priority ${priorityText(c, this.o)}; policy ${c.policy};\n`;
    }
    for (const r of c.rules) out += `\t\t${this.stmts(r)}${this.o.handles ? ` # handle ${r.handle}` : ''}\n`;
    return out + '\t}\n';
  }
}

// A counter's values: after traffic when the data plane's are given, else
// as the ruleset sets them.
export function counterValues(o: ListingOptions, index: number, declared: { packets: bigint; bytes: bigint }): { packets: bigint; bytes: bigint } {
  const c = o.counters;
  return c ? { packets: c[index * 2] ?? 0n, bytes: c[index * 2 + 1] ?? 0n } : { packets: declared.packets, bytes: declared.bytes };
}

// nft_quota_do_dump shows what was consumed up to the quota, no more.
export function quotaUsed(o: ListingOptions, s: TStmt & { kind: 'quota' }): bigint {
  const consumed = s.used + (o.quotaCounted?.(s.slot) ?? 0n);
  return consumed > s.bytes ? s.bytes : consumed;
}

// The statements nft lists of a rule: the dependencies it added or a later
// statement implies left out, a merged load as the matches it would list.
export function visibleStmts(rule: RuleModel): TStmt[] {
  const out: TStmt[] = [];
  const stmts = rule.stmts;
  for (let i = 0; i < stmts.length; i++) {
    const s = stmts[i];
    const hidden = (m: TStmt & { kind: 'match' }) => m.dependency || isRedundantDependency(m, matchesAfter(stmts, i), rule.chain.table.family);
    if (s.kind === 'match' && hidden(s)) continue;
    if (s.kind === 'joined') {
      const shown = s.parts.filter((m) => !hidden(m));
      if (shown.length) out.push({ ...s, parts: shown });
      continue;
    }
    out.push(s);
  }
  return out;
}

// The matches after statement i, up to the first other statement: nft
// forgets the protocols a rule matched at any statement that is not a
// match (payload_dependency_reset), so a later header implies no earlier
// match across one.
function matchesAfter(stmts: TStmt[], i: number): TStmt[] {
  const rest = stmts.slice(i + 1);
  const other = rest.findIndex((s) => s.kind !== 'match' && s.kind !== 'joined');
  return other < 0 ? rest : rest.slice(0, other);
}

// A set's elements in the order nft lists them: the kernel keeps
// concatenations with ranges in the order they were added, and every other
// set sorted; intervals as nft reads them back.
export function orderedElements(set: SetModel): SetElementModel[] {
  // The catch-all element last, as the kernel keeps it apart.
  if (!set.interval) return [...set.elements].sort((a, b) => Number(a.catchAll === true) - Number(b.catchAll === true) || compareKeys(a.key, b.key));
  if (set.keyTypes.length > 1) return set.elements;
  return intervalRanges(set).map((r) => ({ key: intervalKey(set, r), data: r.data, comment: r.comment }));
}

// How many elements of a named set of each key type nft prints to a line;
// one for any other type, concatenations included.
const ELEMENTS_PER_LINE: Record<string, number> = {
  nf_proto: 5, integer: 5, arp_op: 5, inet_proto: 5, inet_service: 5, tcp_flag: 5, dccp_pkttype: 5,
  mark: 5, iface_index: 5, classid: 5, uid: 5, gid: 5, ct_dir: 5,
  ipv4_addr: 2, ct_state: 2, ct_status: 2, pkt_type: 2,
};

// The order nft lists set flags in.
const OBJMAP_WORDS: Record<number, string> = {
  [ObjectType.Counter]: 'counter name', [ObjectType.CtHelper]: 'ct helper set', [ObjectType.Quota]: 'quota name', [ObjectType.Limit]: 'limit name', [ObjectType.Synproxy]: 'synproxy name',
};

export const SET_FLAG_ORDER = ['constant', 'dynamic', 'interval', 'timeout'];

export const PERIOD_NAMES: Record<number, string> = { 1: 'second', 60: 'minute', 3600: 'hour', 86400: 'day', 604800: 'week' };

// Bytes in the largest of bytes, kbytes and mbytes that divides them, as
// nft's get_rate picks.
export function byteUnits(n: bigint): { value: bigint; unit: string } {
  let v = n;
  let unit = 0;
  while (unit < 2 && v % 1024n === 0n && v !== 0n) {
    v /= 1024n;
    unit++;
  }
  return { value: v, unit: ['bytes', 'kbytes', 'mbytes'][unit]! };
}

function byteAmount(n: bigint): string {
  const { value, unit } = byteUnits(n);
  return `${value} ${unit}`;
}

const UNQUALIFIED_PRINT = new Set<number>([MetaKey.Iif, MetaKey.Oif, MetaKey.Iifname, MetaKey.Oifname, MetaKey.Iifgroup, MetaKey.Oifgroup]);
export const CT_PRINT: Record<string, string> = { 'proto-src': 'proto_src', 'proto-dst': 'proto_dst', l3proto: 'l3proto' };

// A value of a typed field back from its register bytes.
export function decodeValue(t: { type: Datatype; bits: number; byteorder: ByteOrder }, bytes: Uint8Array): TExpr | undefined {
  if (t.type.name === 'verdict' || t.bits === 0) return undefined;
  return { kind: 'const', value: fromBytes(bytes.subarray(0, Math.ceil(t.bits / 8)), t.byteorder), type: t.type, bits: t.bits, byteorder: t.byteorder };
}

// A set's key back from its register bytes: each field of a concatenation
// in register words of its own.
export function decodeKey(set: SetModel, bytes: Uint8Array): TExpr | undefined {
  if (set.keyShift) return undefined;
  if (set.keyTypes.length === 1) return decodeValue(set.keyType, bytes);
  const items: TExpr[] = [];
  let at = 0;
  for (const type of set.keyTypes) {
    const item = decodeValue({ type, bits: type.bits, byteorder: type.byteorder }, bytes.subarray(at));
    if (!item) return undefined;
    items.push(item);
    at += Math.ceil(type.bits / 32) * 4;
  }
  return { kind: 'concat', items, type: set.keyType.type, bits: set.keyType.bits, byteorder: set.keyType.byteorder };
}

export function isCtPort(e: TExpr): boolean {
  return e.kind === 'ct' && (e.tmpl.key === CtKey.ProtoSrc || e.tmpl.key === CtKey.ProtoDst);
}

// nft 1.0.6 reads an anonymous set of conntrack ports back without their
// type, and lists its elements so.
function untypedElements(set: SetModel): string {
  const text = (v: bigint) => `0x${v.toString(16)} [invalid type]`;
  const keys = set.interval ? intervalRanges(set) : set.elements.map((el) => bounds(el.key)).sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0));
  return keys.map((r) => (r.lo === r.hi ? text(r.lo) : `${text(r.lo)}-${text(r.hi)}`)).join(', ');
}

// Types nft lists an interval of as a prefix when it is one (the
// datatypes with DTYPE_F_PREFIX in nft 1.0.6).
const PREFIX_TYPES = new Set(['ipv4_addr', 'ipv6_addr', 'mark', 'realm']);

// An interval as nft reads it back from the kernel (segtree.c:
// interval_map_decompose): a single value, a prefix, or a range.
function intervalKey(set: SetModel, r: IntervalRange): TExpr {
  const t = set.keyType;
  const string = t.type.print === 'string';
  // Interval bounds of strings are in byte order (see bounds).
  const c = (value: bigint): TExpr => {
    const like: TExpr = { kind: 'const', value, type: t.type, bits: t.bits, byteorder: t.byteorder };
    return { ...like, value: fromStringOrder(like, value) };
  };
  if (r.lo === r.hi) return c(r.lo);
  const size = r.hi - r.lo + 1n;
  const hostBits = size.toString(2).length - 1;
  // A string's prefix of whole bytes is a wildcard (segtree.c: interval_to_string).
  const prefixOk = PREFIX_TYPES.has(t.type.name) || (string && hostBits % 8 === 0);
  if (prefixOk && size === 1n << BigInt(hostBits) && (r.lo & (size - 1n)) === 0n) {
    return { kind: 'prefix', value: c(r.lo), length: t.bits - hostBits, type: t.type, bits: t.bits, byteorder: t.byteorder };
  }
  return { kind: 'range', low: c(r.lo), high: c(r.hi), type: t.type, bits: t.bits, byteorder: t.byteorder };
}

// nft's sort of a set's elements (mergesort.c): by value, a range or
// prefix by its first value; a concatenation as the number its parts make
// exported each in its own byte order, one after the other, and read back
// host-endian (little-endian), so its last part weighs most.
export function compareKeys(a: TExpr, b: TExpr): number {
  const k = (e: TExpr): bigint => {
    if (e.kind === 'const') return e.value;
    if (e.kind === 'range') return k(e.low);
    if (e.kind === 'prefix') return k(e.value);
    if (e.kind === 'concat') {
      const bytes = e.items.flatMap((i) => Array.from(toBytes(k(i), i.bits, i.byteorder)));
      return fromBytes(Uint8Array.from(bytes), 'host');
    }
    return 0n;
  };
  return compareBigints(k(a), k(b));
}

function compareBigints(x: bigint, y: bigint): number {
  return x < y ? -1 : x > y ? 1 : 0;
}

function l4Of(s: TStmt): number | undefined {
  if (s.kind !== 'match' || s.op !== '==' || s.right.kind !== 'const') return undefined;
  const l = s.left;
  if (l.kind === 'meta' && l.key === MetaKey.L4proto) return Number(s.right.value);
  if (l.kind === 'payload' && ((l.proto === 'ip' && l.field === 'protocol') || (l.proto === 'ip6' && l.field === 'nexthdr'))) return Number(s.right.value);
  return undefined;
}

function usesPayload(s: TStmt, pred: (e: TExpr & { kind: 'payload' }) => boolean): boolean {
  const walk = (e: TExpr): boolean => {
    if (e.kind === 'payload') return pred(e);
    if (e.kind === 'binop') return walk(e.left);
    if (e.kind === 'concat') return e.items.some(walk);
    if (e.kind === 'map') return walk(e.key);
    return false;
  };
  if (s.kind === 'match') return walk(s.left);
  if (s.kind === 'vmap') return walk(s.key);
  if (s.kind === 'ctset' || s.kind === 'metaset') return walk(s.value);
  return false;
}

// nft drops a protocol match from the listing when a later header field of
// that protocol implies it; except that `ip protocol` and `ip6 nexthdr`
// also say which IP version, which a table of more than one cannot imply.
function isRedundantDependency(s: TStmt & { kind: 'match' }, after: TStmt[], family: string): boolean {
  // A statement between the match and the header it would stand for keeps
  // it (nft's dependency context ends at it).
  const end = after.findIndex((r) => r.kind !== 'match' && r.kind !== 'joined');
  const rest = end < 0 ? after : after.slice(0, end);
  const l4 = l4Of(s);
  if (l4 !== undefined) {
    if (s.left.kind === 'payload' && family !== 'ip' && family !== 'ip6') return false;
    return rest.some((r) => usesPayload(r, (p) => PROTOCOLS[p.proto]?.l4proto === l4 || p.proto === 'th'));
  }
  // The Ethernet or VLAN type a later header implies; a VLAN tag's type
  // names the next tag, which a field of that tag does not imply.
  const lt = s.left;
  if (lt.kind === 'payload' && lt.field === 'type' && (lt.proto === 'ether' || lt.proto === 'vlan') && s.op === '==' && s.right.kind === 'const') {
    const v = Number(s.right.value);
    return rest.some((r) => !(r.kind === 'match' && r.dependency)
      && usesPayload(r, (p) => PROTOCOLS[p.proto]?.ethertype === v && !(lt.proto === 'vlan' && PROTOCOLS[p.proto].stacked)));
  }
  // `meta iiftype ether` before an Ethernet header field, as nft adds it.
  if (s.left.kind === 'meta' && s.left.key === MetaKey.Iiftype && s.op === '==' && s.right.kind === 'const' && s.right.value === 1n) {
    return rest.some((r) => usesPayload(r, (p) => p.proto === 'ether'));
  }
  // The IP version of conntrack's addresses, which they imply; and, as nft
  // keeps `ct l3proto` as a dependency below the network header, any later
  // match of a protocol above it: meta l4proto or ct protocol of one value,
  // or a header field, through the dependency nft gives it.
  if (s.left.kind === 'ct' && s.left.tmpl.key === CtKey.L3protocol && (s.op === '==' || s.op === 'implicit') && s.right.kind === 'const') {
    const single = (r: TStmt & { kind: 'match' }) => (r.op === '==' || r.op === 'implicit') && r.right.kind === 'const';
    const aboveLinkLayer = (p: TExpr & { kind: 'payload' }) => {
      const d = PROTOCOLS[p.proto];
      return d !== undefined && (d.nfproto !== undefined || d.onlyNfproto !== undefined || d.l4proto !== undefined);
    };
    return rest.some((r) => usesPayload(r, aboveLinkLayer)) || rest.some((r) => r.kind === 'match' && (r.dependency
      || (r.left.kind === 'ct' && (r.left.tmpl.name === 'src' || r.left.tmpl.name === 'dst'))
      || (single(r) && ((r.left.kind === 'meta' && r.left.key === MetaKey.L4proto) || (r.left.kind === 'ct' && r.left.tmpl.key === CtKey.Protocol)))));
  }
  if (s.left.kind === 'meta' && s.left.key === MetaKey.Nfproto && s.op === '==' && s.right.kind === 'const') {
    const nf = Number(s.right.value);
    return rest.some((r) => usesPayload(r, (p) => (PROTOCOLS[p.proto]?.nfproto ?? PROTOCOLS[p.proto]?.onlyNfproto) === nf)
      || (r.kind === 'match' && r.left.kind === 'ct' && (r.left.tmpl.name === 'src' || r.left.tmpl.name === 'dst' || r.left.tmpl.key === CtKey.Protocol)));
  }
  return false;
}

// nft lists a raw payload of bits within bytes as the bytes under a mask.
export function rawBits(s: TStmt & { kind: 'match' }): { base: string; offset: number; len: number; mask: bigint; value: bigint } | undefined {
  const l = s.left;
  if (l.kind !== 'payload' || !isRaw(l.proto) || (l.offset % 8 === 0 && l.bits % 8 === 0) || s.right.kind !== 'const') return undefined;
  const first = Math.floor(l.offset / 8);
  const bytes = Math.ceil((l.offset + l.bits) / 8) - first;
  const shift = BigInt(payloadShift(l));
  return { base: l.proto.slice(1), offset: first * 8, len: bytes * 8, mask: ((1n << BigInt(l.bits)) - 1n) << shift, value: s.right.value << shift };
}

function rawBitsMatch(s: TStmt & { kind: 'match' }): string | undefined {
  const r = rawBits(s);
  if (!r) return undefined;
  const op = s.op === 'implicit' ? '==' : s.op;
  return `@${r.base},${r.offset},${r.len} & 0x${r.mask.toString(16)} ${op} 0x${r.value.toString(16)}`;
}

// Only a protocol matched before the field names it.
export function thName(all: TStmt[], p: TExpr & { kind: 'payload' }): string {
  for (const s of all) {
    if (usesPayload(s, (q) => q === p)) break;
    const l4 = l4Of(s);
    if (l4 === undefined) continue;
    const proto = Object.values(PROTOCOLS).find((d) => d.l4proto === l4 && d.fields[p.field]);
    if (proto) return proto.name;
  }
  return 'th';
}

export function listedTables(model: RulesetModel, o: ListingOptions): TableModel[] {
  return model.tables.filter((t) => t.name !== o.omitTable);
}

// The objects rules attach to the connection, by the statement that does.
const OBJREF_SET: Partial<Record<ObjectModel['kind'], string>> = { cthelper: 'ct helper set', cttimeout: 'ct timeout set', ctexpect: 'ct expectation set' };

export function listRuleset(model: RulesetModel, o: ListingOptions = {}): string {
  const p = new Printer(o);
  let out = '';
  for (const t of listedTables(model, o)) {
    out += `table ${t.family} ${t.name} {${o.handles ? ` # handle ${t.handle}` : ''}\n`;
    const blocks: string[] = [
      ...t.objects.map((x) => p.object(x)),
      ...t.sets.filter((s) => !s.anonymous).map((s) => p.set(s)),
      ...t.flowtables.map((f) => flowtableText(f, o.handles === true)),
      ...t.chains.map((c) => p.chain(c)),
    ];
    out += blocks.join('\n');
    out += '}\n';
  }
  return out;
}
