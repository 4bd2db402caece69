// fib, rt, numgen, jhash and symhash compile to nft's bytecode, list as nft
// lists them and are refused where nft or the kernel refuses them.
import { describe, expect, it } from 'vitest';
import { expectSameAsNft, liveNftReason, nftDebugText, ourDebugText } from './live-nft.js';

const table = (family: string, hook: string, rules: string[]) =>
  `table ${family} t {\n\tchain c {\n\t\ttype filter hook ${hook} priority 0; policy accept;\n${rules.map((r) => `\t\t${r}\n`).join('')}\t}\n}\n`;

const accepted: Array<[string, string, string[]]> = [
  ['ip', 'prerouting', [
    'fib saddr . iif oif missing drop',
    'fib saddr . iif oif ne 0',
    'fib saddr . iif oifname "lo"',
    'fib daddr . iif type local',
    'fib daddr . iif type != { local, broadcast, multicast } drop',
    'fib daddr . iif type vmap { blackhole : drop, prohibit : drop, unicast : accept }',
    'fib daddr type local accept',
    'fib daddr oif exists',
    'fib saddr . mark oifname "lo"',
    'fib daddr . mark . iif oif lo',
    'fib daddr oif . fib saddr type { 1 . local }',
    'rt classid "cosmos"',
    'rt ipsec missing',
    'ct mark set numgen inc mod 2',
    'ct mark set numgen random mod 2 offset 100',
    'numgen inc mod 4 { 1, 2 } counter',
    'ct mark set jhash ip saddr . ip daddr mod 2 seed 0xdeadbeef offset 100',
    'ct mark set jhash ip saddr . ip daddr mod 2 seed 0x0',
    'ct mark set symhash mod 2 offset 100',
    'jhash tcp dport mod 10 5',
    'meta mark set jhash ip saddr mod 2',
  ]],
  ['ip6', 'prerouting', ['fib daddr . iif type local', 'fib saddr . iif oif missing drop', 'rt nexthop fd00::1']],
  ['inet', 'output', [
    'tcp option maxseg size set rt mtu',
    'rt mtu 1500',
    'meta nfproto ipv4 rt nexthop 192.168.0.1',
    'rt ip6 nexthop fd00::1',
    'fib daddr type local',
    'fib daddr . oif type != local',
  ]],
  ['ip', 'forward', ['tcp flags syn tcp option maxseg size set rt mtu', 'fib saddr . iif oif eq 0 drop']],
];

const refused: Array<[string, string, string]> = [
  ['ip', 'prerouting', 'fib saddr . daddr oif lo'],
  ['ip', 'prerouting', 'fib iif . oif . daddr oif lo'],
  ['ip', 'prerouting', 'fib mark oif lo'],
  ['ip', 'prerouting', 'fib daddr foo'],
  ['ip', 'prerouting', 'fib foo oif'],
  ['ip', 'prerouting', 'fib daddr . oif oif 1'],
  ['ip', 'prerouting', 'fib daddr type exists'],
  ['ip', 'prerouting', 'fib daddr oifname missing'],
  ['inet', 'output', 'rt nexthop 192.168.0.1'],
  ['inet', 'output', 'rt ip nexthop fd00::1'],
  ['ip', 'output', 'rt ip6 nexthop fd00::1'],
  ['ip6', 'output', 'rt ip nexthop 1.2.3.4'],
  ['ip', 'output', 'rt foo'],
  ['ip', 'output', 'rt mtu 70000'],
  ['ip', 'output', 'numgen inc mod 2 5'],
  ['ip', 'output', 'numgen foo mod 2'],
  ['ip', 'output', 'numgen inc mod 2 offset 1 == 3'],
  ['ip', 'output', 'numgen inc mod 0 0'],
  ['ip', 'output', 'numgen inc mod 2 offset 4294967295 1'],
  ['ip', 'output', 'symhash mod 2 seed 3 0'],
  ['ip', 'output', 'jhash ip saddr mod 0 1'],
  ['ip', 'output', 'jhash ip saddr mod 4 offset 10 20'],
  ['ip', 'output', 'numgen inc mod 10 { 3, 12 }'],
];

describe.skipIf(liveNftReason())('routing and generator expressions against live nft', () => {
  for (const [family, hook, rules] of accepted) {
    it(`${family} ${hook}: ${rules.length} rules`, () => expectSameAsNft(table(family, hook, rules)));
  }
  for (const [family, hook, rule] of refused) {
    it(`refuses ${rule}`, () => {
      const text = table(family, hook, [rule]);
      const theirs = nftDebugText(text);
      expect(theirs.ok).toBe(false);
      expect(ourDebugText(text).out.trimEnd()).toBe(theirs.out.trimEnd());
    });
  }
});
