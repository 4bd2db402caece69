// NAT in the data plane, packet by packet: what a binding rewrites in both
// directions, the checksums it leaves (IPv4 header, TCP, UDP with and
// without a checksum, ICMP, ICMPv6 over its pseudo-header), ICMP errors
// with the packet they quote, the port or ICMP id given to a connection
// whose translated tuple is taken, and the conntrack entry that holds it.
import { describe, expect, it } from 'vitest';
import { compile, createFilter, parseInterfaces, parseRoutes } from '../../src/index.js';
import { parseListingCounters } from '../kernel/listing.js';
import { ACK, LINKTYPE_RAW, SYN, ipv4, pcap, pcapFrames, tcp, udp } from './packets.js';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CtEvent, OutputClass, PacketFate } from '../../assembly/abi.js';
import { CaptureFile } from '../../src/output/capture-file.js';

const CLIENT = '10.0.0.2';
const CLIENT2 = '10.0.0.3';
const SERVER = '198.51.100.2';
const SERVER2 = '198.51.100.3';
const PUBLIC = '203.0.113.1';
const PUBLIC2 = '203.0.113.2';

const natTable = (post: string[], pre: string[] = []) => `table ip nat {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
${pre.map((r) => `\t\t${r}\n`).join('')}	}
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
${post.map((r) => `\t\t${r}\n`).join('')}	}
}
`;

function sum(bytes: ArrayLike<number>, start = 0): number {
  let s = start;
  for (let i = 0; i < bytes.length; i += 2) s += (bytes[i]! << 8) | (bytes[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

const octets = (a: string) => a.split('.').map(Number);

function icmp(src: string, dst: string, body: number[]): number[] {
  const l4 = [...body];
  const c = ~sum(l4) & 0xffff;
  l4[2] = c >> 8;
  l4[3] = c & 0xff;
  return ipv4(src, dst, 1, l4);
}

const echo = (src: string, dst: string, type: number, id: number, seq: number) =>
  icmp(src, dst, [type, 0, 0, 0, id >> 8, id & 0xff, seq >> 8, seq & 0xff, 1, 2, 3, 4, 5, 6, 7, 8]);

// An IPv6 packet between two addresses of 2001:db8::/32 given by their
// last groups.
function ipv6Packet(src: number[], dst: number[], next: number, l4: number[]): number[] {
  return [0x60, 0, 0, 0, l4.length >> 8, l4.length & 0xff, next, 64, ...src, ...dst, ...l4];
}

function v6(last: number, net = 0): number[] {
  return [0x20, 0x01, 0x0d, 0xb8, 0, net, ...new Array<number>(9).fill(0), last];
}

// An IPv6 packet of protocol next whose checksum at `at` covers the
// pseudo-header.
function withChecksum(src: number[], dst: number[], next: number, l4: number[], at: number): number[] {
  const pseudo = [...src, ...dst, 0, 0, l4.length >> 8, l4.length & 0xff, 0, 0, 0, next];
  const c = ~sum(l4, sum(pseudo)) & 0xffff;
  l4[at] = c >> 8;
  l4[at + 1] = c & 0xff;
  return ipv6Packet(src, dst, next, l4);
}

const icmpv6 = (src: number[], dst: number[], body: number[]) => withChecksum(src, dst, 58, [...body], 2);

const icmpv6Echo = (src: number[], dst: number[], type: number, id: number) => icmpv6(src, dst, [type, 0, 0, 0, id >> 8, id & 0xff, 0, 1, 9, 9, 9, 9]);

const udp6 = (src: number[], dst: number[], sport: number, dport: number) =>
  withChecksum(src, dst, 17, [sport >> 8, sport & 0xff, dport >> 8, dport & 0xff, 0, 12, 0, 0, 1, 2, 3, 4], 6);

// Whether an IPv4 packet's header checksum and its TCP, UDP or ICMP
// checksum hold (a UDP checksum of zero is none).
function checksumsHold(ip: Uint8Array): boolean {
  const hl = (ip[0]! & 15) * 4;
  if (sum(ip.subarray(0, hl)) !== 0xffff) return false;
  const l4 = ip.subarray(hl, (ip[2]! << 8) | ip[3]!);
  const proto = ip[9]!;
  if (proto === 1) return sum(l4) === 0xffff;
  if (proto === 17 && l4[6] === 0 && l4[7] === 0) return true;
  const pseudo = [...ip.subarray(12, 20), 0, proto, l4.length >> 8, l4.length & 0xff];
  return sum(l4, sum(pseudo)) === 0xffff;
}

function icmpv6Holds(ip: Uint8Array): boolean {
  const l4 = ip.subarray(40);
  const pseudo = [...ip.subarray(8, 40), 0, 0, l4.length >> 8, l4.length & 0xff, 0, 0, 0, 58];
  return sum(l4, sum(pseudo)) === 0xffff;
}

const addrOf = (ip: Uint8Array, at: number) => Array.from(ip.subarray(at, at + 4)).join('.');
const port = (ip: Uint8Array, at: number) => (ip[at]! << 8) | ip[at + 1]!;

interface Run {
  out: Uint8Array[];
  listing: string;
  conntrack: string;
}

async function run(rules: string, packets: number[][], network?: Parameters<typeof createFilter>[1]): Promise<Run> {
  const filter = await createFilter(compile(rules), { seed: 7, ...network });
  const out: Uint8Array[] = [];
  filter.processCapture(pcap(packets, { linkType: LINKTYPE_RAW }), (batch) => {
    for (let i = 0; i < batch.count; i++) out.push(Uint8Array.from(batch.data(i)));
  });
  return { out, listing: filter.listRuleset(), conntrack: filter.conntrackListing() };
}

describe('NAT in the data plane', () => {
  it('snat rewrites the source going out and the destination coming back, TCP and IP checksums updated', async () => {
    const { out, conntrack } = await run(natTable([`ip saddr ${CLIENT} snat to ${PUBLIC}`]), [
      tcp({ src: CLIENT, dst: SERVER, sport: 40000, dport: 80, seq: 1, flags: SYN }),
      tcp({ src: SERVER, dst: PUBLIC, sport: 80, dport: 40000, seq: 7, ack: 2, flags: SYN | ACK }),
      tcp({ src: CLIENT, dst: SERVER, sport: 40000, dport: 80, seq: 2, ack: 8, flags: ACK, payload: 33 }),
    ]);
    expect(out.map((p) => `${addrOf(p, 12)}:${port(p, 20)} > ${addrOf(p, 16)}:${port(p, 22)}`)).toEqual([
      `${PUBLIC}:40000 > ${SERVER}:80`,
      `${SERVER}:80 > ${CLIENT}:40000`,
      `${PUBLIC}:40000 > ${SERVER}:80`,
    ]);
    expect(out.every(checksumsHold)).toBe(true);
    expect(conntrack).toContain(`src=${CLIENT} dst=${SERVER} sport=40000 dport=80 src=${SERVER} dst=${PUBLIC} sport=80 dport=40000 [ASSURED]`);
  });

  it('a UDP datagram without a checksum keeps none; one with a checksum gets it updated', async () => {
    const bare = udp(CLIENT, SERVER, 5000, 53);
    const at = 20 + 6;
    bare[at] = 0;
    bare[at + 1] = 0;
    const { out } = await run(natTable([`snat to ${PUBLIC}`]), [bare, udp(CLIENT, SERVER, 5001, 53)]);
    expect(addrOf(out[0]!, 12)).toBe(PUBLIC);
    expect([out[0]![at], out[0]![at + 1]]).toEqual([0, 0]);
    expect(addrOf(out[1]!, 12)).toBe(PUBLIC);
    expect(out[1]![at] | out[1]![at + 1]!).not.toBe(0);
    expect(out.every(checksumsHold)).toBe(true);
  });

  it('an ICMP error quoting a translated datagram is translated back, the quote and both checksums with it', async () => {
    const sent = udp(CLIENT, SERVER, 5000, 9999, 12);
    const { out } = await run(natTable([`snat to ${PUBLIC}`]), [sent]);
    const quoted = Array.from(out[0]!);
    const error = icmp(SERVER, PUBLIC, [3, 3, 0, 0, 0, 0, 0, 0, ...quoted]);
    const again = await run(natTable([`snat to ${PUBLIC}`]), [sent, error]);
    const back = again.out[1]!;
    expect(addrOf(back, 16)).toBe(CLIENT);
    expect(checksumsHold(back)).toBe(true);
    // The quote is the datagram as the client sent it.
    expect(Array.from(back.subarray(28))).toEqual(sent);
  });

  it('a second connection whose translated tuple is taken gets another port, from the range when there is one', async () => {
    const clash = await run(natTable([`snat to ${PUBLIC}`]), [udp(CLIENT, SERVER, 5000, 53), udp(CLIENT2, SERVER, 5000, 53)]);
    expect(port(clash.out[0]!, 20)).toBe(5000);
    const other = port(clash.out[1]!, 20);
    expect(other).not.toBe(5000);
    expect(other).toBeGreaterThanOrEqual(1024);
    expect(clash.out.every(checksumsHold)).toBe(true);
    expect(clash.conntrack).toContain(`src=${CLIENT2} dst=${SERVER} sport=5000 dport=53 [UNREPLIED] src=${SERVER} dst=${PUBLIC} sport=53 dport=${other} `);
    const ranged = await run(natTable([`meta l4proto udp snat to ${PUBLIC}:2000-2001`]), [udp(CLIENT, SERVER, 5000, 53), udp(CLIENT2, SERVER, 5000, 53)]);
    expect(ranged.out.map((p) => port(p, 20)).sort()).toEqual([2000, 2001]);
  });

  it('a new connection from a source already translated takes its mapping: the address of a range the hash would not pick, a port a clash moved', async () => {
    const range = natTable(['snat to 203.0.113.10-203.0.113.13']);
    const alone = await run(range, [udp(CLIENT, SERVER2, 5000, 53)]);
    const both = await run(range, [udp(CLIENT, SERVER, 5000, 53), udp(CLIENT, SERVER2, 5000, 53), udp(CLIENT, SERVER2, 5001, 53)]);
    expect(addrOf(alone.out[0]!, 12)).toBe('203.0.113.12');
    expect(both.out.map((p) => `${addrOf(p, 12)}:${port(p, 20)}`)).toEqual(['203.0.113.11:5000', '203.0.113.11:5000', '203.0.113.12:5001']);
    const moved = await run(natTable([`snat to ${PUBLIC}`]), [udp(CLIENT, SERVER, 5000, 53), udp(CLIENT2, SERVER, 5000, 53), udp(CLIENT2, SERVER2, 5000, 53)]);
    const ports = moved.out.map((p) => port(p, 20));
    expect(ports[1]).not.toBe(5000);
    expect(ports[2]).toBe(ports[1]);
    expect(moved.out.every(checksumsHold)).toBe(true);
  });

  it('the mapping of a source is still found once the table grew, and no longer once its connection expired', async () => {
    const filter = await createFilter(compile(natTable(['snat to 203.0.113.10-203.0.113.13'])), { seed: 7 });
    const flows = Array.from({ length: 1100 }, (_, i) => udp(CLIENT, SERVER, 10000 + i, 53));
    const packets = [...flows, udp(CLIENT, SERVER2, 10000, 53), udp(CLIENT, SERVER2, 10000, 54)];
    const times = [...flows.map((_, i) => 1000 + i / 1000), 1002, 1100];
    const sources: string[] = [];
    filter.processCapture(pcap(packets, { linkType: LINKTYPE_RAW, times }), (b) => {
      for (let i = 0; i < b.count; i++) sources.push(addrOf(Uint8Array.from(b.data(i)), 12));
    });
    expect(sources.slice(-3)).toEqual(['203.0.113.11', '203.0.113.11', '203.0.113.12']);
  });

  it('dnat to a port range takes its first free port, not a random one', async () => {
    const { out } = await run(natTable([], [`udp dport 5000 dnat to ${SERVER}:8000-8100`]), [
      udp(CLIENT, PUBLIC, 4000, 5000),
      udp(CLIENT2, PUBLIC, 4000, 5000),
      udp(CLIENT, PUBLIC2, 4000, 5000),
      udp(CLIENT, PUBLIC2, 4001, 5000),
    ]);
    expect(out.map((p) => port(p, 22))).toEqual([8000, 8000, 8001, 8000]);
  });

  it('an ICMP echo id already taken is changed, and the reply gets the original back', async () => {
    const { out } = await run(natTable([`snat to ${PUBLIC}`]), [
      echo(CLIENT, SERVER, 8, 77, 1),
      echo(CLIENT2, SERVER, 8, 77, 1),
    ]);
    const id2 = port(out[1]!, 24);
    expect(port(out[0]!, 24)).toBe(77);
    expect(id2).not.toBe(77);
    const replies = await run(natTable([`snat to ${PUBLIC}`]), [
      echo(CLIENT, SERVER, 8, 77, 1),
      echo(CLIENT2, SERVER, 8, 77, 1),
      echo(SERVER, PUBLIC, 0, id2, 1),
    ]);
    const back = replies.out[2]!;
    expect([addrOf(back, 16), port(back, 24)]).toEqual([CLIENT2, 77]);
    expect(replies.out.every(checksumsHold)).toBe(true);
  });

  it('IPv6: an ICMPv6 error quoting a translated datagram is translated back, its checksum over the new pseudo-header', async () => {
    const rules = `table ip6 nat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		snat to 2001:db8:1::1
	}
}
`;
    const sent = udp6(v6(1), v6(2), 5000, 9999);
    const { out } = await run(rules, [sent]);
    expect(Array.from(out[0]!.subarray(8, 24))).toEqual(v6(1, 1));
    const error = icmpv6(v6(2), v6(1, 1), [1, 4, 0, 0, 0, 0, 0, 0, ...out[0]!]);
    const back = (await run(rules, [sent, error])).out[1]!;
    expect(Array.from(back.subarray(24, 40))).toEqual(v6(1));
    expect(icmpv6Holds(back)).toBe(true);
    expect(Array.from(back.subarray(48))).toEqual(sent);
  });

  it('conntrack events carry the translated reply tuple', async () => {
    const filter = await createFilter(compile(natTable([`snat to ${PUBLIC}`])), { events: true });
    const replies: string[] = [];
    filter.processCapture(pcap([udp(CLIENT, SERVER, 5000, 53), udp(SERVER, PUBLIC, 53, 5000)], { linkType: LINKTYPE_RAW }), (b) => {
      const ev = b.events!;
      for (let j = 0; j < ev.count; j++) replies.push(`${CtEvent[ev.type(j)]} ${ev.entry(j).reply.src} > ${ev.entry(j).reply.dst}`);
    });
    expect(replies).toEqual([`New ${SERVER} > ${PUBLIC}`, `Update ${SERVER} > ${PUBLIC}`]);
  });

  it('IPv6: snat of ICMPv6 echo updates its checksum over the pseudo-header, both ways', async () => {
    const rules = `table ip6 nat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		snat to 2001:db8:1::1
	}
}
`;
    const { out, conntrack } = await run(rules, [icmpv6Echo(v6(1), v6(2), 128, 5), icmpv6Echo(v6(2), v6(1, 1), 129, 5)]);
    expect(Array.from(out[0]!.subarray(8, 24))).toEqual(v6(1, 1));
    expect(Array.from(out[1]!.subarray(24, 40))).toEqual(v6(1));
    expect(out.every(icmpv6Holds)).toBe(true);
    expect(conntrack).toContain('src=2001:db8::1 dst=2001:db8::2 type=128 code=0 id=5 src=2001:db8::2 dst=2001:db8:1::1 type=129 code=0 id=5');
  });

  it('dnat forwards a port; nat chains see only the first packet of a connection', async () => {
    const rules = natTable([], [`tcp dport 8080 counter dnat to ${SERVER}:80`, 'counter']);
    const { out, listing } = await run(rules, [
      tcp({ src: CLIENT, dst: PUBLIC, sport: 40000, dport: 8080, seq: 1, flags: SYN }),
      tcp({ src: SERVER, dst: CLIENT, sport: 80, dport: 40000, seq: 7, ack: 2, flags: SYN | ACK }),
      tcp({ src: CLIENT, dst: PUBLIC, sport: 40000, dport: 8080, seq: 2, ack: 8, flags: ACK }),
      udp(CLIENT, SERVER, 5000, 53),
    ]);
    expect(out.map((p) => `${addrOf(p, 12)}:${port(p, 20)} > ${addrOf(p, 16)}:${port(p, 22)}`).slice(0, 3)).toEqual([
      `${CLIENT}:40000 > ${SERVER}:80`,
      `${PUBLIC}:8080 > ${CLIENT}:40000`,
      `${CLIENT}:40000 > ${SERVER}:80`,
    ]);
    expect(out.every(checksumsHold)).toBe(true);
    expect(parseListingCounters(listing).map((c) => c.packets)).toEqual([1, 1]);
  });

  it('masquerade takes the primary address of the device the route leads out of', async () => {
    const { devices, routes } = lanAndWan();
    const { out } = await run(natTable(['oifname "wan" masquerade']), [udp(CLIENT, SERVER, 5000, 53), udp(SERVER, PUBLIC, 53, 5000)], { network: { devices, routes } });
    expect(addrOf(out[0]!, 12)).toBe(PUBLIC);
    expect(addrOf(out[1]!, 16)).toBe(CLIENT);
    expect(out.every(checksumsHold)).toBe(true);
  });

  it('redirect takes the address of the device the packet came in on; without one, its rule drops the packet', async () => {
    const { devices, routes } = lanAndWan();
    const rules = natTable([], ['tcp dport 80 redirect to :8080']);
    const syn = tcp({ src: CLIENT, dst: SERVER, sport: 40000, dport: 80, seq: 1, flags: SYN });
    const filter = await createFilter(compile(rules), { network: { devices, routes } });
    const out: Array<{ fate: PacketFate; ip: Uint8Array }> = [];
    filter.processCapture(pcapFrames([sll2(2, 0, syn)], { linkType: LINKTYPE_LINUX_SLL2 }), (batch) => {
      for (let i = 0; i < batch.count; i++) out.push({ fate: batch.fate(i), ip: Uint8Array.from(batch.data(i).subarray(20)) });
    });
    expect(out[0]!.fate).toBe(PacketFate.Filtered);
    expect(`${addrOf(out[0]!.ip, 16)}:${port(out[0]!.ip, 22)}`).toBe('10.0.0.1:8080');
    expect(checksumsHold(out[0]!.ip)).toBe(true);
    // A raw capture names no input device: nf_nat_redirect_ipv4 answers
    // NF_DROP, the verdict of the rule.
    const raw = await createFilter(compile(rules), { network: { devices, routes } });
    const decided: string[] = [];
    raw.processCapture(pcap([syn], { linkType: LINKTYPE_RAW }), (batch) => decided.push(`${batch.accepted(0)} ${batch.handle(0)}`));
    expect(decided).toEqual(['false 3']);
  });

  it('in a cooked capture, the outgoing copy of a forwarded packet is recognised and meets no hook again', async () => {
    const { devices, routes } = lanAndWan();
    const rules = natTable(['oifname "wan" masquerade']) + `table ip f {
	chain forward {
		type filter hook forward priority 0; policy accept;
		counter
	}
}
`;
    const sent = udp(CLIENT, SERVER, 5000, 53);
    const translated = (await run(rules, [sent], { network: { devices, routes } })).out[0]!;
    const copy = Array.from(translated);
    copy[8] = copy[8]! - 1;
    const check = ((copy[10]! << 8) | copy[11]!) + 0x0100;
    const folded = (check + (check >> 16)) & 0xffff;
    copy[10] = folded >> 8;
    copy[11] = folded & 0xff;
    const capture = pcapFrames([sll2(2, 0, sent), sll2(3, 4, copy)], { linkType: LINKTYPE_LINUX_SLL2 });
    const filter = await createFilter(compile(rules), { network: { devices, routes } });
    const fates: PacketFate[] = [];
    filter.processCapture(capture, (batch) => {
      for (let i = 0; i < batch.count; i++) fates.push(batch.fate(i));
    });
    expect(fates).toEqual([PacketFate.Filtered, PacketFate.ForwardedCopy]);
    // The forward chain counted the packet once.
    expect(parseListingCounters(filter.listRuleset()).map((c) => c.packets)).toEqual([1]);
  });

  it("in a cooked capture, a redirected connection's answer, captured translated, meets output as the listener sent it", async () => {
    const { devices, routes } = lanAndWan();
    const rules = natTable([], ['iifname "lan" udp dport 53 redirect to :5353']) + `table ip f {
	chain output {
		type filter hook output priority 0; policy accept;
		udp sport 5353 ct direction reply counter
	}
}
`;
    const answer = udp(SERVER, CLIENT, 53, 5000);
    const capture = pcapFrames([sll2(2, 0, udp(CLIENT, SERVER, 5000, 53)), sll2(2, 4, answer)], { linkType: LINKTYPE_LINUX_SLL2 });
    const filter = await createFilter(compile(rules), { network: { devices, routes } });
    const out: number[][] = [];
    filter.processCapture(capture, (batch) => {
      for (let i = 0; i < batch.count; i++) out.push(Array.from(batch.data(i).subarray(20)));
    });
    expect(parseListingCounters(filter.listRuleset()).map((c) => c.packets)).toEqual([1]);
    expect(filter.conntrackListing()).toContain(`src=${CLIENT} dst=${SERVER} sport=5000 dport=53 src=10.0.0.1 dst=${CLIENT} sport=5353 dport=5000 mark=0`);
    expect(filter.conntrackListing().trim().split('\n')).toHaveLength(1);
    expect(out[1]).toEqual(answer);
  });

  it('pcapng written by the data plane describes an interface per device packets leave by, named', async () => {
    const { devices, routes } = lanAndWan();
    const filter = await createFilter(compile(natTable(['oifname "wan" masquerade'])), { network: { devices, routes } });
    const file = join(mkdtempSync(join(tmpdir(), 'nftwasm-nat-')), 'out.pcapng');
    const written = new CaptureFile(file, 'pcapng');
    written.feedFrom(filter, OutputClass.Accepted);
    filter.processCapture(pcap([udp(CLIENT, SERVER, 5000, 53), udp(SERVER, PUBLIC, 53, 5000), udp(CLIENT, '10.0.0.1', 5001, 53), udp(CLIENT, SERVER, 5000, 53)], { linkType: LINKTYPE_RAW }));
    written.close(LINKTYPE_RAW);
    const bytes = readFileSync(file);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const names: string[] = [];
    const packets: string[] = [];
    for (let at = 0; at < bytes.length; at += view.getUint32(at + 4, true)) {
      const type = view.getUint32(at, true);
      if (type === 1) {
        let name = '';
        for (let o = at + 16; view.getUint16(o, true) !== 0; o += 4 + ((view.getUint16(o + 2, true) + 3) & ~3)) {
          if (view.getUint16(o, true) === 2) name = bytes.subarray(o + 4, o + 4 + view.getUint16(o + 2, true)).toString();
        }
        names.push(name);
      } else if (type === 6) {
        packets.push(names[view.getUint32(at + 8, true)]!);
      }
    }
    expect(packets).toEqual(['wan', 'lan', '', 'wan']);
    expect(names).toEqual(['wan', 'lan', '']);
  });
});

const LINKTYPE_LINUX_SLL2 = 276;

// A Linux cooked v2 record of an IPv4 packet on a device, incoming (0) or
// outgoing (4).
function sll2(ifindex: number, pkttype: number, ip: number[]): number[] {
  return [0x08, 0x00, 0, 0, (ifindex >>> 24) & 0xff, (ifindex >>> 16) & 0xff, (ifindex >>> 8) & 0xff, ifindex & 0xff, 0, 1, pkttype, 6, 2, 0, 0, 0, 0, 1, 0, 0, ...ip];
}

function lanAndWan() {
  const devices = parseInterfaces(JSON.stringify([
    { ifindex: 2, ifname: 'lan', link_type: 'ether', addr_info: [{ family: 'inet', local: '10.0.0.1', prefixlen: 24 }] },
    { ifindex: 3, ifname: 'wan', link_type: 'ether', addr_info: [{ family: 'inet', local: PUBLIC, prefixlen: 24 }, { family: 'inet', local: '203.0.113.9', prefixlen: 24 }] },
  ]));
  const routes = parseRoutes(JSON.stringify([
    { dst: '10.0.0.0/24', dev: 'lan' },
    { dst: 'default', gateway: '203.0.113.254', dev: 'wan' },
  ]), devices);
  return { devices, routes };
}
