// dup, fwd, tproxy, synproxy, flow offload and flowtables: bytecode, listing
// and errors as live nft and the kernel give them; the data plane refuses
// the statements by name until it runs them.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/index.js';
import { createFilter } from '../../src/index.js';
import { EXAMPLE_CAPTURE, nftwasm } from '../host/cli-run.js';
import { expectSameAsNft, liveNftReason, nftLoadText, ourDebugText } from './live-nft.js';

const chain = (name: string, hook: string, rules: string[], device = '') =>
  `\tchain ${name} {\n\t\ttype filter hook ${hook}${device} priority 0; policy accept;\n${rules.map((r) => `\t\t${r}\n`).join('')}\t}\n`;
const table = (family: string, chains: string[], name = 't') => `table ${family} ${name} {\n${chains.join('\n')}}\n`;

const RULESET = 'define ADDR = 10.0.0.7\n'
  + table('ip', [
    chain('pre', 'prerouting', [
      'dup to 192.168.2.1',
      'dup to $ADDR device "lo" counter',
      'dup to ip saddr map { 192.168.2.120 : 192.168.2.1, 10.0.0.1 : 10.0.0.2 } device "lo"',
      'meta l4proto tcp tproxy to 192.0.2.1:50080',
      'ip protocol udp tproxy ip to :53',
      'tcp dport 80 tproxy to 192.0.2.1',
      'meta l4proto tcp tproxy to ip daddr map { 10.0.0.1 : 10.0.0.2 }',
    ]),
    chain('in', 'input', ['synproxy', 'tcp dport 22 synproxy mss 1460 wscale 7 timestamp sack-perm', 'synproxy wscale 3', 'synproxy mss 1000 sack-perm']),
  ])
  + table('ip6', [
    chain('pre', 'prerouting', [
      'dup to abcd::1 device "lo"',
      'dup to ip6 saddr map { abcd::1 : cafe::cafe }',
      'meta l4proto tcp tproxy to [2001:db8::1]:50080',
      'meta l4proto udp tproxy to 2001:db8::2',
    ]),
    chain('fw', 'forward', ['synproxy timestamp']),
  ])
  + table('inet', [
    chain('pre', 'prerouting', [
      'meta l4proto udp tproxy ip to 192.0.2.1',
      'meta l4proto udp tproxy ip6 to [2001:db8::1]:50080',
      'meta l4proto tcp tproxy to :50080',
      'ip daddr 0.0.0.0/0 meta l4proto 6 tproxy ip to :2000',
    ]),
    chain('in', 'input', ['tcp flags syn synproxy mss 1460']),
  ])
  + table('netdev', [
    chain('in', 'ingress', [
      'dup to "lo"',
      'meta mark 1 fwd to "lo"',
      'meta mark 2 fwd ip to 192.168.2.200 device "lo"',
      'meta mark 3 fwd ip6 to abcd::1 device "lo"',
      'fwd to meta mark map { 0x00000001 : "lo", 0x00000002 : "lo" }',
    ], ' device "lo"'),
    chain('out', 'egress', ['dup to "lo"', 'fwd to "lo"'], ' device "lo"'),
  ], 'n');

const SYNPROXY_OBJECTS = `table inet t {
	synproxy synproxy1 { mss 1460 wscale 7 }
	synproxy synproxy2 {
		mss 1460
		wscale 7
		timestamp sack-perm
	}
	synproxy s3 { mss 100; wscale 0; timestamp; }
	chain c {
		type filter hook input priority 0;
		synproxy name tcp dport map {443 : "synproxy1", 80 : "synproxy2"}
		tcp dport 22 synproxy name "s3"
	}
}
`;

// Each against the chain of the family and hook given, as a real load
// answers (nft -c leaves the hooks to the kernel's commit).
const ERRORS: [string, string, string][] = [
  ['dup to 10.0.0.1', 'inet', 'input'],
  ['dup to 10.0.0.1', 'bridge', 'input'],
  ['dup to fe80::1', 'ip', 'input'],
  ['fwd to "lo"', 'ip', 'input'],
  ['tproxy to 192.0.2.1', 'ip', 'prerouting'],
  ['meta l4proto tcp tproxy to 192.0.2.1', 'ip', 'input'],
  ['meta l4proto tcp tproxy to 192.0.2.1', 'inet', 'prerouting'],
  ['ip protocol tcp tproxy ip6 to [2001:db8::1]', 'inet', 'prerouting'],
  ['ip6 nexthdr tcp tproxy ip to 192.0.2.1', 'inet', 'prerouting'],
  ['meta l4proto tcp tproxy to 192.0.2.1-192.0.2.5', 'ip', 'prerouting'],
  ['meta l4proto tcp tproxy to :80-90', 'ip', 'prerouting'],
  ['synproxy', 'ip', 'prerouting'],
  ['synproxy mss', 'ip', 'input'],
  ['fwd to "lo" counter', 'netdev', 'ingress'],
  ['synproxy name "nope"', 'ip', 'input'],
];

function errorCase(rule: string, family: string, hook: string): string {
  return table(family, [chain('c', hook, [rule], family === 'netdev' ? ' device "lo"' : '')]);
}

const FLOWTABLES = table('inet', [
  '\tflowtable f1 {\n\t\thook ingress priority filter + 5\n\t\tdevices = { lo, "dummy0" }\n\t\tcounter\n\t}\n',
  '\tflowtable f2 {\n\t\thook ingress priority -10; devices = { lo };\n\t}\n',
  chain('fw', 'forward', ['meta l4proto { tcp, udp } flow add @f1', 'ip protocol tcp flow offload @f2 counter']),
]);

// This kernel may have no flowtables (CONFIG_NF_FLOW_TABLE): nft then
// prints the bytecode it sends and the kernel's refusal after it.
function nftFlowtableDebug(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'nftwasm-'));
  const path = join(dir, 'rules.nft');
  writeFileSync(path, text);
  return spawnSync('unshare', ['-rn', 'nft', '-c', '--debug=netlink', '-f', path], { encoding: 'utf8' }).stdout;
}

describe('dup, fwd, tproxy, synproxy and flowtables', () => {
  it('list flowtables as nft prints them (devices sorted) and flow offload as flow add', () => {
    expect(compile(FLOWTABLES).toListing({ handles: true })).toBe([
      'table inet t { # handle 1',
      '\tflowtable f1 { # handle 2',
      '\t\thook ingress priority filter + 5',
      '\t\tdevices = { dummy0, lo }',
      '\t\tcounter',
      '\t}',
      '',
      '\tflowtable f2 { # handle 3',
      '\t\thook ingress priority filter - 10',
      '\t\tdevices = { lo }',
      '\t}',
      '',
      '\tchain fw { # handle 1',
      '\t\ttype filter hook forward priority filter; policy accept;',
      '\t\tmeta l4proto { tcp, udp } flow add @f1 # handle 5',
      '\t\tip protocol tcp flow add @f2 counter packets 0 bytes 0 # handle 6',
      '\t}',
      '}',
      '',
    ].join('\n'));
  });

  it('refuse a flowtable the table lacks, flow offload outside forward and a bad flowtable hook as nft and the kernel do', () => {
    const missing = ourDebugText(table('ip', [chain('fw', 'forward', ['flow add @nope'])]));
    expect(missing).toEqual({ ok: false, out: 'rules.nft:4:3-16: Error: Could not process rule: No such file or directory\n\t\tflow add @nope\n\t\t^^^^^^^^^^^^^^' });
    const input = ourDebugText(table('ip', ['\tflowtable f { hook ingress priority 0; }\n', chain('c', 'input', ['flow add @f'])]));
    expect(input.out).toContain('Error: Could not process rule: Operation not supported');
    const hook = ourDebugText(table('ip', ['\tflowtable f { hook forward priority 0; }\n']));
    expect(hook.out).toContain('Error: invalid hook forward');
  });

  // The command line is rebuilt first when the sources are newer.
  it('the data plane refuses each statement by name and place; compile and list take them', { timeout: 180_000 }, async () => {
    const ruleset = compile(RULESET, { filename: 'fwd.nft' });
    await expect(createFilter(ruleset)).rejects.toThrow(/^fwd\.nft:16:3-10: Error: synproxy is not supported by the nftwasm data plane yet/);
    const netdevDup = compile(table('netdev', [chain('in', 'ingress', ['dup to "lo"'], ' device "lo"')]), { filename: 'nd.nft' });
    await expect(createFilter(netdevDup)).rejects.toThrow(/^nd\.nft:4:3-13: Error: dup is not supported by the nftwasm data plane yet/);
    await expect(createFilter(compile(SYNPROXY_OBJECTS, { filename: 'sp.nft' }))).rejects.toThrow(/^sp\.nft:11:3-67: Error: synproxy is not supported by the nftwasm data plane yet/);
    const flow = compile(FLOWTABLES, { filename: 'ft.nft' });
    await expect(createFilter(flow)).rejects.toThrow(/^ft\.nft:14:29-40: Error: flow add is not supported by the nftwasm data plane yet/);
    const dir = mkdtempSync(join(tmpdir(), 'nftwasm-'));
    const path = join(dir, 'synproxy.nft');
    writeFileSync(path, table('ip', [chain('in', 'input', ['tcp dport 80 synproxy mss 1460'])]));
    const r = nftwasm(['filter', '-f', path, '-r', EXAMPLE_CAPTURE]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`${path}:4:16-32: Error: synproxy is not supported by the nftwasm data plane yet\n\t\ttcp dport 80 synproxy mss 1460\n\t\t             ^^^^^^^^^^^^^^^^^\n`);
    expect(nftwasm(['compile', '-f', path]).status).toBe(0);
    expect(nftwasm(['list', '-f', path]).status).toBe(0);
  });
});

describe.skipIf(liveNftReason())('dup, fwd, tproxy, synproxy and flowtables against live nft', () => {
  it('every form compiles to the same bytecode and lists the same once loaded', () => {
    expectSameAsNft(RULESET);
    expectSameAsNft(RULESET, ['-a']);
    expectSameAsNft(SYNPROXY_OBJECTS, ['-a']);
  });

  it.each(['synproxy a { mss 1460 }', 'synproxy a { wscale 2 mss 1460 }'])('%s: the same error', (object) => {
    const source = `table ip t {\n\t${object}\n}\n`;
    expect(ourDebugText(source).out).toBe(nftLoadText(source).out);
  });

  it.each(ERRORS)('%s (%s %s): the same error', (rule, family, hook) => {
    const source = errorCase(rule, family, hook);
    const ours = ourDebugText(source);
    expect(ours.ok).toBe(false);
    expect(ours.out).toBe(nftLoadText(source).out);
  });

  it('flowtables and flow offload compile to the bytecode nft sends', () => {
    expect(ourDebugText(FLOWTABLES).out).toBe(nftFlowtableDebug(FLOWTABLES));
  });
});
