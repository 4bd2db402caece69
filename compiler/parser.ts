// Recursive-descent parser for the nft language: commands, table blocks,
// chains, sets, objects and rules. Produces the tree in ast.ts; values stay
// as text until the evaluator knows their datatype.
import { LOG_ALL, LOG_IPOPT, LOG_MACDECODE, LOG_TCPOPT, LOG_TCPSEQ, LOG_UID, type ChainDecl, type Command, type Expr, type Family, type FlowtableDecl, type ObjectDecl, type PrioritySpec, type RejectIcmp, type RelOp, type Rule, type SetDecl, type SetElement, type Stmt, type VerdictName } from './ast.js';
import { QueueFlags, SynproxyFlags } from '../assembly/abi.js';
import { MAX_ERRORS, NftError, span, type Location, type SourceFile } from './errors.js';
import { keywordName } from './keywords.js';
import { Lexer, type Token } from './lexer.js';
import { fieldName, hasTwoWordField, secondWords } from './headers/index.js';
import { RAW_BASES, RAW_MAX_BITS } from './headers/raw.js';
import { TCP_OPTION_WORDS, tcpOptionByName, tcpOptionField } from './headers/tcpopt.js';
import { sctpChunk } from './headers/sctp-chunk.js';
import { IP_OPTIONS, ipOption } from './headers/ipopt.js';
import { closestName } from './misspell.js';
import { parseCommand, rulePlace } from './parse-commands.js';
import { NAT_FLAG_WORDS, NAT_KEYWORDS } from './nat.js';
import { CT_KEYS, PROTOCOLS } from './selectors.js';
import { parseRouting, ROUTING_EXPRESSIONS } from './routing.js';

const FAMILIES: readonly Family[] = ['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev'];
const VERDICTS = new Set(['accept', 'drop', 'continue', 'return', 'jump', 'goto']);
const REL_WORDS: Record<string, RelOp> = { eq: '==', ne: '!=', lt: '<', gt: '>', le: '<=', ge: '>=' };
const REL_PUNCT = new Set(['==', '!=', '<', '>', '<=', '>=', '!']);
// Meta keys that may be written without the "meta" keyword.
export const UNQUALIFIED_META = new Set(['mark', 'iif', 'iifname', 'iiftype', 'oif', 'oifname', 'oiftype', 'skuid', 'skgid', 'nftrace', 'rtclassid', 'pkttype', 'cpu', 'iifgroup', 'oifgroup', 'cgroup', 'time', 'day', 'hour']);
const CT_DIRS = new Set(['original', 'reply']);
// Syslog levels by name, and nft's audit.
export const LOG_LEVELS: Record<string, number> = { emerg: 0, alert: 1, crit: 2, err: 3, warn: 4, notice: 5, info: 6, debug: 7, audit: 8 };
export const BYTE_UNITS: Record<string, bigint> = { bytes: 1n, kbytes: 1024n, mbytes: 1048576n };
export const PERIODS: Record<string, number> = { second: 1, minute: 60, hour: 3600, day: 86400, week: 604800 };
type BinaryOps = Record<string, '&' | '|' | '^' | '<<' | '>>'>;
const OR_OPS: BinaryOps = { '|': '|', or: '|' };
const XOR_OPS: BinaryOps = { '^': '^', xor: '^' };
const AND_OPS: BinaryOps = { '&': '&', and: '&' };
const SHIFT_OPS: BinaryOps = { '<<': '<<', '>>': '>>' };
const VALUE_OPS: BinaryOps = { '|': '|', '^': '^', '&': '&', '<<': '<<', '>>': '>>' };

export interface Include {
  kind: 'include';
  path: string;
  loc: Location;
}

export interface Define {
  kind: 'define';
  name: string;
  value: Expr;
  loc: Location;
}

export interface Undefine {
  kind: 'undefine';
  name: string;
  loc: Location;
}

export type TopLevel = Command | Include | Define | Undefine;

// Thrown past every block when the parse must end (see recover).
class ParseAbort {}

// chain_type_str_array and chain_hookname_str_array of nft's rule.c.
const CHAIN_TYPES = new Set(['filter', 'route', 'nat']);
const CHAIN_HOOKS = new Set(['prerouting', 'input', 'forward', 'postrouting', 'output', 'ingress', 'egress']);

export class Parser {
  private readonly lexer: Lexer;
  // The tokens looked at but not yet consumed.
  private readonly ahead: Token[] = [];
  // The syntax errors met so far (see recover).
  readonly errors: NftError[] = [];
  // Variables defined so far: nft resolves `$name` as it parses. After an
  // include the parser cannot tell (the evaluator reads included files),
  // and leaves it to evaluation.
  private readonly defined: Set<string>;
  private included = false;
  // The last token consumed, where a construct ends.
  private consumed: Token | undefined;

  // defined: the variables the file can use from the files that include it.
  // includer: the files an include inside a table block reads, which the
  // parser takes in place, as nft's scanner does.
  constructor(file: SourceFile, defined: Iterable<string> = [], private readonly includer?: Includer) {
    this.lexer = new Lexer(file);
    this.defined = new Set(defined);
  }

  // A file included inside a table block: table items up to its end.
  private includedItems(table: Command & { kind: 'table' }): void {
    try {
      for (;;) {
        this.skipSeparators();
        if (this.peek().kind === 'eof') return;
        this.recovering(() => this.tableItem(table));
      }
    } catch (e) {
      if (!(e instanceof ParseAbort)) throw e;
    }
  }


  peek(ahead = 0): Token {
    while (this.ahead.length <= ahead) {
      const last = this.ahead[this.ahead.length - 1];
      this.ahead.push(last?.kind === 'eof' ? last : this.lexer.next());
    }
    return this.ahead[ahead];
  }

  next(): Token {
    const t = this.peek();
    if (t.kind !== 'eof') this.ahead.shift();
    this.consumed = t;
    return t;
  }

  is(text: string, ahead = 0): boolean {
    const t = this.peek(ahead);
    return (t.kind === 'word' || t.kind === 'punct') && t.text === text;
  }

  accept(text: string): Token | undefined {
    return this.is(text) ? this.next() : undefined;
  }

  fail(t: Token, message?: string): never {
    const what = message ?? `syntax error, unexpected ${describe(t)}`;
    throw NftError.at(t, what);
  }

  // Bison's message when it can list what would have done; named: the
  // token's name where its scanner scope makes it a keyword.
  failExpecting(t: Token, expecting: string, named = describe(t)): never {
    this.fail(t, `syntax error, unexpected ${named}, expecting ${expecting}`);
  }

  // An error nft's grammar actions raise over a span of tokens.
  failAt(loc: Location, message: string): never {
    throw NftError.at(loc, message);
  }

  expect(text: string): Token {
    if (!this.is(text)) this.fail(this.peek());
    return this.next();
  }

  word(): Token {
    const t = this.peek();
    if (t.kind !== 'word') this.fail(t);
    return this.next();
  }

  // A table, chain, set or object name: a word that is not a keyword.
  name(expecting = 'string'): Token {
    const t = this.peek();
    if (t.kind !== 'word' || keywordName(t.text) !== undefined || isNumber(t)) this.failExpecting(t, expecting);
    return this.next();
  }

  // A device or a named counter, which may be quoted.
  quotableName(): Token {
    const t = this.peek();
    if (t.kind === 'string') return this.next();
    return this.name();
  }

  atEnd(): boolean {
    const t = this.peek();
    return t.kind === 'eof' || t.kind === 'newline' || this.is(';') || this.is('}');
  }

  private skipSeparators(): void {
    while (this.peek().kind === 'newline' || this.is(';')) this.next();
  }

  private skipNewlines(): void {
    while (this.peek().kind === 'newline') this.next();
  }

  // What ends a rule, a chain's type and its policy: nft wants a newline
  // or a semicolon even before a closing brace.
  private separator(): void {
    const t = this.peek();
    if (t.kind !== 'newline' && !this.is(';')) this.failExpecting(t, 'newline or semicolon');
    this.next();
  }

  private endStatement(): void {
    const t = this.peek();
    if (t.kind === 'newline' || this.is(';')) { this.next(); return; }
    if (t.kind === 'eof' || this.is('}')) return;
    this.failExpecting(t, 'end of file or newline or semicolon');
  }

  // nft's `error stmt_separator`, in every block and at the top level: the
  // error is kept, the tokens up to the next newline or semicolon are
  // dropped, and the innermost block the error happened in goes on. The
  // tenth error, or the end of the input reached while dropping, ends the
  // parse.
  private recovering(parse: () => void): void {
    try {
      parse();
    } catch (e) {
      this.recover(e);
    }
  }

  private recover(e: unknown): void {
    if (!(e instanceof NftError)) throw e;
    this.errors.push(e);
    if (this.errors.length >= MAX_ERRORS) throw new ParseAbort();
    for (;;) {
      const t = this.next();
      if (t.kind === 'eof') throw new ParseAbort();
      if (t.kind === 'newline' || (t.kind === 'punct' && t.text === ';')) return;
    }
  }

  parseFile(): TopLevel[] {
    const out: TopLevel[] = [];
    try {
      for (;;) {
        this.skipSeparators();
        if (this.peek().kind === 'eof') return out;
        this.recovering(() => {
          const item = this.topLevel();
          this.endStatement();
          out.push(item);
        });
      }
    } catch (e) {
      if (e instanceof ParseAbort) return out;
      throw e;
    }
  }

  private topLevel(): TopLevel {
    const t = this.word();
    switch (t.text) {
      case 'include': {
        const p = this.peek();
        if (p.kind !== 'string') this.fail(p);
        this.next();
        const end = this.peek();
        if (end.kind !== 'newline' && !this.is(';')) this.failExpecting(end, 'newline or semicolon');
        this.included = true;
        // nft's location of the statement takes in its separator.
        const loc = span(t, p);
        return { kind: 'include', path: p.text, loc: { ...loc, endColumn: loc.endColumn + 1 } };
      }
      case 'define':
      case 'redefine':
      case 'undefine':
        return this.definition(t);
      case 'delete':
      case 'destroy':
      case 'flush':
      case 'rename':
      case 'replace':
      case 'reset':
        return parseCommand(this, t);
      case 'table':
        return this.tableBlock();
      // nft takes an add command without its verb.
      case 'chain':
      case 'rule':
      case 'set':
      case 'map':
      case 'element':
        this.ahead.unshift(t);
        return this.addCommand(false);
      case 'add':
        return this.addCommand(false);
      case 'create': {
        // As add, but what exists already is the kernel's error.
        const cmd = this.addCommand(false);
        if (cmd.kind === 'table' || cmd.kind === 'chain' || cmd.kind === 'set' || cmd.kind === 'elements') cmd.create = true;
        return cmd;
      }
      case 'insert':
        return this.addCommand(true);
      default:
        return this.implicitRule(t);
    }
  }

  // define, redefine, undefine: nft's symbols, known from where they are
  // written on.
  private definition(t: Token): Define | Undefine {
    const n = this.word();
    if (t.text === 'undefine') {
      this.defined.delete(n.text);
      return { kind: 'undefine', name: n.text, loc: n };
    }
    const again = t.text === 'define' && this.defined.has(n.text);
    this.expect('=');
    const value = this.defineValue();
    // The separator belongs to nft's define statement: without it the
    // symbol is never defined.
    const end = this.peek();
    if (end.kind !== 'newline' && !this.is(';')) this.failExpecting(end, 'newline or semicolon');
    if (again) {
      // nft finds it once the separator is read: its recovery then drops
      // the statement after.
      if (this.peek().kind === 'newline' || this.is(';')) this.next();
      this.fail(n, `redefinition of symbol '${n.text}'`);
    }
    this.defined.add(n.text);
    return { kind: 'define', name: n.text, value, loc: n };
  }

  family(): Family {
    const t = this.peek();
    // A family's name is a keyword, never a table's.
    if (t.kind === 'word' && (FAMILIES as readonly string[]).includes(t.text)) {
      this.next();
      return t.text as Family;
    }
    return 'ip';
  }

  // nft's grammar takes a line that starts with a table's name (or its
  // family) as a rule to add: `[family] table chain rule`.
  private implicitRule(first: Token): Command {
    let family: Family = 'ip';
    let table = first;
    if ((FAMILIES as readonly string[]).includes(first.text)) {
      family = first.text as Family;
      table = this.name();
    } else if (keywordName(first.text) !== undefined || isNumber(first)) {
      this.fail(first);
    }
    const chain = this.name();
    const rule = this.rule(true);
    return { kind: 'rule', family, table: table.text, tableLoc: table, chain: chain.text, chainLoc: chain, rule, insert: false, loc: first };
  }

  private addCommand(insert: boolean): Command {
    const what = this.word();
    switch (what.text) {
      case 'table':
        if (insert) this.fail(what);
        return this.tableBlock();
      case 'chain': {
        const family = this.family();
        const table = this.name();
        const n = this.name();
        const chain: ChainDecl = { name: n.text, rules: [], loc: n };
        if (this.accept('{')) {
          this.chainBody(chain);
          this.expect('}');
        }
        return { kind: 'chain', family, table: table.text, tableLoc: table, chain, loc: n };
      }
      case 'rule': {
        const family = this.family();
        const table = this.name();
        const chain = this.name();
        const place = rulePlace(this);
        const rule = this.rule(true);
        return { kind: 'rule', family, table: table.text, tableLoc: table, chain: chain.text, chainLoc: chain, rule, insert, place, loc: what };
      }
      case 'set':
      case 'map': {
        const family = this.family();
        const table = this.name();
        const n = this.name();
        this.expect('{');
        const set = this.setBody(n, what.text === 'map');
        return { kind: 'set', family, table: table.text, tableLoc: table, set, loc: n };
      }
      case 'element': {
        const family = this.family();
        const table = this.name();
        const set = this.name();
        this.expect('{');
        const elements = this.setElements();
        return { kind: 'elements', family, table: table.text, tableLoc: table, set: set.text, setLoc: set, elements, loc: what };
      }
      default:
        return this.fail(what);
    }
  }

  private tableBlock(): Command {
    const family = this.family();
    const n = this.name();
    const table: Command & { kind: 'table' } = { kind: 'table', family, name: n.text, loc: n, chains: [], sets: [], objects: [], flowtables: [], definitions: [] };
    if (!this.accept('{')) return table;
    // What the block defines is known in the block only.
    const outer = new Set(this.defined);
    for (;;) {
      this.skipSeparators();
      if (this.accept('}')) {
        this.defined.clear();
        for (const d of outer) this.defined.add(d);
        return table;
      }
      this.recovering(() => this.tableItem(table));
    }
  }

  private tableItem(table: Command & { kind: 'table' }): void {
    const t = this.word();
    if (UNSUPPORTED_OBJECTS.has(t.text) && !(t.text === 'ct' && (this.is('helper') || this.is('timeout') || this.is('expectation')))) {
      const what = t.text === 'ct' ? `ct ${this.peek().text}` : t.text;
      this.skipBlock();
      this.fail(t, `${what} objects are not supported by nftwasm`);
    }
    // What the item adds: nothing unless it ends as it should.
    let add: () => void;
    if (t.text === 'chain') {
      const cn = this.name();
      this.expect('{');
      const chain: ChainDecl = { name: cn.text, rules: [], loc: cn };
      this.chainBody(chain);
      this.expect('}');
      add = () => table.chains.push(chain);
    } else if (t.text === 'set' || t.text === 'map') {
      const sn = this.name();
      this.expect('{');
      const set = this.setBody(sn, t.text === 'map');
      add = () => table.sets.push(set);
    } else if (t.text === 'flowtable') {
      const n = this.name();
      this.expect('{');
      const ft = this.flowtableBody(n);
      add = () => table.flowtables.push(ft);
    } else if (t.text === 'ct' && this.is('helper')) {
      this.next();
      const helper = this.ctHelper();
      add = () => table.objects.push(helper);
    } else if (t.text === 'synproxy') {
      const object = this.synproxyObject();
      add = () => table.objects.push(object);
    } else if (t.text === 'ct') {
      const object = this.next().text === 'timeout' ? this.ctTimeout() : this.ctExpectation();
      add = () => table.objects.push(object);
    } else if (t.text === 'include') {
      const p = this.peek();
      if (p.kind !== 'string') this.fail(p);
      this.next();
      const loc = span(t, p);
      if (!this.includer) this.fail(t);
      let files: SourceFile[];
      try {
        files = this.includer(p.text, { ...loc, endColumn: loc.endColumn + 1 });
      } catch (e) {
        // nft finds it once the separator is read: its recovery then drops
        // the statement after.
        if (this.peek().kind === 'newline' || this.is(';')) this.next();
        throw e;
      }
      for (const file of files) {
        const sub = new Parser(file, this.defined, this.includer);
        sub.includedItems(table);
        this.errors.push(...sub.errors);
        for (const d of sub.defined) this.defined.add(d);
      }
      add = () => undefined;
    } else if (t.text === 'define' || t.text === 'redefine' || t.text === 'undefine') {
      const d = this.definition(t);
      add = () => table.definitions.push(d);
    } else if (t.text === 'quota' || t.text === 'limit') {
      const n = this.name();
      this.expect('{');
      this.skipSeparators();
      const decl: ObjectDecl = t.text === 'quota'
        ? { kind: 'quota', name: n.text, args: this.quotaArgs(t), loc: n }
        : { kind: 'limit', name: n.text, args: this.limitArgs(t), loc: n };
      this.skipSeparators();
      this.expect('}');
      add = () => table.objects.push(decl);
    } else if (t.text === 'counter') {
      const cn = this.name();
      const start = { packets: 0n, bytes: 0n };
      if (this.accept('{')) {
        this.skipSeparators();
        Object.assign(start, this.counterValues());
        this.skipSeparators();
        this.expect('}');
      }
      add = () => table.objects.push({ kind: 'counter', name: cn.text, ...start, loc: cn });
    } else {
      this.fail(t);
    }
    // Every item of a table block, blocks included, ends with a newline
    // or a semicolon, even before the table's closing brace.
    this.separator();
    add();
  }

  // nft's flowtable_block: its hook and priority, devices, counter and
  // hardware offload flag, each item ended by a separator.
  private flowtableBody(n: Token): FlowtableDecl {
    const ft: FlowtableDecl = { name: n.text, devices: [], counter: false, offload: false, loc: n };
    this.blockItems((t) => {
      if (t.text === 'hook') {
        const hook = this.peek();
        if (hook.kind !== 'word') this.fail(hook);
        this.next();
        const priority = this.priority(this.expect('priority'));
        if (!CHAIN_HOOKS.has(hook.text)) this.fail(hook, 'unknown chain hook');
        Object.assign(ft, { hook: hook.text, hookLoc: hook, priority });
      } else if (t.text === 'devices') {
        this.expect('=');
        this.expect('{');
        do {
          this.skipSeparators();
          if (this.is('}')) break;
          ft.devices.push(this.is('$') ? this.value() : { kind: 'value', text: this.quotableName().text, quoted: true, loc: this.consumed! });
        } while (this.accept(','));
        this.skipSeparators();
        this.expect('}');
      } else if (t.text === 'counter') {
        ft.counter = true;
      } else if (t.text === 'flags') {
        this.expect('offload');
        ft.offload = true;
      } else {
        this.fail(t);
      }
      this.separator();
    });
    return ft;
  }

  // The items of a block up to its closing brace, each read from its first
  // word with recovery from its errors.
  private blockItems(item: (t: Token) => void): void {
    for (;;) {
      this.skipSeparators();
      if (this.accept('}')) return;
      this.recovering(() => item(this.word()));
    }
  }

  private ctHelper(): ObjectDecl {
    const n = this.name();
    this.expect('{');
    let helper = '';
    let protocol = '';
    let l3proto: string | undefined;
    this.blockItems((t) => {
      if (t.text === 'type') {
        const h = this.peek();
        if (h.kind !== 'string') this.fail(h);
        this.next();
        this.expect('protocol');
        const p = this.peek();
        if (p.kind !== 'word' || (p.text !== 'tcp' && p.text !== 'udp')) this.failExpecting(p, 'udp or tcp');
        this.next();
        helper = h.text;
        protocol = p.text;
      } else if (t.text === 'l3proto') {
        l3proto = this.word().text;
      } else {
        this.fail(t);
      }
    });
    return { kind: 'cthelper', name: n.text, helper, protocol, l3proto, loc: n };
  }

  // nft's ct_timeout_block: `protocol tcp|udp`, `policy = { STATE : N, ... }`
  // (seconds), `l3proto FAMILY`, each ended by a separator.
  private ctTimeout(): ObjectDecl {
    const n = this.name();
    this.expect('{');
    const o: ObjectDecl & { kind: 'cttimeout' } = { kind: 'cttimeout', name: n.text, policy: [], loc: n };
    this.blockItems((t) => {
      if (t.text === 'protocol') o.protocol = this.ctProtocol();
      else if (t.text === 'l3proto') o.l3proto = this.word().text;
      else if (t.text === 'policy') {
        this.expect('=');
        this.expect('{');
        do {
          const state = this.peek();
          if (state.kind !== 'word' || keywordName(state.text) !== undefined) this.fail(state);
          this.next();
          this.expect(':');
          o.policy.push({ state: state.text, seconds: BigInt(this.number().text), loc: state });
        } while (this.accept(','));
        this.expect('}');
      } else this.fail(t);
      this.separator();
    });
    return o;
  }

  // nft's ct_expect_block: protocol, dport, timeout, size and l3proto.
  private ctExpectation(): ObjectDecl {
    const n = this.name();
    this.expect('{');
    const o: ObjectDecl & { kind: 'ctexpect' } = { kind: 'ctexpect', name: n.text, loc: n };
    this.blockItems((t) => {
      if (t.text === 'protocol') o.protocol = this.ctProtocol();
      else if (t.text === 'dport') o.dport = Number(this.number().text);
      else if (t.text === 'timeout') o.timeout = this.value();
      else if (t.text === 'size') o.size = Number(this.number().text);
      else if (t.text === 'l3proto') o.l3proto = this.word().text;
      else this.fail(t);
      this.separator();
    });
    return o;
  }

  // nft's synproxy_config: mss and wscale, on one line or each ended by a
  // separator, then the options.
  private synproxyObject(): ObjectDecl {
    const n = this.name();
    this.expect('{');
    const o: ObjectDecl & { kind: 'synproxy' } = { kind: 'synproxy', name: n.text, mss: 0, wscale: 0, flags: SynproxyFlags.Mss | SynproxyFlags.Wscale, loc: n };
    this.blockItems((t) => {
      if (t.text !== 'mss') this.fail(t, SYNPROXY_WORDS.has(t.text) ? `syntax error, unexpected ${t.text}` : undefined);
      o.mss = Number(BigInt(this.number().text) & 0xffffn);
      const separated = this.peek().kind === 'newline' || this.is(';');
      if (separated) this.separator();
      if (!this.is('wscale')) this.failExpecting(this.peek(), 'newline or semicolon or wscale');
      this.next();
      o.wscale = Number(BigInt(this.number().text) & 0xffn);
      if (separated) this.separator();
      if (this.accept('timestamp')) o.flags |= SynproxyFlags.Timestamp;
      if (this.accept('sack-perm')) o.flags |= SynproxyFlags.SackPerm;
    });
    return o;
  }

  private ctProtocol(): string {
    const p = this.peek();
    if (p.kind !== 'word' || (p.text !== 'tcp' && p.text !== 'udp')) this.failExpecting(p, 'udp or tcp');
    return this.next().text;
  }

  private chainBody(chain: ChainDecl): void {
    for (;;) {
      this.skipSeparators();
      if (this.is('}') || this.peek().kind === 'eof') return;
      this.recovering(() => this.chainItem(chain));
    }
  }

  private chainItem(chain: ChainDecl): void {
    if (this.is('type') && this.peek(1).kind === 'word') {
      this.next();
      const type = this.word();
      this.expect('hook');
      const hook = this.word();
      const device = this.accept('device') ? this.quotableName().text : undefined;
      const priority = this.priority(this.expect('priority'));
      // nft checks the names once the whole specification has parsed, as a
      // syntax error: the chain goes on as a regular one.
      if (!CHAIN_TYPES.has(type.text)) this.fail(type, 'unknown chain type');
      if (!CHAIN_HOOKS.has(hook.text)) this.fail(hook, 'unknown chain hook');
      Object.assign(chain, { type: type.text, hook: hook.text, hookLoc: hook, device, priority });
      this.separator();
      return;
    }
    if (this.is('policy')) {
      this.next();
      if (this.is('$')) {
        chain.policyVariable = this.value() as Expr & { kind: 'variable' };
        this.separator();
        return;
      }
      const p = this.word();
      if (p.text !== 'accept' && p.text !== 'drop') this.fail(p);
      chain.policy = p.text;
      this.separator();
      return;
    }
    // A chain's flags, which nft's grammar takes before any rule.
    if (this.is('flags')) {
      this.next();
      const f = this.peek();
      if (!(f.kind === 'word' && f.text === 'offload')) this.failExpecting(f, 'offload');
      this.fail(f, 'chain offload is not supported by nftwasm');
    }
    const rule = this.rule();
    this.separator();
    chain.rules.push(rule);
  }

  private priority(keyword: Token): PrioritySpec {
    if (this.is('$')) {
      const variable = this.value() as Expr & { kind: 'variable' };
      return { offset: 0, text: '$' + variable.name, variable, loc: span(keyword, variable.loc) };
    }
    if (this.accept('-')) {
      const n = this.number();
      return { offset: -Number(n.text), text: '-' + n.text, loc: span(keyword, n) };
    }
    const w = this.word();
    if (/^\d+$/.test(w.text)) return { offset: Number(w.text), text: w.text, loc: span(keyword, w) };
    let offset = 0;
    let last = w;
    if (this.is('+') || this.is('-')) {
      const s = this.next().text === '-' ? -1 : 1;
      last = this.number();
      offset = s * Number(last.text);
    }
    return { base: w.text, offset, text: w.text, loc: span(keyword, last) };
  }

  // inScope: where a counter, limit or quota is being read, whose words are
  // keywords there.
  number(inScope = false): Token {
    const t = this.peek();
    if (t.kind !== 'word' || !/^\d+$/.test(t.text)) {
      this.failExpecting(t, 'number', inScope && t.kind === 'word' && AMOUNT_WORDS.has(t.text) ? t.text : describe(t));
    }
    return this.next();
  }

  private setBody(n: Token, isMap: boolean): SetDecl {
    const set: SetDecl = { name: n.text, isMap, keyType: [], flags: [], elements: [], loc: n };
    for (;;) {
      this.skipSeparators();
      if (this.accept('}')) return set;
      this.recovering(() => this.setItem(set, isMap));
    }
  }

  private setItem(set: SetDecl, isMap: boolean): void {
    const t = this.word();
    if (t.text === 'typeof') {
      set.typeofKey = [this.primary()];
      while (this.accept('.')) set.typeofKey.push(this.primary());
      if (isMap) {
        this.expect(':');
        set.typeofData = this.primary();
      }
    } else if (t.text === 'type') {
      set.keyType.push(this.word().text);
      while (this.accept('.')) set.keyType.push(this.word().text);
      if (isMap) {
        this.expect(':');
        set.dataType = this.word().text;
      }
      const end = this.peek();
      if (end.kind !== 'newline' && !this.is(';')) this.failExpecting(end, 'newline or semicolon or .');
    } else if (t.text === 'flags') {
      set.flags.push(this.word().text);
      while (this.accept(',')) set.flags.push(this.word().text);
    } else if (t.text === 'elements') {
      this.expect('=');
      if (this.is('$')) {
        const initial = this.value() as Expr & { kind: 'variable' };
        Object.assign(set, { initial, elements: [{ key: initial, loc: initial.loc }] });
        return;
      }
      this.expect('{');
      set.elements = this.setElements();
    } else if (t.text === 'timeout') {
      set.timeout = this.value();
    } else if (t.text === 'gc-interval') {
      set.gcInterval = this.value();
    } else if (t.text === 'counter') {
      set.counter = true;
    } else if (t.text === 'size') {
      set.size = Number(this.number().text);
    } else if (t.text === 'policy') {
      this.word();
    } else if (t.text === 'auto-merge') {
      set.autoMerge = true;
    } else if (t.text === 'comment') {
      const c = this.peek();
      if (c.kind !== 'string') this.fail(c);
      set.comment = this.next().text;
    } else {
      this.fail(t);
    }
  }

  // The elements up to the closing brace, at least one; an anonymous verdict
  // map's data are verdicts to the grammar.
  setElements(verdicts = false): SetElement[] {
    const elements: SetElement[] = [];
    for (;;) {
      this.skipNewlines();
      if (elements.length > 0 && this.accept('}')) return elements;
      // nft's set_list_member_expr: a set among the elements stands for
      // its own (the evaluator flattens it).
      const open = this.peek();
      if (this.accept('{')) {
        elements.push({ key: { kind: 'set', elements: this.setElements(verdicts), loc: open }, loc: open });
        this.skipNewlines();
        if (this.accept(',')) continue;
        if (this.accept('}')) return elements;
        this.failExpecting(this.peek(), "comma or '}'");
      }
      const star = this.peek();
      const key: Expr = star.kind === 'punct' && star.text === '*' ? (this.next(), { kind: 'catchall', loc: star }) : this.concatRhs();
      let data: Expr | undefined;
      this.skipNewlines();
      let comment: string | undefined;
      let counter: SetElement['counter'];
      let timeout: Expr | undefined;
      let expires: Expr | undefined;
      for (let option = this.peek(); option.kind === 'word' && ELEMENT_OPTIONS.has(option.text); option = this.peek()) {
        this.next();
        if (option.text === 'counter') {
          counter = { packets: 0n, bytes: 0n, ...this.counterValues(), loc: option };
          this.skipNewlines();
          continue;
        }
        if (option.text === 'timeout' || option.text === 'expires') {
          const v = this.value();
          if (option.text === 'timeout') timeout = v;
          else expires = v;
          this.skipNewlines();
          continue;
        }
        const c = this.peek();
        if (c.kind !== 'string' && c.kind !== 'word') this.fail(c);
        this.next();
        comment = c.text;
        this.skipNewlines();
      }
      if (this.accept(':')) {
        this.skipNewlines();
        const d = this.peek();
        if (verdicts && (d.kind !== 'word' || !VERDICTS.has(d.text))) this.fail(d);
        data = this.setData();
      }
      elements.push({ key, data, comment, counter, ...(timeout ? { timeout } : {}), ...(expires ? { expires } : {}), loc: span(key.loc, data?.loc ?? key.loc) });
      this.skipNewlines();
      if (this.accept(',')) continue;
      if (this.accept('}')) return elements;
      this.failExpecting(this.peek(), "comma or '}'");
    }
  }

  private setData(): Expr {
    const t = this.peek();
    if (t.kind === 'word' && VERDICTS.has(t.text)) {
      this.next();
      if (t.text === 'jump' || t.text === 'goto') {
        const c = this.name("'{'");
        // nft marks the chain name when the chain does not exist.
        return { kind: 'verdict', verdict: t.text, chain: c.text, chainLoc: c, loc: span(t, c) };
      }
      return { kind: 'verdict', verdict: t.text as VerdictName, loc: t };
    }
    return this.concatRhs();
  }

  // atTop: a rule command's, which the end of the file may also end.
  rule(atTop = false): Rule {
    const first = this.peek();
    const stmts: Stmt[] = [];
    let comment: string | undefined;
    while (!this.atEnd()) {
      if (this.is('comment')) {
        this.next();
        const c = this.peek();
        if (c.kind !== 'string') this.fail(c);
        this.next();
        comment = c.text;
        continue;
      }
      // After a whole statement bison has reduced to a rule, which only a
      // separator may follow, unless the token starts another statement.
      const t = this.peek();
      if (stmts.length > 0 && !this.startsStatement(t)) this.failExpecting(t, atTop ? 'end of file or newline or semicolon' : 'newline or semicolon');
      stmts.push(this.stmt());
    }
    if (stmts.length === 0) this.fail(this.peek());
    return { stmts, comment, loc: first, extent: span(first, this.consumed ?? first) };
  }

  // Past the next block, braces balanced: what is in it is not read.
  private skipBlock(): void {
    while (!this.is('{') && this.peek().kind !== 'eof') this.next();
    let depth = 0;
    do {
      const b = this.next();
      if (b.kind === 'eof') return;
      if (b.kind === 'punct' && b.text === '{') depth++;
      if (b.kind === 'punct' && b.text === '}') depth--;
    } while (depth > 0);
  }

  private startsStatement(t: Token): boolean {
    if (t.kind === 'string') return true;
    if (t.kind === 'punct') return t.text === '(' || t.text === '$' || (t.text === '@' && this.isRawPayload());
    if (t.kind !== 'word' || keywordName(t.text) === undefined) return t.kind === 'word';
    return STATEMENT_KEYWORDS.has(t.text) || NAT_KEYWORDS.has(t.text) || UNSUPPORTED_STATEMENTS.has(t.text) || UNSUPPORTED_EXPRESSIONS.has(t.text) || ROUTING_EXPRESSIONS.has(t.text) || VERDICTS.has(t.text) || VALUE_KEYWORDS.has(t.text) || UNQUALIFIED_META.has(t.text) || Object.hasOwn(PROTOCOLS, t.text) || t.text === 'exthdr';
  }

  private stmt(): Stmt {
    const t = this.peek();
    if (t.kind === 'word' && UNSUPPORTED_STATEMENTS.has(t.text)) this.fail(t, `${t.text} is not supported by nftwasm`);
    // `set add|update|delete @s {...}`, nft's other way of writing set updates.
    if (this.is('set') && !['add', 'update', 'delete'].includes(this.peek(1).text)) {
      this.failExpecting(this.peek(1), 'add or update or delete');
    }
    // A statement that starts with a protocol's keyword names one of its
    // fields next: to bison, anything else there is out of place.
    const after = this.peek(1);
    if (t.kind === 'word' && Object.hasOwn(PROTOCOLS, t.text) && after.kind !== 'word' && after.kind !== 'newline' && after.kind !== 'eof' && !PROTOCOLS[t.text].expecting) this.fail(after);
    if (t.kind === 'word') {
      if (VERDICTS.has(t.text)) {
        this.next();
        if (t.text === 'jump' || t.text === 'goto') {
          const c = this.name("'{'");
          return { kind: 'verdict', verdict: t.text, chain: c.text, chainLoc: c, loc: span(t, c) };
        }
        return { kind: 'verdict', verdict: t.text as VerdictName, loc: t };
      }
      switch (t.text) {
        case 'counter': return this.counterStmt();
        case 'notrack': this.next(); return { kind: 'notrack', loc: t };
        case 'reject': return this.rejectStmt();
        case 'queue': return this.queueStmt();
        case 'snat': case 'dnat': case 'masquerade': case 'redirect': return this.natStmt();
        case 'dup': return this.dupStmt();
        case 'fwd': return this.fwdStmt();
        case 'tproxy': return this.tproxyStmt();
        case 'synproxy': return this.synproxyStmt();
        case 'flow': return this.flowStmt();
        case 'meter': return this.meterStmt();
        case 'log': return this.logStmt();
        case 'limit': return this.limitStmt();
        case 'add':
        case 'update':
        case 'delete':
          if (this.is('@', 1)) return this.dynsetStmt();
          break;
        case 'set':
          if (this.is('add', 1) || this.is('update', 1) || this.is('delete', 1)) return this.oldDynsetStmt();
          break;
        case 'quota': return this.quotaStmt();
        case 'reset':
          if (this.is('tcp', 1) && this.is('option', 2)) return this.tcpOptionReset();
          break;
        case 'ct':
          if ((this.is('timeout', 1) || this.is('expectation', 1)) && this.is('set', 2)) {
            this.next();
            const what = this.next().text === 'timeout' ? 'cttimeout' : 'ctexpect';
            this.next();
            const v = this.peek();
            if (v.kind !== 'string' && v.kind !== 'word') this.fail(v);
            this.next();
            return { kind: 'ctobject', objType: what, name: v.text, nameLoc: v, loc: span(t, v) };
          }
          if (this.is('count', 1)) {
            this.next();
            this.next();
            const over = !!this.accept('over');
            const n = this.number();
            return { kind: 'connlimit', count: Number(n.text), over, loc: span(t, n) };
          }
          break;
      }
    }
    const left = this.expr();
    if (this.is('set')) {
      // Only a selector can be set.
      if (left.kind !== 'ct' && left.kind !== 'meta' && left.kind !== 'payload') this.fail(this.peek());
      this.next();
      const first = this.expr();
      const items = [first];
      while (this.accept(',')) items.push(this.expr());
      const value: Expr = items.length > 1 ? { kind: 'list', items, loc: span(first.loc, items[items.length - 1].loc) } : first;
      if (left.kind === 'ct') return { kind: 'ctset', key: left.key, dir: left.dir, value, loc: left.loc };
      if (left.kind === 'meta') return { kind: 'metaset', key: left.key, value, loc: left.loc };
      return { kind: 'payloadset', target: left as Expr & { kind: 'payload' }, value, loc: left.loc };
    }
    if (this.is('vmap')) {
      this.next();
      const mapping = this.mapTarget(true);
      return { kind: 'vmap', key: left, mapping, loc: left.loc };
    }
    let op: RelOp = 'implicit';
    const o = this.peek();
    if (o.kind === 'punct' && REL_PUNCT.has(o.text)) {
      this.next();
      op = o.text as RelOp;
    } else if (o.kind === 'word' && REL_WORDS[o.text]) {
      this.next();
      op = REL_WORDS[o.text];
    }
    const r = this.peek();
    if (this.atEnd() || (r.kind === 'word' && VERDICTS.has(r.text))) this.fail(r);
    // A ct key is a keyword while ct is being read.
    if (left.kind === 'ct' && r.kind === 'word' && Object.hasOwn(CT_KEYS, r.text) && !VALUE_KEYWORDS.has(r.text)) this.fail(r, `syntax error, unexpected ${r.text}`);
    const right = this.rhsExpr();
    // "tcp flags syn / syn,ack": the value under a mask of flags.
    if (this.accept('/')) {
      const mask = this.rhsExpr();
      if (mask.kind !== 'list') this.failExpecting(this.peek(), 'comma');
      return { kind: 'match', op, left, right, mask, loc: left.loc };
    }
    return { kind: 'match', op, left, right, loc: left.loc };
  }

  // nft's stmt_expr where dup, fwd and tproxy take one: a value, or an
  // expression (a map's lookup) that gives it.
  private stmtArg(): Expr {
    const a = this.peek();
    if (a.kind === 'word' && keywordName(a.text) !== undefined) return this.expr();
    return this.rangeRhs();
  }

  private familyWord(): 'ip' | 'ip6' | undefined {
    return this.is('ip') || this.is('ip6') ? this.next().text as 'ip' | 'ip6' : undefined;
  }

  // `dup to ADDR [device DEV]`, in netdev `dup to DEV`.
  private dupStmt(): Stmt {
    const t = this.next();
    this.expect('to');
    const to = this.stmtArg();
    const dev = this.accept('device') ? this.stmtArg() : undefined;
    return { kind: 'dup', to, dev, loc: span(t, this.consumed ?? t) };
  }

  // `fwd to DEV`, `fwd ip|ip6 to ADDR device DEV`.
  private fwdStmt(): Stmt {
    const t = this.next();
    const family = this.familyWord();
    this.expect('to');
    const first = this.stmtArg();
    if (family === undefined) return { kind: 'fwd', dev: first, loc: span(t, this.consumed ?? t) };
    this.expect('device');
    const dev = this.stmtArg();
    return { kind: 'fwd', family, addr: first, dev, loc: span(t, this.consumed ?? t) };
  }

  // `tproxy [ip|ip6] to ADDR`, `to :PORT`, `to ADDR:PORT`; an IPv6
  // address in brackets when a port may follow.
  private tproxyStmt(): Stmt {
    const t = this.next();
    const s: Stmt & { kind: 'tproxy' } = { kind: 'tproxy', family: this.familyWord(), loc: t };
    this.expect('to');
    if (this.accept(':')) s.port = this.stmtArg();
    else {
      s.addr = this.is('[') ? this.bracketedAddress() : this.stmtArg();
      if (this.accept(':')) s.port = this.stmtArg();
    }
    s.loc = span(t, this.consumed ?? t);
    return s;
  }

  // `synproxy [mss N] [wscale N] [timestamp] [sack-perm]`, as nft's
  // synproxy_args in any order; what a C field of its width keeps.
  private synproxyStmt(): Stmt {
    const t = this.next();
    const named = this.objectName(t, 'synproxy');
    if (named) return named;
    const s: Stmt & { kind: 'synproxy' } = { kind: 'synproxy', mss: 0, wscale: 0, flags: 0, loc: t };
    for (;;) {
      if (this.accept('mss')) {
        s.mss = Number(BigInt(this.number().text) & 0xffffn);
        s.flags |= SynproxyFlags.Mss;
      } else if (this.accept('wscale')) {
        s.wscale = Number(BigInt(this.number().text) & 0xffn);
        s.flags |= SynproxyFlags.Wscale;
      } else if (this.accept('timestamp')) s.flags |= SynproxyFlags.Timestamp;
      else if (this.accept('sack-perm')) s.flags |= SynproxyFlags.SackPerm;
      else break;
    }
    s.loc = span(t, this.consumed ?? t);
    return s;
  }

  // nft's meter_stmt_alloc: the key, its timeout and the statement each
  // element keeps.
  private meterStmt(): Stmt {
    const t = this.next();
    const n = this.name();
    const size = this.accept('size') ? Number(this.number().text) : undefined;
    this.expect('{');
    const key = this.expr();
    const timeout = this.accept('timeout') ? this.value() : undefined;
    const stmt = this.stmt();
    if (!this.is('}')) this.failExpecting(this.peek(), "'}'");
    const end = this.next();
    return { kind: 'meter', name: n.text, nameLoc: n, size, key, timeout, stmt, loc: span(t, end) };
  }

  // `flow add @FT` and its older spelling `flow offload @FT`; `flow table`
  // is the older spelling of a meter.
  private flowStmt(): Stmt {
    const t = this.next();
    if (this.is('table')) this.fail(t, 'flow table, the older spelling of meter, is not supported by nftwasm');
    const w = this.peek();
    if (!this.is('add') && !this.is('offload')) this.failExpecting(w, 'add or offload');
    this.next();
    this.expect('@');
    const n = this.name();
    return { kind: 'flowoffload', flowtable: n.text, nameLoc: n, loc: span(t, n) };
  }

  private rejectStmt(): Stmt {
    const t = this.next();
    if (!this.accept('with')) return { kind: 'reject', loc: t };
    const w = this.peek();
    if (w.kind === 'word' && w.text === 'tcp') {
      this.next();
      if (!this.is('reset')) this.failExpecting(this.peek(), 'reset');
      this.next();
      return { kind: 'reject', with: 'tcp', loc: t };
    }
    if (w.kind !== 'word' || (w.text !== 'icmp' && w.text !== 'icmpv6' && w.text !== 'icmpx')) {
      this.failExpecting(w, 'icmp or icmpv6 or tcp or icmpx');
    }
    this.next();
    this.accept('type');
    return { kind: 'reject', with: w.text as RejectIcmp, code: this.primary(), loc: t };
  }

  // nft's nat_stmt, masq_stmt and redir_stmt. Forms nftwasm does not take
  // yet (`ip addr . port to`, `prefix to`) are refused by name.
  private natStmt(): Stmt {
    const t = this.next();
    const type = t.text as 'snat' | 'dnat' | 'masquerade' | 'redirect';
    const s: Stmt & { kind: 'nat' } = { kind: 'nat', type, flags: 0, loc: t };
    if (type === 'snat' || type === 'dnat') {
      // `ip` and `ip6` name the family only before these; otherwise they
      // start the expression of nft's older form without `to`.
      const after = this.peek(1);
      const addressPort = after.text === 'addr' && this.is('.', 2) && this.is('port', 3);
      const family = (this.is('ip') || this.is('ip6')) && (after.text === 'to' || after.text === 'prefix' || addressPort);
      if (family) s.family = this.next().text as 'ip' | 'ip6';
      // `addr . port to`: a map gives both, as nft finds out without it.
      if (addressPort) {
        this.next();
        this.next();
        this.next();
        if (!this.is('to') || this.peek(1).kind !== 'word' || keywordName(this.peek(1).text) === undefined) this.fail(this.peek(), `${t.text} ${s.family} addr . port to a value is not supported by nftwasm`);
      }
      // `prefix to`: netmap, the address's host part kept.
      if (this.is('prefix') && this.is('to', 1)) {
        this.next();
        s.netmap = true;
      }
      if (s.family !== undefined || s.netmap) this.expect('to');
      else this.accept('to');
      if (s.family === undefined && this.accept(':')) s.proto = this.natValue(t);
      else if (this.is('[')) {
        s.addr = this.bracketedAddress();
        if (this.accept('/')) {
          const n = this.word();
          s.addr = { kind: 'prefix', expr: s.addr, length: Number(n.text), loc: span(s.addr.loc, n) };
        } else if (this.accept('-')) {
          const high = this.bracketedAddress();
          s.addr = { kind: 'range', low: s.addr, high, loc: span(s.addr.loc, high.loc) };
        }
        if (this.accept(':')) s.proto = this.natValue(t);
      } else if (this.peek().kind === 'word' && keywordName(this.peek().text) !== undefined) {
        s.addr = this.natMap(t, true);
        if (this.accept(':')) s.proto = this.natValue(t);
      } else {
        s.addr = this.natValue(t);
        if (this.accept(':')) s.proto = this.natValue(t);
      }
    } else if (this.accept('to')) {
      if (type === 'masquerade' && !this.is(':')) this.failExpecting(this.peek(), 'colon');
      this.accept(':');
      s.proto = this.natValue(t);
    }
    // snat and dnat take groups of flags one after another, the last one
    // standing; masquerade and redirect one group.
    while (Object.hasOwn(NAT_FLAG_WORDS, this.peek().text)) {
      if (s.flags !== 0 && (type === 'masquerade' || type === 'redirect')) this.failExpecting(this.peek(), 'newline or semicolon', this.peek().text);
      s.flags = 0;
      do {
        const f = this.peek();
        if (!Object.hasOwn(NAT_FLAG_WORDS, f.text)) this.failExpecting(f, 'random or fully-random or persistent');
        s.flags |= NAT_FLAG_WORDS[this.next().text]!;
      } while (this.accept(','));
    }
    return s;
  }

  // A value, range or prefix; an expression that picks it from a map is
  // refused by name.
  private natValue(keyword: Token): Expr {
    const a = this.peek();
    const refuse = () => this.fail(this.peek(), `${keyword.text} to a map is not supported by nftwasm`);
    if (a.kind === 'word' && keywordName(a.text) !== undefined) return this.natMap(keyword);
    const e = this.rangeRhs();
    if (this.is('map')) refuse();
    if (this.is('.')) this.failAt(e.loc, `Can't parse symbolic invalid expressions`);
    return e;
  }

  // `KEY map { ... }` giving a value, range or prefix each, or in the
  // address's place an address and a port.
  private natMap(keyword: Token, addressAndPort = false): Expr {
    const key = this.peek();
    if (UNSUPPORTED_EXPRESSIONS.has(key.text)) this.fail(key, `${key.text} is not supported by nftwasm`);
    const e = this.expr();
    if (e.kind !== 'map') this.fail(this.peek(), `${keyword.text} to a map is not supported by nftwasm`);
    if (e.mapping.kind === 'set') {
      for (const el of e.mapping.elements) {
        const d = el.data;
        if (d?.kind !== 'concat' || (addressAndPort && d.items.length === 2)) continue;
        this.failAt(d.loc, `${keyword.text} to a map of concatenations is not supported by nftwasm`);
      }
    }
    // nft's errors mark the map with its elements.
    return { ...e, loc: span(e.loc, this.consumed ?? keyword) };
  }

  // `[ADDR]`, the IPv6 address a port follows.
  private bracketedAddress(): Expr {
    this.expect('[');
    const e = this.value();
    this.expect(']');
    return e;
  }

  // nft's queue_stmt: the old form takes `num` and the flags in any order
  // and is marked by its keyword alone, its number by `num` and all; the
  // `flags ... to|num` and `to` forms mark the whole statement.
  private queueStmt(): Stmt {
    const t = this.next();
    const s: Stmt & { kind: 'queue' } = { kind: 'queue', flags: 0, loc: t };
    if (this.accept('flags')) {
      s.flags = this.queueFlags();
      const w = this.peek();
      if (!this.is('to') && !this.is('num')) this.failExpecting(w, 'comma or to or num');
      this.next();
      if (w.text === 'to' && !isNumber(this.peek())) return this.queueMap(s, t);
      s.loc = span(t, this.queueNumber(s, undefined));
      return this.queueEnd(s);
    }
    if (this.accept('to')) {
      if (!isNumber(this.peek())) return this.queueMap(s, t);
      s.loc = span(t, this.queueNumber(s, undefined));
      return this.queueEnd(s);
    }
    for (;;) {
      const w = this.accept('num');
      if (w) this.queueNumber(s, w);
      else if (this.is('bypass') || this.is('fanout')) s.flags |= this.queueFlags();
      else return s;
    }
  }

  // `queue ... to KEY map { ... }`: the queue number a map gives.
  private queueMap(s: Stmt & { kind: 'queue' }, t: Token): Stmt {
    const key = this.peek();
    if (key.kind === 'word' && UNSUPPORTED_EXPRESSIONS.has(key.text)) this.fail(key, `${key.text} is not supported by nftwasm`);
    const e = this.expr();
    // nft's queue_stmt_expr: a map, or a generator alone.
    if (e.kind !== 'map' && e.kind !== 'numgen' && e.kind !== 'hash') this.failExpecting(this.peek(), '. or map');
    s.map = e;
    s.numLoc = span(e.loc, this.consumed ?? t);
    s.loc = span(t, this.consumed ?? t);
    return this.queueEnd(s);
  }

  // The newer forms take no flags after their number: the rule ends there.
  private queueEnd(s: Stmt): Stmt {
    const t = this.peek();
    if (this.is('bypass') || this.is('fanout')) this.failExpecting(t, 'newline or semicolon', t.text);
    return s;
  }

  private queueFlags(): number {
    let flags = 0;
    do {
      const f = this.peek();
      if (!this.is('bypass') && !this.is('fanout')) this.failExpecting(f, 'bypass or fanout', QUEUE_WORDS.has(f.text) ? f.text : undefined);
      this.next();
      flags |= f.text === 'bypass' ? QueueFlags.Bypass : QueueFlags.Fanout;
    } while (this.accept(','));
    return flags;
  }

  // A queue number or a range of them; returns its last token.
  private queueNumber(s: Stmt & { kind: 'queue' }, num: Token | undefined): Token {
    const low = this.peek();
    if (!isNumber(low)) this.failExpecting(low, "number or '$'");
    this.next();
    s.low = BigInt(low.text);
    s.high = s.low;
    s.lowLoc = low;
    s.highLoc = low;
    let last: Token = low;
    if (this.accept('-')) {
      last = this.peek();
      if (!isNumber(last)) this.failExpecting(last, "number or '$'");
      this.next();
      s.high = BigInt(last.text);
      s.highLoc = last;
    }
    s.numLoc = span(num ?? low, last);
    return last;
  }

  private counterStmt(): Stmt {
    const t = this.next();
    if (this.accept('name')) {
      // Any expression to the grammar: a missing counter is the kernel's
      // to find.
      const n = this.peek();
      if (n.kind !== 'string' && (n.kind !== 'word' || keywordName(n.text) !== undefined)) {
        const map = this.expr();
        if (map.kind !== 'map') this.fail(n);
        return { kind: 'objmap', objType: 'counter', map, loc: span(t, n) };
      }
      this.next();
      return { kind: 'counter', name: n.text, nameLoc: n, loc: span(t, n) };
    }
    return { kind: 'counter', ...this.counterValues(), loc: t };
  }

  private counterValues(): { packets?: bigint; bytes?: bigint } {
    const s: { packets?: bigint; bytes?: bigint } = {};
    while (this.is('packets') || this.is('bytes')) {
      const what = this.next().text;
      const n = this.number(true);
      if (what === 'packets') s.packets = BigInt(n.text);
      else s.bytes = BigInt(n.text);
    }
    return s;
  }

  private logStmt(): Stmt {
    const t = this.next();
    const s: Stmt & { kind: 'log' } = { kind: 'log', flags: 0, loc: t };
    for (;;) {
      if (this.accept('prefix')) {
        const p = this.peek();
        if (p.kind !== 'string' && (p.kind !== 'word' || keywordName(p.text) !== undefined || isNumber(p))) {
          this.failExpecting(p, 'string or quoted string or string with a trailing asterisk');
        }
        this.next();
        s.prefix = p.text;
      } else if (this.accept('level')) {
        const l = this.word();
        if (!Object.hasOwn(LOG_LEVELS, l.text)) this.fail(l, `invalid log level`);
        s.level = l.text;
      } else if (this.accept('group')) {
        s.group = Number(this.number().text);
      } else if (this.accept('snaplen')) {
        s.snaplen = Number(this.number().text);
      } else if (this.accept('queue-threshold')) {
        s.qthreshold = Number(this.number().text);
      } else if (this.accept('flags')) {
        s.flags |= this.logFlags();
      } else {
        return s;
      }
    }
  }

  // all | tcp sequence[,options] | tcp options[,sequence] | ip options |
  // skuid | ether
  private logFlags(): number {
    const w = this.word();
    switch (w.text) {
      case 'all': return LOG_ALL;
      case 'skuid': return LOG_UID;
      case 'ether': return LOG_MACDECODE;
      case 'ip':
        this.expect('options');
        return LOG_IPOPT;
      case 'tcp': {
        let f = 0;
        do {
          const o = this.word();
          if (o.text === 'sequence') f |= LOG_TCPSEQ;
          else if (o.text === 'options') f |= LOG_TCPOPT;
          else this.fail(o);
        } while (this.accept(','));
        return f;
      }
      default:
        return this.fail(w);
    }
  }

  // limit rate [over] N[ UNIT]/PERIOD [burst N UNIT]
  private limitStmt(): Stmt {
    const t = this.next();
    return this.objectName(t, 'limit') ?? this.limitArgs(t);
  }

  // `quota name X`, `limit name X`, or an object map: undefined when no
  // name follows.
  private objectName(t: Token, objType: 'quota' | 'limit' | 'synproxy'): Stmt | undefined {
    if (!this.accept('name')) return undefined;
    const n = this.peek();
    if (n.kind !== 'string' && (n.kind !== 'word' || keywordName(n.text) !== undefined)) {
      const map = this.expr();
      if (map.kind !== 'map') this.fail(n);
      return { kind: 'objmap', objType, map, loc: span(t, n) };
    }
    this.next();
    return { kind: 'namedref', objType, name: n.text, nameLoc: n, loc: span(t, n) };
  }

  private limitArgs(t: Token): Stmt & { kind: 'limit' } {
    if (!this.is('rate')) this.failExpecting(this.peek(), 'name or rate');
    this.next();
    const over = !!this.accept('over');
    const rate = this.number(true);
    let bytes = false;
    let scale = 1n;
    let period: Token;
    let periodName: string;
    if (this.accept('/')) {
      period = this.word();
      periodName = period.text;
      if (!Object.hasOwn(PERIODS, periodName)) this.fail(period);
    } else {
      // Bytes per period is one name ("kbytes/second") to the grammar, which
      // rate_parse then reads.
      period = this.unitName();
      bytes = true;
      if (this.is('/')) {
        // `1 kbytes / second`: the unit and the period apart (limit_bytes
        // SLASH time_unit).
        if (!Object.hasOwn(BYTE_UNITS, period.text)) this.failAt(span(rate, period), 'Wrong rate format');
        scale = BYTE_UNITS[period.text];
        this.next();
        period = this.word();
        periodName = period.text;
        if (!Object.hasOwn(PERIODS, periodName)) this.fail(period);
      } else {
        const perUnit = /^(.*)\/(.*)$/.exec(period.text);
        if (!perUnit || !Object.hasOwn(BYTE_UNITS, perUnit[1]) || !Object.hasOwn(PERIODS, perUnit[2])) this.failAt(span(rate, period), 'Wrong rate format');
        scale = BYTE_UNITS[perUnit[1]];
        periodName = perUnit[2];
      }
    }
    const s: Stmt & { kind: 'limit' } = { kind: 'limit', rate: BigInt(rate.text) * scale, unit: PERIODS[periodName], bytes, over, loc: span(t, period) };
    const burst = this.accept('burst');
    if (burst) {
      const n = this.number(true);
      if (bytes) {
        s.burst = this.byteAmount(n);
      } else {
        const u = this.peek();
        if (!this.is('packets')) this.failExpecting(u, 'packets');
        this.next();
        s.burst = BigInt(n.text);
        if (s.burst === 0n) this.failAt(span(burst, u), 'packet limit burst must be > 0');
      }
    }
    return s;
  }

  // A unit: `bytes`, or any other name, which nft's data_unit_parse and
  // rate_parse read afterwards.
  private unitName(): Token {
    const u = this.peek();
    // `packets` is a keyword only where a limit or quota is being read.
    const keyword = u.text === 'packets' ? 'packets' : u.kind === 'word' ? keywordName(u.text) : undefined;
    if (u.kind !== 'word' || isNumber(u) || (keyword !== undefined && u.text !== 'bytes')) {
      this.failExpecting(u, 'string or bytes', keyword ?? describe(u));
    }
    return this.next();
  }

  // NUM and a unit of bytes; a unit data_unit_parse does not know is
  // reported from `from` to the unit.
  private byteAmount(n: Token, from: Token = n): bigint {
    const u = this.unitName();
    if (!Object.hasOwn(BYTE_UNITS, u.text)) this.failAt(span(from, u), 'Wrong rate format');
    return BigInt(n.text) * BYTE_UNITS[u.text];
  }

  // set add|update|delete KEY [timeout T] @set: the older spelling of the
  // statement below, listed in the newer.
  private oldDynsetStmt(): Stmt {
    const t = this.next();
    const op = this.next();
    const key = this.expr();
    const timeout = this.accept('timeout') ? this.value() : undefined;
    this.expect('@');
    const n = this.name();
    return { kind: 'dynset', op: op.text as 'add' | 'update' | 'delete', set: n.text, key, timeout, loc: span(t, n) };
  }

  // add|update|delete @set { KEY [timeout T] [STATEMENT...] [: DATA] }
  private dynsetStmt(): Stmt {
    const t = this.next();
    this.expect('@');
    const n = this.name();
    this.expect('{');
    const key = this.expr();
    let timeout: Expr | undefined;
    if (this.accept('timeout')) timeout = this.value();
    // The statements each element keeps (nft's set_elem_stmt_list).
    const stmts: Stmt[] = [];
    while (!this.is(':') && !this.is('}') && this.peek().kind === 'word') stmts.push(this.stmt());
    const data = this.accept(':') ? this.expr() : undefined;
    const end = this.expect('}');
    return { kind: 'dynset', op: t.text as 'add' | 'update' | 'delete', set: n.text, key, timeout, data, ...(stmts.length ? { stmts } : {}), loc: span(t, end) };
  }

  // quota [over] N UNIT [used N UNIT]
  private quotaStmt(): Stmt {
    const t = this.next();
    return this.objectName(t, 'quota') ?? this.quotaArgs(t);
  }

  // nft's quota_mode: over, or until (the default); limits have no until.
  private quotaMode(): boolean {
    if (this.accept('over')) return true;
    this.accept('until');
    return false;
  }

  private quotaArgs(t: Token): Stmt & { kind: 'quota' } {
    const over = this.quotaMode();
    // data_unit_parse marks the whole statement, or all of `used`.
    const bytes = this.byteAmount(this.number(true), t);
    const usedTok = this.accept('used');
    const used = usedTok ? this.byteAmount(this.number(true), usedTok) : 0n;
    return { kind: 'quota', bytes, used, over, loc: t };
  }

  private mapTarget(verdicts = false): Expr {
    if (this.is('@')) return this.setRef();
    const start = this.expect('{');
    const elements = this.setElements(verdicts);
    return { kind: 'set', elements, loc: start };
  }

  private setRef(): Expr {
    const at = this.expect('@');
    const n = this.name();
    return { kind: 'setref', name: n.text, loc: span(at, n) };
  }

  // "tcp dport" is a header field; "tcp" alone is a protocol value.
  private isPayload(): boolean {
    const t = this.peek();
    const f = this.peek(1);
    const proto = t.kind === 'word' && Object.hasOwn(PROTOCOLS, t.text) ? PROTOCOLS[t.text] : undefined;
    return proto !== undefined && f.kind === 'word' && (fieldName(proto, f.text) !== undefined || hasTwoWordField(proto, f.text) || (this.is('[', 2) && fieldName(proto, `${f.text}[1]`) !== undefined));
  }

  private isRawPayload(): boolean {
    const b = this.peek(1);
    return this.is('@') && b.kind === 'word' && Object.hasOwn(RAW_BASES, b.text) && this.is(',', 2);
  }

  // `@base,offset,length`, lengths checked as nft's grammar does.
  private rawPayload(): Expr {
    const at = this.next();
    const base = this.next();
    this.expect(',');
    const offset = this.number();
    this.expect(',');
    const len = this.number();
    const bits = Number(len.text);
    if (bits > RAW_MAX_BITS) this.failAt(span(at, len), `raw payload length ${bits} exceeds the ${RAW_MAX_BITS} bits of a register`);
    return { kind: 'payload', proto: `@${base.text}`, field: `${offset.text},${len.text}`, loc: span(at, len) };
  }

  // `tcp option NAME [FIELD]`, `tcp option KIND` or `tcp option @KIND,OFFSET,LENGTH`:
  // an option's field, or the option itself, which `exists` or `missing`
  // then matches. The field is kept as written after `option`.
  private tcpOption(): Expr {
    const t = this.next();
    this.next();
    if (this.is('@')) {
      this.next();
      const kind = this.tcpOptionKind();
      this.expect(',');
      const offset = this.number();
      this.expect(',');
      const len = this.number();
      return { kind: 'payload', proto: 'tcp option', field: `@${kind.text},${offset.text},${len.text}`, loc: span(t, len) };
    }
    const n = this.peek();
    if (isNumber(n)) {
      this.tcpOptionKind();
      return { kind: 'payload', proto: 'tcp option', field: n.text, loc: span(t, n) };
    }
    if (n.kind !== 'word' || !tcpOptionByName(n.text)) this.fail(n);
    this.next();
    const f = this.peek();
    if (f.kind === 'word' && (f.text === 'exists' || f.text === 'missing')) return { kind: 'payload', proto: 'tcp option', field: n.text, loc: span(t, n) };
    if (f.kind === 'word' && !tcpOptionField(n.text, f.text) && TCP_OPTION_WORDS.has(f.text)) this.fail(f, `syntax error, unexpected ${f.text}`);
    if (f.kind !== 'word' || !tcpOptionField(n.text, f.text)) this.fail(f);
    this.next();
    return { kind: 'payload', proto: 'tcp option', field: `${n.text} ${f.text}`, loc: span(t, f) };
  }

  // `sctp chunk NAME [FIELD]`: a chunk's field, or the chunk itself, which
  // `exists` or `missing` then matches.
  private sctpChunkExpr(): Expr {
    const t = this.next();
    this.next();
    const n = this.peek();
    const c = n.kind === 'word' ? sctpChunk(n.text) : undefined;
    if (!c) this.fail(n);
    this.next();
    const f = this.peek();
    if (f.kind === 'word' && (f.text === 'exists' || f.text === 'missing')) return { kind: 'payload', proto: 'sctp chunk', field: n.text, loc: span(t, n) };
    if (f.kind !== 'word' || !Object.hasOwn(c.fields, f.text)) this.fail(f);
    this.next();
    return { kind: 'payload', proto: 'sctp chunk', field: `${n.text} ${f.text}`, loc: span(t, f) };
  }

  // `ip option NAME [FIELD]`: an option's field, or the option itself,
  // which `exists` or `missing` then matches.
  private ipOptionExpr(): Expr {
    const t = this.next();
    this.next();
    const n = this.peek();
    const o = n.kind === 'word' ? ipOption(n.text) : undefined;
    if (!o) this.failExpecting(n, IP_OPTIONS.map((x) => x.name).join(' or '));
    this.next();
    const f = this.peek();
    if (f.kind === 'word' && (f.text === 'exists' || f.text === 'missing')) return { kind: 'payload', proto: 'ip option', field: n.text, loc: span(t, n) };
    if (f.kind !== 'word') this.fail(f);
    this.next();
    if (!Object.hasOwn(o.fields, f.text)) this.failAt(t, 'unknown ip option type/field');
    return { kind: 'payload', proto: 'ip option', field: `${n.text} ${f.text}`, loc: span(t, f) };
  }

  private tcpOptionKind(): Token {
    const k = this.number();
    if (Number(k.text) > 255) this.fail(k, 'value too large');
    return k;
  }

  // `exthdr NAME`: whether the packet has that IPv6 extension header, which
  // `exists` or `missing` then matches.
  private exthdrPresence(): Expr {
    const t = this.next();
    const n = this.peek();
    if (n.kind !== 'word' || PROTOCOLS[n.text]?.ipv6Exthdr === undefined) this.fail(n);
    this.next();
    return { kind: 'payload', proto: 'exthdr', field: n.text, loc: span(t, n) };
  }

  // `reset tcp option NAME|KIND`: the option overwritten with NOPs.
  private tcpOptionReset(): Stmt {
    const t = this.next();
    this.next();
    this.next();
    const n = this.peek();
    if (isNumber(n)) this.tcpOptionKind();
    else if (n.kind !== 'word' || !tcpOptionByName(n.text)) this.fail(n);
    else this.next();
    return { kind: 'optreset', option: n.text, loc: span(t, n) };
  }

  // A header field's name after its protocol: one word, or two (arp saddr ip).
  private payloadField(proto: string): Expr {
    const t = this.next();
    const f = this.word();
    const desc = PROTOCOLS[proto];
    // An indexed field: `srh sid[2]`.
    if (this.accept('[')) {
      const n = this.number();
      const close = this.expect(']');
      const name = fieldName(desc, `${f.text}[${n.text}]`);
      if (name === undefined) this.fail(n);
      return { kind: 'payload', proto, field: name, loc: span(t, close) };
    }
    if (hasTwoWordField(desc, f.text)) {
      const g = this.peek();
      const name = g.kind === 'word' ? fieldName(desc, `${f.text} ${g.text}`) : undefined;
      if (name === undefined) this.failExpecting(g, secondWords(desc, f.text).join(' or '));
      this.next();
      return { kind: 'payload', proto, field: name, loc: span(t, g) };
    }
    return { kind: 'payload', proto, field: fieldName(desc, f.text)!, loc: span(t, f) };
  }

  // Selector expressions with binary operators and concatenations.
  expr(): Expr {
    const first = this.orExpr();
    let e = first;
    if (this.is('.')) {
      const items = [first];
      while (this.accept('.')) items.push(this.orExpr());
      e = { kind: 'concat', items, loc: span(first.loc, items[items.length - 1].loc) };
    }
    if (this.is('map')) {
      this.next();
      const mapping = this.mapTarget();
      return { kind: 'map', key: e, mapping, loc: e.loc };
    }
    return e;
  }

  private binary(ops: BinaryOps, sub: () => Expr): Expr {
    let left = sub();
    for (;;) {
      const t = this.peek();
      const op = (t.kind === 'punct' || t.kind === 'word') && Object.hasOwn(ops, t.text) ? ops[t.text] : undefined;
      if (!op) return left;
      this.next();
      const right = sub();
      left = { kind: 'binop', op, left, right, loc: span(left.loc, right.loc) };
    }
  }

  private orExpr(): Expr {
    return this.binary(OR_OPS, this.xorExpr);
  }

  private readonly xorExpr = (): Expr => this.binary(XOR_OPS, this.andExpr);
  private readonly andExpr = (): Expr => this.binary(AND_OPS, this.shiftExpr);
  private readonly shiftExpr = (): Expr => this.binary(SHIFT_OPS, this.primaryExpr);
  private readonly primaryExpr = (): Expr => this.primary();
  private readonly valueExpr = (): Expr => this.value();

  private primary(): Expr {
    const t = this.peek();
    if (this.isRawPayload()) return this.rawPayload();
    if (this.is('tcp') && this.is('option', 1)) return this.tcpOption();
    if (this.is('sctp') && this.is('chunk', 1)) return this.sctpChunkExpr();
    if (this.is('ip') && this.is('option', 1)) return this.ipOptionExpr();
    if (this.is('(')) {
      this.next();
      const e = this.expr();
      this.expect(')');
      return e;
    }
    if (t.kind === 'word') {
      // `rt` is both the routing expression and the routing header's fields.
      if (UNSUPPORTED_EXPRESSIONS.has(t.text) && !this.isPayload()) this.fail(t, `${t.text} is not supported by nftwasm`);
      if (ROUTING_EXPRESSIONS.has(t.text) && !this.isPayload()) return parseRouting(this);
      if (t.text === 'exthdr') return this.exthdrPresence();
      if (t.text === 'ct') return this.ctExpr();
      if (t.text === 'meta') {
        this.next();
        const k = this.word();
        return { kind: 'meta', key: k.text, loc: span(t, k) };
      }
      if (UNQUALIFIED_META.has(t.text)) {
        this.next();
        return { kind: 'meta', key: t.text, loc: t };
      }
      if (this.isPayload()) return this.payloadField(t.text);
      // A protocol keyword must be followed by one of its fields, which
      // bison lists when there are few.
      if (Object.hasOwn(PROTOCOLS, t.text)) {
        const f = this.peek(1);
        const few = PROTOCOLS[t.text].expecting;
        if (few) this.failExpecting(f, few);
        if (f.kind === 'word') this.fail(f);
      }
    }
    return this.value();
  }

  private ctExpr(): Expr {
    const t = this.next();
    let dir: 'original' | 'reply' | undefined;
    const d = this.peek();
    if (d.kind === 'word' && CT_DIRS.has(d.text)) {
      this.next();
      dir = d.text as 'original' | 'reply';
    }
    const k = this.word();
    // bison knows conntrack's keys: any other word is out of place.
    if (k.text === 'set' || (!Object.hasOwn(CT_KEYS, k.text) && k.text !== 'ip' && k.text !== 'ip6')) this.fail(k);
    if ((k.text === 'ip' || k.text === 'ip6') && (this.is('saddr') || this.is('daddr'))) {
      const f = this.word();
      return { kind: 'ct', key: f.text, dir, proto: k.text, loc: span(t, f) };
    }
    return { kind: 'ct', key: k.text, dir, loc: span(t, k) };
  }

  // Right-hand sides: sets, set references, comma lists, or a concatenation
  // of values with ranges and prefixes.
  // nft's initializer_expr: besides what a rule's right side takes, an
  // empty set (what generators write for an empty list, an error only
  // where it is used) and a negative number (for a priority).
  private defineValue(): Expr {
    if (this.is('{') && this.is('}', 1)) {
      const start = this.next();
      return { kind: 'set', elements: [], loc: span(start, this.next()) };
    }
    if (this.is('-') && this.peek(1).kind === 'word' && /^(\d+|0x[0-9a-f]+)$/i.test(this.peek(1).text)) {
      const minus = this.next();
      const n = this.next();
      return { kind: 'value', text: '-' + n.text, quoted: false, loc: span(minus, n) };
    }
    return this.rhsExpr();
  }

  rhsExpr(): Expr {
    if (this.is('{')) {
      const start = this.next();
      const elements = this.setElements();
      return { kind: 'set', elements, loc: span(start, this.consumed!) };
    }
    if (this.is('@')) return this.setRef();
    const first = this.concatRhs();
    if (!this.is(',')) return first;
    const items = [first];
    while (this.accept(',')) items.push(this.concatRhs());
    return { kind: 'list', items, loc: span(first.loc, items[items.length - 1].loc) };
  }

  private concatRhs(): Expr {
    const first = this.rangeRhs();
    if (!this.is('.')) return first;
    const items = [first];
    while (this.accept('.')) items.push(this.rangeRhs());
    return { kind: 'concat', items, loc: span(first.loc, items[items.length - 1].loc) };
  }

  private rangeRhs(): Expr {
    const low = this.binary(VALUE_OPS, this.valueExpr);
    // nft's scanner reads a prefix length and a port as one string (a
    // classid): `10.0.0.0/24:80`.
    if (this.is('/') && /^\d+:/.test(this.peek(1).text)) this.failExpecting(this.peek(1), 'number');
    if (this.is('/') && /^\d+$/.test(this.peek(1).text)) {
      this.next();
      const n = this.word();
      return { kind: 'prefix', expr: low, length: Number(n.text), loc: span(low.loc, n) };
    }
    if (this.accept('-')) {
      const high = this.value();
      return { kind: 'range', low, high, loc: span(low.loc, high.loc) };
    }
    return low;
  }

  private value(): Expr {
    const t = this.peek();
    if (this.is('$')) {
      this.next();
      const n = this.word();
      if (!this.included && !this.defined.has(n.text)) this.fail(n, unknownIdentifier(n.text, this.defined));
      return { kind: 'variable', name: n.text, loc: n };
    }
    if (this.is('(')) {
      this.next();
      const e = this.expr();
      this.expect(')');
      return e;
    }
    if (t.kind === 'word' || t.kind === 'string') {
      // A keyword is a value only where nft's grammar takes it as one.
      if (t.kind === 'word' && keywordName(t.text) !== undefined && !VALUE_KEYWORDS.has(t.text)) this.fail(t);
      this.next();
      return { kind: 'value', text: t.text, quoted: t.kind === 'string', loc: t };
    }
    return this.fail(t);
  }
}

// How bison names nft's punctuation: tokens declared with a name or a
// string, the rest as character literals in quotes.
const PUNCT_NAMES: Record<string, string> = { ';': 'semicolon', ':': 'colon', ',': 'comma' };
const BARE_PUNCT = new Set(['.', '==', '!=', '<', '>', '>=', '<=', '<<', '>>', '&', '^', '!', '/', '*', '-', '@', '+']);

// nft statements, expressions and table objects the data plane has no
// counterpart for: refused by name rather than as syntax errors.
const UNSUPPORTED_STATEMENTS = new Set<string>();
const UNSUPPORTED_EXPRESSIONS = new Set<string>();
const UNSUPPORTED_OBJECTS = new Set(['secmark', 'ct']);

// Keywords of the scanner's synproxy scope.
const SYNPROXY_WORDS = new Set(['mss', 'wscale', 'timestamp', 'sack-perm']);

// Keywords of the scanner's queue scope.
const QUEUE_WORDS = new Set(['to', 'num', 'flags', 'bypass', 'fanout']);

// Keywords of the scanner's counter, limit and quota scopes.
const AMOUNT_WORDS = new Set(['packets', 'bytes', 'rate', 'over', 'until', 'burst', 'used', 'name']);

// Keywords that begin a statement of their own.
const STATEMENT_KEYWORDS = new Set(['counter', 'notrack', 'meter', 'dup', 'fwd', 'tproxy', 'synproxy', 'flow', 'log', 'limit', 'quota', 'ct', 'meta', 'reject', 'queue', 'comment', 'add', 'update', 'delete', 'set', 'th']);

// The keywords nft's grammar reads as values (keyword_expr, boolean_keys
// and the protocol names of primary_rhs_expr).
const VALUE_KEYWORDS = new Set([
  'ether', 'ip', 'ip6', 'vlan', 'arp', 'dnat', 'snat', 'ecn', 'reset', 'original', 'reply', 'label', 'exists', 'missing',
  'tcp', 'udp', 'udplite', 'esp', 'ah', 'icmp', 'igmp', 'icmpv6', 'comp', 'dccp', 'sctp', 'redirect',
]);

// nft's NUM token: decimal or hexadecimal digits.
function isNumber(t: Token): boolean {
  return t.kind === 'word' && /^(\d+|0[xX][0-9a-fA-F]+)$/.test(t.text);
}

function describe(t: Token): string {
  if (isNumber(t)) return 'number';
  if (t.kind === 'eof') return 'end of file';
  if (t.kind === 'newline') return 'newline';
  if (t.kind === 'string') return `quoted string`;
  if (t.kind === 'junk') return 'junk';
  if (t.kind === 'punct') return PUNCT_NAMES[t.text] ?? (BARE_PUNCT.has(t.text) ? t.text : `'${t.text}'`);
  return keywordName(t.text) ?? 'string';
}

const ELEMENT_OPTIONS = new Set(['timeout', 'expires', 'comment', 'counter']);

// The commands that parsed, and the syntax errors of those that did not.
// Reads the files of an include, or throws nft's error.
export type Includer = (path: string, loc: Location) => SourceFile[];

export function parse(file: SourceFile, defined: Iterable<string> = [], includer?: Includer): { items: TopLevel[]; errors: NftError[] } {
  const parser = new Parser(file, defined, includer);
  const items = parser.parseFile();
  return { items, errors: parser.errors };
}

// nft's error for a variable not defined, with the defined one it would
// suggest: its scope lists the latest definition first.
export function unknownIdentifier(name: string, defined: Iterable<string>): string {
  const like = closestName(name, [...defined].reverse().map((d) => [d, d] as [string, string]));
  return `unknown identifier '${name}'${like !== undefined ? `; did you mean identifier ‘${like}’?` : ''}`;
}
