// Captures the benchmarks run over: the generated traffic, cached on disk by
// its parameters (a million packets take seconds to generate), and small
// crafted UDP captures built in memory for the micro benchmarks.
import { closeSync, existsSync, mkdirSync, openSync, readSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { generateCapture } from './generate.js';
import { FrameBuilder } from './packets.js';
import { PcapWriter } from '../src/capture/pcap-writer.js';

export const CACHE_DIR = fileURLToPath(new URL('../../bench/.cache/', import.meta.url));
export const BENCH_DIR = fileURLToPath(new URL('../../bench/', import.meta.url));
export const REPO_DIR = fileURLToPath(new URL('../../', import.meta.url));

export interface TrafficSpec {
  packets: number;
  flows: number;
  seed: number;
}

// The path of the generated capture for spec, generating it on first use.
export function trafficCapture(spec: TrafficSpec, log: (s: string) => void = () => {}): string {
  mkdirSync(CACHE_DIR, { recursive: true });
  const path = join(CACHE_DIR, `traffic-p${spec.packets}-f${spec.flows}-s${spec.seed}.pcap`);
  if (existsSync(path)) return path;
  log(`generating ${path}\n`);
  const partial = `${path}.partial`;
  const fd = openSync(partial, 'w');
  try {
    generateCapture(spec, (chunk) => {
      for (let at = 0; at < chunk.length; ) at += writeSync(fd, chunk, at);
    });
  } finally {
    closeSync(fd);
  }
  renameSync(partial, path);
  return path;
}

const PCAP_HEADER_BYTES = 24;

// A capture of no packets with the header of capture `of`: what starting
// and ending a run costs.
export function emptyCapture(of: string): string {
  const header = new Uint8Array(PCAP_HEADER_BYTES);
  const fd = openSync(of, 'r');
  try {
    readSync(fd, header, 0, PCAP_HEADER_BYTES, 0);
  } finally {
    closeSync(fd);
  }
  const path = join(CACHE_DIR, 'empty.pcap');
  writeFileSync(path, header);
  return path;
}

const LINKTYPE_ETHERNET = 1;
const ARP_FRAME = 42;
const START_NS = 1_700_000_000_000_000_000n;
const GAP_NS = 1000n;
const CLIENT_BASE = 0x0a000000;
const SERVER = 0xc0000201;

function collect(build: (writer: PcapWriter) => void): Uint8Array {
  const chunks: Uint8Array[] = [];
  const writer = new PcapWriter((c) => chunks.push(c.slice()), { linktype: LINKTYPE_ETHERNET, nanosecond: true });
  build(writer);
  writer.flush();
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

// UDP client-to-server packets over `flows` distinct tuples in turn; with
// flows >= packets every packet has a tuple of its own. A capture from
// tuple `first` on continues one of `first` packets, `gap` nanoseconds
// apart.
export function udpCapture(packets: number, flows: number, first = 0, gap = GAP_NS): Uint8Array {
  const b = new FrameBuilder();
  return collect((w) => {
    for (let i = 0; i < packets; i++) {
      const f = first + (i % flows);
      const len = b.udp(CLIENT_BASE + (f >>> 8), SERVER, true, 1024 + (f & 0xff), 53, i & 0xffff, true, 32);
      w.writePacket(START_NS + BigInt(first + i) * gap, b.frame.subarray(0, len));
    }
  });
}

// Frames no hook sees (ARP): what walking the records costs on its own.
export function arpCapture(packets: number): Uint8Array {
  const frame = new Uint8Array(ARP_FRAME);
  frame.fill(0xff, 0, 6);
  frame[12] = 0x08;
  frame[13] = 0x06;
  return collect((w) => {
    for (let i = 0; i < packets; i++) w.writePacket(START_NS + BigInt(i) * GAP_NS, frame);
  });
}
