// The checks an image passes before anything reads it, as the kernel checks
// a ruleset when it is committed and libpcap's bpf_validate a filter: every
// table inside the image, every rule inside its chain, every instruction
// known and of its size, every register and length inside the register
// file, every chain, set, object, counter and state index in range, jumps
// and gotos from the base chains free of loops and less than 16 deep. The
// interpreter then trusts the image: it checks none of this per packet.
import {
  BitwiseOp, ByteorderOp, CT_TIMEOUT_STATES, ChainEntry, DYNSET_EXPRS_SHIFT, DYNSET_MAX_EXPRS, DynamicElementTail, DynsetWord, NatType, HOOK_INET_CHAIN, HOOK_NAT_CHAIN, CmpOp, CounterStart, CtDir, CtKey, ExthdrMode, ExthdrOp, FibFlags, FibResult, HashType, HOOK_FAMILIES, Hook, IFNAMSIZ, ImageError, MetaKey,
  NumgenType, ObjectEntry, ObjectType, Op, OSF_GENRE_LEN, PayloadBase, RtKey, SocketKey, XfrmKey, POLICY_NONE, RULESET_MAGIC, RULESET_VERSION, RuleHeader, RulesetHeader, SetEntry, SetFlags, Verdict,
} from './abi';
import { NFPROTO_IPV4, NFPROTO_IPV6 } from './packet';

// Where the fault is (byte offset in the image) and the value at fault.
export let errorAt: u32 = 0;
export let errorValue: u32 = 0;

// Words of the register file: the verdict (0-3), then 16 data words.
const REGISTER_WORDS: u32 = 20;
const FIRST_DATA_WORD: u32 = 4;
// NFT_JUMP_STACK_SIZE: a chain this many jumps below a base chain is refused.
const JUMP_STACK_SIZE: u32 = 16;
// The longest key or data a set may hold: the register file's data words.
const MAX_SET_BYTES: u32 = 64;

let image: usize = 0;
let imageLength: u32 = 0;
let chainCount: u32 = 0;
let chainTable: u32 = 0;
let code: u32 = 0;
let codeLength: u32 = 0;
let setCount: u32 = 0;
let setTable: u32 = 0;
let counterCount: u32 = 0;
let objectCount: u32 = 0;
let objectTable: u32 = 0;
let stateSlots: u32 = 0;
// Per chain while the jump graph is walked: unseen (0), VISITING or DONE;
// then the longest path below it.
let marks: usize = 0;

function fail(kind: ImageError, at: usize, value: u32): i32 {
  errorAt = <u32>(at - image);
  errorValue = value;
  return -(<i32>kind);
}

@inline function header(f: RulesetHeader): u32 {
  return load<u32>(image + (<usize>f << 2));
}

@inline function words(len: u32): u32 {
  return (len + 3) >> 2;
}

// Whether count entries of size bytes from byte offset off lie in the image.
@inline function inImage(off: u32, count: u32, size: u32): bool {
  return (off & 3) == 0 && <u64>off + <u64>count * <u64>size <= <u64>imageLength;
}

@inline function register(r: u32, len: u32): bool {
  return r >= FIRST_DATA_WORD && len > 0 && r + words(len) <= REGISTER_WORDS;
}

@inline function setEntry(set: u32, f: SetEntry): u32 {
  return load<u32>(image + setTable + set * (<u32>SetEntry.Words << 2) + (<u32>f << 2));
}

@inline function chainWord(chain: u32, f: ChainEntry): u32 {
  return load<u32>(image + chainTable + chain * (<u32>ChainEntry.Words << 2) + (<u32>f << 2));
}

// The bytes a meta or ct load writes (the kernel's len for each key).
function metaLength(key: u32): u32 {
  switch (key) {
    case MetaKey.Iifname:
    case MetaKey.Oifname:
    case MetaKey.BriIifname:
    case MetaKey.BriOifname:
    case MetaKey.Iifkind:
    case MetaKey.Oifkind:
    case <u32>MetaKey.Sdifname:
      return 16;
    case MetaKey.TimeNs:
      return 8;
  }
  return 4;
}

function ctLength(key: u32): u32 {
  switch (key) {
    case CtKey.Src:
    case CtKey.Dst:
    case CtKey.SrcIp6:
    case CtKey.DstIp6:
    case CtKey.Labels:
    case CtKey.Helper:
      return 16;
    case CtKey.Pkts:
    case CtKey.Bytes:
    case CtKey.Avgpkt:
      return 8;
    case CtKey.ProtoSrc:
    case CtKey.ProtoDst:
      return 2;
  }
  return 4;
}

@inline function validVerdict(code: i32): bool {
  return code == Verdict.Accept || code == Verdict.Drop || code == Verdict.Continue || code == Verdict.Break ||
    code == Verdict.Return || code == Verdict.Jump || code == Verdict.Goto;
}

// A jump or goto's target: a regular chain.
@inline function jumpTarget(chain: u32): bool {
  return chain < chainCount && chainWord(chain, ChainEntry.Policy) == POLICY_NONE;
}

@inline function hasState(type: u32): bool {
  return type == ObjectType.Quota || type == ObjectType.Limit;
}

// The state words of a quota or limit (those after its instruction's
// header, at `words`): its slot, and a limit's unit.
function checkState(type: u32, words: usize): i32 {
  const slot = load<u32>(words) & 0xffffff;
  if (slot >= stateSlots) return fail(ImageError.StateSlot, words, slot);
  return type == ObjectType.Limit && load<u32>(words + 12) == 0 ? fail(ImageError.BadOperand, words + 12, 0) : 0;
}

// The size in words an instruction of this opcode must have (len: its
// field B), or 0 for an unknown opcode.
function sizeOf(op: u32, a: u32, b: u32, ins: usize): u32 {
  switch (op) {
    case Op.Immediate: return a == 0 ? 3 : 1 + words(b);
    case Op.Cmp: return 2 + words(b);
    case Op.Bitwise: return ((load<u32>(ins + 4) >> 8) & 0xff) == BitwiseOp.Bool ? 2 + 2 * words(b) : 3;
    case Op.PayloadLoad: return 2;
    case Op.MetaLoad: return 1;
    case Op.CtLoad: return 2;
    case Op.Counter: return 2;
    case Op.Range: return 2 + 2 * words(b);
    case Op.Byteorder: return 2;
    case Op.Lookup: return 2;
    case Op.MetaSet: return 1;
    case Op.CtSet: return 2;
    case Op.Notrack: return 1;
    // A named quota or limit carries the five words after its own header.
    case Op.Objref: {
      const type = load<u32>(ins + 4);
      return hasState(type) ? 8 : type == ObjectType.CtTimeout ? 4 + CT_TIMEOUT_STATES : 3;
    }
    case Op.ObjrefMap: return hasState(load<u32>(ins + 8)) ? 4 + 5 * load<u32>(ins + 12) : 3;
    case Op.Log: return 2;
    case Op.Connlimit: return 3;
    case Op.Dynset: return 5;
    case Op.PayloadWrite: return 3;
    case Op.Limit: return 6;
    case Op.Quota: return 6;
    case Op.Reject: return 2;
    case Op.Queue: return 3;
    case Op.Exthdr: return 3;
    case Op.Nat: return 3;
    case Op.Fib: return 2;
    case Op.Rt: return 1;
    case Op.Numgen: return 4;
    case Op.Hash: return 5;
    case Op.Socket: return 1;
    case Op.Xfrm: return 2;
    case Op.Osf: return 2;
    case Op.Tproxy: return 2;
    case Op.Dup: return 1;
  }
  return 0;
}

// The operands of one instruction whose size is known to be right.
function checkOperands(ins: usize, op: u32, a: u32, b: u32): i32 {
  switch (op) {
    case Op.Immediate: {
      if (a != 0) return register(a, b) ? 0 : fail(ImageError.BadRegister, ins, a);
      const v = load<i32>(ins + 4);
      if (!validVerdict(v)) return fail(ImageError.BadOperand, ins + 4, <u32>v);
      if ((v == Verdict.Jump || v == Verdict.Goto) && !jumpTarget(load<u32>(ins + 8))) return fail(ImageError.ChainIndex, ins + 8, load<u32>(ins + 8));
      return 0;
    }
    case Op.Cmp:
      if (!register(a, b)) return fail(ImageError.BadRegister, ins, a);
      return load<u32>(ins + 4) <= <u32>CmpOp.Gte ? 0 : fail(ImageError.BadOperand, ins + 4, load<u32>(ins + 4));
    case Op.Range:
      if (!register(a, b)) return fail(ImageError.BadRegister, ins, a);
      return load<u32>(ins + 4) <= <u32>CmpOp.Neq ? 0 : fail(ImageError.BadOperand, ins + 4, load<u32>(ins + 4));
    case Op.Bitwise: {
      const w = load<u32>(ins + 4);
      if (!register(a, b)) return fail(ImageError.BadRegister, ins, a);
      if (!register(w & 0xff, b)) return fail(ImageError.BadRegister, ins + 4, w & 0xff);
      const bop = (w >> 8) & 0xff;
      if (bop > <u32>BitwiseOp.Rshift) return fail(ImageError.BadOperand, ins + 4, bop);
      if (bop != BitwiseOp.Bool && load<u32>(ins + 8) >= 32) return fail(ImageError.BadOperand, ins + 8, load<u32>(ins + 8));
      return 0;
    }
    case Op.PayloadLoad:
    case Op.PayloadWrite: {
      if (!register(a, b)) return fail(ImageError.BadRegister, ins, a);
      const base = load<u32>(ins + 4) & 0xff;
      return base <= <u32>PayloadBase.Inner ? 0 : fail(ImageError.BadOperand, ins + 4, base);
    }
    case Op.MetaLoad:
      if (b > <u32>MetaKey.Sdifname) return fail(ImageError.BadOperand, ins, b);
      return register(a, metaLength(b)) ? 0 : fail(ImageError.BadRegister, ins, a);
    case Op.MetaSet:
      if (b > <u32>MetaKey.Sdifname) return fail(ImageError.BadOperand, ins, b);
      return register(a, 4) ? 0 : fail(ImageError.BadRegister, ins, a);
    case Op.CtLoad:
    case Op.CtSet: {
      if (b > <u32>CtKey.Id) return fail(ImageError.BadOperand, ins, b);
      const dir = load<u32>(ins + 4);
      if (dir != CtDir.Original && dir != CtDir.Reply && dir != CtDir.None) return fail(ImageError.BadOperand, ins + 4, dir);
      return register(a, ctLength(b)) ? 0 : fail(ImageError.BadRegister, ins, a);
    }
    case Op.Counter:
      return load<u32>(ins + 4) < counterCount ? 0 : fail(ImageError.CounterIndex, ins + 4, load<u32>(ins + 4));
    case Op.Byteorder: {
      const w = load<u32>(ins + 4);
      const len = (w >> 8) & 0xff;
      const size = (w >> 16) & 0xff;
      if ((w & 0xff) > <u32>ByteorderOp.Hton || (size != 2 && size != 4 && size != 8)) return fail(ImageError.BadOperand, ins + 4, w);
      if (!register(a, len)) return fail(ImageError.BadRegister, ins, a);
      return register(b, len) ? 0 : fail(ImageError.BadRegister, ins, b);
    }
    case Op.Lookup: {
      const set = load<u32>(ins + 4) & 0xffffff;
      if (set >= setCount) return fail(ImageError.SetIndex, ins + 4, set);
      if (!register(a, setEntry(set, SetEntry.KeyLength))) return fail(ImageError.BadRegister, ins, a);
      const flags = setEntry(set, SetEntry.Flags);
      if (b != 0 && ((flags & SetFlags.Map) == 0 || !register(b, setEntry(set, SetEntry.DataLength)))) return fail(ImageError.BadRegister, ins, b);
      return 0;
    }
    case Op.Dynset: {
      const set = load<u32>(ins + 4) & 0xffffff;
      if (set >= setCount || (setEntry(set, SetEntry.Flags) & SetFlags.Dynamic) == 0) return fail(ImageError.SetIndex, ins + 4, set);
      if ((load<u32>(ins + 4) >> 24) > 2) return fail(ImageError.BadOperand, ins + 4, load<u32>(ins + 4) >> 24);
      if (!register(a, setEntry(set, SetEntry.KeyLength))) return fail(ImageError.BadRegister, ins, a);
      const isMap = (setEntry(set, SetEntry.Flags) & SetFlags.Map) != 0;
      if (b != 0 ? !isMap || !register(b, setEntry(set, SetEntry.DataLength)) : isMap) return fail(ImageError.BadRegister, ins, b);
      return 0;
    }
    case Op.ObjrefMap: {
      const set = load<u32>(ins + 4);
      if (set >= setCount) return fail(ImageError.SetIndex, ins + 4, set);
      if (!register(a, setEntry(set, SetEntry.KeyLength))) return fail(ImageError.BadRegister, ins, a);
      if ((setEntry(set, SetEntry.Flags) & SetFlags.Map) == 0 || setEntry(set, SetEntry.DataLength) != 4) return fail(ImageError.SetIndex, ins + 4, set);
      const type = load<u32>(ins + 8);
      if (type != ObjectType.Counter && type != ObjectType.CtHelper && !hasState(type)) return fail(ImageError.BadOperand, ins + 8, type);
      if (!hasState(type)) return 0;
      const n = load<u32>(ins + 12);
      for (let i: u32 = 0; i < n; i++) {
        const r = checkState(type, ins + 16 + <usize>i * 20);
        if (r != 0) return r;
      }
      return 0;
    }
    case Op.Objref: {
      const type = load<u32>(ins + 4);
      const index = load<u32>(ins + 8);
      if (hasState(type)) return checkState(type, ins + 12);
      if (type == ObjectType.Counter) return index < counterCount ? 0 : fail(ImageError.CounterIndex, ins + 8, index);
      if (type == ObjectType.CtTimeout) return 0;
      if (type != ObjectType.CtHelper) return fail(ImageError.BadOperand, ins + 4, type);
      if (index >= objectCount) return fail(ImageError.ObjectIndex, ins + 8, index);
      const t = load<u32>(image + objectTable + index * (<u32>ObjectEntry.Words << 2));
      return t == ObjectType.CtHelper ? 0 : fail(ImageError.ObjectIndex, ins + 8, index);
    }
    case Op.Queue:
      return a == 0 || register(a, 4) ? 0 : fail(ImageError.BadRegister, ins, a);
    case Op.Nat: {
      if (a > <u32>NatType.Redirect || (b != 1 && b != 2 && b != 10)) return fail(ImageError.BadOperand, ins, a);
      // Addresses (16 bytes but for IPv4), then ports.
      const w = load<u32>(ins + 4);
      for (let i: u32 = 0; i < 32; i += 8) {
        const r = (w >> i) & 0xff;
        if (r != 0 && !register(r, i >= 16 || b == 2 ? 4 : 16)) return fail(ImageError.BadRegister, ins + 4, r);
      }
      return 0;
    }
    case Op.Exthdr: {
      const w = load<u32>(ins + 4);
      const mode = w & 0xff;
      const what = (w >> 8) & 0xff;
      // Only TCP options are written or blanked.
      if (mode > <u32>ExthdrMode.Reset || (what != ExthdrOp.TcpOpt && (mode != ExthdrMode.Load || (what != ExthdrOp.Ipv6 && what != ExthdrOp.Ipv4 && what != ExthdrOp.Sctp)))) {
        return fail(ImageError.BadOperand, ins + 4, w);
      }
      return mode == ExthdrMode.Reset || register(a, b) ? 0 : fail(ImageError.BadRegister, ins, a);
    }
    case Op.Fib: {
      // nft_fib_init: one address, at most one device, a result of its size.
      const f = load<u32>(ins + 4);
      const addr = f & (FibFlags.Saddr | FibFlags.Daddr);
      const bad = f > 0x3f || addr == 0 || addr == (FibFlags.Saddr | FibFlags.Daddr) || (f & (FibFlags.Iif | FibFlags.Oif)) == (FibFlags.Iif | FibFlags.Oif);
      if (bad) return fail(ImageError.BadOperand, ins + 4, f);
      if (b < <u32>FibResult.Oif || b > <u32>FibResult.Addrtype) return fail(ImageError.BadOperand, ins, b);
      return register(a, b == FibResult.Oifname ? IFNAMSIZ : 4) ? 0 : fail(ImageError.BadRegister, ins, a);
    }
    case Op.Rt:
      if (b > <u32>RtKey.Xfrm) return fail(ImageError.BadOperand, ins, b);
      return register(a, b == RtKey.Nexthop6 ? 16 : 4) ? 0 : fail(ImageError.BadRegister, ins, a);
    case Op.Socket:
      if (b > <u32>SocketKey.Cgroupv2) return fail(ImageError.BadOperand, ins, b);
      return register(a, b == SocketKey.Cgroupv2 ? 8 : 4) ? 0 : fail(ImageError.BadRegister, ins, a);
    case Op.Xfrm: {
      if (b < <u32>XfrmKey.Daddr4 || b > <u32>XfrmKey.Spi) return fail(ImageError.BadOperand, ins, b);
      const w = load<u32>(ins + 4);
      if ((w & 0xff) > 1 || (w >> 8) > 255) return fail(ImageError.BadOperand, ins + 4, w);
      return register(a, b == XfrmKey.Daddr6 || b == XfrmKey.Saddr6 ? 16 : 4) ? 0 : fail(ImageError.BadRegister, ins, a);
    }
    case Op.Osf:
      return register(a, OSF_GENRE_LEN) ? 0 : fail(ImageError.BadRegister, ins, a);
    // The gateway is read as long as the packet's addresses.
    case Op.Dup:
      if (a != 0 && !register(a, 16)) return fail(ImageError.BadRegister, ins, a);
      return b == 0 || register(b, 4) ? 0 : fail(ImageError.BadRegister, ins, b);
    case Op.Tproxy: {
      // nft_tproxy_init: an address only with its family, of its size.
      const nfproto = load<u32>(ins + 4);
      if (nfproto != 0 && nfproto != NFPROTO_IPV4 && nfproto != NFPROTO_IPV6) return fail(ImageError.BadOperand, ins + 4, nfproto);
      if (a != 0 && (nfproto == 0 || !register(a, nfproto == NFPROTO_IPV4 ? 4 : 16))) return fail(ImageError.BadRegister, ins, a);
      return b == 0 || register(b, 2) ? 0 : fail(ImageError.BadRegister, ins, b);
    }
    case Op.Numgen: {
      if (b > <u32>NumgenType.Random) return fail(ImageError.BadOperand, ins, b);
      if (load<u32>(ins + 4) == 0) return fail(ImageError.BadOperand, ins + 4, 0);
      if (b == NumgenType.Inc && load<u32>(ins + 12) >= stateSlots) return fail(ImageError.StateSlot, ins + 12, load<u32>(ins + 12));
      return register(a, 4) ? 0 : fail(ImageError.BadRegister, ins, a);
    }
    case Op.Hash: {
      if (b > <u32>HashType.Sym) return fail(ImageError.BadOperand, ins, b);
      if (load<u32>(ins + 8) == 0) return fail(ImageError.BadOperand, ins + 8, 0);
      const w = load<u32>(ins + 4);
      if (b == HashType.Jenkins && !register(w & 0xff, (w >> 8) & 0xff)) return fail(ImageError.BadRegister, ins + 4, w & 0xff);
      return register(a, 4) ? 0 : fail(ImageError.BadRegister, ins, a);
    }
    case Op.Limit:
    case Op.Quota: {
      const slot = load<u32>(ins + 4) & 0xffffff;
      if (slot >= stateSlots) return fail(ImageError.StateSlot, ins + 4, slot);
      return op == Op.Limit && load<u32>(ins + 16) == 0 ? fail(ImageError.BadOperand, ins + 16, 0) : 0;
    }
  }
  return 0;
}

// Every rule of a chain, and every instruction of every rule.
function checkChain(chain: u32): i32 {
  const entry = image + chainTable + chain * (<u32>ChainEntry.Words << 2);
  const policy = chainWord(chain, ChainEntry.Policy);
  if (policy != <u32>Verdict.Accept && policy != <u32>Verdict.Drop && policy != POLICY_NONE) return fail(ImageError.BadPolicy, entry, policy);
  const first = chainWord(chain, ChainEntry.FirstRule);
  if ((first & 3) != 0 || first > codeLength) return fail(ImageError.BadRule, entry, first);
  let at = first;
  const rules = chainWord(chain, ChainEntry.RuleCount);
  for (let i: u32 = 0; i < rules; i++) {
    const rule = image + code + at;
    if (<u64>at + (<u64>RuleHeader.Words << 2) > <u64>codeLength) return fail(ImageError.BadRule, entry, i);
    const size = load<u32>(rule);
    if (size < <u32>RuleHeader.Words || <u64>at + (<u64>size << 2) > <u64>codeLength) return fail(ImageError.BadRule, rule, size);
    const end = rule + (<usize>size << 2);
    let ins = rule + (<usize>RuleHeader.Words << 2);
    while (ins < end) {
      const h = load<u32>(ins);
      const op = h & 0xff;
      const a = (h >> 16) & 0xff;
      const b = h >> 24;
      const want = sizeOf(op, a, b, ins);
      if (want == 0) return fail(ImageError.UnknownOpcode, ins, op);
      const n = (h >> 8) & 0xff;
      // The size field first: the operands below may lie in the next words.
      if (n != want || ins + (<usize>n << 2) > end) return fail(ImageError.BadSize, ins, n);
      const r = checkOperands(ins, op, a, b);
      if (r != 0) return r;
      // An element's statements follow their Dynset in the rule: counters,
      // limits or quotas, which the element keeps the state of.
      if (op == Op.Dynset) {
        const count = (load<u32>(ins + 16) & DynsetWord.Exprs) >> DYNSET_EXPRS_SHIFT;
        if (count > <u32>DYNSET_MAX_EXPRS) return fail(ImageError.BadOperand, ins + 16, load<u32>(ins + 16));
        let next = ins + (<usize>n << 2);
        for (let i: u32 = 0; i < count; i++) {
          const e = next < end ? load<u32>(next) & 0xff : 0;
          if (e != Op.Counter && e != Op.Limit && e != Op.Quota) return fail(ImageError.BadOperand, ins + 16, load<u32>(ins + 16));
          next += <usize>((load<u32>(next) >> 8) & 0xff) << 2;
        }
      }
      ins += <usize>n << 2;
    }
    at += size << 2;
  }
  return 0;
}

// The longest path of jumps and gotos below a chain `depth` below a base
// chain, verdict maps included, or an error.
function below(chain: u32, depth: u32): i32 {
  let height: i32 = 0;
  let at = image + code + chainWord(chain, ChainEntry.FirstRule);
  const rules = chainWord(chain, ChainEntry.RuleCount);
  for (let i: u32 = 0; i < rules; i++) {
    const end = at + (<usize>load<u32>(at) << 2);
    let ins = at + (<usize>RuleHeader.Words << 2);
    while (ins < end) {
      const h = load<u32>(ins);
      const op = h & 0xff;
      let r: i32 = -1;
      if (op == Op.Immediate && ((h >> 16) & 0xff) == 0) {
        const v = load<i32>(ins + 4);
        if (v == Verdict.Jump || v == Verdict.Goto) r = visit(load<u32>(ins + 8), depth + 1, ins + 8);
      } else if (op == Op.Lookup) {
        const set = load<u32>(ins + 4) & 0xffffff;
        if ((setEntry(set, SetEntry.Flags) & SetFlags.Verdict) != 0) r = belowMap(set, depth);
      }
      if (r < -1) return r;
      if (r + 1 > height) height = r + 1;
      ins += <usize>((h >> 8) & 0xff) << 2;
    }
    at = end;
  }
  return height;
}

// Where an element's data starts, and the bytes from one element to the
// next (with the DynamicElementTail of a Stateful set's).
function elementData(set: u32): u32 {
  const keyWords = words(setEntry(set, SetEntry.KeyLength)) * ((setEntry(set, SetEntry.Flags) & SetFlags.Concat) != 0 ? 2 : 1);
  return (1 + keyWords) << 2;
}

function elementStride(set: u32): u32 {
  const tail: u32 = (setEntry(set, SetEntry.Flags) & SetFlags.Stateful) != 0 ? DynamicElementTail.Size : 0;
  return elementData(set) + (words(setEntry(set, SetEntry.DataLength)) << 2) + tail;
}

// The deepest of a verdict map's targets, or -1 when it has none.
function belowMap(set: u32, depth: u32): i32 {
  const stride = elementStride(set);
  const data = elementData(set);
  let el = image + setEntry(set, SetEntry.ElementsOffset);
  let deepest: i32 = -1;
  for (let i: u32 = 0; i < setEntry(set, SetEntry.ElementCount); i++, el += stride) {
    const v = load<i32>(el + data);
    if (v != Verdict.Jump && v != Verdict.Goto) continue;
    const r = visit(load<u32>(el + data + 4), depth + 1, el + data + 4);
    if (r < 0) return r;
    if (r > deepest) deepest = r;
  }
  return deepest;
}

// nft_chain_validate: a chain reached `depth` jumps below a base chain;
// returns the longest path below it, or an error. A chain done before is
// not walked again: its height says how deep it reaches.
function visit(chain: u32, depth: u32, from: usize): i32 {
  if (depth >= JUMP_STACK_SIZE) return fail(ImageError.ChainDepth, from, chain);
  const m = marks + (<usize>chain << 3);
  const state = load<u32>(m);
  if (state == VISITING) return fail(ImageError.ChainLoop, from, chain);
  if (state == DONE) {
    const h = load<i32>(m + 4);
    return depth + <u32>h >= JUMP_STACK_SIZE ? fail(ImageError.ChainDepth, from, chain) : h;
  }
  store<u32>(m, VISITING);
  const h = below(chain, depth);
  if (h < 0) return h;
  store<u32>(m, DONE);
  store<i32>(m + 4, h);
  return h;
}

const VISITING: u32 = 1;
const DONE: u32 = 2;

export function validateImage(img: usize, len: u32): i32 {
  image = img;
  imageLength = len;
  errorAt = 0;
  errorValue = 0;
  if (len < <u32>RulesetHeader.Words * 4) return fail(ImageError.Truncated, img, len);
  if (header(RulesetHeader.Magic) != <u32>RULESET_MAGIC) return fail(ImageError.BadMagic, img, header(RulesetHeader.Magic));
  if (header(RulesetHeader.Version) != <u32>RULESET_VERSION) return fail(ImageError.BadVersion, img + 4, header(RulesetHeader.Version));
  chainCount = header(RulesetHeader.ChainCount);
  chainTable = header(RulesetHeader.ChainTableOffset);
  code = header(RulesetHeader.CodeOffset);
  codeLength = header(RulesetHeader.CodeLength);
  setCount = header(RulesetHeader.SetCount);
  setTable = header(RulesetHeader.SetTableOffset);
  counterCount = header(RulesetHeader.CounterCount);
  objectCount = header(RulesetHeader.ObjectCount);
  objectTable = header(RulesetHeader.ObjectTableOffset);
  stateSlots = header(RulesetHeader.StateSlots);
  const hookTable = header(RulesetHeader.HookTableOffset);
  if (!inImage(chainTable, chainCount, <u32>ChainEntry.Words << 2)) return fail(ImageError.OutOfImage, img + (<usize>RulesetHeader.ChainTableOffset << 2), chainTable);
  if (!inImage(hookTable, <u32>HOOK_FAMILIES * <u32>Hook.Count, 8)) return fail(ImageError.OutOfImage, img + (<usize>RulesetHeader.HookTableOffset << 2), hookTable);
  if (!inImage(setTable, setCount, <u32>SetEntry.Words << 2)) return fail(ImageError.OutOfImage, img + (<usize>RulesetHeader.SetTableOffset << 2), setTable);
  if (!inImage(objectTable, objectCount, <u32>ObjectEntry.Words << 2)) return fail(ImageError.OutOfImage, img + (<usize>RulesetHeader.ObjectTableOffset << 2), objectTable);
  const starts = header(RulesetHeader.CounterStartOffset);
  if (!inImage(starts, header(RulesetHeader.CounterStartCount), <u32>CounterStart.Words << 2)) return fail(ImageError.OutOfImage, img + (<usize>RulesetHeader.CounterStartOffset << 2), starts);
  if (!inImage(code, codeLength, 1) || (codeLength & 3) != 0) return fail(ImageError.OutOfImage, img + (<usize>RulesetHeader.CodeOffset << 2), code);
  for (let i: u32 = 0; i < header(RulesetHeader.CounterStartCount); i++) {
    const s = img + starts + i * (<u32>CounterStart.Words << 2);
    if (load<u32>(s) >= counterCount) return fail(ImageError.CounterIndex, s, load<u32>(s));
  }

  for (let s: u32 = 0; s < setCount; s++) {
    const e = img + setTable + s * (<u32>SetEntry.Words << 2);
    const flags = setEntry(s, SetEntry.Flags);
    const klen = setEntry(s, SetEntry.KeyLength);
    const dlen = setEntry(s, SetEntry.DataLength);
    const isMap = (flags & SetFlags.Map) != 0;
    // Elements that keep state are found through the hash table only.
    const stateless = (flags & SetFlags.Stateful) == 0 || (flags & (SetFlags.Interval | SetFlags.Concat)) == 0;
    if (klen == 0 || klen > MAX_SET_BYTES || dlen > MAX_SET_BYTES || isMap != (dlen != 0) || ((flags & SetFlags.Verdict) != 0 && (!isMap || dlen != 8)) || !stateless) {
      return fail(ImageError.BadSet, e, s);
    }
    const n = setEntry(s, SetEntry.ElementCount);
    if (!inImage(setEntry(s, SetEntry.ElementsOffset), n, elementStride(s))) return fail(ImageError.OutOfImage, e + (<usize>SetEntry.ElementsOffset << 2), s);
    if ((flags & SetFlags.Verdict) == 0) continue;
    const stride = elementStride(s);
    const data = elementData(s);
    let el = img + setEntry(s, SetEntry.ElementsOffset);
    for (let i: u32 = 0; i < n; i++, el += stride) {
      const v = load<i32>(el + data);
      if (!validVerdict(v)) return fail(ImageError.BadOperand, el + data, <u32>v);
      if ((v == Verdict.Jump || v == Verdict.Goto) && !jumpTarget(load<u32>(el + data + 4))) return fail(ImageError.ChainIndex, el + data + 4, load<u32>(el + data + 4));
    }
  }

  for (let c: u32 = 0; c < chainCount; c++) {
    const r = checkChain(c);
    if (r != 0) return r;
  }

  for (let slot: u32 = 0; slot < <u32>HOOK_FAMILIES * <u32>Hook.Count; slot++) {
    const s = img + hookTable + (slot << 3);
    const list = load<u32>(s);
    const n = load<u32>(s + 4);
    if (!inImage(list, n, 8)) return fail(ImageError.OutOfImage, s, list);
    for (let i: u32 = 0; i < n; i++) {
      const chain = load<u32>(img + list + (i << 3) + 4) & ~(HOOK_NAT_CHAIN | HOOK_INET_CHAIN);
      if (chain >= chainCount || chainWord(chain, ChainEntry.Policy) == POLICY_NONE) return fail(ImageError.ChainIndex, img + list + (i << 3) + 4, chain);
    }
  }

  marks = heap.alloc(<usize>chainCount * 8 + 8);
  memory.fill(marks, 0, <usize>chainCount * 8 + 8);
  for (let c: u32 = 0; c < chainCount; c++) {
    if (chainWord(c, ChainEntry.Policy) == POLICY_NONE) continue;
    const r = visit(c, 0, img + chainTable + c * (<u32>ChainEntry.Words << 2));
    if (r < 0) return r;
  }
  heap.free(marks);
  return 0;
}
