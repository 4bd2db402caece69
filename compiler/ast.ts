// The syntax tree the parser builds, before types are known.
import type { Location } from './errors.js';

export type Family = 'ip' | 'ip6' | 'inet' | 'arp' | 'bridge' | 'netdev';

export type Expr =
  | { kind: 'value'; text: string; quoted: boolean; loc: Location }
  | { kind: 'variable'; name: string; loc: Location }
  | { kind: 'setref'; name: string; loc: Location }
  // `*` among a set's elements: the catch-all element.
  | { kind: 'catchall'; loc: Location }
  | { kind: 'ct'; key: string; dir?: 'original' | 'reply'; proto?: 'ip' | 'ip6'; loc: Location }
  | { kind: 'meta'; key: string; loc: Location }
  | { kind: 'payload'; proto: string; field: string; loc: Location }
  | { kind: 'binop'; op: '&' | '|' | '^' | '<<' | '>>'; left: Expr; right: Expr; loc: Location }
  | { kind: 'concat'; items: Expr[]; loc: Location }
  | { kind: 'prefix'; expr: Expr; length: number; loc: Location }
  | { kind: 'range'; low: Expr; high: Expr; loc: Location }
  | { kind: 'list'; items: Expr[]; loc: Location }
  | { kind: 'set'; elements: SetElement[]; loc: Location }
  | { kind: 'map'; key: Expr; mapping: Expr; loc: Location }
  | { kind: 'verdict'; verdict: VerdictName; chain?: string; chainLoc?: Location; loc: Location }
  // `fib TUPLE RESULT`: FibFlags of the tuple, FibResult.
  | { kind: 'fib'; flags: number; result: number; loc: Location }
  // `rt [ip|ip6] KEY`: the key as written.
  | { kind: 'rt'; key: string; proto?: 'ip' | 'ip6'; loc: Location }
  // `numgen inc|random mod N [offset M]`, as u32 the kernel takes.
  | { kind: 'numgen'; mode: number; mod: number; offset: number; loc: Location }
  // `jhash EXPR mod N [seed S] [offset M]`, `symhash mod N [offset M]`.
  | { kind: 'hash'; fn: number; key?: Expr; mod: number; seed?: number; offset: number; loc: Location }
  | { kind: 'socket'; key: number; level?: number; loc: Location }
  // `ipsec in|out [spnum N] KEY`: XfrmKey.
  | { kind: 'xfrm'; dir: number; spnum: number; key: number; loc: Location }
  // `osf [ttl loose|skip] name|version`: the ttl mode, whether the version.
  | { kind: 'osf'; ttl: number; version: boolean; loc: Location };

export interface SetElement {
  key: Expr;
  data?: Expr;
  comment?: string;
  // `counter [packets N bytes M]` after the key.
  counter?: { packets: bigint; bytes: bigint; loc: Location };
  // `timeout T` and `expires T`: the element's own timeout, and the time
  // left of it when the ruleset loads.
  timeout?: Expr;
  expires?: Expr;
  loc: Location;
}

export type VerdictName = 'accept' | 'drop' | 'continue' | 'return' | 'jump' | 'goto';

// The ICMP family a `reject` answers with.
export type RejectIcmp = 'icmp' | 'icmpv6' | 'icmpx';

export type RelOp = 'implicit' | '==' | '!=' | '<' | '>' | '<=' | '>=' | '!';

export type Stmt =
  | { kind: 'match'; op: RelOp; left: Expr; right: Expr; mask?: Expr; loc: Location }
  | { kind: 'verdict'; verdict: VerdictName; chain?: string; chainLoc?: Location; loc: Location }
  | { kind: 'vmap'; key: Expr; mapping: Expr; loc: Location }
  | { kind: 'counter'; name?: string; nameLoc?: Location; packets?: bigint; bytes?: bigint; loc: Location }
  // `quota name X`, `limit name X`.
  | { kind: 'namedref'; objType: 'quota' | 'limit' | 'synproxy'; name: string; nameLoc: Location; loc: Location }
  // `counter name KEY map { ... }`: the object the key maps to.
  | { kind: 'objmap'; objType: 'counter' | 'quota' | 'limit' | 'synproxy'; map: Expr & { kind: 'map' }; loc: Location }
  | { kind: 'ctset'; key: string; dir?: 'original' | 'reply'; value: Expr; loc: Location }
  | { kind: 'metaset'; key: string; value: Expr; loc: Location }
  | { kind: 'payloadset'; target: Expr & { kind: 'payload' }; value: Expr; loc: Location }
  // `reset tcp option X`, X a name or a kind as written.
  | { kind: 'optreset'; option: string; loc: Location }
  | { kind: 'notrack'; loc: Location }
  // `reject [with tcp reset | with icmp|icmpv6|icmpx [type] CODE]`
  | { kind: 'reject'; with?: 'tcp' | RejectIcmp; code?: Expr; loc: Location }
  // `queue [num N[-M]] [bypass] [fanout]`, `queue [flags F,...] to N[-M]`:
  // the queue numbers (first and last) where nft marks them, QueueFlags.
  | { kind: 'queue'; low?: bigint; high?: bigint; lowLoc?: Location; highLoc?: Location; numLoc?: Location; flags: number; map?: Expr; loc: Location }
  | ({ kind: 'log'; loc: Location } & LogOptions)
  | { kind: 'connlimit'; count: number; over: boolean; loc: Location }
  // rate per unit (seconds), in packets or bytes; burst as written.
  | { kind: 'limit'; rate: bigint; unit: number; bytes: boolean; burst?: bigint; over: boolean; loc: Location }
  | { kind: 'quota'; bytes: bigint; used: bigint; over: boolean; loc: Location }
  // snat|dnat [ip|ip6] to ADDR[:PORT], masquerade [to :PORT], redirect
  // [to [:]PORT], with NatFlags; addresses and ports as written (a value,
  // range or prefix); netmap: `prefix to`.
  | { kind: 'nat'; type: 'snat' | 'dnat' | 'masquerade' | 'redirect'; family?: 'ip' | 'ip6'; netmap?: boolean; addr?: Expr; proto?: Expr; flags: number; loc: Location }
  | { kind: 'dynset'; op: 'add' | 'update' | 'delete'; set: string; key: Expr; timeout?: Expr; data?: Expr; stmts?: Stmt[]; loc: Location }
  // `dup to ADDR [device DEV]` (netdev: `dup to DEV`).
  | { kind: 'dup'; to: Expr; dev?: Expr; loc: Location }
  // `fwd to DEV`, `fwd ip|ip6 to ADDR device DEV`.
  | { kind: 'fwd'; family?: 'ip' | 'ip6'; addr?: Expr; dev: Expr; loc: Location }
  | { kind: 'tproxy'; family?: 'ip' | 'ip6'; addr?: Expr; port?: Expr; loc: Location }
  // SynproxyFlags tell which options were given.
  | { kind: 'synproxy'; mss: number; wscale: number; flags: number; loc: Location }
  // `meter NAME [size N] { KEY [timeout T] STMT }`: a set the rule adds the
  // key to, with a counter, limit, quota or ct count of its own per element.
  | { kind: 'meter'; name: string; nameLoc: Location; size?: number; key: Expr; timeout?: Expr; stmt: Stmt; loc: Location }
  // `ct timeout set "NAME"`, `ct expectation set "NAME"`.
  | { kind: 'ctobject'; objType: 'cttimeout' | 'ctexpect'; name: string; nameLoc: Location; loc: Location }
  // `flow add @FT`.
  | { kind: 'flowoffload'; flowtable: string; nameLoc: Location; loc: Location };

// A base chain's or flowtable's priority: a standard name and an offset, a
// number, or a define holding either (`priority $P`). loc spans `priority`
// and its value, as nft's errors mark it.
export interface PrioritySpec {
  base?: string;
  offset: number;
  text: string;
  variable?: Expr & { kind: 'variable' };
  loc: Location;
}

// `flowtable NAME { hook HOOK priority P; devices = { ... }; [counter;] [flags offload;] }`.
export interface FlowtableDecl {
  name: string;
  hook?: string;
  hookLoc?: Location;
  priority?: PrioritySpec;
  devices: Expr[];
  counter: boolean;
  offload: boolean;
  loc: Location;
}

export interface LogOptions {
  prefix?: string;
  level?: string;
  group?: number;
  snaplen?: number;
  qthreshold?: number;
  // The kernel's NF_LOG_* bits.
  flags: number;
}

export const LOG_TCPSEQ = 0x1;
export const LOG_TCPOPT = 0x2;
export const LOG_IPOPT = 0x4;
export const LOG_UID = 0x8;
export const LOG_MACDECODE = 0x20;
export const LOG_ALL = 0x2f;

export interface Rule {
  stmts: Stmt[];
  comment?: string;
  loc: Location;
  // From its first token to its last, as the kernel's errors mark a rule.
  extent?: Location;
}

export interface ChainDecl {
  name: string;
  type?: string;
  hook?: string;
  device?: string;
  hookLoc?: Location;
  priority?: PrioritySpec;
  policy?: 'accept' | 'drop';
  // `policy $NAME`: a define holding "accept" or "drop", read when the
  // chain is evaluated.
  policyVariable?: Expr & { kind: 'variable' };
  rules: Rule[];
  loc: Location;
}

export interface SetDecl {
  name: string;
  isMap: boolean;
  keyType: string[];
  // `elements = $NAME`: the define that gives the elements.
  initial?: Expr & { kind: 'variable' };
  dataType?: string;
  // `typeof`: the selectors the key (and a map's data) take their types from.
  typeofKey?: Expr[];
  typeofData?: Expr;
  size?: number;
  timeout?: Expr;
  gcInterval?: Expr;
  flags: string[];
  // Adjacent and overlapping intervals become one.
  autoMerge?: boolean;
  comment?: string;
  // `counter`: every element counts the packets it matches.
  counter?: boolean;
  elements: SetElement[];
  loc: Location;
}

export interface CtHelperDecl {
  kind: 'cthelper';
  name: string;
  helper: string;
  protocol: string;
  l3proto?: string;
  loc: Location;
}

export interface CounterDecl {
  kind: 'counter';
  name: string;
  packets: bigint;
  bytes: bigint;
  loc: Location;
}

// A named quota or limit: the arguments of the statement of its name.
export interface QuotaDecl {
  kind: 'quota';
  name: string;
  args: Stmt & { kind: 'quota' };
  loc: Location;
}

export interface LimitDecl {
  kind: 'limit';
  name: string;
  args: Stmt & { kind: 'limit' };
  loc: Location;
}

// `ct timeout NAME { protocol P; policy = { STATE : SECONDS, ... }; l3proto F; }`.
export interface CtTimeoutDecl {
  kind: 'cttimeout';
  name: string;
  protocol?: string;
  l3proto?: string;
  policy: { state: string; seconds: bigint; loc: Location }[];
  loc: Location;
}

// `ct expectation NAME { protocol P; dport N; timeout T; size N; l3proto F; }`.
export interface CtExpectDecl {
  kind: 'ctexpect';
  name: string;
  protocol?: string;
  dport?: number;
  timeout?: Expr;
  size?: number;
  l3proto?: string;
  loc: Location;
}

// `synproxy NAME { mss N wscale N [timestamp] [sack-perm] }`: SynproxyFlags.
export interface SynproxyDecl {
  kind: 'synproxy';
  name: string;
  mss: number;
  wscale: number;
  flags: number;
  loc: Location;
}

export type ObjectDecl = CtHelperDecl | CounterDecl | QuotaDecl | LimitDecl | CtTimeoutDecl | CtExpectDecl | SynproxyDecl;

export type Command =
  // definitions: the block's define, redefine and undefine, in order.
  | { kind: 'table'; create?: boolean; family: Family; name: string; loc: Location; chains: ChainDecl[]; sets: SetDecl[]; objects: ObjectDecl[]; flowtables: FlowtableDecl[]; definitions: ({ kind: 'define'; name: string; value: Expr; loc: Location } | { kind: 'undefine'; name: string; loc: Location })[] }
  | { kind: 'chain'; create?: boolean; family: Family; table: string; tableLoc: Location; chain: ChainDecl; loc: Location }
  | { kind: 'rule'; family: Family; table: string; tableLoc: Location; chain: string; chainLoc: Location; rule: Rule; insert: boolean; place?: RulePlace; replace?: boolean; loc: Location }
  | { kind: 'set'; create?: boolean; family: Family; table: string; tableLoc: Location; set: SetDecl; loc: Location }
  | { kind: 'elements'; create?: boolean; family: Family; table: string; tableLoc: Location; set: string; setLoc: Location; elements: SetElement[]; loc: Location }
  | { kind: 'flush'; loc: Location }
  | RemoveCommand
  | { kind: 'rename'; family: Family; table: string; tableLoc: Location; chain: string; newName: string; loc: Location }
  | { kind: 'reset'; what: 'counters' | 'quotas' | 'counter' | 'quota'; loc: Location };

// Where `add`/`insert rule` put the rule: next to the rule with a handle
// (`handle` and `position` alike) or at an index; `replace` takes the place
// of the rule with the handle.
export interface RulePlace {
  by: 'handle' | 'position' | 'index';
  value: number;
  loc: Location;
  number: Location;
}

export type RemovableKind = 'table' | 'chain' | 'rule' | 'set' | 'element' | 'counter' | 'quota' | 'limit';

// `delete` and `flush` of one thing: by name or by handle; a rule only by
// handle, elements by value.
export interface RemoveCommand {
  kind: 'remove';
  verb: 'delete' | 'flush';
  what: RemovableKind;
  family: Family;
  table: string;
  tableLoc: Location;
  name?: string;
  nameLoc?: Location;
  chain?: string;
  chainLoc?: Location;
  handle?: { value: number; loc: Location };
  elements?: SetElement[];
  loc: Location;
}
