// The conntrack events of one batch, read in place from the data plane's
// event ring (layout: assembly/abi.ts CtEventRecord). Valid only during the
// callback that receives its batch.
import { CtEvent, CtEventRecord } from '../assembly/abi.js';
import type { Engine } from './engine.js';
import { readConntrackEntry, type ConntrackEntry } from './conntrack-table.js';

export const CT_EVENT_NAMES: Record<CtEvent, string> = {
  [CtEvent.New]: 'NEW',
  [CtEvent.Update]: 'UPDATE',
  [CtEvent.Destroy]: 'DESTROY',
};

export class CtEventBatch {
  readonly count: number;
  private readonly bytes: Uint8Array;
  private readonly view: DataView;

  constructor(engine: Engine) {
    const ex = engine.exports;
    this.count = ex.eventsCount();
    this.bytes = engine.bytes(ex.eventsBuffer(), this.count * CtEventRecord.Size);
    this.view = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
  }

  type(j: number): CtEvent {
    return this.view.getUint32(j * CtEventRecord.Size + CtEventRecord.Type, true);
  }

  // Index in the batch of the packet that caused the event, or -1.
  packet(j: number): number {
    const p = this.view.getUint32(j * CtEventRecord.Size + CtEventRecord.Packet, true);
    return p === 0xffffffff ? -1 : p;
  }

  timeNs(j: number): bigint {
    return this.view.getBigUint64(j * CtEventRecord.Size + CtEventRecord.Time, true);
  }

  entry(j: number): ConntrackEntry {
    const at = j * CtEventRecord.Size;
    return readConntrackEntry(this.bytes, this.view, at + CtEventRecord.Entry, this.view, at + CtEventRecord.Acct, this.bytes, at + CtEventRecord.Nat);
  }
}
