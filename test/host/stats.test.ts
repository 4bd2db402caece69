// The summary a run ends with (filter.stats()) is kept by the data plane
// itself, so that a run without per-packet output costs no host work per
// packet: it must agree with the per-packet results, over several captures
// fed to one filter, with one data plane and with sharded workers.
import { describe, expect, it } from 'vitest';
import { compile, createFilter, type Filter, type PacketBatch } from '../../src/index.js';
import { createShardedFilter } from '../../src/workers.js';
import { pcap, tcp, udp, SYN } from '../dataplane/packets.js';

const RULESET = `table inet t {
	chain forward {
		type filter hook forward priority filter; policy accept;
		udp dport 53 drop
	}
}
`;

// UDP to 53 (dropped) and to 123 (accepted), a TCP SYN, and an IPv4 header
// with a bad length, which no hook sees (accepted, not evaluated).
function capture(start: number): Uint8Array {
  const malformed = udp('10.0.0.1', '192.0.2.1', 1000, 123);
  malformed[2] = 0xff;
  return pcap(
    [
      udp('10.0.0.1', '192.0.2.1', 1000, 53),
      udp('10.0.0.1', '192.0.2.1', 1001, 123),
      tcp({ src: '10.0.0.2', dst: '192.0.2.1', sport: 4000, dport: 80, seq: 1, flags: SYN }),
      malformed,
      udp('10.0.0.3', '192.0.2.9', 1002, 53),
    ],
    { start },
  );
}

function countFromResults(filter: Filter, captures: Uint8Array[]) {
  const seen = { packets: 0, accepted: 0, dropped: 0, notEvaluated: 0 };
  for (const c of captures) {
    filter.processCapture(c, (b: PacketBatch) => {
      for (let i = 0; i < b.count; i++) {
        seen.packets++;
        if (b.accepted(i)) seen.accepted++;
        else seen.dropped++;
        if (b.fate(i) !== 0) seen.notEvaluated++;
      }
    });
  }
  return seen;
}

describe('run summary', () => {
  const captures = [capture(1_700_000_000), capture(1_700_000_010)];

  it('agrees with the per-packet results', async () => {
    const filter = await createFilter(compile(RULESET));
    const seen = countFromResults(filter, captures);
    expect(seen).toEqual({ packets: 10, accepted: 6, dropped: 4, notEvaluated: 2 });
    expect(filter.stats()).toMatchObject(seen);
  });

  it('adds up the workers of a sharded run', async () => {
    const filter = await createShardedFilter(compile(RULESET), 2);
    const seen = countFromResults(filter, [Buffer.concat(captures.map((c, i) => (i === 0 ? c : c.subarray(24))))]);
    expect(seen).toEqual({ packets: 10, accepted: 6, dropped: 4, notEvaluated: 2 });
    expect(filter.stats()).toMatchObject(seen);
  });
});

// Eight UDP flows through a table of room for max entries.
function flows(): Uint8Array {
  return pcap(Array.from({ length: 8 }, (_, i) => udp(`10.0.1.${i + 1}`, '192.0.2.1', 2000 + i, 123)));
}

describe('conntrack statistics', () => {
  const TRACKED = RULESET.replace('udp dport 53 drop', 'ct state new accept');

  it('count the connections confirmed, and the early drops of a full table', async () => {
    const roomy = await createFilter(compile(TRACKED));
    roomy.processCapture(flows());
    expect(roomy.conntrackStatistics()).toMatchObject({ insert: 8, new: 8, drop: 0, earlyDrop: 0 });
    // Unreplied UDP entries are not assured, but early_drop looks only
    // near the new tuple's hash: past the fifth flow, each new one either
    // evicts an entry or is dropped itself.
    const full = await createFilter(compile(TRACKED), { sysctl: { nf_conntrack_max: 5 } });
    full.processCapture(flows());
    const c = full.conntrackStatistics();
    expect(c.earlyDrop + c.drop).toBe(3);
    expect(c.insert + c.drop).toBe(8);
    expect(c.insert - c.earlyDrop).toBe(5);
    expect(full.stats().conntrackEntries).toBe(5);
  });

  it('add up the workers of a sharded run', async () => {
    const filter = await createShardedFilter(compile(TRACKED), 2);
    filter.processCapture(flows());
    expect(filter.conntrackStatistics()).toMatchObject({ insert: 8, new: 8, drop: 0, earlyDrop: 0 });
  });
});
