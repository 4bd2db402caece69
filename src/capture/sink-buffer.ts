/** Receives finished chunks of a capture file. The chunk is handed over: the writer never touches it again. */
export type CaptureSink = (chunk: Uint8Array) => void;

export const DEFAULT_BUFFER_SIZE = 1 << 20;

/**
 * Batches small writes into one large buffer so the sink sees few, big chunks.
 * After a flush the buffer is replaced rather than reused, because sinks such as
 * stream writes and Blob parts may keep a reference to the chunk they were given.
 */
export class SinkBuffer {
  bytes: Uint8Array;
  view: DataView;
  position = 0;
  /** Bytes handed to the sink plus bytes still buffered. */
  private flushedBytes = 0;

  constructor(
    private readonly sink: CaptureSink,
    private readonly capacity: number = DEFAULT_BUFFER_SIZE,
  ) {
    if (!Number.isInteger(capacity) || capacity < 64) throw new RangeError(`buffer size must be an integer >= 64, got ${capacity}`);
    this.bytes = new Uint8Array(capacity);
    this.view = new DataView(this.bytes.buffer);
  }

  get bytesWritten(): number {
    return this.flushedBytes + this.position;
  }

  /** Makes room for `length` contiguous bytes at `position`. */
  reserve(length: number): void {
    if (this.position + length <= this.bytes.length) return;
    this.flush();
    if (length > this.bytes.length) this.replaceBuffer(length);
  }

  /** Appends bytes of any length, spilling through the buffer in pieces. */
  append(data: Uint8Array): void {
    let offset = 0;
    while (offset < data.length) {
      if (this.position === this.bytes.length) this.flush();
      const take = Math.min(data.length - offset, this.bytes.length - this.position);
      this.bytes.set(data.subarray(offset, offset + take), this.position);
      this.position += take;
      offset += take;
    }
  }

  flush(): void {
    if (this.position === 0) return;
    const chunk = this.bytes.subarray(0, this.position);
    this.flushedBytes += this.position;
    this.replaceBuffer(this.capacity);
    this.sink(chunk);
  }

  private replaceBuffer(size: number): void {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
    this.position = 0;
  }
}
