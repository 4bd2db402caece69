// Builders for test captures: IPv4 packets in every link-layer framing the
// data plane reads, and pcap/pcapng encoders that can produce what our own
// writers never do (big-endian files, simple and obsolete packet blocks,
// unknown blocks, several sections).

export const LINKTYPE = {
  null: 0,
  ethernet: 1,
  raw: 101,
  loop: 108,
  sll: 113,
  ipv4: 228,
  sll2: 276,
} as const;
export type LinkName = keyof typeof LINKTYPE;

export interface TestPacket {
  tsNs: bigint;
  data: Uint8Array;
  origLen?: number;
  interfaceId?: number;
}

/** IPv4 UDP from 10.0.0.1:(1000+n) to 10.0.0.2:53, with a valid header checksum. */
export function ipv4Udp(n: number, payloadLength = 8): Uint8Array {
  const p = new Uint8Array(28 + payloadLength);
  const v = new DataView(p.buffer);
  p[0] = 0x45;
  v.setUint16(2, p.length);
  v.setUint16(4, n & 0xffff);
  p[8] = 64;
  p[9] = 17;
  p.set([10, 0, 0, 1, 10, 0, 0, 2], 12);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += v.getUint16(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  v.setUint16(10, ~sum & 0xffff);
  v.setUint16(20, 1000 + (n % 60000));
  v.setUint16(22, 53);
  v.setUint16(24, 8 + payloadLength);
  for (let i = 0; i < payloadLength; i++) p[28 + i] = (n + i) & 0xff;
  return p;
}

/** Wraps an IPv4 packet in the link-layer header of `link`. */
export function frame(link: LinkName, ip: Uint8Array): Uint8Array {
  const header = linkHeader(link);
  const out = new Uint8Array(header.length + ip.length);
  out.set(header);
  out.set(ip, header.length);
  return out;
}

function linkHeader(link: LinkName): Uint8Array {
  switch (link) {
    case 'ethernet':
      return Uint8Array.from([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00]);
    case 'sll':
      // packet type "to us", ARPHRD_ETHER, 6-byte address, protocol
      return Uint8Array.from([0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00]);
    case 'sll2':
      // protocol, reserved, ifindex, ARPHRD_ETHER, packet type, address length, address
      return Uint8Array.from([0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0]);
    case 'null':
      return Uint8Array.from([2, 0, 0, 0]);
    case 'loop':
      return Uint8Array.from([0, 0, 0, 2]);
    case 'raw':
    case 'ipv4':
      return new Uint8Array(0);
  }
}

export function packets(link: LinkName, count: number, startNs = 1_700_000_000_123_456_789n): TestPacket[] {
  return Array.from({ length: count }, (_, i) => ({ tsNs: startNs + BigInt(i) * 1_001_001n, data: frame(link, ipv4Udp(i + 1, i % 40)) }));
}

class ByteWriter {
  private bytes = new Uint8Array(1024);
  private view = new DataView(this.bytes.buffer);
  length = 0;
  constructor(private readonly bigEndian: boolean) {}

  private room(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    const next = new Uint8Array(Math.max(this.bytes.length * 2, this.length + n));
    next.set(this.bytes.subarray(0, this.length));
    this.bytes = next;
    this.view = new DataView(next.buffer);
  }
  u16(v: number): this {
    this.room(2);
    this.view.setUint16(this.length, v, !this.bigEndian);
    this.length += 2;
    return this;
  }
  u32(v: number): this {
    this.room(4);
    this.view.setUint32(this.length, v >>> 0, !this.bigEndian);
    this.length += 4;
    return this;
  }
  raw(b: Uint8Array): this {
    this.room(b.length);
    this.bytes.set(b, this.length);
    this.length += b.length;
    return this;
  }
  pad4(): this {
    while (this.length & 3) this.raw(new Uint8Array(1));
    return this;
  }
  patch32(at: number, v: number): void {
    this.view.setUint32(at, v, !this.bigEndian);
  }
  done(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }
}

export interface PcapOptions {
  linktype: number;
  bigEndian?: boolean;
  nanosecond?: boolean;
  snaplen?: number;
}

export function encodePcap(list: readonly TestPacket[], o: PcapOptions): Uint8Array {
  const w = new ByteWriter(o.bigEndian ?? false);
  w.u32(o.nanosecond ? 0xa1b23c4d : 0xa1b2c3d4).u16(2).u16(4).u32(0).u32(0).u32(o.snaplen ?? 262144).u32(o.linktype);
  for (const p of list) {
    const unit = o.nanosecond ? 1n : 1000n;
    w.u32(Number(p.tsNs / 1_000_000_000n)).u32(Number((p.tsNs % 1_000_000_000n) / unit));
    w.u32(p.data.length).u32(p.origLen ?? p.data.length).raw(p.data);
  }
  return w.done();
}

/** One pcapng block; `kind` picks how packets are encoded. */
export type PcapngBlock =
  | { type: 'section' }
  | { type: 'interface'; linktype: number; snaplen?: number; tsresol?: number; tsoffset?: number; name?: string }
  | { type: 'epb' | 'opb'; packet: TestPacket; unitNs: bigint }
  | { type: 'spb'; packet: TestPacket }
  | { type: 'unknown'; code: number; length: number };

export function encodePcapng(blocks: readonly PcapngBlock[], bigEndian = false): Uint8Array {
  const w = new ByteWriter(bigEndian);
  for (const b of blocks) {
    const start = w.length;
    switch (b.type) {
      case 'section':
        w.u32(0x0a0d0d0a).u32(0).u32(0x1a2b3c4d).u16(1).u16(0).u32(0xffffffff).u32(0xffffffff);
        break;
      case 'interface':
        w.u32(1).u32(0).u16(b.linktype).u16(0).u32(b.snaplen ?? 0);
        if (b.tsresol !== undefined) w.u16(9).u16(1).raw(Uint8Array.of(b.tsresol)).pad4();
        if (b.tsoffset !== undefined) {
          w.u16(14).u16(8);
          if (bigEndian) w.u32(0).u32(b.tsoffset);
          else w.u32(b.tsoffset).u32(0);
        }
        if (b.name !== undefined) {
          const name = new TextEncoder().encode(b.name);
          w.u16(2).u16(name.length).raw(name).pad4();
        }
        if (b.tsresol !== undefined || b.tsoffset !== undefined || b.name !== undefined) w.u16(0).u16(0);
        break;
      case 'epb':
      case 'opb': {
        const units = b.packet.tsNs / b.unitNs;
        w.u32(b.type === 'epb' ? 6 : 2);
        w.u32(0);
        if (b.type === 'epb') w.u32(b.packet.interfaceId ?? 0);
        else w.u16(b.packet.interfaceId ?? 0).u16(0);
        w.u32(Number(units >> 32n)).u32(Number(units & 0xffffffffn));
        w.u32(b.packet.data.length).u32(b.packet.origLen ?? b.packet.data.length).raw(b.packet.data).pad4();
        break;
      }
      case 'spb':
        w.u32(3).u32(0).u32(b.packet.origLen ?? b.packet.data.length).raw(b.packet.data).pad4();
        break;
      case 'unknown':
        w.u32(b.code).u32(0).raw(new Uint8Array(b.length));
        break;
    }
    const total = w.length - start + 4;
    w.u32(total);
    w.patch32(start + 4, total);
  }
  return w.done();
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

// A Linux cooked v2 frame as `tcpdump -i any` writes it for a packet that
// came in on the device with this index.
export function cookedIn(ifindex: number, ip: number[]): Uint8Array {
  const be16 = (v: number) => [(v >> 8) & 0xff, v & 0xff];
  const protocol = ip[0]! >> 4 === 6 ? 0x86dd : 0x0800;
  return Uint8Array.from([...be16(protocol), 0, 0, ...be16(ifindex >>> 16), ...be16(ifindex & 0xffff), ...be16(1), 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, ...ip]);
}
