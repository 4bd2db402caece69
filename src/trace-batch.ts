// The trace records of one batch, read in place from the data plane's trace
// buffer (layout: assembly/abi.ts TraceRecord). Valid only during the
// callback that receives its batch.
import { TraceKind, TraceRecord, type PacketPath, type Verdict } from '../assembly/abi.js';
import type { Engine } from './engine.js';

export class TraceBatch {
  readonly count: number;
  // Records were lost: a packet met more rules than the buffer had room for.
  readonly truncated: boolean;
  private readonly view: DataView;

  constructor(engine: Engine) {
    const ex = engine.exports;
    this.count = ex.traceCount();
    this.truncated = ex.traceTruncated() !== 0;
    this.view = engine.view(ex.traceBuffer(), this.count * TraceRecord.Size);
  }

  private u32(j: number, field: TraceRecord): number {
    return this.view.getUint32(j * TraceRecord.Size + field, true);
  }

  // Index in the batch of the traced packet.
  packet(j: number): number {
    return this.u32(j, TraceRecord.Packet);
  }

  kind(j: number): TraceKind {
    return this.u32(j, TraceRecord.Kind);
  }

  chain(j: number): number {
    return this.u32(j, TraceRecord.Chain);
  }

  handle(j: number): number {
    return this.u32(j, TraceRecord.Handle);
  }

  verdict(j: number): Verdict {
    return this.view.getInt32(j * TraceRecord.Size + TraceRecord.Verdict, true);
  }

  target(j: number): number {
    return this.u32(j, TraceRecord.Target);
  }

  mark(j: number): number {
    return this.u32(j, TraceRecord.Mark);
  }

  path(j: number): PacketPath {
    return this.u32(j, TraceRecord.Path);
  }

  // The hook's device indices, 0 where it has none.
  inputDevice(j: number): number {
    return this.u32(j, TraceRecord.InputDevice);
  }

  outputDevice(j: number): number {
    return this.u32(j, TraceRecord.OutputDevice);
  }
}
