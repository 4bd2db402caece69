// Everything a run writes per packet: accepted and dropped packets to
// capture files, and JSON lines, trace lines and conntrack events to
// standard output, interleaved in packet order.
import { OutputClass } from '../../assembly/abi.js';
import type { Ruleset } from '../../compiler/index.js';
import type { Filter } from '../filter.js';
import type { PacketBatch } from '../packet-batch.js';
import { CaptureFile, type CaptureFormat, captureFormatFor } from './capture-file.js';
import { ctEventJson, ctEventLine } from './ct-event-format.js';
import { FdOutput, TextOutput } from './fd-output.js';
import { packetJson } from './packet-json.js';
import { FATE_NAMES } from './names.js';
import { PacketFate } from '../../assembly/abi.js';
import type { Paint } from './style.js';
import { TraceFormatter } from './trace-format.js';
import type { LogFile } from './log-file.js';

const UNTRACED_WHY: Record<PacketFate, string> = {
  [PacketFate.Filtered]: 'met no chain of the ruleset on its path',
  [PacketFate.NotIp]: 'met no hook: it is not IP',
  [PacketFate.Malformed]: 'met no hook: it is malformed',
  [PacketFate.Fragment]: 'met no hook: it is a fragment held until the rest of its datagram arrives',
  [PacketFate.OtherHost]: 'met no hook: it was sent to another host\'s link-layer address',
  [PacketFate.BadChecksum]: 'met no hook: its IPv4 header checksum is wrong',
  [PacketFate.Martian]: 'met no chain of the ruleset before routing dropped it as a martian',
  [PacketFate.BadIpOptions]: 'met no chain of the ruleset before routing dropped it for its IP options',
  [PacketFate.TtlExceeded]: 'met no chain of the ruleset before forwarding dropped it, its TTL spent',
  [PacketFate.ConntrackFull]: 'met no chain of the ruleset before conntrack dropped it, its table full',
  [PacketFate.HelperRefused]: 'met no chain of the ruleset before a conntrack helper dropped it',
  [PacketFate.NoRoute]: 'met no chain of the ruleset before routing found no way to a group the host has not joined',
  [PacketFate.NatFailed]: 'was dropped by NAT, which could not rewrite it',
  [PacketFate.ForwardedCopy]: 'met no hook: it is the copy of a forwarded packet leaving the host',
};

export interface RunOutputOptions {
  write?: string;
  dropped?: string;
  format?: CaptureFormat;
  json: boolean;
  events: boolean;
  trace: boolean;
  // The packets --trace names, each said to be untraced when it met no chain.
  tracePackets?: readonly number[];
  // Conntrack accounting is on: events carry packets= bytes=.
  accounting: boolean;
  paint: Paint;
  // The host's interfaces by index, which trace lines name.
  deviceNames?: ReadonlyMap<number, string>;
  // The file of --log, which the filter's log listener fills.
  log?: LogFile;
}

export class RunOutputs {
  readonly accepted: CaptureFile | null;
  readonly dropped: CaptureFile | null;
  private readonly text: TextOutput;
  private readonly trace: TraceFormatter | null;
  private readonly perPacketText: boolean;
  private readonly traced: ReadonlySet<number>;
  private readonly emit = (line: string) => this.text.line(line);

  constructor(private readonly ruleset: Ruleset, private readonly o: RunOutputOptions, stdout: FdOutput = FdOutput.stdout()) {
    this.accepted = o.write ? new CaptureFile(o.write, captureFormatFor(o.write, o.format)) : null;
    this.dropped = o.dropped ? new CaptureFile(o.dropped, captureFormatFor(o.dropped, o.format)) : null;
    this.text = new TextOutput(stdout);
    this.trace = o.trace ? new TraceFormatter(ruleset, o.json ? (_c, t) => t : o.paint, o.deviceNames) : null;
    this.perPacketText = o.json || o.events || o.trace;
    this.traced = new Set(o.tracePackets);
  }

  // A single data plane writes the capture files itself: no JavaScript per
  // packet for them.
  feedFrom(filter: Filter): void {
    this.accepted?.feedFrom(filter, OutputClass.Accepted);
    this.dropped?.feedFrom(filter, OutputClass.Dropped);
  }

  get wantsBatches(): boolean {
    return this.perPacketText || this.byHost(this.accepted) !== null || this.byHost(this.dropped) !== null;
  }

  private byHost(file: CaptureFile | null): CaptureFile | null {
    return file && !file.fedByDataPlane ? file : null;
  }

  // The copy of a forwarded packet is what the kernel sent of a packet
  // written already: no file gets it.
  private write(batch: PacketBatch, i: number, accepted: CaptureFile | null, dropped: CaptureFile | null): void {
    if (batch.fate(i) === PacketFate.ForwardedCopy) return;
    (batch.accepted(i) ? accepted : dropped)?.add(batch, i);
  }

  readonly onBatch = (batch: PacketBatch): void => {
    const accepted = this.byHost(this.accepted);
    const dropped = this.byHost(this.dropped);
    if (!this.perPacketText) {
      for (let i = 0; i < batch.count; i++) this.write(batch, i, accepted, dropped);
      return;
    }
    const events = this.o.events ? batch.events : null;
    const trace = this.trace && batch.trace ? batch.trace : null;
    let ev = 0;
    let tr = 0;
    // Events no packet caused (none today) come first, then per packet.
    while (events && ev < events.count && events.packet(ev) < 0) this.event(batch, ev++);
    for (let i = 0; i < batch.count; i++) {
      this.write(batch, i, accepted, dropped);
      if (this.o.json) this.text.line(packetJson(this.ruleset, batch, i));
      if (trace && tr < trace.count && trace.packet(tr) === i) tr = this.trace!.lines(batch, i, tr, this.emit, this.o.json);
      else if (this.traced.has(batch.firstPacket + i)) this.untraced(batch, i);
      while (events && ev < events.count && events.packet(ev) === i) this.event(batch, ev++);
    }
    if (trace?.truncated) this.text.line(this.o.json ? '{"type":"trace-truncated"}' : 'nftwasm: trace records were lost: a packet met more rules than the trace buffer holds');
    this.text.flush();
  };

  // nft monitor trace shows nothing for a packet no chain saw; asked for
  // by number, it is said why.
  private untraced(batch: PacketBatch, i: number): void {
    const packet = batch.firstPacket + i;
    const fate = batch.fate(i);
    if (this.o.json) {
      this.text.line(JSON.stringify({ type: 'trace', packet, untraced: fate === PacketFate.Filtered ? 'no-chain' : FATE_NAMES[fate] }));
      return;
    }
    this.text.line(`nftwasm: --trace: packet ${packet} ${UNTRACED_WHY[fate]}`);
  }

  private event(batch: PacketBatch, j: number): void {
    const events = batch.events!;
    const packet = events.packet(j);
    const type = events.type(j);
    const entry = events.entry(j);
    const time = events.timeNs(j);
    this.text.line(this.o.json ? ctEventJson(type, entry, time, packet < 0 ? null : batch.firstPacket + packet) : ctEventLine(type, entry, time, this.o.accounting, this.o.paint));
  }

  // Text out now; capture files hand their buffers to the kernel.
  flush(): void {
    this.text.flush();
    this.o.log?.flush();
    this.accepted?.flush();
    this.dropped?.flush();
  }

  close(linktypeIfEmpty: number): void {
    this.text.flush();
    this.o.log?.close();
    this.accepted?.close(linktypeIfEmpty);
    this.dropped?.close(linktypeIfEmpty);
  }
}
