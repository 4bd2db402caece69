// No capacity of the data plane's own changes a verdict: `ct count` counts
// as many connections, in as many rules, as the kernel's nf_conncount,
// whose lists have no length limit; helpers open as many expectations as
// the kernel's nf_conntrack_expect_max allows; fragments wait in as many
// queues as datagrams are being rebuilt.
import { describe, expect, it } from 'vitest';
import { compile, createFilter } from '../../src/index.js';
import { parseListingCounters } from '../kernel/listing.js';
import { SYN, pcap, tcp, udp } from './packets.js';

const FLOWS = 300;
// A distinct client address for each i.
const client = (i: number) => `10.1.${Math.floor(i / 250)}.${1 + (i % 250)}`;
const syns = Array.from({ length: FLOWS }, (_, i) => tcp({ src: client(i), dst: '10.0.0.2', sport: 30000 + i, dport: 80, seq: 1, flags: SYN }));

describe('ct count', () => {
  it('counts past 256 connections, and never drops for want of room', async () => {
    const ruleset = `table inet t {
	chain in {
		type filter hook input priority filter; policy accept;
		ct count over 1000 counter drop
		ct count over ${FLOWS - 1} counter
		ct count ${FLOWS - 1} counter
	}
}
`;
    const filter = await createFilter(compile(ruleset), { local: ['10.0.0.2'] });
    const stats = filter.processCapture(pcap(syns));
    expect(stats.dropped).toBe(0);
    expect(parseListingCounters(filter.listRuleset()).map((c) => c.packets)).toEqual([0, 1, FLOWS - 1]);
  });

  it('keeps a list for every ct count rule, however many', async () => {
    const rules = Array.from({ length: 40 }, (_, i) => `\t\ttcp dport 80 ct count over ${1000 + i} counter drop\n`).join('');
    const ruleset = `table inet t {\n\tchain in {\n\t\ttype filter hook input priority filter; policy accept;\n${rules}\t\tcounter\n\t}\n}\n`;
    const filter = await createFilter(compile(ruleset), { local: ['10.0.0.2'] });
    const stats = filter.processCapture(pcap(syns.slice(0, 20)));
    expect(stats.dropped).toBe(0);
    expect(parseListingCounters(filter.listRuleset()).at(-1)!.packets).toBe(20);
  });
});

// A TFTP read request from a client port: the helper expects the server's
// answer, from any port, back to it. No UDP checksum (0), as IPv4 allows.
function tftpRead(i: number): number[] {
  const p = udp(client(i), '10.0.0.2', 20000 + i, 69, 12);
  p.splice(28, 12, 0, 1, 0x66, 0, 0x6f, 0x63, 0x74, 0x65, 0x74, 0, 0, 0);
  p[26] = 0;
  p[27] = 0;
  return p;
}

const tftpAnswer = (i: number) => udp('10.0.0.2', client(i), 40000 + i, 20000 + i);

const TFTP = `table inet t {
	ct helper tftp-standard {
		type "tftp" protocol udp
	}
	chain pre {
		type filter hook prerouting priority filter; policy accept;
		udp dport 69 ct helper set "tftp-standard"
	}
	chain in {
		type filter hook input priority filter; policy accept;
		udp dport 69 counter
	}
	chain out {
		type filter hook output priority filter; policy accept;
		ct state related counter
	}
}
`;

describe('expectations', () => {
  it('as many as nf_conntrack_expect_max, past 1024', async () => {
    const n = 1100;
    const filter = await createFilter(compile(TFTP), { local: ['10.0.0.2'] });
    const requests = Array.from({ length: n }, (_, i) => tftpRead(i));
    const answers = Array.from({ length: n }, (_, i) => tftpAnswer(i));
    const stats = filter.processCapture(pcap([...requests, ...answers], { step: 0.0001 }));
    expect(stats.dropped).toBe(0);
    expect(parseListingCounters(filter.listRuleset()).map((c) => c.packets)).toEqual([n, n]);
  });

  it('a full expectation table makes the helper drop the packet', async () => {
    const filter = await createFilter(compile(TFTP), { local: ['10.0.0.2'], sysctl: { nf_conntrack_expect_max: 10 } });
    const stats = filter.processCapture(pcap(Array.from({ length: 12 }, (_, i) => tftpRead(i))));
    expect(stats.dropped).toBe(2);
  });
});

// The fragment of IP packet `whole` (IPv4, no options) holding its bytes
// from offset to end after the header, with id i.
function piece(whole: number[], i: number, offset: number, end: number): number[] {
  const h = whole.slice(0, 20);
  const data = whole.slice(20 + offset, 20 + end);
  const total = 20 + data.length;
  h[2] = total >> 8;
  h[3] = total & 0xff;
  h[4] = (i >> 8) & 0xff;
  h[5] = i & 0xff;
  const frag = (20 + end < whole.length ? 0x2000 : 0) | (offset >> 3);
  h[6] = frag >> 8;
  h[7] = frag & 0xff;
  h[10] = 0;
  h[11] = 0;
  let sum = 0;
  for (let k = 0; k < 20; k += 2) sum += (h[k]! << 8) | h[k + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  const c = ~sum & 0xffff;
  h[10] = c >> 8;
  h[11] = c & 0xff;
  return [...h, ...data];
}

// The two fragments of a UDP datagram: its first 512 bytes after the IP
// header, then the rest.
function fragments(i: number): [number[], number[]] {
  const whole = udp(client(i), '10.0.0.2', 20000 + i, 5353, 1000);
  return [piece(whole, i, 0, 512), piece(whole, i, 512, whole.length - 20)];
}

describe('defragmentation', () => {
  it('rebuilds as many datagrams at once as arrive', async () => {
    const n = 100;
    const ruleset = `table inet t {\n\tchain in {\n\t\ttype filter hook input priority filter; policy accept;\n\t\tudp dport 5353 counter\n\t}\n}\n`;
    const filter = await createFilter(compile(ruleset), { local: ['10.0.0.2'] });
    const all = Array.from({ length: n }, (_, i) => fragments(i));
    filter.processCapture(pcap([...all.map(([first]) => first), ...all.map(([, second]) => second)]));
    expect(parseListingCounters(filter.listRuleset())[0]!.packets).toBe(n);
  });

  it('rebuilds a datagram from 141 fragments, every other one first', async () => {
    const ruleset = `table inet t {\n\tchain in {\n\t\ttype filter hook input priority filter; policy accept;\n\t\tudp dport 5353 counter\n\t}\n}\n`;
    const filter = await createFilter(compile(ruleset), { local: ['10.0.0.2'] });
    const whole = udp(client(1), '10.0.0.2', 20001, 5353, 141 * 8 - 8);
    const pieces = Array.from({ length: 141 }, (_, k) => piece(whole, 7, k * 8, Math.min(k * 8 + 8, whole.length - 20)));
    // The odd ones make 70 runs apart before the even ones join them.
    const order = [...pieces.filter((_, k) => k % 2 === 1), ...pieces.filter((_, k) => k % 2 === 0)];
    filter.processCapture(pcap(order));
    expect(parseListingCounters(filter.listRuleset())[0]!.packets).toBe(1);
  });
});
