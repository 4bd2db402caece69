// Malformed and truncated packets: the data plane must neither fail nor
// let bytes outside a packet change what it concludes about it.
import { describe, expect, it } from 'vitest';
import { compile, createFilter } from '../../src/index.js';
import { ACK, FIN, PSH, SYN, tcp, udp } from './packets.js';

const RULESET = `table inet t {
	ct helper ftp-standard {
		type "ftp" protocol tcp
	}

	chain pre {
		type filter hook prerouting priority filter; policy accept;
		tcp dport 21 ct helper set "ftp-standard"
	}

	chain in {
		type filter hook input priority filter; policy accept;
		ct state invalid counter
		ct state new counter
		ct state established,related counter
		tcp dport 21 counter
		udp dport 53 counter
		icmp type echo-request counter
	}
}
`;

/** A deterministic pseudo-random sequence. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x100000000;
  };
}

const le32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];

/**
 * A raw-IP pcap whose records are the given packets, each cut to `caplen`
 * and followed by a record of `filler` bytes (never IP: version 0 or 15).
 */
function capture(packets: Array<{ bytes: number[]; caplen: number }>, filler: number): Uint8Array {
  const out: number[] = [...le32(0xa1b2c3d4), 2, 0, 4, 0, ...le32(0), ...le32(0), ...le32(65535), ...le32(101)];
  packets.forEach(({ bytes, caplen }, i) => {
    out.push(...le32(1_700_000_000 + i), ...le32(0), ...le32(caplen), ...le32(bytes.length), ...bytes.slice(0, caplen));
    out.push(...le32(1_700_000_000 + i), ...le32(1), ...le32(32), ...le32(32), ...new Array<number>(32).fill(filler));
  });
  return Uint8Array.from(out);
}

function seeds(): number[][] {
  const c = '10.0.0.1';
  const s = '10.0.0.2';
  const ftp = (flags: number, seq: number, ack: number, payload = 0) =>
    tcp({ src: c, dst: s, sport: 40000, dport: 21, seq, ack, flags, payload });
  return [
    ftp(SYN, 1, 0),
    tcp({ src: s, dst: c, sport: 21, dport: 40000, seq: 9, ack: 2, flags: SYN | ACK }),
    ftp(ACK, 2, 10),
    ftp(ACK | PSH, 2, 10, 30),
    ftp(FIN | ACK, 32, 10),
    udp(c, s, 5000, 53, 40),
    [0x45, 0, 0, 28, 0, 1, 0x20, 0, 64, 1, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 8, 0, 0, 0, 0, 1, 0, 1],
  ];
}

describe('malformed packets', () => {
  it('never fail, and bytes past a packet do not change the outcome', async () => {
    const rnd = random(0x5eed);
    const base = seeds();
    const packets: Array<{ bytes: number[]; caplen: number }> = [];
    for (let round = 0; round < 400; round++) {
      const bytes = [...base[Math.floor(rnd() * base.length)]!];
      const flips = 1 + Math.floor(rnd() * 4);
      for (let f = 0; f < flips; f++) bytes[Math.floor(rnd() * bytes.length)] = Math.floor(rnd() * 256);
      const cut = rnd() < 0.3 ? Math.floor(rnd() * bytes.length) : bytes.length;
      packets.push({ bytes, caplen: cut });
    }
    const outcomes: string[] = [];
    for (const filler of [0x00, 0xff]) {
      const filter = await createFilter(compile(RULESET), { local: ['10.0.0.2'] });
      const stats = filter.processCapture(capture(packets, filler));
      expect(stats.packets).toBe(packets.length * 2);
      outcomes.push(filter.listRuleset() + filter.conntrackListing());
    }
    expect(outcomes[1]).toBe(outcomes[0]);
  });
});
