import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateCapture, main, type GenerateStats } from '../bench/generate.js';
import { SERVICES, STRAY_KINDS, TCP_ENDINGS } from '../bench/flows.js';

const workDir = mkdtempSync(join(tmpdir(), 'generate-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

function capture(packets: number, flows: number, seed: number, nanosecond = false): { bytes: Buffer; stats: GenerateStats } {
  const chunks: Uint8Array[] = [];
  const stats = generateCapture({ packets, flows, seed, nanosecond }, (chunk) => chunks.push(chunk));
  return { bytes: Buffer.concat(chunks), stats };
}

const small = capture(2000, 200, 1);
const smallFile = join(workDir, 'small.pcap');
writeFileSync(smallFile, small.bytes);

describe('generateCapture', () => {
  it('is determined by the seed', () => {
    expect(capture(2000, 200, 1).bytes.equals(small.bytes)).toBe(true);
    expect(capture(2000, 200, 2).bytes.equals(small.bytes)).toBe(false);
  });

  it('reports what it wrote', () => {
    const { stats, bytes } = small;
    expect(stats.packets).toBe(2000);
    expect(stats.bytes).toBe(bytes.length);
    const strays = Object.values(stats.strayPackets).reduce((a, b) => a + b, 0);
    const inFlows = Object.values(stats.packetsByService).reduce((a, b) => a + b, 0);
    expect(strays + inFlows).toBe(2000);
    expect(strays).toBeGreaterThan(5);
    expect(strays).toBeLessThan(50);
    for (const service of SERVICES) expect(stats.flowsByService[service], service).toBeGreaterThan(0);
    for (const kind of STRAY_KINDS) expect(stats.strayPackets[kind], kind).toBeGreaterThan(0);
    for (const ending of TCP_ENDINGS) expect(stats.tcpEndings[ending], ending).toBeGreaterThan(0);
    expect(stats.flowsOpened).toBe(stats.flowsCompleted + stats.openFlowsAtEnd);
    expect(stats.openFlowsAtEnd).toBeGreaterThan(150);
    // About 1 µs between packets.
    expect(stats.durationNs).toBeGreaterThan(1_500_000);
    expect(stats.durationNs).toBeLessThan(2_500_000);
  });

  it('parses cleanly in tcpdump with every checksum correct', () => {
    const result = spawnSync('tcpdump', ['-r', smallFile, '-nn', '-vv', '-tt'], { encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(result.stderr.trim()).toBe(`reading from file ${smallFile}, link-type EN10MB (Ethernet), snapshot length 262144`);
    const text = result.stdout;
    expect(text).not.toMatch(/incorrect|bad cksum|wrong icmp cksum|bad udp cksum|malformed|\[\|/i);
    const headers = text.split('\n').filter((line) => /^\d+\.\d{6} IP /.test(line));
    expect(headers).toHaveLength(2000);
    const tcpChecksums = text.match(/cksum 0x[0-9a-f]{4} \(correct\)/g) ?? [];
    const udpChecksums = text.match(/\[udp sum ok\]/g) ?? [];
    const icmp = headers.filter((line) => line.includes('proto ICMP')).length;
    expect(tcpChecksums.length + udpChecksums.length + icmp).toBe(2000);
    expect(headers.every((line) => / ttl 64, /.test(line))).toBe(true);

    const times = headers.map((line) => Number(line.split(' ')[0]));
    expect(times.every((time, i) => i === 0 || time >= times[i - 1]!)).toBe(true);

    for (const marker of [
      'Flags [S], ',
      'Flags [S.], ',
      'Flags [.], ',
      'Flags [P.], ',
      'Flags [F.], ',
      'Flags [R.], ',
      'Flags [R], ',
      'Flags [FS], ',
      'Flags [none], ',
      'Flags [FPU], ',
      ': HTTP, length',
      'HTTP/1.1 200 OK',
      'SSH-2.0-OpenSSH',
      ' A? www.example.com.',
      '.5353: ',
      'ICMP echo request',
      'ICMP echo reply',
    ]) {
      expect(text, marker).toContain(marker);
    }
    for (const port of ['80', '443', '8000', '22', '53', '5353']) expect(text, port).toMatch(new RegExp(`> 1(92\\.0\\.2|98\\.51\\.100)\\.\\d+\\.${port}: `));
  });

  it('keeps every connection in sequence so window tracking accepts it', () => {
    // tcpdump prints sequence numbers relative to each connection's SYN, so
    // in-order data shows as each segment starting where the last one ended.
    const text = execFileSync('tcpdump', ['-r', smallFile, '-nn', 'tcp and not portrange 1024-32767'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const nextSeq = new Map<string, number>();
    const lastAck = new Map<string, number>();
    let checked = 0;
    for (const line of text.split('\n')) {
      const match = / IP (\S+) > (\S+): Flags \[([^\]]+)\], (?:seq (\d+)(?::(\d+))?, )?(?:ack (\d+), )?/.exec(line);
      if (match === null || match[3]!.includes('S') || match[3]!.includes('R')) continue;
      const [, from, to, flags, seq, end, ack] = match;
      const direction = `${from}>${to}`;
      const reverse = `${to}>${from}`;
      if (seq !== undefined) {
        const expected = nextSeq.get(direction) ?? 1;
        expect(Number(seq), line).toBe(expected);
        nextSeq.set(direction, Number(end ?? seq) + (flags!.includes('F') ? 1 : 0));
        checked++;
      } else if (flags!.includes('F')) {
        nextSeq.set(direction, (nextSeq.get(direction) ?? 1) + 1);
      }
      if (ack !== undefined) {
        // An ACK never acknowledges data the peer has not sent yet.
        expect(Number(ack), line).toBeLessThanOrEqual(nextSeq.get(reverse) ?? 1);
        expect(Number(ack), line).toBeGreaterThanOrEqual(lastAck.get(direction) ?? 0);
        lastAck.set(direction, Number(ack));
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('writes nanosecond captures on request', () => {
    const { bytes } = capture(100, 10, 3, true);
    expect(bytes.readUInt32LE(0)).toBe(0xa1b23c4d);
  });
});

describe('main', () => {
  it('writes the capture to a file', () => {
    const out = join(workDir, 'cli.pcap');
    const log = console.log;
    console.log = () => {};
    try {
      expect(main(['--packets', '2000', '--flows', '200', '--seed', '1', '--out', out])).toBe(0);
    } finally {
      console.log = log;
    }
    expect(readFileSync(out).equals(small.bytes)).toBe(true);
  });

  it('rejects incomplete arguments', () => {
    const error = console.error;
    console.error = () => {};
    try {
      expect(main(['--packets', '10', '--out', join(workDir, 'x.pcap')])).toBe(2);
      expect(main(['--bogus'])).toBe(2);
    } finally {
      console.error = error;
    }
  });
});
