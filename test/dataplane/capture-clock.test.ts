// Capture time is the kernel's clock, which never goes back: a record stamped
// earlier than one before it (merged captures) is evaluated at the latest
// time seen, and the run says how many there were.
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile, createFilter } from '../../src/index.js';
import { nftwasm } from '../host/cli-run.js';
import { pcap, udp } from './packets.js';

const RULESET = `table inet t {
	chain in {
		type filter hook input priority filter; policy accept;
		ct state new counter
	}
}
`;

const LATE = 1_700_100_000;
// Two flows, the second stamped a day and more before the first, then a
// packet of the first flow stamped earlier still.
const CAPTURE = pcap(
  [udp('10.0.0.1', '10.0.0.2', 20000, 53), udp('10.0.0.1', '10.0.0.2', 20001, 53), udp('10.0.0.1', '10.0.0.2', 20000, 53)],
  { times: [LATE, LATE - 100_000, LATE - 100_001] },
);

describe('capture clock', () => {
  it('never goes back: entries keep their timeouts, the run counts the records out of order', async () => {
    const filter = await createFilter(compile(RULESET), { local: ['10.0.0.2'] });
    const stats = filter.processCapture(CAPTURE);
    expect(stats.backInTime).toBe(2);
    const left = [...filter.conntrackListing().matchAll(/udp +17 (\d+) /g)].map((m) => Number(m[1]));
    expect(left).toEqual([30, 30]);
  });

  it('in the summary', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nftwasm-clock-'));
    try {
      writeFileSync(join(dir, 'r.nft'), RULESET);
      writeFileSync(join(dir, 'c.pcap'), CAPTURE);
      const run = nftwasm(['filter', '-f', join(dir, 'r.nft'), '-r', join(dir, 'c.pcap'), '--local', '10.0.0.2', '--no-progress']);
      expect(run.status).toBe(0);
      expect(run.stderr).toContain('2 records were stamped earlier than one before them');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
