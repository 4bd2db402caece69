// Conntrack tunables by their kernel names reach the data plane. With one
// packet the remaining timeout is the whole timeout: it is computed at the
// last packet's time.
import { describe, expect, it } from 'vitest';
import { compile, createFilter } from '../../src/index.js';
import { gre, pcap, udp } from './packets.js';

const RULES = `table ip t {
	chain forward {
		type filter hook forward priority 0;
		ct state new counter
	}
}
`;

async function listing(sysctl: Record<string, number>, packets: number[][]): Promise<string> {
  const filter = await createFilter(compile(RULES), { sysctl });
  filter.processCapture(pcap(packets));
  return filter.conntrackListing();
}

describe('sysctl', () => {
  it('sets the GRE timeouts', async () => {
    const packets = [gre('10.0.0.1', '10.0.0.2')];
    expect(await listing({}, packets)).toMatch(/^ipv4 +2 gre +47 30 /);
    expect(await listing({ nf_conntrack_gre_timeout: 77 }, packets)).toMatch(/^ipv4 +2 gre +47 77 /);
  });

  it('shows the GRE timeouts an entry took in /proc/net/nf_conntrack', async () => {
    const filter = await createFilter(compile(RULES), { sysctl: { nf_conntrack_gre_timeout: 77 } });
    filter.processCapture(pcap([gre('10.0.0.1', '10.0.0.2')]));
    expect(filter.conntrackListing({ format: 'proc' })).toMatch(/^ipv4 +2 gre +47 77 timeout=77, stream_timeout=180 src=10\.0\.0\.1 /);
  });

  it('sets the UDP timeout', async () => {
    const packets = [udp('10.0.0.1', '10.0.0.2', 1000, 53)];
    expect(await listing({ 'net.netfilter.nf_conntrack_udp_timeout': 45 }, packets)).toMatch(/^ipv4 +2 udp +17 45 /);
  });

  it('refuses unknown names', async () => {
    await expect(createFilter(compile(RULES), { sysctl: { nf_conntrack_bogus: 1 } })).rejects.toThrow(/unknown sysctl "nf_conntrack_bogus"/);
  });
});
