// TCP options as the kernel's nft_exthdr reads, writes and blanks them:
// the walk over the option list (past no-ops and an end of list), presence,
// fields, MSS clamping that never raises the MSS, and reset, with the TCP
// checksum right after every change.
import { describe, expect, it } from 'vitest';
import { compile, createFilter } from '../../src/index.js';
import { ethernet, MSS, pcapFrames, SACK_PERM, SYN, tcp, WSCALE } from './packets.js';

const ETHER = 14;
const IP = 20;

function sum16(b: Uint8Array, from: number, to: number, initial = 0): number {
  let s = initial;
  for (let i = from; i < to; i += 2) s += (b[i] << 8) | (i + 1 < to ? b[i + 1] : 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

function tcpChecksumOk(f: Uint8Array): boolean {
  const total = (f[ETHER + 2] << 8) | f[ETHER + 3];
  const pseudo = sum16(f, ETHER + 12, ETHER + 20, 6 + total - IP);
  return sum16(f, ETHER + IP, ETHER + total, pseudo) === 0xffff;
}

const TIMESTAMP = [8, 10, 0, 0, 0, 1, 0, 0, 0, 0];
const A = '10.0.0.1';
const B = '10.0.0.2';

const RULES = `table inet t {
	chain pre {
		type filter hook prerouting priority 0; policy accept;
		tcp option maxseg size 1460 counter
		tcp option sack-perm exists counter
		tcp option timestamp missing counter
		tcp option window count 7 counter
		tcp option timestamp tsval 1 counter
		tcp option 254 exists counter
		tcp option @3,16,8 7 counter
		tcp dport 1 tcp option maxseg size set 1360
		tcp dport 2 tcp option maxseg size set 1500
		tcp dport 3 reset tcp option sack-perm
		tcp option maxseg size 1360 counter
		tcp option sack-perm missing counter
	}
}
`;

describe('tcp options', () => {
  it('are found, read, clamped and blanked as the kernel does', async () => {
    const filter = await createFilter(compile(RULES));
    const syn = (dport: number, options: number[]) => ethernet(tcp({ src: A, dst: B, sport: 999, dport, seq: 1, flags: SYN, options }));
    const frames: Uint8Array[] = [];
    filter.processCapture(pcapFrames([
      // MSS after a no-op and an end of list, which the kernel walks past
      syn(1, [1, 0, ...MSS(1460), ...SACK_PERM, ...WSCALE(7)]),
      syn(2, [...MSS(1460), ...TIMESTAMP]),
      syn(3, [...SACK_PERM, 1, 1, ...MSS(1200)]),
      // no options at all; an option whose length runs past the header
      syn(4, []),
      syn(5, [3, 9, 7, 1]),
    ]), (b) => {
      for (let i = 0; i < b.count; i++) frames.push(b.data(i).slice());
    });
    const counters = [...filter.listRuleset().matchAll(/packets (\d+)/g)].map((m) => Number(m[1]));
    expect(counters).toEqual([2, 2, 4, 1, 1, 0, 1, 1, 4]);
    const mss = (f: Uint8Array, at: number) => (f[at] << 8) | f[at + 1];
    const opts = ETHER + IP + 20;
    expect(mss(frames[0], opts + 4)).toBe(1360);
    expect(mss(frames[1], opts + 2)).toBe(1460);
    expect([...frames[2].subarray(opts, opts + 2)]).toEqual([1, 1]);
    for (const f of frames) expect(tcpChecksumOk(f)).toBe(true);
  });
});
