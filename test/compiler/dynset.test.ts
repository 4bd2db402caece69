// Dynamic sets: add, update and delete @set { key } compile and list as
// live nft gives them, and in the data plane fill the set packets are
// then looked up in, with timeouts over packet timestamps and the size as
// a limit.
import { describe, expect, it } from 'vitest';
import { compile, createFilter } from '../../src/index.js';
import { pcap, SYN, tcp } from '../dataplane/packets.js';
import { liveNftReason, nftDebugText, nftListingText } from './live-nft.js';

const declarations = `table ip t {
	set seen {
		type ipv4_addr
		size 65535
		flags dynamic,timeout
		timeout 1m
	}
	set pairs {
		type ipv4_addr . inet_service
		flags dynamic
	}
	set plain {
		type ipv4_addr
	}
	set unused {
		type ipv4_addr
		flags timeout,dynamic
	}
	map marks {
		type ipv4_addr . inet_service : mark
		flags dynamic,timeout
	}
	chain c {
		type filter hook input priority 0; policy accept;
		add @seen { ip saddr }
		update @seen { ip saddr timeout 30s }
		add @pairs { ip saddr . tcp dport }
		add @plain { ip daddr }
		delete @plain { ip daddr }
		add @marks { ip saddr . tcp dport : 0x5 }
		meta mark set 1 update @marks { ip saddr . tcp dport timeout 5s : meta mark }
		ip saddr @seen counter
		ip saddr != @seen drop
	}
}
`;

describe.skipIf(liveNftReason())('dynamic sets against live nft', () => {
  it('compile to the same bytecode and list the same', () => {
    const r = compile(declarations);
    expect(r.toNetlinkDebug()).toBe(nftDebugText(declarations).out);
    expect(r.toListing()).toBe(nftListingText(declarations));
  });
});

// Whether each packet, [source, destination port], two seconds apart, is
// accepted by the rules after the declaration of set (or map) s.
async function accepted(set: string, rules: string[], packets: [string, number][]): Promise<boolean[]> {
  const kind = set.includes(' : ') ? 'map' : 'set';
  const source = `table ip t {\n\t${kind} s {\n\t\t${set}\n\t}\n\tchain in {\n\t\ttype filter hook input priority 0; policy accept;\n${rules.map((r) => `\t\t${r}\n`).join('')}\t}\n}\n`;
  const filter = await createFilter(compile(source), { local: ['10.0.0.1'] });
  const out: boolean[] = [];
  const frames = packets.map(([src, dport], i) => tcp({ src, dst: '10.0.0.1', sport: 1000 + i, dport, seq: 1, flags: SYN }));
  filter.processCapture(pcap(frames, { step: 2 }), (b) => {
    for (let i = 0; i < b.count; i++) out.push(b.accepted(i));
  });
  return out;
}

const A = '192.0.2.1';
const B = '192.0.2.2';
const C = '192.0.2.3';

describe('dynamic sets in the data plane', () => {
  it('add: elements expire after the set timeout; a full set takes no more', async () => {
    const set = 'type ipv4_addr; size 2; flags dynamic,timeout; timeout 10s';
    const rules = ['tcp dport 22 add @s { ip saddr }', 'ip saddr @s tcp dport 80 drop'];
    expect(await accepted(set, rules, [
      [A, 80], // t=0: not in the set
      [A, 22], // t=2: added until t=12
      [A, 80], // t=4: dropped
      [B, 22], // t=6: added until t=16; the set is full
      [C, 22], // t=8: not added
      [C, 80], // t=10
      [A, 80], // t=12: expired
      [C, 22], // t=14: added, in A's place
      [C, 80], // t=16: dropped
      [B, 80], // t=18: expired
    ])).toEqual([true, true, false, true, true, true, true, true, false, true]);
  });

  it('update restarts the timeout, delete takes the element out, a later add brings it back', async () => {
    const set = 'type ipv4_addr; flags dynamic,timeout; timeout 5s';
    const rules = ['tcp dport 22 update @s { ip saddr }', 'tcp dport 23 delete @s { ip saddr }', 'ip saddr @s tcp dport 80 drop'];
    expect(await accepted(set, rules, [
      [A, 22], // t=0: added until t=5
      [A, 80], // t=2: dropped
      [A, 22], // t=4: until t=9
      [A, 80], // t=6: dropped
      [A, 23], // t=8: deleted
      [A, 80], // t=10
      [A, 22], // t=12: back until t=17
      [A, 80], // t=14: dropped
    ])).toEqual([true, false, true, false, true, true, true, false]);
  });

  it('a statement timeout overrides the set one; concatenated keys; no timeout keeps elements', async () => {
    const set = 'type ipv4_addr . inet_service; flags dynamic';
    const rules = ['tcp dport 22 add @s { ip saddr . tcp sport }', 'ip saddr . tcp sport @s drop'];
    const out = await accepted(set, rules, [[A, 22], [A, 80], [B, 80]]);
    // Each packet has its own source port, so only the first one's pair is
    // added: it is dropped by the rule after the add.
    expect(out).toEqual([false, true, true]);
    const timed = await accepted('type ipv4_addr; flags dynamic,timeout; timeout 1h', ['tcp dport 22 add @s { ip saddr timeout 3s }', 'ip saddr @s tcp dport 80 drop'], [
      [A, 22], [A, 80], [A, 80],
    ]);
    expect(timed).toEqual([true, false, true]);
  });

  it('maps take the data of the packet that adds the element', async () => {
    const set = 'type ipv4_addr : mark; flags dynamic';
    const rules = [
      'tcp dport 22 meta mark set 0x7',
      'tcp dport { 22, 23 } add @s { ip saddr : meta mark }',
      'tcp dport 80 meta mark set ip saddr map @s',
      'meta mark 0x7 drop',
    ];
    // B's element is made with mark 0 and keeps it when B comes back on 22.
    expect(await accepted(set, rules, [
      [A, 22], [A, 80], [B, 23], [B, 22], [B, 80], [C, 80],
    ])).toEqual([false, false, true, false, true, true]);
  });

  it('grows past its first table without losing elements', async () => {
    const set = 'type ipv4_addr; flags dynamic';
    const sources = Array.from({ length: 300 }, (_, i) => `10.9.${i >> 8}.${i & 0xff}`);
    const packets: [string, number][] = [...sources.map((s): [string, number] => [s, 22]), ...sources.map((s): [string, number] => [s, 80])];
    const out = await accepted(set, ['tcp dport 22 add @s { ip saddr }', 'ip saddr @s tcp dport 80 drop'], packets);
    expect(out.slice(0, 300).every((x) => x)).toBe(true);
    expect(out.slice(300).some((x) => x)).toBe(false);
  });
});
