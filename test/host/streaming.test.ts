// A capture fed block by block through a tiny input buffer, with records cut
// at every possible place and a results array of a few entries, gives the
// same per-packet results, counters, conntrack table, events and statistics
// as the whole file at once.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/index.js';
import type { Filter } from '../../src/filter.js';
import type { PacketBatch } from '../../src/packet-batch.js';
import { EXAMPLE_CAPTURE, EXAMPLE_RULESET } from './cli-run.js';
import { newFilter, rows, type ResultRow } from './harness.js';
import { concat, encodePcapng } from './captures.js';

interface EventRow {
  type: number;
  packet: number;
  timeNs: bigint;
  id: number;
  tcpState: number;
  status: number;
}

function eventRows(into: EventRow[]): (batch: PacketBatch) => void {
  return (batch) => {
    const ev = batch.events!;
    for (let j = 0; j < ev.count; j++) {
      const e = ev.entry(j);
      into.push({ type: ev.type(j), packet: batch.firstPacket + ev.packet(j), timeNs: ev.timeNs(j), id: e.id, tcpState: e.tcpState, status: e.status });
    }
  };
}

function everything(filter: Filter) {
  return { counters: filter.counters(), listing: filter.listRuleset(), conntrack: filter.conntrackListing(), stats: filter.stats() };
}

// The example, then the same traffic again 200 s later and once more 10 s
// after that, so that timeouts run out and entries are reused mid-stream.
function longerCapture(): Uint8Array {
  const base = readFileSync(EXAMPLE_CAPTURE);
  const shifted = (seconds: number) => {
    const copy = Uint8Array.from(base);
    const v = new DataView(copy.buffer);
    for (let at = 24; at < copy.length; ) {
      v.setUint32(at, v.getUint32(at, true) + seconds, true);
      at += 16 + v.getUint32(at + 8, true);
    }
    return copy.subarray(24);
  };
  return concat(base, shifted(200), shifted(210));
}

describe('streaming', () => {
  const ruleset = compile(readFileSync(EXAMPLE_RULESET, 'utf8'), { filename: EXAMPLE_RULESET });
  const opts = { local: ['10.99.0.2'], events: true };

  for (const [name, bytes] of [['pcap', longerCapture()], ['pcapng', toPcapng(longerCapture())]] as const) {
    it(`processReader with a tiny buffer equals processCapture (${name})`, async () => {
      const whole = await newFilter(ruleset, opts);
      const wholeRows: ResultRow[] = [];
      const wholeEvents: EventRow[] = [];
      const collectWhole = rows(wholeRows);
      const collectWholeEvents = eventRows(wholeEvents);
      whole.processCapture(bytes, (b) => {
        collectWhole(b);
        collectWholeEvents(b);
      });

      // 600 bytes hold a couple of records at most; reads of 1 to 97 bytes
      // cut headers and data everywhere; 3 results per batch force many
      // partial batches.
      const streamed = await newFilter(ruleset, { ...opts, batchBytes: 600, maxResults: 3 });
      const streamedRows: ResultRow[] = [];
      const streamedEvents: EventRow[] = [];
      const collectStreamed = rows(streamedRows);
      const collectStreamedEvents = eventRows(streamedEvents);
      let at = 0;
      let step = 0;
      let batches = 0;
      streamed.processReader((dest) => {
        const n = Math.min(dest.length, bytes.length - at, 1 + ((step++ * 37) % 97));
        dest.set(bytes.subarray(at, at + n));
        at += n;
        return n;
      }, (b) => {
        batches++;
        collectStreamed(b);
        collectStreamedEvents(b);
      });

      expect(wholeRows.length).toBe(159);
      expect(batches).toBeGreaterThan(50);
      expect(streamedRows).toEqual(wholeRows);
      expect(streamedEvents).toEqual(wholeEvents);
      expect(wholeEvents.length).toBeGreaterThan(20);
      expect(everything(streamed)).toEqual(everything(whole));
    });
  }

  it('processStream with odd chunks equals processCapture', async () => {
    const bytes = longerCapture();
    const whole = await newFilter(ruleset, opts);
    const a: ResultRow[] = [];
    whole.processCapture(bytes, rows(a));
    const streamed = await newFilter(ruleset, { ...opts, batchBytes: 1024 });
    const b: ResultRow[] = [];
    async function* chunks() {
      for (let at = 0; at < bytes.length; at += 333) yield bytes.subarray(at, at + 333);
    }
    await streamed.processStream(chunks(), rows(b));
    expect(b).toEqual(a);
    expect(everything(streamed)).toEqual(everything(whole));
  });
});

function toPcapng(pcap: Uint8Array): Uint8Array {
  const v = new DataView(pcap.buffer, pcap.byteOffset, pcap.byteLength);
  const blocks: Parameters<typeof encodePcapng>[0][number][] = [{ type: 'section' }, { type: 'interface', linktype: v.getUint32(20, true), tsresol: 9 }];
  const nanos = v.getUint32(0, true) === 0xa1b23c4d;
  for (let at = 24; at < pcap.length; ) {
    const len = v.getUint32(at + 8, true);
    const tsNs = BigInt(v.getUint32(at, true)) * 1_000_000_000n + BigInt(v.getUint32(at + 4, true)) * (nanos ? 1n : 1000n);
    blocks.push({ type: 'epb', packet: { tsNs, data: pcap.slice(at + 16, at + 16 + len), origLen: v.getUint32(at + 12, true) }, unitNs: 1n });
    at += 16 + len;
  }
  return encodePcapng(blocks);
}
