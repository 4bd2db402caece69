// Lays out the ruleset image (assembly/abi.ts, docs/bytecode.md): header,
// chain table, hook table, set table with elements, then the code.
import {
  HASH_F_SEED, DYNSET_EXPRS_SHIFT, DynamicElementTail,
  ArpHook, ChainEntry, CounterStart, HOOK_FAMILIES, HOOK_INET_CHAIN, HOOK_NAT_CHAIN, HelperKind, Hook, HookFamily, IFNAMSIZ, NetdevHook, ObjectEntry, ObjectType, Op, POLICY_NONE, RULESET_MAGIC, RULESET_VERSION, RuleHeader, RulesetFlags,
  RulesetHeader, SetElementFlag, SetEntry, SetFlags, Verdict, EXTHDR_F_PRESENT, DynsetWord,
} from '../assembly/abi.js';
import type { Ins } from './instructions.js';
import { bounds } from './evaluate.js';
import { constBytes, verdictCode } from './linearize.js';
import type { ChainModel, RuleModel, RulesetModel, SetModel, TExpr } from './model.js';
import { toBytes } from './values.js';

// A word of a set table entry beyond the ones abi.ts names: nft's own set
// flags, for the printer.
export const SET_ENTRY_NFT_FLAGS = 6;

// nft's NFT_SET_* flags, as the kernel and `--debug=netlink` show them.
export const NFT_SET_ANONYMOUS = 0x1;
export const NFT_SET_CONSTANT = 0x2;
export const NFT_SET_INTERVAL = 0x4;
export const NFT_SET_MAP = 0x8;
export const NFT_SET_TIMEOUT = 0x10;
export const NFT_SET_EVAL = 0x20;
export const NFT_SET_OBJECT = 0x40;
export const NFT_SET_CONCAT = 0x80;

// Element flag: this key ends an interval (the kernel's NFT_SET_ELEM_INTERVAL_END).
export const ELEM_INTERVAL_END = 1;

const HOOK_NUMBERS: Record<string, Hook> = {
  prerouting: Hook.Prerouting, input: Hook.Input, forward: Hook.Forward, output: Hook.Output, postrouting: Hook.Postrouting,
};
const NETDEV_HOOKS: Record<string, NetdevHook> = { ingress: NetdevHook.Ingress, egress: NetdevHook.Egress };
const ARP_HOOKS: Record<string, ArpHook> = { input: ArpHook.In, output: ArpHook.Out };

// The hook slots a base chain registers in, and the flags of its entries:
// inet and ip/ip6 chains per address family; netdev chains, and inet's
// ingress chains, on their device's netdev hook; arp chains on ARP's.
function hookSlots(c: ChainModel): { slots: number[]; flags: number } {
  const fam = c.table.family;
  const netdev = NETDEV_HOOKS[c.hook!];
  if (netdev !== undefined && (fam === 'netdev' || fam === 'inet')) {
    return { slots: [HookFamily.Netdev * Hook.Count + netdev], flags: fam === 'inet' ? HOOK_INET_CHAIN : 0 };
  }
  const arp = ARP_HOOKS[c.hook!];
  if (fam === 'arp') return { slots: arp !== undefined ? [HookFamily.Arp * Hook.Count + arp] : [], flags: 0 };
  const hook = HOOK_NUMBERS[c.hook!];
  if (hook === undefined) return { slots: [], flags: 0 };
  const families = fam === 'inet' ? [HookFamily.Ipv4, HookFamily.Ipv6] : fam === 'ip' ? [HookFamily.Ipv4] : fam === 'ip6' ? [HookFamily.Ipv6] : [];
  // nf_nat runs the nat chains of a hook itself, at its own priority.
  return { slots: families.map((f) => f * Hook.Count + hook), flags: c.type === 'nat' ? HOOK_NAT_CHAIN : 0 };
}

// A device name as the kernel keeps it: IFNAMSIZ bytes, NUL-padded, in
// little-endian u32 words.
function deviceWords(name: string | undefined): number[] {
  const bytes = new Uint8Array(IFNAMSIZ);
  if (name !== undefined) bytes.set(new TextEncoder().encode(name).subarray(0, IFNAMSIZ - 1));
  return Array.from(new Uint32Array(bytes.buffer));
}

// A growing array of u32 words; typed, so tens of thousands of rules cost
// no per-word allocation.
class Words {
  w = new Uint32Array(256);
  length = 0;

  private grow(n: number): void {
    if (this.length + n <= this.w.length) return;
    const next = new Uint32Array(Math.max(this.w.length * 2, this.length + n));
    next.set(this.w);
    this.w = next;
  }

  push(a: number, b?: number, c?: number, d?: number, e?: number, f?: number, g?: number, h?: number): void {
    const n = h !== undefined ? 8 : g !== undefined ? 7 : f !== undefined ? 6 : e !== undefined ? 5 : d !== undefined ? 4 : c !== undefined ? 3 : b !== undefined ? 2 : 1;
    this.grow(n);
    const w = this.w;
    let i = this.length;
    w[i++] = a;
    if (n > 1) w[i++] = b!;
    if (n > 2) w[i++] = c!;
    if (n > 3) w[i++] = d!;
    if (n > 4) w[i++] = e!;
    if (n > 5) w[i++] = f!;
    if (n > 6) w[i++] = g!;
    if (n > 7) w[i++] = h!;
    this.length = i;
  }

  bytes(b: Uint8Array): void {
    const n = (b.length + 3) >> 2;
    this.grow(n);
    for (let i = 0; i < n; i++) {
      this.w[this.length++] = (b[i * 4] ?? 0) | ((b[i * 4 + 1] ?? 0) << 8) | ((b[i * 4 + 2] ?? 0) << 16) | ((b[i * 4 + 3] ?? 0) << 24);
    }
  }

  get words(): Uint32Array {
    return this.w.subarray(0, this.length);
  }
}

// The words after the first of a Limit or Quota instruction.
function stateWords(out: Words, ins: Ins & { op: 'quota' | 'limit' }): void {
  if (ins.op === 'limit') out.push(ins.slot | (ins.flags << 24), lo32(ins.rate), hi32(ins.rate), ins.unit, Number(ins.burst));
  else out.push(ins.slot | (ins.flags << 24), lo32(ins.bytes), hi32(ins.bytes), lo32(ins.used), hi32(ins.used));
}

function lo32(v: bigint): number {
  return Number(v & 0xffffffffn);
}

function hi32(v: bigint): number {
  return Number((v >> 32n) & 0xffffffffn);
}

function header(op: Op, size: number, a: number, b: number): number {
  return (op | (size << 8) | ((a & 0xff) << 16) | ((b & 0xff) << 24)) >>> 0;
}

function words(len: number): number {
  return Math.ceil(len / 4);
}

export function encodeIns(ins: Ins, out: Words): void {
  const start = out.length;
  out.push(0);
  let op: Op;
  let a = 0;
  let b = 0;
  switch (ins.op) {
    case 'immediate': op = Op.Immediate; a = ins.dreg; b = ins.data.length; out.bytes(ins.data); break;
    case 'verdict': op = Op.Immediate; b = 8; out.push(ins.code, ins.chain); break;
    case 'cmp': op = Op.Cmp; a = ins.sreg; b = ins.data.length; out.push(ins.cmp); out.bytes(ins.data); break;
    case 'bitwise': op = Op.Bitwise; a = ins.sreg; b = ins.len; out.push(ins.dreg); out.bytes(ins.mask); out.bytes(ins.xor); break;
    case 'shift': op = Op.Bitwise; a = ins.sreg; b = ins.len; out.push(ins.dreg | (ins.dir << 8), ins.amount); break;
    case 'payload': op = Op.PayloadLoad; a = ins.dreg; b = ins.len; out.push(ins.base | (ins.offset << 8)); break;
    case 'exthdr':
      op = Op.Exthdr; a = ins.reg; b = ins.len;
      out.push(ins.mode | (ins.optype << 8) | ((ins.present ? EXTHDR_F_PRESENT : 0) << 16), ins.type | (ins.offset << 8));
      break;
    case 'payloadwrite':
      op = Op.PayloadWrite; a = ins.sreg; b = ins.len;
      out.push(ins.base | (ins.offset << 8), ins.csumType | (ins.csumOffset << 8) | (ins.csumFlags << 16));
      break;
    case 'meta': op = Op.MetaLoad; a = ins.dreg; b = ins.key; break;
    case 'ct': op = Op.CtLoad; a = ins.dreg; b = ins.key; out.push(ins.dir); break;
    case 'counter': op = Op.Counter; out.push(ins.index); break;
    case 'range': op = Op.Range; a = ins.sreg; b = ins.len; out.push(ins.cmp); out.bytes(ins.from); out.bytes(ins.to); break;
    case 'byteorder': op = Op.Byteorder; a = ins.sreg; b = ins.dreg; out.push(ins.order | (ins.len << 8) | (ins.size << 16)); break;
    case 'lookup': op = Op.Lookup; a = ins.sreg; b = Math.max(ins.dreg, 0); out.push(ins.set | ((ins.invert ? 1 : 0) << 24)); break;
    case 'metaset': op = Op.MetaSet; a = ins.sreg; b = ins.key; break;
    case 'ctset': op = Op.CtSet; a = ins.sreg; b = ins.key; out.push(ins.dir); break;
    case 'notrack': op = Op.Notrack; break;
    case 'reject': op = Op.Reject; out.push(ins.type | (ins.code << 8)); break;
    case 'queue': op = Op.Queue; a = ins.sreg; out.push(ins.num | (ins.total << 16), ins.flags); break;
    case 'forwarding': op = ins.code; a = ins.a; b = ins.b; if (ins.code !== Op.Dup) out.push(ins.word); break;
    case 'nat': op = Op.Nat; a = ins.type; b = ins.nfproto; out.push(ins.regs.reduce((w, r, i) => w | (r << (8 * i)), 0) >>> 0, ins.flags); break;
    case 'objref':
      op = Op.Objref;
      out.push(ins.objType, ins.index);
      if (ins.state) stateWords(out, ins.state);
      for (const w of ins.policy ?? []) out.push(w);
      break;
    case 'objrefmap':
      op = Op.ObjrefMap;
      a = ins.sreg;
      out.push(ins.set, ins.objType);
      if (ins.states) {
        out.push(ins.states.length);
        for (const s of ins.states) stateWords(out, s);
      }
      break;
    case 'log': op = Op.Log; out.push(ins.index); break;
    case 'connlimit': op = Op.Connlimit; out.push(ins.count, ins.flags); break;
    case 'dynset': op = Op.Dynset; a = ins.sreg; b = ins.sregData; out.push(ins.set | (ins.dynOp << 24), lo32(ins.timeout), hi32(ins.timeout), (ins.ownTimeout ? DynsetWord.OwnTimeout : 0) | (ins.exprs << DYNSET_EXPRS_SHIFT)); break;
    case 'limit': op = Op.Limit; stateWords(out, ins); break;
    case 'quota': op = Op.Quota; stateWords(out, ins); break;
    case 'fib': op = Op.Fib; a = ins.dreg; b = ins.result; out.push(ins.flags); break;
    case 'rt': op = Op.Rt; a = ins.dreg; b = ins.key; break;
    case 'socket': op = Op.Socket; a = ins.dreg; b = ins.key; break;
    case 'xfrm': op = Op.Xfrm; a = ins.dreg; b = ins.key; out.push(ins.dir | (ins.spnum << 8)); break;
    case 'osf': op = Op.Osf; a = ins.dreg; out.push(ins.ttl | ((ins.version ? 1 : 0) << 8)); break;
    case 'numgen': op = Op.Numgen; a = ins.dreg; b = ins.mode; out.push(ins.mod, ins.offset, ins.slot); break;
    case 'hash':
      op = Op.Hash; a = ins.dreg; b = ins.type;
      out.push(ins.sreg | (ins.len << 8) | ((ins.seeded ? HASH_F_SEED : 0) << 16), ins.mod, ins.seed, ins.offset);
      break;
  }
  out.w[start] = header(op, out.length - start, a, b);
}

export interface EncodedElement {
  flags: number;
  key: Uint8Array;
  // Concatenations with ranges: the last key of the element.
  keyEnd?: Uint8Array;
  data: Uint8Array;
}

function dataBytes(set: SetModel, e: TExpr | undefined): Uint8Array {
  if (!e) return new Uint8Array(0);
  if (e.kind === 'verdict') {
    const b = new Uint8Array(8);
    const v = new DataView(b.buffer);
    v.setInt32(0, verdictCode(e.verdict), true);
    v.setUint32(4, e.chain ? e.chain.index : 0, true);
    return b;
  }
  void set;
  return constBytes(e);
}

function keyLength(set: SetModel): number {
  if (set.keyTypes.length > 1) return words(set.keyType.bits / 8) * 4;
  return Math.ceil((set.keyType.bits + set.keyShift) / 8);
}

// Keys of header fields that do not fill their bytes are stored where the
// field sits in the loaded bytes, as the lookup sees them after masking.
function keyBytes(set: SetModel, e: TExpr): Uint8Array {
  if (!set.keyShift || e.kind !== 'const') return constBytes(e);
  return toBytes(e.value << BigInt(set.keyShift), keyLength(set) * 8, 'big');
}

export function isConcatInterval(set: SetModel): boolean {
  return set.interval && set.keyTypes.length > 1;
}

// A concatenated key's first and last values, each field in network byte
// order in its own register words, as the lookup sees them after the
// byteorder conversions nft adds for such keys.
function concatBounds(set: SetModel, e: TExpr): { key: Uint8Array; keyEnd: Uint8Array } {
  const items = e.kind === 'concat' ? e.items : [e];
  const key = new Uint8Array(keyLength(set));
  const keyEnd = new Uint8Array(keyLength(set));
  let o = 0;
  for (const item of items) {
    const { lo, hi } = bounds(item);
    key.set(toBytes(lo, item.bits, 'big'), o);
    keyEnd.set(toBytes(hi, item.bits, 'big'), o);
    o += words(item.bits / 8) * 4;
  }
  return { key, keyEnd };
}

// The word count less one of each field of a concatenated key, two bits a
// field (SetEntry.Fields).
function fieldWords(set: SetModel): number {
  if (!isConcatInterval(set)) return 0;
  let f = 0;
  set.keyTypes.forEach((t, i) => { f |= (words(t.bits / 8) - 1) << (2 * i); });
  return f >>> 0;
}

export interface IntervalRange {
  lo: bigint;
  hi: bigint;
  data?: TExpr;
  comment?: string;
}

// A single-key interval set's intervals in key order as the kernel gets
// them: merged where they overlap or touch in a set that merges (every
// anonymous set, a named one with auto-merge; never a map, whose
// neighbours may map to different data).
export function intervalRanges(set: SetModel): IntervalRange[] {
  const ranges = set.elements.map((el) => ({ ...bounds(el.key), data: el.data, comment: el.comment })).sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0));
  if (!set.autoMerge || set.isMap) return ranges;
  const out: IntervalRange[] = [];
  for (const r of ranges) {
    const last = out[out.length - 1];
    if (last && r.lo <= last.hi + 1n) {
      if (r.hi > last.hi) last.hi = r.hi;
    } else {
      out.push({ ...r });
    }
  }
  return out;
}

const NS_PER_MS = 1_000_000n;

// Elements the ruleset gives a counter or a timeout carry the state an
// element a rule adds has (DynamicElementTail). Interval sets are refused
// them (compiler/index.ts).
function elementsKeepState(s: SetModel): boolean {
  return !s.interval && (s.counter === true || s.elements.some((el) => el.expiresMs !== undefined));
}

// Interval sets hold boundaries, as the kernel's rbtree does: each interval
// is its first key and, flagged as an end, the key after its last one. A
// set that merges leaves out an end where the next interval starts; one
// that does not keeps both, the end first. An interval reaching the top of
// the key's range has no end. A set that does not start at zero begins
// with an end marker at zero. Boundaries are in network byte order
// whatever the key's order, the key being converted before the lookup.
export function intervalElements(set: SetModel): EncodedElement[] {
  const klen = keyLength(set);
  if (isConcatInterval(set)) return set.elements.map((el) => ({ flags: 0, ...concatBounds(set, el.key), data: dataBytes(set, el.data) }));
  const ranges = intervalRanges(set);
  const out: EncodedElement[] = [];
  const shift = BigInt(set.keyShift);
  const key = (v: bigint) => toBytes(v << shift, klen * 8, 'big');
  // The end of an interval of a field that does not fill its bytes is the
  // key after its last one in the loaded bytes, as nft computes it.
  const end = (hi: bigint) => toBytes((hi << shift) + 1n, klen * 8, 'big');
  const max = (1n << BigInt(set.keyType.bits)) - 1n;
  if (ranges.length && ranges[0].lo !== 0n) out.push({ flags: ELEM_INTERVAL_END, key: key(0n), data: new Uint8Array(0) });
  ranges.forEach((r, i) => {
    out.push({ flags: 0, key: key(r.lo), data: dataBytes(set, r.data) });
    const next = ranges[i + 1];
    if (r.hi !== max && !(set.autoMerge && next && next.lo === r.hi + 1n)) out.push({ flags: ELEM_INTERVAL_END, key: end(r.hi), data: new Uint8Array(0) });
  });
  return out;
}

// nft declares an anonymous interval set's size as two boundaries an
// interval, and the end marker at zero when it needs one, whether or not
// the top interval's end is sent.
function anonIntervalSize(set: SetModel): number {
  const ranges = intervalRanges(set);
  return ranges.length * 2 + (ranges.length && ranges[0].lo !== 0n ? 1 : 0);
}

// Where an element with a comment is in the set's encoding: its key as
// the printer shows it (hexWords of disassemble.ts), the first key of an
// interval.
export function commentedKeys(set: SetModel): Map<string, string> {
  const out = new Map<string, string>();
  for (const el of set.elements) {
    if (el.comment === undefined) continue;
    const bytes = set.interval && !isConcatInterval(set)
      ? toBytes(bounds(el.key).lo << BigInt(set.keyShift), keyLength(set) * 8, 'big')
      : set.interval ? concatBounds(set, el.key).key : keyBytes(set, el.key);
    const padded = padTo(bytes, words(bytes.length) * 4);
    const view = new DataView(padded.buffer, padded.byteOffset, padded.byteLength);
    const hex: string[] = [];
    for (let i = 0; i < padded.length; i += 4) hex.push(view.getUint32(i, true).toString(16).padStart(8, '0'));
    out.set(hex.join(' '), el.comment);
  }
  return out;
}

function padTo(b: Uint8Array, len: number): Uint8Array {
  if (b.length >= len) return b;
  const out = new Uint8Array(len);
  out.set(b);
  return out;
}

export function nftSetFlags(set: SetModel): number {
  let f = 0;
  if ((set.anonymous && !set.meter) || set.flagNames.includes('constant')) f |= NFT_SET_CONSTANT;
  if (set.anonymous) f |= NFT_SET_ANONYMOUS;
  if (set.flagNames.includes('timeout')) f |= NFT_SET_TIMEOUT;
  if (set.dynamic) f |= NFT_SET_EVAL;
  if (set.interval) f |= NFT_SET_INTERVAL;
  if (set.objType !== undefined) f |= NFT_SET_OBJECT;
  else if (set.isMap) f |= NFT_SET_MAP;
  if (set.keyTypes.length > 1 && set.interval) f |= NFT_SET_CONCAT;
  return f;
}

export interface Encoded {
  image: Uint8Array;
}

// Rules are linearized one at a time as they are encoded, so the
// instructions of ten thousand rules never live at once.
export function encode(model: RulesetModel, linearize: (rule: RuleModel) => Ins[]): Uint8Array {
  const chains = model.chains;
  const sets = model.sets;
  const chainTableOffset = RulesetHeader.Words * 4;
  const hookTableOffset = chainTableOffset + chains.length * ChainEntry.Words * 4;

  // Hook lists: per (family, hook), by priority; of chains of equal
  // priority the one created last runs first, as in the kernel, whose
  // nf_hook_entries_grow puts a new hook before those of its priority.
  const slots: { priority: number; chain: number }[][] = Array.from({ length: HOOK_FAMILIES * Hook.Count }, () => []);
  for (const c of chains) {
    if (c.hook === undefined) continue;
    const { slots: at, flags } = hookSlots(c);
    for (const slot of at) slots[slot].push({ priority: c.priority!, chain: (c.index | flags) >>> 0 });
  }
  for (const s of slots) s.sort((a, b) => a.priority - b.priority || b.chain - a.chain);
  const hookWords = new Words();
  let entryOffset = hookTableOffset + slots.length * 8;
  for (const s of slots) {
    hookWords.push(entryOffset, s.length);
    entryOffset += s.length * 8;
  }
  for (const s of slots) for (const e of s) hookWords.push(e.priority | 0, e.chain);

  const setTableOffset = hookTableOffset + hookWords.length * 4;
  const setWords = new Words();
  const elementWords = new Words();
  const elementsBase = setTableOffset + sets.length * SetEntry.Words * 4;
  for (const s of sets) {
    const els = s.interval ? intervalElements(s) : undefined;
    const count = els ? els.length : s.elements.length;
    const dlen = s.dataType ? (s.dataType.type.name === 'verdict' ? 8 : Math.ceil(s.dataType.bits / 8)) : 0;
    let flags = 0;
    if (s.interval) flags |= SetFlags.Interval;
    if (s.isMap) flags |= SetFlags.Map;
    if (s.dataType?.type.name === 'verdict') flags |= SetFlags.Verdict;
    if (isConcatInterval(s)) flags |= SetFlags.Concat;
    if (s.updated) flags |= SetFlags.Dynamic;
    if (s.counter) flags |= SetFlags.Counted;
    const stateful = elementsKeepState(s);
    if (stateful) flags |= SetFlags.Stateful;
    // nft declares an anonymous or constant interval set's size from its
    // boundaries, and another constant set's as what it holds.
    const size = (s.anonymous || s.flagNames.includes('constant')) && s.interval && s.keyTypes.length === 1 ? anonIntervalSize(s) : s.declaredSize ?? (s.flagNames.includes('constant') ? count : 0);
    setWords.push(keyLength(s), dlen, flags, count, elementsBase + elementWords.length * 4, size, nftSetFlags(s), fieldWords(s));
    // Exact sets' keys and data are written as they are: each already
    // fills its words.
    if (!els) {
      for (const el of s.elements) {
        elementWords.push((stateful ? SetElementFlag.Dynamic : 0) | (el.catchAll ? SetElementFlag.CatchAll : 0));
        elementWords.bytes(keyBytes(s, el.key));
        elementWords.bytes(dataBytes(s, el.data));
        if (!stateful) continue;
        // The expiry counts from the first packet (SetFlags.Stateful).
        const expires = (el.expiresMs ?? 0n) * NS_PER_MS;
        const timeout = el.timeoutMs ?? 0n;
        const state = [el.counter?.packets ?? 0n, el.counter?.bytes ?? 0n];
        const tail = new Uint32Array(DynamicElementTail.Size / 4);
        tail.set([expires, timeout, ...state].flatMap((v) => [lo32(v), hi32(v)]));
        for (const w of tail) elementWords.push(w);
      }
      continue;
    }
    for (const el of els) {
      elementWords.push(el.flags);
      elementWords.bytes(padTo(el.key, words(keyLength(s)) * 4));
      if (el.keyEnd) elementWords.bytes(padTo(el.keyEnd, words(keyLength(s)) * 4));
      elementWords.bytes(padTo(el.data, words(dlen) * 4));
    }
  }

  // Object table: ct helpers first, so a helper's position among the
  // ruleset's helpers (the Objref index) is its entry; then named counters.
  const objectTableOffset = elementsBase + elementWords.length * 4;
  const objectWords = new Words();
  const objects = model.tables.flatMap((t) => t.objects);
  for (const o of objects) {
    if (o.kind !== 'cthelper') continue;
    const kind = o.helper === 'ftp' ? HelperKind.Ftp : o.helper === 'tftp' ? HelperKind.Tftp : HelperKind.None;
    objectWords.push(ObjectType.CtHelper, kind, o.protocol, o.family === 1 ? 0 : o.family);
  }
  for (const o of objects) if (o.kind === 'counter') objectWords.push(ObjectType.Counter, o.index, 0, 0);
  const objectCount = objectWords.length / ObjectEntry.Words;

  const startsOffset = objectTableOffset + objectWords.length * 4;
  const startWords = new Words();
  const start = (c: { index: number; packets: bigint; bytes: bigint }) => {
    if (c.packets || c.bytes) startWords.push(c.index, lo32(c.packets), hi32(c.packets), lo32(c.bytes), hi32(c.bytes));
  };
  for (const o of objects) if (o.kind === 'counter') start(o);
  for (const c of chains) for (const r of c.rules) for (const s of r.stmts) if (s.kind === 'counter') start(s);

  const codeOffset = startsOffset + startWords.length * 4;
  const codeWords = new Words();
  const chainWords = new Words();
  for (const c of chains) {
    chainWords.push(codeWords.length * 4, c.rules.length, c.hook !== undefined ? (c.policy === 'drop' ? Verdict.Drop : Verdict.Accept) : POLICY_NONE, c.index, ...deviceWords(c.device));
    for (const r of c.rules) {
      const start = codeWords.length;
      codeWords.push(0, r.handle);
      for (const ins of linearize(r)) encodeIns(ins, codeWords);
      codeWords.w[start + RuleHeader.Size] = codeWords.length - start;
    }
  }

  const head = new Array<number>(RulesetHeader.Words).fill(0);
  head[RulesetHeader.Magic] = RULESET_MAGIC;
  head[RulesetHeader.Version] = RULESET_VERSION;
  head[RulesetHeader.Flags] = (model.conntrack ? RulesetFlags.Conntrack : 0) | (model.accounting ? RulesetFlags.Accounting : 0) | natFlags(model);
  head[RulesetHeader.ChainCount] = chains.length;
  head[RulesetHeader.ChainTableOffset] = chainTableOffset;
  head[RulesetHeader.HookTableOffset] = hookTableOffset;
  head[RulesetHeader.CounterCount] = model.counterCount;
  head[RulesetHeader.SetCount] = sets.length;
  head[RulesetHeader.SetTableOffset] = setTableOffset;
  head[RulesetHeader.CodeOffset] = codeOffset;
  head[RulesetHeader.CodeLength] = codeWords.length * 4;
  head[RulesetHeader.ObjectCount] = objectCount;
  head[RulesetHeader.ObjectTableOffset] = objectTableOffset;
  head[RulesetHeader.CounterStartCount] = startWords.length / CounterStart.Words;
  head[RulesetHeader.CounterStartOffset] = startsOffset;
  head[RulesetHeader.StateSlots] = model.stateSlots;

  const parts = [Uint32Array.from(head), chainWords.words, hookWords.words, setWords.words, elementWords.words, objectWords.words, startWords.words, codeWords.words];
  const image = new Uint8Array(parts.reduce((n, p) => n + p.length, 0) * 4);
  const view = new DataView(image.buffer);
  let at = 0;
  for (const p of parts) {
    for (let i = 0; i < p.length; i++, at += 4) view.setUint32(at, p[i], true);
  }
  return image;
}

export { Words };

// The families whose nf_nat hooks a nat chain registers (inet: both).
function natFlags(model: RulesetModel): number {
  let flags = 0;
  for (const c of model.chains) {
    if (c.type !== 'nat' || c.hook === undefined) continue;
    const fam = c.table.family;
    if (fam === 'ip' || fam === 'inet') flags |= RulesetFlags.NatIpv4;
    if (fam === 'ip6' || fam === 'inet') flags |= RulesetFlags.NatIpv6;
  }
  return flags;
}
