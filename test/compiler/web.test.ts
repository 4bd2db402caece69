import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Hook, RULESET_MAGIC, RulesetFlags, RulesetHeader } from '../../assembly/abi.js';
import { compile } from '../../compiler/index.js';
import { nftDebug, liveNftReason } from './live-nft.js';

const path = new URL('../../examples/web.nft', import.meta.url).pathname;
const source = readFileSync(path, 'utf8');

// Printed by `nft -c --debug=netlink -f examples/web.nft` (nft 1.0.6).
const DEBUG = `inet (null) (null) use 0 type filter hook input prio 0 packets 0 bytes 0
inet (null) (null) use 0 type filter hook output prio 0 packets 0 bytes 0
inet filter input
  [ ct load state => reg 1 ]
  [ bitwise reg 1 = ( reg 1 & 0x00000006 ) ^ 0x00000000 ]
  [ cmp neq reg 1 0x00000000 ]
  [ counter pkts 0 bytes 0 ]
  [ immediate reg 0 accept ]

inet filter input
  [ ct load state => reg 1 ]
  [ bitwise reg 1 = ( reg 1 & 0x00000001 ) ^ 0x00000000 ]
  [ cmp neq reg 1 0x00000000 ]
  [ counter pkts 0 bytes 0 ]
  [ immediate reg 0 drop ]

inet filter input
  [ meta load l4proto => reg 1 ]
  [ cmp eq reg 1 0x00000006 ]
  [ payload load 2b @ transport header + 2 => reg 1 ]
  [ cmp eq reg 1 0x0000401f ]
  [ ct load state => reg 1 ]
  [ bitwise reg 1 = ( reg 1 & 0x00000008 ) ^ 0x00000000 ]
  [ cmp neq reg 1 0x00000000 ]
  [ counter pkts 0 bytes 0 ]
  [ immediate reg 0 accept ]

inet filter input
  [ meta load l4proto => reg 1 ]
  [ cmp eq reg 1 0x00000011 ]
  [ payload load 2b @ transport header + 2 => reg 1 ]
  [ cmp eq reg 1 0x0000e914 ]
  [ counter pkts 0 bytes 0 ]
  [ immediate reg 0 accept ]

inet filter input
  [ meta load nfproto => reg 1 ]
  [ cmp eq reg 1 0x00000002 ]
  [ meta load l4proto => reg 1 ]
  [ cmp eq reg 1 0x00000001 ]
  [ payload load 1b @ transport header + 0 => reg 1 ]
  [ cmp eq reg 1 0x00000008 ]
  [ counter pkts 0 bytes 0 ]
  [ immediate reg 0 accept ]

inet filter input
  [ meta load l4proto => reg 1 ]
  [ cmp eq reg 1 0x00000006 ]
  [ payload load 2b @ transport header + 2 => reg 1 ]
  [ cmp eq reg 1 0x00001600 ]
  [ counter pkts 0 bytes 0 ]
  [ immediate reg 0 drop ]

inet filter input
  [ counter pkts 0 bytes 0 ]

inet filter output
  [ ct load direction => reg 1 ]
  [ cmp eq reg 1 0x00000001 ]
  [ counter pkts 0 bytes 0 ]

inet filter output
  [ ct load direction => reg 1 ]
  [ cmp eq reg 1 0x00000000 ]
  [ ct load mark => reg 1 ]
  [ cmp eq reg 1 0x00000000 ]
  [ counter pkts 0 bytes 0 ]

`;

// Printed by `nft list ruleset` after loading examples/web.nft.
const LISTING = `table inet filter {
	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related counter packets 0 bytes 0 accept
		ct state invalid counter packets 0 bytes 0 drop
		tcp dport 8000 ct state new counter packets 0 bytes 0 accept
		udp dport 5353 counter packets 0 bytes 0 accept
		icmp type echo-request counter packets 0 bytes 0 accept
		tcp dport 22 counter packets 0 bytes 0 drop
		counter packets 0 bytes 0
	}

	chain output {
		type filter hook output priority filter; policy accept;
		ct direction reply counter packets 0 bytes 0
		ct direction original ct mark 0x00000000 counter packets 0 bytes 0
	}
}
`;

describe('examples/web.nft', () => {
  const r = compile(source, { filename: 'examples/web.nft' });

  it('disassembles to the bytecode nft sends', () => {
    expect(r.toNetlinkDebug()).toBe(DEBUG);
  });

  it('lists as nft lists it', () => {
    expect(r.toListing()).toBe(LISTING);
  });

  it('prints counter values and handles', () => {
    const counters = new BigUint64Array(r.counterCount * 2);
    counters[0] = 5n;
    counters[1] = 300n;
    const text = r.toListing({ counters, handles: true });
    expect(text).toContain('table inet filter { # handle 1\n\tchain input { # handle 1\n');
    expect(text).toContain('ct state established,related counter packets 5 bytes 300 accept # handle 3\n');
    expect(text).toContain('\tchain output { # handle 2\n');
    expect(text).toContain('ct direction original ct mark 0x00000000 counter packets 0 bytes 0 # handle 11\n');
  });

  it('describes chains and rules', () => {
    expect(r.chains).toEqual([
      { family: 'inet', table: 'filter', name: 'input', handle: 1, hook: 'input', priority: 0, policy: 'drop', type: 'filter' },
      { family: 'inet', table: 'filter', name: 'output', handle: 2, hook: 'output', priority: 0, policy: 'accept', type: 'filter' },
    ]);
    expect(r.rules.map((x) => [x.handle, x.chain, x.counter])).toEqual([
      [3, 0, 0], [4, 0, 1], [5, 0, 2], [6, 0, 3], [7, 0, 4], [8, 0, 5], [9, 0, 6], [10, 1, 7], [11, 1, 8],
    ]);
    expect(r.counterCount).toBe(9);
  });

  it('puts an inet base chain on both families\' hooks', () => {
    const v = new DataView(r.image.buffer, r.image.byteOffset, r.image.byteLength);
    const head = (f: RulesetHeader) => v.getUint32(f * 4, true);
    expect(head(RulesetHeader.Magic)).toBe(RULESET_MAGIC);
    expect(head(RulesetHeader.Flags)).toBe(RulesetFlags.Conntrack);
    const slot = (family: number, hook: Hook) => {
      const at = head(RulesetHeader.HookTableOffset) + (family * Hook.Count + hook) * 8;
      const off = v.getUint32(at, true);
      const n = v.getUint32(at + 4, true);
      return Array.from({ length: n }, (_, i) => [v.getInt32(off + i * 8, true), v.getUint32(off + i * 8 + 4, true)]);
    };
    expect(slot(0, Hook.Input)).toEqual([[0, 0]]);
    expect(slot(1, Hook.Input)).toEqual([[0, 0]]);
    expect(slot(0, Hook.Output)).toEqual([[0, 1]]);
    expect(slot(1, Hook.Output)).toEqual([[0, 1]]);
    expect(slot(0, Hook.Forward)).toEqual([]);
  });

  it.skipIf(liveNftReason())('matches the live nft', () => {
    expect(r.toNetlinkDebug()).toBe(nftDebug(path));
  });
});
