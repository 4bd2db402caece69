import { describe, expect, it } from 'vitest';
import { RulesetHeader, SetEntry, SetFlags } from '../../assembly/abi.js';
import { compile } from '../../compiler/index.js';

function setTable(image: Uint8Array) {
  const v = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const head = (f: RulesetHeader) => v.getUint32(f * 4, true);
  return Array.from({ length: head(RulesetHeader.SetCount) }, (_, i) => {
    const e = (f: number) => v.getUint32(head(RulesetHeader.SetTableOffset) + (i * SetEntry.Words + f) * 4, true);
    const klen = e(SetEntry.KeyLength);
    const dlen = e(SetEntry.DataLength);
    const stride = 1 + Math.ceil(klen / 4) + Math.ceil(dlen / 4);
    const elements = Array.from({ length: e(SetEntry.ElementCount) }, (_, j) => {
      const at = e(SetEntry.ElementsOffset) + j * stride * 4;
      return Array.from({ length: stride }, (_, k) => v.getUint32(at + k * 4, true));
    });
    return { klen, dlen, flags: e(SetEntry.Flags), elements };
  });
}

const RULES = `table ip t {
	set s { type ipv4_addr; flags interval; elements = { 10.0.0.0/8, 1.2.3.4 } }
	chain c {
		type filter hook input priority 0; policy accept;
		ip saddr @s accept
		tcp dport vmap { 22 : accept, 23 : drop }
		ct mark set tcp dport map { 80 : 0x10 }
	}
}
`;

describe('set encoding', () => {
  const r = compile(RULES);
  const [s, vmap, map] = setTable(r.image);

  it('stores interval sets as sorted boundaries, ends flagged', () => {
    expect(s.flags).toBe(SetFlags.Interval);
    expect(s.klen).toBe(4);
    expect(s.elements).toEqual([[1, 0x00000000], [0, 0x04030201], [1, 0x05030201], [0, 0x0000000a], [1, 0x0000000b]]);
  });

  it('stores verdict maps with verdict code and chain', () => {
    expect(vmap.flags).toBe(SetFlags.Map | SetFlags.Verdict);
    expect([vmap.klen, vmap.dlen]).toEqual([2, 8]);
    expect(vmap.elements).toEqual([[0, 0x1600, 1, 0], [0, 0x1700, 0, 0]]);
  });

  it('stores data maps with host-order data', () => {
    expect(map.flags).toBe(SetFlags.Map);
    expect(map.elements).toEqual([[0, 0x5000, 0x10]]);
  });
});
