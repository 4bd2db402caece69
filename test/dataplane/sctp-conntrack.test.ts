// The SCTP tracker against the kernel's (nf_conntrack_proto_sctp.c), driven
// with hand-built packets: states, timeouts, verification tags and the
// packets it refuses.
import { describe, expect, it } from 'vitest';
import { CtStatus, SctpState } from '../../assembly/abi.js';
import { compile, createFilter, type Filter } from '../../src/index.js';
import { hasStatus, type ConntrackEntry } from '../../src/conntrack-table.js';
import { parseListingCounters } from '../kernel/listing.js';
import { pcap, sctp, sctpChunk, sctpInit } from './packets.js';

const RULESET = `table inet t {
	chain in {
		type filter hook input priority filter; policy accept;
		ct state invalid counter
	}

	chain out {
		type filter hook output priority filter; policy accept;
		ct state invalid counter
	}
}
`;

const CLIENT = '10.0.0.1';
const SERVER = '10.0.0.2';
const CTAG = 0xc0000001;
const STAG = 0x51000001;
const [DATA, INIT, INIT_ACK, SACK, HEARTBEAT, HEARTBEAT_ACK, ABORT, SHUTDOWN, SHUTDOWN_ACK] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
const [COOKIE_ECHO, COOKIE_ACK, SHUTDOWN_COMPLETE] = [10, 11, 14];
const data = sctpChunk(DATA, [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0x61], 3);

/** One association between CLIENT:40000 and SERVER:9999. */
class Association {
  time = 1_700_000_000;

  constructor(readonly filter: Filter) {}

  private send(packet: number[]): void {
    this.time += 0.001;
    this.filter.processCapture(pcap([packet], { start: this.time }));
  }

  c2s(vtag: number, chunks: number[], badChecksum = false): void {
    this.send(sctp(CLIENT, SERVER, 40000, 9999, vtag, chunks, badChecksum));
  }

  s2c(vtag: number, chunks: number[]): void {
    this.send(sctp(SERVER, CLIENT, 9999, 40000, vtag, chunks));
  }

  handshake(): void {
    this.c2s(0, sctpChunk(INIT, sctpInit(CTAG)));
    this.s2c(CTAG, sctpChunk(INIT_ACK, sctpInit(STAG)));
    this.c2s(STAG, sctpChunk(COOKIE_ECHO, [1, 2, 3, 4]));
    this.s2c(CTAG, sctpChunk(COOKIE_ACK));
  }

  entries(): ConntrackEntry[] {
    return this.filter.conntrackTable();
  }

  state(): SctpState {
    const all = this.entries();
    expect(all).toHaveLength(1);
    return all[0]!.tcpState as number as SctpState;
  }

  timeout(): number {
    return Number((this.entries()[0]!.expires - this.filter.time) / 1_000_000_000n);
  }

  invalid(): number {
    return parseListingCounters(this.filter.listRuleset()).reduce((n, c) => n + c.packets, 0);
  }
}

async function association(sysctl: Record<string, number> = {}): Promise<Association> {
  return new Association(await createFilter(compile(RULESET, { filename: 'sctp.nft' }), { local: [SERVER], sysctl }));
}

describe('SCTP conntrack', () => {
  it('walks the handshake, data and shutdown through the kernel states and timeouts', async () => {
    const a = await association();
    const steps: Array<[() => void, SctpState, number]> = [
      [() => a.c2s(0, sctpChunk(INIT, sctpInit(CTAG))), SctpState.Closed, 10],
      [() => a.s2c(CTAG, sctpChunk(INIT_ACK, sctpInit(STAG))), SctpState.CookieWait, 3],
      [() => a.c2s(STAG, sctpChunk(COOKIE_ECHO, [1, 2, 3, 4])), SctpState.CookieEchoed, 3],
      [() => a.s2c(CTAG, sctpChunk(COOKIE_ACK)), SctpState.Established, 210],
      [() => a.c2s(STAG, data), SctpState.Established, 210],
      [() => a.s2c(CTAG, sctpChunk(SACK, [0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0])), SctpState.Established, 210],
      [() => a.c2s(STAG, sctpChunk(SHUTDOWN, [0, 0, 0, 1])), SctpState.ShutdownSent, 3],
      [() => a.s2c(CTAG, sctpChunk(SHUTDOWN_ACK)), SctpState.ShutdownAckSent, 3],
      [() => a.c2s(STAG, sctpChunk(SHUTDOWN_COMPLETE)), SctpState.Closed, 10],
    ];
    for (const [send, state, timeout] of steps) {
      send();
      expect(a.state()).toBe(state);
      expect(a.timeout()).toBe(timeout);
    }
    expect(hasStatus(a.entries()[0]!, CtStatus.Assured)).toBe(true);
    expect(a.invalid()).toBe(0);
    expect(a.filter.conntrackListing()).toMatch(/^ipv4 +2 sctp +132 10 CLOSED src=10\.0\.0\.1 /);
  });

  it('takes the timeouts from the sysctls', async () => {
    const a = await association({ nf_conntrack_sctp_timeout_established: 77, nf_conntrack_sctp_timeout_closed: 5 });
    a.c2s(0, sctpChunk(INIT, sctpInit(CTAG)));
    expect(a.timeout()).toBe(5);
    a.handshake();
    expect(a.timeout()).toBe(77);
  });

  it('refuses packets that cannot start an association', async () => {
    const starts: number[][] = [
      sctpChunk(DATA, [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]),
      sctpChunk(COOKIE_ACK),
      sctpChunk(ABORT),
      sctpChunk(SHUTDOWN_COMPLETE),
      // An INIT not alone in its packet.
      [...sctpChunk(INIT, sctpInit(CTAG)), ...data],
      // A chunk of length zero.
      [INIT, 0, 0, 0],
      // No chunk at all.
      [],
    ];
    for (const chunks of starts) {
      const a = await association();
      a.c2s(0, chunks);
      expect(a.entries()).toHaveLength(0);
      expect(a.invalid()).toBe(1);
    }
    const tagged = await association();
    tagged.c2s(0x1234, sctpChunk(INIT, sctpInit(CTAG)));
    expect(tagged.entries()).toHaveLength(0);
    const badCrc = await association();
    badCrc.c2s(0, sctpChunk(INIT, sctpInit(CTAG)), true);
    expect(badCrc.entries()).toHaveLength(0);
    expect(badCrc.invalid()).toBe(1);
  });

  it('checks the verification tags', async () => {
    const a = await association();
    a.handshake();
    a.c2s(CTAG, data);
    a.s2c(STAG, sctpChunk(SACK, [0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0]));
    expect(a.invalid()).toBe(2);
    // ABORT carries the peer's tag, or its own with the T bit.
    a.c2s(CTAG, sctpChunk(ABORT));
    expect(a.invalid()).toBe(3);
    expect(a.state()).toBe(SctpState.Established);
    a.c2s(CTAG, sctpChunk(ABORT, [], 1));
    expect(a.invalid()).toBe(3);
    expect(a.state()).toBe(SctpState.Closed);
  });

  it('refuses an INIT_ACK to another tag than the INIT gave, and a misplaced COOKIE_ECHO', async () => {
    const a = await association();
    a.c2s(0, sctpChunk(INIT, sctpInit(CTAG)));
    a.s2c(CTAG + 1, sctpChunk(INIT_ACK, sctpInit(STAG)));
    expect(a.state()).toBe(SctpState.Closed);
    expect(a.invalid()).toBe(1);
    a.s2c(CTAG, sctpChunk(INIT_ACK, sctpInit(STAG)));
    expect(a.state()).toBe(SctpState.CookieWait);
    a.c2s(STAG, [...data, ...sctpChunk(COOKIE_ECHO, [1, 2, 3, 4])]);
    expect(a.invalid()).toBe(2);
    expect(a.state()).toBe(SctpState.CookieWait);
  });

  it('does not renew the timeout for a retransmitted INIT', async () => {
    const a = await association();
    a.c2s(0, sctpChunk(INIT, sctpInit(CTAG)));
    a.time += 4;
    a.c2s(0, sctpChunk(INIT, sctpInit(CTAG)));
    expect(a.state()).toBe(SctpState.Closed);
    expect(a.timeout()).toBe(5);
  });

  it('establishes a secondary path from a heartbeat and its acknowledgement', async () => {
    const a = await association();
    a.c2s(0xabcd, sctpChunk(HEARTBEAT, [0, 1, 0, 8, 1, 2, 3, 4]));
    expect(a.state()).toBe(SctpState.HeartbeatSent);
    expect(a.timeout()).toBe(30);
    a.s2c(0x1234, sctpChunk(HEARTBEAT_ACK, [0, 1, 0, 8, 1, 2, 3, 4]));
    expect(a.state()).toBe(SctpState.Established);
    expect(hasStatus(a.entries()[0]!, CtStatus.Assured)).toBe(true);
    // A heartbeat with a new tag goes through once, unrefreshed; DATA with it does not.
    a.time += 10;
    a.c2s(0x9999, sctpChunk(HEARTBEAT, [0, 1, 0, 8, 1, 2, 3, 4]));
    expect(a.invalid()).toBe(0);
    expect(a.timeout()).toBe(199);
    a.c2s(0x9999, data);
    expect(a.invalid()).toBe(1);
    // Its acknowledgement from the other side makes the new tag the one.
    a.s2c(0x4321, sctpChunk(HEARTBEAT_ACK, [0, 1, 0, 8, 1, 2, 3, 4]));
    expect(a.invalid()).toBe(1);
    a.s2c(0x4321, data);
    expect(a.invalid()).toBe(1);
  });
});
