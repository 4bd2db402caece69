// `reject` in each family: the answer it names, the protocol it needs put at
// the start of the rule, and when the listing shows that protocol, as live
// nft compiles and lists them.
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/index.js';
import { liveNftReason, nftDebugText, nftBytecodeOrError, nftListingText, ourDebugText } from './live-nft.js';

const COMMON = [
  'reject',
  'reject with tcp reset',
  'tcp dport 22 reject with tcp reset',
  'counter reject with tcp reset',
];
const OWN: Record<string, string[]> = {
  ip: ['ip saddr 1.2.3.4 counter reject with tcp reset', 'reject with icmp port-unreachable', 'reject with icmp type host-unreachable', 'reject with icmp admin-prohibited', 'udp dport 53 counter reject with icmp net-prohibited'],
  ip6: ['reject with icmpv6 port-unreachable', 'reject with icmpv6 type no-route', 'udp dport 53 counter reject with icmpv6 policy-fail'],
  inet: [
    'reject with icmpx port-unreachable', 'reject with icmpx type no-route', 'reject with icmpx host-unreachable', 'reject with icmpx admin-prohibited',
    'reject with icmp host-unreachable', 'reject with icmpv6 admin-prohibited', 'meta l4proto tcp reject with tcp reset', 'ip saddr 1.2.3.4 counter reject with tcp reset',
    'udp dport 5355 counter reject with icmp admin-prohibited', 'tcp dport 1 reject with icmp admin-prohibited',
    'ip saddr 1.2.3.4 reject with icmp admin-prohibited', 'counter reject with icmpv6 admin-prohibited', 'meta l4proto udp reject with icmp admin-prohibited',
  ],
};

const ruleset = (family: string) =>
  `table ${family} t {\n\tchain c {\n\t\ttype filter hook input priority 0; policy accept;\n${[...COMMON, ...OWN[family]!].map((r) => `\t\t${r}\n`).join('')}\t}\n}\n`;

describe.skipIf(liveNftReason())('reject against live nft', () => {
  it.each(Object.keys(OWN))('%s: same bytecode and listing', (family) => {
    const source = ruleset(family);
    const r = compile(source);
    expect(r.toNetlinkDebug()).toBe(nftDebugText(source).out);
    expect(r.toListing()).toBe(nftListingText(source));
  });
});

// Bridge and netdev answer only IP, and check its version by meta protocol
// (or the innermost VLAN tag's type); inet refuses an ICMP answer of the
// other version than the rule settled. This kernel has no bridge or netdev
// reject: nft's bytecode, or its own error, is compared.
const LINK_RULES = [
  'reject', 'reject with icmp host-unreachable', 'reject with icmpv6 no-route', 'reject with tcp reset', 'counter reject with icmp host-unreachable',
  'ether type ip reject', 'ether type ip6 reject', 'ether type vlan reject', 'ether type vlan reject with tcp reset', 'ether type vlan reject with icmp host-unreachable',
  'vlan id 1 reject with icmp host-unreachable', 'ip saddr 1.1.1.1 counter reject', 'ip6 nexthdr tcp reject', 'tcp dport 22 reject', 'meta protocol ip6 reject with tcp reset',
  'meta protocol ip reject with icmp host-unreachable',
  'ether type ip6 reject with icmp host-unreachable', 'ether type ip reject with icmpv6 no-route', 'ether type arp reject', 'ether type arp reject with tcp reset',
  'ether type arp reject with icmpx admin-prohibited', 'meta protocol arp reject', 'meta protocol vlan reject', 'arp operation request reject',
  'ip protocol udp reject with tcp reset', 'meta protocol ip ip protocol icmp reject with icmpv6 no-route',
];
const INET_RULES = [
  'meta nfproto ipv6 reject with icmp host-unreachable', 'meta nfproto ipv4 ip protocol icmp reject with icmpv6 no-route', 'meta l4proto udp reject with tcp reset',
  'vlan id 1 reject with icmp host-unreachable', 'ether type arp reject', 'ether type arp reject with tcp reset', 'ether type arp reject with icmpx admin-prohibited',
];
const HOOKS: Record<string, string> = { bridge: 'type filter hook input priority 0', netdev: 'type filter hook ingress device lo priority 0', inet: 'type filter hook input priority 0' };

describe.skipIf(liveNftReason())('reject in bridge, netdev and inet against live nft', () => {
  const cases = [...['bridge', 'netdev'].flatMap((f) => LINK_RULES.map((r) => [f, r])), ...INET_RULES.map((r) => ['inet', r])];
  it.each(cases)('%s: %s', (family, rule) => {
    const source = `table ${family} t {\n\tchain c {\n\t\t${HOOKS[family]}\n\t\t${rule}\n\t}\n}\n`;
    const ours = ourDebugText(source);
    const bytecode = ours.out.split('\n').filter((l) => l.startsWith('  ['));
    expect(ours.ok ? bytecode.join('\n') : ours.out.trimEnd()).toBe(nftBytecodeOrError(source));
  });
});
