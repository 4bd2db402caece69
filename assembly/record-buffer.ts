// Fixed-size records the data plane writes as packets pass and the host
// drains after each batch (trace records, log records). A batch ends while
// a packet's worth of room is left; records past the end are lost, and the
// loss is flagged.
export class RecordBuffer {
  start: usize = 0;
  capacity: u32 = 0;
  count: u32 = 0;
  truncated: bool = false;

  constructor(readonly size: u32, readonly reservePerPacket: u32) {}

  init(records: u32): usize {
    this.start = heap.alloc(<usize>records * this.size);
    this.capacity = records;
    this.count = 0;
    return this.start;
  }

  clear(): void {
    this.count = 0;
    this.truncated = false;
  }

  @inline enabled(): bool {
    return this.capacity != 0;
  }

  @inline roomForPacket(): bool {
    return this.count + this.reservePerPacket <= this.capacity;
  }

  // Where the next record goes, or 0 when there is no room for it.
  next(): usize {
    if (this.count == this.capacity) {
      this.truncated = true;
      return 0;
    }
    const r = this.start + <usize>this.count * this.size;
    this.count++;
    return r;
  }
}
