// The capture shapes the whole-run comparison covers, each a kind of
// traffic a firewall meets: a mix of many connections, a few long
// connections of large packets, and a flood of new connections.
import { closeSync, existsSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { CACHE_DIR, trafficCapture } from './captures.js';
import { FrameBuilder } from './packets.js';
import { Random } from './random.js';
import { PcapWriter } from '../src/capture/pcap-writer.js';

export interface Shape {
  name: string;
  describe: string;
  capture: (packets: number, log: (s: string) => void) => string;
}

const LINKTYPE_ETHERNET = 1;
const START_NS = 1_700_000_000_000_000_000n;
const TCP_SYN = 0x02;
const CLIENT_BASE = 0x0a000000;
const SERVER = 0xc0000201;

// SYNs from ever new client ports and addresses to a web server, 1 µs
// apart: every packet is a new connection, which the ruleset admits.
function synFlood(packets: number, log: (s: string) => void): string {
  mkdirSync(CACHE_DIR, { recursive: true });
  const path = join(CACHE_DIR, `synflood-p${packets}.pcap`);
  if (existsSync(path)) return path;
  log(`generating ${path}\n`);
  const partial = `${path}.partial`;
  const fd = openSync(partial, 'w');
  try {
    const b = new FrameBuilder();
    const random = new Random(7);
    const writer = new PcapWriter((chunk) => {
      for (let at = 0; at < chunk.length; ) at += writeSync(fd, chunk, at);
    }, { linktype: LINKTYPE_ETHERNET, nanosecond: false });
    for (let i = 0; i < packets; i++) {
      const client = CLIENT_BASE + (i >>> 14);
      const len = b.tcp(client, SERVER, true, 1024 + (i & 0x3fff), 80, random.below(0x7fffffff), 0, TCP_SYN, 64240, i & 0xffff, 0);
      writer.writePacket(START_NS + BigInt(i) * 1000n, b.frame.subarray(0, len));
    }
    writer.flush();
  } finally {
    closeSync(fd);
  }
  renameSync(partial, path);
  return path;
}

export const SHAPES: Shape[] = [
  {
    name: 'mix',
    describe: 'many connections: web, SSH, DNS, ping with handshakes and endings, 100000 open at once',
    capture: (packets, log) => trafficCapture({ packets, flows: 100_000, seed: 1 }, log),
  },
  {
    name: 'few large',
    describe: 'the same services over 16 connections open at once: long transfers, large packets',
    capture: (packets, log) => trafficCapture({ packets, flows: 16, seed: 2 }, log),
  },
  {
    name: 'syn flood',
    describe: 'a SYN to port 80 from a new source port in every packet: every packet a new connection',
    capture: synFlood,
  },
];
