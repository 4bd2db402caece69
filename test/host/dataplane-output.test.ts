// The capture files the data plane writes itself (-w, --dropped) are byte
// for byte what the host's writers make of the same packets, whatever the
// input's format, link types, timestamp resolution and truncation.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OutputClass } from '../../assembly/abi.js';
import { compile, createFilter } from '../../src/index.js';
import { CaptureFile, MixedLinkTypesError, type CaptureFormat } from '../../src/output/capture-file.js';
import { encodePcap, encodePcapng, frame, ipv4Udp, LINKTYPE, packets, type TestPacket } from './captures.js';

const RULES = `table ip t {
	chain forward {
		type filter hook forward priority 0; policy accept;
		udp sport { 1002, 1005, 1007 } drop
	}
}
`;

const dir = mkdtempSync(join(tmpdir(), 'nftwasm-dpout-'));
let files = 0;

interface Written {
  accepted: Uint8Array;
  dropped: Uint8Array;
}

// One run with the files written by the host per packet, or by the data plane.
async function run(input: Uint8Array, format: CaptureFormat, byDataPlane: boolean, batchBytes?: number): Promise<Written> {
  const filter = await createFilter(compile(RULES), { batchBytes });
  const accepted = new CaptureFile(join(dir, `a${++files}`), format);
  const dropped = new CaptureFile(join(dir, `d${files}`), format);
  if (byDataPlane) {
    accepted.feedFrom(filter, OutputClass.Accepted);
    dropped.feedFrom(filter, OutputClass.Dropped);
  }
  try {
    filter.processCapture(input, byDataPlane ? undefined : (batch) => {
      for (let i = 0; i < batch.count; i++) (batch.accepted(i) ? accepted : dropped).add(batch, i);
    });
  } finally {
    accepted.close(1);
    dropped.close(1);
  }
  return { accepted: readFileSync(accepted.path), dropped: readFileSync(dropped.path) };
}

function truncated(list: TestPacket[]): TestPacket[] {
  return list.map((p, i) => (i % 3 === 0 ? { ...p, data: p.data.subarray(0, 30), origLen: p.data.length } : p));
}

const microsecondPcap = encodePcap(truncated(packets('ethernet', 12)), { linktype: LINKTYPE.ethernet });
const nanosecondPcap = encodePcap(packets('raw', 9), { linktype: LINKTYPE.raw, nanosecond: true });
const twoLinkTypes = encodePcapng([
  { type: 'section' },
  { type: 'interface', linktype: LINKTYPE.ethernet, tsresol: 9 },
  { type: 'interface', linktype: LINKTYPE.raw },
  ...Array.from({ length: 10 }, (_, i) => ({
    type: 'epb' as const,
    unitNs: i % 2 ? 1000n : 1n,
    packet: { tsNs: 1_700_000_000_000_000_000n + BigInt(i) * 1_234_567n, interfaceId: i % 2, data: i % 2 ? ipv4Udp(i + 1, i) : frame('ethernet', ipv4Udp(i + 1, i)) },
  })),
]);

describe('capture files written by the data plane', () => {
  for (const [name, input] of [['microsecond pcap with truncated records', microsecondPcap], ['nanosecond pcap of raw IP', nanosecondPcap]] as const) {
    for (const format of ['pcap', 'pcapng'] as const) {
      it(`${name} as ${format}`, async () => {
        const host = await run(input, format, false);
        expect(host.dropped.length).toBeGreaterThan(24);
        expect(await run(input, format, true)).toEqual(host);
        // Small batches: the regions fill and are written out many times.
        expect(await run(input, format, true, 256)).toEqual(host);
      });
    }
  }

  it('pcapng of two link types gets an interface for each', async () => {
    const host = await run(twoLinkTypes, 'pcapng', false);
    expect(await run(twoLinkTypes, 'pcapng', true)).toEqual(host);
  });

  it('a pcap file refuses a second link type, after writing what came before', async () => {
    const failure = (p: Promise<unknown>) => p.then(() => null, (e: Error) => e);
    const host = await failure(run(twoLinkTypes, 'pcap', false));
    const ours = await failure(run(twoLinkTypes, 'pcap', true));
    expect(ours).toBeInstanceOf(MixedLinkTypesError);
    expect((ours as Error).message.replace(/\/[ad]\d+:/, '')).toBe((host as Error).message.replace(/\/[ad]\d+:/, ''));
    expect(readFileSync(join(dir, `a${files}`)).length).toBeGreaterThan(24);
  });

  it('an output no packet reached still gets its header', async () => {
    const none = encodePcap(packets('ethernet', 0), { linktype: LINKTYPE.ethernet });
    expect(await run(none, 'pcapng', true)).toEqual(await run(none, 'pcapng', false));
  });
});
