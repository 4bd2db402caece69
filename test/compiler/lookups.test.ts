// Set, map and verdict map lookups in the data plane, driven by packets:
// exact, interval and concatenated keys (with ranges, and with host-order
// fields the lookup converts), data maps and verdict maps that jump.
import { describe, expect, it } from 'vitest';
import { compile, createFilter } from '../../src/index.js';
import { pcap, SYN, tcp, udp } from '../dataplane/packets.js';

interface Outcome {
  accepted: boolean;
  handle: number;
  chain: number;
}

async function run(source: string, packets: number[][]): Promise<Outcome[]> {
  const filter = await createFilter(compile(source), { local: ['10.0.0.1', '10.0.0.2', '10.0.0.3'] });
  const out: Outcome[] = [];
  filter.processCapture(pcap(packets), (b) => {
    for (let i = 0; i < b.count; i++) out.push({ accepted: b.accepted(i), handle: b.handle(i), chain: b.chain(i) });
  });
  return out;
}

const syn = (src: string, dst: string, dport: number, sport = 40000) => tcp({ src, dst, sport, dport, seq: 1, flags: SYN });

// Handles: the table's sets and chains come first, so rules are found by
// their position in the listing.
function handles(source: string): number[] {
  return [...compile(source).toListing({ handles: true }).matchAll(/\t\t[^\n]* # handle (\d+)\n/g)].map((m) => Number(m[1]));
}

describe('set lookups', () => {
  it('exact, interval and inverted anonymous sets', async () => {
    const src = `table ip t {
      chain in {
        type filter hook input priority 0; policy accept;
        tcp dport { 22, 80, 443 } drop
        ip saddr { 192.168.0.0/16, 172.16.1.5-172.16.1.9 } drop
        udp dport != { 53, 123 } drop
      }
    }`;
    const [exact, interval, inverted] = handles(src);
    const r = await run(src, [
      syn('198.51.100.1', '10.0.0.1', 80),
      syn('198.51.100.1', '10.0.0.1', 81),
      udp('192.168.77.3', '10.0.0.1', 1000, 53),
      udp('172.16.1.9', '10.0.0.1', 1000, 53),
      udp('172.16.1.10', '10.0.0.1', 1000, 53),
      udp('172.16.1.4', '10.0.0.1', 1000, 123),
      udp('172.16.1.4', '10.0.0.1', 1000, 124),
    ]);
    expect(r.map((x) => [x.accepted, x.handle])).toEqual([
      [false, exact], [true, 0], [false, interval], [false, interval], [true, 0], [true, 0], [false, inverted],
    ]);
  });

  it('named sets, exact and with intervals', async () => {
    const src = `table ip t {
      set blocked { type ipv4_addr; elements = { 203.0.113.7, 203.0.113.9 } }
      set nets { type ipv4_addr; flags interval; elements = { 10.20.0.0/16, 10.40.0.0-10.40.0.255 } }
      chain in {
        type filter hook input priority 0; policy accept;
        ip saddr @blocked drop
        ip saddr @nets drop
      }
    }`;
    const [byAddress, byNet] = handles(src);
    const r = await run(src, [
      udp('203.0.113.9', '10.0.0.1', 1, 2),
      udp('203.0.113.8', '10.0.0.1', 1, 2),
      udp('10.20.255.255', '10.0.0.1', 1, 2),
      udp('10.40.1.0', '10.0.0.1', 1, 2),
      udp('10.39.255.255', '10.0.0.1', 1, 2),
    ]);
    expect(r.map((x) => [x.accepted, x.handle])).toEqual([[false, byAddress], [true, 0], [false, byNet], [true, 0], [true, 0]]);
  });

  it('concatenations: exact, with ranges and prefixes, with a host-order field', async () => {
    const src = `table ip t {
      chain in {
        type filter hook input priority 0; policy accept;
        ip saddr . tcp dport { 198.51.100.1 . 22, 198.51.100.2 . 80 } drop
        ip saddr . ip daddr { 192.0.2.1 . 10.0.0.1-10.0.0.2, 192.0.2.0/24 . 10.0.0.3 } drop
        meta mark set 0x15
        meta mark . tcp dport { 0x10-0x20 . 8000-8080 } drop
      }
    }`;
    const [exact, ranges, , hostOrder] = handles(src);
    const r = await run(src, [
      syn('198.51.100.1', '10.0.0.1', 22),
      syn('198.51.100.1', '10.0.0.1', 80),
      udp('192.0.2.1', '10.0.0.2', 1, 2),
      udp('192.0.2.1', '10.0.0.3', 1, 2),
      udp('192.0.2.200', '10.0.0.3', 1, 2),
      udp('192.0.2.200', '10.0.0.2', 1, 2),
      syn('198.51.100.9', '10.0.0.1', 8000),
      syn('198.51.100.9', '10.0.0.1', 8081),
    ]);
    expect(r.map((x) => [x.accepted, x.handle])).toEqual([
      [false, exact], [true, 0], [false, ranges], [false, ranges], [false, ranges], [true, 0], [false, hostOrder], [true, 0],
    ]);
  });
});

describe('maps and verdict maps', () => {
  it('verdict maps jump, drop and accept; a chain returns', async () => {
    const src = `table ip t {
      chain ssh {
        ip saddr 198.51.100.66 drop
      }
      chain in {
        type filter hook input priority 0; policy drop;
        tcp dport vmap { 22 : jump ssh, 23 : drop, 80 : accept }
        ip saddr . ip daddr vmap { 192.168.5.1-192.168.5.128 . 10.0.0.1-10.0.0.2 : accept }
        tcp dport 22 accept
      }
    }`;
    const compiled = compile(src);
    const ssh = compiled.chains.findIndex((c) => c.name === 'ssh');
    const inChain = compiled.chains.findIndex((c) => c.name === 'in');
    const [sshDrop, vmap, concatVmap, after] = handles(src);
    const r = await run(src, [
      syn('198.51.100.66', '10.0.0.1', 22),
      syn('198.51.100.67', '10.0.0.1', 22),
      syn('198.51.100.67', '10.0.0.1', 23),
      syn('198.51.100.67', '10.0.0.1', 80),
      udp('192.168.5.128', '10.0.0.2', 1, 2),
      udp('192.168.5.129', '10.0.0.2', 1, 2),
    ]);
    expect(r).toEqual([
      { accepted: false, handle: sshDrop, chain: ssh },
      { accepted: true, handle: after, chain: inChain },
      { accepted: false, handle: vmap, chain: inChain },
      { accepted: true, handle: vmap, chain: inChain },
      { accepted: true, handle: concatVmap, chain: inChain },
      { accepted: false, handle: 0, chain: inChain },
    ]);
  });

  it('data maps write the register a later match reads', async () => {
    const src = `table ip t {
      map marks { type inet_service : mark; elements = { 22 : 0x5, 80 : 0x7 } }
      chain in {
        type filter hook input priority 0; policy accept;
        meta mark set tcp dport map { 443 : 0x5, 8443 : 0x6 }
        meta mark set tcp dport map @marks
        meta mark 0x5 drop
        meta mark set ip saddr map { 10.9.0.0/16 : 0x5 }
        meta mark 0x5 drop
      }
    }`;
    const [, , first, , second] = handles(src);
    const r = await run(src, [
      syn('198.51.100.1', '10.0.0.1', 443),
      syn('198.51.100.1', '10.0.0.1', 8443),
      syn('198.51.100.1', '10.0.0.1', 22),
      syn('198.51.100.1', '10.0.0.1', 80),
      udp('10.9.3.3', '10.0.0.1', 1, 2),
      udp('10.8.3.3', '10.0.0.1', 1, 2),
    ]);
    expect(r.map((x) => [x.accepted, x.handle])).toEqual([[false, first], [true, 0], [false, first], [true, 0], [false, second], [true, 0]]);
  });
});
