// A tcpdump capture inside a namespace that is known to be complete when it
// is stopped: every packet the kernel handed to the capture socket is in the file.
import { readFile, stat } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { BackgroundProcess } from "./netns.js";
import { encodePcapng, type TestPacket } from "../host/captures.js";

export interface CaptureStats {
  captured: number;
  receivedByFilter: number;
  droppedByKernel: number;
}

const START_TIMEOUT_MS = 5000;
// Longer than the kernel's TCP delayed-ACK maximum and minimum RTO (200 ms
// each): a late ACK or retransmission after a shorter quiet spell reached
// the kernel's counters but not the capture.
const QUIET_MS = 450;
const QUIET_TIMEOUT_MS = 5000;
const POLL_MS = 25;

export class Capture {
  private constructor(
    private readonly tcpdump: BackgroundProcess,
    private readonly file: string,
    private readonly seesLoopback: boolean,
  ) {}

  /** options: more of tcpdump's, e.g. -B for bursts of thousands of packets, -Q in. */
  static async start(ns: string, iface: string, file: string, options = ""): Promise<Capture> {
    // -Z root: Debian's tcpdump otherwise drops to the tcpdump user before
    // opening the output file. --immediate-mode so packets reach the file as
    // they arrive and "quiet file" below means "no packets in flight".
    // lo's 64 KiB packets overflow libpcap's default 2 MiB buffer when the
    // machine is busy and tcpdump drains it late: 32 MiB for every capture.
    const buffer = " -B 32768";
    const tcpdump = new BackgroundProcess(
      ns,
      `tcpdump -n -i ${iface} -s 0${buffer} -U --immediate-mode ${options} -Z root -w ${file}`,
    );
    await tcpdump.waitForStderr("listening on", START_TIMEOUT_MS);
    return new Capture(tcpdump, file, iface === "lo" || iface === "any");
  }

  /** Waits until the file stops growing, stops tcpdump and returns the capture. */
  async stop(): Promise<{ pcap: Buffer; stats: CaptureStats }> {
    await this.waitUntilQuiet();
    await this.tcpdump.stop("SIGINT");
    const stats = parseStats(this.tcpdump.stderr);
    // The filter sees a packet on lo twice, going out and coming in;
    // libpcap keeps the copy coming in.
    const complete = this.seesLoopback
      ? stats.captured * 2 >= stats.receivedByFilter
      : stats.captured === stats.receivedByFilter;
    if (!complete || stats.droppedByKernel !== 0) {
      throw new Error(`capture incomplete: ${JSON.stringify(stats)}`);
    }
    return { pcap: await readFile(this.file), stats };
  }

  /** Stops tcpdump without reading the file, for cleanup after a failure. */
  async abort(): Promise<void> {
    await this.tcpdump.stop("SIGKILL");
  }

  private async waitUntilQuiet(): Promise<void> {
    const deadline = Date.now() + QUIET_TIMEOUT_MS;
    let size = (await stat(this.file)).size;
    let quietSince = Date.now();
    while (Date.now() - quietSince < QUIET_MS) {
      if (Date.now() > deadline) throw new Error(`capture still growing after ${QUIET_TIMEOUT_MS} ms`);
      await sleep(POLL_MS);
      const current = (await stat(this.file)).size;
      if (current !== size) {
        size = current;
        quietSince = Date.now();
      }
    }
  }
}

function parseStats(stderr: string): CaptureStats {
  const count = (label: string): number => {
    const match = new RegExp(`(\\d+) packets? ${label}`).exec(stderr);
    if (!match) throw new Error(`tcpdump did not report "${label}": ${stderr.trim()}`);
    return Number(match[1]);
  };
  return {
    captured: count("captured"),
    receivedByFilter: count("received by filter"),
    droppedByKernel: count("dropped by kernel"),
  };
}

// The records of a tcpdump capture (microseconds, this host's byte order),
// as pcapng packets of one interface named as the capture's device.
export function asNamedPcapng(pcap: Buffer, name: string): Uint8Array {
  const packets: TestPacket[] = [];
  for (let at = 24; at + 16 <= pcap.length; ) {
    const caplen = pcap.readUInt32LE(at + 8);
    const tsNs = BigInt(pcap.readUInt32LE(at)) * 1_000_000_000n + BigInt(pcap.readUInt32LE(at + 4)) * 1000n;
    packets.push({ tsNs, data: pcap.subarray(at + 16, at + 16 + caplen), origLen: pcap.readUInt32LE(at + 12) });
    at += 16 + caplen;
  }
  return encodePcapng([
    { type: "section" },
    { type: "interface", linktype: pcap.readUInt32LE(20), name },
    ...packets.map((packet) => ({ type: "epb" as const, packet, unitNs: 1000n })),
  ]);
}
