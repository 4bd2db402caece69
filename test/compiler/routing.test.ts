// fib, rt, numgen, jhash, symhash, socket, osf and ipsec compile to nft's
// bytecode, list as nft lists them and are refused where nft or the kernel
// refuses them.
import { describe, expect, it } from 'vitest';
import { compile, NftError } from '../../compiler/index.js';
import { hostCgroups } from '../../src/host-names.js';
import { expectSameAsNft, liveNftReason, nftDebugText, nftListingText, ourDebugText } from './live-nft.js';

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
  ['inet', 'prerouting', ['socket transparent 1', 'socket mark 0x00000005', 'socket wildcard 0', 'socket transparent 1 meta mark set socket mark counter']],
  ['inet', 'input', [
    'osf name "Linux"', 'osf ttl loose name "Linux"', 'osf ttl skip version "Linux:3.0"',
    'ct mark set osf name map { "Windows" : 0x00000001 }', 'ipsec in reqid 1', 'ipsec in spnum 0 reqid 1',
  ]],
  ['inet', 'forward', [
    'ipsec out reqid 0xffffffff', 'ipsec in spnum 2 ip saddr { 1.2.3.4, 10.6.0.0/16 }', 'ipsec out spi 1-561',
    'ipsec in ip6 daddr dead::beef', 'counter ipsec out ip daddr 192.168.1.2', 'ipsec exists',
  ]],
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
  ['inet', 'prerouting', 'socket transparent 2'],
  ['inet', 'input', 'osf ttl nottl name "Linux"'],
  ['inet', 'input', 'osf name "morethansixteenbytes"'],
  ['inet', 'input', 'osf name'],
  ['inet', 'forward', 'ipsec out spnum 0x100000000 reqid 1'],
  ['inet', 'forward', 'ipsec in spnum 256 reqid 1'],
  ['inet', 'forward', 'ipsec i reqid 1'],
  ['inet', 'forward', 'ipsec in saddr 1.2.3.4'],
];

// Refused by the kernel's hook checks, which run when the ruleset is
// loaded, not under nft -c.
const refusedAtLoad: Array<[string, string, string]> = [
  ['ip', 'prerouting', 'fib daddr . oif type local'],
  ['ip', 'output', 'fib daddr oif 1'],
  ['ip', 'postrouting', 'fib daddr . iif type local'],
  ['ip', 'input', 'rt mtu 1460'],
  ['inet', 'forward', 'socket mark 1'],
  ['inet', 'output', 'osf name "Linux"'],
  ['inet', 'output', 'ipsec in reqid 1'],
  ['inet', 'input', 'ipsec out spi 1'],
];

// nft's error when the kernel refuses the ruleset being loaded, and ours.
function expectRefusedAtLoad(text: string): void {
  let theirs = '';
  try {
    nftListingText(text);
  } catch (e) {
    theirs = (e as Error).message.replace(/\S*rules\.nft/g, 'rules.nft');
  }
  expect(theirs).toContain('Operation not supported');
  expect(ourDebugText(text).out.trimEnd()).toBe(theirs.trimEnd());
}

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
  it('checks a regular chain against each base chain that jumps to it, as the kernel does', () => {
    const jumpFrom = (hook: string) => `table ip t {\n\tchain r {\n\t\tfib daddr oif 1 counter\n\t}\n\tchain c {\n\t\ttype filter hook ${hook} priority 0; policy accept;\n\t\tjump r\n\t}\n}\n`;
    expectSameAsNft(jumpFrom('prerouting'));
    expectRefusedAtLoad(jumpFrom('output'));
  });
  for (const [family, hook, rule] of refusedAtLoad) {
    it(`refuses ${rule} under ${hook} as the kernel does`, () => {
      expectRefusedAtLoad(table(family, hook, [rule]));
    });
  }
});

// nft resolves a cgroup path to the inode of /sys/fs/cgroup/PATH when it
// reads the ruleset and lists an inode by the path the tree has for it (or
// as a number); here both read this host's tree. "/" and "" name its root
// wherever it is mounted.
describe.skipIf(liveNftReason())('socket cgroupv2 against live nft', () => {
  const cgroups = hostCgroups();
  const ours = (text: string): { ok: boolean; out: string } => {
    try {
      const r = compile(text, { filename: 'rules.nft', cgroups });
      return { ok: true, out: r.toNetlinkDebug() };
    } catch (e) {
      if (!(e instanceof NftError)) throw e;
      return { ok: false, out: e.message };
    }
  };
  it.each([
    'socket cgroupv2 level 0 "/"', 'socket cgroupv2 level 1 ""', 'socket cgroupv2 level 1 != "/" counter', 'socket cgroupv2 level 4294967296 "/" accept',
    'socket cgroupv2 level 2 "nftwasm-no-such-cgroup"', 'socket cgroupv2 "a"', 'socket cgroupv2 level "a"', 'socket cgroupv2 level 256 "/"',
  ])('%s', (rule) => {
    const text = table('inet', 'output', [rule]);
    const theirs = nftDebugText(text);
    expect(ours(text).out.trimEnd()).toBe(theirs.out.trimEnd());
    if (theirs.ok) expect(compile(text, { filename: 'rules.nft', cgroups }).toListing()).toBe(nftListingText(text));
  });
});
