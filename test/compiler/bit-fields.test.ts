// Header bit fields compared in order (<, >, <=, >=) and ranges of
// symbolic types, as live nft compiles and lists them: the constant of an
// ordered comparison moves to the field's place in its byte as that of ==,
// and a range lists both ends as numbers.
import { describe, it } from 'vitest';
import { expectRuleSameAsNft, liveNftReason } from './live-nft.js';

const RULES = [
  'tcp doff < 8',
  'tcp doff >= 10',
  'ip version > 3',
  'ip hdrlength <= 6',
  'ip6 dscp > cs1',
  'icmp code 0-1',
  'icmp code != 1-3',
  'icmp type 0-8',
  'icmp code { 0-1, 3 }',
  'ip dscp 0-8',
  'meta l4proto 6-17',
  'meta pkttype 0-2',
  'ct expiration 45s-90s',
  'ct state != 2-4',
];

describe.skipIf(liveNftReason())('bit fields and symbolic ranges against live nft', () => {
  it.each(RULES)('%s', expectRuleSameAsNft);
});
