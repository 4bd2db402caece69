// The conntrack table's bounds, as the kernel's: nf_conntrack_max (0: no
// limit), a table that grows with use whatever the maximum, and early drop
// (early_drop in nf_conntrack_core.c) that walks a few hash buckets
// (nf_conntrack_buckets) from the new tuple's and drops unassured entries.
// When every entry is assured, the new connection's packet is dropped at the
// conntrack hook and no later chain sees it.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CtEvent } from '../../assembly/abi.js';
import { compile, createFilter } from '../../src/index.js';
import { parseListingCounters } from '../kernel/listing.js';
import { nftwasm } from '../host/cli-run.js';
import { ACK, SYN, pcap, tcp, udp } from './packets.js';

const RULESET = `table inet t {
	chain in {
		type filter hook input priority filter; policy accept;
		ct state new counter
	}
}
`;

const newCount = (listing: string) => parseListingCounters(listing)[0]!.packets;

// n UDP flows from distinct ports and addresses.
const flows = (n: number) => Array.from({ length: n }, (_, i) => udp(`10.1.${(i >> 8) & 255}.${i & 255}`, '10.0.0.2', 20000 + (i % 40000), 53));

describe('nf_conntrack_max', () => {
  it('early-drops the unassured entries of a bucket near the new tuple to admit it', async () => {
    // 512 buckets for 4096 entries: every bucket holds some.
    const filter = await createFilter(compile(RULESET), { local: ['10.0.0.2'], sysctl: { nf_conntrack_max: 4096, nf_conntrack_buckets: 512 } });
    filter.processCapture(pcap(flows(5000)));
    expect(filter.conntrackTable().length).toBeLessThanOrEqual(4096);
    expect(newCount(filter.listRuleset())).toBe(5000);
    const stats = filter.conntrackStatistics();
    expect(stats.drop).toBe(0);
    expect(stats.earlyDrop).toBeGreaterThanOrEqual(5000 - 4096);
  });

  it('looks at a few buckets only: in a sparse hash most new connections find nothing to drop', async () => {
    // The kernel's default of 262144 buckets for 64 entries: eight buckets
    // from the new tuple's are almost always empty.
    const filter = await createFilter(compile(RULESET), { local: ['10.0.0.2'], sysctl: { nf_conntrack_max: 64 } });
    const stats = filter.processCapture(pcap(flows(200)));
    const ct = filter.conntrackStatistics();
    expect(filter.conntrackTable()).toHaveLength(64);
    expect(ct.drop).toBeGreaterThan(100);
    expect(ct.drop + ct.earlyDrop).toBeGreaterThanOrEqual(136);
    expect(stats.dropped).toBe(ct.drop);
  });

  it('drops the packet when only assured entries remain', async () => {
    const filter = await createFilter(compile(RULESET), { local: ['10.0.0.2'], sysctl: { nf_conntrack_max: 2, nf_conntrack_buckets: 1 } });
    const handshake = (port: number) => [
      tcp({ src: '10.0.0.1', dst: '10.0.0.2', sport: port, dport: 80, seq: 100, flags: SYN }),
      tcp({ src: '10.0.0.2', dst: '10.0.0.1', sport: 80, dport: port, seq: 900, ack: 101, flags: SYN | ACK }),
      tcp({ src: '10.0.0.1', dst: '10.0.0.2', sport: port, dport: 80, seq: 101, ack: 901, flags: ACK }),
    ];
    filter.processCapture(pcap([...handshake(30001), ...handshake(30002)]));
    expect(filter.conntrackTable()).toHaveLength(2);
    const stats = filter.processCapture(pcap([handshake(30003)[0]!], { start: 1_700_000_001 }));
    expect(filter.conntrackTable()).toHaveLength(2);
    expect(newCount(filter.listRuleset())).toBe(2);
    expect(stats.dropped).toBe(1);
  });

  it('0 means no limit', async () => {
    const filter = await createFilter(compile(RULESET), { local: ['10.0.0.2'], sysctl: { nf_conntrack_max: 0 } });
    const stats = filter.processCapture(pcap(flows(3000)));
    expect(filter.conntrackTable()).toHaveLength(3000);
    expect(stats.dropped).toBe(0);
    expect(filter.conntrackStatistics().drop).toBe(0);
  });

  it('a table grows with use, whatever the maximum, events and all', async () => {
    for (const max of [8_212_519, 1_073_741_823, 2_147_483_647]) {
      const filter = await createFilter(compile(RULESET), { local: ['10.0.0.2'], events: true, sysctl: { nf_conntrack_max: max } });
      let created = 0;
      filter.processCapture(pcap(flows(2500)), (batch) => {
        for (let j = 0; j < batch.events!.count; j++) created += batch.events!.type(j) === CtEvent.New ? 1 : 0;
      });
      expect(filter.conntrackTable()).toHaveLength(2500);
      expect(created).toBe(2500);
    }
  });
});

// n UDP flows in a pcap built in place from one packet: the flow number
// is the two ports, the UDP checksum 0 (none), so that millions cost no
// more than their bytes.
function manyFlows(from: number, n: number): Uint8Array {
  const one = pcap([udp('10.1.0.1', '10.0.0.2', 1, 1, 0)]);
  // Past the file header: the record header, Ethernet and IPv4.
  const record = one.slice(24);
  const ports = 16 + 14 + 20;
  record.fill(0, ports + 6, ports + 8);
  const out = new Uint8Array(24 + n * record.length);
  out.set(one.subarray(0, 24));
  const view = new DataView(out.buffer);
  for (let i = 0; i < n; i++) {
    const at = 24 + i * record.length;
    out.set(record, at);
    view.setUint32(at + ports, from + i);
  }
  return out;
}

describe('a table without limit grows as far as memory goes', () => {
  // Before, the entry arrays stopped doubling at 4,194,304 slots (the next
  // doubling was over the 1 GiB the runtime allocates at once) with 1.7 GiB
  // of memory left, and addresses past 2 GiB read as negative by the host
  // threw a RangeError.
  // 4.3 million packets, several seconds and 2 GiB; then 4 GiB in a child.
  it('crosses 4,194,304 entries', async () => {
    const filter = await createFilter(compile(RULESET), { local: ['10.0.0.2'], sysctl: { nf_conntrack_max: 0 } });
    const total = 4_300_000;
    const chunk = 500_000;
    let dropped = 0;
    for (let f = 0; f < total; f += chunk) dropped += filter.processCapture(manyFlows(0x10001 + f, Math.min(chunk, total - f))).dropped;
    expect(dropped).toBe(0);
    expect(filter.stats().conntrackEntries).toBe(total);
    expect(filter.conntrackStatistics()).toMatchObject({ drop: 0, outOfMemory: 0 });
  }, 120_000);

  it('fills WebAssembly\'s 4 GiB, then nftwasm filter drops new connections and says so', () => {
    const flows = 7_000_000;
    const rules = join(mkdtempSync(join(tmpdir(), 'nftwasm-ct-')), 'r.nft');
    writeFileSync(rules, RULESET);
    const r = nftwasm(['filter', '-f', rules, '-r', '-', '--local', '10.0.0.2', '--sysctl', 'nf_conntrack_max=0'], manyFlows(0x10001, flows));
    expect(r.status).toBe(0);
    const [, accepted, dropped, entries] = /(\d+) accepted, (\d+) dropped, (\d+) conntrack entries/.exec(r.stderr)!.map(Number);
    expect(entries).toBeGreaterThan(4_194_304);
    expect(accepted).toBe(entries);
    expect(dropped).toBe(flows - entries!);
    expect(r.stderr).toContain(`memory ran out (WebAssembly addresses 4 GiB): ${dropped} packets dropped for want of an entry`);
    expect(r.stderr).not.toContain('nf_conntrack_max');
  }, 300_000);

  it('drops new connections, counted, when memory runs out, as the kernel when an entry cannot be allocated', async () => {
    // 64 MiB: the module's own data and buffers, then a few hundred
    // thousand entries.
    const memory = new WebAssembly.Memory({ initial: 256, maximum: 1024 });
    const filter = await createFilter(compile(RULESET), { local: ['10.0.0.2'], memory, sysctl: { nf_conntrack_max: 0 } });
    const flows = 400_000;
    const stats = filter.processCapture(manyFlows(0x10001, flows));
    const ct = filter.conntrackStatistics();
    const entries = filter.stats().conntrackEntries;
    expect(entries).toBeGreaterThan(50_000);
    expect(entries).toBeLessThan(flows);
    expect(ct.outOfMemory).toBe(flows - entries);
    expect(ct.drop).toBe(ct.outOfMemory);
    expect(stats.dropped).toBe(ct.drop);
    // Dropped at the conntrack hook, before the input chain.
    expect(newCount(filter.listRuleset())).toBe(entries);
    // The entries already in are still there, still matched by their flows.
    const again = filter.processCapture(manyFlows(0x10001, 1000));
    expect(again.dropped).toBe(stats.dropped);
    expect(filter.conntrackStatistics().new).toBe(ct.new);
    expect(filter.stats().conntrackEntries).toBe(entries);
  });

  it('jumps to at most 262144 slots at the first growth for a large nf_conntrack_buckets', async () => {
    const memoryOf = async (buckets: number) => {
      const memory = new WebAssembly.Memory({ initial: 256, maximum: 65536 });
      const filter = await createFilter(compile(RULESET), { local: ['10.0.0.2'], memory, sysctl: { nf_conntrack_max: 0, nf_conntrack_buckets: buckets } });
      filter.processCapture(manyFlows(0x10001, 1025));
      return memory.buffer.byteLength;
    };
        // 4,194,304 slots took 1 GiB at the 1025th entry.
    expect(await memoryOf(4_194_304)).toBe(await memoryOf(262_144));
    expect(await memoryOf(268_435_455)).toBe(await memoryOf(262_144));
  });
});

describe('conntrack sysctls take the kernel range', () => {
  const RULES = compile(RULESET);
  it.each([
    ['nf_conntrack_max', '99999999999', /nf_conntrack_max: 99999999999 is out of the kernel's range, 0 to 2147483647/],
    ['nf_conntrack_max', '-1', /out of the kernel's range, 0 to 2147483647/],
    ['nf_conntrack_tcp_loose', '2', /out of the kernel's range, 0 to 1/],
    ['nf_conntrack_tcp_max_retrans', '256', /0 to 255/],
    ['nf_conntrack_udp_timeout', '8589935', /-8589934 to 8589934/],
    ['nf_conntrack_buckets', '0', /1 to 268435455/],
    ['nf_conntrack_acct', 'yes', /"yes" is not an integer/],
  ])('%s=%s is refused', async (name, value, message) => {
    await expect(createFilter(RULES, { sysctl: { [name]: value } })).rejects.toThrow(message);
  });

  it('takes a negative timeout as one that has run out', async () => {
    const filter = await createFilter(RULES, { local: ['10.0.0.2'], sysctl: { nf_conntrack_udp_timeout: -1 } });
    filter.processCapture(pcap(flows(3)));
    expect(filter.conntrackTable()).toHaveLength(0);
  });
});
