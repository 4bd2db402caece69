// Errors for common mistakes against what `nft -c -f` prints for the same
// file: messages, lines, columns and the carets under the spans of every
// error, nft going on after each (syntax errors first, then each set,
// chain and rule evaluated on its own, then what only the kernel finds).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile, NftError } from '../../compiler/index.js';
import { liveNftReason } from './live-nft.js';

const inRule = (rule: string) => `table inet t {\n\tchain c {\n\t\ttype filter hook input priority 0; policy accept;\n\t\t${rule}\n\t}\n}\n`;
const inChainSpec = (spec: string) => `table ip t {\n\tchain c {\n\t\ttype filter ${spec}; policy accept;\n\t}\n}\n`;

const inTable = (body: string) => `table ip t {\n${body}}\n`;
const ports = (n: number) => Array.from({ length: n }, (_, i) => `\t\ttcp dport ${99990 + i} accept\n`).join('');

const CASES: [string, string][] = [
  ['errors in several rules, chains and tables', inTable('\tset s {\n\t\ttype ipv4_addr\n\t\telements = { 1.2.3.4, 300.1.1.1 }\n\t}\n\tchain c {\n\t\ttype filter hook nosuch priority 0;\n\t\ttcp dport 99999 accept\n\t}\n\tchain d {\n\t\tudp dport 70000 drop\n\t\tip saddr @nosuch accept\n\t}\n') + 'table ip u {\n\tchain e {\n\t\tip protocol 300 accept\n\t}\n}\n'],
  ['a syntax error, then evaluation errors', inRule('ip saddr 1.2.3 accept\n\t\ttcp dport 99999 accept\n\t\tfoo bar')],
  ['names and numbers with no type on the left', inRule('foo bar\n\t\t1 2\n\t\t"x" y\n\t\ttcpp dport 22 accept')],
  ['no more than ten errors', inTable(`\tchain c {\n${ports(12)}\t}\n`)],
  ['an invalid priority: the chain\'s rules are still evaluated', inTable('\tchain c {\n\t\ttype filter hook input priority dstnat;\n\t\ttcp dport 99999 accept\n\t}\n\tct helper h {\n\t\ttype "ftp" protocol nosuch\n\t}\n')],
  ['the end of a file after its last line', 'table ip t { chain c { type filter hook input priority 0; } }\n'],
  ['what only the kernel finds missing', inTable('\tchain d {\n\t\tjump nowhere\n\t\tip saddr 1.2.3.4 counter name nocounter\n\t}\n') + 'add rule ip t nochain accept\nadd rule ip nt c accept\n'],
  ['a missing set hides what only the kernel finds missing', inTable('\tchain d {\n\t\tip saddr @nosuch accept\n\t}\n') + 'add rule ip t nochain accept\n'],
  ['missing tables and sets of commands', 'table ip t {\n}\nadd element ip t nosuchset { 1.2.3.4 }\nadd set ip nt s { type ipv4_addr; }\nadd chain ip nt c\nadd element ip nt s { 1.2.3.4 }\n'],
  ['names nft suggests for missing sets, maps and tables', 'table inet filter {\n\tset allowed_hosts {\n\t\ttype ipv4_addr\n\t}\n\tmap port_map {\n\t\ttype inet_service : verdict\n\t}\n\tchain c {\n\t\tip saddr @alowed_hosts accept\n\t\tip saddr @allowed-hosts accept\n\t\ttcp dport vmap @portmap\n\t\tip saddr @hosts accept\n\t\tip saddr @x accept\n\t}\n}\nadd element inet filter allowed_host { 1.2.3.4 }\nadd element inet filtr allowed_hosts { 1.2.3.4 }\nadd chain ip filter c\nadd set inet fi s { type ipv4_addr; }\n'],
  ['statements after a terminal one, and limits and quotas', inRule(['ip saddr 1.2.3.4 drop drop', 'accept ip saddr 1.2.3.4', 'jump c accept', 'limit rate 10/minute burst 0 packets accept', 'limit rate 10 kbytes/second burst 5 packets', 'limit rate 10 foo/second', 'limit rate 10/second burst 5 foo', 'quota 10 foo', 'quota 10 kbytes used 5 accept'].join('\n\t\t'))],
  ['values, names and sets nft refuses', inRule(['ip saddr 10.0.0.0/33 accept', 'tcp dport { } accept', 'ip daddr { 1.2.3.4 . 80 } accept', 'ip ttl -1 accept', 'meta mark set 0x100000000', 'ip saddr vmap { 1.2.3.4 : accept, 1.2.3.5 : foo }', 'ip6 saddr 1.2.3.4 accept', 'ip saddr @5 accept', 'ct count over x'].join('\n\t\t'))],
  ['names a statement takes as any expression', inRule(['log prefix foo', 'log prefix 123', 'counter name 5', 'counter name', 'jump 5'].join('\n\t\t'))],
  ['reject answers a family cannot give', 'table ip t {\n\tchain c {\n\t\treject with icmpx type admin-prohibited\n\t\treject with icmpv6 no-route\n\t\tudp dport 53 reject with tcp reset\n\t\treject counter\n\t\treject with icmp type bogus\n\t\treject with foo\n\t\treject with tcp\n\t}\n}\n'],
  ['a rule for a missing chain is evaluated all the same', 'table ip t {\n}\nadd rule ip t c counter name x ip saddr 300.1.1.1\n'],
  ['sets declared without a key', inTable('\tset s { }\n\tset m { elements = { 1.2.3.4 } }\n')],
  ['headers of one protocol after a match on several', inRule(['meta l4proto { tcp, udp } udp dport 53 accept', 'meta l4proto { sctp, udp, tcp } tcp dport 53', 'ip protocol { tcp, udp } icmp type echo-request', 'meta l4proto tcp meta l4proto udp udp dport 1', 'tcp dport 1 meta l4proto udp udp dport 2', 'meta nfproto { ipv4, ipv6 } ip saddr 1.1.1.1'].join('\n\t\t'))],
  ['conntrack in the arp and netdev families, which the kernel refuses', 'table arp t {\n\tchain c {\n\t\ttype filter hook input priority 0; policy accept;\n\t\tct state new counter\n\t\tct mark set 1\n\t\tnotrack\n\t}\n}\ntable netdev n {\n\tchain c {\n\t\ttype filter hook ingress device "lo" priority 0;\n\t\tmeta l4proto tcp ct count 3 counter\n\t\tct mark 1 counter\n\t}\n}\n'],
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
  ['meta nfproto outside the inet family', ['ip', 'ip6', 'bridge', 'netdev', 'arp'].map((f) => `table ${f} t {\n\tchain c {\n\t\tmeta nfproto ipv4 counter\n\t\tmeta nfproto . ip saddr { ipv4 . 1.2.3.4 }\n\t}\n}\n`).join('')],
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
  ['a single-quoted string hides nothing after it', inRule("tcp dport 22 foo accept\n\t\tiifname 'eth0' accept\n\t\tip saddr 1.2.3.4 bar drop\n\t\tmeta mark 0x1 baz")],
  ['characters nft has no token for, where names are expected', "kernel's t c accept\nfoo `bar` accept\nip t c tcp dport 22 ~ accept\nadd rule ip t c tcp dport 22 ~ accept\n"],
  ['a line starting with a table\'s name is a rule to add', 'npm install && npm start\nnpm test   # comment\nnosuch c ip saddr 1.2.3.4\nwords a stateful packet filter that speaks the language. It\ninet t c tcp dport 22 accept\nip t c accept\n'],
  ['a prose file: ten syntax errors, then what evaluation finds', readFileSync(new URL('../../README.md', import.meta.url), 'utf8')],
  ['a chain\'s flags other than offload', inRule('flags tcp accept\n\t\tflags')],
  ['a protocol without one of its fields', inRule(['tcp . psh,fin / psh,rst drop', 'meta mark 0x1 icmp != 189', 'ip != dscp { ef }', 'ip . ip daddr { 1.2.3.4 . 5.6.7.8 }'].join('\n\t\t'))],
  ['conntrack without one of its keys', inRule(['ct state related ct foo dying accept', 'ct zone 1 ct ct helper "ftp"', 'ct expected ct state related'].join('\n\t\t'))],
  ['the variable nft suggests for one not defined', 'define ports = { 22, 80 }\ndefine ab = 1\ndefine abc = 2\ndefine abd = 3\n' + inRule(['tcp dport $port accept', 'meta mark $abx accept', 'meta mark $a accept', 'meta mark $abcde accept', 'ip saddr $zzz accept'].join('\n\t\t'))],
  ['dynamic set timeout on a set without timeouts', inRule('add @nowhere { ip saddr timeout 5s }').replace('table inet t {', 'table inet t {\n\tset nowhere { type ipv4_addr; }')],
];

function nftError(dir: string, text: string): string {
  const path = join(dir, 'bad.nft');
  writeFileSync(path, text);
  const r = spawnSync('unshare', ['-rn', 'nft', '-c', '-f', path], { encoding: 'utf8', cwd: dir });
  expect(r.status).not.toBe(0);
  // Every error nft reports, as it goes on after each.
  return r.stderr.replaceAll(path, 'bad.nft').trimEnd();
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
