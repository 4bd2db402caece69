// Statements that send a packet, or a copy of it, elsewhere than the hooks
// would (dup, fwd, tproxy, synproxy, flow offload) and the flowtables flow
// offload names: what nft's evaluate.c, netlink_linearize.c and
// statement.c make of them, the hooks the kernel's validate functions let
// them into (nft_dup_*.c, nft_fwd_netdev.c, nft_tproxy.c, nft_synproxy.c,
// nft_flow_offload.c), and libnftnl's debug text.
import { Op, SynproxyFlags } from '../assembly/abi.js';
import type { Expr, Family, FlowtableDecl, Stmt } from './ast.js';
import { TYPES, type Datatype } from './datatypes.js';
import { NftError, type Location } from './errors.js';
import type { TableModel, TExpr } from './model.js';
import { priorityName, standardPriority } from './priorities.js';

const NFPROTO_IPV4 = 2;
const NFPROTO_IPV6 = 10;

export interface FlowtableModel {
  name: string;
  table: TableModel;
  handle: number;
  index: number;
  hook: string;
  priority: number;
  // In the order nft sends them.
  devices: string[];
  counter: boolean;
  offload: boolean;
}

export type ForwardingModel =
  | { kind: 'dup'; addr?: TExpr; dev?: TExpr; loc: Location }
  | { kind: 'fwd'; dev: TExpr; addr?: TExpr; nfproto: number; loc: Location }
  // nfproto 0: the packet's own (inet without ip or ip6); showFamily: the
  // listing names it, as nft does in inet tables.
  | { kind: 'tproxy'; nfproto: number; showFamily: boolean; addr?: TExpr; port?: TExpr; loc: Location }
  | { kind: 'synproxy'; mss: number; wscale: number; flags: number; loc: Location }
  | { kind: 'flowoffload'; flowtable: FlowtableModel; loc: Location };

type Like = { type: Datatype; bits: number; byteorder: 'big' | 'host' };

export interface ForwardingContext {
  tableFamily: Family;
  // The network protocol the rule has matched, if any (the table's in ip
  // and ip6).
  nfproto?: number;
  nfprotoLoc?: Location;
  transportKnown(): boolean;
  // A value, or the expression (a map's lookup) giving one, typed as `like`.
  arg(e: Expr, like: Like): TExpr;
  flowtable(name: string): FlowtableModel | undefined;
}

const IPV4: Like = { type: TYPES.ipv4_addr, bits: 32, byteorder: 'big' };
const IPV6: Like = { type: TYPES.ipv6_addr, bits: 128, byteorder: 'big' };
const IFINDEX: Like = { type: TYPES.iface_index, bits: 32, byteorder: 'host' };
const PORT: Like = { type: TYPES.inet_service, bits: 16, byteorder: 'big' };

type ForwardingStmt = Stmt & { kind: ForwardingModel['kind'] };

export const FORWARDING_KINDS: ReadonlySet<string> = new Set<ForwardingModel['kind']>(['dup', 'fwd', 'tproxy', 'synproxy', 'flowoffload']);

function nfprotoOf(family: string | undefined): number {
  return family === 'ip' ? NFPROTO_IPV4 : family === 'ip6' ? NFPROTO_IPV6 : 0;
}

function familyName(nfproto: number): string {
  return nfproto === NFPROTO_IPV6 ? 'ip6' : 'ip';
}

// Returns undefined for a statement the kernel takes nowhere in this
// table: the error it gives is then nft's own.
export function evaluateForwarding(s: ForwardingStmt, c: ForwardingContext): ForwardingModel {
  switch (s.kind) {
    case 'dup': {
      if (c.tableFamily === 'netdev') {
        if (s.dev) throw NftError.at(s.loc, `cannot specify device`);
        return { kind: 'dup', dev: c.arg(s.to, IFINDEX), loc: s.loc };
      }
      if (c.tableFamily !== 'ip' && c.tableFamily !== 'ip6') throw NftError.at(s.loc, `unsupported family`);
      const addr = c.arg(s.to, c.tableFamily === 'ip' ? IPV4 : IPV6);
      return { kind: 'dup', addr, ...(s.dev ? { dev: c.arg(s.dev, IFINDEX) } : {}), loc: s.loc };
    }
    case 'fwd': {
      if (c.tableFamily !== 'netdev') throw NftError.at(s.loc, `unsupported family`);
      const dev = c.arg(s.dev, IFINDEX);
      if (!s.addr) return { kind: 'fwd', dev, nfproto: 0, loc: s.loc };
      const nfproto = nfprotoOf(s.family);
      return { kind: 'fwd', dev, addr: c.arg(s.addr, nfproto === NFPROTO_IPV4 ? IPV4 : IPV6), nfproto, loc: s.loc };
    }
    case 'tproxy':
      return tproxy(s, c);
    case 'synproxy':
      return { kind: 'synproxy', mss: s.mss, wscale: s.wscale, flags: s.flags, loc: s.loc };
    case 'flowoffload': {
      const flowtable = c.flowtable(s.flowtable);
      if (!flowtable) throw NftError.kernel(s.loc, `No such file or directory`);
      return { kind: 'flowoffload', flowtable, loc: s.loc };
    }
  }
}

// nft's stmt_evaluate_tproxy.
function tproxy(s: Stmt & { kind: 'tproxy' }, c: ForwardingContext): ForwardingModel {
  if (c.tableFamily !== 'ip' && c.tableFamily !== 'ip6' && c.tableFamily !== 'inet') throw NftError.at(s.loc, `tproxy is only supported for IPv4/IPv6/INET`);
  const inet = c.tableFamily === 'inet';
  const nfproto = s.family !== undefined || inet ? nfprotoOf(s.family) : nfprotoOf(c.tableFamily);
  if (!c.transportKnown()) throw NftError.at(s.loc, `Transparent proxy support requires transport protocol match`);
  const network = c.nfproto ?? (inet ? undefined : nfprotoOf(c.tableFamily));
  if (network !== undefined && network !== nfproto) {
    throw NftError.between(s.loc, c.nfprotoLoc, `conflicting protocols specified: ${familyName(network)} vs. ${nfproto === 0 ? 'unknown' : familyName(nfproto)}. You must specify ip or ip6 family in tproxy statement`);
  }
  const model: ForwardingModel & { kind: 'tproxy' } = { kind: 'tproxy', nfproto, showFamily: inet && nfproto !== 0, loc: s.loc };
  if (s.addr) {
    if (s.addr.kind === 'range') throw NftError.at(s.loc, `Address ranges are not supported for tproxy.`);
    if (nfproto === 0) throw NftError.at(s.loc, `ip or ip6 must be specified with address for inet tables.`);
    model.addr = c.arg(s.addr, nfproto === NFPROTO_IPV4 ? IPV4 : IPV6);
  }
  if (s.port) {
    if (s.port.kind === 'range') throw NftError.at(s.loc, `Port ranges are not supported for tproxy.`);
    model.port = c.arg(s.port, PORT);
  }
  return model;
}

// What a family the kernel refuses the statement in, or a hook it may not
// run at, makes nft print: the kernel's EOPNOTSUPP for the rule.
const HOOKS: Readonly<Partial<Record<ForwardingModel['kind'], readonly string[]>>> = {
  fwd: ['ingress', 'egress'],
  tproxy: ['prerouting'],
  synproxy: ['input', 'forward'],
  flowoffload: ['forward'],
};

export function forwardingHookError(s: ForwardingModel, family: Family, hook: string | undefined, ruleLoc: Location): NftError | undefined {
  if ((s.kind === 'synproxy' || s.kind === 'flowoffload') && family !== 'ip' && family !== 'ip6' && family !== 'inet') return NftError.kernel(ruleLoc, `Operation not supported`);
  const hooks = HOOKS[s.kind];
  if (hook === undefined || !hooks || hooks.includes(hook)) return undefined;
  return NftError.kernel(ruleLoc, `Operation not supported`);
}

export function forwardingText(s: ForwardingModel, value: (e: TExpr) => string): string {
  switch (s.kind) {
    case 'dup':
      if (!s.addr) return `dup to ${value(s.dev!)}`;
      return `dup to ${value(s.addr)}${s.dev ? ` device ${value(s.dev)}` : ''}`;
    case 'fwd':
      return s.addr ? `fwd ${familyName(s.nfproto)} to ${value(s.addr)} device ${value(s.dev)}` : `fwd to ${value(s.dev)}`;
    case 'tproxy': {
      let out = `tproxy${s.showFamily ? ` ${familyName(s.nfproto)}` : ''} to`;
      if (s.addr) out += s.addr.kind === 'const' && s.addr.type === TYPES.ipv6_addr ? ` [${value(s.addr)}]` : ` ${value(s.addr)}`;
      // nft prints the port only when it is a constant.
      if (s.port?.kind === 'const') out += `${s.addr ? '' : ' '}:${s.port.value}`;
      return out;
    }
    case 'synproxy': {
      const options = `${s.flags & SynproxyFlags.Timestamp ? ' timestamp' : ''}${s.flags & SynproxyFlags.SackPerm ? ' sack-perm' : ''}`;
      if (s.flags & (SynproxyFlags.Mss | SynproxyFlags.Wscale)) return `synproxy mss ${s.mss} wscale ${s.wscale}${options}`;
      return `synproxy${options}`;
    }
    case 'flowoffload':
      return `flow add @${s.flowtable.name}`;
  }
}

// A synproxy object as nft lists it.
export function synproxyObjectText(o: { mss: number; wscale: number; flags: number }, header: string): string {
  let out = header;
  if (o.flags & SynproxyFlags.Mss) out += `\n\t\tmss ${o.mss}`;
  if (o.flags & SynproxyFlags.Wscale) out += `\n\t\twscale ${o.wscale}`;
  if (o.flags & (SynproxyFlags.Timestamp | SynproxyFlags.SackPerm)) {
    out += `\n\t\t${o.flags & SynproxyFlags.Timestamp ? 'timestamp' : ''} ${o.flags & SynproxyFlags.SackPerm ? 'sack-perm' : ''}`;
  }
  return `${out}\n\t}\n`;
}

// --- flowtables ------------------------------------------------------------

// nft's flowtable_evaluate: a hook of the netdev family and its priority.
export function evaluateFlowtable(decl: FlowtableDecl, table: TableModel, index: number, device: (e: Expr) => string): FlowtableModel {
  const hook = decl.hook ?? 'ingress';
  if (decl.hook !== undefined && hook !== 'ingress' && hook !== 'egress') throw NftError.at(decl.loc, `invalid hook ${hook}`);
  let priority = 0;
  const p = decl.priority;
  if (p) {
    const base = p.base === undefined ? 0 : standardPriority('netdev', hook, p.base);
    if (base === undefined) throw NftError.at(p.loc, `invalid priority expression value.`);
    priority = base + p.offset;
  }
  // nft's evaluate_device_expr gathers the devices back to front.
  const devices = decl.devices.map(device).reverse();
  return { name: decl.name, table, handle: table.nextHandle++, index, hook, priority, devices, counter: decl.counter, offload: decl.offload };
}

// flowtable_print: the devices as nft sorts them when it lists.
export function flowtableText(ft: FlowtableModel, handles: boolean): string {
  let out = `\tflowtable ${ft.name} {${handles ? ` # handle ${ft.handle}` : ''}\n`;
  out += `\t\thook ${ft.hook} priority ${priorityName('netdev', ft.hook, ft.priority)}\n`;
  if (ft.devices.length > 0) out += `\t\tdevices = { ${[...ft.devices].sort(byBytes).join(', ')} }\n`;
  if (ft.offload) out += `\t\tflags offload\n`;
  if (ft.counter) out += `\t\tcounter\n`;
  return `${out}\t}\n`;
}

function byBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// libnftnl's nftnl_flowtable_snprintf (NFT_FLOWTABLE_COUNTER is flag 2,
// hardware offload 1); the hook number is the netdev one, which libnftnl
// names as inet's.
export function flowtableDebugText(ft: FlowtableModel): string {
  const flags = (ft.offload ? 1 : 0) | (ft.counter ? 2 : 0);
  const devices = ft.devices.length > 0 ? ` dev { ${ft.devices.map((d) => ` ${d} `).join('')} } ` : '';
  return `flow table (null) (null) use 0 size 0 flags ${flags} hook ${ft.hook === 'egress' ? 'input' : 'prerouting'} prio ${ft.priority} ${devices}`;
}

// libnftnl's text of the statements' expressions.
export function forwardingDebugText(op: Op, a: number, b: number, word1: number, regName: (word: number) => string, flowtableName: (index: number) => string): string {
  switch (op) {
    case Op.Dup:
      return `dup${a ? ` sreg_addr ${regName(a)}` : ''}${b ? ` sreg_dev ${regName(b)}` : ''}`;
    case Op.Fwd:
      return `fwd sreg_dev ${regName(a)}${b ? ` sreg_addr ${regName(b)} nfproto ${word1}` : ''}`;
    case Op.Tproxy: {
      const family = word1 === NFPROTO_IPV4 ? ' ip' : word1 === NFPROTO_IPV6 ? ' ip6' : '';
      return `tproxy${family}${a ? ` addr reg ${regName(a)}` : ''}${b ? ` port reg ${regName(b)}` : ''}`;
    }
    case Op.Synproxy:
      return `synproxy mss ${word1 & 0xffff} wscale ${(word1 >>> 16) & 0xff}`;
    default:
      return `flow_offload flowtable ${flowtableName(word1)}`;
  }
}
