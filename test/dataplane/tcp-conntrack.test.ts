// The TCP tracker against the kernel's transitions (nf_conntrack_proto_tcp.c),
// driven with hand-built segments: states, timeouts, window checks, resets,
// reopening, pickup and the sysctls that change them.
import { describe, expect, it } from 'vitest';
import { CtStatus, TcpState } from '../../assembly/abi.js';
import { compile, createFilter, type Filter } from '../../src/index.js';
import { hasStatus, type ConntrackEntry } from '../../src/conntrack-table.js';
import { parseListingCounters } from '../kernel/listing.js';
import { ACK, FIN, PSH, RST, SACK_PERM, SYN, URG, WSCALE, pcap, tcp, type TcpSegment } from './packets.js';

const RULESET = `table inet t {
	chain in {
		type filter hook input priority filter; policy accept;
		ct state invalid counter
		ct state new counter
		ct state established counter
	}

	chain out {
		type filter hook output priority filter; policy accept;
		ct state invalid counter
		ct state established counter
	}
}
`;

const CLIENT = '10.0.0.1';
const SERVER = '10.0.0.2';
const T0 = 1_700_000_000;

/** One TCP connection between CLIENT:40000 and SERVER:80, with both sides' sequence numbers. */
class Conversation {
  time = T0;
  client = 1000;
  server = 5000;

  constructor(readonly filter: Filter) {}

  private send(s: TcpSegment, after: number): void {
    this.time += after;
    this.filter.processCapture(pcap([tcp(s)], { start: this.time }));
  }

  c2s(flags: number, { payload = 0, after = 0.001, seq, ...rest }: Partial<TcpSegment> & { after?: number } = {}): void {
    this.send({ src: CLIENT, dst: SERVER, sport: 40000, dport: 80, seq: seq ?? this.client, ack: flags & ACK ? this.server : 0, flags, payload, ...rest }, after);
    if (seq === undefined) this.client += payload + (flags & SYN ? 1 : 0) + (flags & FIN ? 1 : 0);
  }

  s2c(flags: number, { payload = 0, after = 0.001, seq, ...rest }: Partial<TcpSegment> & { after?: number } = {}): void {
    this.send({ src: SERVER, dst: CLIENT, sport: 80, dport: 40000, seq: seq ?? this.server, ack: flags & ACK ? this.client : 0, flags, payload, ...rest }, after);
    if (seq === undefined) this.server += payload + (flags & SYN ? 1 : 0) + (flags & FIN ? 1 : 0);
  }

  handshake(): void {
    this.c2s(SYN, { options: [...WSCALE(7), ...SACK_PERM] });
    this.s2c(SYN | ACK, { options: [...WSCALE(7), ...SACK_PERM] });
    this.c2s(ACK);
  }

  entries(): ConntrackEntry[] {
    return this.filter.conntrackTable();
  }

  entry(): ConntrackEntry {
    const all = this.entries();
    expect(all).toHaveLength(1);
    return all[0]!;
  }

  /** Whole seconds the entry has left at the last packet's time. */
  timeout(): number {
    return Number((this.entry().expires - this.filter.time) / 1_000_000_000n);
  }

  invalid(): number {
    return parseListingCounters(this.filter.listRuleset())
      .filter((c) => c.rule.startsWith('ct state invalid'))
      .reduce((n, c) => n + c.packets, 0);
  }
}

async function conversation(sysctl: Record<string, number> = {}): Promise<Conversation> {
  const filter = await createFilter(compile(RULESET, { filename: 'tcp.nft' }), { local: [SERVER], sysctl });
  return new Conversation(filter);
}

describe('TCP conntrack', () => {
  it('walks the handshake and the close through the kernel states and timeouts', async () => {
    const c = await conversation();
    const steps: Array<[() => void, TcpState, number]> = [
      [() => c.c2s(SYN, { options: [...WSCALE(7), ...SACK_PERM] }), TcpState.SynSent, 120],
      [() => c.s2c(SYN | ACK, { options: [...WSCALE(7), ...SACK_PERM] }), TcpState.SynRecv, 60],
      [() => c.c2s(ACK), TcpState.Established, 432000],
      // Data not acknowledged yet: the shorter unacknowledged timeout.
      [() => c.c2s(ACK | PSH, { payload: 100 }), TcpState.Established, 300],
      [() => c.s2c(ACK), TcpState.Established, 432000],
      [() => c.c2s(FIN | ACK), TcpState.FinWait, 120],
      [() => c.s2c(ACK), TcpState.CloseWait, 60],
      [() => c.s2c(FIN | ACK), TcpState.LastAck, 30],
      [() => c.c2s(ACK), TcpState.TimeWait, 120],
    ];
    for (const [send, state, timeout] of steps) {
      send();
      expect(c.entry().tcpState).toBe(state);
      expect(c.timeout()).toBe(timeout);
    }
    expect(hasStatus(c.entry(), CtStatus.Assured)).toBe(true);
    expect(c.invalid()).toBe(0);
  });

  it('is unreplied and unassured until the reply, assured on the ACK after SYN_RECV', async () => {
    const c = await conversation();
    c.c2s(SYN);
    expect(hasStatus(c.entry(), CtStatus.SeenReply)).toBe(false);
    c.s2c(SYN | ACK);
    expect(hasStatus(c.entry(), CtStatus.SeenReply)).toBe(true);
    expect(hasStatus(c.entry(), CtStatus.Assured)).toBe(false);
    c.c2s(ACK);
    expect(hasStatus(c.entry(), CtStatus.Assured)).toBe(true);
  });

  it('does not renew the timeout on a retransmitted SYN', async () => {
    const c = await conversation();
    c.c2s(SYN);
    c.c2s(SYN, { seq: 1000, after: 10 });
    expect(c.entry().tcpState).toBe(TcpState.SynSent);
    expect(c.timeout()).toBe(110);
  });

  it('forgets a connection whose only answer was a reset', async () => {
    const c = await conversation();
    c.c2s(SYN);
    c.s2c(RST | ACK, { seq: 0 });
    expect(c.entries()).toHaveLength(0);
    expect(c.invalid()).toBe(0);
  });

  it('closes on a reset in an established connection', async () => {
    const c = await conversation();
    c.handshake();
    c.s2c(RST | ACK);
    expect(c.entry().tcpState).toBe(TcpState.Close);
    expect(c.timeout()).toBe(10);
  });

  it('reopens a connection in TIME_WAIT on a new SYN', async () => {
    const c = await conversation();
    c.handshake();
    c.c2s(FIN | ACK);
    c.s2c(FIN | ACK);
    c.c2s(ACK);
    const old = c.entry();
    expect(old.tcpState).toBe(TcpState.TimeWait);
    c.client += 100000;
    c.c2s(SYN);
    const fresh = c.entry();
    expect(fresh.tcpState).toBe(TcpState.SynSent);
    expect(fresh.id).not.toBe(old.id);
  });

  it('marks a segment beyond the receiver window invalid, unless be_liberal', async () => {
    for (const [liberal, expected] of [[0, 1], [1, 0]] as const) {
      const c = await conversation({ nf_conntrack_tcp_be_liberal: liberal });
      c.handshake();
      c.c2s(ACK | PSH, { payload: 10, seq: c.client + 50_000_000 });
      expect(c.invalid()).toBe(expected);
      expect(c.entry().tcpState).toBe(TcpState.Established);
    }
  });

  it('marks an ACK for data never sent invalid', async () => {
    const c = await conversation();
    c.handshake();
    c.s2c(ACK, { ack: c.client + 100_000 });
    expect(c.invalid()).toBe(1);
  });

  it('accepts data within a scaled window once the receiver announced it', async () => {
    const c = await conversation();
    c.handshake();
    // The SYN/ACK's window is never scaled: 1 MB ahead is beyond it.
    c.c2s(ACK | PSH, { payload: 100, seq: c.client + 1_000_000 });
    expect(c.invalid()).toBe(1);
    // 65535 << 7 bytes of window: now 1 MB ahead is inside.
    c.s2c(ACK);
    c.c2s(ACK | PSH, { payload: 100, seq: c.client + 1_000_000 });
    expect(c.invalid()).toBe(1);
  });

  it('picks up a connection from a lone ACK when tcp_loose is on', async () => {
    const c = await conversation();
    c.c2s(ACK, { payload: 10 });
    expect(c.entry().tcpState).toBe(TcpState.Established);
    expect(c.timeout()).toBe(300);
    expect(hasStatus(c.entry(), CtStatus.Assured)).toBe(false);
    c.s2c(ACK);
    c.c2s(ACK | PSH, { payload: 10 });
    expect(hasStatus(c.entry(), CtStatus.Assured)).toBe(true);

    const strict = await conversation({ nf_conntrack_tcp_loose: 0 });
    strict.c2s(ACK, { payload: 10 });
    expect(strict.entries()).toHaveLength(0);
    expect(strict.invalid()).toBe(1);
  });

  it('calls flag combinations the kernel rejects invalid', async () => {
    for (const flags of [SYN | FIN, SYN | RST, RST, 0, FIN, FIN | PSH | URG, SYN | FIN | RST | PSH | ACK | URG]) {
      const c = await conversation();
      c.c2s(flags);
      expect(c.invalid(), `flags 0x${flags.toString(16)}`).toBe(1);
      expect(c.entries()).toHaveLength(0);
    }
  });

  it('verifies checksums on the way in only', async () => {
    const c = await conversation();
    c.c2s(SYN, { badChecksum: true });
    expect(c.invalid()).toBe(1);
    expect(c.entries()).toHaveLength(0);
    // Outgoing: a SYN from the server side with a bad checksum is tracked.
    c.s2c(SYN, { badChecksum: true });
    expect(c.entry().tcpState).toBe(TcpState.SynSent);
  });

  it('shortens the timeout after max_retrans identical retransmissions', async () => {
    const c = await conversation({ nf_conntrack_tcp_timeout_max_retrans: 200 });
    c.handshake();
    const seq = c.client;
    for (let i = 0; i < 4; i++) c.c2s(ACK | PSH, { payload: 10, seq });
    expect(c.timeout()).toBe(200);
  });

  it('lets a simultaneous open through SYN_SENT2', async () => {
    const c = await conversation();
    c.c2s(SYN);
    c.s2c(SYN);
    expect(c.entry().tcpState).toBe(TcpState.SynSent2);
    c.s2c(SYN | ACK, { seq: c.server - 1 });
    expect(c.entry().tcpState).toBe(TcpState.SynRecv);
  });
});
