// Errors for common mistakes against what `nft -c -f` prints for the same
// file: message, line, columns and the carets under the span of the first
// error.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile, NftError } from '../../compiler/index.js';
import { liveNftReason } from './live-nft.js';

const inRule = (rule: string) => `table inet t {\n\tchain c {\n\t\ttype filter hook input priority 0; policy accept;\n\t\t${rule}\n\t}\n}\n`;
const inChainSpec = (spec: string) => `table ip t {\n\tchain c {\n\t\ttype filter ${spec}; policy accept;\n\t}\n}\n`;

const CASES: [string, string][] = [
  ['unknown keyword', inRule('tcp dprot 22 accept')],
  ['misspelt verdict', inRule('tcp dport 22 acept')],
  ['service that does not exist', inRule('tcp dport foo accept')],
  ['address that does not parse', inRule('ip saddr 10.0.0.300 accept')],
  ['value out of range', inRule('ip ttl 300 accept')],
  ['unknown ct state', inRule('ct state bogus accept')],
  ['mark that is not a number', inRule('meta mark set foo')],
  ['counter value that is not a number', inRule('ct mark 0x1 counter packets x')],
  ['jump to a chain that does not exist', inRule('jump nowhere')],
  ['undefined variable', inRule('ip saddr $undefined accept')],
  ['two IP versions', inRule('ip saddr 1.2.3.4 ip6 daddr ::1 accept')],
  ['two IP versions after meta nfproto', inRule('meta nfproto ipv6 ip saddr 1.2.3.4')],
  ['two transport protocols', inRule('tcp dport 22 udp sport 53 accept')],
  ['transport protocol after meta l4proto', inRule('meta l4proto udp tcp dport 22')],
  ['unknown priority name', inChainSpec('hook input priority foo')],
  ['dstnat outside prerouting', inChainSpec('hook input priority dstnat')],
  ['priority offset that is not a number', inChainSpec('hook input priority filter + x')],
  ['negative priority name', inChainSpec('hook input priority -foo')],
  ['unknown hook', inChainSpec('hook nothook priority 0')],
  ['rule without a separator before the brace', 'table ip t { chain c { accept } }\n'],
  ['chain spec without a separator before the brace', 'table ip t { chain c { type filter hook input priority 0; policy accept }\n}\n'],
  ['set type without a separator before the brace', 'table ip t { set s { type ipv4_addr } }\n'],
  ['chain block without a separator before the table brace', 'table ip t { chain c { accept; } }\n'],
  ['set block without a separator before the table brace', 'table ip t { set s { type ipv4_addr; } }\n'],
  ['ct helper block without a separator before the table brace', 'table ip t { ct helper h { type "ftp" protocol tcp; } }\n'],
  ['keyword as a table name', 'table inet accept {\n}\n'],
  ['keyword as a chain name', 'table inet t {\n\tchain tcp {\n\t}\n}\n'],
  ['keyword as a set name', 'table inet t {\n\tset counter {\n\t\ttype ipv4_addr\n\t}\n}\n'],
  ['operator keyword as a chain name', 'table inet t {\n\tchain or {\n\t}\n}\n'],
  ['quoted table name', 'table inet "t" {\n}\n'],
  ['table named for its family only', 'table ip {\n}\n'],
  ['quoted chain name in a command', 'add table inet t\nadd chain inet t "c"\n'],
  ['keyword as the chain of a rule command', 'add table inet t\nadd rule inet t ct accept\n'],
  ['keyword as a ct helper name', 'table inet t {\n\tct helper ip {\n\t\ttype "ftp" protocol tcp\n\t}\n}\n'],
  ['keyword as a jump target', inRule('jump drop')],
  ['quoted jump target', inRule('jump "c"')],
  ['keyword after @', inRule('ip saddr @meta accept')],
  ['a value of another type', inRule('ip ttl set meta mark')],
  ['a value of another selector type', inRule('ip ttl set ip protocol')],
  ['a selector into a byte under the IPv4 checksum', inRule('ip ttl set ip ttl')],
  ['a selector into bits of a byte', inRule('ip dscp set ip dscp')],
  ['a selector into the low bits of a byte', inRule('ip ecn set ip ecn')],
  ['a selector into bits across two bytes', inRule('ip6 dscp set ip6 dscp')],
  ['a selector whose own bits cannot be shifted out', inRule('ip version set ip version')],
  ['a selector too narrow to shift into place', inRule('ip hdrlength set ip hdrlength')],
  ['a selector into an odd byte under a checksum', inRule('tcp flags set tcp flags')],
  ['a selector of 20 bits', inRule('ip6 flowlabel set ip6 flowlabel')],
  ['dynamic set timeout on a set without timeouts', inRule('add @nowhere { ip saddr timeout 5s }').replace('table inet t {', 'table inet t {\n\tset nowhere { type ipv4_addr; }')],
];

function nftError(dir: string, text: string): string {
  const path = join(dir, 'bad.nft');
  writeFileSync(path, text);
  const r = spawnSync('unshare', ['-rn', 'nft', '-c', '-f', path], { encoding: 'utf8', cwd: dir });
  expect(r.status).not.toBe(0);
  // nft goes on after a syntax error and may report more; the first is ours.
  return r.stderr.replaceAll(path, 'bad.nft').split('\n').slice(0, 3).join('\n');
}

function ourError(text: string): string {
  try {
    compile(text, { filename: 'bad.nft' });
  } catch (e) {
    if (e instanceof NftError) return e.message;
    throw e;
  }
  return 'compiled';
}

describe.skipIf(liveNftReason())('errors against live nft', () => {
  it.each(CASES)('%s', (_, text) => {
    const dir = mkdtempSync(join(tmpdir(), 'nftwasm-'));
    try {
      expect(ourError(text)).toBe(nftError(dir, text));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
