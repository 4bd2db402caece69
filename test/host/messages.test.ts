// What the command line says when something is wrong or missing: one clear
// message naming what and where, and the exit status for it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXAMPLE_CAPTURE, EXAMPLE_RULESET, ROOT, nftwasm } from './cli-run.js';
import { encodePcap } from './captures.js';
import { liveNftReason } from '../compiler/live-nft.js';

const workDir = mkdtempSync(join(tmpdir(), 'nftwasm-messages-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const base = ['filter', '-f', EXAMPLE_RULESET, '-r', EXAMPLE_CAPTURE, '--local', '10.99.0.2'];

// nft's message for a rule given on its command line, with the carets moved
// under the expression alone.
function nftCommandLineError(expr: string): string[] {
  const prefix = 'add table inet t; add chain inet t c { type filter hook prerouting priority -350; }; add rule inet t c ';
  const r = spawnSync('unshare', ['-rn', 'nft', '-c', prefix + expr], { encoding: 'utf8' });
  const [message, line, marker] = r.stderr.split('\n');
  expect(line).toBe(prefix + expr);
  return [message!, line!.slice(prefix.length), marker!.slice(prefix.length)];
}

describe('--trace-filter errors', () => {
  const cases = ['tcp dprot 22', 'ip saddr 1.2.3.256', 'udp dport "x"', 'meta mark 0x12345678901', 'ip daddr 10.0.0.1 tcp dport ssh ct state foo'];
  for (const expr of cases) {
    it.skipIf(liveNftReason())(`'${expr}': carets in the expression, where nft puts them`, () => {
      const r = nftwasm([...base, '--trace-filter', expr]);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/^nftwasm: --trace-filter: Error: /);
      const ours = r.stderr.replace(/^nftwasm: --trace-filter: /, '').trimEnd().split('\n');
      expect(ours).toEqual(nftCommandLineError(expr));
    });
  }

  for (const expr of ['tcp dport 8000 drop', 'tcp dport 8000; add rule inet nftwasm_trace prerouting drop', 'meta mark set 1', 'tcp dport vmap { 22 : drop }']) {
    it(`refuses '${expr}': tracing selects packets, it must not change what happens to them`, () => {
      const r = nftwasm([...base, '--trace-filter', expr]);
      expect(r.status).toBe(2);
      expect(r.stderr).toBe(`nftwasm: --trace-filter '${expr}': give one expression that selects packets, without verdicts or statements that change them or their connection\n`);
    });
  }

  it('takes sets, ranges, prefixes, concatenations, ct and meta matches and counters', () => {
    const r = nftwasm([...base, '-q', '--trace-filter', 'tcp dport { 22, 80 } ip saddr . tcp sport { 10.99.0.1 . 80 } ct state new meta mark 0 ip saddr 10.0.0.0/8 tcp dport 1-100 counter']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('what is missing at the end is marked past the end', () => {
    const r = nftwasm([...base, '--trace-filter', 'tcp dport { 22']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("nftwasm: --trace-filter: Error: syntax error, unexpected end of file, expecting comma or '}'\ntcp dport { 22\n              ^\n");
  });
});

describe('--trace', () => {
  it('past the end of the capture is an error that says how many packets it has', () => {
    const r = nftwasm([...base, '--trace', '3,999', '-q']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('nftwasm: --trace 999: the capture has 53 packets\n');
    expect(r.stdout.toString()).toMatch(/^trace id 00000003 /);
  });

  it('a packet that meets no hook, or no chain, is said to', () => {
    // An ARP request: Ethernet, type 0x0806, 28 bytes of ARP.
    const arp = new Uint8Array(42).fill(0xff, 0, 6);
    arp.set([0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1], 12);
    const capture = join(workDir, 'arp.pcap');
    writeFileSync(capture, encodePcap([{ tsNs: 1_700_000_000_000_000_000n, data: arp }], { linktype: 1 }));
    const r = nftwasm(['filter', '-f', EXAMPLE_RULESET, '-r', capture, '--trace', '1', '-q']);
    expect(r.status).toBe(0);
    expect(r.stdout.toString()).toBe('nftwasm: --trace: packet 1 met no hook: it is not IP\n');
    const json = nftwasm(['filter', '-f', EXAMPLE_RULESET, '-r', capture, '--trace', '1', '--json', '-q']);
    expect(json.stdout.toString().trim().split('\n').map((l) => JSON.parse(l))[1]).toEqual({ type: 'trace', packet: 1, untraced: 'not-ip' });
    // Without --local every packet is forwarded, and the example has no forward chain.
    const forwarded = nftwasm(['filter', '-f', EXAMPLE_RULESET, '-r', EXAMPLE_CAPTURE, '--trace', '3', '-q']);
    expect(forwarded.stdout.toString()).toBe('nftwasm: --trace: packet 3 met no chain of the ruleset on its path\n');
  });
});

describe('the command itself', () => {
  it('with no arguments: usage on standard error, exit 2', () => {
    const r = nftwasm([]);
    expect(r.status).toBe(2);
    expect(r.stdout.toString()).toBe('');
    expect(r.stderr).toMatch(/^Usage: nftwasm /);
  });

  it("--version: nftwasm's version and the nft version it mirrors", () => {
    const r = nftwasm(['--version']);
    expect(r.status).toBe(0);
    const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
    expect(r.stdout.toString()).toBe(`nftwasm ${version} (the language, bytecode and messages of nftables v1.0.6)\n`);
  });

  it.skipIf(liveNftReason())('mirrors the nft of this machine', () => {
    const nft = spawnSync('nft', ['--version'], { encoding: 'utf8' }).stdout;
    const mirrored = /nftables (v[\d.]+)/.exec(nftwasm(['--version']).stdout.toString())![1];
    expect(nft).toMatch(new RegExp(`^nftables ${mirrored!.replaceAll('.', '\\.')} `));
  });

  for (const command of ['filter', 'capture', 'diff']) {
    it(`${command} --help shows no default for a repeatable option`, () => {
      const help = nftwasm([command, '--help']).stdout.toString();
      expect(help).toContain('--sysctl');
      expect(help).not.toContain('(default: [])');
    });
  }

  it('names the options that conflict over standard output', () => {
    const r = nftwasm([...base, '-w', '-', '--dropped', '-']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('nftwasm: -w - and --dropped - conflict: both write to standard output; give one of them a file name\n');
    const three = nftwasm([...base, '--dropped', '-', '--json', '--trace', '1']);
    expect(three.stderr).toBe('nftwasm: --dropped -, --json and --trace conflict: each writes to standard output; give --dropped a file name, or leave out --json and --trace\n');
  });
});

describe('--local', () => {
  const run = (...local: string[]) => nftwasm(['filter', '-f', EXAMPLE_RULESET, '-r', EXAMPLE_CAPTURE, '--list', '-q', ...local.flatMap((l) => ['--local', l])]);

  it('repeated, adds to the addresses before', () => {
    const both = run('10.99.0.1', '10.99.0.2');
    expect(both.status).toBe(0);
    expect(both.stdout.toString()).toBe(run('10.99.0.1,10.99.0.2').stdout.toString());
    expect(both.stdout.toString()).not.toBe(run('10.99.0.2').stdout.toString());
    expect(both.stdout.toString()).not.toBe(run('10.99.0.1').stdout.toString());
  });

  it('nftwasm diff takes it as filter does', () => {
    const diff = (...local: string[]) => nftwasm(['diff', EXAMPLE_RULESET, EXAMPLE_RULESET, '-r', EXAMPLE_CAPTURE, ...local.flatMap((l) => ['--local', l])]);
    expect(diff('10.99.0.1', '10.99.0.2').status).toBe(0);
    const empty = diff('');
    expect(empty.status).toBe(2);
    expect(empty.stderr).toBe('nftwasm: --local expects IPv4 or IPv6 addresses separated by commas, got ""\n');
  });

  for (const [given, message] of [
    ['', '--local expects IPv4 or IPv6 addresses separated by commas, got ""'],
    ['10.99.0.2,', '--local expects IPv4 or IPv6 addresses separated by commas, got "10.99.0.2,"'],
    ['web', '--local: "web" is not an IPv4 or IPv6 address'],
  ]) {
    it(`refuses "${given}"`, () => {
      const r = run(given!);
      expect(r.status).toBe(2);
      expect(r.stderr).toBe(`nftwasm: ${message}\n`);
    });
  }
});

describe('system errors', () => {
  it('a name too long: one sentence naming the file once, shortened', () => {
    const long = join(workDir, 'a'.repeat(5000));
    for (const args of [['-f', long, '-r', EXAMPLE_CAPTURE], ['-f', EXAMPLE_RULESET, '-r', long], ['-f', EXAMPLE_RULESET, '-r', EXAMPLE_CAPTURE, '-w', long]]) {
      const r = nftwasm(['filter', ...args]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^nftwasm: ${workDir}/a+\\.\\.\\.\\(${long.length} characters\\)\\.\\.\\.a+: File name too long\\n$`));
      expect(r.stderr.length).toBeLessThan(250);
    }
  });

  it('a full disk, as strerror says it', () => {
    const r = nftwasm(['filter', '-f', EXAMPLE_RULESET, '-r', EXAMPLE_CAPTURE, '-w', '/dev/full', '-q']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('nftwasm: /dev/full: No space left on device\n');
  });
});
