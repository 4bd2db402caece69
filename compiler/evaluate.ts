// Gives every expression its datatype, length and byte order, resolves
// symbols, adds the protocol dependencies nft adds, and builds the ruleset
// model with handles numbered the way the kernel numbers them.
import { parseJson } from './json-input.js';
import { CtDir, CtKey, DYNSET_MAX_EXPRS, ExthdrOp, MetaKey, NumgenType, ObjectType, PayloadBase, QueueFlags, RejectType } from '../assembly/abi.js';
import type { ChainDecl, Command, Expr, Family, FlowtableDecl, ObjectDecl, PrioritySpec, RejectIcmp, Rule, SetDecl, SetElement, Stmt } from './ast.js';
import { PROTOCOLS as PROTO_NUMBERS, SET_TYPES, TYPES, symbolName, symbolValue, type AccountNames, type CgroupTree, type Datatype, type InterfaceName } from './datatypes.js';
import { MAX_ERRORS, NftError, span, type Location, type SourceFile } from './errors.js';
import type { BatchItem, ChainModel, MatchStmt, ObjectModel, RuleModel, RulesetModel, SetElementModel, SetModel, TableModel, TExpr, TStmt } from './model.js';
import { parse, unknownIdentifier, type TopLevel } from './parser.js';
import { CT_ADDR_KEYS, CT_KEYS, META_KEYS, PROTOCOLS, type CtTemplate, type ProtocolDesc } from './selectors.js';
import { ETHER_HEADER_BYTES, VLAN, VLAN_ETHERTYPES, VLAN_TAG_BYTES } from './headers/vlan.js';
import { RAW_BASES, RAW_TYPE, isRaw } from './headers/raw.js';
import { tcpOptionByName, tcpOptionField, tcpOptionName } from './headers/tcpopt.js';
import { sctpChunk } from './headers/sctp-chunk.js';
import { ipOption } from './headers/ipopt.js';
import { createElements, elementsCommand, liveElements, placeRule, remove, rename, reset, sameKeyElements } from './commands.js';
import { closestName } from './misspell.js';
import { objectMap } from './objects.js';
import { DEFAULT_INCLUDE_DIRS, includeFiles } from './include.js';
import { evaluateCtExpect, evaluateCtTimeout } from './ct-objects.js';
import { evaluateFlowtable, evaluateForwarding, forwardingHookError } from './forwarding.js';
import { evaluateNat, natHookError, type NatModel } from './nat.js';
import { standardPriority } from './priorities.js';
import { fromBytes, parseNumber, parseValue, toBytes, UTF8 } from './values.js';
import { evaluateRouting, fibPresent, routingHooks, routingMaxValue, type RoutingContext } from './routing.js';

export interface CompileOptions {
  filename?: string;
  // The network devices of the host the ruleset is for, which iif and oif
  // name (nft resolves them on the host it runs on); by default only the
  // loopback, as in a fresh network namespace.
  interfaces?: readonly InterfaceName[];
  // User and group names for skuid and skgid (the CLI reads /etc/passwd and
  // /etc/group, as nft does); without them only numbers.
  accounts?: AccountNames;
  // Service names and their ports, as the host's /etc/services gives them
  // to getaddrinfo (the CLI reads it, as nft does); without them a list of
  // common ones.
  services?: ReadonlyMap<string, number>;
  // The host's cgroup v2 tree, where socket cgroupv2 finds its paths (the
  // CLI reads /sys/fs/cgroup, as nft does); without it no path exists.
  cgroups?: CgroupTree;
  includeDirs?: string[];
  readFile?: (path: string) => string;
  // The names in a directory, for includes with wildcards.
  listDir?: (dir: string) => string[];
  // The source is nft's JSON (as `nft -j -f` reads it).
  json?: boolean;
}

// Helper objects are referenced by objref type NFT_OBJECT_CT_HELPER.
export const OBJ_COUNTER = 1;
export const OBJ_CT_HELPER = 3;

export type Ctx = {
  family: Family;
  table: TableModel;
  rule: RuleModel;
  // Protocols established earlier in the rule: nfproto and l4proto numbers.
  nfproto?: number;
  // Where a network header was named, which set nfproto.
  nfprotoLoc?: Location;
  // In bridge and netdev, a network protocol other than IP that nft's
  // context holds (ARP; a VLAN that meta protocol names): its Ethernet type.
  otherNetwork?: number;
  l4proto?: number;
  // Where that transport protocol was matched or its header named.
  l4protoLoc?: Location;
  // Whether a match on a set of transport protocols came earlier.
  transportMatched?: boolean;
  // Every transport protocol a match named, in order: nft keeps them all,
  // and a header of one of them is ambiguous once there are two.
  l4protos?: number[];
  // Whether the rule already requires an Ethernet input device.
  etherDevice?: boolean;
  // The ICMP type the rule already checks (nft's th_dep), echo-reply
  // counting as echo-request.
  icmpType?: number;
  // The byte offset of the VLAN tag the rule is in, if any, and the
  // Ethernet type it knows follows the current link-layer header.
  vlanOffset?: number;
  linkType?: number;
  // Conntrack's protocol matched where the network protocol is known,
  // which types conntrack's ports as that protocol's.
  ctProtocol?: boolean;
  // The kernel refuses the rule under its chain's hook.
  hookRefused?: boolean;
  stmts: TStmt[];
};

// Statements an element of a set can keep (STMT_F_STATEFUL).
// nf_ct_netns_get knows no conntrack of the arp and netdev families: the
// kernel refuses every ct expression and statement there (EPROTO).
function noConntrack(ctx: Ctx, loc: Location): void {
  if (ctx.family === 'arp' || ctx.family === 'netdev') throw NftError.kernel(loc, `Protocol error`);
}

const STATEFUL: ReadonlySet<TStmt['kind']> = new Set<TStmt['kind']>(['counter', 'limit', 'quota', 'connlimit']);

// The objects rules name by the kernel's NFT_OBJECT_* types.
const OBJECT_TYPES: Readonly<Record<'counter' | 'quota' | 'limit' | 'synproxy', ObjectType>> = {
  counter: ObjectType.Counter, quota: ObjectType.Quota, limit: ObjectType.Limit, synproxy: ObjectType.Synproxy,
};

// The protocol keywords nft's primary_rhs_expr turns into inet_proto
// constants.
const PROTOCOL_KEYWORDS = new Set(['tcp', 'udp', 'udplite', 'esp', 'ah', 'icmp', 'igmp', 'icmpv6', 'comp', 'dccp', 'sctp']);

// Where a statement lies as nft marks it: a match from its left side to
// its right one.
function extent(s: Stmt): Location {
  return s.kind === 'match' ? span(s.left.loc, (s.mask ?? s.right).loc) : s.loc;
}

// The link-layer protocol numbers nft matches for IPv4 and IPv6.
const ETHERTYPE_OF: Record<number, number> = { 2: 0x0800, 10: 0x86dd };
const NFPROTO_OF: Record<number, number> = { 0x0800: 2, 0x86dd: 10 };

function typed(type: Datatype, bits: number, byteorder = type.byteorder) {
  return { type, bits, byteorder };
}

// The kernel follows every jump and goto from each base chain, rules and
// verdict maps alike, and refuses a chain reached 16 deep
// (NFT_JUMP_STACK_SIZE), so a loop never loads. After the first refusal
// it checks the table again as each rule of the batch comes in: the rule
// that completes a loop or a chain too deep is refused, and so is every
// rule after it in that table, the fault still being there.
const JUMP_STACK_SIZE = 16;

// The chains a rule jumps or goes to, by verdict or verdict map.
function targets(rule: RuleModel): ChainModel[] {
  return rule.stmts.flatMap((s) => {
    if (s.kind === 'verdict') return s.chain ? [s.chain] : [];
    if (s.kind !== 'vmap') return [];
    return s.set.elements.flatMap((e) => (e.data?.kind === 'verdict' && e.data.chain ? [e.data.chain] : []));
  });
}

// NAT, and expressions the kernel allows under some hooks only (fib, rt
// mtu, socket, ipsec, osf), in a regular chain are checked against every
// base chain that reaches it, as the kernel validates a chain's
// expressions on each jump to it: the rule that brings such a statement
// under a hook or chain type that refuses it, the rule itself or the jump,
// is refused (EOPNOTSUPP), and so is every rule after it in that table, the
// fault still being there.
function refusedUnder(r: RuleModel, base: ChainModel): boolean {
  if (r.hooks && !r.hooks.includes(base.hook ?? '')) return true;
  return r.stmts.some((s) => s.kind === 'nat' && natHookError(s, base.type, base.hook, s.loc) !== undefined);
}

function hookReachErrors(batch: BatchItem[]): NftError[] {
  const rules = batch.flatMap((b) => (b.kind === 'rule' ? [b.rule] : []));
  const refused = (added: RuleModel[]): boolean => {
    const edges = new Map<ChainModel, ChainModel[]>();
    const members = new Map<ChainModel, RuleModel[]>();
    for (const r of added) {
      const out = edges.get(r.chain) ?? [];
      out.push(...targets(r));
      edges.set(r.chain, out);
      const list = members.get(r.chain) ?? [];
      list.push(r);
      members.set(r.chain, list);
    }
    for (const base of new Set(added.map((r) => r.chain).filter((c) => c.hook !== undefined))) {
      const seen = new Set<ChainModel>();
      const walk = (c: ChainModel): boolean => {
        if (seen.has(c)) return false;
        seen.add(c);
        if (c.hook === undefined && (members.get(c) ?? []).some((r) => refusedUnder(r, base))) return true;
        return (edges.get(c) ?? []).some(walk);
      };
      if (walk(base)) return true;
    }
    return false;
  };
  const checked = (r: RuleModel) => r.hooks !== undefined || r.stmts.some((s) => s.kind === 'nat');
  const inRegularChain = rules.some((r) => r.chain.hook === undefined && checked(r));
  if (!inRegularChain || !refused(rules)) return [];
  const errors: NftError[] = [];
  for (const table of new Set(rules.map((r) => r.chain.table))) {
    const added: RuleModel[] = [];
    let failed = false;
    for (const rule of rules) {
      if (rule.chain.table !== table) continue;
      added.push(rule);
      failed ||= refused(added);
      if (failed && rule.loc) errors.push(NftError.kernel(rule.loc, `Operation not supported`));
    }
  }
  return errors;
}

function chainDepthErrors(batch: BatchItem[]): NftError[] {
  const rules = batch.flatMap((b) => (b.kind === 'rule' ? [b.rule] : []));
  const tooDeep = (added: RuleModel[], table: TableModel): boolean => {
    const edges = new Map<ChainModel, ChainModel[]>();
    for (const r of added) {
      if (r.chain.table !== table) continue;
      const out = edges.get(r.chain) ?? [];
      out.push(...targets(r));
      edges.set(r.chain, out);
    }
    // Longest path below a chain, Infinity through a loop.
    const height = new Map<ChainModel, number>();
    const below = (c: ChainModel): number => {
      const known = height.get(c);
      if (known !== undefined) return known;
      height.set(c, Infinity);
      let h = 0;
      for (const t of edges.get(c) ?? []) h = Math.max(h, 1 + below(t));
      height.set(c, h);
      return h;
    };
    return table.chains.some((c) => c.hook !== undefined && below(c) >= JUMP_STACK_SIZE);
  };
  const tables = [...new Set(rules.map((r) => r.chain.table))];
  const errors: NftError[] = [];
  for (const table of tables) {
    if (!tooDeep(rules, table)) continue;
    const added: RuleModel[] = [];
    let failed = false;
    for (const rule of rules) {
      if (rule.chain.table !== table) continue;
      added.push(rule);
      failed ||= tooDeep(added, table);
      if (failed && rule.loc) errors.push(NftError.kernel(rule.loc, `Too many links`));
    }
  }
  return errors;
}

export class Evaluator {
  readonly model: RulesetModel = {
    tables: [], chains: [], sets: [], flowtables: [], batch: [], counterCount: 0, stateSlots: 0, logs: [], conntrack: false, accounting: false, deletions: false, ruleIds: 0,
  };
  private readonly defines = new Map<string, Expr>();
  private tableHandle = 0;
  // nft parses the whole input, then evaluates every set, chain and rule on
  // its own, going on after an error: its syntax errors come first, then
  // the others in the order it evaluates (see attempt).
  private readonly syntaxErrors: NftError[] = [];
  private readonly errors: NftError[] = [];
  readonly kernelErrors: NftError[] = [];
  // The include statement that read each included file.
  private readonly includedFrom = new Map<string, Location>();

  constructor(private readonly opts: CompileOptions) {}

  run(file: SourceFile): RulesetModel {
    this.parsed(file);
    const all = [...this.syntaxErrors, ...this.errors].map((e) => this.withIncludes(e));
    // Evaluation stops at the tenth error, unless the parse has already
    // stopped there (nft counts on, never meeting ten again).
    if (all.length > 0) throw NftError.all(this.syntaxErrors.length >= MAX_ERRORS ? all : all.slice(0, MAX_ERRORS));
    this.kernelErrors.push(...hookReachErrors(this.model.batch), ...chainDepthErrors(this.model.batch));
    if (this.kernelErrors.length > 0) throw NftError.all(this.kernelErrors.map((e) => this.withIncludes(e)));
    return this.model;
  }

  private withIncludes(e: NftError): NftError {
    const from: Location[] = [];
    for (let at = this.includedFrom.get(e.file); at; at = this.includedFrom.get(at.file.name)) from.push(at);
    return from.length > 0 ? NftError.includedFrom(e, from) : e;
  }

  private parsed(file: SourceFile): void {
    const { items, errors } = this.opts.json ? parseJson(file) : parse(file, this.defines.keys(), (path, loc) => this.includedFiles(path, loc));
    this.syntaxErrors.push(...errors);
    this.topLevel(items);
  }

  // One piece of evaluation; its error joins `into` (or the kernel's) and
  // the next goes on.
  private attempt(into: NftError[], evaluate: () => void): boolean {
    try {
      evaluate();
      return true;
    } catch (e) {
      if (!(e instanceof NftError)) throw e;
      (e.fromKernel ? this.kernelErrors : into).push(e);
      return false;
    }
  }

  private topLevel(items: TopLevel[]): void {
    let skip = false;
    for (const item of items) {
      // nft finds a missing include once its separator is read: its
      // recovery then drops the statement after.
      if (skip) {
        skip = false;
        continue;
      }
      switch (item.kind) {
        case 'define':
          this.defines.set(item.name, item.value);
          break;
        case 'undefine':
          this.defines.delete(item.name);
          break;
        case 'include':
          skip = !this.attempt(this.errors, () => this.include(item.path, item.loc));
          break;
        case 'table':
          this.table(item);
          break;
        default:
          this.attempt(this.errors, () => this.command(item));
      }
    }
  }

  // nft evaluates a table's sets, then each chain followed by its rules,
  // then its objects; the model takes them in the order the kernel numbers
  // their handles.
  private table(cmd: Command & { kind: 'table' }): void {
    const outer = new Map(this.defines);
    for (const d of cmd.definitions) {
      if (d.kind === 'define') this.defines.set(d.name, d.value);
      else this.defines.delete(d.name);
    }
    this.tableItems(cmd);
    this.defines.clear();
    for (const [k, v] of outer) this.defines.set(k, v);
  }

  private tableItems(cmd: Command & { kind: 'table' }): void {
    if (cmd.create && this.model.tables.some((t) => t.family === cmd.family && t.name === cmd.name)) {
      this.kernelErrors.push(NftError.kernel(cmd.loc, `File exists`));
    }
    const table = this.findTable(cmd.family, cmd.name, cmd.loc, 'create');
    const chains = cmd.chains.map((decl) => {
      const errors: NftError[] = [];
      return { decl, chain: this.addChain(table, decl, (e) => errors.push(e)), errors };
    });
    const objectErrors: NftError[] = [];
    for (const o of cmd.objects) this.attempt(objectErrors, () => this.addObject(table, o));
    const setErrors: NftError[] = [];
    for (const s of cmd.sets) this.attempt(setErrors, () => this.addSet(table, s));
    for (const f of cmd.flowtables) this.attempt(setErrors, () => this.addFlowtable(table, f));
    for (const { decl, chain, errors } of chains) {
      for (const r of decl.rules) this.attempt(errors, () => this.addRule(chain, r, false));
    }
    this.errors.push(...setErrors, ...chains.flatMap((c) => c.errors), ...objectErrors);
  }

  private include(path: string, loc: Location): void {
    for (const file of this.includedFiles(path, loc)) this.parsed(file);
  }

  private includedFiles(path: string, loc: Location): SourceFile[] {
    const read = this.opts.readFile;
    if (!read) throw NftError.at(loc, `Could not process rule: include is not available`);
    const files = includeFiles(path, this.opts.includeDirs ?? DEFAULT_INCLUDE_DIRS, { readFile: read, listDir: this.opts.listDir });
    if (!files) throw NftError.at(loc, `File not found: ${path}`);
    return files.map((full) => {
      this.includedFrom.set(full, loc);
      return { name: full, text: read(full) };
    });
  }

  // A table the input has declared; nft finds a missing one at evaluation,
  // except for a rule's, which only the kernel finds missing.
  findTable(family: Family, name: string, loc: Location, missing: 'create' | 'error' | 'kernel'): TableModel {
    let t = this.model.tables.find((x) => x.family === family && x.name === name);
    if (!t) {
      if (missing === 'error') {
        const like = closestName(name, this.model.tables.map((x) => [x.name, x]));
        throw NftError.at(loc, like ? `No such file or directory; did you mean table ‘${like.name}’ in family ${like.family}?` : `No such file or directory`);
      }
      if (missing === 'kernel') throw NftError.kernel(loc, `No such file or directory`);
      t = { family, name, handle: ++this.tableHandle, chains: [], sets: [], objects: [], flowtables: [], nextHandle: 1 };
      this.model.tables.push(t);
    }
    return t;
  }

  private command(cmd: Command): void {
    switch (cmd.kind) {
      case 'flush':
        this.model.tables = [];
        this.model.chains = [];
        this.model.sets = [];
        this.model.batch = [];
        this.model.counterCount = 0;
        this.model.stateSlots = 0;
        this.model.logs = [];
        return;
      case 'chain': {
        const table = this.findTable(cmd.family, cmd.table, cmd.tableLoc, 'error');
        if (cmd.create && table.chains.some((c) => c.name === cmd.chain.name)) throw NftError.kernel(cmd.loc, `File exists`);
        const chain = this.addChain(table, cmd.chain, (e) => this.errors.push(e));
        for (const r of cmd.chain.rules) this.attempt(this.errors, () => this.addRule(chain, r, false));
        return;
      }
      case 'rule': {
        // nft evaluates a rule whose table or chain is missing all the
        // same: its own errors come before the kernel's.
        const known = this.model.tables.find((x) => x.family === cmd.family && x.name === cmd.table);
        const table: TableModel = known ?? { family: cmd.family, name: cmd.table, handle: 0, chains: [], sets: [], objects: [], flowtables: [], nextHandle: 1 };
        const chain = table.chains.find((c) => c.name === cmd.chain);
        if (!chain) {
          this.addRule({ name: cmd.chain, table, handle: 0, index: -1, rules: [] }, cmd.rule, cmd.insert);
          throw NftError.kernel(known ? cmd.chainLoc : cmd.tableLoc, `No such file or directory`);
        }
        this.addRule(chain, cmd.rule, cmd.insert, cmd.place && placeRule(this, chain, cmd));
        return;
      }
      case 'remove':
        return remove(this, cmd);
      case 'rename':
        return rename(cmd);
      case 'reset':
        return reset(cmd);
      case 'set': {
        const table = this.findTable(cmd.family, cmd.table, cmd.tableLoc, 'error');
        if (cmd.create && table.sets.some((s) => s.name === cmd.set.name)) throw NftError.kernel(cmd.loc, `File exists`);
        this.addSet(table, cmd.set);
        return;
      }
      case 'elements': {
        const table = this.findTable(cmd.family, cmd.table, cmd.tableLoc, 'error');
        const set = table.sets.find((s) => s.name === cmd.set);
        if (!set) throw this.setNotFound(cmd.set, cmd.setLoc);
        const added = this.elements(set, cmd.elements, undefined);
        if (cmd.create) createElements(this, set, added, cmd.elements);
        sameKeyElements(this, set, added, this.flatten(cmd.elements), liveElements(this, set));
        elementsCommand(this, set, 'add', added);
        return;
      }
    }
  }

  // An error in the chain's own specification goes to report: nft still
  // evaluates the chain's rules.
  private addChain(table: TableModel, decl: ChainDecl, report: (e: NftError) => void): ChainModel {
    const existing = table.chains.find((c) => c.name === decl.name);
    if (existing) {
      // nft sends a chain again each time a block declares it, with the
      // hook only when this declaration gives one.
      this.model.batch.push({ kind: 'chain', chain: existing, bare: !decl.hook });
      return existing;
    }
    const chain: ChainModel = { name: decl.name, table, handle: table.nextHandle++, index: this.model.chains.length, rules: [] };
    table.chains.push(chain);
    this.model.chains.push(chain);
    this.model.batch.push({ kind: 'chain', chain });
    if (decl.hook) {
      chain.type = decl.type;
      chain.hook = decl.hook;
      chain.device = decl.device;
      const p = this.priorityOf(decl.priority!);
      if (p.base !== undefined) {
        const base = standardPriority(table.family, decl.hook, p.base);
        // Reported, and the rules are evaluated all the same.
        if (base === undefined) report(NftError.at(p.loc, `invalid priority expression value in this context.`));
        chain.priority = (base ?? 0) + p.offset;
      } else {
        chain.priority = p.offset;
      }
      chain.policy = decl.policyVariable ? this.policyOf(decl, decl.policyVariable, report) : decl.policy ?? 'accept';
    }
    return chain;
  }

  // nft's evaluate_priority: a define holds a number, or text naming a
  // standard priority, alone or with an offset ("filter + 5").
  private priorityOf(p: PrioritySpec): PrioritySpec {
    if (!p.variable) return p;
    const v = this.variable(p.variable);
    const text = v.kind === 'value' ? v.text : '';
    if (/^-?(\d+|0x[0-9a-f]+)$/i.test(text)) return { ...p, base: undefined, offset: text.startsWith('-') ? -Number(BigInt(text.slice(1))) : Number(BigInt(text)) };
    const m = /^\s*(\S+)\s+([+-])\s*(\d+)/.exec(text);
    if (m) return { ...p, base: m[1], offset: (m[2] === '-' ? -1 : 1) * Number(m[3]) };
    return { ...p, base: text, offset: 0 };
  }

  // nft's evaluate_policy: a define holds "accept" or "drop"; anything else
  // is refused where the define gives it, and again at the chain's name.
  private policyOf(decl: ChainDecl, variable: Expr & { kind: 'variable' }, report: (e: NftError) => void): 'accept' | 'drop' {
    const v = this.variable(variable);
    if (v.kind === 'value' && (v.text === 'accept' || v.text === 'drop')) return v.text;
    report(NftError.at(v.loc, 'wrong policy'));
    report(NftError.at(decl.loc, 'invalid policy expression variable'));
    return 'accept';
  }

  private addObject(table: TableModel, o: ObjectDecl): void {
    let object: ObjectModel;
    if (o.kind === 'cthelper') {
      // The parser let only tcp and udp through.
      const protocol = symbolValue(TYPES.inet_proto, o.protocol)!;
      const l3 = o.l3proto ? { ip: 2, ip6: 10, inet: 1 }[o.l3proto] : undefined;
      // Without l3proto nft sends none and the kernel takes the table's family.
      const family = l3 ?? ({ ip: 2, ip6: 10, inet: 1 } as Record<string, number>)[table.family] ?? 0;
      object = { kind: 'cthelper', name: o.name, handle: table.nextHandle++, helper: o.helper, protocol, protocolName: o.protocol, l3proto: l3 ?? 0, family, l3protoName: o.l3proto };
      this.model.conntrack = true;
    } else if (o.kind === 'counter') {
      object = { kind: 'counter', name: o.name, handle: table.nextHandle++, index: this.model.counterCount++, packets: o.packets, bytes: o.bytes };
    } else if (o.kind === 'synproxy') {
      const index = this.model.tables.reduce((n, t) => n + t.objects.filter((x) => x.kind === 'synproxy').length, 0);
      object = { kind: 'synproxy', name: o.name, handle: table.nextHandle++, index, mss: o.mss, wscale: o.wscale, flags: o.flags };
    } else if (o.kind === 'cttimeout' || o.kind === 'ctexpect') {
      // Its place among the ruleset's objects of its kind.
      const index = this.model.tables.reduce((n, t) => n + t.objects.filter((x) => x.kind === o.kind).length, 0);
      object = o.kind === 'cttimeout' ? evaluateCtTimeout(o, table.family, table.nextHandle++, index)
        : evaluateCtExpect(o, table.family, table.nextHandle++, index, (e) => this.constOf(e, typed(TYPES.time, 32, 'host')).value);
      // nft_ct_expect_obj_init: expectations are of IPv4 or IPv6.
      if (object.kind === 'ctexpect' && object.family !== 2 && object.family !== 10) {
        this.kernelErrors.push(NftError.kernel(o.loc, `Address family not supported by protocol`));
        return;
      }
      this.model.conntrack = true;
    } else {
      // Checked and given its state slot as the statement of its name is.
      const stmts: TStmt[] = [];
      this.stmt({ family: table.family, table, rule: { handle: 0, chain: table.chains[0], stmts, anonSets: [] }, stmts }, o.args);
      const stmt = stmts[0];
      object = stmt.kind === 'quota' ? { kind: 'quota', name: o.name, handle: table.nextHandle++, stmt } : { kind: 'limit', name: o.name, handle: table.nextHandle++, stmt: stmt as TStmt & { kind: 'limit' } };
    }
    table.objects.push(object);
    this.model.batch.push({ kind: 'object', table, object });
  }

  private setType(name: string, loc: Location): Datatype {
    const t = SET_TYPES[name];
    if (!t || t.bits === 0 && t.name !== 'ifname') throw NftError.at(loc, `unknown datatype ${name}`);
    return t;
  }

  // A selector a `typeof` names, typed as a match on it would be, without
  // the dependencies a rule would get.
  private selector(table: TableModel, e: Expr): TExpr {
    const ctx: Ctx = { family: table.family, table, rule: { handle: 0, chain: table.chains[0], stmts: [], anonSets: [] }, stmts: [] };
    const { conntrack, accounting } = this.model;
    const t = e.kind === 'ct' || e.kind === 'meta' || e.kind === 'payload' ? this.expr(ctx, e) : undefined;
    this.model.conntrack = conntrack;
    this.model.accounting = accounting;
    if (!t) throw NftError.at(e.loc, `syntax error`);
    return t;
  }

  private addSet(table: TableModel, decl: SetDecl): void {
    if (!decl.typeofKey && decl.keyType.length === 0) throw NftError.at(decl.loc, 'set definition does not specify key');
    const typeofKey = decl.typeofKey?.map((e) => this.selector(table, e));
    const typeofData = decl.typeofData && this.selector(table, decl.typeofData);
    // A selector of a type of no fixed size (an integer such as ip ttl) gives
    // the key its own size and byte order.
    const sized = (e: TExpr): Datatype => (e.type.bits === e.bits ? e.type : { ...e.type, bits: e.bits, byteorder: e.byteorder });
    const keyTypes = typeofKey ? typeofKey.map(sized) : decl.keyType.map((k) => this.setType(k, decl.loc));
    const bits = keyTypes.reduce((a, t) => a + Math.ceil(t.bits / 32) * 32, 0);
    const set: SetModel = {
      name: decl.name, table, handle: table.nextHandle++, index: this.model.sets.length, anonymous: false,
      isMap: decl.isMap, interval: decl.flags.includes('interval'), keyTypes,
      keyType: keyTypes.length === 1 ? typed(keyTypes[0], keyTypes[0].bits) : typed(keyTypes[0], bits), keyShift: 0,
      elements: [], flagNames: decl.flags, autoMerge: decl.autoMerge === true, comment: decl.comment, counter: decl.counter, loc: decl.loc, declaredSize: decl.size, typeofKey, typeofData, dynamic: decl.flags.includes('dynamic'), updated: false,
    };
    if (decl.timeout) {
      set.timeout = this.constOf(decl.timeout, typed(TYPES.time, 32, 'host')).value;
      // A default timeout makes it a set with timeouts, as nft declares it.
      if (!set.flagNames.includes('timeout')) set.flagNames = [...set.flagNames, 'timeout'];
    }
    if (decl.gcInterval) set.gcInterval = this.constOf(decl.gcInterval, typed(TYPES.time, 32, 'host')).value;
    if (set.autoMerge && !set.interval) throw NftError.at(decl.loc, `auto-merge only works with interval sets`);
    // The kernel has no dynamic interval sets.
    if (set.dynamic && set.interval) throw NftError.kernel(decl.loc, `Operation not supported`);
    if (typeofData) {
      set.dataType = typed(typeofData.type, typeofData.bits, typeofData.byteorder);
    } else if (decl.dataType) {
      const dt = decl.dataType === 'verdict' ? TYPES.verdict : this.setType(decl.dataType, decl.loc);
      set.dataType = typed(dt, dt.bits);
    }
    const initial = decl.initial && this.variable(decl.initial);
    if (initial && initial.kind !== 'set') throw NftError.at(initial.loc, `Set ${decl.name}: Unexpected initial type value, missing { }?`);
    set.elements = this.elements(set, decl.elements, undefined);
    sameKeyElements(this, set, set.elements, this.flatten(decl.elements), []);
    // A named set that does not merge refuses overlapping intervals, marking
    // both.
    if (set.interval && keyTypes.length === 1 && !set.autoMerge && !set.isMap) this.checkOverlaps(set.elements, decl.elements, true);
    table.sets.push(set);
    this.model.sets.push(set);
    this.model.batch.push({ kind: 'set', set });
    // `elements = $EMPTY`: nft still sends the (empty) batch of elements.
    if (initial && set.elements.length === 0) this.model.batch.push({ kind: 'elements', set });
  }

  private addFlowtable(table: TableModel, decl: FlowtableDecl): void {
    const ft = evaluateFlowtable({ ...decl, priority: decl.priority && this.priorityOf(decl.priority) }, table, this.model.flowtables.length, (e) => {
      const v = e.kind === 'variable' ? this.variable(e) : e;
      if (v.kind !== 'value') throw NftError.at(e.loc, `syntax error`);
      return v.text;
    });
    table.flowtables.push(ft);
    this.model.flowtables.push(ft);
    this.model.batch.push({ kind: 'flowtable', flowtable: ft });
  }

  // put: where a rule placed by handle or index goes, in place of push or
  // unshift; a rule that replaces another keeps its handle.
  addRule(chain: ChainModel, decl: Rule, insert: boolean, put?: (rule: RuleModel) => void): void {
    const table = chain.table;
    const rule: RuleModel = { handle: 0, chain, stmts: [], anonSets: [], comment: decl.comment, loc: decl.extent ?? decl.loc };
    const ctx: Ctx = { family: table.family, table, rule, stmts: rule.stmts };
    let terminal: Stmt | undefined;
    for (const s of decl.stmts) {
      if (terminal) throw NftError.between(extent(s), extent(terminal), `Statement after terminal statement has no effect`);
      this.stmt(ctx, s);
      if ((s.kind === 'verdict' && s.verdict !== 'continue') || s.kind === 'reject' || s.kind === 'queue' || s.kind === 'nat' || s.kind === 'fwd') terminal = s;
    }
    // nft leaves out a match on the link-layer protocol the table's family
    // already implies, unless nothing else would be left.
    if (rule.stmts.length > 1) rule.stmts = rule.stmts.filter((st) => !impliedByFamily(table.family, st));
    rule.stmts = mergePayloads(rule.stmts);
    if (put) put(rule);
    else if (insert) chain.rules.unshift(rule);
    else chain.rules.push(rule);
    if (rule.handle === 0) rule.handle = table.nextHandle++;
    this.model.batch.push({ kind: 'rule', rule });
  }

  // --- statements ---------------------------------------------------------

  private stmt(ctx: Ctx, s: Stmt): void {
    switch (s.kind) {
      case 'match':
        return this.match(ctx, s);
      case 'verdict': {
        const chain = s.chain !== undefined ? this.jumpTarget(ctx, s.chain, s.chainLoc ?? s.loc) : undefined;
        ctx.stmts.push({ kind: 'verdict', verdict: s.verdict, chain });
        return;
      }
      case 'vmap': {
        this.requireAddressFamily(s.key);
        const key = this.expr(ctx, s.key);
        const set = this.mapping(ctx, key, s.mapping, { type: TYPES.verdict, bits: 32, byteorder: 'host' });
        ctx.stmts.push({ kind: 'vmap', key, set });
        return;
      }
      case 'objmap':
        return objectMap(this, ctx, OBJECT_TYPES[s.objType], s.map);
      case 'namedref': {
        const obj = ctx.table.objects.find((o) => o.kind === s.objType && o.name === s.name);
        if (obj) ctx.stmts.push({ kind: 'objref', objType: OBJECT_TYPES[s.objType], object: obj, loc: s.loc });
        else this.kernelErrors.push(NftError.kernel(s.nameLoc, `No such file or directory`));
        return;
      }
      case 'ctobject': {
        const obj = ctx.table.objects.find((o) => o.kind === s.objType && o.name === s.name);
        if (obj) ctx.stmts.push({ kind: 'objref', objType: s.objType === 'cttimeout' ? ObjectType.CtTimeout : ObjectType.CtExpect, object: obj, loc: s.loc });
        else this.kernelErrors.push(NftError.kernel(s.nameLoc, `No such file or directory`));
        return;
      }
      case 'counter': {
        if (s.name !== undefined) {
          const obj = ctx.table.objects.find((o) => o.kind === 'counter' && o.name === s.name);
          if (obj) ctx.stmts.push({ kind: 'objref', objType: OBJ_COUNTER, object: obj });
          else this.kernelErrors.push(NftError.kernel(s.nameLoc ?? s.loc, `No such file or directory`));
          return;
        }
        const index = this.model.counterCount++;
        ctx.rule.counter ??= index;
        ctx.stmts.push({ kind: 'counter', index, packets: s.packets ?? 0n, bytes: s.bytes ?? 0n });
        return;
      }
      case 'reject':
        return this.reject(ctx, s);
      case 'queue':
        return this.queue(ctx, s);
      case 'nat': {
        const chain = ctx.rule.chain;
        const nat = evaluateNat(s, {
          tableFamily: ctx.family, nfproto: ctx.nfproto, transportKnown: () => ctx.l4proto !== undefined || ctx.transportMatched === true,
          variable: (e) => this.variable(e), constOf: (e, like) => this.constOf(e, like), mapValue: (e, like) => this.valueExpr(ctx, e, like),
          map: (e, dataType, data) => this.natMap(ctx, e, dataType, data),
        });
        const refused = chain.hook !== undefined && natHookError(nat, chain.type, chain.hook, ctx.rule.loc ?? s.loc);
        if (refused) this.kernelErrors.push(refused);
        this.model.conntrack = true;
        ctx.stmts.push(nat);
        return;
      }
      case 'notrack':
        this.model.conntrack = true;
        ctx.stmts.push({ kind: 'notrack' });
        return;
      case 'dup': case 'fwd': case 'tproxy': case 'synproxy': case 'flowoffload': {
        const chain = ctx.rule.chain;
        const f = evaluateForwarding(s, {
          tableFamily: ctx.family, nfproto: ctx.nfproto, nfprotoLoc: ctx.nfprotoLoc, transportKnown: () => ctx.l4proto !== undefined || ctx.transportMatched === true,
          arg: (e, like) => this.valueExpr(ctx, e, like), flowtable: (name) => ctx.table.flowtables.find((ft) => ft.name === name),
        });
        const refused = forwardingHookError(f, ctx.family, chain.hook, ctx.rule.loc ?? s.loc);
        if (refused) this.kernelErrors.push(refused);
        if (f.kind === 'flowoffload') this.model.conntrack = true;
        ctx.stmts.push(f);
        return;
      }
      case 'log': {
        // stmt_evaluate_log: a group (snaplen and queue-threshold make one)
        // takes no level and no flags, and audit takes nothing else.
        const group = s.group !== undefined || s.snaplen !== undefined || s.qthreshold !== undefined;
        if (s.level !== undefined && group) throw NftError.at(s.loc, 'level and group are mutually exclusive');
        if (s.flags && group) throw NftError.at(s.loc, 'flags and group are mutually exclusive');
        if (s.level === 'audit' && (s.prefix !== undefined || s.flags)) throw NftError.at(s.loc, `log level audit doesn't support any further options`);
        const index = this.model.logs.length;
        const { kind: _, loc: __, ...options } = s;
        this.model.logs.push(options);
        ctx.stmts.push({ kind: 'log', index, ...options });
        return;
      }
      case 'limit': {
        // The kernel's defaults: five packets of burst, none in bytes.
        const burst = s.burst ?? (s.bytes ? 0n : 5n);
        // nft_limit_init refuses what overflows its nanosecond arithmetic.
        const nsecs = BigInt(s.unit) * 1_000_000_000n;
        if (s.rate === 0n) throw NftError.kernel(s.loc, `Invalid argument`);
        if (burst >= 1n << 32n || nsecs * (s.rate + burst) >= 1n << 64n) throw NftError.kernel(s.loc, `Value too large for defined data type`);
        ctx.stmts.push({ kind: 'limit', slot: this.model.stateSlots++, rate: s.rate, unit: s.unit, bytes: s.bytes, burst, over: s.over });
        return;
      }
      case 'dynset': {
        const set = this.namedSet(ctx, s.set, s.loc);
        // The kernel has no dynamic interval sets or verdict maps, and
        // timeouts only in sets declared with them.
        const unsupported = set.interval || set.dataType?.type === TYPES.verdict || (s.timeout !== undefined && !set.flagNames.includes('timeout'));
        if (unsupported) throw NftError.kernel(s.loc, `Operation not supported`);
        const key = this.expr(ctx, s.key);
        if (key.bits !== set.keyType.bits) throw NftError.at(s.key.loc, `datatype mismatch`);
        if (set.isMap !== (s.data !== undefined)) throw NftError.at(s.loc, set.isMap ? `syntax error, missing map data` : `syntax error`);
        const data = s.data && this.valueExpr(ctx, s.data, set.dataType!);
        const timeout = s.timeout && this.constOf(s.timeout, typed(TYPES.time, 32, 'host')).value;
        const exprs = s.stmts && this.elementStmts(ctx, s.stmts, s.loc);
        set.dynamic = true;
        set.updated = true;
        ctx.stmts.push({ kind: 'dynset', op: s.op, set, key, timeout, data, ...(exprs ? { exprs } : {}), loc: s.loc });
        return;
      }
      case 'meter':
        return this.meter(ctx, s);
      case 'quota':
        ctx.stmts.push({ kind: 'quota', slot: this.model.stateSlots++, bytes: s.bytes, used: s.used, over: s.over });
        return;
      case 'connlimit':
        noConntrack(ctx, s.loc);
        this.model.conntrack = true;
        ctx.stmts.push({ kind: 'connlimit', count: s.count, over: s.over });
        return;
      case 'ctset':
        noConntrack(ctx, span(s.loc, s.value.loc));
        return this.ctSet(ctx, s);
      case 'optreset': {
        const kind = /^\d+$/.test(s.option) ? Number(s.option) : tcpOptionByName(s.option)!.kind;
        ctx.stmts.push({ kind: 'optreset', option: kind });
        return;
      }
      case 'payloadset': {
        const target = this.payload(ctx, s.target) as TExpr & { kind: 'payload' };
        // A raw payload's value is a number, whatever field it turns out to be.
        const parsed = this.valueExpr(ctx, s.value, typed(target.raw ? RAW_TYPE : target.type, target.bits, target.byteorder));
        const value = target.raw && parsed.kind === 'const' ? { ...parsed, type: target.type } : parsed;
        if (value.kind !== 'const') {
          if (value.type.name !== target.type.name) throw NftError.between(s.value.loc, span(s.target.loc, s.value.loc), `datatype mismatch: expected ${target.type.desc}, expression has type ${value.type.desc}`);
          // A field that is not whole bytes, or an odd number of them under a
          // checksum, is written merged with its neighbours: only a constant
          // can be shifted into place.
          const aligned = target.offset % 8 === 0 && target.bits % 8 === 0;
          const oddUnderChecksum = checksumOf(target) !== undefined && (target.bits / 8) % 2 === 1;
          if (!aligned || oddUnderChecksum) throw mergedWriteError(target, value, s.target.loc, s.value.loc);
        }
        ctx.stmts.push({ kind: 'payloadset', target, value });
        return;
      }
      case 'metaset': {
        const tmpl = META_KEYS[s.key];
        if (!tmpl || !tmpl.settable) throw NftError.at(s.loc, `meta key ${s.key} cannot be set`);
        const value = this.valueExpr(ctx, s.value, typed(tmpl.type, tmpl.bits, tmpl.byteorder));
        ctx.stmts.push({ kind: 'metaset', tmpl, unqualified: !writtenAs(s.loc, 'meta'), value });
        return;
      }
    }
  }

  // nft's stmt_evaluate_meter: a set of the meter's name, anonymous yet
  // listed by it, that the rule adds the key to (updates, with a timeout),
  // each element with its own state of the statement.
  private meter(ctx: Ctx, s: Stmt & { kind: 'meter' }): void {
    // The key is evaluated with no type to give a bare value one.
    if (s.key.kind === 'value') throw NftError.at(s.key.loc, `No symbol type information`);
    const key = this.expr(ctx, s.key);
    if (key.kind === 'const') throw NftError.at(s.key.loc, `Meter key expression can not be constant`);
    const timeout = s.timeout && this.constOf(s.timeout, typed(TYPES.time, 32, 'host')).value;
    const set = this.newAnonSet(ctx, key, undefined);
    Object.assign(set, { name: s.name, meter: true, dynamic: true, updated: true, declaredSize: s.size, flagNames: timeout !== undefined ? ['timeout'] : [] });
    const inner: TStmt[] = [];
    this.stmt({ ...ctx, rule: { ...ctx.rule }, stmts: inner }, s.stmt);
    const expr = inner[0];
    if (inner.length !== 1 || !STATEFUL.has(expr.kind)) throw NftError.between(extent(s.stmt), s.loc, `meter statement must be stateful`);
    ctx.stmts.push({ kind: 'dynset', op: timeout !== undefined ? 'update' : 'add', set, key, timeout, exprs: [expr], loc: s.loc });
  }

  // The statements an element a rule adds keeps, as stmt_evaluate_set
  // takes them: stateful ones only, as many as the kernel keeps
  // (NFT_SET_EXPR_MAX).
  private elementStmts(ctx: Ctx, stmts: Stmt[], loc: Location): TStmt[] {
    const inner: TStmt[] = [];
    for (const st of stmts) {
      const before = inner.length;
      this.stmt({ ...ctx, rule: { ...ctx.rule }, stmts: inner }, st);
      if (inner.length !== before + 1 || !STATEFUL.has(inner[before]!.kind)) throw NftError.at(extent(st), `${st.kind} statement must be stateful`);
    }
    if (inner.length > DYNSET_MAX_EXPRS) throw NftError.between(extent(stmts[DYNSET_MAX_EXPRS]!), loc, `more than ${DYNSET_MAX_EXPRS} statements in a set element are not supported by nftwasm`);
    return inner;
  }

  // nft's stmt_evaluate_queue: numbers are 16 bits, a range must grow and
  // collapses when it does not, and fanout spreads over a range.
  private queue(ctx: Ctx, s: Stmt & { kind: 'queue' }): void {
    if (s.map) {
      if (s.flags & QueueFlags.Fanout) throw NftError.at(s.numLoc!, `fanout requires a range to be specified`);
      const map = this.valueExpr(ctx, s.map, typed(TYPES.integer, 16, 'host'));
      if ((routingMaxValue(map) ?? 0n) > 0xffffn) throw NftError.at(s.map.loc, `queue expression max value exceeds 65535`);
      ctx.stmts.push({ kind: 'queue', first: 0, last: 0, flags: s.flags, map });
      return;
    }
    const low = s.low ?? 0n;
    const high = s.high ?? low;
    const range = s.high !== undefined && s.highLoc !== s.lowLoc;
    for (const [v, loc] of [[low, s.lowLoc], [high, s.highLoc]] as const) {
      if (v > 0xffffn) throw NftError.at(range ? loc! : s.numLoc!, `Value ${v} exceeds valid range 0-65535`);
    }
    if (high < low) throw NftError.at(s.numLoc!, `Range has zero or negative size`);
    if ((s.flags & QueueFlags.Fanout) && s.numLoc && high === low) throw NftError.at(s.numLoc, `fanout requires a range to be specified`);
    ctx.stmts.push({ kind: 'queue', first: Number(low), last: Number(high), flags: s.flags });
  }

  // nft's stmt_evaluate_reject: the family's own ICMP answer unless another
  // is named; a TCP reset needs TCP, an ICMP answer of one IP version that
  // version. Bridge and netdev answer IP only (nft_reject_bridge,
  // nft_reject_netdev), and check the version by meta protocol.
  private reject(ctx: Ctx, s: Stmt & { kind: 'reject' }): void {
    const own: RejectIcmp = ctx.family === 'ip' ? 'icmp' : ctx.family === 'ip6' ? 'icmpv6' : 'icmpx';
    const ipTable = own !== 'icmpx';
    const linkTable = ctx.family === 'bridge' || ctx.family === 'netdev';
    // nft puts the protocol a reject needs at the start of the rule, and its
    // listing shows it only when something other than a match comes right
    // before the reject (and always a TCP reset's outside ip and ip6 tables).
    const last = ctx.stmts[ctx.stmts.length - 1];
    const hidden = last === undefined || last.kind === 'match' || last.kind === 'joined';
    if (s.with === 'tcp' && ctx.l4proto !== undefined && ctx.l4proto !== 6) throw NftError.between(s.loc, ctx.l4protoLoc, `you cannot use tcp reset with this protocol`);
    if (linkTable && ctx.otherNetwork !== undefined) throw NftError.between(s.loc, ctx.nfprotoLoc, `cannot reject this network family`);
    // In inet, a network header other than IP (ARP by its Ethernet type)
    // holds no TCP and has no ICMP.
    const other = ctx.family === 'inet' && ctx.otherNetwork !== undefined;
    if (other && s.with !== 'icmpx' && (s.with !== 'tcp' || ctx.l4proto === undefined)) {
      const name = Object.values(PROTOCOLS).find((p) => p.ethertype === ctx.otherNetwork && !p.stacked)?.name;
      throw NftError.at(s.loc, s.with === 'tcp' ? `conflicting protocols specified: ${name} vs. tcp` : `cannot infer ICMP reject variant to use: explicit value required.\n`);
    }
    if (s.with === 'tcp') {
      if (ctx.l4proto === undefined) {
        this.addDependency(ctx, 'l4proto', 6, hidden && (ctx.family === 'ip' || ctx.family === 'ip6'), true);
        ctx.l4proto = 6;
      }
      ctx.stmts.push({ kind: 'reject', type: RejectType.TcpRst, code: 0, icmp: 'tcp', isDefault: false });
      return;
    }
    // In inet, bridge and netdev, a rule that has settled the IP version
    // answers in that version's ICMP (nft's stmt_evaluate_reject_default).
    const known: RejectIcmp | undefined = s.with === undefined && !ipTable && ctx.nfproto !== undefined ? (ctx.nfproto === 2 ? 'icmp' : 'icmpv6') : undefined;
    const icmp = s.with ?? known ?? own;
    const codes = icmp === 'icmp' ? TYPES.icmp_code : icmp === 'icmpv6' ? TYPES.icmpv6_code : TYPES.icmpx_code;
    // Port unreachable, in each family's words.
    const code = s.code ? Number(this.constOf(s.code, typed(codes, 8, 'big')).value) : symbolValue(codes, 'port-unreachable')!;
    const at = s.code?.loc ?? s.loc;
    if (ipTable && icmp === 'icmpx') throw NftError.between(at, s.loc, `abstracted ICMP unreachable not supported`);
    if (ipTable && icmp !== own) throw NftError.between(at, s.loc, `conflicting protocols specified: ip vs ip6`);
    const version = icmp === 'icmp' ? 2 : 10;
    if (!ipTable && icmp !== 'icmpx' && ctx.nfproto !== undefined && ctx.nfproto !== version) throw NftError.between(at, ctx.nfprotoLoc, `conflicting protocols specified: ip vs ip6`);
    if (!ipTable && icmp !== 'icmpx' && ctx.nfproto === undefined) {
      if (ctx.vlanOffset !== undefined || (ctx.linkType !== undefined && VLAN_ETHERTYPES.includes(ctx.linkType))) ctx.stmts.unshift(this.vlanTypeMatch(ctx, ETHERTYPE_OF[version], s.loc, hidden));
      else if (linkTable) this.addDependency(ctx, 'protocol', ETHERTYPE_OF[version], hidden, true);
      else this.addDependency(ctx, 'nfproto', version, hidden, true);
      ctx.nfproto = version;
    }
    // ... and lists it with that answer, which implies the version check
    // just before it.
    if (!ipTable && icmp !== 'icmpx' && last?.kind === 'match' && last.op !== '!=' && isVersionMatch(last, version)) last.dependency = true;
    const isDefault = icmp === own && code === symbolValue(codes, 'port-unreachable');
    ctx.stmts.push({ kind: 'reject', type: icmp === 'icmpx' ? RejectType.IcmpxUnreach : RejectType.IcmpUnreach, code, icmp, isDefault });
  }

  // A missing chain is the kernel's error: the rest of the rule is
  // evaluated all the same.
  private jumpTarget(ctx: Ctx, name: string, loc: Location): ChainModel | undefined {
    const chain = ctx.table.chains.find((c) => c.name === name);
    if (!chain) this.kernelErrors.push(NftError.kernel(loc, `No such file or directory`));
    return chain;
  }

  private ctSet(ctx: Ctx, s: Stmt & { kind: 'ctset' }): void {
    this.model.conntrack = true;
    if (s.key === 'helper') {
      const v = s.value;
      if (v.kind === 'map') return objectMap(this, ctx, ObjectType.CtHelper, v);
      if (v.kind !== 'value') throw NftError.at(s.loc, `syntax error`);
      const obj = ctx.table.objects.find((o) => o.kind === 'cthelper' && o.name === v.text);
      if (obj) ctx.stmts.push({ kind: 'objref', objType: OBJ_CT_HELPER, object: obj });
      else this.kernelErrors.push(NftError.kernel(v.loc, `No such file or directory`));
      return;
    }
    const tmpl = CT_KEYS[s.key];
    if (!tmpl || !tmpl.settable) throw NftError.at(s.loc, `syntax error, unexpected set`);
    if (s.dir !== undefined && s.key !== 'zone') throw NftError.at(s.loc, `syntax error, unexpected set`);
    const dir = s.dir === undefined ? undefined : s.dir === 'original' ? CtDir.Original : CtDir.Reply;
    const value = this.valueExpr(ctx, s.value, typed(tmpl.type, tmpl.bits, tmpl.byteorder));
    ctx.stmts.push({ kind: 'ctset', tmpl, dir, value });
  }

  private match(ctx: Ctx, s: Stmt & { kind: 'match' }): void {
    // A name, number or string on the left has no type to read it by.
    if (s.left.kind === 'value') throw NftError.at(s.left.loc, `No symbol type information`);
    let left = this.expr(ctx, s.left);
    if (left.kind === 'const') throw NftError.at(s.left.loc, `syntax error`);
    const r0 = s.right;
    if (left.kind === 'fib' && r0.kind === 'value' && !r0.quoted && (r0.text === 'exists' || r0.text === 'missing')) left = fibPresent(left, s.left.loc, this.routingContext(ctx));
    // A protocol's keyword is a protocol number to nft's grammar, of no
    // other type.
    const r = s.right;
    if (r.kind === 'value' && !r.quoted && PROTOCOL_KEYWORDS.has(r.text) && left.type !== TYPES.inet_proto) {
      throw NftError.between(r.loc, s.left.loc, `datatype mismatch, expected ${left.type.desc}, expression has type Internet protocol`);
    }
    // A conntrack port is of no type until the rule has named the
    // transport protocol (conntrack's own only where the network protocol
    // is known): nft cannot read the value.
    if (left.kind === 'ct' && (left.tmpl.key === CtKey.ProtoSrc || left.tmpl.key === CtKey.ProtoDst) && ctx.l4proto === undefined && !ctx.ctProtocol) {
      throw NftError.at(this.firstValue(s.right).loc, `Can't parse symbolic invalid expressions`);
    }
    let right = this.rhs(ctx, left, s.right);
    this.checkSetType(left, right, s);
    this.checkMaxValue(left, right, s.right);
    // A raw payload of no bits holds no value but 0.
    if (left.kind === 'payload' && left.bits === 0 && right.kind === 'const' && right.value !== 0n) {
      throw NftError.at(s.right.loc, `Value ${right.value} exceeds valid range 0-0`);
    }
    let op = s.op;
    if (s.mask) {
      const mask = this.constOf(s.mask, left);
      left = { kind: 'binop', op: '&', left, right: mask, ...typed(left.type, left.bits, left.byteorder) };
    }
    // nft folds (x ^ c) == v into x == v ^ c.
    if (left.kind === 'binop' && left.op === '^' && left.right.kind === 'const' && right.kind === 'const') {
      right = { ...right, value: right.value ^ left.right.value };
      left = left.left;
      if (op === 'implicit') op = '==';
    }
    if (op === '!' && (!left.type.flags || left.kind === 'binop')) throw NftError.at(s.loc, `syntax error, unexpected !`);
    if ((right.kind === 'setref' || right.kind === 'range' || right.kind === 'prefix') && op === 'implicit') op = '==';
    // A range of local hours that crosses midnight in UTC, as the kernel
    // keeps them: nft matches outside the range between its ends reversed.
    if (right.kind === 'range' && right.type.print === 'hour' && (right.high as TExpr & { kind: 'const' }).value < (right.low as TExpr & { kind: 'const' }).value) {
      if (op !== '==' && op !== '!=') throw NftError.at(s.right.loc, `Range has zero or negative size`);
      right = { ...right, low: right.high, high: right.low };
      op = op === '==' ? '!=' : '==';
    }
    if (right.kind === 'const' && op === 'implicit' && !left.type.flags) op = '==';
    if (right.kind === 'const' && left.kind === 'binop') op = op === 'implicit' ? '==' : op;
    ctx.stmts.push({ kind: 'match', op, left, right, dependency: false });
    this.learnContext(ctx, left, right, op, span(s.left.loc, s.right.loc));
  }

  // A match on a protocol selector tells later payload expressions which
  // protocol they are in, so nft adds no dependency for them.
  private learnContext(ctx: Ctx, left: TExpr, right: TExpr, op: string, loc: Location): void {
    if (op !== '==' && op !== 'implicit') return;
    if (left.kind === 'payload' && left.field === 'type' && (left.proto === 'icmp' || left.proto === 'icmpv6')) {
      const values = right.kind === 'const' ? [right.value] : right.kind === 'setref' && right.set.anonymous ? right.set.elements.map((e) => e.key.kind === 'const' ? e.key.value : undefined) : [];
      const last = values[values.length - 1];
      if (last !== undefined) ctx.icmpType = normaliseIcmpType(left.proto, Number(last));
    }
    const transportKey = (left.kind === 'meta' && left.key === MetaKey.L4proto) || (left.kind === 'payload' && ((left.proto === 'ip' && left.field === 'protocol') || (left.proto === 'ip6' && left.field === 'nexthdr')));
    if (transportKey && right.kind === 'setref' && right.set.anonymous) ctx.transportMatched = true;
    // nft learns from a set each of its elements in turn: the last one is
    // the context, and transport protocols accumulate.
    const values = right.kind === 'const' ? [right.value] : right.kind === 'setref' && right.set.anonymous ? right.set.elements.map((e) => e.key.kind === 'const' ? e.key.value : undefined) : [];
    if (values.length === 0 || values.some((x) => x === undefined)) return;
    if (transportKey) {
      ctx.l4protos ??= [];
      for (const x of values) if (!ctx.l4protos.includes(Number(x))) ctx.l4protos.push(Number(x));
    }
    const v = Number(values[values.length - 1]);
    if (left.kind === 'meta' && left.key === MetaKey.Iiftype && v === 1) ctx.etherDevice = true;
    if (left.kind === 'meta' && left.key === MetaKey.Nfproto) {
      ctx.nfproto = v;
      ctx.nfprotoLoc = loc;
    }
    if (left.kind === 'ct' && left.tmpl.key === CtKey.L3protocol) ctx.nfproto = v;
    if (left.kind === 'ct' && left.tmpl.key === CtKey.Protocol && (ctx.family === 'ip' || ctx.family === 'ip6' || (ctx.family === 'inet' && ctx.nfproto !== undefined))) ctx.ctProtocol = true;
    // In inet a network header checks meta nfproto whatever meta protocol
    // said.
    if (left.kind === 'meta' && left.key === MetaKey.Protocol && ctx.family !== 'inet') this.learnNetwork(ctx, v, loc);
    if (left.kind === 'payload' && left.proto === 'ether' && left.field === 'type' && !VLAN_ETHERTYPES.includes(v)) this.learnNetwork(ctx, v, loc);
    if (left.kind === 'payload' && (left.proto === 'ether' || left.proto === 'vlan') && left.field === 'type') ctx.linkType = v;
    if (transportKey) {
      ctx.l4proto = v;
      ctx.l4protoLoc = loc;
    }
  }

  // The network header a match names by its Ethernet type (meta protocol
  // names a VLAN as one too).
  private learnNetwork(ctx: Ctx, ethertype: number, loc: Location): void {
    ctx.nfprotoLoc = loc;
    ctx.nfproto = NFPROTO_OF[ethertype];
    ctx.otherNetwork = ctx.nfproto === undefined ? ethertype : undefined;
  }

  // --- expressions ------------------------------------------------------------

  expr(ctx: Ctx, e: Expr): TExpr {
    switch (e.kind) {
      case 'ct':
        return this.ctExpr(ctx, e);
      case 'meta': {
        const tmpl = META_KEYS[e.key];
        if (!tmpl) throw NftError.at(e.loc, `syntax error, unexpected ${e.key}`);
        if (tmpl.setOnly) throw NftError.kernel(e.loc, `Operation not supported`);
        if (tmpl.key === MetaKey.Nfproto && ctx.family !== 'inet') throw NftError.at(e.loc, `meta nfproto is only useful in the inet family`);
        const unqualified = !writtenAs(e.loc, 'meta');
        // nft lists secpath as ipsec, and every other key as written.
        const name = tmpl.key === MetaKey.Secpath ? tmpl.name : e.key;
        return { kind: 'meta', key: tmpl.key, name, unqualified, ...typed(tmpl.type, tmpl.bits, tmpl.byteorder) };
      }
      case 'payload':
        return this.payload(ctx, e);
      case 'binop': {
        const left = this.expr(ctx, e.left);
        if (e.op === '<<' || e.op === '>>') {
          const amount = this.constOf(e.right, typed(TYPES.integer, 32, 'host'));
          return { kind: 'binop', op: e.op, left, right: amount, type: left.type, bits: left.bits, byteorder: left.byteorder };
        }
        // Masks are plain numbers even on typed selectors (ip saddr & 0xff).
        const right = e.right.kind === 'value' && parseNumber(e.right.text) !== undefined
          ? { kind: 'const' as const, value: parseNumber(e.right.text)!, ...typed(left.type, left.bits, left.byteorder) }
          : this.constOf(e.right, left);
        return { kind: 'binop', op: e.op, left, right, type: left.type, bits: left.bits, byteorder: left.byteorder };
      }
      case 'concat': {
        e.items.forEach((i) => this.requireAddressFamily(i));
        const items = e.items.map((i) => this.expr(ctx, i));
        const bits = items.reduce((a, i) => a + Math.ceil(i.bits / 32) * 32, 0);
        return { kind: 'concat', items, type: items[0].type, bits, byteorder: 'big' };
      }
      case 'map': {
        this.requireAddressFamily(e.key);
        const key = this.expr(ctx, e.key);
        return { kind: 'map', key, set: this.mapping(ctx, key, e.mapping, undefined), type: TYPES.integer, bits: 0, byteorder: 'host' };
      }
      case 'variable':
        return this.expr(ctx, this.variable(e));
      case 'fib':
      case 'rt':
      case 'numgen':
      case 'hash':
      case 'socket':
      case 'xfrm':
      case 'osf': {
        const t = evaluateRouting(e, this.routingContext(ctx));
        if (t.kind === 'fib') this.model.routeLookup ??= ctx.rule.loc ?? e.loc;
        if (t.kind === 'numgen' && t.mode === NumgenType.Inc) this.model.numgenInc = true;
        const hooks = routingHooks(t);
        if (hooks) ctx.rule.hooks = ctx.rule.hooks ? ctx.rule.hooks.filter((h) => hooks.includes(h)) : hooks;
        const hook = ctx.rule.chain.hook;
        if (hooks && hook !== undefined && !hooks.includes(hook) && !ctx.hookRefused) {
          ctx.hookRefused = true;
          this.kernelErrors.push(NftError.kernel(ctx.rule.loc ?? e.loc, `Operation not supported`));
        }
        return t;
      }
      default:
        throw NftError.at(e.loc, `syntax error`);
    }
  }

  private routingContext(ctx: Ctx): RoutingContext {
    return {
      family: ctx.family, nfproto: ctx.nfproto, slot: () => this.model.stateSlots++,
      key: (k) => this.expr(ctx, k), kernelError: (err) => this.kernelErrors.push(err),
    };
  }

  // A set key needs its type up front: ct addresses must name ip or ip6.
  private requireAddressFamily(e: Expr): void {
    if (e.kind === 'ct' && !e.proto && (e.key === 'saddr' || e.key === 'daddr')) {
      throw NftError.at(e.loc, `specify either ip or ip6 for address matching`);
    }
  }

  // The first value written in an expression, variables resolved.
  private firstValue(e: Expr): Expr {
    if (e.kind === 'variable') return this.firstValue(this.variable(e));
    if (e.kind === 'set') return e.elements.length ? this.firstValue(e.elements[0].key) : e;
    if (e.kind === 'range') return this.firstValue(e.low);
    if (e.kind === 'prefix') return this.firstValue(e.expr);
    if (e.kind === 'list' || e.kind === 'concat') return e.items.length ? this.firstValue(e.items[0]) : e;
    return e;
  }

  private flatElements(elements: SetElement[]): SetElement[] {
    return elements.flatMap((el) => {
      if (el.key.kind === 'set' && !el.data) return this.flatElements(el.key.elements);
      if (el.key.kind !== 'variable' || el.data) return [el];
      const v = this.variable(el.key);
      return v.kind === 'set' ? this.flatElements(v.elements) : [{ ...el, key: v }];
    });
  }

  private variable(e: Expr & { kind: 'variable' }): Expr {
    const v = this.defines.get(e.name);
    if (!v) throw NftError.at(e.loc, unknownIdentifier(e.name, this.defines.keys()));
    return v;
  }

  private ctExpr(ctx: Ctx, e: Expr & { kind: 'ct' }): TExpr {
    noConntrack(ctx, e.loc);
    this.model.conntrack = true;
    const dir = e.dir === undefined ? undefined : e.dir === 'original' ? CtDir.Original : CtDir.Reply;
    let tmpl: CtTemplate | undefined;
    if (e.proto) {
      tmpl = CT_ADDR_KEYS[`${e.proto} ${e.key}`];
      const family = e.proto === 'ip' ? 2 : 10;
      if (ctx.family === 'ip' && family !== 2 || ctx.family === 'ip6' && family !== 10) {
        throw NftError.at(e.loc, `conflicting protocols specified: ${ctx.family} vs. ${e.proto}`);
      }
      if (ctx.nfproto !== undefined && ctx.nfproto !== family) throw NftError.at(e.loc, `conflicting protocols specified`);
    } else {
      tmpl = CT_KEYS[e.key];
    }
    if (!tmpl) throw NftError.at(e.loc, `syntax error, unexpected ${e.key}`);
    // nft's grammar takes a port without a direction; the kernel does not.
    if ((e.key === 'proto-src' || e.key === 'proto-dst') && dir === undefined) this.kernelErrors.push(NftError.kernel(e.loc, `Invalid argument`));
    else if (tmpl.dir === 'required' && dir === undefined) throw NftError.at(e.loc, `syntax error, unexpected ${e.key}`);
    if (tmpl.dir === 'none' && dir !== undefined) throw NftError.at(e.loc, `syntax error, unexpected ${e.key}`);
    if (e.key === 'packets' || e.key === 'bytes' || e.key === 'avgpkt') this.model.accounting = true;
    if (!e.proto && (e.key === 'saddr' || e.key === 'daddr')) {
      const nf = ctx.family === 'ip' ? 2 : ctx.family === 'ip6' ? 10 : ctx.nfproto;
      if (nf === undefined) throw NftError.at(e.loc, `cannot determine ip protocol version, use "ip ${e.key}" or "ip6 ${e.key}" instead`);
      const t = nf === 2 ? TYPES.ipv4_addr : TYPES.ipv6_addr;
      return { kind: 'ct', tmpl, dir, ...typed(t, t.bits, 'big') };
    }
    return { kind: 'ct', tmpl, dir, proto: e.proto, ...typed(tmpl.type, tmpl.bits, tmpl.byteorder) };
  }

  private payload(ctx: Ctx, e: Expr & { kind: 'payload' }): TExpr {
    if (isRaw(e.proto)) return this.rawPayload(ctx, e);
    if (e.proto === 'tcp option') return tcpOptionExpr(e.field);
    if (e.proto === 'ip option') {
      const [name, fieldName] = e.field.split(' ');
      const o = ipOption(name)!;
      const present = fieldName === undefined;
      const [offset, bits, type] = present ? [0, 8, TYPES.boolean] : o.fields[fieldName];
      this.dependency(ctx, 'ip', e.loc);
      const exthdr = { op: ExthdrOp.Ipv4, type: o.type, present };
      return { kind: 'payload', proto: 'ip option', field: e.field, base: PayloadBase.Network, offset, exthdr, ...typed(type, bits, present ? 'host' : 'big') };
    }
    if (e.proto === 'sctp chunk') {
      const [name, fieldName] = e.field.split(' ');
      const c = sctpChunk(name)!;
      const present = fieldName === undefined;
      const [offset, bits, type] = present ? [0, 8, TYPES.boolean] : c.fields[fieldName];
      const exthdr = { op: ExthdrOp.Sctp, type: c.type, present };
      return { kind: 'payload', proto: 'sctp chunk', field: e.field, base: PayloadBase.Transport, offset, exthdr, ...typed(type, bits, present ? 'host' : 'big') };
    }
    if (e.proto === 'exthdr') {
      const header = PROTOCOLS[e.field];
      this.dependency(ctx, header.name, e.loc);
      const exthdr = { op: ExthdrOp.Ipv6, type: header.ipv6Exthdr!, present: true };
      return { kind: 'payload', proto: 'exthdr', field: e.field, base: PayloadBase.Network, offset: 0, exthdr, ...typed(TYPES.boolean, 8, 'host') };
    }
    const proto = PROTOCOLS[e.proto];
    const f = proto?.fields[e.field];
    if (!proto || !f) throw NftError.at(e.loc, `syntax error, unexpected ${e.field}`);
    const [fieldOffset, bits, type] = f;
    let offset = fieldOffset;
    if (proto.ipv6Exthdr !== undefined) {
      this.dependency(ctx, proto.name, e.loc);
      const exthdr = { op: ExthdrOp.Ipv6, type: proto.ipv6Exthdr, present: false };
      return { kind: 'payload', proto: proto.name, field: e.field, base: proto.base, offset, exthdr, ...typed(type, bits, 'big') };
    }
    if (proto.stacked) offset += this.vlanTag(ctx, e.loc) * 8;
    else this.dependency(ctx, proto.name, e.loc);
    const dep = proto.icmpDep?.[e.field];
    if (dep !== undefined) this.icmpDependency(ctx, proto.name, dep, e.loc);
    return { kind: 'payload', proto: proto.name, field: e.field, base: proto.base, offset, ...typed(type, bits, 'big') };
  }

  // A raw payload adds no dependency; where the rule or table says which
  // protocol the header is, nft reads it as that protocol's field when one
  // sits at the same bits (listed by name: `@th,16,16` is `th dport`).
  private rawPayload(ctx: Ctx, e: Expr & { kind: 'payload' }): TExpr {
    const base = RAW_BASES[e.proto.slice(1)];
    const [offset, bits] = e.field.split(',').map(Number);
    const nf = ctx.family === 'ip' ? 2 : ctx.family === 'ip6' ? 10 : ctx.nfproto;
    const proto = base === PayloadBase.Transport ? (ctx.l4proto === undefined || (ctx.l4protos?.length ?? 0) > 1 ? PROTOCOLS.th : Object.values(PROTOCOLS).find((p) => p.l4proto === ctx.l4proto))
      : base === PayloadBase.Network ? (ctx.family === 'arp' ? PROTOCOLS.arp : Object.values(PROTOCOLS).find((p) => nf !== undefined ? p.nfproto === nf : ctx.linkType !== undefined && p.ethertype === ctx.linkType && p.base === PayloadBase.Network))
      : undefined;
    const known = proto && Object.entries(proto.fields).find(([, [o, b]]) => o === offset && b === bits);
    if (proto && known) return { kind: 'payload', proto: proto.name, field: known[0], base, offset, raw: true, ...typed(known[1][2], bits, 'big') };
    return { kind: 'payload', proto: e.proto, field: e.field, base, offset, ...typed(RAW_TYPE, bits, 'big') };
  }

  // ICMP fields that exist only in some messages make nft check the type
  // first: one type as a plain match, echo as the set of request and reply.
  private icmpDependency(ctx: Ctx, protoName: string, dep: number | 'echo', loc: Location): void {
    const request = protoName === 'icmp' ? 8 : 128;
    const need = dep === 'echo' ? request : dep;
    if (ctx.icmpType === need) {
      // nft takes a match on the one type the field needs for the field's
      // dependency, and lists the field alone.
      const written = dep === 'echo' ? undefined : ctx.stmts.find((st) => st.kind === 'match' && st.left.kind === 'payload' && st.left.proto === protoName && st.left.field === 'type' && st.right.kind === 'const' && st.right.value === BigInt(need));
      if (written) (written as MatchStmt).dependency = true;
      return;
    }
    if (ctx.icmpType !== undefined) throw NftError.at(loc, `incompatible icmp match: rule has ${ctx.icmpType}, need ${need}`);
    const [offset, bits, type] = PROTOCOLS[protoName].fields.type;
    const left: TExpr = { kind: 'payload', proto: protoName, field: 'type', base: PayloadBase.Transport, offset, ...typed(type, bits, 'big') };
    const value = (v: number): TExpr => ({ kind: 'const', value: BigInt(v), ...typed(type, bits, 'big') });
    if (dep === 'echo') {
      const reply = protoName === 'icmp' ? 0 : 129;
      const set = this.newAnonSet(ctx, left, undefined);
      set.elements = [{ key: value(request) }, { key: value(reply) }];
      set.declaredSize = 2;
      ctx.stmts.push({ kind: 'match', op: 'implicit', left, right: { kind: 'setref', set, ...typed(type, bits, 'big') }, dependency: false });
    } else {
      ctx.stmts.push({ kind: 'match', op: '==', left, right: value(need), dependency: true });
    }
    ctx.icmpType = need;
  }

  // The tag a VLAN field reads: the first after the Ethernet header, which
  // must announce it, or the next when the last one's type announced another.
  private vlanTag(ctx: Ctx, loc: Location): number {
    if (ctx.vlanOffset === undefined) {
      if (ctx.linkType === undefined) this.addEtherType(ctx, VLAN.ethertype!, loc);
      else if (!VLAN_ETHERTYPES.includes(ctx.linkType)) throw NftError.at(loc, `conflicting protocols specified: ether vs. vlan`);
      ctx.vlanOffset = ETHER_HEADER_BYTES;
    } else if (ctx.linkType !== undefined && VLAN_ETHERTYPES.includes(ctx.linkType)) {
      ctx.vlanOffset += VLAN_TAG_BYTES;
    }
    ctx.linkType = undefined;
    return ctx.vlanOffset;
  }

  // A network header the link layer must announce: in a VLAN tag its type
  // (but in an ip or ip6 table, whose packets are all of one), else in
  // bridge and netdev tables the Ethernet type (ARP in a bridge) or meta
  // protocol.
  // Returns whether the announcement is settled.
  private linkDependency(ctx: Ctx, proto: ProtocolDesc, loc: Location): boolean {
    const et = proto.ethertype;
    if (et === undefined || proto.base !== PayloadBase.Network) return false;
    const inVlan = ctx.vlanOffset !== undefined || (ctx.linkType !== undefined && VLAN_ETHERTYPES.includes(ctx.linkType));
    // Once the rule knows the link layer is Ethernet (an Ethernet header or
    // iiftype matched), nft's context holds that header, whose type field
    // announces the network header, outside a bridge too.
    const etherKnown = this.etherKnown(ctx);
    if (ctx.family !== 'bridge' && ctx.family !== 'netdev' && !(ctx.family === 'inet' && (inVlan || etherKnown))) {
      if (proto.nfproto !== undefined || ctx.family === 'arp') return false;
      throw NftError.at(loc, `conflicting protocols specified: ${ctx.family} vs. ${proto.name}`);
    }
    if (ctx.linkType === et) {
      if (proto.nfproto !== undefined) ctx.nfproto = proto.nfproto;
      return true;
    }
    if (inVlan) {
      ctx.stmts.push(this.vlanTypeMatch(ctx, et, loc, true));
    } else if (ctx.linkType !== undefined) {
      const known = Object.values(PROTOCOLS).find((p) => p.ethertype === ctx.linkType && !p.stacked)?.name ?? 'ether';
      throw NftError.at(loc, `conflicting protocols specified: ${known} vs. ${proto.name}`);
    } else if (proto.nfproto !== undefined && !etherKnown) {
      return false;
    } else if (ctx.family === 'bridge' || etherKnown) {
      this.addEtherType(ctx, et, loc);
    } else {
      this.addDependency(ctx, 'protocol', et);
    }
    ctx.linkType = et;
    if (proto.nfproto !== undefined) ctx.nfproto = proto.nfproto;
    else {
      ctx.otherNetwork = et;
      ctx.nfprotoLoc = loc;
    }
    return true;
  }

  // The check that the innermost VLAN tag announces this Ethernet type.
  private vlanTypeMatch(ctx: Ctx, ethertype: number, loc: Location, hidden: boolean): TStmt {
    const tag = this.vlanTag(ctx, loc);
    const [offset, bits, type] = VLAN.fields.type;
    const left: TExpr = { kind: 'payload', proto: 'vlan', field: 'type', base: PayloadBase.LinkLayer, offset: offset + tag * 8, ...typed(type, bits, 'big') };
    return { kind: 'match', op: '==', left, right: { kind: 'const', value: BigInt(ethertype), ...typed(type, bits, 'big') }, dependency: hidden };
  }

  private etherKnown(ctx: Ctx): boolean {
    return ctx.etherDevice === true && (ctx.family === 'inet' || ctx.family === 'netdev') && ctx.nfproto === undefined;
  }

  private dependency(ctx: Ctx, protoName: string, loc: Location): void {
    const proto = PROTOCOLS[protoName];
    if (this.linkDependency(ctx, proto, loc)) return;
    // An Ethernet header outside a bridge is there only when the packet came
    // in through an Ethernet device.
    if (protoName === 'ether' && ctx.family !== 'bridge' && !ctx.etherDevice) {
      this.addDependency(ctx, 'iiftype', 1);
      ctx.etherDevice = true;
    } else if (protoName === 'ether' && ctx.family !== 'bridge') {
      // A written `meta iiftype ether` is the header's dependency: nft
      // lists it no more than the one it would add.
      const written = ctx.stmts.find((st) => st.kind === 'match' && !st.dependency && (st.op === '==' || st.op === 'implicit') && st.left.kind === 'meta' && st.left.key === MetaKey.Iiftype && st.right.kind === 'const' && st.right.value === 1n);
      if (written?.kind === 'match') written.dependency = true;
    }
    const familyNf = ctx.family === 'ip' ? 2 : ctx.family === 'ip6' ? 10 : undefined;
    const needNf = proto.nfproto ?? proto.onlyNfproto;
    // A transport header of one IP version needs no network check once its
    // protocol is known: nft's context then already holds that header.
    const known = proto.nfproto === undefined && proto.l4proto !== undefined && ctx.l4proto === proto.l4proto;
    if (needNf !== undefined && ctx.family !== 'arp' && !known) {
      // nft lets a transport header of the other IP version through in an
      // ip or ip6 table; only network headers conflict.
      if (familyNf !== undefined && familyNf !== needNf && proto.nfproto !== undefined) {
        throw NftError.at(loc, `conflicting protocols specified: ${ctx.family} vs. ${protoName}`);
      }
      if (familyNf === undefined && ctx.nfproto !== undefined && ctx.nfproto !== needNf && proto.nfproto !== undefined) {
        throw NftError.at(loc, `conflicting protocols specified: ${ctx.nfproto === 2 ? 'ip' : 'ip6'} vs. ${protoName}`);
      }
      if (familyNf === undefined && ctx.nfproto === undefined) {
        const etherKnown = this.etherKnown(ctx);
        if (ctx.family === 'inet' && !etherKnown) this.addDependency(ctx, 'nfproto', needNf);
        // A transport header of one IP version checks the Ethernet type
        // in a bridge, where the network header itself checks meta protocol.
        else if ((ctx.family === 'bridge' || etherKnown) && proto.nfproto === undefined) this.addEtherType(ctx, ETHERTYPE_OF[needNf]);
        else this.addDependency(ctx, 'protocol', ETHERTYPE_OF[needNf]);
        ctx.nfproto = needNf;
        if (proto.nfproto !== undefined) ctx.nfprotoLoc = loc;
      }
    }
    if (proto.l4proto !== undefined) {
      const other = ctx.l4protos !== undefined && ctx.l4protos.length > 1 ? ctx.l4protos.find((p) => p !== proto.l4proto) : undefined;
      if (other !== undefined) throw NftError.at(loc, `conflicting protocols specified: ${l4Name(other)} vs. ${protoName}`);
      if (ctx.l4proto !== undefined && ctx.l4proto !== proto.l4proto) {
        throw NftError.at(loc, `conflicting protocols specified: ${l4Name(ctx.l4proto)} vs. ${protoName}`);
      }
      if (ctx.l4proto === undefined) {
        this.addDependency(ctx, 'l4proto', proto.l4proto);
        ctx.l4proto = proto.l4proto;
        (ctx.l4protos ??= []).push(proto.l4proto);
        ctx.l4protoLoc = loc;
      }
    }
  }

  private addEtherType(ctx: Ctx, value: number, loc?: Location): void {
    if (loc) this.dependency(ctx, 'ether', loc);
    const [offset, bits, type] = PROTOCOLS.ether.fields.type;
    const left: TExpr = { kind: 'payload', proto: 'ether', field: 'type', base: PayloadBase.LinkLayer, offset, ...typed(type, bits, 'big') };
    ctx.stmts.push({ kind: 'match', op: '==', left, right: { kind: 'const', value: BigInt(value), ...typed(type, bits, 'big') }, dependency: true });
  }

  // first: at the start of the rule, where a reject's dependency goes.
  private addDependency(ctx: Ctx, key: 'nfproto' | 'l4proto' | 'protocol' | 'iiftype', value: number, hidden = true, first = false): void {
    const tmpl = META_KEYS[key];
    const left: TExpr = { kind: 'meta', key: tmpl.key, name: key, unqualified: false, ...typed(tmpl.type, tmpl.bits, tmpl.byteorder) };
    const right: TExpr = { kind: 'const', value: BigInt(value), ...typed(tmpl.type, tmpl.bits, tmpl.byteorder) };
    const stmt: TStmt = { kind: 'match', op: '==', left, right, dependency: hidden };
    if (first) ctx.stmts.unshift(stmt);
    else ctx.stmts.push(stmt);
  }

  // A constant of the type of `like`.
  private constOf(e: Expr, like: { type: Datatype; bits: number; byteorder: 'big' | 'host' }): TExpr & { kind: 'const' } {
    if (e.kind === 'variable') return this.constOf(this.variable(e), like);
    if (e.kind === 'binop' && e.op !== '<<' && e.op !== '>>') {
      const a = this.constOf(e.left, like).value;
      const b = this.constOf(e.right, like).value;
      const value = e.op === '&' ? a & b : e.op === '|' ? a | b : a ^ b;
      return { kind: 'const', value, ...typed(like.type, like.bits, like.byteorder) };
    }
    if (e.kind === 'list' && like.type.flags) {
      const value = e.items.reduce((acc, i) => acc | this.constOf(i, like).value, 0n);
      return { kind: 'const', value, ...typed(like.type, like.bits, like.byteorder) };
    }
    // A concatenation where one value is wanted: nft evaluates its parts
    // with no type to read them by.
    if (e.kind === 'concat' && e.items[0]?.kind === 'value') throw NftError.at(e.items[0].loc, `Can't parse symbolic invalid expressions`);
    if (e.kind !== 'value') throw NftError.at(e.loc, `syntax error`);
    if (like.type.name === 'string' || like.type.name === 'ifname') {
      if (like.type.name === 'string' && e.text === '') throw NftError.at(e.loc, `Could not parse ${like.type.desc}`);
      if (like.type.name === 'ifname' && e.text === '') throw NftError.at(e.loc, 'Empty string is not allowed');
    }
    const value = parseValue(like.type, like.bits, e, this.opts.interfaces, this.opts.accounts, this.opts.services, this.opts.cgroups);
    return { kind: 'const', value, text: e.quoted || like.type.print === 'string' ? e.text : undefined, ...typed(like.type, like.bits, like.byteorder) };
  }

  // nft's datatype_equal: a named set is looked up by keys of its own type
  // only (an IPv4 address in a set of IPv6 addresses is an error).
  private checkSetType(left: TExpr, right: TExpr, s: Stmt & { kind: 'match' }): void {
    if (right.kind !== 'setref' || right.set.anonymous || right.set.keyTypes.length !== 1 || left.kind === 'concat') return;
    const key = right.set.keyTypes[0]!;
    if (key.name !== left.type.name) throw NftError.between(s.right.loc, s.left.loc, `datatype mismatch, expected ${left.type.desc}, expression has type ${key.desc}`);
  }

  // A generator's values lie between 0 and the largest it gives (nft's
  // ectx.maxval).
  private checkMaxValue(left: TExpr, right: TExpr, e: Expr): void {
    const max = routingMaxValue(left);
    if (max === undefined) return;
    const values = right.kind === 'const' ? [[right, e] as const]
      : right.kind === 'setref' && right.set.anonymous && e.kind === 'set' ? right.set.elements.map((el, i) => [el.key, e.elements[i]?.key ?? e] as const) : [];
    for (const [v, at] of values) {
      const high = v.kind === 'range' ? v.high : v;
      if (high.kind === 'const' && high.value > max) throw NftError.at(at.kind === 'range' ? at.high.loc : at.loc, `Value ${high.value} exceeds valid range 0-${max}`);
    }
  }

  private rhs(ctx: Ctx, left: TExpr, e: Expr): TExpr {
    switch (e.kind) {
      case 'variable':
        return this.rhs(ctx, left, this.variable(e));
      case 'set': {
        // nft turns a one-element set into a plain match on that element,
        // variables and the sets they hold taken apart first.
        const flat = this.flatElements(e.elements);
        if (flat.length === 0) throw NftError.at(e.loc, 'Set is empty');
        if (flat.length === 1 && !flat[0].data && ['value', 'range', 'prefix'].includes(flat[0].key.kind)) return this.element(left, flat[0].key);
        return { kind: 'setref', set: this.anonSet(ctx, left, flat, undefined), ...typed(left.type, left.bits, left.byteorder) };
      }
      case 'setref': {
        const set = this.namedSet(ctx, e.name, e.loc);
        return { kind: 'setref', set, ...typed(left.type, left.bits, left.byteorder) };
      }
      case 'list':
        if (!left.type.flags) throw NftError.at(e.loc, `syntax error, unexpected comma`);
        return this.constOf(e, left);
      default:
        return this.element(left, e);
    }
  }

  // A value, range, prefix or concatenation of those, typed after `like`.
  element(like: TExpr | SetModel['keyType'], e: Expr, keyTypes?: Datatype[]): TExpr {
    if (e.kind === 'variable') return this.element(like, this.variable(e), keyTypes);
    if ('kind' in like && like.kind === 'concat' || keyTypes && keyTypes.length > 1) {
      const parts: { type: Datatype; bits: number; byteorder: 'big' | 'host' }[] =
        'kind' in like && like.kind === 'concat' ? like.items : keyTypes!.map((t) => typed(t, t.bits));
      const items = e.kind === 'concat' ? e.items : [e];
      if (items.length !== parts.length) throw NftError.at(e.loc, `datatype mismatch`);
      const typedItems = items.map((item, i) => this.element(parts[i] as TExpr, item));
      return { kind: 'concat', items: typedItems, type: parts[0].type, bits: like.bits, byteorder: 'big' };
    }
    // expr_evaluate_string: a trailing '*' makes a match on the bytes before
    // it (a prefix without the NUL); after a backslash it is a literal star,
    // and every backslash of the string goes.
    if (e.kind === 'value' && like.type.print === 'string' && e.text.endsWith('*')) {
      const stem = e.text.slice(0, -1);
      if (stem === '') throw NftError.at(e.loc, 'All-wildcard strings are not supported');
      if (stem.endsWith('\\')) return this.constOf({ ...e, text: e.text.replaceAll('\\', '') }, like);
      const value = this.constOf({ ...e, text: stem }, like);
      return { kind: 'prefix', value, length: UTF8.encode(stem).length * 8, ...typed(like.type, like.bits, like.byteorder) };
    }
    if (e.kind === 'range') {
      const low = this.constOf(e.low, like);
      const high = this.constOf(e.high, like);
      // An hour range may cross midnight once in UTC: the match turns it.
      if (high.value < low.value && like.type.print !== 'hour') throw NftError.at(e.loc, `Range has zero or negative size`);
      return { kind: 'range', low, high, ...typed(like.type, like.bits, like.byteorder) };
    }
    if (e.kind === 'prefix') {
      const value = this.constOf(e.expr, like);
      if (e.length > like.bits) throw NftError.at(e.loc, `Prefix length ${e.length} is invalid for type of ${like.bits} bits width`);
      return { kind: 'prefix', value, length: e.length, ...typed(like.type, like.bits, like.byteorder) };
    }
    return this.constOf(e, like);
  }

  private valueExpr(ctx: Ctx, e: Expr, like: { type: Datatype; bits: number; byteorder: 'big' | 'host' }): TExpr {
    if (e.kind === 'set') throw NftError.at(e.loc, `you cannot use a set here, unsupported operation`);
    if (e.kind === 'variable') return this.valueExpr(ctx, this.variable(e), like);
    if (e.kind === 'value' || e.kind === 'list') return this.constOf(e, like);
    if (e.kind === 'binop' && isConstTree(e)) return this.constOf(e, like);
    if (e.kind === 'map') {
      this.requireAddressFamily(e.key);
      const key = this.expr(ctx, e.key);
      const set = this.mapping(ctx, key, e.mapping, like);
      return { kind: 'map', key, set, ...typed(like.type, like.bits, like.byteorder) };
    }
    const v = this.expr(ctx, e);
    return v;
  }

  private namedSet(ctx: Ctx, name: string, loc: Location): SetModel {
    const set = ctx.table.sets.find((s) => s.name === name);
    if (!set) throw this.setNotFound(name, loc);
    return set;
  }

  // nft's set_not_found: a named set or map of any table by a like name.
  // A variable that holds a set stands for its elements, as nft merges a
  // set defined of other defined sets.
  flatten(elements: SetElement[]): SetElement[] {
    return elements.flatMap((el) => {
      if (el.key.kind === 'set' && !el.data) return this.flatten(el.key.elements);
      if (el.key.kind !== 'variable' || el.data) return [el];
      const v = this.variable(el.key);
      return v.kind === 'set' ? this.flatten(v.elements) : [el];
    });
  }

  setNotFound(name: string, loc: Location): NftError {
    const like = closestName(name, this.model.sets.filter((s) => !s.anonymous && !s.elementsOf && !s.deleted).map((s) => [s.name, s]));
    if (!like) return NftError.at(loc, `No such file or directory`);
    return NftError.at(loc, `No such file or directory; did you mean ${like.isMap ? 'map' : 'set'} ‘${like.name}’ in table ${like.table.family} ‘${like.table.name}’?`);
  }

  private mapping(ctx: Ctx, key: TExpr, e: Expr, data: { type: Datatype; bits: number; byteorder: 'big' | 'host' } | undefined): SetModel {
    if (e.kind === 'setref') return this.namedSet(ctx, e.name, e.loc);
    if (e.kind !== 'set') throw NftError.at(e.loc, `syntax error`);
    return this.anonSet(ctx, key, e.elements, data ?? typed(TYPES.integer, 32, 'host'));
  }

  // A NAT map whose data `data` makes of each element's (ranges, or an
  // address and a port), of the type `dataType`.
  private natMap(ctx: Ctx, e: Expr & { kind: 'map' }, dataType: { type: Datatype; bits: number; byteorder: 'big' | 'host' }, data: (d: Expr) => TExpr): TExpr & { kind: 'map' } {
    if (e.mapping.kind !== 'set') throw NftError.at(e.mapping.loc, `syntax error`);
    this.requireAddressFamily(e.key);
    const key = this.expr(ctx, e.key);
    const source = e.mapping.elements;
    // The keys are read as any map's, with a stand-in for the data.
    const standIn: Expr = { kind: 'value', text: '0', quoted: false, loc: e.loc };
    const set = this.anonSet(ctx, key, source.map((el) => ({ ...el, data: standIn })), typed(TYPES.integer, 32, 'host'));
    set.elements = set.elements.map((el, i) => ({ ...el, data: data(source[i]!.data!) }));
    set.dataType = typed(dataType.type, dataType.bits, dataType.byteorder);
    return { kind: 'map', key, set, ...set.dataType };
  }

  newAnonSet(ctx: Ctx, key: TExpr, data: SetModel['dataType']): SetModel {
    const table = ctx.table;
    const set: SetModel = {
      name: data ? '__map%d' : '__set%d', table, handle: table.nextHandle++, index: this.model.sets.length, anonymous: true,
      isMap: data !== undefined, interval: false, keyTypes: key.kind === 'concat' ? key.items.map((i) => i.type) : [key.type],
      keyType: typed(key.type, key.bits, key.byteorder), keyShift: payloadShift(key), dataType: data, elements: [], flagNames: [], autoMerge: true, dynamic: false, updated: false,
    };
    ctx.rule.anonSets.push(set);
    this.model.sets.push(set);
    return set;
  }

  private anonSet(ctx: Ctx, key: TExpr, elements: SetElement[], data: SetModel['dataType']): SetModel {
    const set = this.newAnonSet(ctx, key, data);
    const keyLike = key.kind === 'concat' ? key : set.keyType;
    set.elements = this.elements(set, elements, keyLike);
    sameKeyElements(this, set, set.elements, this.flatten(elements), []);
    set.interval = set.elements.some((el) => el.key.kind === 'range' || el.key.kind === 'prefix' || el.key.kind === 'concat' && el.key.items.some((i) => i.kind === 'range' || i.kind === 'prefix'));
    if (set.interval && set.keyTypes.length === 1 && set.isMap) this.checkOverlaps(set.elements, elements);
    set.declaredSize = set.elements.length;
    return set;
  }

  // Intervals of a map or of a named set that does not merge must not
  // overlap: the one starting inside another is reported.
  private checkOverlaps(els: SetElementModel[], source: SetElement[], markOther = false): void {
    const order = els.map((el, i) => ({ ...bounds(el.key), i })).sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0));
    for (let k = 1; k < order.length; k++) {
      if (order[k].lo > order[k - 1].hi) continue;
      throw NftError.between(source[order[k].i].key.loc, markOther ? source[order[k - 1].i].key.loc : undefined, `conflicting intervals specified`);
    }
  }

  // nft_add_set_elem: a timeout or expiry only in a set with timeouts,
  // where an element without its own takes the set's.
  private elementTimes(set: SetModel, el: SetElement): Pick<SetElementModel, 'timeoutMs' | 'expiresMs'> {
    const ms = (e: Expr | undefined): bigint | undefined => e && this.constOf(e, typed(TYPES.time, 32, 'host')).value;
    const own = ms(el.timeout);
    const expires = ms(el.expires);
    if (!set.flagNames.includes('timeout')) {
      if (own !== undefined || expires !== undefined) this.kernelErrors.push(NftError.kernel(el.key.loc, `Invalid argument`));
      return {};
    }
    const timeout = own ?? set.timeout;
    if (!timeout && expires === undefined) return {};
    return { ...(timeout ? { timeoutMs: timeout } : {}), expiresMs: expires ?? timeout };
  }

  elements(set: SetModel, elements: SetElement[], keyLike: TExpr | SetModel['keyType'] | undefined): SetElementModel[] {
    return this.flatten(elements).map((el) => {
      const catchAll = el.key.kind === 'catchall';
      if (catchAll && set.interval) throw NftError.at(el.key.loc, `the catch-all element of an interval set is not supported by nftwasm`);
      const key = catchAll ? { kind: 'const' as const, value: 0n, ...set.keyType } : this.element(keyLike ?? set.keyType, el.key, keyLike ? undefined : set.keyTypes);
      if (set.isMap && !el.data) throw NftError.at(el.loc, `syntax error, missing map data`);
      let data: TExpr | undefined;
      if (el.data) {
        if (!set.isMap) throw NftError.at(el.loc, `syntax error`);
        const dt = set.dataType!;
        if (el.data.kind === 'verdict') {
          if (dt.type !== TYPES.verdict) throw NftError.at(el.data.loc, `datatype mismatch`);
          const target = el.data.chain !== undefined ? this.jumpTarget({ table: set.table } as Ctx, el.data.chain, el.key.loc) : undefined;
          data = { kind: 'verdict', verdict: el.data.verdict, chain: target, ...typed(TYPES.verdict, 32, 'host') };
        } else {
          data = this.constOf(el.data, dt);
        }
      }
      // nft's set_elem_expr_stmts: an element's counter is the set's.
      if (el.counter && !set.counter) throw NftError.at(el.counter.loc, `missing statement in set declaration`);
      const counter = set.counter ? { packets: el.counter?.packets ?? 0n, bytes: el.counter?.bytes ?? 0n } : undefined;
      return { key, data, comment: el.comment, ...(catchAll ? { catchAll } : {}), ...(counter ? { counter } : {}), ...this.elementTimes(set, el) };
    });
  }
}

const lineCache = new WeakMap<SourceFile, string[]>();

// Whether the source text at loc starts with word.
function writtenAs(loc: Location, word: string): boolean {
  let lines = lineCache.get(loc.file);
  if (!lines) {
    lines = loc.file.text.split('\n');
    lineCache.set(loc.file, lines);
  }
  return lines[loc.line - 1].startsWith(word, loc.column - 1);
}

// Strings are kept with their first byte lowest; intervals of them order
// as the kernel's memcmp does, first byte highest (nft's wildcard fix: "eth*"
// spans "eth\0..." to "eth\xff...").
function stringOrder(e: TExpr, v: bigint): bigint {
  return e.type.print === 'string' ? fromBytes(toBytes(v, e.bits, 'host'), 'big') : v;
}

export function fromStringOrder(e: TExpr, v: bigint): bigint {
  return e.type.print === 'string' ? fromBytes(toBytes(v, e.bits, 'big'), 'host') : v;
}

function impliedByFamily(family: Family, s: TStmt): boolean {
  const own = family === 'ip' ? ETHERTYPE_OF[2] : family === 'ip6' ? ETHERTYPE_OF[10] : undefined;
  return own !== undefined && s.kind === 'match' && s.left.kind === 'meta' && s.left.key === MetaKey.Protocol && s.op === '==' && s.right.kind === 'const' && s.right.value === BigInt(own);
}

// A match that settles the IP version (nfproto 2 or 10): meta nfproto,
// meta protocol or the Ethernet type.
function isVersionMatch(m: TStmt & { kind: 'match' }, nfproto: number): boolean {
  const e = m.left;
  const value = m.right.kind === 'const' ? Number(m.right.value) : undefined;
  if (e.kind === 'meta' && e.key === MetaKey.Nfproto) return value === nfproto;
  const ethertype = (e.kind === 'meta' && e.key === MetaKey.Protocol) || (e.kind === 'payload' && e.proto === 'ether' && e.field === 'type');
  return ethertype && value === ETHERTYPE_OF[nfproto];
}

// An element's first and last value.
export function bounds(e: TExpr): { lo: bigint; hi: bigint } {
  const value = (c: TExpr) => stringOrder(e, (c as TExpr & { kind: 'const' }).value);
  if (e.kind === 'range') return { lo: value(e.low), hi: value(e.high) };
  if (e.kind === 'prefix') {
    const host = BigInt(e.bits - e.length);
    const lo = (value(e.value) >> host) << host;
    return { lo, hi: lo | ((1n << host) - 1n) };
  }
  const v = value(e);
  return { lo: v, hi: v };
}

type Mergeable = MatchStmt | (TStmt & { kind: 'joined' });

function mergeKey(s: TStmt): { base: number; offset: number; bits: number } | undefined {
  if (s.kind === 'joined') {
    const first = s.parts[0].left as TExpr & { kind: 'payload' };
    return { base: first.base, offset: first.offset, bits: s.parts.reduce((a, p) => a + p.left.bits, 0) };
  }
  if (s.kind !== 'match' || s.left.kind !== 'payload' || s.left.exthdr || s.right.kind !== 'const') return undefined;
  if (s.op !== '==' && s.op !== '!=' && !(s.op === 'implicit' && !s.left.type.flags)) return undefined;
  return { base: s.left.base, offset: s.left.offset, bits: s.left.bits };
}

function eqOp(s: Mergeable): '==' | '!=' {
  return s.op === '!=' ? '!=' : '==';
}

// nft's payload_can_merge: byte-aligned neighbours that still fit one
// 32-bit load (wider only at the link layer or with a field already wider).
function canMerge(a: { base: number; offset: number; bits: number }, b: { base: number; offset: number; bits: number }): boolean {
  if (a.base !== b.base || a.offset + a.bits !== b.offset) return false;
  if (a.offset % 8 || a.bits % 8 || b.offset % 8 || b.bits % 8) return false;
  const total = a.bits + b.bits;
  if (total > 128) return false;
  return total <= 32 || a.base === PayloadBase.LinkLayer || a.bits > 32 || b.bits > 32;
}

// Equality matches on adjacent header fields become one, as nft's
// stmt_reduce does: candidates collect until a statement other than a
// match once two are found, sort by header position, and each joins the
// previous one when adjacent, taking its place in the rule.
function mergePayloads(stmts: TStmt[]): TStmt[] {
  const out = [...stmts];
  let group: number[] = [];
  const flush = () => {
    const sorted = [...group].sort((x, y) => {
      const a = mergeKey(out[x])!;
      const b = mergeKey(out[y])!;
      return a.base - b.base || a.offset - b.offset;
    });
    let last = sorted[0];
    for (const i of sorted.slice(1)) {
      const a = out[last] as Mergeable;
      const b = out[i] as Mergeable;
      if (!canMerge(mergeKey(a)!, mergeKey(b)!) || eqOp(a) !== eqOp(b)) {
        last = i;
        continue;
      }
      const parts = [...(a.kind === 'joined' ? a.parts : [a]), ...(b.kind === 'joined' ? b.parts : [b])];
      // The merged load takes the place of the first match in the rule.
      const [keep, drop] = last < i ? [last, i] : [i, last];
      out[keep] = { kind: 'joined', op: eqOp(a), parts };
      out[drop] = undefined as unknown as TStmt;
      last = keep;
    }
    group = [];
  };
  out.forEach((s, i) => {
    if (s.kind !== 'match' && s.kind !== 'vmap') {
      if (group.length >= 2) flush();
      return;
    }
    if (s.kind === 'match' && mergeKey(s)) group.push(i);
  });
  if (group.length >= 2) flush();
  return out.filter((s) => s !== undefined);
}

// The bytes a header field spans, and the bits past a whole number of
// bytes of its own width that it needs for that (nft's extra_len).
function spannedBytes(e: TExpr & { kind: 'payload' }): number {
  return Math.ceil((e.offset + e.bits) / 8) - Math.floor(e.offset / 8);
}

// nft writes a field that is not whole bytes, or an odd number of bytes
// under a checksum, merged with the bytes around it (stmt_evaluate_payload):
// the value, extracted from its own bytes when it is such a field too, is
// shifted into place and xored into them, which only a constant can be. The
// first of those steps that fails gives the error.
function mergedWriteError(target: TExpr & { kind: 'payload' }, value: TExpr, targetLoc: Location, valueLoc: Location): NftError {
  let valueBits = value.bits;
  if (value.kind === 'payload' && (value.offset % 8 !== 0 || value.bits % 8 !== 0)) {
    const extract = payloadShift(value);
    const extra = spannedBytes(value) * 8 - Math.ceil(value.bits / 8) * 8;
    if (extra === 0 && extract > 0 && extract >= value.bits) return NftError.at(valueLoc, `Right shift of ${extract} bits is undefined for type of ${value.bits} bits width`);
    valueBits += extra;
  }
  const checksummed = checksumOf(target) !== undefined;
  const shift = payloadShift(target) + (checksummed && spannedBytes(target) % 2 === 1 && Math.floor(target.offset / 8) % 2 === 0 ? 8 : 0);
  if (shift > 0 && shift >= valueBits) return NftError.between(targetLoc, valueLoc, `Left shift of ${shift} bits is undefined for type of ${valueBits} bits width`);
  const xor = 'Right hand side of binary operation (^) must be constant';
  return shift > 0 ? NftError.at(targetLoc, xor) : NftError.between(valueLoc, targetLoc, xor);
}

// How far a header field's value sits above the end of its last byte.
// A TCP option's field, or its presence, from what followed `tcp option`;
// listed as nft lists it (`sack0 left` as `sack left`, a kind by its name).
function tcpOptionExpr(text: string): TExpr {
  const base = PayloadBase.Transport;
  const raw = /^@(\d+),(\d+),(\d+)$/.exec(text);
  if (raw) {
    const [kind, offset, bits] = raw.slice(1).map(Number);
    return { kind: 'payload', proto: 'tcp option', field: text, base, offset, exthdr: { op: ExthdrOp.TcpOpt, type: kind, present: false }, ...typed(TYPES.integer, bits, 'big') };
  }
  const [name, fieldName] = text.split(' ');
  if (fieldName === undefined) {
    const kind = /^\d+$/.test(name) ? Number(name) : tcpOptionByName(name)!.kind;
    return { kind: 'payload', proto: 'tcp option', field: tcpOptionName(kind), base, offset: 0, exthdr: { op: ExthdrOp.TcpOpt, type: kind, present: true }, ...typed(TYPES.boolean, 8, 'host') };
  }
  const { option, field } = tcpOptionField(name, fieldName)!;
  const [offset, bits, type] = option.fields[field];
  const listed = field.includes(' ') ? field : `${option.name} ${field}`;
  return { kind: 'payload', proto: 'tcp option', field: listed, base, offset, exthdr: { op: ExthdrOp.TcpOpt, type: option.kind, present: false }, ...typed(type, bits, 'big') };
}

// The header a write to this payload must keep the checksum of, if any.
export function checksumOf(target: TExpr & { kind: 'payload' }): ProtocolDesc | undefined {
  const proto = target.raw || target.exthdr ? undefined : PROTOCOLS[target.proto];
  return proto?.checksum === undefined ? undefined : proto;
}

export function payloadShift(e: TExpr): number {
  if (e.kind !== 'payload') return 0;
  const first = Math.floor(e.offset / 8);
  const last = Math.ceil((e.offset + e.bits) / 8);
  return last * 8 - e.offset - e.bits;
}

// The name nft gives the transport protocol a rule already matched.
function l4Name(n: number): string {
  return Object.values(PROTOCOLS).find((p) => p.l4proto === n)?.name ?? symbolName(TYPES.inet_proto, n) ?? String(n);
}

function normaliseIcmpType(proto: string, type: number): number {
  if (proto === 'icmp') return type === 0 ? 8 : type;
  return type === 129 ? 128 : type;
}

function isConstTree(e: Expr): boolean {
  if (e.kind === 'value') return true;
  if (e.kind === 'binop') return isConstTree(e.left) && isConstTree(e.right);
  return false;
}

export function protocolNumber(name: string): number | undefined {
  return PROTO_NUMBERS.find(([n]) => n === name)?.[1];
}

export function evaluate(file: SourceFile, opts: CompileOptions): RulesetModel {
  return new Evaluator(opts).run(file);
}

export type { BatchItem, PayloadBase };
