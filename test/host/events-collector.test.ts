// DESTROY events for entries nothing touches again: the kernel's garbage
// collector finds them expired in the background; here a pass over the
// table once a second of capture time does, before a packet.
import { describe, expect, it } from 'vitest';
import { CtEvent } from '../../assembly/abi.js';
import { compile, createFilter } from '../../src/index.js';
import { pcap, udp } from '../dataplane/packets.js';

const RULES = `table ip t {
	chain in {
		type filter hook input priority 0; policy accept;
		ct state new accept
	}
}
`;

const LOCAL = '10.0.0.1';
const START = 1_700_000_000;

describe('the garbage collector', () => {
  it('reports an unreplied UDP entry destroyed at the first packet after its 30 s', async () => {
    const filter = await createFilter(compile(RULES), { local: [LOCAL], events: true });
    // A once at 0 s, B at 10, 20, 35 and 40 s.
    const packets = [udp('192.0.2.1', LOCAL, 1000, 53), ...[10, 20, 35, 40].map(() => udp('192.0.2.2', LOCAL, 2000, 53))];
    const times = [0, 10, 20, 35, 40];
    const bytes = pcap(packets);
    const view = new DataView(bytes.buffer);
    for (let i = 0, at = 24; i < times.length; i++) {
      view.setUint32(at, START + times[i]!, true);
      at += 16 + view.getUint32(at + 8, true);
    }
    const seen: string[] = [];
    filter.processCapture(bytes, (b) => {
      const ev = b.events!;
      for (let j = 0; j < ev.count; j++) seen.push(`${CtEvent[ev.type(j)]} id ${ev.entry(j).id} at packet ${b.firstPacket + ev.packet(j)}`);
    });
    expect(seen).toEqual(['New id 1 at packet 1', 'New id 2 at packet 2', 'Destroy id 1 at packet 4']);
    expect(filter.stats().conntrackEntries).toBe(1);
  });
});
