// Payload set statements in the data plane: the written packets carry the
// new values with the IP header checksum and, for pseudo-header fields and
// ports, the transport checksum updated. Checked by recomputing the sums
// and, when tcpdump is installed, by tcpdump -vv, which flags bad ones.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PcapWriter } from '../../src/capture/pcap-writer.js';
import { compile, createFilter } from '../../src/index.js';
import { pcap, SYN, tcp, udp } from '../dataplane/packets.js';

const ETHER = 14;

function sum16(b: Uint8Array, from: number, to: number, initial = 0): number {
  let s = initial;
  for (let i = from; i < to; i += 2) s += (b[i] << 8) | (i + 1 < to ? b[i + 1] : 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

// Whether the IPv4 header and TCP or UDP checksums of an Ethernet frame
// verify (a sum over the covered bytes including the checksum is 0xffff).
function checksumsOk(frame: Uint8Array): { ip: boolean; l4: boolean } {
  const ihl = (frame[ETHER] & 0xf) * 4;
  const total = (frame[ETHER + 2] << 8) | frame[ETHER + 3];
  const l4 = ETHER + ihl;
  const proto = frame[ETHER + 9];
  const pseudo = sum16(frame, ETHER + 12, ETHER + 20, proto + total - ihl);
  return { ip: sum16(frame, ETHER, l4) === 0xffff, l4: sum16(frame, l4, ETHER + total, pseudo) === 0xffff };
}

function tcpdumpAvailable(): boolean {
  try {
    execFileSync('tcpdump', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const source = `table ip t {
  chain in {
    type filter hook input priority 0; policy accept;
    udp dport 1 ip ttl set 9
    udp dport 2 ip dscp set cs4
    tcp dport 3 ip saddr set 10.77.0.1
    udp dport 4 ip daddr set 10.0.0.3 udp sport set 5353
    tcp dport 5 ip ecn set ce tcp sport set 4444
  }
}
`;

async function rewritten(): Promise<Uint8Array[]> {
  const filter = await createFilter(compile(source), { local: ['10.0.0.1', '10.0.0.2', '10.0.0.3'] });
  const frames: Uint8Array[] = [];
  filter.processCapture(pcap([
    udp('198.51.100.1', '10.0.0.1', 1000, 1),
    udp('198.51.100.1', '10.0.0.1', 1000, 2),
    tcp({ src: '198.51.100.1', dst: '10.0.0.1', sport: 1000, dport: 3, seq: 7, flags: SYN }),
    udp('198.51.100.1', '10.0.0.2', 1000, 4),
    tcp({ src: '198.51.100.1', dst: '10.0.0.1', sport: 1000, dport: 5, seq: 7, flags: SYN, payload: 3 }),
  ]), (b) => {
    for (let i = 0; i < b.count; i++) frames.push(b.data(i).slice());
  });
  return frames;
}

describe('payload set statements', () => {
  it('write the fields and keep every checksum right', async () => {
    const [ttl, dscp, saddr, daddrSport, ecnSport] = await rewritten();
    expect(ttl[ETHER + 8]).toBe(9);
    expect(dscp[ETHER + 1] >> 2).toBe(0x20);
    expect([...saddr.subarray(ETHER + 12, ETHER + 16)]).toEqual([10, 77, 0, 1]);
    expect([...daddrSport.subarray(ETHER + 16, ETHER + 20)]).toEqual([10, 0, 0, 3]);
    expect((daddrSport[ETHER + 20] << 8) | daddrSport[ETHER + 21]).toBe(5353);
    expect(ecnSport[ETHER + 1] & 3).toBe(3);
    expect((ecnSport[ETHER + 20] << 8) | ecnSport[ETHER + 21]).toBe(4444);
    for (const f of [ttl, dscp, saddr, daddrSport, ecnSport]) expect(checksumsOk(f)).toEqual({ ip: true, l4: true });
  });

  it.skipIf(!tcpdumpAvailable())('pass tcpdump -vv checksum verification', async () => {
    const frames = await rewritten();
    const chunks: Uint8Array[] = [];
    const w = new PcapWriter((c) => chunks.push(c), { linktype: 1 });
    frames.forEach((f, i) => w.writePacket(1_700_000_000_000_000_000n + BigInt(i) * 1_000_000n, f));
    w.flush();
    const dir = mkdtempSync(join(tmpdir(), 'nftwasm-'));
    try {
      const file = join(dir, 'written.pcap');
      writeFileSync(file, Buffer.concat(chunks));
      const text = execFileSync('tcpdump', ['-vv', '-n', '-r', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      expect(text.split('\n').filter(Boolean)).toHaveLength(frames.length * 2);
      expect(text).not.toMatch(/bad|incorrect/i);
      expect(text).toMatch(/ttl 9,/);
      expect(text).toMatch(/10\.77\.0\.1\.1000 > 10\.0\.0\.1\.3:.*cksum 0x[0-9a-f]+ \(correct\)/);
      expect(text).toMatch(/198\.51\.100\.1\.5353 > 10\.0\.0\.3\.4:.*\[udp sum ok\]/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
