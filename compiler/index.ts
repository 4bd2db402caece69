// The compiler's public interface: nft source in, ruleset image out, with
// printers for nft's debug output and listing.
import { applyDeletions } from './commands.js';
import { disassemble } from './disassemble.js';
import { commentedKeys } from './encode.js';
import { encode } from './encode.js';
import { NftError } from './errors.js';
import { evaluate, type CompileOptions } from './evaluate.js';
import { Linearizer } from './linearize.js';
import { ctObjectDebugText } from './ct-objects.js';
import { FORWARDING_KINDS, flowtableDebugText, type ForwardingModel } from './forwarding.js';
import { listRuleset, type ListingOptions } from './listing.js';
import { looksLikeJson } from './json-input.js';
import { listRulesetJson } from './json-output.js';
import { LimitFlags, ObjectType, QuotaFlags } from '../assembly/abi.js';
import type { ObjectModel, RulesetModel, TStmt } from './model.js';
import type { NameTables } from './names.js';
import type { LogOptions } from './ast.js';

export { NftError };

// The nft whose language, bytecode (--debug=netlink), listings and messages
// the compiler reproduces.
export const NFT_VERSION = '1.0.6';
export type { CompileOptions, ListingOptions };

export interface ChainInfo {
  family: string;
  table: string;
  name: string;
  handle: number;
  hook?: string;
  priority?: number;
  policy?: 'accept' | 'drop';
  type?: string;
}

export interface RuleInfo {
  handle: number;
  chain: number;
  counter?: number;
}

export interface Ruleset {
  image: Uint8Array;
  counterCount: number;
  // What the rules keep state in as packets pass (limit, quota, ct count,
  // set updates), by nft's names: a data plane holds that state for the
  // packets it sees, so workers sharing out the flows would each keep
  // their own.
  packetState: string[];
  chains: ChainInfo[];
  rules: RuleInfo[];
  // The options of the log statements, by the index their instructions carry.
  logs: LogOptions[];
  // Why the data plane cannot run the ruleset though nft takes it: the
  // first statement it has no implementation of.
  dataPlaneRefusal?: NftError;
  // Why the data plane cannot run it without the host's devices: a
  // masquerade takes the output device's address, a redirect the input
  // device's.
  natNeedsDevices?: NftError;
  // Whether it has nat chains: their connections' two directions carry
  // different address pairs.
  translates: boolean;
  // What the data plane needs the host's routes for (a fib lookup).
  routeLookup?: NftError;
  toNetlinkDebug(): string;
  toListing(opts?: ListingOptions): string;
}

const PACKET_STATE: Partial<Record<TStmt['kind'], string>> = { limit: 'limit', quota: 'quota', connlimit: 'ct count', dynset: 'set updates' };

function packetState(model: RulesetModel): string[] {
  const found = new Set<string>();
  for (const c of model.chains) {
    for (const r of c.rules) {
      for (const s of r.stmts) {
        const name = PACKET_STATE[s.kind];
        if (name) found.add(name);
      }
    }
  }
  if (model.numgenInc) found.add('numgen inc');
  return [...found];
}

// NAT rewrites what a helper reads (FTP's PORT and PASV addresses, the
// expectations it announces): nf_nat_ftp and nf_nat_tftp are not
// implemented, so NAT and helpers do not go together. Statements that send
// packets elsewhere are not run yet.
function dataPlaneRefusal(model: RulesetModel): NftError | undefined {
  // Interval sets hold boundaries, not elements that could keep state.
  const counted = model.sets.find((s) => s.interval && (s.counter || s.elements.some((el) => el.expiresMs !== undefined)));
  if (counted?.loc) return NftError.at(counted.loc, `counters and timeouts of the elements of an interval set are not supported by the nftwasm data plane yet`);
  const helpers = model.tables.some((t) => t.objects.some((o) => o.kind === 'cthelper'));
  for (const c of model.chains) {
    for (const r of c.rules) {
      const nat = r.stmts.find((s) => s.kind === 'nat');
      if (nat && helpers) return NftError.at(nat.loc, `${nat.type} of connections with a ct helper (nf_nat_ftp, nf_nat_tftp) is not supported by the nftwasm data plane yet`);
      const expect = r.stmts.find((s) => s.kind === 'objref' && s.object.kind === 'ctexpect');
      if (expect?.kind === 'objref' && expect.loc) return NftError.at(expect.loc, `ct expectation set is not supported by the nftwasm data plane yet`);
      const meter = r.stmts.find((s) => s.kind === 'dynset' && s.exprs?.some((e) => e.kind === 'connlimit'));
      if (meter?.kind === 'dynset' && meter.loc) return NftError.at(meter.loc, `ct count in a meter or a set element is not supported by the nftwasm data plane yet`);
      const synproxy = r.stmts.find((s) => (s.kind === 'objref' || s.kind === 'objmap') && s.objType === ObjectType.Synproxy);
      if (synproxy && r.loc) return NftError.at(r.loc, `synproxy is not supported by the nftwasm data plane yet`);
      // netdev's dup (to a device) is not run yet.
      const sends = r.stmts.find((s) => FORWARDING_KINDS.has(s.kind) && s.kind !== 'tproxy' && !(s.kind === 'dup' && s.addr)) as ForwardingModel | undefined;
      if (sends) return NftError.at(sends.loc, `${sends.kind === 'flowoffload' ? 'flow add' : sends.kind} is not supported by the nftwasm data plane yet`);
    }
  }
  return undefined;
}

function natNeedsDevices(model: RulesetModel): NftError | undefined {
  for (const c of model.chains) {
    for (const r of c.rules) {
      for (const s of r.stmts) {
        if (s.kind !== 'nat') continue;
        if (s.type === 'masquerade') return NftError.at(s.loc, `masquerade takes the address of the output device: give the host's interfaces (--interfaces, with --routes)`);
        if (s.type === 'redirect' && c.hook !== 'output') return NftError.at(s.loc, `redirect takes the address of the input device: give the host's interfaces (--interfaces)`);
      }
    }
  }
  return undefined;
}

function nameTables(model: RulesetModel): NameTables {
  const helpers = model.tables.flatMap((t) => t.objects.filter((o) => o.kind === 'cthelper'));
  const slotNames = new Map<number, string>();
  for (const t of model.tables) for (const o of t.objects) if (o.kind === 'quota' || o.kind === 'limit') slotNames.set(o.stmt.slot, o.name);
  const counterNames = new Map<number, string>();
  for (const t of model.tables) for (const o of t.objects) if (o.kind === 'counter') counterNames.set(o.index, o.name);
  return {
    chains: model.chains.map((c) => ({ family: c.table.family, table: c.table.name, name: c.name, type: c.type, hook: c.hook, device: c.device, priority: c.priority })),
    sets: model.sets.map((s) => ({ name: s.name, table: s.table.name, timeout: s.timeout, gcInterval: s.gcInterval, comments: commentedKeys(s), meter: s.meter })),
    counterNames,
    slotNames,
    helpers: helpers.map((h) => h.name),
    ctTimeouts: model.tables.flatMap((t) => t.objects.filter((o) => o.kind === 'cttimeout').map((o) => o.name)),
    ctExpects: model.tables.flatMap((t) => t.objects.filter((o) => o.kind === 'ctexpect').map((o) => o.name)),
    synproxies: model.tables.flatMap((t) => t.objects.filter((o) => o.kind === 'synproxy').map((o) => o.name)),
    flowtables: model.flowtables.map((f) => f.name),
    logs: model.logs,
    batch: model.batch.map((b) => {
      switch (b.kind) {
        case 'chain': return { kind: 'chain', chain: b.chain.index, bare: b.bare };
        case 'set': return { kind: 'set', set: b.set.index };
        case 'elements': return { kind: 'elements', set: b.set.index };
        case 'rule': {
          const r = b.rule;
          const ids = `${r.id !== undefined ? ` ${r.id}` : ''}${r.positionId !== undefined ? ` ${r.positionId}` : ''}`;
          return { kind: 'rule', chain: r.chain.index, handle: r.handle, sets: r.anonSets.map((s) => s.index), ids, comment: r.comment };
        }
        case 'object': {
          // libnftnl ends a ct timeout's text at its policy's brace.
          const text = objectText(b.object);
          return { kind: 'object', text: `table (null) name (null) use 0 [ ${text}${b.object.kind === 'cttimeout' ? '' : ' '}]` };
        }
        case 'flowtable':
          return { kind: 'object', text: flowtableDebugText(b.flowtable) };
      }
    }),
  };
}

// An object as libnftnl prints it (the quota's used bytes it leaves out).
function objectText(o: ObjectModel): string {
  switch (o.kind) {
    case 'cthelper': return `ct_helper name ${o.helper} family ${o.l3proto} protocol ${o.protocol}`;
    case 'counter': return `counter pkts ${o.packets} bytes ${o.bytes}`;
    case 'quota': return `quota bytes ${o.stmt.bytes} flags ${o.stmt.over ? QuotaFlags.Over : 0}`;
    case 'cttimeout': case 'ctexpect': return ctObjectDebugText(o);
    case 'synproxy': return `synproxy mss ${o.mss} wscale ${o.wscale}`;
    case 'limit': return `limit rate ${o.stmt.rate} unit ${o.stmt.unit} burst ${o.stmt.burst} type ${o.stmt.bytes ? 1 : 0} flags ${o.stmt.over ? LimitFlags.Over : 0}`;
  }
}

export function compile(source: string, opts: CompileOptions = {}): Ruleset {
  const file = { name: opts.filename ?? 'stdin', text: source };
  // nft's language never starts with a brace: such a file is nft's JSON.
  const model = evaluate(file, { ...opts, json: opts.json ?? looksLikeJson(source) });
  const image = () => {
    const helpers = model.tables.flatMap((t) => t.objects.filter((o) => o.kind === 'cthelper'));
    return encode(model, (r) => new Linearizer((s) => s.index, (o) => helpers.findIndex((h) => h === o)).rule(r));
  };
  // nft's debug output shows what it sends, deleted things included; the
  // data plane gets what the kernel holds once the batch is through.
  const sent = image();
  const names = nameTables(model);
  const loaded = model.deletions ? (applyDeletions(model), image()) : sent;
  const refusal = dataPlaneRefusal(model);
  const needsDevices = natNeedsDevices(model);
  return {
    image: loaded,
    counterCount: model.counterCount,
    packetState: packetState(model),
    translates: model.chains.some((c) => c.type === 'nat' && c.hook !== undefined),
    ...(refusal ? { dataPlaneRefusal: refusal } : {}),
    ...(needsDevices ? { natNeedsDevices: needsDevices } : {}),
    ...(model.routeLookup ? { routeLookup: NftError.at(model.routeLookup, `fib needs the host's routes: give --routes (ip -j route show table all)`) } : {}),
    chains: model.chains.map((c) => ({
      family: c.table.family, table: c.table.name, name: c.name, handle: c.handle,
      ...(c.hook !== undefined ? { hook: c.hook, priority: c.priority, policy: c.policy, type: c.type } : {}),
    })),
    rules: model.chains.flatMap((c) => c.rules.map((r) => ({ handle: r.handle, chain: c.index, ...(r.counter !== undefined ? { counter: r.counter } : {}) }))),
    logs: model.logs,
    toNetlinkDebug: () => disassemble(sent, names),
    toListing: (o?: ListingOptions) => {
      const options = { ...(opts.interfaces ? { interfaces: opts.interfaces } : {}), ...(opts.cgroups ? { cgroups: opts.cgroups } : {}), ...o };
      return options.json ? listRulesetJson(model, options) : listRuleset(model, options);
    },
  };
}
