// nft's JSON input (libnftables-json(5), as `nft -j -f` reads it): the
// commands of a {"nftables": [...]} document turned into the syntax tree the
// text parser builds, so evaluation, bytecode and errors are shared. Every
// node keeps where it was written, so the evaluator's errors point into the
// JSON; the front end's own errors are nft's words with the JSON pointer of
// the place.
import { QueueFlags } from '../assembly/abi.js';
import {
  LOG_ALL, LOG_IPOPT, LOG_MACDECODE, LOG_TCPOPT, LOG_TCPSEQ, LOG_UID,
  type ChainDecl, type Command, type Expr, type Family, type ObjectDecl, type RelOp, type Rule, type SetDecl, type SetElement, type Stmt, type VerdictName,
} from './ast.js';
import { NftError, type Location, type SourceFile } from './errors.js';
import { NAT_FLAG_WORDS } from './nat.js';
import { BYTE_UNITS, PERIODS } from './parser.js';

type JValue = null | boolean | number | string | JNode[] | Map<string, JNode>;

interface JNode {
  value: JValue;
  // The number as written, for numbers past what a double holds exactly.
  raw?: string;
  loc: Location;
  pointer: string;
}

// Whether a file holds JSON rather than nft's language: its first
// character opens an object.
export function looksLikeJson(text: string): boolean {
  return /^\s*\{/.test(text);
}

class JsonReader {
  private at = 0;
  private line = 1;
  private lineStart = 0;

  constructor(private readonly file: SourceFile) {}

  read(): JNode {
    const v = this.value('');
    this.space();
    if (this.at < this.file.text.length) this.fail('end of input');
    return v;
  }

  private loc(from: number, fromLine: number, fromLineStart: number): Location {
    const column = from - fromLineStart + 1;
    const endColumn = fromLine === this.line ? Math.max(column, this.at - fromLineStart) : column;
    return { file: this.file, line: fromLine, column, endColumn };
  }

  private fail(what: string): never {
    const column = this.at - this.lineStart + 1;
    const found = this.at < this.file.text.length ? `'${this.file.text[this.at]}'` : 'end of file';
    throw NftError.at({ file: this.file, line: this.line, column, endColumn: column }, `Invalid JSON: expected ${what}, found ${found}`);
  }

  private space(): void {
    const t = this.file.text;
    while (this.at < t.length && /\s/.test(t[this.at]!)) {
      if (t[this.at] === '\n') {
        this.line++;
        this.lineStart = this.at + 1;
      }
      this.at++;
    }
  }

  private value(pointer: string): JNode {
    this.space();
    const t = this.file.text;
    const from = this.at;
    const fromLine = this.line;
    const fromLineStart = this.lineStart;
    const node = (value: JValue, raw?: string): JNode => ({ value, ...(raw !== undefined ? { raw } : {}), loc: this.loc(from, fromLine, fromLineStart), pointer });
    const c = t[this.at];
    if (c === '{') {
      const map = new Map<string, JNode>();
      this.items('}', () => {
        this.space();
        if (t[this.at] !== '"') this.fail('a string key');
        const key = this.string();
        this.space();
        if (t[this.at] !== ':') this.fail("':'");
        this.at++;
        map.set(key, this.value(`${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`));
      });
      return node(map);
    }
    if (c === '[') {
      const items: JNode[] = [];
      this.items(']', () => items.push(this.value(`${pointer}/${items.length}`)));
      return node(items);
    }
    if (c === '"') return node(this.string());
    const word = /^(?:true|false|null|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)/.exec(t.slice(this.at, this.at + 400));
    if (!word) this.fail('a value');
    this.at += word[0].length;
    if (word[0] === 'true' || word[0] === 'false') return node(word[0] === 'true');
    if (word[0] === 'null') return node(null);
    return node(Number(word[0]), word[0]);
  }

  // The items of an object or array, separated by commas, up to `close`.
  private items(close: string, item: () => void): void {
    const t = this.file.text;
    this.at++;
    this.space();
    if (t[this.at] === close) {
      this.at++;
      return;
    }
    for (;;) {
      item();
      this.space();
      if (t[this.at] !== ',') break;
      this.at++;
    }
    if (t[this.at] !== close) this.fail(`',' or '${close}'`);
    this.at++;
  }

  private string(): string {
    const t = this.file.text;
    const start = this.at;
    this.at++;
    while (this.at < t.length && t[this.at] !== '"') {
      if (t[this.at] === '\\') this.at++;
      if (t[this.at] === '\n') this.fail("'\"'");
      this.at++;
    }
    if (this.at >= t.length) this.fail("'\"'");
    this.at++;
    return JSON.parse(t.slice(start, this.at)) as string;
  }
}

function fail(n: JNode, message: string): never {
  throw NftError.at(n.loc, `${message} (at ${n.pointer || '/'})`);
}

function object(n: JNode, what: string): Map<string, JNode> {
  if (!(n.value instanceof Map)) fail(n, `Expected ${what} object, got ${kindOf(n)}`);
  return n.value;
}

function kindOf(n: JNode): string {
  const v = n.value;
  return v === null ? 'null' : Array.isArray(v) ? 'array' : v instanceof Map ? 'object' : typeof v === 'boolean' ? 'boolean' : typeof v === 'number' ? 'integer' : 'string';
}

// The one key of an object such as {"add": {...}} or {"payload": {...}}.
function single(n: JNode, what: string): [string, JNode] {
  const m = object(n, what);
  if (m.size !== 1) fail(n, `Malformed ${what} object: it needs exactly one key, it has ${m.size}`);
  return [...m][0]!;
}

function member(m: Map<string, JNode>, parent: JNode, key: string): JNode {
  const v = m.get(key);
  if (!v) fail(parent, `Object item not found: ${key}`);
  return v;
}

function str(n: JNode): string {
  if (typeof n.value !== 'string') fail(n, `Expected string, got ${kindOf(n)}`);
  return n.value;
}

function int(n: JNode): number {
  if (typeof n.value !== 'number' || !Number.isInteger(n.value)) fail(n, `Expected integer, got ${kindOf(n)}`);
  return n.value;
}

function bigint(n: JNode): bigint {
  int(n);
  return BigInt(n.raw ?? String(n.value));
}

function optional<T>(m: Map<string, JNode>, key: string, read: (n: JNode) => T): T | undefined {
  const v = m.get(key);
  return v === undefined ? undefined : read(v);
}

// A string or an array of them.
function strings(n: JNode): string[] {
  return Array.isArray(n.value) ? n.value.map(str) : [str(n)];
}

const FAMILIES = new Set<Family>(['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev']);

function family(m: Map<string, JNode>, parent: JNode): Family {
  const f = member(m, parent, 'family');
  const name = str(f);
  if (!FAMILIES.has(name as Family)) fail(f, `Invalid family '${name}'`);
  return name as Family;
}

function value(n: JNode, text: string): Expr {
  // nft reads a JSON string as it reads a quoted string: whatever it holds.
  return { kind: 'value', text, quoted: typeof n.value === 'string' && !/^[\w.:/-]+$/.test(text), loc: n.loc };
}

const BINOPS = new Set(['&', '|', '^', '<<', '>>']);
const VERDICTS = new Set<VerdictName>(['accept', 'drop', 'continue', 'return', 'jump', 'goto']);
// What nft has and nftwasm does not, as the text parser names them.
const UNSUPPORTED_EXPRESSIONS = new Set(['fib', 'numgen', 'jhash', 'symhash', 'socket', 'osf', 'rt', 'ipsec', 'dccp option']);
const UNSUPPORTED_STATEMENTS = new Set(['tproxy', 'synproxy', 'dup', 'fwd', 'flow', 'meter', 'xt', 'secmark', 'last']);
const OPTION_HEADERS = new Set(['tcp option', 'ip option', 'sctp chunk']);

class Translator {
  expr(n: JNode): Expr {
    const v = n.value;
    if (typeof v === 'number') return value(n, n.raw ?? String(v));
    if (typeof v === 'boolean') return value(n, v ? 'exists' : 'missing');
    if (typeof v === 'string') {
      if (v.startsWith('@')) return { kind: 'setref', name: v.slice(1), loc: n.loc };
      return value(n, v);
    }
    if (v === null) fail(n, 'Invalid expression: null');
    if (Array.isArray(v)) return { kind: 'list', items: v.map((i) => this.expr(i)), loc: n.loc };
    const [key, body] = single(n, 'expression');
    if (BINOPS.has(key)) {
      if (!Array.isArray(body.value) || body.value.length < 2) fail(body, `Invalid binary expression: ${key} needs two operands or more`);
      const items = body.value.map((i) => this.operand(i));
      return items.reduce((left, right) => ({ kind: 'binop', op: key as '&', left, right, loc: n.loc }));
    }
    if (VERDICTS.has(key as VerdictName)) return this.verdict(key as VerdictName, body, n);
    if (UNSUPPORTED_EXPRESSIONS.has(key)) fail(n, `${key} is not supported by nftwasm`);
    switch (key) {
      case 'payload': {
        const m = object(body, 'payload');
        if (m.has('base')) {
          return { kind: 'payload', proto: `@${str(member(m, body, 'base'))}`, field: `${int(member(m, body, 'offset'))},${int(member(m, body, 'len'))}`, loc: n.loc };
        }
        return { kind: 'payload', proto: str(member(m, body, 'protocol')), field: str(member(m, body, 'field')), loc: n.loc };
      }
      case 'exthdr': {
        const m = object(body, 'exthdr');
        const name = str(member(m, body, 'name'));
        const field = optional(m, 'field', str);
        return field === undefined ? { kind: 'payload', proto: 'exthdr', field: name, loc: n.loc } : { kind: 'payload', proto: name, field, loc: n.loc };
      }
      case 'meta':
        return { kind: 'meta', key: str(member(object(body, 'meta'), body, 'key')), loc: n.loc };
      case 'ct':
        return this.ct(body, n);
      case 'concat':
        return { kind: 'concat', items: this.array(body).map((i) => this.expr(i)), loc: n.loc };
      case 'set':
        return { kind: 'set', elements: (Array.isArray(body.value) ? body.value : [body]).map((e) => this.element(e)), loc: n.loc };
      case 'map': {
        const m = object(body, 'map');
        return { kind: 'map', key: this.expr(member(m, body, 'key')), mapping: this.expr(member(m, body, 'data')), loc: n.loc };
      }
      case 'range': {
        const items = this.array(body);
        if (items.length !== 2) fail(body, 'Invalid range expression: it needs two values');
        return { kind: 'range', low: this.expr(items[0]!), high: this.expr(items[1]!), loc: n.loc };
      }
      case 'prefix': {
        const m = object(body, 'prefix');
        return { kind: 'prefix', expr: this.expr(member(m, body, 'addr')), length: int(member(m, body, 'len')), loc: n.loc };
      }
      default:
        if (OPTION_HEADERS.has(key)) return this.option(key, body, n);
        return fail(n, `Unknown expression type '${key}'`);
    }
  }

  // A list inside an operation is the | of its flags, as nft reads it.
  private operand(n: JNode): Expr {
    if (!Array.isArray(n.value)) return this.expr(n);
    const items = n.value.map((i) => this.expr(i));
    if (items.length === 0) fail(n, 'Invalid expression: an empty list');
    return items.reduce((left, right) => ({ kind: 'binop', op: '|', left, right, loc: n.loc }));
  }

  private array(n: JNode): JNode[] {
    if (!Array.isArray(n.value)) fail(n, `Expected array, got ${kindOf(n)}`);
    return n.value;
  }

  private verdict(verdict: VerdictName, body: JNode, n: JNode): Expr & { kind: 'verdict' } {
    if (verdict === 'jump' || verdict === 'goto') {
      const target = member(object(body, verdict), body, 'target');
      return { kind: 'verdict', verdict, chain: str(target), chainLoc: target.loc, loc: n.loc };
    }
    return { kind: 'verdict', verdict, loc: n.loc };
  }

  private ct(body: JNode, n: JNode): Expr {
    const m = object(body, 'ct');
    const words = str(member(m, body, 'key')).split(' ');
    const dir = optional(m, 'dir', str);
    if (dir !== undefined && dir !== 'original' && dir !== 'reply') fail(m.get('dir')!, `Invalid direction '${dir}'`);
    const proto = words.length === 2 && (words[0] === 'ip' || words[0] === 'ip6') ? words.shift() as 'ip' | 'ip6' : undefined;
    return { kind: 'ct', key: words.join(' '), ...(dir ? { dir } : {}), ...(proto ? { proto } : {}), loc: n.loc };
  }

  // `tcp option`, `ip option`, `sctp chunk`: by name and field, or a TCP
  // option by its kind and the bits of it.
  private option(key: string, body: JNode, n: JNode): Expr {
    const m = object(body, key);
    if (m.has('base')) {
      const base = int(member(m, body, 'base'));
      const offset = optional(m, 'offset', int) ?? 0;
      const len = optional(m, 'len', int) ?? 8;
      return { kind: 'payload', proto: key, field: offset === 0 && (len === 8 || len === 0) ? String(base) : `@${base},${offset},${len}`, loc: n.loc };
    }
    const name = str(member(m, body, 'name'));
    const field = optional(m, 'field', str);
    return { kind: 'payload', proto: key, field: field === undefined ? name : `${name} ${field}`, loc: n.loc };
  }

  element(n: JNode): SetElement {
    // A map's element: [key, data].
    if (Array.isArray(n.value)) {
      if (n.value.length !== 2) fail(n, 'Invalid set element: a mapping is [key, data]');
      const key = this.element(n.value[0]!);
      return { ...key, data: this.expr(n.value[1]!), loc: n.loc };
    }
    if (n.value instanceof Map && n.value.has('elem')) {
      const body = n.value.get('elem')!;
      const m = object(body, 'elem');
      const comment = optional(m, 'comment', str);
      const key = this.expr(member(m, body, 'val'));
      const seconds = (option: string) => optional(m, option, (v) => value(v, `${int(v)}s`));
      const timeout = seconds('timeout');
      const expires = seconds('expires');
      const c = m.get('counter');
      const counts = c && c.value !== null ? object(c, 'counter') : undefined;
      const counter = c && { packets: (counts && optional(counts, 'packets', bigint)) ?? 0n, bytes: (counts && optional(counts, 'bytes', bigint)) ?? 0n, loc: c.loc };
      return { key, ...(comment !== undefined ? { comment } : {}), ...(timeout ? { timeout } : {}), ...(expires ? { expires } : {}), ...(counter ? { counter } : {}), loc: n.loc };
    }
    if (n.value === '*') return { key: { kind: 'catchall', loc: n.loc }, loc: n.loc };
    return { key: this.expr(n), loc: n.loc };
  }

  match(body: JNode, n: JNode): Stmt {
    const m = object(body, 'match');
    const opNode = member(m, body, 'op');
    const op = MATCH_OPS[str(opNode)];
    if (!op) fail(opNode, `Unknown relational op '${str(opNode)}'`);
    const left = this.expr(member(m, body, 'left'));
    const rightNode = member(m, body, 'right');
    // A list of flags to compare whole is their |.
    const right = Array.isArray(rightNode.value) && op !== 'implicit' && op !== '!' && op !== '!=' ? this.operand(rightNode) : this.expr(rightNode);
    return { kind: 'match', op, left, right, loc: n.loc };
  }

  stmt(n: JNode): Stmt {
    const [key, body] = single(n, 'statement');
    const loc = n.loc;
    if (VERDICTS.has(key as VerdictName)) {
      const v = this.verdict(key as VerdictName, body, n);
      return { ...v, kind: 'verdict' };
    }
    if (UNSUPPORTED_STATEMENTS.has(key)) fail(n, `${key} is not supported by nftwasm`);
    const m = body.value instanceof Map ? body.value : undefined;
    switch (key) {
      case 'match':
        return this.match(body, n);
      case 'counter': {
        if (body.value === null) return { kind: 'counter', loc };
        if (typeof body.value === 'string') return { kind: 'counter', name: body.value, nameLoc: body.loc, loc };
        const c = object(body, 'counter');
        if (c.has('map')) return this.objmap('counter', c.get('map')!, n);
        return { kind: 'counter', packets: optional(c, 'packets', bigint) ?? 0n, bytes: optional(c, 'bytes', bigint) ?? 0n, loc };
      }
      case 'quota':
      case 'limit': {
        if (typeof body.value === 'string') return { kind: 'namedref', objType: key, name: body.value, nameLoc: body.loc, loc };
        const o = object(body, key);
        if (o.has('map')) return this.objmap(key, o.get('map')!, n);
        return key === 'quota' ? quotaArgs(o, body) : limitArgs(o, body);
      }
      case 'ct helper':
        return { kind: 'ctset', key: 'helper', value: { kind: 'value', text: str(body), quoted: true, loc: body.loc }, loc };
      case 'vmap': {
        const v = object(body, 'vmap');
        return { kind: 'vmap', key: this.expr(member(v, body, 'key')), mapping: this.expr(member(v, body, 'data')), loc };
      }
      case 'mangle':
        return this.mangle(body, n);
      case 'notrack':
        return { kind: 'notrack', loc };
      case 'reset': {
        const target = this.expr(body);
        if (target.kind !== 'payload' || target.proto !== 'tcp option') fail(body, 'Invalid reset: only a tcp option can be reset');
        return { kind: 'optreset', option: target.field, loc };
      }
      case 'log':
        return logStmt(m, body);
      case 'reject': {
        if (!m) return { kind: 'reject', loc };
        const type = optional(m, 'type', str);
        const code = m.get('expr');
        if (type === 'tcp reset') return { kind: 'reject', with: 'tcp', loc };
        if (type !== undefined && type !== 'icmp' && type !== 'icmpv6' && type !== 'icmpx') fail(m.get('type')!, `Unknown reject type '${type}'`);
        return { kind: 'reject', ...(type ? { with: type } : {}), ...(code ? { code: this.expr(code) } : {}), loc };
      }
      case 'queue':
        return this.queue(m, n);
      case 'ct count': {
        const c = object(body, 'ct count');
        return { kind: 'connlimit', count: int(member(c, body, 'val')), over: optional(c, 'inv', Boolean) ?? false, loc };
      }
      case 'set':
      case 'map': {
        const d = object(body, key);
        const opNode = member(d, body, 'op');
        const op = str(opNode);
        if (op !== 'add' && op !== 'update' && op !== 'delete') fail(opNode, `Unknown set statement op '${op}'`);
        const target = str(member(d, body, key));
        const elemNode = member(d, body, 'elem');
        let keyExpr: Expr;
        let timeout: Expr | undefined;
        const e = elemNode.value instanceof Map && elemNode.value.has('elem') ? object(elemNode.value.get('elem')!, 'elem') : undefined;
        if (e) {
          keyExpr = this.expr(member(e, elemNode, 'val'));
          const t = e.get('timeout');
          if (t) timeout = value(t, `${int(t)}s`);
        } else {
          keyExpr = this.expr(elemNode);
        }
        const data = key === 'map' ? this.expr(member(d, body, 'data')) : undefined;
        return { kind: 'dynset', op, set: target.replace(/^@/, ''), key: keyExpr, ...(timeout ? { timeout } : {}), ...(data ? { data } : {}), loc };
      }
      case 'snat':
      case 'dnat':
      case 'masquerade':
      case 'redirect':
        return this.nat(key, m, n);
      default:
        return fail(n, `Unknown statement object '${key}'`);
    }
  }

  private objmap(objType: 'counter' | 'quota' | 'limit', body: JNode, n: JNode): Stmt {
    const m = object(body, 'map');
    const map: Expr & { kind: 'map' } = { kind: 'map', key: this.expr(member(m, body, 'key')), mapping: this.expr(member(m, body, 'data')), loc: body.loc };
    return { kind: 'objmap', objType, map, loc: n.loc };
  }

  private mangle(body: JNode, n: JNode): Stmt {
    const m = object(body, 'mangle');
    const target = this.expr(member(m, body, 'key'));
    const v = this.expr(member(m, body, 'value'));
    if (target.kind === 'meta') return { kind: 'metaset', key: target.key, value: v, loc: n.loc };
    if (target.kind === 'ct') return { kind: 'ctset', key: target.key, ...(target.dir ? { dir: target.dir } : {}), value: v, loc: n.loc };
    if (target.kind === 'payload') return { kind: 'payloadset', target, value: v, loc: n.loc };
    return fail(m.get('key')!, 'Invalid mangle statement key');
  }

  private queue(m: Map<string, JNode> | undefined, n: JNode): Stmt {
    const s: Stmt & { kind: 'queue' } = { kind: 'queue', flags: 0, loc: n.loc };
    if (!m) return s;
    const flags = m.get('flags');
    for (const f of flags ? strings(flags) : []) {
      if (f !== 'bypass' && f !== 'fanout') fail(flags!, `Unknown queue flag '${f}'`);
      s.flags |= f === 'bypass' ? QueueFlags.Bypass : QueueFlags.Fanout;
    }
    const num = m.get('num');
    if (!num) return s;
    if (typeof num.value === 'number') {
      s.low = bigint(num);
      s.lowLoc = num.loc;
      return s;
    }
    const e = this.expr(num);
    if (e.kind === 'range' && e.low.kind === 'value' && e.high.kind === 'value') {
      s.low = BigInt(e.low.text);
      s.high = BigInt(e.high.text);
      s.lowLoc = e.low.loc;
      s.highLoc = e.high.loc;
      return s;
    }
    s.map = e;
    s.numLoc = num.loc;
    return s;
  }

  private nat(type: 'snat' | 'dnat' | 'masquerade' | 'redirect', m: Map<string, JNode> | undefined, n: JNode): Stmt {
    const s: Stmt & { kind: 'nat' } = { kind: 'nat', type, flags: 0, loc: n.loc };
    if (!m) return s;
    const f = optional(m, 'family', str);
    if (f !== undefined && f !== 'ip' && f !== 'ip6') fail(m.get('family')!, `Invalid nat family '${f}'`);
    if (f) s.family = f;
    const addr = m.get('addr');
    if (addr) s.addr = this.expr(addr);
    const port = m.get('port');
    if (port) s.proto = this.expr(port);
    const flags = m.get('flags');
    for (const word of flags ? strings(flags) : []) {
      if (word === 'netmap') continue;
      if (!Object.hasOwn(NAT_FLAG_WORDS, word)) fail(flags!, `Unknown nat flag '${word}'`);
      s.flags |= NAT_FLAG_WORDS[word]!;
    }
    const typeFlags = m.get('type_flags');
    if (typeFlags && strings(typeFlags).includes('prefix')) s.netmap = true;
    return s;
  }

  rule(m: Map<string, JNode>, n: JNode): Rule {
    const exprs = member(m, n, 'expr');
    const stmts = this.array(exprs).map((s) => this.stmt(s));
    const comment = optional(m, 'comment', str);
    return { stmts, ...(comment !== undefined ? { comment } : {}), loc: n.loc, extent: n.loc };
  }
}

const MATCH_OPS: Record<string, RelOp> = { '==': '==', '!=': '!=', '<': '<', '>': '>', '<=': '<=', '>=': '>=', in: 'implicit', '!': '!' };

function byteCount(m: Map<string, JNode>, valueKey: string, unitKey: string): bigint {
  const v = m.get(valueKey);
  if (!v) return 0n;
  const unit = optional(m, unitKey, str) ?? 'bytes';
  if (!Object.hasOwn(BYTE_UNITS, unit)) fail(m.get(unitKey)!, `Invalid unit '${unit}'`);
  return bigint(v) * BYTE_UNITS[unit]!;
}

function quotaArgs(m: Map<string, JNode>, body: JNode): Stmt & { kind: 'quota' } {
  const bytes = m.has('val') ? byteCount(m, 'val', 'val_unit') : byteCount(m, 'bytes', 'bytes_unit');
  const used = byteCount(m, 'used', 'used_unit');
  return { kind: 'quota', bytes, used, over: optional(m, 'inv', Boolean) ?? false, loc: body.loc };
}

function limitArgs(m: Map<string, JNode>, body: JNode): Stmt & { kind: 'limit' } {
  const perNode = m.get('per');
  const per = perNode ? str(perNode) : 'second';
  if (!Object.hasOwn(PERIODS, per)) fail(perNode!, `Invalid limit period '${per}'`);
  const bytes = m.has('rate_unit') && str(m.get('rate_unit')!) !== 'packets';
  const rate = bytes ? byteCount(m, 'rate', 'rate_unit') : bigint(member(m, body, 'rate'));
  const burstNode = m.get('burst');
  const burst = burstNode === undefined ? undefined : bytes ? byteCount(m, 'burst', 'burst_unit') : bigint(burstNode);
  return {
    kind: 'limit', rate, unit: PERIODS[per]!, bytes, over: optional(m, 'inv', Boolean) ?? false,
    ...(burst !== undefined && !(bytes && burst === 0n) ? { burst } : {}), loc: body.loc,
  };
}

const LOG_FLAGS: Record<string, number> = {
  'tcp sequence': LOG_TCPSEQ, 'tcp options': LOG_TCPOPT, 'ip options': LOG_IPOPT, skuid: LOG_UID, ether: LOG_MACDECODE, all: LOG_ALL,
};

function logStmt(m: Map<string, JNode> | undefined, body: JNode): Stmt {
  const s: Stmt & { kind: 'log' } = { kind: 'log', flags: 0, loc: body.loc };
  if (!m) return s;
  const prefix = optional(m, 'prefix', str);
  if (prefix !== undefined) s.prefix = prefix;
  const level = optional(m, 'level', str);
  if (level !== undefined) s.level = level;
  const group = optional(m, 'group', int);
  if (group !== undefined) s.group = group;
  const snaplen = optional(m, 'snaplen', int);
  if (snaplen !== undefined) s.snaplen = snaplen;
  const qthreshold = optional(m, 'queue-threshold', int);
  if (qthreshold !== undefined) s.qthreshold = qthreshold;
  const flags = m.get('flags');
  for (const f of flags ? strings(flags) : []) {
    if (!Object.hasOwn(LOG_FLAGS, f)) fail(flags!, `Unknown log flag '${f}'`);
    s.flags |= LOG_FLAGS[f]!;
  }
  return s;
}

// A table's things, each a command of its own, as nft's JSON parser makes
// them: objects go in a table command of their own.
function tableCommand(fam: Family, name: string, loc: Location, create?: boolean): Command & { kind: 'table' } {
  return { kind: 'table', ...(create ? { create } : {}), family: fam, name, loc, chains: [], sets: [], objects: [], flowtables: [], definitions: [] };
}

class CommandReader {
  private readonly t = new Translator();

  command(n: JNode): Command | undefined {
    const [verb, body] = single(n, 'command');
    switch (verb) {
      case 'metainfo':
        return undefined;
      case 'add':
      case 'create':
      case 'insert':
      case 'replace':
        return this.add(verb, body);
      case 'delete':
      case 'flush':
        return this.remove(verb, body);
      case 'list':
        return undefined;
      case 'reset':
      case 'rename':
        return fail(n, `${verb} commands in JSON are not supported by nftwasm`);
      default:
        // A plain listing: each object is added, as nft reads it.
        return this.add('add', n);
    }
  }

  private add(verb: 'add' | 'create' | 'insert' | 'replace', n: JNode): Command {
    const [what, body] = single(n, `${verb} command`);
    const m = object(body, what);
    const create = verb === 'create';
    if (verb === 'insert' && what !== 'rule') fail(n, `Unknown object passed to insert command.`);
    if (verb === 'replace' && what !== 'rule') fail(n, `Unknown object passed to replace command.`);
    switch (what) {
      case 'table':
        return tableCommand(family(m, body), str(member(m, body, 'name')), body.loc, create);
      case 'chain': {
        const name = member(m, body, 'name');
        const chain: ChainDecl = { name: str(name), rules: [], loc: name.loc };
        const type = m.get('type');
        if (type) {
          chain.type = str(type);
          const hook = member(m, body, 'hook');
          chain.hook = str(hook);
          chain.hookLoc = hook.loc;
          const prio = member(m, body, 'prio');
          chain.priority = { offset: int(prio), text: String(int(prio)), loc: prio.loc };
          const dev = m.get('dev');
          if (dev) chain.device = strings(dev)[0];
          const policy = optional(m, 'policy', str);
          if (policy !== undefined && policy !== 'accept' && policy !== 'drop') fail(m.get('policy')!, `Unknown policy '${policy}'`);
          if (policy) chain.policy = policy;
        }
        const table = member(m, body, 'table');
        return { kind: 'chain', ...(create ? { create } : {}), family: family(m, body), table: str(table), tableLoc: table.loc, chain, loc: name.loc };
      }
      case 'rule': {
        const table = member(m, body, 'table');
        const chain = member(m, body, 'chain');
        const cmd: Command & { kind: 'rule' } = {
          kind: 'rule', family: family(m, body), table: str(table), tableLoc: table.loc, chain: str(chain), chainLoc: chain.loc,
          rule: this.t.rule(m, body), insert: verb === 'insert', loc: body.loc,
        };
        const handle = m.get('handle');
        const index = m.get('index');
        // nft 1.0.6 places a rule by its index; the handle names the rule
        // a replace takes the place of, and is ignored by add and insert.
        if (handle && verb === 'replace') {
          cmd.place = { by: 'handle', value: int(handle), loc: handle.loc, number: handle.loc };
        } else if (index) {
          cmd.place = { by: 'index', value: int(index), loc: index.loc, number: index.loc };
        }
        if (verb === 'replace') {
          if (!handle) fail(body, 'Object item not found: handle');
          cmd.replace = true;
        }
        return cmd;
      }
      case 'set':
      case 'map': {
        const table = member(m, body, 'table');
        return { kind: 'set', ...(create ? { create } : {}), family: family(m, body), table: str(table), tableLoc: table.loc, set: this.set(m, body, what === 'map'), loc: body.loc };
      }
      case 'element': {
        const table = member(m, body, 'table');
        const name = member(m, body, 'name');
        return {
          kind: 'elements', ...(create ? { create } : {}), family: family(m, body), table: str(table), tableLoc: table.loc, set: str(name), setLoc: name.loc,
          elements: this.elements(member(m, body, 'elem')), loc: body.loc,
        };
      }
      case 'counter':
      case 'quota':
      case 'limit':
      case 'ct helper': {
        const t = tableCommand(family(m, body), str(member(m, body, 'table')), body.loc);
        t.objects.push(this.object(what, m, body));
        return t;
      }
      default:
        return fail(n, `Unknown object passed to ${verb} command.`);
    }
  }

  private elements(n: JNode): SetElement[] {
    return (Array.isArray(n.value) ? n.value : [n]).map((e) => this.t.element(e));
  }

  private set(m: Map<string, JNode>, body: JNode, isMap: boolean): SetDecl {
    const name = member(m, body, 'name');
    const set: SetDecl = { name: str(name), isMap, keyType: [], flags: [], elements: [], loc: name.loc };
    const type = member(m, body, 'type');
    if (type.value instanceof Map && type.value.has('typeof')) {
      const key = this.t.expr(type.value.get('typeof')!);
      set.typeofKey = key.kind === 'concat' ? key.items : [key];
    } else {
      set.keyType = strings(type);
    }
    if (isMap) {
      const data = member(m, body, 'map');
      if (data.value instanceof Map && data.value.has('typeof')) set.typeofData = this.t.expr(data.value.get('typeof')!);
      else set.dataType = strings(data).join(' . ');
    }
    const flags = m.get('flags');
    if (flags) set.flags = strings(flags);
    const seconds = (key: string) => optional(m, key, (v) => value(v, `${int(v)}s`));
    const timeout = seconds('timeout');
    if (timeout) set.timeout = timeout;
    const gc = seconds('gc-interval');
    if (gc) set.gcInterval = gc;
    const size = optional(m, 'size', int);
    if (size !== undefined) set.size = size;
    if (optional(m, 'auto-merge', Boolean)) set.autoMerge = true;
    const comment = optional(m, 'comment', str);
    if (comment !== undefined) set.comment = comment;
    const elem = m.get('elem');
    if (elem) set.elements = this.elements(elem);
    // nft 1.0.6 lists a set's per-element counter as its statement.
    const stmts = m.get('stmt');
    if (stmts) {
      const only = Array.isArray(stmts.value) && stmts.value.length === 1 ? stmts.value[0]! : undefined;
      if (!only || !(only.value instanceof Map) || !only.value.has('counter') || only.value.size !== 1) fail(stmts, `a set's statements other than counter are not supported by nftwasm`);
      set.counter = true;
    }
    return set;
  }

  private object(what: 'counter' | 'quota' | 'limit' | 'ct helper', m: Map<string, JNode>, body: JNode): ObjectDecl {
    const nameNode = member(m, body, 'name');
    const name = str(nameNode);
    const loc = nameNode.loc;
    switch (what) {
      case 'counter':
        return { kind: 'counter', name, packets: optional(m, 'packets', bigint) ?? 0n, bytes: optional(m, 'bytes', bigint) ?? 0n, loc };
      case 'quota':
        return { kind: 'quota', name, args: quotaArgs(m, body), loc };
      case 'limit':
        return { kind: 'limit', name, args: limitArgs(m, body), loc };
      case 'ct helper': {
        const l3proto = optional(m, 'l3proto', str);
        return {
          kind: 'cthelper', name, helper: str(member(m, body, 'type')), protocol: String(member(m, body, 'protocol').value),
          ...(l3proto !== undefined ? { l3proto } : {}), loc,
        };
      }
    }
  }

  private remove(verb: 'delete' | 'flush', n: JNode): Command {
    const [what, body] = single(n, `${verb} command`);
    const m = object(body, what);
    if (verb === 'flush' && what === 'ruleset') return { kind: 'flush', loc: n.loc };
    const kind = what === 'map' ? 'set' : what;
    const removable = verb === 'delete' ? ['table', 'chain', 'rule', 'set', 'element', 'counter', 'quota', 'limit'] : ['table', 'chain', 'set', 'element'];
    if (!removable.includes(kind)) fail(n, `Unknown object passed to ${verb} command.`);
    const fam = family(m, body);
    const handle = m.get('handle');
    const tableNode = kind === 'table' ? (m.get('name') ?? body) : member(m, body, 'table');
    const cmd: Command & { kind: 'remove' } = {
      kind: 'remove', verb, what: kind as 'table', family: fam, table: kind === 'table' ? (m.has('name') ? str(tableNode) : '') : str(tableNode), tableLoc: tableNode.loc, loc: n.loc,
      ...(handle ? { handle: { value: int(handle), loc: handle.loc } } : {}),
    };
    if (kind === 'table') {
      if (!handle) {
        cmd.name = str(member(m, body, 'name'));
        cmd.nameLoc = tableNode.loc;
      }
      return cmd;
    }
    if (kind === 'rule') {
      const chain = member(m, body, 'chain');
      cmd.chain = str(chain);
      cmd.chainLoc = chain.loc;
      if (!handle) fail(body, 'Object item not found: handle');
      return cmd;
    }
    if (!handle || kind === 'element') {
      const name = member(m, body, 'name');
      cmd.name = str(name);
      cmd.nameLoc = name.loc;
    }
    if (kind === 'element') cmd.elements = this.elements(member(m, body, 'elem'));
    return cmd;
  }

  document(root: JNode): Command[] {
    const top = object(root, 'root');
    const list = top.get('nftables');
    if (!list) fail(root, 'Object item not found: nftables');
    if (!Array.isArray(list.value)) fail(list, `Expected array, got ${kindOf(list)}`);
    return list.value.flatMap((c) => this.command(c) ?? []);
  }
}

// The commands of a JSON document, or its first error.
export function parseJson(file: SourceFile): { items: Command[]; errors: NftError[] } {
  try {
    return { items: new CommandReader().document(new JsonReader(file).read()), errors: [] };
  } catch (e) {
    if (e instanceof NftError) return { items: [], errors: [e] };
    throw e;
  }
}
