// `ct l3proto` before other matches, as live nft lists it: nft keeps it as
// a dependency below the network header, left out of the listing before a
// match of a protocol above it (meta l4proto or ct protocol of one value, a
// header field) and kept before anything else.
import { describe, it } from 'vitest';
import { expectRuleSameAsNft, liveNftReason } from './live-nft.js';

const RULES = [
  'ct l3proto ipv4',
  'ct l3proto ipv4 meta l4proto tcp',
  'ct l3proto ipv4 ct protocol icmp',
  'ct l3proto ipv6 ct protocol tcp',
  'ct l3proto ipv4 ct mark 1',
  'ct l3proto ipv4 meta mark 1',
  'ct l3proto ipv4 tcp dport 22',
  'ct l3proto ipv4 ct original ip saddr 1.2.3.4',
  'ct l3proto { ipv4 } meta l4proto tcp',
  'ct l3proto != ipv4 meta l4proto tcp',
  'ct l3proto ipv4 meta nfproto ipv4',
  'ct l3proto ipv4 meta protocol ip',
  'ct l3proto ipv4 ct state new',
  'ct l3proto ipv4 ip protocol tcp',
  'ct l3proto ipv4 udp dport 53',
  'ct l3proto ipv4 ip saddr 1.2.3.4',
  'ct l3proto ipv4 th dport 53',
  'ct l3proto ipv4 meta l4proto { tcp, udp }',
  'ct l3proto ipv4 icmp type echo-request',
  'ct l3proto ipv4 ct protocol { tcp, udp }',
  'ct l3proto ipv4 meta l4proto != tcp',
  'ct l3proto ipv4 ct mark 1 meta l4proto tcp',
  'ct l3proto ipv4 tcp dport { 22, 80 }',
  'ct l3proto ipv4 ip saddr . tcp dport { 1.2.3.4 . 22 }',
];

describe.skipIf(liveNftReason())('ct l3proto as a dependency, against live nft', () => {
  it.each(RULES)('%s', expectRuleSameAsNft);
});
