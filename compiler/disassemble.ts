// Reads a ruleset image back into the text `nft --debug=netlink` prints for
// the same ruleset (libnftnl's expression formats), so every byte of the
// encoding is checked against the real nft.
import {
  BitwiseOp, ByteorderOp, DYNSET_EXPRS_SHIFT, DynamicElementTail, DynsetWord, ObjectType, ChainEntry, CmpOp, CounterStart, LimitFlags, CtDir, Op, PayloadBase, QueueFlags, RuleHeader, RulesetHeader, SetEntry, SetFlags, Verdict,
  EXTHDR_F_PRESENT, ExthdrMode, ExthdrOp, SetElementFlag,
} from '../assembly/abi.js';
import { ELEM_INTERVAL_END, NFT_SET_OBJECT, SET_ENTRY_NFT_FLAGS } from './encode.js';
import { LOG_IPOPT, LOG_MACDECODE, LOG_TCPOPT, LOG_TCPSEQ, LOG_UID } from './ast.js';
import { forwardingDebugText } from './forwarding.js';
import { natDebugText } from './nat.js';
import { fibDebugText, hashDebugText, numgenDebugText, rtDebugText, socketDebugText, xfrmDebugText } from './routing.js';
import type { NameTables } from './names.js';
import { LOG_LEVELS } from './parser.js';

// NFT_SET_ELEM_CATCHALL (nf_tables.h).
const NFT_SET_ELEM_CATCHALL = 2;

// libnftnl 1.2.4 has no name for the id key and prints it as "unknown".
const CT_KEYS = ['state', 'direction', 'status', 'mark', 'secmark', 'expiration', 'helper', 'l3protocol', 'src', 'dst', 'protocol',
  'proto_src', 'proto_dst', 'label', 'packets', 'bytes', 'avgpkt', 'zone', 'event', 'src_ip', 'dst_ip', 'src_ip6', 'dst_ip6', 'unknown'];
const META_KEYS = ['len', 'protocol', 'priority', 'mark', 'iif', 'oif', 'iifname', 'oifname', 'iiftype', 'oiftype', 'skuid', 'skgid',
  'nftrace', 'rtclassid', 'secmark', 'nfproto', 'l4proto', 'bri_iifname', 'bri_oifname', 'pkttype', 'cpu', 'iifgroup', 'oifgroup',
  'cgroup', 'prandom', 'secpath', 'iifkind', 'oifkind', 'bri_iifpvid', 'bri_iifvproto', 'time', 'day', 'hour', 'sdif', 'sdifname'];
const CMP_OPS: Record<number, string> = { [CmpOp.Eq]: 'eq', [CmpOp.Neq]: 'neq', [CmpOp.Lt]: 'lt', [CmpOp.Lte]: 'lte', [CmpOp.Gt]: 'gt', [CmpOp.Gte]: 'gte' };
const BASES: Record<number, string> = {
  [PayloadBase.LinkLayer]: 'link header', [PayloadBase.Network]: 'network header', [PayloadBase.Transport]: 'transport header', [PayloadBase.Inner]: 'inner header',
};
const HOOK_NAMES: Record<string, string> = { prerouting: 'prerouting', input: 'input', forward: 'forward', output: 'output', postrouting: 'postrouting', ingress: 'ingress', egress: 'egress' };

export function verdictName(code: number): string {
  switch (code) {
    case Verdict.Accept: return 'accept';
    case Verdict.Drop: return 'drop';
    case Verdict.Continue: return 'continue';
    case Verdict.Return: return 'return';
    case Verdict.Jump: return 'jump';
    case Verdict.Goto: return 'goto';
    case Verdict.Queue: return 'queue';
    default: return 'unknown';
  }
}

// nft prints 128-bit register numbers when a register starts one, else the
// 32-bit register number.
function regName(word: number): string {
  if (word === 0) return '0';
  const unit = word - 4;
  return String(unit % 4 === 0 ? 1 + unit / 4 : 8 + unit);
}

function hexWords(view: DataView, offset: number, len: number, prefix = '0x'): string {
  const out: string[] = [];
  for (let i = 0; i < Math.ceil(len / 4); i++) out.push(prefix + view.getUint32(offset + i * 4, true).toString(16).padStart(8, '0'));
  return out.join(' ');
}

export class Disassembler {
  private readonly view: DataView;

  constructor(private readonly image: Uint8Array, private readonly names: NameTables) {
    this.view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  }

  private u32(off: number): number {
    return this.view.getUint32(off, true);
  }

  private head(f: RulesetHeader): number {
    return this.u32(f * 4);
  }

  private chainEntry(i: number, f: ChainEntry): number {
    return this.u32(this.head(RulesetHeader.ChainTableOffset) + (i * ChainEntry.Words + f) * 4);
  }

  private setEntry(i: number, f: number): number {
    return this.u32(this.head(RulesetHeader.SetTableOffset) + (i * SetEntry.Words + f) * 4);
  }

  text(): string {
    let out = '';
    for (const b of this.names.batch) {
      switch (b.kind) {
        case 'chain': {
          const c = this.names.chains[b.chain];
          out += `${c.family} (null) (null) use 0`;
          // libnftnl names no netdev hook but ingress.
          const hook = c.family === 'netdev' && c.hook !== 'ingress' ? 'unknown' : HOOK_NAMES[c.hook!];
          if (c.hook !== undefined && !b.bare) out += ` type ${c.type} hook ${hook} prio ${c.priority} packets 0 bytes 0${c.device !== undefined ? ` dev ${c.device} ` : ''}`;
          out += '\n';
          break;
        }
        case 'object':
          out += b.text + '\n';
          break;
        case 'set':
          out += this.set(b.set);
          break;
        case 'elements': {
          const s = this.names.sets[b.set];
          out += `${s.name} ${s.table} 0\n${this.elements(b.set)}`;
          break;
        }
        case 'rule':
          for (const s of b.sets) out += this.set(s);
          out += this.rule(b.chain, b.handle, b.ids) + (b.comment !== undefined ? `  userdata = { ${userdata(ruleComment(b.comment))} }\n` : '\n');
          break;
      }
    }
    return out;
  }

  private set(i: number): string {
    const s = this.names.sets[i];
    const flags = this.setEntry(i, SET_ENTRY_NFT_FLAGS);
    const size = this.setEntry(i, SetEntry.Size);
    const timeout = `${s.timeout !== undefined ? ` timeout ${s.timeout}ms` : ''}${s.gcInterval !== undefined ? ` gc_interval ${s.gcInterval}ms` : ''}`;
    const out = `${s.name} ${s.table} ${flags.toString(16)}${timeout}${size ? ` size ${size}` : ''}\n`;
    // nft sends a meter's set an empty batch of elements.
    if (this.setEntry(i, SetEntry.ElementCount) === 0 && !s.meter) return out;
    return `${out}${s.name} ${s.table} 0\n${this.elements(i)}`;
  }

  // A set's elements, one line each after a tab, as libnftnl prints them.
  private elements(i: number): string {
    let out = '';
    const count = this.setEntry(i, SetEntry.ElementCount);
    if (count === 0) return out;
    const klen = this.setEntry(i, SetEntry.KeyLength);
    const dlen = this.setEntry(i, SetEntry.DataLength);
    const verdict = (this.setEntry(i, SetEntry.Flags) & SetFlags.Verdict) !== 0;
    const concat = (this.setEntry(i, SetEntry.Flags) & SetFlags.Concat) !== 0;
    const stateful = (this.setEntry(i, SetEntry.Flags) & SetFlags.Stateful) !== 0;
    let off = this.setEntry(i, SetEntry.ElementsOffset);
    for (let e = 0; e < count; e++) {
      // The data plane's own flags are not the kernel's.
      const catchAll = (this.u32(off) & SetElementFlag.CatchAll) !== 0;
      const eflags = (this.u32(off) & ELEM_INTERVAL_END) | (catchAll ? NFT_SET_ELEM_CATCHALL : 0);
      off += 4;
      // libnftnl prints no key for the catch-all element.
      const keyHex = catchAll ? '' : hexWords(this.view, off, klen, '');
      let line = `\telement ${keyHex}${catchAll ? ' ' : '  '}`;
      off += Math.ceil(klen / 4) * 4;
      if (concat) {
        line += `- ${hexWords(this.view, off, klen, '')}  `;
        off += Math.ceil(klen / 4) * 4;
      }
      line += ': ';
      // libnftnl prints no data for an object map's elements.
      if (dlen && !(eflags & 1) && !(this.setEntry(i, SET_ENTRY_NFT_FLAGS) & NFT_SET_OBJECT)) {
        if (verdict) {
          const code = this.view.getInt32(off, true);
          line += verdictName(code) + ' ';
          if (code === Verdict.Jump || code === Verdict.Goto) line += `-> ${this.names.chains[this.u32(off + 4)].name} `;
        } else {
          line += hexWords(this.view, off, dlen, '') + ' ';
        }
      }
      off += Math.ceil(dlen / 4) * 4;
      if (stateful) off += DynamicElementTail.Size;
      // nft's element userdata: the comment, then the flags of an interval
      // running to the top of the key's range, which has no end element.
      const open = (this.setEntry(i, SetEntry.Flags) & SetFlags.Interval) !== 0 && !concat && e === count - 1 && !(eflags & ELEM_INTERVAL_END);
      const comment = eflags & ELEM_INTERVAL_END ? undefined : this.names.sets[i].comments.get(keyHex);
      const udata = [...(comment !== undefined ? ruleComment(comment) : []), ...(open ? [UDATA_SET_ELEM_FLAGS, 4, ...u32le(SET_ELEM_F_INTERVAL_OPEN)] : [])];
      out += `${line}${eflags} [end]${udata.length ? `  userdata = { ${userdata(Uint8Array.from(udata))} }` : ''}`;
    }
    return out + '\n';
  }

  private rule(chain: number, handle: number, ids: string): string {
    const c = this.names.chains[chain];
    const code = this.head(RulesetHeader.CodeOffset);
    let p = code + this.chainEntry(chain, ChainEntry.FirstRule);
    const n = this.chainEntry(chain, ChainEntry.RuleCount);
    for (let r = 0; r < n; r++) {
      const size = this.u32(p + RuleHeader.Size * 4);
      if (this.u32(p + RuleHeader.Handle * 4) === handle) {
        let out = `${c.family} ${c.table} ${c.name}${ids}\n`;
        let q = p + RuleHeader.Words * 4;
        const end = p + size * 4;
        while (q < end) {
          let text = this.ins(q);
          const exprs = (this.u32(q) & 0xff) === Op.Dynset ? (this.u32(q + 16) & DynsetWord.Exprs) >> DYNSET_EXPRS_SHIFT : 0;
          q += ((this.u32(q) >> 8) & 0xff) * 4;
          // An element's statements are printed as its expressions.
          for (let i = 0; i < exprs; i++) {
            text += ` expr [ ${this.ins(q)} ]`;
            q += ((this.u32(q) >> 8) & 0xff) * 4;
          }
          out += `  [ ${text} ]\n`;
        }
        return out;
      }
      p += size * 4;
    }
    throw new Error(`rule ${handle} not in chain ${c.name}`);
  }

  private starts?: Map<number, [bigint, bigint]>;

  private counterStart(index: number): [bigint, bigint] {
    if (!this.starts) {
      this.starts = new Map();
      const at = this.head(RulesetHeader.CounterStartOffset);
      for (let i = 0; i < this.head(RulesetHeader.CounterStartCount); i++) {
        const s = at + i * CounterStart.Words * 4;
        this.starts.set(this.u32(s), [this.view.getBigUint64(s + CounterStart.Packets * 4, true), this.view.getBigUint64(s + CounterStart.Bytes * 4, true)]);
      }
    }
    return this.starts.get(index) ?? [0n, 0n];
  }

  private ins(q: number): string {
    const h = this.u32(q);
    const op = h & 0xff;
    const a = (h >> 16) & 0xff;
    const b = h >>> 24;
    const w = (i: number) => this.u32(q + i * 4);
    switch (op) {
      case Op.Immediate:
        if (a === 0) {
          const code = this.view.getInt32(q + 4, true);
          const target = code === Verdict.Jump || code === Verdict.Goto ? ` -> ${this.names.chains[w(2)].name}` : '';
          return `immediate reg 0 ${verdictName(code)}${target}`;
        }
        return `immediate reg ${regName(a)} ${hexWords(this.view, q + 4, b)}`;
      case Op.Cmp:
        return `cmp ${CMP_OPS[w(1)]} reg ${regName(a)} ${hexWords(this.view, q + 8, b)}`;
      case Op.Bitwise: {
        const dreg = w(1) & 0xff;
        const bop = (w(1) >> 8) & 0xff;
        if (bop === BitwiseOp.Bool) {
          const n = Math.ceil(b / 4) * 4;
          return `bitwise reg ${regName(dreg)} = ( reg ${regName(a)} & ${hexWords(this.view, q + 8, b)} ) ^ ${hexWords(this.view, q + 8 + n, b)}`;
        }
        return `bitwise reg ${regName(dreg)} = ( reg ${regName(a)} ${bop === BitwiseOp.Lshift ? '<<' : '>>'} 0x${w(2).toString(16).padStart(8, '0')} )`;
      }
      case Op.PayloadLoad:
        return `payload load ${b}b @ ${BASES[w(1) & 0xff]} + ${w(1) >>> 8} => reg ${regName(a)}`;
      case Op.Exthdr: {
        const mode = w(1) & 0xff;
        // nft names no header for SCTP chunks.
        const what = EXTHDR_OPS[(w(1) >> 8) & 0xff];
        const type = w(2) & 0xff;
        const at = `@ ${type} + ${w(2) >>> 8}`;
        if (mode === ExthdrMode.Reset) return `exthdr reset ${what}${type}`;
        if (mode === ExthdrMode.Write) return `exthdr write ${what}reg ${regName(a)} => ${b}b ${at}`;
        const present = (w(1) >>> 16) & EXTHDR_F_PRESENT ? ' present' : '';
        return `exthdr load ${what}${b}b ${at}${present} => reg ${regName(a)}`;
      }
      case Op.PayloadWrite: {
        const c = w(2);
        return `payload write reg ${regName(a)} => ${b}b @ ${BASES[w(1) & 0xff]} + ${w(1) >>> 8} csum_type ${c & 0xff} csum_off ${(c >> 8) & 0xff} csum_flags 0x${(c >>> 16).toString(16)}`;
      }
      case Op.MetaLoad:
        return `meta load ${META_KEYS[b]} => reg ${regName(a)}`;
      case Op.CtLoad: {
        const dir = w(1) === CtDir.None ? '' : ` , dir ${w(1) === CtDir.Original ? 'original' : 'reply'}`;
        return `ct load ${CT_KEYS[b]} => reg ${regName(a)}${dir}`;
      }
      case Op.Counter: {
        const [pkts, bytes] = this.counterStart(w(1));
        return `counter pkts ${pkts} bytes ${bytes}`;
      }
      case Op.Range: {
        const n = Math.ceil(b / 4) * 4;
        return `range ${CMP_OPS[w(1)]} reg ${regName(a)} ${hexWords(this.view, q + 8, b)} ${hexWords(this.view, q + 8 + n, b)}`;
      }
      case Op.Byteorder: {
        const x = w(1);
        const len = (x >> 8) & 0xff;
        const size = (x >> 16) & 0xff;
        return `byteorder reg ${regName(b)} = ${(x & 0xff) === ByteorderOp.Hton ? 'hton' : 'ntoh'}(reg ${regName(a)}, ${size}, ${len})`;
      }
      case Op.Lookup: {
        const set = w(1) & 0xffffff;
        const invert = w(1) >>> 24;
        const isMap = (this.setEntry(set, SetEntry.Flags) & 2) !== 0;
        let s = `lookup reg ${regName(a)} set ${this.names.sets[set].name}`;
        if (isMap && (b !== 0 || (this.setEntry(set, SetEntry.Flags) & 4) !== 0)) s += ` dreg ${regName(b)}`;
        if (invert) s += ` 0x${invert.toString(16)}`;
        return s;
      }
      case Op.MetaSet:
        return `meta set ${META_KEYS[b]} with reg ${regName(a)}`;
      case Op.CtSet: {
        const dir = w(1) === CtDir.None ? '' : ` , dir ${w(1) === CtDir.Original ? 'original' : 'reply'}`;
        return `ct set ${CT_KEYS[b]} with reg ${regName(a)}${dir}`;
      }
      case Op.Notrack:
        return 'notrack';
      case Op.Reject:
        return `reject type ${w(1) & 0xff} code ${w(1) >>> 8}`;
      case Op.Queue: {
        const first = w(1) & 0xffff;
        const total = w(1) >>> 16;
        let s = a !== 0 ? `queue sreg_qnum ${regName(a)}` : `queue num ${first}${total > 1 ? `-${first + total - 1}` : ''}`;
        if (w(2) & QueueFlags.Bypass) s += ' bypass';
        if (w(2) & QueueFlags.Fanout) s += ' fanout';
        return s;
      }
      case Op.ObjrefMap:
        return `objref sreg ${regName(a)} set ${this.names.sets[w(1)].name}`;
      case Op.Dup: case Op.Fwd: case Op.Tproxy: case Op.Synproxy: case Op.FlowOffload:
        return forwardingDebugText(op, a, b, ((h >> 8) & 0xff) > 1 ? w(1) : 0, regName, (i) => this.names.flowtables[i]);
      case Op.Nat:
        return natDebugText(a, b, [0, 8, 16, 24].map((s) => (w(1) >>> s) & 0xff), w(2), regName);
      case Op.Objref: {
        const type = w(1);
        const name = type === ObjectType.Counter ? this.names.counterNames.get(w(2))
          : type === ObjectType.CtHelper ? this.names.helpers[w(2)]
          : type === ObjectType.CtTimeout ? this.names.ctTimeouts[w(2)]
          : type === ObjectType.CtExpect ? this.names.ctExpects[w(2)]
          : type === ObjectType.Synproxy ? this.names.synproxies[w(2)] : this.names.slotNames.get(w(2));
        return `objref type ${type} name ${name}`;
      }
      case Op.Log: {
        // libnftnl: a group, or a level and the flags.
        const l = this.names.logs[w(1)];
        let s = 'log';
        if (l.prefix !== undefined) s += ` prefix ${l.prefix}`;
        if (l.group !== undefined) return `${s} group ${l.group} snaplen ${l.snaplen ?? 0} qthreshold ${l.qthreshold ?? 0}`;
        if (l.level !== undefined) s += ` level ${LOG_LEVELS[l.level]}`;
        for (const [bit, name] of LOG_FLAG_NAMES) if (l.flags & bit) s += ` ${name}`;
        return s;
      }
      case Op.Connlimit:
        return `connlimit count ${w(1)} flags ${w(2)}`;
      case Op.Dynset: {
        const timeout = w(4) & DynsetWord.OwnTimeout ? ` timeout ${this.view.getBigUint64(q + 8, true)}ms` : '';
        const data = b ? ` sreg_data ${regName(b)}` : '';
        return `dynset ${DYNSET_OPS[w(1) >>> 24]} reg_key ${regName(a)} set ${this.names.sets[w(1) & 0xffffff].name}${data}${timeout}`;
      }
      case Op.Limit: {
        const flags = w(1) >>> 24;
        const rate = this.view.getBigUint64(q + 8, true);
        return `limit rate ${rate}/${PERIOD_NAMES[w(4)]} burst ${w(5)} type ${flags & LimitFlags.Bytes ? 'bytes' : 'packets'} flags 0x${(flags & LimitFlags.Over).toString(16)}`;
      }
      case Op.Quota:
        return `quota bytes ${this.view.getBigUint64(q + 8, true)} consumed ${this.view.getBigUint64(q + 16, true)} flags ${w(1) >>> 24}`;
      case Op.Fib:
        return fibDebugText(b, w(1), regName(a));
      case Op.Rt:
        return rtDebugText(b, regName(a));
      case Op.Socket:
        return socketDebugText(b, regName(a));
      case Op.Xfrm:
        return xfrmDebugText(b, w(1) & 0xff, w(1) >>> 8, regName(a));
      case Op.Osf:
        return `osf dreg ${regName(a)}`;
      case Op.Numgen:
        return numgenDebugText(b, w(1), w(2), regName(a));
      case Op.Hash:
        return hashDebugText(b, regName(w(1) & 0xff), (w(1) >> 8) & 0xff, w(3), w(2), w(4), regName(a));
      default:
        return `unknown op ${op}`;
    }
  }
}

const DYNSET_OPS = ['add', 'update', 'delete'];

const PERIOD_NAMES: Record<number, string> = { 1: 'second', 60: 'minute', 3600: 'hour', 86400: 'day', 604800: 'week' };

const EXTHDR_OPS: Record<number, string> = { [ExthdrOp.Ipv6]: 'ipv6 ', [ExthdrOp.TcpOpt]: 'tcpopt ', [ExthdrOp.Ipv4]: 'ipv4 ', [ExthdrOp.Sctp]: '' };

const LOG_FLAG_NAMES: [number, string][] = [[LOG_TCPSEQ, 'tcpseq'], [LOG_TCPOPT, 'tcpopt'], [LOG_IPOPT, 'ipopt'], [LOG_UID, 'uid'], [LOG_MACDECODE, 'macdecode']];

// libnftnl prints userdata byte by byte: printable ASCII as is, anything
// else as \xNN.
function userdata(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`)).join('');
}

// A comment as nft stores it in a rule's or an element's userdata: a
// type-length-value attribute of type 0 (NFTNL_UDATA_RULE_COMMENT,
// NFTNL_UDATA_SET_ELEM_COMMENT), NUL-terminated.
function ruleComment(comment: string): Uint8Array {
  const text = new TextEncoder().encode(comment);
  return Uint8Array.of(UDATA_RULE_COMMENT, text.length + 1, ...text, 0);
}

const UDATA_RULE_COMMENT = 0;
const UDATA_SET_ELEM_FLAGS = 1;
const SET_ELEM_F_INTERVAL_OPEN = 1;

function u32le(v: number): number[] {
  return [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >>> 24];
}

export function disassemble(image: Uint8Array, names: NameTables): string {
  return new Disassembler(image, names).text();
}
