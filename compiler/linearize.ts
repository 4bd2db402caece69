// Turns typed statements into instructions, allocating registers the way
// nft's netlink_linearize.c does: one 32-bit unit per expression from
// NFT_REG_1 upwards, concatenations taking as many units as they span.
import { BitwiseOp, ByteorderOp, CmpOp, CSUM_INET, CT_TIMEOUT_STATES, CSUM_PSEUDOHDR, CtDir, DynsetOp, ExthdrMode, ExthdrOp, LimitFlags, Op, PayloadBase, QuotaFlags, Verdict } from '../assembly/abi.js';
import type { ForwardingModel } from './forwarding.js';
import type { Ins } from './instructions.js';
import type { ObjectModel, RuleModel, SetModel, TExpr, TStmt } from './model.js';
import { NAT_REG_WORDS, NAT_TYPE, type NatModel } from './nat.js';
import { PROTOCOLS } from './selectors.js';
import { payloadShift } from './evaluate.js';
import { toBytes } from './values.js';

const VERDICT_CODES: Record<string, number> = {
  accept: Verdict.Accept, drop: Verdict.Drop, continue: Verdict.Continue, return: Verdict.Return,
  jump: Verdict.Jump, goto: Verdict.Goto,
};

export function verdictCode(name: string): number {
  return VERDICT_CODES[name];
}

// Register units (32-bit) a value of `bits` occupies.
function units(bits: number): number {
  return Math.ceil(bits / 32);
}

// Word number in the register file of nft's internal register number.
function word(reg: number): number {
  return reg + 3;
}

export function constBytes(e: TExpr): Uint8Array {
  if (e.kind === 'const') return toBytes(e.value, e.bits, e.byteorder);
  if (e.kind === 'range' && e.pairwise) return Uint8Array.from([...constBytes(e.low), ...constBytes(e.high)]);
  if (e.kind === 'concat') {
    const parts = e.items.map((i) => {
      const b = constBytes(i);
      const padded = new Uint8Array(units(i.bits) * 4);
      padded.set(b);
      return padded;
    });
    const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
  throw new Error(`not a constant: ${e.kind}`);
}

function ones(len: number): Uint8Array {
  return new Uint8Array(len).fill(0xff);
}

function prefixMask(bits: number, length: number, len: number): Uint8Array {
  const m = new Uint8Array(len);
  for (let i = 0; i < length && i < bits; i++) m[i >> 3] |= 0x80 >> (i & 7);
  return m;
}

// Two or more &, | and ^ with constants in a row, as the one mask and xor
// nft folds them into (netlink_linearize.c: netlink_gen_bitwise), applied
// to the innermost operand.
export function foldBitwise(e: TExpr): { inner: TExpr; mask: bigint; xor: bigint } | undefined {
  const chain: (TExpr & { kind: 'binop' })[] = [];
  let inner = e;
  while (inner.kind === 'binop' && (inner.op === '&' || inner.op === '|' || inner.op === '^') && inner.right.kind === 'const') {
    chain.unshift(inner);
    inner = inner.left;
  }
  if (chain.length < 2) return undefined;
  const all = (1n << BigInt(e.bits)) - 1n;
  let mask = all;
  let xor = 0n;
  for (const b of chain) {
    const v = (b.right as TExpr & { kind: 'const' }).value;
    if (b.op === '&') {
      mask &= v;
      xor &= v;
    } else if (b.op === '|') {
      mask &= ~v & all;
      xor |= v;
    } else {
      xor ^= v;
    }
  }
  return { inner, mask, xor };
}

export class Linearizer {
  private regLow = 1;
  readonly out: Ins[] = [];

  constructor(
    private readonly setIndex: (s: SetModel) => number,
    private readonly helperIndex: (o: ObjectModel) => number,
  ) {}

  private get(e?: TExpr): number {
    const r = this.regLow;
    this.regLow += e && e.kind === 'concat' ? units(e.bits) : 1;
    return r;
  }

  private release(e?: TExpr): void {
    this.regLow -= e && e.kind === 'concat' ? units(e.bits) : 1;
  }

  private nat(s: NatModel): void {
    const values = [s.addrMin, s.addrMax, s.protoMin, s.protoMax];
    let next = 0;
    const regs = values.map((v) => {
      if (!v) return 0;
      const w = NAT_REG_WORDS[next++];
      if (v.kind === 'const') this.out.push({ op: 'immediate', dreg: w, data: constBytes(v) });
      else this.expr(v, w - 3);
      return w;
    });
    if (s.mapShape) {
      // The data's words after the address's: its port, then with ranges
      // the highest address and port.
      const units = Math.ceil(s.addrMin!.type.bits / 32);
      const port = s.mapShape.withPort ? 1 : 0;
      const at = NAT_REG_WORDS[0];
      if (port) regs[2] = at + units;
      if (s.mapShape.interval) regs[1] = at + units + port;
      if (port && s.mapShape.interval) regs[3] = at + 2 * units + port;
    }
    this.out.push({ op: 'nat', type: NAT_TYPE[s.type], nfproto: s.nfproto, regs, flags: s.flags });
  }

  // Each operand in a 128-bit register of its own, as nft gives them, in
  // its order: dup's address before its device, fwd's device before its
  // address.
  private forwarding(s: ForwardingModel): void {
    let next = 0;
    const load = (e?: TExpr): number => {
      if (!e) return 0;
      const w = NAT_REG_WORDS[next++];
      this.expr(e, w - 3);
      return w;
    };
    switch (s.kind) {
      case 'dup': {
        const a = load(s.addr);
        this.out.push({ op: 'forwarding', code: Op.Dup, a, b: load(s.dev), word: 0 });
        break;
      }
      case 'fwd': {
        const a = load(s.dev);
        this.out.push({ op: 'forwarding', code: Op.Fwd, a, b: load(s.addr), word: s.nfproto });
        break;
      }
      case 'tproxy': {
        const a = load(s.addr);
        this.out.push({ op: 'forwarding', code: Op.Tproxy, a, b: load(s.port), word: s.nfproto });
        break;
      }
      case 'synproxy':
        this.out.push({ op: 'forwarding', code: Op.Synproxy, a: 0, b: 0, word: (s.mss | (s.wscale << 16) | (s.flags << 24)) >>> 0 });
        break;
      case 'flowoffload':
        this.out.push({ op: 'forwarding', code: Op.FlowOffload, a: 0, b: 0, word: s.flowtable.index });
        break;
    }
  }

  rule(rule: RuleModel): Ins[] {
    for (const s of rule.stmts) this.stmt(s);
    return this.out;
  }

  private stmt(s: TStmt): void {
    switch (s.kind) {
      case 'match': return this.match(s);
      case 'joined': {
        const first = s.parts[0].left as TExpr & { kind: 'payload' };
        const data = s.parts.flatMap((p) => [...constBytes(p.right)]);
        const sreg = word(this.get());
        this.out.push({ op: 'payload', dreg: sreg, base: first.base, offset: first.offset / 8, len: data.length });
        this.out.push({ op: 'cmp', sreg, cmp: s.op === '!=' ? CmpOp.Neq : CmpOp.Eq, data: Uint8Array.from(data) });
        this.release();
        return;
      }
      case 'verdict':
        this.out.push({ op: 'verdict', code: VERDICT_CODES[s.verdict], chain: s.chain ? s.chain.index : 0 });
        return;
      case 'vmap': {
        const r = this.get(s.key);
        this.lookupKey(s.key, r, s.set);
        this.out.push({ op: 'lookup', sreg: word(r), dreg: 0, set: this.setIndex(s.set), invert: false });
        this.release(s.key);
        return;
      }
      case 'objmap': {
        const r = this.get(s.key);
        this.lookupKey(s.key, r, s.set);
        this.out.push({ op: 'objrefmap', sreg: word(r), set: this.setIndex(s.set), objType: s.objType, states: s.states?.map(stateIns) });
        this.release(s.key);
        return;
      }
      case 'counter':
        this.out.push({ op: 'counter', index: s.index });
        return;
      case 'objref':
      {
        const o = s.object;
        if (o.kind === 'quota' || o.kind === 'limit') this.out.push({ op: 'objref', objType: s.objType, index: o.stmt.slot, state: stateIns(o.stmt) });
        else if (o.kind === 'cttimeout') this.out.push({ op: 'objref', objType: s.objType, index: o.index, policy: [o.l4proto, ...o.timeouts, ...new Array<number>(CT_TIMEOUT_STATES - o.timeouts.length).fill(0)] });
        else this.out.push({ op: 'objref', objType: s.objType, index: o.kind === 'counter' || o.kind === 'ctexpect' || o.kind === 'synproxy' ? o.index : this.helperIndex(o) });
      }
        return;
      case 'ctset': {
        const r = this.get(s.value);
        this.expr(s.value, r);
        this.out.push({ op: 'ctset', sreg: word(r), key: s.tmpl.key, dir: s.dir ?? CtDir.None });
        this.release(s.value);
        return;
      }
      case 'metaset': {
        const r = this.get(s.value);
        this.expr(s.value, r);
        this.out.push({ op: 'metaset', sreg: word(r), key: s.tmpl.key });
        this.release(s.value);
        return;
      }
      case 'payloadset':
        return this.payloadWrite(s.target, s.value);
      case 'optreset':
        this.out.push({ op: 'exthdr', mode: ExthdrMode.Reset, reg: 0, optype: ExthdrOp.TcpOpt, type: s.option, offset: 0, len: 0, present: false });
        return;
      case 'notrack':
        this.out.push({ op: 'notrack' });
        return;
      case 'reject':
        this.out.push({ op: 'reject', type: s.type, code: s.code });
        return;
      case 'queue': {
        if (!s.map) {
          this.out.push({ op: 'queue', sreg: 0, num: s.first, total: s.last - s.first + 1, flags: s.flags });
          return;
        }
        const r = this.get(s.map);
        this.expr(s.map, r);
        this.out.push({ op: 'queue', sreg: word(r), num: 0, total: 0, flags: s.flags });
        this.release(s.map);
        return;
      }
      case 'nat':
        this.nat(s);
        return;
      case 'dup': case 'fwd': case 'tproxy': case 'synproxy': case 'flowoffload':
        this.forwarding(s);
        return;
      case 'log':
        this.out.push({ op: 'log', index: s.index });
        return;
      case 'connlimit':
        this.out.push({ op: 'connlimit', count: s.count, flags: s.over ? 1 : 0 });
        return;
      case 'limit':
        this.out.push(stateIns(s));
        return;
      case 'dynset': {
        const r = this.get(s.key);
        this.expr(s.key, r);
        // nft puts a map's data in the 128-bit register after the key's.
        let sregData = 0;
        if (s.data) {
          const low = this.regLow;
          this.regLow = r + Math.ceil(units(s.key.bits) / 4) * 4;
          const d = this.get(s.data);
          this.expr(s.data, d);
          sregData = word(d);
          this.regLow = low;
        }
        const dynOp = s.op === 'add' ? DynsetOp.Add : s.op === 'update' ? DynsetOp.Update : DynsetOp.Delete;
        this.out.push({ op: 'dynset', sreg: word(r), sregData, set: this.setIndex(s.set), dynOp, timeout: s.timeout ?? s.set.timeout ?? 0n, ownTimeout: s.timeout !== undefined, exprs: s.exprs?.length ?? 0 });
        this.release(s.key);
        for (const e of s.exprs ?? []) this.stmt(e);
        return;
      }
      case 'quota':
        this.out.push(stateIns(s));
        return;
    }
  }

  // Interval lookups compare keys in network byte order: host-order values
  // are converted, each field of a concatenation on its own.
  private lookupKey(key: TExpr, r: number, set: SetModel): void {
    this.expr(key, r, set.interval);
    if (set.interval && key.kind !== 'concat') this.out.push(...this.toBig(key, word(r), Math.ceil(key.bits / 8)));
  }

  // Loads an expression's value into register r (internal numbering);
  // `hton` converts each field of a concatenation to network byte order.
  private expr(e: TExpr, r: number, hton = false): void {
    const len = Math.ceil(e.bits / 8);
    switch (e.kind) {
      case 'ct':
        this.out.push({ op: 'ct', dreg: word(r), key: e.tmpl.key, dir: e.dir ?? CtDir.None });
        return;
      case 'meta':
        this.out.push({ op: 'meta', dreg: word(r), key: e.key });
        return;
      case 'fib':
        this.out.push({ op: 'fib', dreg: word(r), result: e.result, flags: e.flags });
        return;
      case 'rt':
        this.out.push({ op: 'rt', dreg: word(r), key: e.key });
        return;
      case 'socket':
        this.out.push({ op: 'socket', dreg: word(r), key: e.key });
        return;
      case 'xfrm':
        this.out.push({ op: 'xfrm', dreg: word(r), key: e.key, dir: e.dir, spnum: e.spnum });
        return;
      case 'osf':
        this.out.push({ op: 'osf', dreg: word(r), ttl: e.ttl, version: e.version });
        return;
      case 'numgen':
        this.out.push({ op: 'numgen', dreg: word(r), mode: e.mode, mod: e.mod, offset: e.offset, slot: e.slot });
        return;
      case 'hash': {
        // The key goes in the register after the result's, as nft puts it.
        let sreg = r;
        if (e.key) {
          const low = this.regLow;
          this.regLow = r + 4;
          sreg = this.get(e.key);
          this.expr(e.key, sreg);
          this.regLow = low;
        }
        const len = e.key ? Math.ceil(e.key.bits / 8) : 0;
        this.out.push({ op: 'hash', dreg: word(r), sreg: word(sreg), len, type: e.fn, mod: e.mod, seed: e.seed ?? 0, seeded: e.seed !== undefined, offset: e.offset });
        return;
      }
      case 'payload': {
        const first = Math.floor(e.offset / 8);
        const last = Math.ceil((e.offset + e.bits) / 8);
        if (e.exthdr) {
          this.out.push({ op: 'exthdr', mode: ExthdrMode.Load, reg: word(r), optype: e.exthdr.op, type: e.exthdr.type, offset: first, len: last - first, present: e.exthdr.present });
          if (e.exthdr.present) return;
        } else {
          this.out.push({ op: 'payload', dreg: word(r), base: e.base, offset: first, len: last - first });
        }
        if (e.offset % 8 !== 0 || e.bits % 8 !== 0) {
          const n = last - first;
          const mask = new Uint8Array(n);
          for (let i = 0; i < e.bits; i++) {
            const bit = e.offset - first * 8 + i;
            mask[bit >> 3] |= 0x80 >> (bit & 7);
          }
          this.out.push({ op: 'bitwise', sreg: word(r), dreg: word(r), len: n, mask, xor: new Uint8Array(n) });
        }
        return;
      }
      case 'const':
        this.out.push({ op: 'immediate', dreg: word(r), data: constBytes(e) });
        return;
      case 'binop': {
        const folded = foldBitwise(e);
        if (folded) {
          this.expr(folded.inner, r);
          const bytes = (value: bigint) => constBytes({ ...(e.right as TExpr & { kind: 'const' }), value, bits: e.bits, byteorder: e.byteorder });
          this.out.push({ op: 'bitwise', sreg: word(r), dreg: word(r), len, mask: bytes(folded.mask), xor: bytes(folded.xor) });
          return;
        }
        this.expr(e.left, r);
        const right = e.right as TExpr & { kind: 'const' };
        if (e.op === '<<' || e.op === '>>') {
          this.out.push({ op: 'shift', sreg: word(r), dreg: word(r), len, dir: e.op === '<<' ? BitwiseOp.Lshift : BitwiseOp.Rshift, amount: Number(right.value) });
          return;
        }
        const c = constBytes({ ...right, bits: e.bits, byteorder: e.byteorder });
        let mask: Uint8Array;
        let xor: Uint8Array;
        if (e.op === '&') {
          mask = c;
          xor = new Uint8Array(len);
        } else if (e.op === '|') {
          mask = c.map((b) => ~b & 0xff);
          xor = c;
        } else {
          mask = ones(len);
          xor = c;
        }
        this.out.push({ op: 'bitwise', sreg: word(r), dreg: word(r), len, mask, xor });
        return;
      }
      case 'concat': {
        let reg = r;
        for (const item of e.items) {
          this.expr(item, reg);
          if (hton) this.out.push(...this.concatToBig(item, word(reg)));
          reg += units(item.bits);
        }
        return;
      }
      case 'map': {
        // nft loads the key into the register the result goes to.
        this.lookupKey(e.key, r, e.set);
        this.out.push({ op: 'lookup', sreg: word(r), dreg: word(r), set: this.setIndex(e.set), invert: false });
        return;
      }
      default:
        throw new Error(`cannot load ${e.kind}`);
    }
  }

  private match(s: TStmt & { kind: 'match' }): void {
    const { left, right } = s;
    const r = this.get(left);
    const sreg = word(r);
    // A header field that does not fill its bytes is loaded with them.
    const len = left.kind === 'payload' ? Math.ceil((left.offset + left.bits) / 8) - Math.floor(left.offset / 8) : Math.ceil(left.bits / 8);
    // A /0 prefix still loads the whole field, masks it to nothing and
    // compares that, as nft emits it.
    if (right.kind === 'prefix' && right.length > 0 && right.length % 8 === 0 && left.kind === 'payload' && left.offset % 8 === 0) {
      const bytes = right.length / 8;
      this.out.push({ op: 'payload', dreg: sreg, base: left.base, offset: left.offset / 8, len: bytes });
      this.out.push({ op: 'cmp', sreg, cmp: s.op === '!=' ? CmpOp.Neq : CmpOp.Eq, data: constBytes(right.value).slice(0, bytes) });
      this.release(left);
      return;
    }
    this.expr(left, r, right.kind === 'setref' && right.set.interval);
    const eqOp = s.op === '!=' ? CmpOp.Neq : CmpOp.Eq;
    switch (right.kind) {
      case 'const': {
        const data = this.shiftedConst(left, right);
        if (s.op === 'implicit' && left.type.flags) {
          this.out.push({ op: 'bitwise', sreg, dreg: sreg, len, mask: data, xor: new Uint8Array(len) });
          this.out.push({ op: 'cmp', sreg, cmp: CmpOp.Neq, data: new Uint8Array(len) });
        } else if (s.op === '!') {
          this.out.push({ op: 'bitwise', sreg, dreg: sreg, len, mask: data, xor: new Uint8Array(len) });
          this.out.push({ op: 'cmp', sreg, cmp: CmpOp.Eq, data: new Uint8Array(len) });
        } else if (s.op === '==' || s.op === '!=' || s.op === 'implicit') {
          this.out.push({ op: 'cmp', sreg, cmp: eqOp, data });
        } else {
          const cmp = { '<': CmpOp.Lt, '>': CmpOp.Gt, '<=': CmpOp.Lte, '>=': CmpOp.Gte }[s.op];
          this.out.push(...this.toBig(left, sreg, len));
          this.out.push({ op: 'cmp', sreg, cmp, data: left.kind === 'payload' ? data : toBytes(right.value, left.bits, 'big') });
        }
        break;
      }
      case 'range': {
        const lo = (right.low as TExpr & { kind: 'const' }).value;
        const hi = (right.high as TExpr & { kind: 'const' }).value;
        this.out.push(...this.toBig(left, sreg, len));
        const shift = BigInt(payloadShift(left));
        const from = toBytes(lo << shift, len * 8, 'big');
        const to = toBytes(hi << shift, len * 8, 'big');
        if (s.op === '!=') {
          this.out.push({ op: 'range', sreg, cmp: CmpOp.Neq, len, from, to });
        } else {
          this.out.push({ op: 'cmp', sreg, cmp: CmpOp.Gte, data: from });
          this.out.push({ op: 'cmp', sreg, cmp: CmpOp.Lte, data: to });
        }
        break;
      }
      case 'prefix': {
        const value = constBytes(right.value);
        // A host-order number's prefix is its top bits, masked as a number.
        if (left.byteorder === 'host' && left.type.print !== 'string' && right.value.kind === 'const') {
          const top = ((1n << BigInt(right.length)) - 1n) << BigInt(left.bits - right.length);
          const mask = toBytes(top, left.bits, 'host');
          this.out.push({ op: 'bitwise', sreg, dreg: sreg, len, mask, xor: new Uint8Array(len) });
          this.out.push({ op: 'cmp', sreg, cmp: eqOp, data: toBytes(right.value.value & top, left.bits, 'host') });
          break;
        }
        if (right.length > 0 && right.length % 8 === 0) {
          this.out.push({ op: 'cmp', sreg, cmp: eqOp, data: value.slice(0, right.length / 8) });
        } else {
          const mask = prefixMask(left.bits, right.length, len);
          this.out.push({ op: 'bitwise', sreg, dreg: sreg, len, mask, xor: new Uint8Array(len) });
          this.out.push({ op: 'cmp', sreg, cmp: eqOp, data: value.map((b, i) => b & mask[i]) });
        }
        break;
      }
      case 'setref':
        if (right.set.interval && left.kind !== 'concat') this.out.push(...this.toBig(left, sreg, len));
        this.out.push({ op: 'lookup', sreg, dreg: -1, set: this.setIndex(right.set), invert: s.op === '!=' });
        break;
      default:
        throw new Error(`cannot match against ${right.kind}`);
    }
    this.release(left);
  }

  // nft's stmt_evaluate_payload: a field that does not fill its bytes, or an
  // odd number of bytes under a checksum, is written as whole 16-bit
  // aligned bytes loaded, masked and patched with the shifted value.
  private payloadWrite(target: TExpr & { kind: 'payload' }, value: TExpr): void {
    const proto = target.raw ? undefined : PROTOCOLS[target.proto];
    const csum = proto?.checksum !== undefined;
    let first = Math.floor(target.offset / 8);
    const last = Math.ceil((target.offset + target.bits) / 8);
    let size = last - first;
    let shift = last * 8 - target.offset - target.bits;
    const whole = target.offset % 8 === 0 && target.bits % 8 === 0;
    const r = this.get(value);
    const sreg = word(r);
    // The kernel updates the TCP checksum for an option it writes itself.
    if (target.exthdr) {
      this.expr(value, r);
      this.out.push(...this.hostToField(value, target, sreg));
      this.out.push({ op: 'exthdr', mode: ExthdrMode.Write, reg: sreg, optype: target.exthdr.op, type: target.exthdr.type, offset: first, len: size, present: false });
      this.release(value);
      return;
    }
    if (whole && (!csum || size % 2 === 0)) {
      this.expr(value, r);
      this.out.push(...this.hostToField(value, target, sreg));
    } else {
      if (csum && size % 2) {
        size++;
        if (first % 2) first--;
        else shift += 8;
      }
      const bits = BigInt(size * 8);
      const field = ((1n << BigInt(target.bits)) - 1n) << BigInt(shift);
      const mask = toBytes(((1n << bits) - 1n) ^ field, size * 8, 'big');
      const xor = toBytes((value as TExpr & { kind: 'const' }).value << BigInt(shift), size * 8, 'big');
      this.out.push({ op: 'payload', dreg: sreg, base: target.base, offset: first, len: size });
      this.out.push({ op: 'bitwise', sreg, dreg: sreg, len: size, mask, xor });
    }
    const pseudo = target.base === PayloadBase.Network && (proto?.pseudo?.includes(target.field) ?? false);
    this.out.push({
      op: 'payloadwrite', sreg, base: target.base, offset: first, len: size,
      csumType: csum ? CSUM_INET : 0, csumOffset: proto?.checksum ?? 0, csumFlags: pseudo ? CSUM_PSEUDOHDR : 0,
    });
    this.release(value);
  }

  // Header bit fields are compared in place: the constant moves to the
  // field's bit position within the loaded bytes.
  private shiftedConst(left: TExpr, right: TExpr & { kind: 'const' }): Uint8Array {
    if (left.kind === 'payload' && (left.offset % 8 !== 0 || left.bits % 8 !== 0)) {
      const first = Math.floor(left.offset / 8);
      const n = Math.ceil((left.offset + left.bits) / 8) - first;
      const shift = BigInt(n * 8 - (left.offset - first * 8) - left.bits);
      return toBytes(right.value << shift, n * 8, 'big');
    }
    return constBytes(right);
  }

  // A field of a concatenated interval key in host byte order is converted
  // whatever its length: nft converts a single byte as a 16-bit element
  // (which changes nothing).
  private concatToBig(item: TExpr, sreg: number): Ins[] {
    const len = Math.ceil(item.bits / 8);
    if (len !== 1 || item.byteorder !== 'host') return this.toBig(item, sreg, len);
    return [{ op: 'byteorder', sreg, dreg: sreg, order: ByteorderOp.Hton, len, size: 2 }];
  }

  // A host-order value computed by the rule (rt mtu, numgen) written to a
  // header field is converted first, as nft's evaluator converts it.
  private hostToField(value: TExpr, target: TExpr, sreg: number): Ins[] {
    if (value.kind === 'const' || target.byteorder !== 'big') return [];
    return this.toBig(value, sreg, Math.ceil(target.bits / 8));
  }

  // Ordered comparisons need network byte order: host-order values get a
  // byteorder instruction first.
  // Strings are byte strings already, in the order they compare in.
  private toBig(left: TExpr, sreg: number, len: number): Ins[] {
    if (left.byteorder !== 'host' || len <= 1 || left.type.print === 'string') return [];
    return [{ op: 'byteorder', sreg, dreg: sreg, order: ByteorderOp.Hton, len, size: len }];
  }
}

// The instruction of a quota or limit, a statement's or a named object's.
function stateIns(s: TStmt & { kind: 'quota' | 'limit' }): Ins & { op: 'quota' | 'limit' } {
  if (s.kind === 'quota') return { op: 'quota', slot: s.slot, flags: s.over ? QuotaFlags.Over : 0, bytes: s.bytes, used: s.used };
  return { op: 'limit', slot: s.slot, flags: (s.over ? LimitFlags.Over : 0) | (s.bytes ? LimitFlags.Bytes : 0), rate: s.rate, unit: s.unit, burst: s.burst };
}
