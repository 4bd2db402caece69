// The same packets under every link type the data plane reads give the same
// counters and conntrack table: examples/web.pcap rewritten frame by frame.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { compile, createFilter } from '../../src/index.js';

const root = new URL('../../', import.meta.url);

interface Frame {
  header: Uint8Array;
  data: Uint8Array;
}

function records(pcap: Uint8Array): Frame[] {
  const view = new DataView(pcap.buffer, pcap.byteOffset, pcap.byteLength);
  const out: Frame[] = [];
  for (let at = 24; at < pcap.length; ) {
    const caplen = view.getUint32(at + 8, true);
    out.push({ header: pcap.slice(at, at + 16), data: pcap.slice(at + 16, at + 16 + caplen) });
    at += 16 + caplen;
  }
  return out;
}

/** A pcap of link type `linktype` whose frames are `wrap(ethertype, payload)` of the Ethernet originals. */
function rewrite(pcap: Uint8Array, linktype: number, wrap: (ethertype: number, payload: Uint8Array, ethernet: Uint8Array) => number[]): Uint8Array {
  const out: number[] = [...pcap.slice(0, 20)];
  out.push(linktype & 0xff, (linktype >> 8) & 0xff, 0, 0);
  for (const { header, data } of records(pcap)) {
    const frame = wrap((data[12]! << 8) | data[13]!, data.slice(14), data);
    const h = new DataView(header.buffer.slice(0));
    const grow = frame.length - data.length;
    h.setUint32(8, frame.length, true);
    h.setUint32(12, h.getUint32(12, true) + grow, true);
    out.push(...new Uint8Array(h.buffer), ...frame);
  }
  return Uint8Array.from(out);
}

const be16 = (v: number) => [(v >> 8) & 0xff, v & 0xff];
const le16 = (v: number) => [v & 0xff, (v >> 8) & 0xff];
const PPP_PROTOCOL: Record<number, number> = { 0x0800: 0x21, 0x86dd: 0x57 };
// Non-IP frames (ARP) become LCP.
const pppProtocol = (type: number) => PPP_PROTOCOL[type] ?? 0xc021;
// Sent by the web server of the example.
const sentByHost = (eth: Uint8Array) => eth[6] === 0x16;
// A radiotap header of eight bytes with no fields, then an 802.11 QoS data
// frame from a station to its access point, and LLC/SNAP.
const radiotap = (type: number, p: Uint8Array, eth: Uint8Array) => [
  0, 0, ...le16(8), 0, 0, 0, 0,
  0x88, 0x01, 0, 0, ...eth.slice(6, 12), ...eth.slice(6, 12), ...eth.slice(0, 6), 0, 0, 0, 0,
  0xaa, 0xaa, 0x03, 0, 0, 0, ...be16(type), ...p,
];
// NFLOG: family, version, group, a hardware-protocol attribute, the input
// device for what came in, the output device for what the host sent, then
// the payload, each attribute's header in this host's (little-endian) order.
const nflogAttribute = (type: number, value: number[]) => {
  const pad = new Array<number>((4 - (value.length % 4)) % 4).fill(0);
  return [...le16(4 + value.length), ...le16(type), ...value, ...pad];
};
const nflog = (type: number, p: Uint8Array, eth: Uint8Array) => [
  type === 0x0800 ? 2 : type === 0x86dd ? 10 : 0, 0, ...be16(5),
  ...nflogAttribute(1, [...be16(type), 0, 0]),
  ...nflogAttribute(sentByHost(eth) ? 5 : 4, [0, 0, 0, 2]),
  ...nflogAttribute(9, [...p]),
];

const VARIANTS: Record<string, [number, (type: number, payload: Uint8Array, eth: Uint8Array) => number[]]> = {
  // Non-IP frames (ARP) have no raw-IP form: they become a version-0 byte.
  raw: [101, (type, p) => (type === 0x0800 || type === 0x86dd ? [...p] : [0])],
  'linux cooked (SLL)': [113, (type, p, eth) => [0, eth[0]! & 1 ? 2 : 0, 0, 1, 0, 6, ...eth.slice(6, 12), 0, 0, ...be16(type), ...p]],
  'linux cooked v2 (SLL2)': [276, (type, p, eth) => [...be16(type), 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, ...eth.slice(6, 12), 0, 0, ...p]],
  '802.1Q': [1, (type, p, eth) => [...eth.slice(0, 12), 0x81, 0x00, 0, 5, ...be16(type), ...p]],
  '802.1ad with 802.1Q inside': [1, (type, p, eth) => [...eth.slice(0, 12), 0x88, 0xa8, 0, 7, 0x81, 0x00, 0, 5, ...be16(type), ...p]],
  'BSD loopback': [0, (type, p) => [type === 0x86dd ? 30 : type === 0x0800 ? 2 : 99, 0, 0, 0, ...p]],
  'PPP in HDLC-like framing': [9, (type, p) => [0xff, 0x03, ...be16(pppProtocol(type)), ...p]],
  'PPP with compressed protocol field': [9, (type, p) => [...(PPP_PROTOCOL[type] ? [PPP_PROTOCOL[type]!] : be16(0xc021)), ...p]],
  'PPP with direction': [204, (type, p, eth) => [sentByHost(eth) ? 1 : 0, 0xff, 0x03, ...be16(pppProtocol(type)), ...p]],
  '802.11 with radiotap': [127, radiotap],
  NFLOG: [239, nflog],
};

describe('link types', () => {
  it('all give the counters and table of the Ethernet capture', async () => {
    const source = (await readFile(new URL('examples/web.nft', root))).toString();
    const pcap = new Uint8Array(await readFile(new URL('examples/web.pcap', root)));
    const run = async (capture: Uint8Array) => {
      const filter = await createFilter(compile(source), { local: ['10.99.0.2'] });
      filter.processCapture(capture);
      return filter.listRuleset() + filter.conntrackListing().replace(/ id=\d+$/gm, '');
    };
    const expected = await run(pcap);
    for (const [name, [linktype, wrap]] of Object.entries(VARIANTS)) {
      expect(await run(rewrite(pcap, linktype, wrap)), name).toBe(expected);
    }
  });
});
