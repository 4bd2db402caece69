// A capture file the CLI writes packets into, in pcap or pcapng. The file is
// opened at once, so a bad path fails before any work; its header waits for
// the first packet, whose link type it takes. pcapng gets an
// interface per link type; pcap holds one link type only.
import { PcapWriter } from '../capture/pcap-writer.js';
import { PcapngWriter } from '../capture/pcapng-writer.js';
import { OutputFormat, type OutputClass } from '../../assembly/abi.js';
import type { Filter } from '../filter.js';
import type { PacketBatch } from '../packet-batch.js';
import { FdOutput } from './fd-output.js';

export type CaptureFormat = 'pcap' | 'pcapng';

export class MixedLinkTypesError extends Error {}

// pcapng when asked, or when the name ends in .pcapng or .ntar.
export function captureFormatFor(path: string, format?: CaptureFormat): CaptureFormat {
  if (format) return format;
  return /\.(pcapng|ntar)$/i.test(path) ? 'pcapng' : 'pcap';
}

export class CaptureFile {
  private readonly out: FdOutput;
  private pcap: PcapWriter | null = null;
  private pcapng: PcapngWriter | null = null;
  private pcapLinktype = -1;
  // pcapng interface id by link type.
  private readonly interfaces = new Map<number, number>();
  private lastLinktype = -1;
  private lastInterface = 0;

  // The data plane writes the records itself (feedFrom): add() is not used.
  private fed: { filter: Filter; cls: OutputClass } | null = null;

  constructor(readonly path: string, readonly format: CaptureFormat) {
    this.out = FdOutput.open(path);
  }

  get fedByDataPlane(): boolean {
    return this.fed !== null;
  }

  // Lets the filter's data plane write the packets of class cls into this
  // file, in whole regions of records, instead of add() per packet.
  feedFrom(filter: Filter, cls: OutputClass): void {
    this.fed = { filter, cls };
    filter.writeOutput(cls, {
      format: this.format === 'pcap' ? OutputFormat.Pcap : OutputFormat.Pcapng,
      write: (bytes) => this.out.write(bytes),
      mixedLinkTypes: (packet, linktype, fileLinktype) => this.mixed(packet, linktype, fileLinktype),
    });
  }

  private mixed(packet: number, linktype: number, fileLinktype: number): MixedLinkTypesError {
    return new MixedLinkTypesError(`${this.path}: packet ${packet} has link type ${linktype}, the pcap file ${fileLinktype}; a pcap file holds one link type, write pcapng (--format pcapng) instead`);
  }

  add(batch: PacketBatch, i: number): void {
    const linktype = batch.linkType(i);
    if (!this.pcap && !this.pcapng) this.open(linktype);
    const off = batch.dataOffset(i);
    const len = batch.capturedLength(i);
    if (this.pcap) {
      if (linktype !== this.pcapLinktype) throw this.mixed(batch.firstPacket + i, linktype, this.pcapLinktype);
      this.pcap.writePacketFrom(batch.input, off, len, batch.originalLength(i), batch.timeHigh(i), batch.timeLow(i));
    } else {
      if (linktype !== this.lastLinktype) {
        let id = this.interfaces.get(linktype);
        if (id === undefined) {
          id = this.pcapng!.addInterface({ linktype });
          this.interfaces.set(linktype, id);
        }
        this.lastLinktype = linktype;
        this.lastInterface = id;
      }
      this.pcapng!.writePacketFrom(batch.input, off, len, batch.originalLength(i), batch.timeHigh(i), batch.timeLow(i), this.lastInterface);
    }
  }

  private open(linktype: number): void {
    const out = this.out;
    const sink = (chunk: Uint8Array) => out.write(chunk);
    if (this.format === 'pcap') {
      this.pcap = new PcapWriter(sink, { linktype, nanosecond: true });
      this.pcapLinktype = linktype;
    } else {
      this.pcapng = new PcapngWriter(sink, { linktype, nanosecond: true });
      this.interfaces.set(linktype, 0);
      this.lastLinktype = linktype;
    }
  }

  // Everything buffered reaches the file, but it stays open.
  flush(): void {
    this.pcap?.flush();
    this.pcapng?.flush();
  }

  close(linktypeIfEmpty: number): void {
    const written = this.fed ? this.fed.filter.outputStarted(this.fed.cls) : this.pcap || this.pcapng;
    if (!written) this.open(linktypeIfEmpty);
    this.flush();
    this.out.close();
  }
}
