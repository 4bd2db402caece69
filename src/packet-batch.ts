// One batch of per-packet results, read in place from the data plane's
// memory. Valid only during the callback that receives it: the next batch
// overwrites both the results and the input bytes they point into.
import { PacketResult, Verdict, PacketFate } from '../assembly/abi.js';
import type { Engine } from './engine.js';
import type { CtEventBatch } from './ct-event-batch.js';
import type { TraceBatch } from './trace-batch.js';

export class PacketBatch {
  readonly count: number;
  // 1-based number of the batch's first packet in the capture.
  readonly firstPacket: number;
  // The input buffer the packets' bytes lie in (see dataOffset).
  readonly input: Uint8Array;
  // Conntrack events and trace records of these packets, when the filter
  // was created with them switched on.
  readonly events: CtEventBatch | null;
  readonly trace: TraceBatch | null;
  private readonly results: DataView;

  constructor(engine: Engine, count: number, firstPacket: number, events: CtEventBatch | null = null, trace: TraceBatch | null = null) {
    const ex = engine.exports;
    this.count = count;
    this.firstPacket = firstPacket;
    this.results = engine.view(ex.resultsBuffer(), count * PacketResult.Size);
    this.input = engine.bytes(ex.inputBuffer(), ex.inputSize());
    this.events = events;
    this.trace = trace;
  }

  private at(i: number, field: PacketResult): number {
    return i * PacketResult.Size + field;
  }

  accepted(i: number): boolean {
    return this.results.getUint8(this.at(i, PacketResult.Verdict)) === Verdict.Accept;
  }

  fate(i: number): PacketFate {
    return this.results.getUint8(this.at(i, PacketResult.Fate));
  }

  ctState(i: number): number {
    return this.results.getUint8(this.at(i, PacketResult.CtState));
  }

  ctDirection(i: number): number {
    return this.results.getUint8(this.at(i, PacketResult.CtDirection));
  }

  ctId(i: number): number {
    return this.results.getUint32(this.at(i, PacketResult.CtId), true);
  }

  // Handle of the deciding rule; 0 when a chain policy (or nothing) decided.
  handle(i: number): number {
    return this.results.getUint32(this.at(i, PacketResult.Handle), true);
  }

  // Index of the chain that decided, or -1.
  chain(i: number): number {
    const c = this.results.getUint32(this.at(i, PacketResult.Chain), true);
    return c === 0xffffffff ? -1 : c;
  }

  timeNs(i: number): bigint {
    return this.results.getBigUint64(this.at(i, PacketResult.Time), true);
  }

  // The timestamp's 32-bit halves, for writers that must not allocate a
  // BigInt per packet.
  timeLow(i: number): number {
    return this.results.getUint32(this.at(i, PacketResult.Time), true);
  }

  timeHigh(i: number): number {
    return this.results.getUint32(this.at(i, PacketResult.Time) + 4, true);
  }

  // Where the packet's captured bytes start in `input`, and how many there are.
  dataOffset(i: number): number {
    return this.results.getUint32(this.at(i, PacketResult.DataOffset), true);
  }

  capturedLength(i: number): number {
    return this.results.getUint32(this.at(i, PacketResult.CapturedLength), true);
  }

  // The packet's whole capture record (record header and data), in place.
  record(i: number): Uint8Array {
    const off = this.results.getUint32(this.at(i, PacketResult.RecordOffset), true);
    const len = this.results.getUint32(this.at(i, PacketResult.RecordLength), true);
    return this.input.subarray(off, off + len);
  }

  // The packet's captured bytes (from the link-layer header on), in place.
  data(i: number): Uint8Array {
    const off = this.results.getUint32(this.at(i, PacketResult.DataOffset), true);
    const len = this.results.getUint32(this.at(i, PacketResult.CapturedLength), true);
    return this.input.subarray(off, off + len);
  }

  originalLength(i: number): number {
    return this.results.getUint32(this.at(i, PacketResult.OriginalLength), true);
  }

  linkType(i: number): number {
    return this.results.getUint32(this.at(i, PacketResult.LinkType), true);
  }
}
