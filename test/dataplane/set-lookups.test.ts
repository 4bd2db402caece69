// Set and map lookups answer as a plain reference does, whatever shape the
// data plane gives a set: the direct index over interval boundaries, hash
// tables keeping each key's hash in its slot, the scan of small sets, and
// the dynamic sets rules fill. Random sets of every key length, spread over
// the key space and bunched in a corner of it, are looked up at and around
// every boundary and at random keys, one packet per key.
import { describe, expect, it } from 'vitest';
import { compile, createFilter } from '../../src/index.js';
import { PcapWriter } from '../../src/capture/pcap-writer.js';
import { Random } from '../../bench/random.js';

interface Field {
  bits: number;
  family: 'ip' | 'ip6';
  // The selector, and the type a named set of it is declared with; without
  // one, its sets are anonymous.
  expr: string;
  type?: string;
  text(v: bigint): string;
  headers(v: bigint): Headers;
  // Whether a packet with this key reaches the hooks.
  reaches?(v: bigint): boolean;
}

interface Headers {
  ether?: bigint;
  ttl?: number;
  dport?: number;
  src4?: number;
  dst6?: bigint;
}

// The key's `count` parts of `bits` bits, most significant first.
const parts = (v: bigint, count: number, bits: number) =>
  Array.from({ length: count }, (_, i) => (v >> BigInt((count - 1 - i) * bits)) & ((1n << BigInt(bits)) - 1n));

const FIELDS: Record<string, Field> = {
  // No type names a ttl: its sets are written in the rule.
  ttl: { bits: 8, family: 'ip', expr: 'ip ttl', text: (v) => String(v), headers: (v) => ({ ttl: Number(v) }) },
  dport: { bits: 16, family: 'ip', expr: 'udp dport', type: 'type inet_service', text: (v) => String(v), headers: (v) => ({ dport: Number(v) }) },
  saddr: { bits: 32, family: 'ip', expr: 'ip saddr', type: 'type ipv4_addr', text: (v) => parts(v, 4, 8).join('.'), headers: (v) => ({ src4: Number(v) }) },
  ether: { bits: 48, family: 'ip', expr: 'ether saddr', type: 'type ether_addr', text: (v) => parts(v, 6, 8).map((p) => p.toString(16).padStart(2, '0')).join(':'), headers: (v) => ({ ether: v }) },
  // Destinations, which may be multicast: keys up to the top of the space.
  daddr6: {
    bits: 128, family: 'ip6', expr: 'ip6 daddr', type: 'type ipv6_addr', text: (v) => parts(v, 8, 16).map((p) => p.toString(16)).join(':'), headers: (v) => ({ dst6: v }),
    // ipv6_rcv drops the loopback address.
    reaches: (v) => v !== 1n,
  },
};

function sum16(bytes: Uint8Array, from: number, to: number, initial = 0): number {
  let s = initial;
  for (let i = from; i < to; i += 2) s += (bytes[i]! << 8) | (i + 1 < to ? bytes[i + 1]! : 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

function putBig(out: Uint8Array, at: number, v: bigint, bytes: number): void {
  for (let i = 0; i < bytes; i++) out[at + i] = Number((v >> BigInt((bytes - 1 - i) * 8)) & 0xffn);
}

// An Ethernet frame with a UDP datagram over IPv4 or IPv6.
function frame(h: Headers): Uint8Array {
  const v6 = h.dst6 !== undefined;
  const ip = 14;
  const udp = ip + (v6 ? 40 : 20);
  const out = new Uint8Array(udp + 12);
  const view = new DataView(out.buffer);
  putBig(out, 0, 0x020000000002n, 6);
  putBig(out, 6, h.ether ?? 0x020000000001n, 6);
  view.setUint16(12, v6 ? 0x86dd : 0x0800);
  view.setUint16(udp, 1000);
  view.setUint16(udp + 2, h.dport ?? 53);
  view.setUint16(udp + 4, 12);
  let pseudo: number;
  if (v6) {
    view.setUint32(ip, 0x60000000);
    view.setUint16(ip + 4, 12);
    out[ip + 6] = 17;
    out[ip + 7] = 64;
    putBig(out, ip + 8, 0x20010db8000000000000000000000001n, 16);
    putBig(out, ip + 24, h.dst6!, 16);
    pseudo = sum16(out, ip + 8, ip + 40, 17 + 12);
  } else {
    out[ip] = 0x45;
    view.setUint16(ip + 2, 32);
    view.setUint16(ip + 6, 0x4000);
    out[ip + 8] = h.ttl ?? 64;
    out[ip + 9] = 17;
    view.setUint32(ip + 12, h.src4 ?? 0x0a000001);
    view.setUint32(ip + 16, 0xc0000201);
    view.setUint16(ip + 10, ~sum16(out, ip, ip + 20) & 0xffff);
    pseudo = sum16(out, ip + 12, ip + 20, 17 + 12);
  }
  view.setUint16(udp + 6, ~sum16(out, udp, udp + 12, pseudo) & 0xffff || 0xffff);
  return out;
}

// A pcap of one frame per millisecond.
function capture(frames: Uint8Array[]): Uint8Array {
  const chunks: Uint8Array[] = [];
  const w = new PcapWriter((c) => chunks.push(c.slice()), { linktype: 1, nanosecond: true });
  frames.forEach((f, i) => w.writePacket(1_700_000_000_000_000_000n + BigInt(i) * 1_000_000n, f));
  w.flush();
  return Buffer.concat(chunks);
}

interface Range {
  lo: bigint;
  hi: bigint;
  // A map's element: the chain its verdict jumps to.
  target: number;
}

const TARGETS = 8;

// The handle of the deciding rule for each packet: 0 when the policy
// decided, so when nothing matched.
async function decisions(source: string, keys: bigint[], field: Field): Promise<number[]> {
  const filter = await createFilter(compile(source));
  const out: number[] = [];
  filter.processCapture(capture(keys.map((k) => frame(field.headers(k)))), (b) => {
    for (let i = 0; i < b.count; i++) out.push(b.handle(i));
  });
  return out;
}

// The handle of the one rule of each jump target, c0.. .
function targetHandles(source: string): number[] {
  const listing = compile(source).toListing({ handles: true });
  return Array.from({ length: TARGETS }, (_, k) => Number(new RegExp(`chain c${k} \\{ # handle \\d+\\n[^\\n]*# handle (\\d+)\\n`).exec(listing)![1]));
}

function ruleset(field: Field, elements: string[], opts: { interval: boolean; map: boolean }): string {
  const flags = opts.interval ? '\t\tflags interval\n' : '';
  const list = elements.length ? `\t\telements = { ${elements.join(', ')} }\n` : '';
  const decl = field.type ? `\t${opts.map ? 'map' : 'set'} s {\n\t\t${field.type}${opts.map ? ' : verdict' : ''}\n${flags}${list}\t}\n` : '';
  const set = field.type ? '@s' : `{ ${elements.join(', ')} }`;
  const targets = opts.map ? Array.from({ length: TARGETS }, (_, k) => `\tchain c${k} {\n\t\tcounter drop\n\t}\n`).join('') : '';
  const rule = opts.map ? `${field.expr} vmap ${set}` : `${field.expr} ${set} counter drop`;
  return `table ${field.family} t {\n${decl}${targets}\tchain pre {\n\t\ttype filter hook prerouting priority filter; policy accept;\n\t\t${rule}\n\t}\n}\n`;
}

function element(field: Field, r: Range, map: boolean): string {
  const key = r.lo === r.hi ? field.text(r.lo) : `${field.text(r.lo)}-${field.text(r.hi)}`;
  return map ? `${key} : jump c${r.target}` : key;
}

function randomBig(rnd: Random, bits: number): bigint {
  let v = 0n;
  for (let b = 0; b < bits; b += 32) v = (v << 32n) | BigInt(rnd.uint32());
  return v & ((1n << BigInt(bits)) - 1n);
}

// The part of the key space a set's elements are in: 2^bits keys from
// base, anywhere in the space, or at its top, where the last range then
// ends.
interface Window {
  base: bigint;
  bits: number;
  top: boolean;
}

function randomWindow(rnd: Random, field: Field, bits: number, top: boolean): Window {
  const low = (1n << BigInt(bits)) - 1n;
  const max = (1n << BigInt(field.bits)) - 1n;
  return { base: top ? max - low : randomBig(rnd, field.bits) & ~low, bits, top };
}

const inWindow = (rnd: Random, w: Window) => w.base + randomBig(rnd, w.bits);

// `count` disjoint ranges inside the window, some of one key, some meeting
// the next one, the first and last sometimes at the ends of the window.
function randomRanges(rnd: Random, count: number, w: Window): Range[] {
  const points = new Set<bigint>();
  if (rnd.uint32() % 4 === 0) points.add(w.base);
  if (rnd.uint32() % 4 === 0) points.add(w.base + (1n << BigInt(w.bits)) - 1n);
  while (points.size < count * 2) points.add(inWindow(rnd, w));
  const sorted = [...points].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const ranges: Range[] = [];
  for (let i = 0; i < count; i++) {
    const lo = sorted[2 * i]!;
    const single = rnd.uint32() % 3 === 0;
    ranges.push({ lo, hi: single ? lo : sorted[2 * i + 1]!, target: rnd.uint32() % TARGETS });
  }
  for (let i = 0; i + 1 < count; i++) if (rnd.uint32() % 8 === 0) ranges[i]!.hi = ranges[i + 1]!.lo - 1n;
  if (w.top && count > 0) ranges[count - 1]!.hi = w.base + (1n << BigInt(w.bits)) - 1n;
  return ranges;
}

// Every boundary and its neighbours, the ends of the key space, and random
// keys in the ranges' part of the key space and anywhere.
function probeKeys(rnd: Random, field: Field, ranges: Range[], w: Window): bigint[] {
  const max = (1n << BigInt(field.bits)) - 1n;
  const keys = [0n, max];
  for (const r of ranges) keys.push(r.lo - 1n, r.lo, r.lo + 1n, r.hi - 1n, r.hi, r.hi + 1n);
  for (let i = 0; i < 500; i++) keys.push(inWindow(rnd, w), randomBig(rnd, field.bits));
  return keys.filter((k) => k >= 0n && k <= max && (field.reaches?.(k) ?? true));
}

// The range holding the key, by bisection over the sorted ranges.
function holding(sorted: Range[], key: bigint): Range | undefined {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = sorted[mid]!;
    if (key < r.lo) hi = mid - 1;
    else if (key > r.hi) lo = mid + 1;
    else return r;
  }
  return undefined;
}

async function compareWithReference(field: Field, ranges: Range[], keys: bigint[], opts: { interval: boolean; map: boolean }): Promise<void> {
  const source = ruleset(field, ranges.map((r) => element(field, r, opts.map)), opts);
  const got = await decisions(source, keys, field);
  const sorted = [...ranges].sort((a, b) => (a.lo < b.lo ? -1 : 1));
  let want: (r: Range | undefined) => number;
  if (opts.map) {
    const handles = targetHandles(source);
    want = (r) => (r ? handles[r.target]! : 0);
  } else {
    // The lookup's rule, the last of the ruleset.
    const handle = Number(/# handle (\d+)\n\t}\n}/.exec(compile(source).toListing({ handles: true }))![1]);
    want = (r) => (r ? handle : 0);
  }
  expect(got.length).toBe(keys.length);
  const mismatches = keys.flatMap((k, i) => {
    const w = want(holding(sorted, k));
    return got[i] === w ? [] : [`${field.text(k)}: got ${got[i]}, want ${w}`];
  });
  expect(mismatches.slice(0, 5)).toEqual([]);
}

// Element count, and the bits of the window the elements are in (the
// key's bits: anywhere), 'top' for a window at the top of the key space.
type Case = [string, number, number, 'top'?];

const INTERVAL_CASES: Case[] = [
  ['ttl', 1, 8], ['ttl', 40, 8], ['ttl', 10, 5], ['ttl', 10, 5, 'top'],
  ['dport', 0, 16], ['dport', 3, 16], ['dport', 2000, 16], ['dport', 300, 11], ['dport', 300, 11, 'top'],
  ['saddr', 1, 32], ['saddr', 7, 32], ['saddr', 5000, 32], ['saddr', 5000, 18], ['saddr', 1000, 12], ['saddr', 1000, 12, 'top'],
  ['ether', 2, 48], ['ether', 3000, 48], ['ether', 500, 14],
  ['daddr6', 1, 128], ['daddr6', 2000, 128], ['daddr6', 2000, 64], ['daddr6', 500, 40], ['daddr6', 300, 12], ['daddr6', 300, 12, 'top'],
];

const EXACT_CASES: Case[] = [
  ['ttl', 1, 8], ['ttl', 8, 8], ['ttl', 9, 8], ['ttl', 200, 8],
  ['dport', 0, 16], ['dport', 3, 16], ['dport', 8, 16], ['dport', 9, 16], ['dport', 5000, 16],
  ['saddr', 1, 32], ['saddr', 8, 32], ['saddr', 20000, 32], ['saddr', 20000, 16], ['saddr', 3000, 12],
  ['ether', 5, 48], ['ether', 3000, 48], ['ether', 1000, 10],
  ['daddr6', 4, 128], ['daddr6', 3000, 128], ['daddr6', 3000, 16], ['daddr6', 1000, 64],
];

function forEachCase(cases: Case[], kind: string, test: (field: Field, rnd: Random, w: Window, count: number, map: boolean) => Promise<void>): void {
  cases.forEach(([name, count, bits, top], n) => {
    for (const map of [false, true]) {
      it(`${map ? 'map' : 'set'} of ${count} ${name} ${kind} over ${bits} bits${top ? ' at the top' : ''}`, async () => {
        const field = FIELDS[name]!;
        const rnd = new Random(n * 2 + (map ? 1 : 0));
        await test(field, rnd, randomWindow(rnd, field, bits, top !== undefined), count, map);
      });
    }
  });
}

describe('interval sets and maps against a reference', () => {
  forEachCase(INTERVAL_CASES, 'ranges', async (field, rnd, w, count, map) => {
    const ranges = randomRanges(rnd, count, w);
    await compareWithReference(field, ranges, probeKeys(rnd, field, ranges, w), { interval: true, map });
  });

  it('a ttl set with every boundary', async () => {
    const field = FIELDS.ttl!;
    const ranges = Array.from({ length: 128 }, (_, i): Range => ({ lo: BigInt(2 * i), hi: BigInt(2 * i), target: 0 }));
    await compareWithReference(field, ranges, Array.from({ length: 256 }, (_, i) => BigInt(i)), { interval: true, map: false });
  });
});

// Exact sets: the elements' keys and their neighbours are looked up, and
// random keys, mostly absent.
describe('exact sets and maps against a reference', () => {
  forEachCase(EXACT_CASES, 'keys', async (field, rnd, w, count, map) => {
    const keys = new Set<bigint>();
    while (keys.size < count) keys.add(inWindow(rnd, w));
    const ranges = [...keys].map((k): Range => ({ lo: k, hi: k, target: rnd.uint32() % TARGETS }));
    await compareWithReference(field, ranges, probeKeys(rnd, field, ranges, w), { interval: false, map });
  });

  it('concatenated keys', async () => {
    const rnd = new Random(7);
    const pairs = Array.from({ length: 3000 }, () => [rnd.uint32() % 64, rnd.uint32() % 64] as const);
    const member = new Set(pairs.map(([a, p]) => a * 65536 + p));
    const source = `table ip t {\n\tset s {\n\t\ttype ipv4_addr . inet_service\n\t\telements = { ${pairs.map(([a, p]) => `10.0.0.${a} . ${p}`).join(', ')} }\n\t}\n\tchain pre {\n\t\ttype filter hook prerouting priority filter; policy accept;\n\t\tip saddr . udp dport @s drop\n\t}\n}\n`;
    const probes = Array.from({ length: 64 * 64 }, (_, i) => [i >> 6, i & 63] as const);
    const filter = await createFilter(compile(source));
    const got: boolean[] = [];
    filter.processCapture(capture(probes.map(([a, p]) => frame({ src4: 0x0a000000 + a, dport: p }))), (b) => {
      for (let i = 0; i < b.count; i++) got.push(b.accepted(i));
    });
    expect(got).toEqual(probes.map(([a, p]) => !member.has(a * 65536 + p)));
  });
});

describe('dynamic sets against a reference', () => {
  // The keys in use slide along a window, each added with a timeout,
  // updated, deleted and looked up for a while and then left, so new keys
  // keep meeting dead elements on their probe paths and taking them over,
  // and the table is rebuilt without the dead ones.
  it('add, update, delete and lookups over timeouts', async () => {
    const TIMEOUT_MS = 200;
    const source = `table ip t {\n\tset d {\n\t\ttype ipv4_addr\n\t\tflags dynamic,timeout\n\t\ttimeout ${TIMEOUT_MS}ms\n\t}\n\tchain pre {\n\t\ttype filter hook prerouting priority filter; policy accept;\n\t\tudp dport 1 add @d { ip saddr }\n\t\tudp dport 2 update @d { ip saddr }\n\t\tudp dport 3 delete @d { ip saddr }\n\t\tudp dport 4 ip saddr @d drop\n\t}\n}\n`;
    const rnd = new Random(11);
    const ops = Array.from({ length: 30000 }, (_, i) => ({ op: 1 + (rnd.uint32() % 4), src: 0x0a000000 + Math.floor(i / 10) + (rnd.uint32() % 40) }));
    const filter = await createFilter(compile(source));
    const got: boolean[] = [];
    filter.processCapture(capture(ops.map(({ op, src }) => frame({ src4: src, dport: op }))), (b) => {
      for (let i = 0; i < b.count; i++) got.push(b.accepted(i));
    });
    // Expiry in milliseconds of capture time: an element is in the set
    // while it has not reached it.
    const expires = new Map<number, number>();
    const want = ops.map(({ op, src }, now) => {
      const live = (expires.get(src) ?? -1) > now;
      if (op === 1 && !live) expires.set(src, now + TIMEOUT_MS);
      else if (op === 2) expires.set(src, now + TIMEOUT_MS);
      else if (op === 3) expires.delete(src);
      return !(op === 4 && live);
    });
    expect(got.filter((x) => !x).length).toBeGreaterThan(1000);
    expect(got).toEqual(want);
  });
});
