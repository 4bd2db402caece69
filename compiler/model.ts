// The evaluated ruleset: tables, chains, sets and rules with typed
// expressions. The linearizer turns it into instructions, the listing
// printer turns it back into canonical nft text.
import type { CtDir, ExthdrOp, FibResult, HashType, MetaKey, NumgenType, PayloadBase, RejectType, RtKey, SocketKey, XfrmKey } from '../assembly/abi.js';
import type { Family, LogOptions, RejectIcmp, VerdictName } from './ast.js';
import type { ByteOrder, Datatype } from './datatypes.js';
import type { Location } from './errors.js';
import type { CtExpectModel, CtTimeoutModel } from './ct-objects.js';
import type { FlowtableModel, ForwardingModel } from './forwarding.js';
import type { NatModel } from './nat.js';
import type { CtTemplate, MetaTemplate } from './selectors.js';

interface Typed {
  type: Datatype;
  bits: number;
  byteorder: ByteOrder;
}

export type TExpr =
  | (Typed & { kind: 'ct'; tmpl: CtTemplate; dir?: CtDir; proto?: 'ip' | 'ip6' })
  | (Typed & { kind: 'meta'; key: MetaKey; name: string; unqualified: boolean })
  // raw: written as `@base,offset,length`, so of no protocol whose
  // checksum a write would update, whatever field it is listed as.
  // exthdr: a TCP option's or IPv6 extension header's field (offset from
  // its start), read by finding it; present: whether it is there.
  | (Typed & { kind: 'payload'; proto: string; field: string; base: PayloadBase; offset: number; raw?: boolean; exthdr?: ExthdrRef })
  | (Typed & { kind: 'const'; value: bigint; text?: string })
  | (Typed & { kind: 'binop'; op: '&' | '|' | '^' | '<<' | '>>'; left: TExpr; right: TExpr })
  | (Typed & { kind: 'concat'; items: TExpr[] })
  // pairwise: a NAT map's data, lowest and highest concatenations listed
  // part by part.
  | (Typed & { kind: 'range'; low: TExpr; high: TExpr; pairwise?: boolean })
  | (Typed & { kind: 'prefix'; value: TExpr; length: number })
  | (Typed & { kind: 'setref'; set: SetModel })
  | (Typed & { kind: 'map'; key: TExpr; set: SetModel })
  | (Typed & { kind: 'verdict'; verdict: VerdictName; chain?: ChainModel })
  | (Typed & { kind: 'fib'; flags: number; result: FibResult })
  | (Typed & { kind: 'rt'; key: RtKey })
  // slot: the state slot of an incremental generator's counter.
  | (Typed & { kind: 'numgen'; mode: NumgenType; mod: number; offset: number; slot: number })
  | (Typed & { kind: 'hash'; fn: HashType; key?: TExpr; mod: number; seed?: number; offset: number })
  // level: the cgroup level of cgroupv2.
  | (Typed & { kind: 'socket'; key: SocketKey; level?: number })
  | (Typed & { kind: 'xfrm'; dir: number; spnum: number; key: XfrmKey })
  | (Typed & { kind: 'osf'; ttl: number; version: boolean });

export interface ExthdrRef {
  op: ExthdrOp;
  type: number;
  present: boolean;
}

export type CmpRel = '==' | '!=' | '<' | '>' | '<=' | '>=';

export type MatchStmt = { kind: 'match'; op: CmpRel | 'implicit' | '!'; left: TExpr; right: TExpr; dependency: boolean };

export type TStmt =
  | MatchStmt
  // Equality matches on adjacent header fields, compared with one load as
  // nft merges them (rule.c: stmt_reduce); parts in header order.
  | { kind: 'joined'; op: '==' | '!='; parts: MatchStmt[] }
  | { kind: 'verdict'; verdict: VerdictName; chain?: ChainModel }
  | { kind: 'vmap'; key: TExpr; set: SetModel }
  | { kind: 'counter'; index: number; packets: bigint; bytes: bigint }
  // loc: where `ct expectation set` is, which the data plane refuses.
  | { kind: 'objref'; objType: number; object: ObjectModel; loc?: Location }
  // `counter name KEY map { ... }`, `ct helper set KEY map { ... }`.
  // states: the quotas or limits the elements number, in that order.
  | { kind: 'objmap'; objType: number; key: TExpr; set: SetModel; states?: (TStmt & { kind: 'quota' | 'limit' })[] }
  | { kind: 'ctset'; tmpl: CtTemplate; dir?: CtDir; value: TExpr }
  | { kind: 'metaset'; tmpl: MetaTemplate; unqualified: boolean; value: TExpr }
  | { kind: 'payloadset'; target: TExpr & { kind: 'payload' }; value: TExpr }
  // `reset tcp option`: the option of this kind overwritten with NOPs.
  | { kind: 'optreset'; option: number }
  | { kind: 'notrack' }
  // isDefault: the family's own answer, which nft lists as a bare `reject`.
  | { kind: 'reject'; type: RejectType; code: number; icmp: 'tcp' | RejectIcmp; isDefault: boolean }
  // Queues first to last (a range when they differ), QueueFlags.
  // or the number a map gives (sreg_qnum).
  | { kind: 'queue'; first: number; last: number; flags: number; map?: TExpr }
  | ({ kind: 'log'; index: number } & LogOptions)
  | { kind: 'connlimit'; count: number; over: boolean }
  | { kind: 'limit'; slot: number; rate: bigint; unit: number; bytes: boolean; burst: bigint; over: boolean }
  | { kind: 'quota'; slot: number; bytes: bigint; used: bigint; over: boolean }
  | NatModel
  | ForwardingModel
  // exprs: the statements each element keeps its own state of (a meter's
  // one, at most two in a set element); loc: the meter's, which the data
  // plane refuses.
  | { kind: 'dynset'; op: 'add' | 'update' | 'delete'; set: SetModel; key: TExpr; timeout?: bigint; data?: TExpr; exprs?: TStmt[]; loc?: Location };

export interface SetElementModel {
  key: TExpr;
  data?: TExpr;
  comment?: string;
  // The element's counter and what it starts from.
  counter?: { packets: bigint; bytes: bigint };
  // In a set with timeouts: the element's timeout (its own or the set's;
  // none: it stays) and the time it has left when loaded, in milliseconds.
  timeoutMs?: bigint;
  expiresMs?: bigint;
  // The catch-all element (`*`), which matches what no other does; its
  // key is zero.
  catchAll?: boolean;
  // An object map's data: the object's name (data holds its index).
  objName?: string;
  // Deleted by a later command: still in what nft sends, gone once loaded.
  deleted?: boolean;
}

export interface SetModel {
  name: string;
  table: TableModel;
  handle: number;
  index: number;
  anonymous: boolean;
  isMap: boolean;
  interval: boolean;
  keyTypes: Datatype[];
  keyType: Typed;
  // Bits the key's values sit above the end of the bytes the lookup loads
  // (header fields that do not end on a byte boundary).
  keyShift: number;
  dataType?: Typed;
  elements: SetElementModel[];
  flagNames: string[];
  // Adjacent and overlapping intervals become one, as in every anonymous
  // set (nft's automerge).
  autoMerge: boolean;
  comment?: string;
  // Element count at declaration, for anonymous sets' "size"; a named
  // set's declared size.
  declaredSize?: number;
  // Declared dynamic, or made so by a rule that adds to it.
  dynamic: boolean;
  // Rules add to it or delete from it: the kernel then gives it a size
  // when it was declared without one.
  updated: boolean;
  // A meter's set: anonymous, its elements made by its rule alone.
  meter?: boolean;
  // Declared with `counter`: each element has one.
  counter?: boolean;
  loc?: Location;
  // Default timeout of its elements in milliseconds.
  timeout?: bigint;
  // How often the kernel looks for expired elements, in milliseconds.
  gcInterval?: bigint;
  // Declared with `typeof`: the selectors, for the listing.
  typeofKey?: TExpr[];
  typeofData?: TExpr;
  // Deleted by a later command (see SetElementModel.deleted).
  deleted?: boolean;
  // An object map: the type of the objects its elements name.
  objType?: number;
  // A command's elements added to (or deleted from, flushed from) a set
  // declared before: nft sends them in a message of their own.
  elementsOf?: { set: SetModel; op: 'add' | 'delete' };
}

export interface RuleModel {
  handle: number;
  chain: ChainModel;
  stmts: TStmt[];
  anonSets: SetModel[];
  comment?: string;
  counter?: number;
  loc?: Location;
  deleted?: boolean;
  // The ids nft gives rules placed by index in the same batch: the rule
  // another is placed next to, and where this one goes.
  id?: number;
  positionId?: number;
  // The rule this one replaces, whose handle it takes.
  replaces?: RuleModel;
  // The hooks the kernel takes its expressions under (fib, rt mtu, socket,
  // ipsec, osf), when they limit them.
  hooks?: string[];
}

export interface ChainModel {
  name: string;
  table: TableModel;
  handle: number;
  index: number;
  type?: string;
  hook?: string;
  device?: string;
  priority?: number;
  policy?: 'accept' | 'drop';
  rules: RuleModel[];
  deleted?: boolean;
}

export type ObjectModel =
  | { kind: 'cthelper'; name: string; handle: number; helper: string; protocol: number; l3proto: number; family: number; l3protoName?: string; protocolName: string }
  | { kind: 'counter'; name: string; handle: number; index: number; packets: bigint; bytes: bigint }
  | { kind: 'quota'; name: string; handle: number; stmt: TStmt & { kind: 'quota' } }
  | { kind: 'limit'; name: string; handle: number; stmt: TStmt & { kind: 'limit' } }
  | CtTimeoutModel
  | CtExpectModel
  // index: its place among the ruleset's synproxy objects.
  | { kind: 'synproxy'; name: string; handle: number; index: number; mss: number; wscale: number; flags: number };

export interface TableModel {
  family: Family;
  name: string;
  handle: number;
  chains: ChainModel[];
  sets: SetModel[];
  objects: ObjectModel[];
  flowtables: FlowtableModel[];
  nextHandle: number;
  deleted?: boolean;
}

// Everything the ruleset holds, in the order nft sends it to the kernel.
export type BatchItem =
  // bare: declared again without its hook.
  | { kind: 'chain'; chain: ChainModel; bare?: boolean }
  | { kind: 'object'; table: TableModel; object: ObjectModel }
  | { kind: 'set'; set: SetModel }
  | { kind: 'elements'; set: SetModel }
  | { kind: 'flowtable'; flowtable: FlowtableModel }
  | { kind: 'rule'; rule: RuleModel };

export interface RulesetModel {
  tables: TableModel[];
  chains: ChainModel[];
  sets: SetModel[];
  flowtables: FlowtableModel[];
  batch: BatchItem[];
  counterCount: number;
  // State slots of limits and quotas.
  stateSlots: number;
  logs: LogOptions[];
  conntrack: boolean;
  accounting: boolean;
  // Something was deleted: what is loaded differs from what was sent.
  deletions: boolean;
  // Rule ids given so far (see RuleModel.id).
  ruleIds: number;
  // The first rule with a fib lookup, which needs the host's routes.
  routeLookup?: Location;
  // A rule counts with numgen inc, a state each worker would keep alone.
  numgenInc?: boolean;
}
