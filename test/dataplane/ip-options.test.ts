// IPv4 options found as the kernel's ipv4_find_option finds them for
// nft_exthdr: record route and source routes, and a router alert only when
// its value is 0, as __ip_options_compile records it.
import { describe, expect, it } from 'vitest';
import { compile, createFilter } from '../../src/index.js';
import { ethernet, pcapFrames } from './packets.js';

function sum16(bytes: number[]): number {
  let s = 0;
  for (let i = 0; i < bytes.length; i += 2) s += (bytes[i] << 8) | (bytes[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

/** A UDP datagram from 10.0.0.1 to 10.0.0.2 whose IPv4 header carries these options (padded with end of list). */
function withOptions(options: number[]): number[] {
  const opts = [...options];
  while (opts.length % 4) opts.push(0);
  const udp = [0, 1, 0, 2, 0, 8, 0, 0];
  const total = 20 + opts.length + udp.length;
  const header = [0x40 | ((20 + opts.length) / 4), 0, total >> 8, total & 0xff, 0, 1, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, ...opts];
  const c = ~sum16(header) & 0xffff;
  header[10] = c >> 8;
  header[11] = c & 0xff;
  return [...header, ...udp];
}

const RULES = `table inet t {
	chain pre {
		type filter hook prerouting priority 0; policy accept;
		ip option rr exists counter
		ip option ra exists counter
		ip option lsrr ptr 4 counter
		ip option ssrr exists counter
		ip option rr length 7 counter
		ip option ra missing counter
		ip option lsrr addr 0x01020304 counter
	}
}
`;

describe('IPv4 options', () => {
  it('are found as the kernel records them', async () => {
    const filter = await createFilter(compile(RULES));
    filter.processCapture(pcapFrames([
      withOptions([7, 7, 4, 0, 0, 0, 0]),
      withOptions([148, 4, 0, 0]),
      withOptions([1, 131, 7, 4, 1, 2, 3, 4]),
      withOptions([148, 4, 0, 1]),
      withOptions([]),
    ].map((ip) => ethernet(ip))));
    const counters = [...filter.listRuleset().matchAll(/packets (\d+)/g)].map((m) => Number(m[1]));
    expect(counters).toEqual([1, 1, 1, 0, 1, 4, 1]);
  });
});
