// What the host sends itself takes output, postrouting, prerouting and
// input, with one conntrack entry; the addresses say so without --local.
// Packets dropped by something other than a rule say what dropped them.
import { describe, expect, it } from 'vitest';
import { compile, createFilter } from '../../src/index.js';
import { packetJson } from '../../src/output/packet-json.js';
import { TraceFormatter } from '../../src/output/trace-format.js';
import { parseListingCounters } from '../kernel/listing.js';
import { ACK, LINKTYPE_RAW, LOOPBACK_MACS, REPLY_MACS, SYN, pcap, tcp, udp } from './packets.js';

const PCAP_HEADER = 24;
const LINKTYPE_LINUX_SLL = 113;

const RULESET = `table inet t {
	chain pre {
		type filter hook prerouting priority filter; policy accept;
		counter
	}
	chain in {
		type filter hook input priority filter; policy accept;
		ct state new counter
		meta iiftype loopback counter
	}
	chain out {
		type filter hook output priority filter; policy accept;
		ct state new counter
		meta iiftype loopback counter
	}
	chain post {
		type filter hook postrouting priority filter; policy accept;
		counter
	}
}
`;

function handshake(client: string, server: string): number[][] {
  return [
    tcp({ src: client, dst: server, sport: 40000, dport: 80, seq: 100, flags: SYN }),
    tcp({ src: server, dst: client, sport: 80, dport: 40000, seq: 900, ack: 101, flags: SYN | ACK }),
    tcp({ src: client, dst: server, sport: 40000, dport: 80, seq: 101, ack: 901, flags: ACK }),
  ];
}

async function run(capture: Uint8Array, local: string[] = []) {
  const ruleset = compile(RULESET);
  const filter = await createFilter(ruleset, { local });
  const json: Array<Record<string, unknown>> = [];
  filter.processCapture(capture, (batch) => {
    for (let i = 0; i < batch.count; i++) json.push(JSON.parse(packetJson(ruleset, batch, i)));
  });
  const counters = Object.fromEntries(parseListingCounters(filter.listRuleset()).map((c) => [`${c.chain}: ${c.rule}`, c.packets]));
  return { counters, json, conntrack: filter.conntrackTable() };
}

const BOTH_WAYS = {
  'pre: counter': 3,
  'in: ct state new counter': 1,
  'in: meta iiftype loopback counter': 3,
  'out: ct state new counter': 1,
  'out: meta iiftype loopback counter': 0,
  'post: counter': 3,
};

describe('traffic the host sends itself', () => {
  it('127.0.0.1 on lo, without --local: out and back in, one entry', async () => {
    const r = await run(pcap(handshake('127.0.0.1', '127.0.0.1'), { macs: LOOPBACK_MACS }));
    expect(r.counters).toEqual(BOTH_WAYS);
    expect(r.conntrack).toHaveLength(1);
    expect(r.json.every((p) => p.verdict === 'accept')).toBe(true);
  });

  it('the host\'s own address on lo, without --local', async () => {
    const r = await run(pcap(handshake('10.0.0.2', '10.0.0.2'), { macs: LOOPBACK_MACS }));
    expect(r.counters).toEqual(BOTH_WAYS);
    expect(r.conntrack).toHaveLength(1);
  });

  it('between two local addresses, with --local, on a link that does not tell', async () => {
    const r = await run(pcap(handshake('10.0.0.2', '127.0.0.1'), { linkType: LINKTYPE_RAW }), ['10.0.0.2']);
    expect(r.counters).toEqual(BOTH_WAYS);
    expect(r.conntrack).toHaveLength(1);
  });

  it('127.0.0.1 coming in on an Ethernet device is a martian, and says so', async () => {
    const r = await run(pcap([handshake('127.0.0.1', '10.0.0.2')[0]!]), ['10.0.0.2']);
    expect(r.counters['pre: counter']).toBe(1);
    expect(r.counters['in: ct state new counter']).toBe(0);
    expect(r.json[0]).toMatchObject({ verdict: 'drop', fate: 'martian', ct: { state: 'new' } });
    expect(r.json[0]).not.toHaveProperty('decided');
    expect(r.conntrack).toHaveLength(0);
  });

  it('a traced martian says so in its last trace line', async () => {
    const ruleset = compile(RULESET);
    const filter = await createFilter(ruleset, { local: ['10.0.0.2'], trace: { packets: [1] } });
    const formatter = new TraceFormatter(ruleset, (_colour, text) => text);
    const lines: string[] = [];
    filter.processCapture(pcap([handshake('127.0.0.1', '10.0.0.2')[0]!]), (batch) => {
      formatter.lines(batch, 0, 0, (line) => lines.push(line), false);
    });
    expect(lines.at(-2)).toBe('trace id 00000001 inet t pre policy accept ');
    expect(lines.at(-1)).toBe('trace id 00000001 fate martian (verdict drop)');
  });

  it('a router solicitation from the host\'s link-local address goes out, once its Ethernet address is known', async () => {
    // fe80::1 -> ff02::2, ICMPv6 router solicitation (the checksum is not
    // checked on the way out).
    const solicitation = [
      0x60, 0, 0, 0, 0, 8, 58, 255,
      0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
      0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
      133, 0, 0, 0, 0, 0, 0, 0,
    ];
    // The host's Ethernet address is learnt from a frame to its address.
    const toHost = pcap([handshake('10.0.0.1', '10.0.0.2')[0]!]);
    const fromHost = pcap([solicitation], { start: 1_700_000_001, macs: REPLY_MACS });
    const r = await run(Uint8Array.from([...toHost, ...fromHost.subarray(PCAP_HEADER)]), ['10.0.0.2']);
    expect(r.counters['out: meta iiftype loopback counter']).toBe(0);
    expect(r.counters['post: counter']).toBe(1);
    expect(r.counters['pre: counter']).toBe(1);
  });

  it('what a cooked capture marks outgoing, from an unspecified address, goes out', async () => {
    // Linux cooked (SLL): packet type 4 is PACKET_OUTGOING.
    const sll = [0, 4, 0, 1, 0, 6, 2, 0, 0, 0, 0, 2, 0, 0, 0x08, 0x00];
    const capture = pcap([[...sll, ...udp('0.0.0.0', '255.255.255.255', 68, 67)]], { linkType: LINKTYPE_RAW });
    new DataView(capture.buffer).setUint32(20, LINKTYPE_LINUX_SLL, true);
    const r = await run(capture, ['10.0.0.2']);
    expect(r.counters['post: counter']).toBe(1);
    expect(r.counters['pre: counter']).toBe(0);
  });
});
