// Instructions as the linearizer emits them, before encoding. Registers are
// word numbers of the register file (0 = verdict, 4.. = data), as in abi.ts.
import type { Op, BitwiseOp, ByteorderOp, CmpOp, CtDir, CtKey, ExthdrMode, ExthdrOp, FibResult, HashType, MetaKey, NatType, NumgenType, PayloadBase, RtKey } from '../assembly/abi.js';

export type Ins =
  | { op: 'immediate'; dreg: number; data: Uint8Array }
  | { op: 'verdict'; code: number; chain: number }
  | { op: 'cmp'; sreg: number; cmp: CmpOp; data: Uint8Array }
  | { op: 'bitwise'; sreg: number; dreg: number; len: number; mask: Uint8Array; xor: Uint8Array }
  | { op: 'shift'; sreg: number; dreg: number; len: number; dir: BitwiseOp; amount: number }
  | { op: 'payload'; dreg: number; base: PayloadBase; offset: number; len: number }
  | { op: 'exthdr'; mode: ExthdrMode; reg: number; optype: ExthdrOp; type: number; offset: number; len: number; present: boolean }
  | { op: 'payloadwrite'; sreg: number; base: PayloadBase; offset: number; len: number; csumType: number; csumOffset: number; csumFlags: number }
  | { op: 'meta'; dreg: number; key: MetaKey }
  | { op: 'ct'; dreg: number; key: CtKey; dir: CtDir }
  | { op: 'counter'; index: number }
  | { op: 'range'; sreg: number; cmp: CmpOp; len: number; from: Uint8Array; to: Uint8Array }
  | { op: 'byteorder'; sreg: number; dreg: number; order: ByteorderOp; len: number; size: number }
  | { op: 'lookup'; sreg: number; dreg: number; set: number; invert: boolean }
  | { op: 'metaset'; sreg: number; key: MetaKey }
  | { op: 'ctset'; sreg: number; key: CtKey; dir: CtDir }
  | { op: 'notrack' }
  | { op: 'reject'; type: number; code: number }
  | { op: 'queue'; sreg: number; num: number; total: number; flags: number }
  // A named quota or limit carries the words of its own instruction.
  // A ct timeout carries its protocol and policy (CT_TIMEOUT_STATES).
  | { op: 'objref'; objType: number; index: number; state?: Ins & { op: 'quota' | 'limit' }; policy?: number[] }
  | { op: 'objrefmap'; sreg: number; set: number; objType: number; states?: (Ins & { op: 'quota' | 'limit' })[] }
  | { op: 'nat'; type: NatType; nfproto: number; regs: number[]; flags: number }
  // dup, fwd, tproxy, synproxy, flow offload: the registers of A and B, and word 1.
  | { op: 'forwarding'; code: Op; a: number; b: number; word: number }
  | { op: 'log'; index: number }
  | { op: 'connlimit'; count: number; flags: number }
  | { op: 'limit'; slot: number; flags: number; rate: bigint; unit: number; burst: bigint }
  // exprs: how many of the next instructions are the element's own
  // statements.
  | { op: 'dynset'; sreg: number; sregData: number; set: number; dynOp: number; timeout: bigint; ownTimeout: boolean; exprs: number }
  | { op: 'quota'; slot: number; flags: number; bytes: bigint; used: bigint }
  | { op: 'fib'; dreg: number; result: FibResult; flags: number }
  | { op: 'rt'; dreg: number; key: RtKey }
  | { op: 'numgen'; dreg: number; mode: NumgenType; mod: number; offset: number; slot: number }
  | { op: 'socket'; dreg: number; key: number }
  | { op: 'xfrm'; dreg: number; key: number; dir: number; spnum: number }
  | { op: 'osf'; dreg: number; ttl: number; version: boolean }
  | { op: 'hash'; dreg: number; sreg: number; len: number; type: HashType; mod: number; seed: number; seeded: boolean; offset: number };
