import { DEFAULT_SNAPLEN } from './pcap-writer.js';
import { type CaptureSink, DEFAULT_BUFFER_SIZE, SinkBuffer } from './sink-buffer.js';
import { TimestampSplitter } from './timestamp.js';

export type { CaptureSink } from './sink-buffer.js';

export const PCAPNG_SECTION_HEADER_BLOCK = 0x0a0d0d0a;
export const PCAPNG_INTERFACE_DESCRIPTION_BLOCK = 0x00000001;
export const PCAPNG_ENHANCED_PACKET_BLOCK = 0x00000006;
export const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const OPTION_END = 0;
const OPTION_IF_TSRESOL = 9;
const SECTION_HEADER_LENGTH = 28;
const ENHANCED_PACKET_OVERHEAD = 32;

export interface PcapngInterface {
  /** LINKTYPE_* value, e.g. 1 for Ethernet. */
  linktype: number;
  snaplen?: number;
  /**
   * Timestamp resolution as a negative power of ten (the if_tsresol value):
   * 6 for microseconds, 9 for nanoseconds. Only 0–9 are supported, which
   * keeps every timestamp until 2554 within the block's 64 bits.
   */
  tsresol?: number;
}

export interface PcapngWriterOptions {
  /** Link type of interface 0, which is always created. */
  linktype: number;
  snaplen?: number;
  /** Default resolution of interface 0 and of later interfaces: 9 when set, otherwise 6. */
  nanosecond?: boolean;
  bufferSize?: number;
}

interface InterfaceState {
  snaplen: number;
  /** Nanoseconds per timestamp unit. */
  unitNs: number;
}

/**
 * Streams a little-endian pcapng file: one section header, an interface
 * description block per interface and enhanced packet blocks. Like PcapWriter
 * it depends on no Node built-ins.
 */
export class PcapngWriter {
  private readonly out: SinkBuffer;
  private readonly splitter = new TimestampSplitter();
  private readonly interfaces: InterfaceState[] = [];
  private readonly defaultTsresol: number;

  constructor(sink: CaptureSink, options: PcapngWriterOptions) {
    const { linktype, snaplen = DEFAULT_SNAPLEN, nanosecond = false, bufferSize = DEFAULT_BUFFER_SIZE } = options;
    this.out = new SinkBuffer(sink, bufferSize);
    this.defaultTsresol = nanosecond ? 9 : 6;

    this.out.reserve(SECTION_HEADER_LENGTH);
    const view = this.out.view;
    const at = this.out.position;
    view.setUint32(at, PCAPNG_SECTION_HEADER_BLOCK, true);
    view.setUint32(at + 4, SECTION_HEADER_LENGTH, true);
    view.setUint32(at + 8, PCAPNG_BYTE_ORDER_MAGIC, true);
    view.setUint16(at + 12, 1, true);
    view.setUint16(at + 14, 0, true);
    // Section length -1: unknown, since the file is streamed.
    view.setUint32(at + 16, 0xffffffff, true);
    view.setUint32(at + 20, 0xffffffff, true);
    view.setUint32(at + 24, SECTION_HEADER_LENGTH, true);
    this.out.position += SECTION_HEADER_LENGTH;

    this.addInterface({ linktype, snaplen });
  }

  get bytesWritten(): number {
    return this.out.bytesWritten;
  }

  /** Writes an interface description block and returns the interface id for writePacket. */
  addInterface(description: PcapngInterface): number {
    const { linktype, snaplen = DEFAULT_SNAPLEN, tsresol = this.defaultTsresol } = description;
    if (!Number.isInteger(linktype) || linktype < 0 || linktype > 0xffff) throw new RangeError(`linktype must be a 16-bit unsigned integer, got ${linktype}`);
    if (!Number.isInteger(snaplen) || snaplen <= 0 || snaplen > 0xffffffff) throw new RangeError(`snaplen must be a positive 32-bit integer, got ${snaplen}`);
    if (!Number.isInteger(tsresol) || tsresol < 0 || tsresol > 9) throw new RangeError(`tsresol must be a decimal exponent from 0 to 9, got ${tsresol}`);

    // Microseconds are the pcapng default, so that interface needs no option.
    const optionsLength = tsresol === 6 ? 0 : 12;
    const blockLength = 20 + optionsLength;
    this.out.reserve(blockLength);
    const view = this.out.view;
    const at = this.out.position;
    view.setUint32(at, PCAPNG_INTERFACE_DESCRIPTION_BLOCK, true);
    view.setUint32(at + 4, blockLength, true);
    view.setUint16(at + 8, linktype, true);
    view.setUint16(at + 10, 0, true);
    view.setUint32(at + 12, snaplen, true);
    if (optionsLength > 0) {
      view.setUint16(at + 16, OPTION_IF_TSRESOL, true);
      view.setUint16(at + 18, 1, true);
      view.setUint32(at + 20, tsresol, true); // value byte followed by padding
      view.setUint16(at + 24, OPTION_END, true);
      view.setUint16(at + 26, 0, true);
    }
    view.setUint32(at + blockLength - 4, blockLength, true);
    this.out.position += blockLength;

    this.interfaces.push({ snaplen, unitNs: 10 ** (9 - tsresol) });
    return this.interfaces.length - 1;
  }

  /** Appends an enhanced packet block; `tsNs` is nanoseconds since the Unix epoch, truncated to the interface's resolution. */
  writePacket(tsNs: bigint, data: Uint8Array, origLen: number = data.length, interfaceId = 0): void {
    this.splitter.split(tsNs);
    this.writePacketFrom(data, 0, data.length, origLen, this.splitter.high, this.splitter.low, interfaceId);
  }

  /** writePacket for bytes read in place (`length` bytes of `source` at `offset`) with the timestamp as its 32-bit halves, allocating nothing per packet. */
  writePacketFrom(source: Uint8Array, offset: number, length: number, origLen: number, tsHigh: number, tsLow: number, interfaceId = 0): void {
    const iface = this.interfaces[interfaceId];
    if (iface === undefined) throw new RangeError(`no interface ${interfaceId}`);
    const capturedLength = length < iface.snaplen ? length : iface.snaplen;
    const paddedLength = (capturedLength + 3) & ~3;
    const blockLength = ENHANCED_PACKET_OVERHEAD + paddedLength;
    const out = this.out;
    out.reserve(blockLength);
    this.splitter.divideParts(tsHigh, tsLow, iface.unitNs);
    const view = out.view;
    const at = out.position;
    view.setUint32(at, PCAPNG_ENHANCED_PACKET_BLOCK, true);
    view.setUint32(at + 4, blockLength, true);
    view.setUint32(at + 8, interfaceId, true);
    view.setUint32(at + 12, this.splitter.quotientHigh, true);
    view.setUint32(at + 16, this.splitter.quotientLow, true);
    view.setUint32(at + 20, capturedLength, true);
    view.setUint32(at + 24, origLen > capturedLength ? origLen : capturedLength, true);
    out.bytes.set(source.subarray(offset, offset + capturedLength), at + 28);
    out.bytes.fill(0, at + 28 + capturedLength, at + 28 + paddedLength);
    view.setUint32(at + blockLength - 4, blockLength, true);
    out.position = at + blockLength;
  }

  /** Appends already-encoded blocks verbatim; interface ids in them must refer to this writer's interfaces. */
  writeRecords(bytes: Uint8Array): void {
    this.out.append(bytes);
  }

  flush(): void {
    this.out.flush();
  }
}
