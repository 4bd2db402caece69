// Transport checksum verification (conntrack on prerouting) against a plain
// RFC 1071 sum written here: every payload length from 0 to 2000, over IPv4
// (with options of varying length, so the header starts at varying
// alignments) and IPv6, for UDP, TCP, ICMP and ICMPv6, each packet once with
// its checksum right and once damaged in its payload or its checksum field.
import { describe, expect, it } from 'vitest';
import { compile, createFilter, type PacketBatch } from '../../src/index.js';

const RULES = `table inet t {
	chain pre {
		type filter hook prerouting priority filter; policy accept;
		ct state invalid drop
	}
}`;

const UDP = 17;
const TCP = 6;
const ICMP = 1;
const ICMPV6 = 58;
const MAX_PAYLOAD = 2000;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

function sum16(bytes: Uint8Array, initial = 0): number {
  let s = initial;
  for (let i = 0; i < bytes.length; i += 2) s += (bytes[i]! << 8) | (i + 1 < bytes.length ? bytes[i + 1]! : 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

function pseudoHeader(src: Uint8Array, dst: Uint8Array, proto: number, length: number): Uint8Array {
  const p = new Uint8Array(src.length + dst.length + 8);
  p.set(src, 0);
  p.set(dst, src.length);
  const at = src.length + dst.length;
  new DataView(p.buffer).setUint32(at, length);
  p[at + 7] = proto;
  return p;
}

interface Built {
  frame: Uint8Array;
  valid: boolean;
}

function transport(proto: number, index: number, payload: Uint8Array): { l4: Uint8Array; field: number } {
  const header = proto === TCP ? 20 : 8;
  const l4 = new Uint8Array(header + payload.length);
  const v = new DataView(l4.buffer);
  l4.set(payload, header);
  if (proto === UDP) {
    v.setUint16(0, 1024 + index);
    v.setUint16(2, 53);
    v.setUint16(4, l4.length);
    return { l4, field: 6 };
  }
  if (proto === TCP) {
    v.setUint16(0, 1024 + index);
    v.setUint16(2, 80);
    v.setUint32(4, 1000 + index);
    l4[12] = 5 << 4;
    l4[13] = 0x02;
    v.setUint16(14, 65535);
    return { l4, field: 16 };
  }
  l4[0] = proto === ICMP ? 8 : 128;
  v.setUint16(4, index);
  v.setUint16(6, 1);
  return { l4, field: 2 };
}

// The IP packet in an Ethernet frame, and whether its transport checksum is
// right by the reference sum.
function build(v6: boolean, proto: number, index: number, payload: Uint8Array, damage: 'none' | 'payload' | 'field', random: () => number): Built {
  const src = v6 ? Uint8Array.from([0x20, 1, 0xd, 0xb8, ...new Array<number>(11).fill(0), 1]) : Uint8Array.from([10, 0, 0, 1]);
  const dst = v6 ? Uint8Array.from([0x20, 1, 0xd, 0xb8, ...new Array<number>(11).fill(0), 2]) : Uint8Array.from([10, 0, (index >> 8) & 0xff, index & 0xff]);
  const { l4, field } = transport(proto, index, payload);
  const pseudo = proto === ICMP ? 0 : sum16(pseudoHeader(src, dst, proto, l4.length));
  let check = ~sum16(l4, pseudo) & 0xffff;
  if (proto === UDP && check === 0) check = 0xffff;
  new DataView(l4.buffer).setUint16(field, check);
  if (damage === 'payload') {
    l4[l4.length - 1 - Math.floor(random() * payload.length)]! ^= 1 + Math.floor(random() * 255);
  } else if (damage === 'field') {
    // Never zero: a UDP checksum of zero means none.
    let damaged = 0;
    while (damaged === 0) damaged = check ^ (1 + Math.floor(random() * 0xffff));
    new DataView(l4.buffer).setUint16(field, damaged);
  }
  const valid = sum16(l4, pseudo) === 0xffff;

  let ip: Uint8Array;
  if (v6) {
    ip = new Uint8Array(40 + l4.length);
    const v = new DataView(ip.buffer);
    ip[0] = 0x60;
    v.setUint16(4, l4.length);
    ip[6] = proto;
    ip[7] = 64;
    ip.set(src, 8);
    ip.set(dst, 24);
    ip.set(l4, 40);
  } else {
    const options = (index % 11) * 4;
    const hlen = 20 + options;
    ip = new Uint8Array(hlen + l4.length);
    const v = new DataView(ip.buffer);
    ip[0] = 0x40 | (hlen / 4);
    v.setUint16(2, ip.length);
    v.setUint16(4, index);
    ip[8] = 64;
    ip[9] = proto;
    ip.set(src, 12);
    ip.set(dst, 16);
    ip.fill(1, 20, hlen);
    v.setUint16(10, ~sum16(ip.subarray(0, hlen)) & 0xffff);
    ip.set(l4, hlen);
  }
  const frame = new Uint8Array(14 + ip.length);
  frame.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, v6 ? 0x86 : 0x08, v6 ? 0xdd : 0x00]);
  frame.set(ip, 14);
  return { frame, valid };
}

function pcap(frames: readonly Uint8Array[]): Uint8Array {
  const size = 24 + frames.reduce((n, f) => n + 16 + f.length, 0);
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  v.setUint32(0, 0xa1b2c3d4, true);
  v.setUint16(4, 2, true);
  v.setUint16(6, 4, true);
  v.setUint32(16, 262144, true);
  v.setUint32(20, 1, true);
  let at = 24;
  frames.forEach((f, i) => {
    v.setUint32(at, 1_700_000_000, true);
    v.setUint32(at + 4, i % 1_000_000, true);
    v.setUint32(at + 8, f.length, true);
    v.setUint32(at + 12, f.length, true);
    out.set(f, at + 16);
    at += 16 + f.length;
  });
  return out;
}

describe('transport checksum verification', () => {
  const cases: [string, boolean, number][] = [
    ['UDP over IPv4', false, UDP],
    ['TCP over IPv4', false, TCP],
    ['ICMP', false, ICMP],
    ['UDP over IPv6', true, UDP],
    ['ICMPv6', true, ICMPV6],
  ];
  it.each(cases)('%s: every length, right and damaged, as the reference sum says', async (_name, v6, proto) => {
    const random = rng(proto * 7919 + (v6 ? 1 : 0));
    const built: Built[] = [];
    for (let len = 0; len <= MAX_PAYLOAD; len++) {
      const payload = Uint8Array.from({ length: len }, () => Math.floor(random() * 256));
      built.push(build(v6, proto, built.length, payload, 'none', random));
      built.push(build(v6, proto, built.length, payload, len > 0 && random() < 0.5 ? 'payload' : 'field', random));
    }
    const filter = await createFilter(compile(RULES));
    const accepted: boolean[] = [];
    filter.processCapture(pcap(built.map((b) => b.frame)), (b: PacketBatch) => {
      for (let i = 0; i < b.count; i++) accepted.push(b.accepted(i));
    });
    expect(built.filter((b) => b.valid).length).toBe(MAX_PAYLOAD + 1);
    expect(accepted).toEqual(built.map((b) => b.valid));
  });
});
