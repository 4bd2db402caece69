/**
 * Deterministic benchmark capture: Ethernet/IPv4 traffic as a firewall in
 * front of a few servers would see it, so a ruleset using ct state, port sets,
 * address intervals and ICMP has realistic work to do, and runs can be
 * compared byte for byte.
 *
 * Clients in 10.0.0.0/8 talk to servers in 192.0.2.0/24 and 198.51.100.0/24:
 * TCP to ports 80, 443, 8000 and 22 with complete handshakes, in-window data
 * in both directions and FIN or RST endings (some connections refused), DNS
 * over UDP to 53 and 5353, and ICMP echo. About 1% of packets belong to no
 * flow (orphan ACKs and RSTs, SYN+FIN, null and Xmas scans, UDP to random
 * ports). Checksums are correct throughout because conntrack verifies them.
 * Many flows are open at once and interleave packet by packet; packets arrive
 * about 1 µs apart, so round trips stay far below every conntrack timeout.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { PcapWriter } from '../src/capture/pcap-writer.js';
import { FlowTable, type ServiceName, type StrayKind, type TcpEnding } from './flows.js';
import { Random } from './random.js';

export interface GenerateOptions {
  packets: number;
  /** Flows open at the same time once the capture has warmed up. */
  flows: number;
  seed: number;
  nanosecond?: boolean;
}

export interface GenerateStats {
  packets: number;
  /** Size of the capture file. */
  bytes: number;
  /** From the first to the last packet. */
  durationNs: number;
  flowsOpened: number;
  flowsCompleted: number;
  openFlowsAtEnd: number;
  flowsByService: Record<ServiceName, number>;
  packetsByService: Record<ServiceName, number>;
  strayPackets: Record<StrayKind, number>;
  tcpEndings: Record<TcpEnding, number>;
}

const LINKTYPE_ETHERNET = 1;
/** 2023-11-14T22:13:20Z: fixed so that captures do not depend on the clock. */
const START_NS = 1_700_000_000_000_000_000n;
const MEAN_GAP_NS = 1000;
const STRAY_SHARE = 0.01;

export function generateCapture(options: GenerateOptions, sink: (chunk: Uint8Array) => void): GenerateStats {
  const { packets, flows, seed, nanosecond = false } = options;
  if (!Number.isSafeInteger(packets) || packets < 0) throw new RangeError(`packets must be a non-negative integer, got ${packets}`);
  if (!Number.isSafeInteger(flows) || flows < 1) throw new RangeError(`flows must be a positive integer, got ${flows}`);
  const random = new Random(seed);
  const table = new FlowTable(flows, random);
  const writer = new PcapWriter(sink, { linktype: LINKTYPE_ETHERNET, nanosecond });
  const frame = table.builder.frame;

  let offsetNs = 0;
  for (let i = 0; i < packets; i++) {
    // Poisson arrivals; the +1 keeps nanosecond timestamps strictly increasing.
    if (i > 0) offsetNs += 1 + Math.floor(random.exponential(MEAN_GAP_NS - 1));
    const length = random.chance(STRAY_SHARE) ? table.stray() : table.step(random.below(flows));
    writer.writePacket(START_NS + BigInt(offsetNs), frame.subarray(0, length));
  }
  writer.flush();

  const { counts } = table;
  return {
    packets,
    bytes: writer.bytesWritten,
    durationNs: offsetNs,
    flowsOpened: counts.flowsOpened,
    flowsCompleted: counts.flowsCompleted,
    openFlowsAtEnd: table.openFlows,
    flowsByService: counts.flowsByService,
    packetsByService: counts.packetsByService,
    strayPackets: counts.strayPackets,
    tcpEndings: counts.tcpEndings,
  };
}

const USAGE = 'usage: generate --packets N --flows N --seed N --out FILE [--nanosecond]';

/** Command line entry point; returns the exit code. */
export function main(argv: readonly string[]): number {
  const values = new Map<string, string>();
  let nanosecond = false;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === '--nanosecond') nanosecond = true;
    else if (['--packets', '--flows', '--seed', '--out'].includes(flag) && i + 1 < argv.length) values.set(flag, argv[++i]!);
    else {
      console.error(`${USAGE}\nunexpected argument: ${flag}`);
      return 2;
    }
  }
  const out = values.get('--out');
  const numbers = ['--packets', '--flows', '--seed'].map((flag) => Number(values.get(flag) ?? 'NaN'));
  const [packets, flows, seed] = numbers as [number, number, number];
  if (out === undefined || numbers.some((n) => !Number.isSafeInteger(n))) {
    console.error(USAGE);
    return 2;
  }

  const fd = openSync(out, 'w');
  const started = performance.now();
  let stats: GenerateStats;
  try {
    stats = generateCapture({ packets, flows, seed, nanosecond }, (chunk) => {
      for (let written = 0; written < chunk.length; ) written += writeSync(fd, chunk, written);
    });
  } finally {
    closeSync(fd);
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(JSON.stringify({ ...stats, out, seconds: Number(seconds.toFixed(3)), packetsPerSecond: Math.round(packets / seconds) }, null, 2));
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = main(process.argv.slice(2));
