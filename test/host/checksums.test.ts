// Transport checksums as conntrack checks them: on the way in only, so a
// packet the host sent is never judged by the checksum its device was to
// finish; and when packets were invalid for their checksums alone, the
// summary says how many and what to do.
import { describe, expect, it } from 'vitest';
import { compile, createFilter } from '../../src/index.js';
import { SYN, pcap, tcp } from '../dataplane/packets.js';
import { EXAMPLE_CAPTURE, EXAMPLE_RULESET, nftwasm } from './cli-run.js';

const RULESET = `table inet t {
	chain in {
		type filter hook input priority filter; policy accept;
		ct state invalid counter
	}
	chain out {
		type filter hook output priority filter; policy accept;
		ct state new counter
	}
}
`;

describe('transport checksums', () => {
  it('are checked coming in, not going out', async () => {
    const filter = await createFilter(compile(RULESET), { local: ['10.0.0.2'] });
    const incoming = tcp({ src: '10.0.0.1', dst: '10.0.0.2', sport: 40000, dport: 80, seq: 1, flags: SYN, badChecksum: true });
    const outgoing = tcp({ src: '10.0.0.2', dst: '10.0.0.1', sport: 40001, dport: 80, seq: 1, flags: SYN, badChecksum: true });
    const stats = filter.processCapture(pcap([incoming, outgoing]));
    expect(stats.badChecksums).toBe(1);
    expect(filter.listRuleset()).toMatch(/ct state invalid counter packets 1 /);
    expect(filter.listRuleset()).toMatch(/ct state new counter packets 1 /);
    expect(filter.conntrackTable()).toHaveLength(1);
  });

  it('the summary counts packets invalid for their checksums and says what to do', () => {
    const r = nftwasm(['filter', '-f', EXAMPLE_RULESET, '-r', EXAMPLE_CAPTURE, '--conntrack']);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/nftwasm: [1-9]\d* packets invalid to conntrack for a bad TCP, UDP, ICMP or SCTP checksum alone: .*--local .*--sysctl nf_conntrack_checksum=0/);
    const unchecked = nftwasm(['filter', '-f', EXAMPLE_RULESET, '-r', EXAMPLE_CAPTURE, '--conntrack', '--sysctl', 'nf_conntrack_checksum=0']);
    expect(unchecked.stderr).not.toMatch(/checksum/);
    expect(unchecked.stdout.toString().trim().split('\n')).toHaveLength(9);
  });
});
