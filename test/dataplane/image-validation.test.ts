// The data plane checks a ruleset image before it reads any of it: each kind
// of corruption is refused by createFilter with what is wrong and where,
// never run as a loop or a write out of place.
import { describe, expect, it } from 'vitest';
import {
  ChainEntry, ImageError, Op, POLICY_NONE, RuleHeader, RulesetHeader, SetEntry, Verdict,
} from '../../assembly/abi.js';
import { compile, createFilter, type Ruleset } from '../../src/index.js';

const SOURCE = `table inet t {
	ct helper ftp-standard {
		type "ftp" protocol tcp
	}
	counter named {
	}
	quota small {
		100 bytes
	}
	set seen {
		type ipv4_addr
		flags dynamic
	}
	chain in {
		type filter hook input priority 0; policy accept;
		tcp dport 21 ct helper set "ftp-standard"
		ip saddr 10.0.0.0/8 counter jump a
		tcp dport vmap { 22 : goto b, 23 : accept }
		meta mark & 0xff == 3 counter name "named"
		ct state new limit rate 10/second quota 100 bytes add @seen { ip saddr }
		ct mark 1-5 meta l4proto tcp counter
		quota name "small" quota name udp dport map { 53 : "small" } counter name udp dport map { 53 : "named" }
	}
	chain a {
		udp dport 53 counter return
	}
	chain b {
		counter drop
	}
	chain q {
		queue flags bypass to tcp dport map { 22 : 1 }
	}
}
`;

const base = compile(SOURCE);

function words(image: Uint8Array): DataView {
  return new DataView(image.buffer, image.byteOffset, image.byteLength);
}

function headerWord(image: Uint8Array, f: RulesetHeader): number {
  return words(image).getUint32(f * 4, true);
}

// Byte offsets of every instruction in the image, with their opcodes.
function instructions(image: Uint8Array): { at: number; op: number; rule: number }[] {
  const v = words(image);
  const code = headerWord(image, RulesetHeader.CodeOffset);
  const end = code + headerWord(image, RulesetHeader.CodeLength);
  const out: { at: number; op: number; rule: number }[] = [];
  for (let rule = code; rule < end; rule += v.getUint32(rule, true) * 4) {
    const ruleEnd = rule + v.getUint32(rule, true) * 4;
    for (let at = rule + RuleHeader.Words * 4; at < ruleEnd; at += ((v.getUint32(at, true) >> 8) & 0xff) * 4) {
      out.push({ at, op: v.getUint32(at, true) & 0xff, rule });
    }
  }
  return out;
}

function first(image: Uint8Array, op: Op, which = (_at: number) => true): number {
  const found = instructions(image).find((i) => i.op === op && which(i.at));
  if (!found) throw new Error(`no instruction ${Op[op]} in the test ruleset`);
  return found.at;
}

// Chains are numbered in the order they are declared.
function chainIndex(name: string): number {
  return ['in', 'a', 'b', 'q'].indexOf(name);
}

function chainEntry(image: Uint8Array, name: string): number {
  return headerWord(image, RulesetHeader.ChainTableOffset) + chainIndex(name) * ChainEntry.Words * 4;
}

type Corruption = (image: Uint8Array, v: DataView) => void;

const setHeaderField = (at: number, a: number) => (image: Uint8Array, v: DataView) => v.setUint8(first(image, Op.Cmp) + 2 + at, a);

const CASES: [string, ImageError, Corruption][] = [
  ['a magic that is not NFTW', ImageError.BadMagic, (_i, v) => v.setUint32(0, 0x12345678, true)],
  ['a version from elsewhere', ImageError.BadVersion, (_i, v) => v.setUint32(4, 99, true)],
  ['a chain table past the end', ImageError.OutOfImage, (i, v) => v.setUint32(RulesetHeader.ChainTableOffset * 4, i.length, true)],
  ['a code length past the end', ImageError.OutOfImage, (i, v) => v.setUint32(RulesetHeader.CodeLength * 4, i.length * 2, true)],
  ['a set table past the end', ImageError.OutOfImage, (i, v) => v.setUint32(RulesetHeader.SetTableOffset * 4, i.length - 8, true)],
  ['set elements past the end', ImageError.OutOfImage, (i, v) => v.setUint32(headerWord(i, RulesetHeader.SetTableOffset) + SetEntry.ElementCount * 4, 1e6, true)],
  ['a set key longer than the registers', ImageError.BadSet, (i, v) => v.setUint32(headerWord(i, RulesetHeader.SetTableOffset) + SetEntry.KeyLength * 4, 200, true)],
  ['a chain whose rules run past the code', ImageError.BadRule, (i, v) => v.setUint32(chainEntry(i, 'b') + ChainEntry.RuleCount * 4, 50, true)],
  ['a rule of size 0', ImageError.BadRule, (i, v) => v.setUint32(instructions(i)[0]!.rule, 0, true)],
  ['an unknown opcode', ImageError.UnknownOpcode, (i, v) => v.setUint8(first(i, Op.Counter), 200)],
  ['an instruction of the wrong size', ImageError.BadSize, (i, v) => v.setUint8(first(i, Op.Counter) + 1, 5)],
  ['an instruction of size 0', ImageError.BadSize, (i, v) => v.setUint8(first(i, Op.MetaLoad) + 1, 0)],
  ['a load into the verdict register', ImageError.BadRegister, (i, v) => v.setUint8(first(i, Op.PayloadLoad) + 2, 0)],
  ['a load past the register file', ImageError.BadRegister, (i, v) => { const at = first(i, Op.PayloadLoad); v.setUint8(at + 2, 19); v.setUint8(at + 3, 8); }],
  ['a comparison past the register file', ImageError.BadRegister, setHeaderField(0, 200)],
  ['a meta load of 16 bytes into the last register', ImageError.BadRegister, (i, v) => { const at = first(i, Op.MetaLoad); v.setUint8(at + 2, 17); v.setUint8(at + 3, 6); }],
  ['an unknown meta key', ImageError.BadOperand, (i, v) => v.setUint8(first(i, Op.MetaLoad) + 3, 99)],
  ['an unknown comparison', ImageError.BadOperand, (i, v) => v.setUint32(first(i, Op.Cmp) + 4, 9, true)],
  ['an unknown verdict code', ImageError.BadOperand, (i, v) => v.setInt32(first(i, Op.Immediate, (at) => v.getUint8(at + 2) === 0) + 4, 77, true)],
  ['a jump to a chain out of range', ImageError.ChainIndex, (i, v) => v.setUint32(first(i, Op.Immediate, (at) => v.getInt32(at + 4, true) === Verdict.Jump) + 8, 9, true)],
  ['a jump to a base chain', ImageError.ChainIndex, (i, v) => v.setUint32(first(i, Op.Immediate, (at) => v.getInt32(at + 4, true) === Verdict.Jump) + 8, 0, true)],
  ['a counter index out of range', ImageError.CounterIndex, (i, v) => v.setUint32(first(i, Op.Counter) + 4, 1000, true)],
  ['a named counter out of range', ImageError.CounterIndex, (i, v) => v.setUint32(first(i, Op.Objref, (at) => v.getUint32(at + 4, true) === 1) + 8, 1000, true)],
  ['a helper object out of range', ImageError.ObjectIndex, (i, v) => v.setUint32(first(i, Op.Objref, (at) => v.getUint32(at + 4, true) === 3) + 8, 7, true)],
  ['a named quota state slot out of range', ImageError.StateSlot, (i, v) => v.setUint32(first(i, Op.Objref, (at) => v.getUint32(at + 4, true) === 2) + 12, 1000, true)],
  ['a quota map state slot out of range', ImageError.StateSlot, (i, v) => v.setUint32(first(i, Op.ObjrefMap) + 16, 1000, true)],
  ['an object map in a set out of range', ImageError.SetIndex, (i, v) => v.setUint32(first(i, Op.ObjrefMap) + 4, 40, true)],
  ['an object map of an unknown object type', ImageError.BadOperand, (i, v) => v.setUint32(first(i, Op.ObjrefMap, (at) => v.getUint32(at + 8, true) === 1) + 8, 9, true)],
  ['a lookup in a set out of range', ImageError.SetIndex, (i, v) => v.setUint32(first(i, Op.Lookup) + 4, 40, true)],
  ['an add to a set out of range', ImageError.SetIndex, (i, v) => v.setUint32(first(i, Op.Dynset) + 4, 40, true)],
  ['a queue number register past the register file', ImageError.BadRegister, (i, v) => v.setUint8(first(i, Op.Queue) + 2, 19 + 4)],
  ['a limit state slot out of range', ImageError.StateSlot, (i, v) => v.setUint32(first(i, Op.Limit) + 4, 12, true)],
  ['a quota state slot out of range', ImageError.StateSlot, (i, v) => v.setUint32(first(i, Op.Quota) + 4, 12, true)],
  ['a policy that is no verdict', ImageError.BadPolicy, (i, v) => v.setUint32(chainEntry(i, 'in') + ChainEntry.Policy * 4, 7, true)],
  ['a hook entry naming a regular chain', ImageError.ChainIndex, (i, v) => {
    v.setUint32(chainEntry(i, 'in') + ChainEntry.Policy * 4, POLICY_NONE, true);
  }],
  ['a regular chain jumping back to itself', ImageError.ChainLoop, (i, v) => {
    // chain a's `return` becomes `jump a`.
    const at = first(i, Op.Immediate, (x) => v.getUint8(x + 2) === 0 && v.getInt32(x + 4, true) === Verdict.Return);
    v.setInt32(at + 4, Verdict.Jump, true);
    v.setUint32(at + 8, chainIndex('a'), true);
  }],
  ['a verdict map going round', ImageError.ChainLoop, (i, v) => {
    // chain b's `drop` becomes `jump a`, chain a's `return` becomes `goto b`.
    const drop = first(i, Op.Immediate, (x) => v.getUint8(x + 2) === 0 && v.getInt32(x + 4, true) === Verdict.Drop);
    v.setInt32(drop + 4, Verdict.Goto, true);
    v.setUint32(drop + 8, chainIndex('a'), true);
    const ret = first(i, Op.Immediate, (x) => v.getUint8(x + 2) === 0 && v.getInt32(x + 4, true) === Verdict.Return);
    v.setInt32(ret + 4, Verdict.Jump, true);
    v.setUint32(ret + 8, chainIndex('b'), true);
  }],
];

async function load(image: Uint8Array) {
  return createFilter({ ...base, image } as Ruleset);
}

describe('ruleset image validation', () => {
  it('the unharmed image loads', async () => {
    await expect(load(base.image.slice())).resolves.toBeDefined();
  });

  it.each(CASES)('%s', async (_name, kind, corrupt) => {
    const image = base.image.slice();
    corrupt(image, words(image));
    await expect(load(image)).rejects.toMatchObject({ name: 'RulesetImageError', kind });
  });

  it('an image shorter than its header', async () => {
    await expect(load(base.image.slice(0, 20))).rejects.toMatchObject({ kind: ImageError.Truncated });
  });

  it('the message says what and where', async () => {
    const image = base.image.slice();
    const at = first(image, Op.Counter);
    words(image).setUint8(at, 200);
    await expect(load(image)).rejects.toThrow(`ruleset image refused: an unknown instruction at byte ${at} (value 200)`);
  });

  // The compiler refuses what is too deep, as the kernel does: the deeper
  // image is made from a ladder of 15 regular chains with one more above
  // it no base chain reaches, by pointing the base chain at that one.
  it.each([[15, 'loads'], [16, 'is refused']] as const)('%i regular chains deep: the image %s', async (depth, fate) => {
    const ladder = Array.from({ length: 15 }, (_, i) => `\tchain c${i} {\n\t\t${i < 14 ? `jump c${i + 1}` : 'counter'}\n\t}\n`).join('');
    const source = `table ip t {\n\tchain in {\n\t\ttype filter hook input priority 0;\n\t\tjump c0\n\t}\n${ladder}\tchain z {\n\t\tjump c0\n\t}\n}\n`;
    const r = compile(source);
    const image = r.image.slice();
    const v = words(image);
    const jump = first(image, Op.Immediate, (x) => v.getInt32(x + 4, true) === Verdict.Jump);
    // Chains are numbered in the order they are declared: in, c0..c14, z.
    if (depth === 16) v.setUint32(jump + 8, 16, true);
    const loading = createFilter({ ...r, image } as Ruleset);
    if (fate === 'loads') await expect(loading).resolves.toBeDefined();
    else await expect(loading).rejects.toMatchObject({ kind: ImageError.ChainDepth });
  });
});
