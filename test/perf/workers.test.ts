// Flows sharded across worker threads give exactly what one data plane
// gives: every per-packet result (conntrack ids included), every counter,
// the conntrack table and the summary.
import { closeSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile, createFilter, type Filter, type PacketBatch } from '../../src/index.js';
import { createShardedFilter } from '../../src/workers.js';
import { generateCapture } from '../../bench/generate.js';
import { pcap, udp } from '../dataplane/packets.js';
import { main } from '../../src/cli.js';

function generated(packets: number, flows: number, seed: number): Uint8Array {
  const chunks: Uint8Array[] = [];
  generateCapture({ packets, flows, seed }, (c) => chunks.push(c.slice()));
  return Buffer.concat(chunks);
}

interface Outcome {
  results: string[];
  counters: bigint[];
  conntrack: string;
  stats: object;
}

function resultLines(b: PacketBatch): string[] {
  const lines: string[] = [];
  for (let i = 0; i < b.count; i++) {
    // The packet's bytes as the batch shows them (their offsets depend on
    // the input buffer's size, which differs).
    const data = Buffer.from(b.data(i)).toString('base64');
    lines.push([b.firstPacket + i, b.fate(i), b.accepted(i), b.ctState(i), b.ctDirection(i), b.ctId(i), b.handle(i), b.chain(i), b.originalLength(i), data].join(' '));
  }
  return lines;
}

function run(filter: Filter, bytes: Uint8Array): Outcome {
  const results: string[] = [];
  filter.processCapture(bytes, (b: PacketBatch) => results.push(...resultLines(b)));
  return { results, counters: [...filter.counters()], conntrack: filter.conntrackListing(), stats: filter.stats() };
}

const read = (rel: string) => readFileSync(new URL(rel, import.meta.url));

function checksum(bytes: number[]): number {
  let s = 0;
  for (let i = 0; i < bytes.length; i += 2) s += (bytes[i]! << 8) | (bytes[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

// ICMP port unreachable from a router (an address of neither end) quoting
// the packet it answers: its shard is the quoted packet's.
function unreachable(router: string, to: string, quoted: number[]): number[] {
  const icmp = [3, 3, 0, 0, 0, 0, 0, 0, ...quoted.slice(0, 28)];
  const c = checksum(icmp);
  icmp[2] = c >> 8;
  icmp[3] = c & 0xff;
  const ip = [0x45, 0, 0, 20 + icmp.length, 0, 1, 0, 0, 64, 1, 0, 0, ...router.split('.').map(Number), ...to.split('.').map(Number)];
  const h = checksum(ip);
  ip[10] = h >> 8;
  ip[11] = h & 0xff;
  return [...ip, ...icmp];
}

// Forty clients' UDP requests, answered or refused by a router on the way.
function icmpErrors(): Uint8Array {
  const packets: number[][] = [];
  for (let i = 1; i <= 40; i++) {
    const client = `10.1.0.${i}`;
    const request = udp(client, '192.0.2.7', 40000 + i, 53);
    packets.push(request);
    packets.push(i % 2 ? udp('192.0.2.7', client, 53, 40000 + i) : unreachable('203.0.113.1', client, request));
  }
  return pcap(packets);
}

// A new IPv4 header over packet ip's: fields changed by edit, checksum
// made right again unless the edit breaks it.
function reheader(ip: number[], edit: (h: number[]) => void, fixChecksum = true): number[] {
  const h = ip.slice(0, 20);
  edit(h);
  if (fixChecksum) {
    h[10] = 0;
    h[11] = 0;
    const c = checksum(h);
    h[10] = c >> 8;
    h[11] = c & 0xff;
  }
  return [...h, ...ip.slice(20)];
}

// A UDP datagram in two fragments, the second first.
function fragmented(src: string, dst: string, id: number): number[][] {
  const whole = udp(src, dst, 30000 + id, 53, 72);
  const l4 = whole.slice(20);
  const part = (bytes: number[], offset: number, more: boolean) =>
    reheader([...whole.slice(0, 20), ...bytes], (h) => {
      h[2] = (20 + bytes.length) >> 8;
      h[3] = (20 + bytes.length) & 0xff;
      h[4] = id >> 8;
      h[5] = id & 0xff;
      h[6] = (more ? 0x20 : 0) | ((offset / 8) >> 8);
      h[7] = (offset / 8) & 0xff;
    });
  return [part(l4.slice(40), 40, false), part(l4.slice(0, 40), 0, true)];
}

// Traffic between many host pairs, some of it what the stack refuses (a
// broken header checksum, a length past the frame, another IP version in
// an IPv4 frame) and some of it fragmented: a worker tells its packets
// apart from a glance at most headers, and must agree with the full parse.
function damagedAndFragmented(): Uint8Array {
  const packets: number[][] = [];
  for (let i = 1; i <= 60; i++) {
    const client = `10.2.${i >> 4}.${i}`;
    const server = `198.51.100.${i % 7}`;
    const request = udp(client, server, 40000 + i, 53);
    packets.push(request);
    if (i % 4 === 0) packets.push(reheader(request, (h) => (h[11] ^= 0x55), false));
    if (i % 4 === 1) packets.push(reheader(request, (h) => (h[3] += 40)));
    if (i % 4 === 2) packets.push(reheader(request, (h) => (h[0] = 0x65)));
    if (i % 3 === 0) packets.push(...fragmented(client, server, i));
    packets.push(udp(server, client, 53, 40000 + i));
  }
  return pcap(packets);
}

const RELATED = `table inet filter {
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established counter accept
		ct state related counter accept
		ct state new udp dport 53 counter accept
	}
}
`;

const cases = [
  { name: 'generated traffic, bench/ruleset.nft', rules: read('../../bench/ruleset.nft').toString(), bytes: generated(30_000, 400, 3), local: [] as string[] },
  { name: 'the web example, with a local address', rules: read('../../examples/web.nft').toString(), bytes: read('../../examples/web.pcap'), local: ['10.99.0.2'] },
  { name: 'ICMP errors from a router, related to the connections they quote', rules: RELATED, bytes: icmpErrors(), local: [] },
  { name: 'damaged headers and fragments', rules: read('../../bench/ruleset.nft').toString(), bytes: damagedAndFragmented(), local: [] },
];

describe('--workers', () => {
  for (const c of cases) {
    for (const workers of [2, 3]) {
      it(`${workers} workers answer as one: ${c.name}`, async () => {
        const ruleset = compile(c.rules);
        const one = run(await createFilter(ruleset, { local: c.local }), c.bytes);
        const many = run(await createShardedFilter(ruleset, workers, { local: c.local }), c.bytes);
        expect(many.results.length).toBe(one.results.length);
        expect(many.results).toEqual(one.results);
        expect(many.counters).toEqual(one.counters);
        expect(many.conntrack).toEqual(one.conntrack);
        expect(many.stats).toEqual(one.stats);
        // The refused requests' errors were found related (the second
        // counter's packets): the shards did meet.
        if (c.rules === RELATED) expect(one.counters[2]).toBe(20n);
        if (c.name.startsWith('damaged')) expect((one.stats as { notEvaluated: number }).notEvaluated).toBeGreaterThanOrEqual(45);
      });
    }
  }

  it('answers as one without anyone reading the per-packet results', async () => {
    const c = cases[0]!;
    const ruleset = compile(c.rules);
    const one = await createFilter(ruleset);
    const many = await createShardedFilter(ruleset, 2);
    one.processCapture(c.bytes);
    many.processCapture(c.bytes);
    expect(many.conntrackListing()).toEqual(one.conntrackListing());
    expect(many.counters()).toEqual(one.counters());
    expect(many.stats()).toEqual(one.stats());
  });

  it('reports a capture cut short where one data plane does, after what came before it', async () => {
    const c = cases[0]!;
    const ruleset = compile(c.rules);
    const cut = c.bytes.subarray(0, c.bytes.length - 100);
    const outcome = async (filter: Filter) => {
      let error = '';
      try {
        filter.processCapture(cut);
      } catch (e) {
        error = (e as Error).message;
      }
      return { error, stats: filter.stats(), counters: filter.counters() };
    };
    const one = await outcome(await createFilter(ruleset));
    expect(one.error).toMatch(/ends in the middle of a record/);
    expect(await outcome(await createShardedFilter(ruleset, 2))).toEqual(one);
  });

  it('passes on a read error', async () => {
    const bytes = cases[0]!.bytes;
    const filter = await createShardedFilter(compile(cases[0]!.rules), 2);
    let at = 0;
    let calls = 0;
    expect(() =>
      filter.processReader((dest) => {
        if (++calls === 4) throw new Error('the disk went away');
        const n = Math.min(dest.length, bytes.length - at);
        dest.set(bytes.subarray(at, at + n));
        at += n;
        return n;
      }),
    ).toThrow('the disk went away');
    expect(filter.stats().packets).toBeGreaterThan(0);
    filter.close();
  });

  it('reads a capture file in the workers, answering as one', async () => {
    const c = cases[0]!;
    const ruleset = compile(c.rules);
    const path = join(mkdtempSync(join(tmpdir(), 'nftwasm-')), 'c.pcap');
    writeFileSync(path, c.bytes);
    const one = run(await createFilter(ruleset), c.bytes);
    // A short list of first-shown ids ends commands early, in the middle
    // of the blocks they read.
    for (const [listen, maxResults] of [[true, undefined], [false, undefined], [true, 200], [false, 200]] as const) {
      const filter = await createShardedFilter(ruleset, 2, { maxResults });
      const results: string[] = [];
      let read = 0;
      const fd = openSync(path, 'r');
      filter.processFile(fd, listen ? (b) => results.push(...resultLines(b)) : undefined, path, (n) => (read += n));
      closeSync(fd);
      if (listen) expect(results).toEqual(one.results);
      expect(read).toBe(c.bytes.length);
      expect(filter.conntrackListing()).toEqual(one.conntrack);
      expect([...filter.counters()]).toEqual(one.counters);
      expect(filter.stats()).toEqual(one.stats);
    }
  });

  it('reports damage and read errors met by the reading workers', async () => {
    const c = cases[0]!;
    const ruleset = compile(c.rules);
    const dir = mkdtempSync(join(tmpdir(), 'nftwasm-'));
    const path = join(dir, 'cut.pcap');
    writeFileSync(path, c.bytes.subarray(0, c.bytes.length - 100));
    const one = await createFilter(ruleset);
    const cut = () => one.processCapture(readFileSync(path));
    expect(cut).toThrow(/ends in the middle of a record/);
    const many = await createShardedFilter(ruleset, 2);
    const fd = openSync(path, 'r');
    expect(() => many.processFile(fd, undefined, path)).toThrow(/ends in the middle of a record/);
    closeSync(fd);
    expect(many.stats()).toEqual(one.stats());
    const dirFd = openSync(dir, 'r');
    const failing = await createShardedFilter(ruleset, 2);
    expect(() => failing.processFile(dirFd)).toThrow(expect.objectContaining({ code: 'EISDIR' }));
    closeSync(dirFd);
  });

  it('nftwasm filter --workers 2 prints what it prints without', async () => {
    const cli = async (extra: string[]) => {
      let out = '';
      let err = '';
      const file = (rel: string) => new URL(rel, import.meta.url).pathname;
      const code = await main(['filter', '-f', file('../../examples/web.nft'), '-r', file('../../examples/web.pcap'), '--local', '10.99.0.2', '--json', '--list', '--conntrack', ...extra], {
        out: (s) => void (out += s),
        err: (s) => void (err += s),
      });
      // The run's time and rate differ from run to run.
      return { code, out, err: err.replace(/; \d+\.\d+ s, \d+ packets\/s$/m, '') };
    };
    const one = await cli([]);
    expect(one.code).toBe(0);
    expect(await cli(['--workers', '2'])).toEqual(one);
  });

  it('says when the conntrack table was full, and that workers may then differ', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'nftwasm-')), 'c.pcap');
    writeFileSync(path, cases[0]!.bytes);
    const rules = new URL('../../bench/ruleset.nft', import.meta.url).pathname;
    const cli = async (extra: string[]) => {
      let err = '';
      const code = await main(['filter', '-f', rules, '-r', path, ...extra], { out: () => {}, err: (s) => void (err += s) });
      expect(code).toBe(0);
      return err;
    };
    const roomy = await cli([]);
    expect(roomy).not.toMatch(/table was full/);
    const full = await cli(['--sysctl', 'nf_conntrack_max=64']);
    expect(full).toMatch(/the conntrack table was full \(nf_conntrack_max\): [1-9]\d* entries dropped early to make room, \d+ packets dropped for want of it\n/);
    expect(full).not.toMatch(/workers/);
    expect(await cli(['--sysctl', 'nf_conntrack_max=64', '--workers', '2'])).toMatch(/each of the 2 workers held its share of the table/);
  });

  it('nftwasm filter --workers 2 reads a named pipe too', async () => {
    const file = (rel: string) => new URL(rel, import.meta.url).pathname;
    const fifo = join(mkdtempSync(join(tmpdir(), 'nftwasm-')), 'capture');
    execFileSync('mkfifo', [fifo]);
    const cli = async (capture: string) => {
      let out = '';
      const code = await main(['filter', '-f', file('../../examples/web.nft'), '-r', capture, '--local', '10.99.0.2', '--list', '--conntrack', '--workers', '2'], {
        out: (s) => void (out += s),
        err: () => {},
      });
      return { code, out };
    };
    const writer = spawn('sh', ['-c', 'cat "$1" > "$2"', 'sh', file('../../examples/web.pcap'), fifo]);
    const written = new Promise((resolve) => writer.on('close', resolve));
    const piped = await cli(fifo);
    await written;
    expect(piped.code).toBe(0);
    expect(piped).toEqual(await cli(file('../../examples/web.pcap')));
  });

  it('refuses conntrack events and tracing', async () => {
    const ruleset = compile(cases[0]!.rules);
    await expect(createShardedFilter(ruleset, 2, { events: true })).rejects.toThrow(RangeError);
    await expect(createShardedFilter(ruleset, 2, { trace: { packets: [1] } })).rejects.toThrow(RangeError);
  });

  it('refuses rules whose state each worker would keep alone', async () => {
    const stateful = compile(cases[0]!.rules.replace('\t\tcounter\n', '\t\tlimit rate 100/second counter\n\t\tquota over 1 mbytes drop\n'));
    await expect(createShardedFilter(stateful, 2)).rejects.toThrow('--workers does not combine with rules that keep state as packets pass (here: limit, quota)');
  });
});
