import { type CaptureSink, DEFAULT_BUFFER_SIZE, SinkBuffer } from './sink-buffer.js';
import { TimestampSplitter } from './timestamp.js';

export type { CaptureSink } from './sink-buffer.js';

export const PCAP_MAGIC_MICROSECONDS = 0xa1b2c3d4;
export const PCAP_MAGIC_NANOSECONDS = 0xa1b23c4d;
export const PCAP_FILE_HEADER_LENGTH = 24;
export const PCAP_RECORD_HEADER_LENGTH = 16;
export const DEFAULT_SNAPLEN = 262144;

export interface PcapWriterOptions {
  /** LINKTYPE_* value, e.g. 1 for Ethernet, 101 for raw IP. */
  linktype: number;
  /** Packets longer than this are truncated; their original length is kept in the record. */
  snaplen?: number;
  /** Record nanosecond instead of microsecond fractions (selects the magic number). */
  nanosecond?: boolean;
  /** Bytes batched before the sink is called. */
  bufferSize?: number;
}

/**
 * Streams a classic pcap file in little-endian byte order. It uses no Node
 * built-ins, so the same writer serves files, stdout and browsers.
 */
export class PcapWriter {
  readonly linktype: number;
  readonly snaplen: number;
  readonly nanosecond: boolean;
  private readonly out: SinkBuffer;
  private readonly splitter = new TimestampSplitter();
  private readonly fractionDivisor: number;

  constructor(sink: CaptureSink, options: PcapWriterOptions) {
    const { linktype, snaplen = DEFAULT_SNAPLEN, nanosecond = false, bufferSize = DEFAULT_BUFFER_SIZE } = options;
    checkUint32('linktype', linktype);
    checkUint32('snaplen', snaplen);
    if (snaplen === 0) throw new RangeError('snaplen must be positive');
    this.linktype = linktype;
    this.snaplen = snaplen;
    this.nanosecond = nanosecond;
    this.fractionDivisor = nanosecond ? 1 : 1000;
    this.out = new SinkBuffer(sink, bufferSize);

    this.out.reserve(PCAP_FILE_HEADER_LENGTH);
    const view = this.out.view;
    const at = this.out.position;
    view.setUint32(at, nanosecond ? PCAP_MAGIC_NANOSECONDS : PCAP_MAGIC_MICROSECONDS, true);
    view.setUint16(at + 4, 2, true);
    view.setUint16(at + 6, 4, true);
    view.setInt32(at + 8, 0, true); // thiszone: timestamps are UTC
    view.setUint32(at + 12, 0, true); // sigfigs: always 0 in practice
    view.setUint32(at + 16, snaplen, true);
    view.setUint32(at + 20, linktype, true);
    this.out.position += PCAP_FILE_HEADER_LENGTH;
  }

  /** Bytes of the file produced so far, buffered or not. */
  get bytesWritten(): number {
    return this.out.bytesWritten;
  }

  /**
   * Appends one record. `tsNs` is nanoseconds since the Unix epoch; microsecond
   * files truncate it. `origLen` is the length on the wire when `data` is already
   * a truncated capture.
   */
  writePacket(tsNs: bigint, data: Uint8Array, origLen: number = data.length): void {
    this.splitter.split(tsNs);
    this.writePacketFrom(data, 0, data.length, origLen, this.splitter.high, this.splitter.low);
  }

  /**
   * Appends one record whose bytes are `length` bytes of `source` at `offset`
   * and whose timestamp is given by its 32-bit halves: no allocation per
   * packet, for packets read in place from the data plane's memory.
   */
  writePacketFrom(source: Uint8Array, offset: number, length: number, origLen: number, tsHigh: number, tsLow: number): void {
    const capturedLength = length < this.snaplen ? length : this.snaplen;
    const out = this.out;
    out.reserve(PCAP_RECORD_HEADER_LENGTH + capturedLength);
    this.splitter.divideParts(tsHigh, tsLow, 1_000_000_000);
    const view = out.view;
    const at = out.position;
    view.setUint32(at, this.splitter.quotientLow, true);
    view.setUint32(at + 4, Math.floor(this.splitter.remainder / this.fractionDivisor), true);
    view.setUint32(at + 8, capturedLength, true);
    view.setUint32(at + 12, origLen > capturedLength ? origLen : capturedLength, true);
    out.bytes.set(source.subarray(offset, offset + capturedLength), at + PCAP_RECORD_HEADER_LENGTH);
    out.position = at + PCAP_RECORD_HEADER_LENGTH + capturedLength;
  }

  /**
   * Appends already-encoded records (header and data) verbatim, e.g. records
   * copied from an input capture. They must use this file's timestamp resolution
   * and little-endian order; nothing is checked.
   */
  writeRecords(bytes: Uint8Array): void {
    this.out.append(bytes);
  }

  /** Hands everything buffered to the sink. */
  flush(): void {
    this.out.flush();
  }
}

function checkUint32(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new RangeError(`${name} must be a 32-bit unsigned integer, got ${value}`);
}
