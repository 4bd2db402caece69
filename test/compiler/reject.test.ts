// `reject` in each family: the answer it names, the protocol it needs put at
// the start of the rule, and when the listing shows that protocol, as live
// nft compiles and lists them.
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/index.js';
import { liveNftReason, nftDebugText, nftListingText } from './live-nft.js';

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
