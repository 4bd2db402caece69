// The CLI's capture input and output: every format in and out, standard
// input and output, the per-packet JSON, events and trace lines, --help.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, EXAMPLE_CAPTURE, EXAMPLE_RULESET, ensureBuilt, nftwasm } from './cli-run.js';
import { encodePcap, encodePcapng, packets } from './captures.js';
import { hasTool, run } from './harness.js';

const workDir = mkdtempSync(join(tmpdir(), 'nftwasm-cli-'));
const at = (name: string) => join(workDir, name);
const base = ['-f', EXAMPLE_RULESET, '--local', '10.99.0.2'];
beforeAll(ensureBuilt, 120_000);
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

function jsonLines(out: Buffer): Array<Record<string, any>> {
  return out.toString().trim().split('\n').map((l) => JSON.parse(l));
}

// The packets of a capture, as the walker reads them back.
async function packetsOf(file: string) {
  const { rows, error } = await run(readFileSync(file));
  expect(error).toBeNull();
  return rows.map((r) => [r.timeNs, r.data, r.originalLength]);
}

describe('nftwasm filter: capture output', () => {
  it('writes accepted and dropped packets that together are the input, in pcap and pcapng', async () => {
    const r = nftwasm(['filter', ...base, '-r', EXAMPLE_CAPTURE, '-w', at('acc.pcapng'), '--dropped', at('drop.pcap'), '-q']);
    expect(r.status).toBe(0);
    expect(readFileSync(at('acc.pcapng')).readUInt32LE(0)).toBe(0x0a0d0d0a);
    expect(readFileSync(at('drop.pcap')).readUInt32LE(0)).toBe(0xa1b23c4d);
    const input = await packetsOf(EXAMPLE_CAPTURE);
    const accepted = await packetsOf(at('acc.pcapng'));
    const dropped = await packetsOf(at('drop.pcap'));
    expect(accepted.length).toBe(50);
    expect(dropped.length).toBe(3);
    const byTime = (a: any[], b: any[]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
    expect([...accepted, ...dropped].sort(byTime)).toEqual(input);
  });

  it('--format overrides the extension', () => {
    const r = nftwasm(['filter', ...base, '-r', EXAMPLE_CAPTURE, '-w', at('forced.pcap'), '-F', 'pcapng', '-q']);
    expect(r.status).toBe(0);
    expect(readFileSync(at('forced.pcap')).readUInt32LE(0)).toBe(0x0a0d0d0a);
  });

  it.skipIf(!hasTool('tcpdump'))('writes files tcpdump reads, with the same packets', () => {
    nftwasm(['filter', ...base, '-r', EXAMPLE_CAPTURE, '-w', at('all.pcap'), '-q']);
    nftwasm(['filter', ...base, '-r', EXAMPLE_CAPTURE, '-w', at('all.pcapng'), '-q']);
    const dump = (f: string) => execFileSync('tcpdump', ['-r', f, '-nn', '-tt', '--nano'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
    const original = dump(EXAMPLE_CAPTURE).split('\n');
    const written = dump(at('all.pcap')).split('\n');
    expect(dump(at('all.pcapng'))).toBe(dump(at('all.pcap')));
    // Every accepted packet of the input, byte for byte as tcpdump decodes it.
    expect(written.length).toBe(51);
    for (const line of written) expect(original).toContain(line);
  });

  it('reads standard input and writes standard output', async () => {
    const r = nftwasm(['filter', ...base, '-r', '-', '-w', '-', '-F', 'pcapng', '-q'], readFileSync(EXAMPLE_CAPTURE));
    expect(r.status).toBe(0);
    writeFileSync(at('stdout.pcapng'), r.stdout);
    expect((await packetsOf(at('stdout.pcapng'))).length).toBe(50);
  });

  it('gives pcapng an interface per link type and refuses to mix them in pcap', async () => {
    const eth = packets('ethernet', 2);
    const sll = packets('sll', 2, 1_700_000_000_500_000_000n);
    const mixed = encodePcapng([
      { type: 'section' },
      { type: 'interface', linktype: 1, tsresol: 9 },
      { type: 'interface', linktype: 113, tsresol: 9 },
      ...eth.map((packet) => ({ type: 'epb' as const, packet, unitNs: 1n })),
      ...sll.map((packet) => ({ type: 'epb' as const, packet: { ...packet, interfaceId: 1 }, unitNs: 1n })),
    ]);
    writeFileSync(at('mixed.pcapng'), mixed);
    const ok = nftwasm(['filter', ...base, '-r', at('mixed.pcapng'), '-w', at('mixed-out.pcapng'), '-q']);
    expect(ok.status).toBe(0);
    const { rows } = await run(readFileSync(at('mixed-out.pcapng')));
    expect(rows.map((r) => r.linkType)).toEqual([1, 1, 113, 113]);
    const bad = nftwasm(['filter', ...base, '-r', at('mixed.pcapng'), '-w', at('mixed-out.pcap'), '-q']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/mixed-out\.pcap: packet 3 has link type 113.*pcapng/);
    // The packets before the mix are written and the file is whole.
    expect((await run(readFileSync(at('mixed-out.pcap')))).rows.length).toBe(2);
  });

  it('round-trips microsecond and big-endian input into nanosecond output', async () => {
    const list = packets('raw', 5);
    writeFileSync(at('be.pcap'), encodePcap(list, { linktype: 101, bigEndian: true }));
    expect(nftwasm(['filter', ...base, '-r', at('be.pcap'), '-w', at('be-out.pcap'), '-q']).status).toBe(0);
    expect(await packetsOf(at('be-out.pcap'))).toEqual(await packetsOf(at('be.pcap')));
  });
});

describe('nftwasm filter: per-packet output', () => {
  it('--json: a line per packet with verdict, deciding rule, chain, table and conntrack', () => {
    const r = nftwasm(['filter', ...base, '-r', EXAMPLE_CAPTURE, '--json', '-q']);
    expect(r.status).toBe(0);
    const lines = jsonLines(r.stdout);
    expect(lines.length).toBe(53);
    expect(lines.map((l) => l.packet)).toEqual(Array.from({ length: 53 }, (_, i) => i + 1));
    expect(lines[2]).toMatchObject({
      type: 'packet', packet: 3, verdict: 'accept',
      decided: { family: 'inet', table: 'filter', chain: 'input', handle: 5 },
      ct: { state: 'new', direction: 'original', id: 1 },
    });
    expect(lines[3]).toMatchObject({ verdict: 'accept', ct: { state: 'established', direction: 'reply', id: 1 } });
    const ssh = lines.filter((l) => l.verdict === 'drop');
    expect(ssh.length).toBe(3);
    expect(ssh.some((l) => l.decided?.handle === 8)).toBe(true);
    expect(lines[0].time).toMatch(/^\d+\.\d{9}$/);
  });

  it('--events: conntrack -E lines in packet order, NEW then UPDATEs', () => {
    const r = nftwasm(['filter', ...base, '-r', EXAMPLE_CAPTURE, '--events', '-q']);
    expect(r.status).toBe(0);
    const lines = r.stdout.toString().trim().split('\n');
    expect(lines[0]).toMatch(/^\[\d+\.\d{6}\]\t {4}\[NEW\] ipv4 {5}2 tcp {6}6 120 SYN_SENT src=10\.99\.0\.1 dst=10\.99\.0\.2 sport=36594 dport=8000 \[UNREPLIED\] src=10\.99\.0\.2 .* mark=0 id=1$/);
    expect(lines[1]).toMatch(/\[UPDATE\] .* 60 SYN_RECV /);
    expect(lines.filter((l) => l.includes('[NEW]')).length).toBe(7);
  });

  it('--json --events: events as JSON objects after the packet that caused them', () => {
    const lines = jsonLines(nftwasm(['filter', ...base, '-r', EXAMPLE_CAPTURE, '--json', '--events', '-q']).stdout);
    const i = lines.findIndex((l) => l.type === 'ct-event');
    expect(lines[i - 1]).toMatchObject({ type: 'packet', packet: 3 });
    expect(lines[i]).toMatchObject({ type: 'ct-event', event: 'new', packet: 3, id: 1, state: 'SYN_SENT', original: { sport: 36594, dport: 8000 } });
  });

  it('--trace N: nft monitor trace lines for the chosen packets only', () => {
    const r = nftwasm(['filter', ...base, '-r', EXAMPLE_CAPTURE, '--trace', '3,4', '-q']);
    expect(r.status).toBe(0);
    expect(r.stdout.toString()).toBe([
      'trace id 00000003 inet filter input packet: ether saddr be:e8:fc:1c:d5:ac ether daddr 16:d1:9e:a1:f6:33 ip saddr 10.99.0.1 ip daddr 10.99.0.2 ip dscp cs0 ip ecn not-ect ip ttl 64 ip id 4645 ip protocol tcp ip length 60 tcp sport 36594 tcp dport 8000 tcp flags == syn tcp window 64240 ',
      'trace id 00000003 inet filter input rule tcp dport 8000 ct state new counter packets 0 bytes 0 accept (verdict accept)',
      'trace id 00000004 inet filter output packet: ip saddr 10.99.0.2 ip daddr 10.99.0.1 ip dscp cs0 ip ecn not-ect ip ttl 64 ip id 0 ip protocol tcp ip length 60 tcp sport 8000 tcp dport 36594 tcp flags == 0x12 tcp window 65160 ',
      'trace id 00000004 inet filter output rule ct direction reply counter packets 0 bytes 0 (verdict continue)',
      'trace id 00000004 inet filter output policy accept ',
      '',
    ].join('\n'));
  });

  it('--trace-filter: traces exactly the packets the expression matches, and keeps them out of the listing', () => {
    const r = nftwasm(['filter', ...base, '-r', EXAMPLE_CAPTURE, '--trace-filter', 'tcp dport 22', '--list', '-q']);
    expect(r.status).toBe(0);
    const out = r.stdout.toString();
    const traced = out.split('\n').filter((l) => l.startsWith('trace id'));
    expect(traced.filter((l) => l.includes(' packet: ')).length).toBe(2);
    expect(traced.every((l) => l.includes('tcp dport 22'))).toBe(true);
    expect(out).toContain('tcp dport 22 counter packets 2 bytes 120 drop');
    expect(out).not.toContain('nftwasm_trace');
  });

  it('--trace-filter with a bad expression is a usage error', () => {
    const r = nftwasm(['filter', ...base, '-r', EXAMPLE_CAPTURE, '--trace-filter', 'tcp dpot 22']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^nftwasm: --trace-filter: Error: syntax error, unexpected string\ntcp dpot 22\n    \^{4}\n$/);
  });
});

describe('a reader that goes away', () => {
  it('ends the run with the summary alone, on standard error, and exit 0, as `| head` expects', async () => {
    // The example many times over, so that output is still flowing when the
    // reader closes its end.
    const example = readFileSync(EXAMPLE_CAPTURE);
    const records = example.subarray(24);
    writeFileSync(at('long.pcap'), Buffer.concat([example.subarray(0, 24), ...Array.from({ length: 400 }, () => records)]));
    const child = spawn(process.execPath, [BIN, 'filter', ...base, '-r', at('long.pcap'), '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c));
    child.stdout.once('data', () => child.stdout.destroy());
    const status = await new Promise((resolve) => child.on('close', resolve));
    expect(stderr).toMatch(/^nftwasm: \d+ packets \(the reader of standard output went away\), \d+ accepted, \d+ dropped, \d+ conntrack entries; [\d.]+ s, \d+ packets\/s\n/);
    expect(status).toBe(0);
  });
});

describe('nftwasm capture without libpcap', () => {
  it('says what to install and exits 1', () => {
    // Loaded before nftwasm, it makes `cap` unresolvable, as on a machine
    // where it was never built.
    const preload = at('no-cap.cjs');
    writeFileSync(preload, `const Module = require('module');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === 'cap') throw Object.assign(new Error("Cannot find module 'cap'"), { code: 'MODULE_NOT_FOUND' });
  return resolve.call(this, request, ...rest);
};
`);
    const r = spawnSync(process.execPath, ['-r', preload, BIN, 'capture', '-i', 'eth0', '-f', EXAMPLE_RULESET]);
    expect(r.status).toBe(1);
    expect(r.stderr.toString()).toContain('apt-get install libpcap-dev');
    expect(r.stderr.toString()).toContain('npm rebuild cap');
  });
});

describe('help and usage', () => {
  for (const cmd of [[], ['compile'], ['list'], ['filter'], ['capture']]) {
    it(`nftwasm ${cmd.join(' ')} --help`, () => {
      const r = nftwasm([...cmd, '--help']);
      expect(r.status).toBe(0);
      expect(r.stdout.toString()).toMatch(/^Usage: nftwasm/);
      expect(r.stdout.toString()).toContain('Exit codes: 0 success, 1 input error');
    });
  }

  it('usage errors exit 2', () => {
    expect(nftwasm(['filter', '-f', EXAMPLE_RULESET]).status).toBe(2);
    expect(nftwasm(['frobnicate']).status).toBe(2);
    expect(nftwasm(['filter', ...base, '-r', EXAMPLE_CAPTURE, '--trace', '0']).status).toBe(2);
    expect(nftwasm(['filter', ...base, '-r', EXAMPLE_CAPTURE, '-F', 'erf']).status).toBe(2);
    const both = nftwasm(['filter', ...base, '-r', EXAMPLE_CAPTURE, '-w', '-', '--json']);
    expect(both.status).toBe(2);
    expect(both.stderr).toBe('nftwasm: -w - and --json conflict: both write to standard output; give -w a file name, or leave out --json\n');
  });
});
