// Every kind of bad input gets one clear message naming the file and the
// place, no stack trace, a non-zero exit, and everything before the damage
// processed, written and reported.
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_CAPTURE, EXAMPLE_RULESET, ensureBuilt, nftwasm, type CliResult } from './cli-run.js';
import { encodePcap, encodePcapng, packets } from './captures.js';
import { run } from './harness.js';

const workDir = mkdtempSync(join(tmpdir(), 'nftwasm-bad-'));
const at = (name: string) => join(workDir, name);
const base = ['-f', EXAMPLE_RULESET, '--local', '10.99.0.2'];
beforeAll(ensureBuilt, 120_000);
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

function expectOneMessage(r: CliResult, status: number, message: RegExp): void {
  expect(r.status).toBe(status);
  // Besides the message, only the run's summary line may appear.
  const lines = r.stderr.split('\n').filter((l) => l !== '' && !/^nftwasm: \d+ packets/.test(l));
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(message);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

// The example with its last record cut short, as a capture killed mid-write.
const example = readFileSync(EXAMPLE_CAPTURE);
const truncatedOffset = (() => {
  let pos = 24;
  let last = 24;
  while (pos < example.length) {
    last = pos;
    pos += 16 + example.readUInt32LE(pos + 8);
  }
  return last;
})();

describe('files that cannot be read', () => {
  it('a missing capture: no output files appear', () => {
    const r = nftwasm(['filter', ...base, '-r', at('missing.pcap'), '-w', at('never.pcap')]);
    expectOneMessage(r, 1, /^nftwasm: .*missing\.pcap: No such file or directory$/);
    expect(existsSync(at('never.pcap'))).toBe(false);
  });

  it('a directory given as capture', () => {
    expectOneMessage(nftwasm(['filter', ...base, '-r', workDir]), 1, /: Is a directory$/);
  });

  it.skipIf(process.getuid?.() !== 0)('a capture the user may not read', () => {
    writeFileSync(at('secret.pcap'), example);
    chmodSync(at('secret.pcap'), 0o600);
    chmodSync(workDir, 0o755);
    const r = nftwasm(['filter', ...base, '-r', at('secret.pcap')], undefined, { uid: 65534, gid: 65534 });
    expectOneMessage(r, 1, /secret\.pcap: Permission denied$/);
  });

  it('a missing ruleset', () => {
    expectOneMessage(nftwasm(['filter', '-f', at('missing.nft'), '-r', EXAMPLE_CAPTURE]), 1, /missing\.nft: No such file or directory$/);
  });

  it('an output file in a directory that does not exist', () => {
    expectOneMessage(nftwasm(['filter', ...base, '-r', EXAMPLE_CAPTURE, '-w', at('no/such/dir.pcap')]), 1, /no\/such\/dir\.pcap: No such file or directory$/);
  });
});

describe('a ruleset error', () => {
  it('is reported as nft reports it, with line and column', () => {
    writeFileSync(at('bad.nft'), 'table inet t {\n\tchain c {\n\t\ttype filter hook input priority 0;\n\t\ttcp dport 22 acept\n\t}\n}\n');
    const r = nftwasm(['filter', '-f', at('bad.nft'), '-r', EXAMPLE_CAPTURE]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/bad\.nft:4:\d+(-\d+)?: Error: /);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('captures that are not captures or are damaged', () => {
  it('a file that is not a capture: its error alone, on one line, nothing listed', () => {
    const r = nftwasm(['filter', ...base, '-r', EXAMPLE_RULESET, '--list']);
    expectOneMessage(r, 1, /web\.nft: not a pcap or pcapng capture \(record 1, byte offset 0\)$/);
    expect(r.stderr.split('\n')).toHaveLength(2);
    expect(r.stdout.toString()).toBe('');
  });

  it('an empty file', () => {
    writeFileSync(at('empty.pcap'), new Uint8Array(0));
    expectOneMessage(nftwasm(['filter', ...base, '-r', at('empty.pcap')]), 1, /empty\.pcap: not a pcap or pcapng capture/);
  });

  it('an unsupported link type, named', () => {
    writeFileSync(at('wifi.pcap'), encodePcap(packets('ethernet', 2), { linktype: 105 }));
    expectOneMessage(nftwasm(['filter', ...base, '-r', at('wifi.pcap')]), 1, /wifi\.pcap: unsupported link type 105, LINKTYPE_IEEE802_11 \(record 1, byte offset 0\)$/);
  });

  // libpcap's own test capture linktype-reserved-field-not-zero.pcap once
  // ended in a stack trace when -w was given.
  it('reserved bits set in the link type: refused as libpcap refuses it, with -w given too', () => {
    writeFileSync(at('reserved.pcap'), encodePcap([], { linktype: 0x00300000 }));
    const r = nftwasm(['filter', ...base, '-r', at('reserved.pcap'), '-w', at('reserved-out.pcapng')]);
    expectOneMessage(r, 1, /reserved\.pcap: the reserved bits of its link type are not zero \(0x00300000\) \(record 1, byte offset 0\)$/);
  });

  // libpcap's pcap-invalid-version and pcapng-invalid-vers test captures.
  it.each([
    ['an archaic pcap', 'old.pcap', () => { const b = encodePcap(packets('ethernet', 1), { linktype: 1 }); b[4] = 1; return b; }, '1.4'],
    ['a pcap of a later minor version', 'minor.pcap', () => { const b = encodePcap(packets('ethernet', 1), { linktype: 1 }); b[6] = 5; return b; }, '2.5'],
    ['a pcapng section of version 1.1', 'minor.pcapng', () => { const b = encodePcapng([{ type: 'section' }, { type: 'interface', linktype: 1 }]); b[14] = 1; return b; }, '1.1'],
  ])('%s: refused with its version, as libpcap refuses it', (_, name, bytes, version) => {
    writeFileSync(at(name), bytes());
    expectOneMessage(nftwasm(['filter', ...base, '-r', at(name)]), 1, new RegExp(`${name.replace('.', '\\.')}: unsupported format version ${version.replace('.', '\\.')} \\(record 1, byte offset 0\\)$`));
  });

  it('the FCS bits of the link type field are not part of the link type', () => {
    const r = nftwasm(['filter', ...base, '-r', '-'], encodePcap(packets('ethernet', 2), { linktype: 0xc0000001 }));
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/^nftwasm: 2 packets/);
  });

  it('an unsupported link type on a later pcapng interface: the packets before it are processed and written', async () => {
    const list = packets('ethernet', 3);
    const bytes = encodePcapng([
      { type: 'section' },
      { type: 'interface', linktype: 1, tsresol: 9 },
      { type: 'interface', linktype: 147 },
      { type: 'epb', packet: list[0], unitNs: 1n },
      { type: 'epb', packet: list[1], unitNs: 1n },
      { type: 'epb', packet: { ...list[2], interfaceId: 1 }, unitNs: 1000n },
    ]);
    writeFileSync(at('user.pcapng'), bytes);
    const r = nftwasm(['filter', '-f', EXAMPLE_RULESET, '-r', at('user.pcapng'), '-w', at('user-out.pcapng')]);
    const offset = bytes.length - (32 + ((list[2].data.length + 3) & ~3));
    expectOneMessage(r, 1, new RegExp(`user\\.pcapng: unsupported link type 147, LINKTYPE_USER0 \\(record 3, byte offset ${offset}\\)$`));
    expect(r.stderr).toContain('nftwasm: 2 packets');
    expect((await run(readFileSync(at('user-out.pcapng')))).rows.length).toBe(2);
  });

  it('a capture that ends in the middle of a record: every packet before is written, counted and listed', async () => {
    writeFileSync(at('cut.pcap'), example.subarray(0, example.length - 10));
    const r = nftwasm(['filter', ...base, '-r', at('cut.pcap'), '-w', at('cut-acc.pcap'), '--dropped', at('cut-drop.pcap'), '--list', '--conntrack']);
    expectOneMessage(r, 1, new RegExp(`cut\\.pcap: the capture ends in the middle of a record \\(record 53, byte offset ${truncatedOffset}\\)$`));
    expect(r.stderr).toContain('nftwasm: 52 packets');
    const accepted = (await run(readFileSync(at('cut-acc.pcap')))).rows.length;
    const dropped = (await run(readFileSync(at('cut-drop.pcap')))).rows.length;
    expect(accepted + dropped).toBe(52);
    const out = r.stdout.toString();
    expect(out).toContain('table inet filter {');
    expect(out).toMatch(/tcp dport 22 counter packets 2 bytes 120 drop/);
    expect(out).toMatch(/^ipv4 +2 tcp +6 /m);
  });

  it('the same damage read from standard input names standard input', () => {
    const r = nftwasm(['filter', ...base, '-r', '-'], example.subarray(0, example.length - 10));
    expectOneMessage(r, 1, new RegExp(`standard input: the capture ends in the middle of a record \\(record 53, byte offset ${truncatedOffset}\\)$`));
  });

  // libpcap reads such a record as its first snaplen bytes (sf-pcap.c),
  // and so does tcpdump: no damage.
  it('a record longer than the snap length is read as its first snaplen bytes, as libpcap reads it', () => {
    const list = packets('ethernet', 4);
    list[2] = { ...list[2], data: new Uint8Array(300).map((_, i) => list[2]!.data[i] ?? 0), origLen: 300 };
    writeFileSync(at('long.pcap'), encodePcap(list, { linktype: 1, snaplen: 128 }));
    writeFileSync(at('accept.nft'), 'table inet t {\n}\n');
    const r = nftwasm(['filter', '-f', at('accept.nft'), '-r', at('long.pcap'), '-w', at('long-out.pcap')]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('nftwasm: 4 packets');
    const out = readFileSync(at('long-out.pcap'));
    // The third record as written: 128 bytes captured of a packet of 300.
    const third = 24 + 2 * 16 + list[0]!.data.length + list[1]!.data.length;
    expect([out.readUInt32LE(third + 8), out.readUInt32LE(third + 12)]).toEqual([128, 300]);
  });

  // libpcap reads such records and tcpdump prints "Invalid header" for them:
  // read on, as the packet's own bytes, and say how many there were.
  it('a record holding more than its packet had is read as its packet\'s bytes, in pcap and pcapng', () => {
    const list = packets('ethernet', 4);
    const origLen = list[2].data.length - 10;
    list[2] = { ...list[2], origLen };
    writeFileSync(at('over.pcap'), encodePcap(list, { linktype: 1 }));
    writeFileSync(at('over.pcapng'), encodePcapng([{ type: 'section' }, { type: 'interface', linktype: 1 }, ...list.map((packet) => ({ type: 'epb' as const, packet, unitNs: 1000n }))]));
    writeFileSync(at('accept.nft'), 'table inet t {\n}\n');
    for (const name of ['over.pcap', 'over.pcapng']) {
      const r = nftwasm(['filter', '-f', at('accept.nft'), '-r', at(name), '-w', at(`out-${name}.pcap`)]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toContain('nftwasm: 4 packets, 4 accepted');
      expect(r.stderr).toContain('nftwasm: 1 record held more bytes than its packet had');
      const out = readFileSync(at(`out-${name}.pcap`));
      const third = 24 + 2 * 16 + list[0]!.data.length + list[1]!.data.length;
      expect([out.readUInt32LE(third + 8), out.readUInt32LE(third + 12)]).toEqual([origLen, origLen]);
      const fourth = third + 16 + origLen;
      expect(out.readUInt32LE(fourth + 8)).toBe(list[3]!.data.length);
    }
  });

  it('a damaged pcapng block', () => {
    const list = packets('ethernet', 2);
    const bytes = encodePcapng([{ type: 'section' }, { type: 'interface', linktype: 1 }, ...list.map((packet) => ({ type: 'epb' as const, packet, unitNs: 1000n }))]);
    // The second packet's trailing length no longer matches its leading one.
    bytes[bytes.length - 4] ^= 0x40;
    writeFileSync(at('damaged.pcapng'), bytes);
    expectOneMessage(nftwasm(['filter', ...base, '-r', at('damaged.pcapng')]), 1, /damaged\.pcapng: a damaged pcapng block \(record 2, byte offset \d+\)$/);
  });

  it('a packet of an interface the section never described', () => {
    const [p] = packets('ethernet', 1);
    writeFileSync(at('noif.pcapng'), encodePcapng([{ type: 'section' }, { type: 'epb', packet: p, unitNs: 1000n }]));
    expectOneMessage(nftwasm(['filter', ...base, '-r', at('noif.pcapng')]), 1, /noif\.pcapng: a packet of an interface the pcapng section does not describe \(record 1, byte offset 28\)$/);
  });
});
