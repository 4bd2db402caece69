// snat, dnat, masquerade and redirect in nat chains of ip, ip6 and inet
// tables: bytecode, listing and errors as live nft gives them, the hooks the
// kernel takes each in as a real load answers, and the forms nftwasm does
// not take yet (the data plane above all) refused by name.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/index.js';
import { createFilter, parseInterfaces } from '../../src/index.js';
import { EXAMPLE_CAPTURE, nftwasm } from '../host/cli-run.js';
import { liveNftReason, nftDebugText, nftListingText, nftLoadText, ourDebugText } from './live-nft.js';

const chain = (name: string, hook: string, rules: string[], type = 'nat') =>
  `\tchain ${name} {\n\t\ttype ${type} hook ${hook} priority 0; policy accept;\n${rules.map((r) => `\t\t${r}\n`).join('')}\t}\n`;
const table = (family: string, chains: string[]) => `table ${family} t {\n${chains.join('\n')}}\n`;

// Rules for a postrouting and a prerouting chain, per family.
const FORMS: Record<string, { post: string[]; pre: string[] }> = {
  ip: {
    post: [
      'oifname "eth0" masquerade',
      'masquerade random,persistent',
      'masquerade fully-random',
      'tcp dport 80 masquerade to :1024',
      'tcp dport 80 masquerade to :1024-2048 random,fully-random,persistent',
      'snat to 10.0.0.1',
      'snat to 10.0.0.1 random persistent',
      'snat to 10.0.0.1 random,persistent fully-random',
      'snat ip to 10.0.0.1-10.0.0.5',
      'snat to 10.0.0.0-10.0.0.255',
      'snat to 10.0.0.0/24',
      'snat to 1.1.1.1/32',
      'snat to 0.0.0.0/0',
      'tcp dport 22 snat to 10.0.0.1:1024-2048 fully-random',
      'meta l4proto { tcp, udp } snat to 10.0.0.1:53',
      'meta l4proto 17 snat ip to ip saddr map { 10.141.11.4 : 192.168.2.3 . 80 }',
      'meta l4proto tcp snat ip addr . port to ip saddr map { 10.141.11.4 : 192.168.2.3 . 80 }',
      'snat ip to ip saddr map { 10.141.11.4 : 192.168.2.2-192.168.2.4 }',
      'snat ip to ip saddr map { 10.141.12.14 : 192.168.2.0/24 }',
      'snat ip to ip saddr map { 10.141.12.0/24 : 192.168.2.0/24 }',
      'snat ip prefix to ip saddr map { 10.141.11.0/24 : 192.168.2.0/24 }',
      'snat ip prefix to 10.0.0.0/24',
      'snat ip saddr map { 192.168.1.1 : 1.1.1.1, 192.168.2.2 : 2.2.2.2 }',
      'snat prefix to 10.0.0.1-10.0.0.5',
      'meta l4proto { 6, 17} snat ip to ip saddr . th dport map { 10.141.11.4 . 20 : 192.168.2.3 . 80}',
      'ip protocol { tcp, udp } snat to 10.0.0.1:53',
      'udp dport 53 snat to :5353',
    ],
    pre: [
      'tcp dport 8080 dnat to 192.168.1.2:80',
      'udp dport 53 dnat to 192.168.1.2',
      'tcp dport 8080 redirect to :80',
      'redirect',
      'tcp dport 22 redirect to 2222',
      'tcp dport 1-10 redirect to :1-10 random',
      'meta l4proto tcp redirect to :http persistent',
      'dnat to ip saddr map { 10.0.0.1 : 192.168.1.1, 10.0.0.2 : 192.168.1.2 }',
      'dnat to ct mark . ip daddr map { 0x00000014 . 1.1.1.1 : 1.2.3.4 }',
      'ip protocol tcp dnat to ip saddr map { 10.0.0.1 : 192.168.1.1 } random',
      'ip protocol 6 redirect to :tcp dport map { 22 : 8000, 80 : 8080 }',
      'meta l4proto tcp dnat to :tcp dport map { 22 : 8000 } random',
      'meta l4proto tcp dnat to 1.1.1.1:tcp dport map { 22 : 8000 }',
      'dnat to ip daddr . tcp dport map { 10.0.0.1 . 80 : 192.168.1.1 . 8080, 10.0.0.2 . 443 : 192.168.1.2 . 8443 }',
      'dnat ip to ip saddr . tcp dport map { 192.168.1.2 . 80 : 10.141.10.0/24  . 8888 - 8999 }',
      'dnat ip to ip saddr . tcp dport map { 192.168.1.2 . 80 : 10.141.10.0/24  . 80 }',
      'dnat ip to ip saddr . tcp dport map { 192.168.1.2 . 80 : 10.141.10.2 . 8888 - 8999 }',
      'ip daddr 192.168.0.1 dnat ip to tcp dport map { 443 : 10.141.10.4 . 8443, 80 : 10.141.10.4 . 8080 }',
      'dnat prefix to 10.0.0.0/24',
      'tcp dport 80 dnat to $A:$P',
      'dnat tcp dport map { 1000 : 1.1.1.1, 2000 : 2.2.2.2 } : tcp dport map { 1000 : 1234, 2000 : 2345 }',
      'dnat 10.0.0.1',
      'tcp dport 81 dnat to $A:$R',
      'tcp dport 83 redirect to $P',
    ],
  },
  ip6: {
    post: [
      'masquerade',
      'meta l4proto tcp masquerade to :10-20',
      'snat to 2001:db8::1',
      'snat ip6 to 2001:db8::1-2001:db8::5',
      'tcp dport 80-90 snat to [2001:838:35f:1::]-[2001:838:35f:2::]:80-100',
      'snat to [2001:838:35f:1::]/64',
    ],
    pre: [
      'tcp dport 80 dnat to [2001:db8::2]:8080',
      'dnat to 2001:838:35f:1::-2001:838:35f:1:ffff:ffff:ffff:ffff',
      'meta l4proto tcp dnat ip6 to ip6 daddr map { ::1 : ::2 . 8080 }',
      'dnat ip6 to ip6 daddr map { ::1 : 2001:db8::/64 }',
      'tcp dport 80 redirect to :8080',
    ],
  },
  inet: {
    post: [
      'tcp dport 80 masquerade to :1024-2048 random,fully-random,persistent',
      'snat ip to 10.0.0.0-10.0.0.255',
      'snat ip6 to fe80::1-fe80::5',
      'meta l4proto tcp snat ip6 to [fe80::1]:80-90',
      'ip saddr 1.1.1.1 snat to 10.0.0.1',
      'meta nfproto ipv6 snat to ::1',
    ],
    pre: [
      'meta l4proto tcp dnat to :80',
      'tcp dport 1-10 redirect to :1-10',
      'ip6 daddr ::1 dnat to ::2',
      'tcp dport 8080 dnat ip to 10.0.0.1:80',
      'dnat ip to ip saddr map { 10.0.0.1 : 192.168.1.1 }',
      'dnat ip6 to ip6 saddr map { ::1 : ::2 }',
      'dnat ip6 prefix to ip6 daddr map { 2001:db8::/64 : 2001:db8:1::/64 }',
      'meta l4proto tcp dnat ip to ip daddr map { 10.0.0.1 : 10.0.0.2 . 8080 }',
    ],
  },
};

const DEFINES = 'define A = 10.0.0.9\ndefine P = 8080\ndefine R = 10-20\n';
// A host with one Ethernet device, as `ip -j addr` prints it.
const ETH0 = JSON.stringify([{ ifindex: 2, ifname: 'eth0', link_type: 'ether', addr_info: [{ family: 'inet', local: '192.0.2.1', prefixlen: 24 }] }]);

const rulesetOf = (family: string) => DEFINES + table(family, [chain('post', 'postrouting', FORMS[family]!.post), chain('pre', 'prerouting', FORMS[family]!.pre)]);

// Each against a postrouting nat chain of an ip table (or the family's
// table and hook given).
const ERRORS: [string, string?, string?][] = [
  ['snat to 10.0.0.1:80'],
  ['masquerade to :80'],
  ['redirect to :80-70', 'ip', 'prerouting'],
  ['snat to 10.0.0.5-10.0.0.1'],
  ['tcp dport 1 snat to 10.0.0.1:90-80'],
  ['snat to fe80::1'],
  ['snat ip6 to 10.0.0.1'],
  ['snat ip to 2001:db8::1', 'ip6'],
  ['snat to 10.0.0.1 accept'],
  ['masquerade counter'],
  ['snat'],
  ['masquerade to 80'],
  ['snat to 10.0.0.1 random,'],
  ['masquerade random persistent'],
  ['redirect random persistent', 'ip', 'prerouting'],
  ['snat to 1.1.1.1/33'],
  ['snat ip to :53', 'inet'],
  ['snat to 10.0.0.1', 'inet'],
  ['meta l4proto { tcp, udp } snat ip to :53', 'inet'],
  ['redirect to :tcp dport map { 22 : 8000 }', 'ip', 'prerouting'],
  ['snat to 1.1.1.1', 'bridge', 'prerouting'],
  ['meta l4proto tcp snat to 10.0.0.0/24:80'],
  ['meta l4proto tcp snat ip to 10.0.0.1 . 80'],
  ['snat ip addr . port to ip saddr map { 10.141.11.4 : 192.168.2.3 . 80 }'],
  ['meta l4proto tcp snat ip prefix to 10.0.0.0/24:80'],
  ['dnat ip to ip daddr map { 10.0.0.1 : 192.168.1.1 . 8080 }', 'ip', 'prerouting'],
  ['meta l4proto tcp dnat ip to ip daddr map { 10.0.0.1 : 10.0.0.2 . 80, 10.0.0.3 : 10.0.0.4 }', 'ip', 'prerouting'],
];

// The hooks of a nat chain each statement is refused in by the kernel, and
// a filter chain's.
const HOOKS = ['prerouting', 'input', 'output', 'postrouting'];
const STATEMENTS = ['snat to 10.0.0.1', 'dnat to 10.0.0.1', 'masquerade', 'redirect'];

function errorCase(rule: string, family = 'ip', hook = 'postrouting'): string {
  return table(family, [chain('c', hook, [rule])]);
}

// The kernel's answer to loading a ruleset: '' when it takes it.
function kernelLoad(text: string): string {
  const r = nftLoadText(text);
  return r.ok ? '' : r.out;
}

function ourLoad(text: string): string {
  const r = ourDebugText(text);
  return r.ok ? '' : r.out;
}

describe('nat statements', () => {
  it('what nftwasm does not take yet is refused by name', () => {
    expect(ourLoad(errorCase('dnat ip to ip saddr map { 192.168.1.2 : 10.141.10.2 . 80 . 90 }', 'ip', 'prerouting'))).toContain('dnat to a map of concatenations is not supported by nftwasm');
  });

  it('without the host\'s interfaces, masquerade and redirect have no address: refused by the statement and its place', async () => {
    const ruleset = compile(rulesetOf('ip'), { filename: 'nat.nft' });
    await expect(createFilter(ruleset)).rejects.toThrow(/^nat\.nft:7:18-27: Error: masquerade takes the address of the output device: give the host's interfaces \(--interfaces, with --routes\)/);
    const redirect = compile(table('ip', [chain('pre', 'prerouting', ['tcp dport 80 redirect to :8080'])]), { filename: 'r.nft' });
    await expect(createFilter(redirect)).rejects.toThrow(/^r\.nft:4:16-23: Error: redirect takes the address of the input device/);
    const network = { devices: parseInterfaces(ETH0), routes: [] };
    await expect(createFilter(ruleset, { network })).resolves.toBeDefined();
    // snat and dnat name their addresses; a redirect on output goes to loopback.
    const named = table('ip', [chain('post', 'postrouting', ['snat to 10.0.0.1']), chain('out', 'output', ['tcp dport 80 redirect to :8080'])]);
    await expect(createFilter(compile(named))).resolves.toBeDefined();
  });

  it('filter refuses it on the command line without --interfaces, and with workers; compile and list take it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nftwasm-'));
    const path = join(dir, 'nat.nft');
    writeFileSync(path, rulesetOf('ip'));
    const r = nftwasm(['filter', '-f', path, '-r', EXAMPLE_CAPTURE]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`${path}:7:18-27: Error: masquerade takes the address of the output device: give the host's interfaces (--interfaces, with --routes)\n\t\toifname "eth0" masquerade\n\t\t               ^^^^^^^^^^\n`);
    const interfaces = join(dir, 'addr.json');
    writeFileSync(interfaces, ETH0);
    const ok = nftwasm(['filter', '-f', path, '-r', EXAMPLE_CAPTURE, '--interfaces', interfaces, '-q']);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    const workers = nftwasm(['filter', '-f', path, '-r', EXAMPLE_CAPTURE, '--interfaces', interfaces, '--workers', '2']);
    expect(workers.status).toBe(2);
    expect(workers.stderr).toContain('--workers does not combine with nat chains');
    expect(nftwasm(['compile', '-f', path]).status).toBe(0);
    expect(nftwasm(['list', '-f', path]).status).toBe(0);
  });

  it('NAT of connections a helper follows is refused by name', async () => {
    const text = `table ip t {\n\tct helper ftp-standard {\n\t\ttype "ftp" protocol tcp\n\t}\n\n\tchain post {\n\t\ttype nat hook postrouting priority 0; policy accept;\n\t\tsnat to 10.0.0.1\n\t}\n}\n`;
    await expect(createFilter(compile(text, { filename: 'h.nft' }))).rejects.toThrow(/^h\.nft:8:3-6: Error: snat of connections with a ct helper \(nf_nat_ftp, nf_nat_tftp\) is not supported by the nftwasm data plane yet/);
  });
});

// Loading NAT rules needs the kernel's nat modules as well as nft.
function kernelNatReason(): string | false {
  const live = liveNftReason();
  if (live) return live;
  const refused = kernelLoad(table('ip', [chain('c', 'postrouting', ['masquerade'])]));
  if (!refused) return false;
  const reason = `the kernel refuses a masquerade rule: ${refused.split('\n')[0]}`;
  console.log(`skipping nat against live nft: ${reason}`);
  return reason;
}

describe.skipIf(kernelNatReason())('nat statements against live nft', () => {
  it.each(Object.keys(FORMS))('%s: every form compiles to the same bytecode and lists the same', (family) => {
    const source = rulesetOf(family);
    const theirs = nftDebugText(source);
    expect(theirs.ok).toBe(true);
    expect(ourDebugText(source).out).toBe(theirs.out);
    expect(compile(source).toListing()).toBe(nftListingText(source));
  });

  it.each(ERRORS)('%s: the same error', (rule, family, hook) => {
    const source = errorCase(rule, family, hook);
    const ours = ourDebugText(source);
    expect(ours.ok).toBe(false);
    expect(ours.out).toBe(nftDebugText(source).out.trimEnd());
  });

  // A regular chain's NAT, checked against the base chains that jump to it
  // as the kernel checks it: at the jump, or at the NAT rule added to a
  // chain jumped to already, and every rule of the table after it; a chain
  // nothing jumps to is not checked.
  it.each([
    ['from a nat prerouting chain', 'table ip t {\n\tchain r {\n\t\tdnat to 10.0.0.1\n\t}\n\tchain pre {\n\t\ttype nat hook prerouting priority -100\n\t\tjump r\n\t}\n}\n'],
    ['from a nat postrouting chain', 'table ip t {\n\tchain r {\n\t\tdnat to 10.0.0.1\n\t}\n\tchain post {\n\t\ttype nat hook postrouting priority 100\n\t\tjump r\n\t\tcounter\n\t}\n}\n'],
    ['from nowhere', 'table ip t {\n\tchain r {\n\t\tmasquerade\n\t}\n}\n'],
    ['added under a filter chain', 'table ip t {\n\tchain f {\n\t\ttype filter hook prerouting priority 0\n\t\tjump r\n\t}\n\tchain r {\n\t\tcounter\n\t\tdnat to 10.0.0.1\n\t\tcounter\n\t}\n}\ntable ip u {\n\tchain c {\n\t\tcounter\n\t}\n}\n'],
    ['through a vmap and a second chain', 'table ip t {\n\tchain r2 {\n\t\tsnat to 10.0.0.1\n\t}\n\tchain r {\n\t\tgoto r2\n\t}\n\tchain pre {\n\t\ttype nat hook prerouting priority -100\n\t\ttcp dport vmap { 22 : jump r }\n\t}\n}\n'],
  ])('NAT in a regular chain %s: the kernel\'s answer', (_, source) => {
    expect(ourLoad(source)).toBe(kernelLoad(source));
  });

  it.each(STATEMENTS)('%s: taken in the hooks the kernel takes it in', (rule) => {
    for (const [type, hook] of [...HOOKS.map((h) => ['nat', h]), ['filter', 'postrouting']] as const) {
      const source = table('ip', [chain('c', hook, [rule], type)]);
      expect(ourLoad(source), `${type} ${hook}`).toBe(kernelLoad(source));
    }
  });
});
