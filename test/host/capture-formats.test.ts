import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PacketFate } from '../../assembly/abi.js';
import { PcapWriter } from '../../src/capture/pcap-writer.js';
import { PcapngWriter } from '../../src/capture/pcapng-writer.js';
import { LINKTYPE, type LinkName, concat, encodePcap, encodePcapng, frame, ipv4Udp, packets, type TestPacket } from './captures.js';
import { hasTool, run } from './harness.js';

const workDir = mkdtempSync(join(tmpdir(), 'nftwasm-formats-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

function expectPackets(rows: Awaited<ReturnType<typeof run>>['rows'], list: readonly TestPacket[], linktype: number, unitNs = 1n): void {
  expect(rows.length).toBe(list.length);
  rows.forEach((r, i) => {
    expect(r.number).toBe(i + 1);
    expect(r.timeNs).toBe((list[i].tsNs / unitNs) * unitNs);
    expect(r.data).toBe(Buffer.from(list[i].data).toString('hex'));
    expect(r.originalLength).toBe(list[i].origLen ?? list[i].data.length);
    expect(r.linkType).toBe(linktype);
    // The frame was parsed down to its IPv4 header and seen by the hooks.
    expect(r.fate).toBe(PacketFate.Filtered);
    expect(r.accepted).toBe(true);
  });
}

describe('pcap', () => {
  for (const bigEndian of [false, true]) {
    for (const nanosecond of [false, true]) {
      it(`reads ${bigEndian ? 'big' : 'little'}-endian ${nanosecond ? 'nano' : 'micro'}second files`, async () => {
        const list = packets('ethernet', 25);
        const { rows, error } = await run(encodePcap(list, { linktype: 1, bigEndian, nanosecond }));
        expect(error).toBeNull();
        expectPackets(rows, list, 1, nanosecond ? 1n : 1000n);
      });
    }
  }

  for (const link of Object.keys(LINKTYPE) as LinkName[]) {
    it(`parses link type ${link} (${LINKTYPE[link]})`, async () => {
      const list = packets(link, 5);
      const { rows, error } = await run(encodePcap(list, { linktype: LINKTYPE[link], nanosecond: true }));
      expect(error).toBeNull();
      expectPackets(rows, list, LINKTYPE[link]);
    });
  }

  it('keeps the original length of truncated records', async () => {
    const list = packets('raw', 3).map((p) => ({ ...p, data: p.data.subarray(0, 24), origLen: p.data.length }));
    const { rows } = await run(encodePcap(list, { linktype: 101, nanosecond: true, snaplen: 24 }));
    expect(rows.map((r) => r.originalLength)).toEqual(list.map((p) => p.origLen));
  });
});

describe('pcapng', () => {
  it('reads enhanced packet blocks of several interfaces with their own link types and resolutions', async () => {
    const eth = packets('ethernet', 4);
    const raw = packets('raw', 4, 1_700_000_100_000_000_000n);
    const blocks = [
      { type: 'section' as const },
      { type: 'interface' as const, linktype: 1, tsresol: 9 },
      { type: 'interface' as const, linktype: 101 },
    ];
    const order: Array<[TestPacket, number]> = [];
    for (let i = 0; i < 4; i++) order.push([eth[i], 0], [raw[i], 1]);
    const bytes = encodePcapng([
      ...blocks,
      ...order.map(([p, ifid]) => ({ type: 'epb' as const, packet: { ...p, interfaceId: ifid }, unitNs: ifid === 0 ? 1n : 1000n })),
    ]);
    const { rows, error } = await run(bytes);
    expect(error).toBeNull();
    expect(rows.map((r) => r.linkType)).toEqual(order.map(([, ifid]) => (ifid === 0 ? 1 : 101)));
    rows.forEach((r, i) => {
      const [p, ifid] = order[i];
      expect(r.timeNs).toBe(ifid === 0 ? p.tsNs : (p.tsNs / 1000n) * 1000n);
      expect(r.data).toBe(Buffer.from(p.data).toString('hex'));
      expect(r.fate).toBe(PacketFate.Filtered);
    });
  });

  it('reads simple and obsolete packet blocks, skips unknown blocks, honours if_tsoffset and binary if_tsresol', async () => {
    // Small raw timestamps: read as 2^-20 s units they stay within 64-bit nanoseconds.
    const list = packets('sll2', 3, 5_000_000_000n);
    const bytes = encodePcapng([
      { type: 'section' },
      { type: 'unknown', code: 0x0bad, length: 40 },
      { type: 'interface', linktype: 276, tsresol: 0x80 | 20, tsoffset: 100 },
      { type: 'opb', packet: list[0], unitNs: 1n },
      { type: 'unknown', code: 5, length: 12 },
      { type: 'spb', packet: list[1] },
      { type: 'epb', packet: list[2], unitNs: 1n },
    ]);
    const { rows, error } = await run(bytes);
    expect(error).toBeNull();
    expect(rows.map((r) => r.data)).toEqual(list.map((p) => Buffer.from(p.data).toString('hex')));
    const asBinary = (ns: bigint) => (ns / 1_048_576n) * 1_000_000_000n + ((ns % 1_048_576n) * 1_000_000_000n) / 1_048_576n + 100_000_000_000n;
    expect(rows[0].timeNs).toBe(asBinary(list[0].tsNs));
    // A simple packet block has no timestamp: it keeps the one before.
    expect(rows[1].timeNs).toBe(rows[0].timeNs);
    expect(rows[2].timeNs).toBe(asBinary(list[2].tsNs));
    expect(rows.every((r) => r.fate === PacketFate.Filtered && r.linkType === 276)).toBe(true);
  });

  it('reads several sections, each with its own byte order and interfaces', async () => {
    const a = packets('ethernet', 3);
    const b = packets('null', 3, 1_800_000_000_000_000_000n);
    const bytes = concat(
      encodePcapng([{ type: 'section' }, { type: 'interface', linktype: 1, tsresol: 9 }, ...a.map((packet) => ({ type: 'epb' as const, packet, unitNs: 1n }))]),
      encodePcapng([{ type: 'section' }, { type: 'interface', linktype: 0, tsresol: 9 }, ...b.map((packet) => ({ type: 'epb' as const, packet, unitNs: 1n }))], true),
    );
    const { rows, error } = await run(bytes);
    expect(error).toBeNull();
    expect(rows.map((r) => r.linkType)).toEqual([1, 1, 1, 0, 0, 0]);
    expect(rows.map((r) => r.timeNs)).toEqual([...a, ...b].map((p) => p.tsNs));
    expect(rows.every((r) => r.fate === PacketFate.Filtered)).toBe(true);
  });

  it('skips an unknown block larger than the input buffer in constant memory', async () => {
    const list = packets('ethernet', 2);
    const bytes = encodePcapng([
      { type: 'section' },
      { type: 'interface', linktype: 1, tsresol: 9 },
      { type: 'epb', packet: list[0], unitNs: 1n },
      { type: 'unknown', code: 0x40000001, length: 300_000 },
      { type: 'epb', packet: list[1], unitNs: 1n },
    ]);
    const { rows, error } = await run(bytes, { batchBytes: 65536 });
    expect(error).toBeNull();
    expect(rows.map((r) => r.timeNs)).toEqual(list.map((p) => p.tsNs));
  });
});

describe('captures written by other tools', () => {
  const editcap = hasTool('editcap');

  it.skipIf(!editcap)('reads what editcap converts to pcapng, nanosecond pcap and raw IP', async () => {
    const list = packets('ethernet', 10);
    const source = join(workDir, 'source.pcap');
    writeFileSync(source, encodePcap(list, { linktype: 1, nanosecond: true }));
    for (const [format, unit] of [['pcapng', 1n], ['nsecpcap', 1n], ['pcap', 1000n]] as const) {
      const out = join(workDir, `converted.${format}`);
      execFileSync('editcap', ['-F', format, source, out]);
      const { rows, error } = await run(readFileSync(out));
      expect(error).toBeNull();
      expectPackets(rows, list, 1, unit);
    }
    // Chops the Ethernet header off and relabels the frames as raw IP.
    const rawOut = join(workDir, 'raw.pcapng');
    execFileSync('editcap', ['-F', 'pcapng', '-T', 'rawip', '-C', '14', source, rawOut]);
    const { rows, error } = await run(readFileSync(rawOut));
    expect(error).toBeNull();
    expect(rows.map((r) => r.linkType)).toEqual(list.map(() => 101));
    expect(rows.every((r) => r.fate === PacketFate.Filtered)).toBe(true);
  });

  it.skipIf(!hasTool('mergecap'))('reads a pcapng that mergecap built from captures of different link types', async () => {
    const a = join(workDir, 'a.pcap');
    const b = join(workDir, 'b.pcap');
    writeFileSync(a, encodePcap(packets('ethernet', 3), { linktype: 1, nanosecond: true }));
    writeFileSync(b, encodePcap(packets('sll', 3, 1_700_000_000_500_000_000n), { linktype: 113, nanosecond: true }));
    const merged = join(workDir, 'merged.pcapng');
    execFileSync('mergecap', ['-F', 'pcapng', '-w', merged, a, b]);
    const { rows, error } = await run(readFileSync(merged));
    expect(error).toBeNull();
    expect(rows.map((r) => r.linkType).sort()).toEqual([1, 1, 1, 113, 113, 113]);
    expect(rows.every((r) => r.fate === PacketFate.Filtered)).toBe(true);
  });
});

describe('our writers read back', () => {
  it('pcapng with two interfaces round-trips through the walker', async () => {
    const chunks: Uint8Array[] = [];
    const w = new PcapngWriter((c) => chunks.push(c), { linktype: 1, nanosecond: true });
    const raw = w.addInterface({ linktype: 101, tsresol: 6 });
    const list: Array<[bigint, Uint8Array, number]> = [];
    for (let i = 0; i < 6; i++) {
      const ip = ipv4Udp(i, i);
      const ts = 1_700_000_000_000_000_000n + BigInt(i) * 1_234_567n;
      if (i % 2) {
        w.writePacket(ts, ip, ip.length, raw);
        list.push([(ts / 1000n) * 1000n, ip, 101]);
      } else {
        w.writePacket(ts, frame('ethernet', ip));
        list.push([ts, frame('ethernet', ip), 1]);
      }
    }
    w.flush();
    const { rows, error } = await run(concat(...chunks));
    expect(error).toBeNull();
    expect(rows.map((r) => [r.timeNs, r.data, r.linkType])).toEqual(list.map(([t, d, l]) => [t, Buffer.from(d).toString('hex'), l]));
  });

  it('pcap round-trips through the walker', async () => {
    const chunks: Uint8Array[] = [];
    const w = new PcapWriter((c) => chunks.push(c), { linktype: 113, nanosecond: true });
    const list = packets('sll', 7);
    for (const p of list) w.writePacket(p.tsNs, p.data);
    w.flush();
    const { rows } = await run(concat(...chunks));
    expectPackets(rows, list, 113);
  });
});

describe('captures tcpdump records', () => {
  const reason = process.getuid?.() !== 0 ? 'needs root' : !hasTool('tcpdump') ? 'needs tcpdump' : null;

  it.skipIf(reason !== null)(`loopback (Ethernet framing), SLL and SLL2 from a namespace of our own${reason ? ` (skipped: ${reason})` : ''}`, async () => {
    const ns = `nftwasm-tcpdump-${process.pid}`;
    const inNs = (...args: string[]) => execFileSync('ip', ['netns', 'exec', ns, ...args], { stdio: 'pipe' });
    execFileSync('ip', ['netns', 'add', ns]);
    try {
      inNs('ip', 'link', 'set', 'lo', 'up');
      const captures: Array<[string, string[], number]> = [
        ['lo.pcap', ['-i', 'lo'], 1],
        ['sll.pcap', ['-i', 'any', '-y', 'LINUX_SLL'], 113],
        ['sll2.pcap', ['-i', 'any', '-y', 'LINUX_SLL2', '--time-stamp-precision', 'nano'], 276],
      ];
      for (const [name, args] of captures) {
        const file = join(workDir, name);
        // -c ends tcpdump by itself once the two echo requests and replies are in.
        const dump = execFileSync('sh', ['-c', `ip netns exec ${ns} tcpdump -U -c 4 -w ${file} ${args.join(' ')} icmp 2>/dev/null & sleep 1; ip netns exec ${ns} ping -c 2 -i 0.2 127.0.0.1 >/dev/null; wait`]);
        expect(dump.toString()).toBe('');
      }
      for (const [name, , linktype] of captures) {
        const { rows, error } = await run(readFileSync(join(workDir, name)));
        expect(error, name).toBeNull();
        expect(rows.length, name).toBe(4);
        expect(rows.every((r) => r.linkType === linktype && r.fate === PacketFate.Filtered), name).toBe(true);
      }
    } finally {
      execFileSync('ip', ['netns', 'del', ns]);
    }
  });
});
