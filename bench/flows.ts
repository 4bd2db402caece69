/**
 * The traffic model: a table of flow slots, each holding at most one open flow
 * as a small state machine. Every call to `step` advances one slot by one
 * packet, opening a new flow there when the slot is idle, so the number of
 * concurrently open flows climbs to the number of slots and stays there.
 * State lives in typed arrays so a million slots stay cheap.
 */
import {
  FrameBuilder,
  ICMP_PAYLOAD_OFFSET,
  MSS,
  TCP_ACK,
  TCP_FIN,
  TCP_PAYLOAD_OFFSET,
  TCP_PSH,
  TCP_RST,
  TCP_SYN,
  TCP_URG,
  UDP_PAYLOAD_OFFSET,
} from './packets.js';
import { Payloads, SSH_CLIENT_BANNER, SSH_SERVER_BANNER } from './payloads.js';
import type { Random } from './random.js';

export const SERVICES = ['http', 'https', 'http-alt', 'ssh', 'dns', 'mdns', 'ping'] as const;
export type ServiceName = (typeof SERVICES)[number];
const HTTP = 0;
const HTTPS = 1;
const HTTP_ALT = 2;
const SSH = 3;
const DNS = 4;
const MDNS = 5;
const PING = 6;

/** Share of new flows per service; DNS lookups are many but short, so TCP still dominates the packets. */
const SERVICE_WEIGHTS = [0.08, 0.36, 0.1, 0.04, 0.28, 0.06, 0.08];
const SERVICE_PORTS = [80, 443, 8000, 22, 53, 5353, 0];
const ip = (a: number, b: number, c: number, d: number): number => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
const SERVICE_SERVERS = [
  [ip(192, 0, 2, 10), ip(192, 0, 2, 11)],
  [ip(192, 0, 2, 10), ip(192, 0, 2, 11), ip(198, 51, 100, 20)],
  [ip(192, 0, 2, 30)],
  [ip(192, 0, 2, 22), ip(198, 51, 100, 22)],
  [ip(198, 51, 100, 53), ip(198, 51, 100, 54)],
  [ip(192, 0, 2, 53)],
  [ip(192, 0, 2, 10), ip(192, 0, 2, 22), ip(198, 51, 100, 53), ip(198, 51, 100, 20)],
];

export const TCP_ENDINGS = ['fin', 'rst', 'refused'] as const;
export type TcpEnding = (typeof TCP_ENDINGS)[number];
const END_CLIENT_FIN = 0;
const END_SERVER_FIN = 1;
const END_RESET = 2;
const END_REFUSED = 3;

export const STRAY_KINDS = ['orphan-ack', 'syn-fin', 'bad-flags', 'orphan-rst', 'udp-random-port'] as const;
export type StrayKind = (typeof STRAY_KINDS)[number];

const IDLE = 0;
const SYN = 1;
const SYN_ACK = 2;
const HANDSHAKE_ACK = 3;
const REQUEST = 4;
const RESPONSE = 5;
const CLIENT_ACK = 6;
const FIN_FIRST = 7;
const FIN_SECOND = 8;
const LAST_ACK = 9;
const REFUSED_RST = 10;
const RESET = 11;
const QUERY = 12;
const ANSWER = 13;
const ECHO_REQUEST = 14;
const ECHO_REPLY = 15;

const CLIENT_WINDOW = 64240;
const SERVER_WINDOW = 65160;
/** Segments the server sends before the client acknowledges: delayed ACKs cover every second one. */
const SEGMENTS_PER_ACK = 2;
/**
 * Each client host runs this many slots, and each slot owns a disjoint block
 * of the Linux ephemeral range 32768–60999, so no two open flows share a tuple.
 */
const SLOTS_PER_HOST = 8;
const EPHEMERAL_FIRST = 32768;
const EPHEMERAL_BLOCK = Math.floor((60999 - EPHEMERAL_FIRST + 1) / SLOTS_PER_HOST);

export interface TrafficCounts {
  packetsByService: Record<ServiceName, number>;
  strayPackets: Record<StrayKind, number>;
  flowsByService: Record<ServiceName, number>;
  tcpEndings: Record<TcpEnding, number>;
  flowsOpened: number;
  flowsCompleted: number;
}

const zeroCounts = <K extends string>(keys: readonly K[]): Record<K, number> => Object.fromEntries(keys.map((key) => [key, 0])) as Record<K, number>;

export class FlowTable {
  readonly builder = new FrameBuilder();
  readonly counts: TrafficCounts = {
    packetsByService: zeroCounts(SERVICES),
    strayPackets: zeroCounts(STRAY_KINDS),
    flowsByService: zeroCounts(SERVICES),
    tcpEndings: zeroCounts(TCP_ENDINGS),
    flowsOpened: 0,
    flowsCompleted: 0,
  };
  private readonly payloads: Payloads;
  private readonly phase: Uint8Array;
  private readonly service: Uint8Array;
  private readonly ending: Uint8Array;
  private readonly serverIp: Uint32Array;
  private readonly clientPort: Uint16Array;
  private readonly portCounter: Uint16Array;
  private readonly clientSeq: Uint32Array;
  private readonly serverSeq: Uint32Array;
  private readonly clientIpId: Uint16Array;
  private readonly serverIpId: Uint16Array;
  /** Request/response rounds, DNS queries or pings still to come. */
  private readonly roundsLeft: Uint16Array;
  private readonly responseLeft: Uint32Array;
  private readonly responseTotal: Uint32Array;
  private readonly unacked: Uint8Array;
  /** DNS query id or ICMP echo sequence number. */
  private readonly exchangeId: Uint16Array;
  /** DNS name index, the HTTP path of the current request, or an SSH session's round count. */
  private readonly choice: Uint8Array;
  private readonly cumulativeWeights = SERVICE_WEIGHTS.map((_, i) => SERVICE_WEIGHTS.slice(0, i + 1).reduce((a, b) => a + b, 0));

  constructor(
    readonly slots: number,
    private readonly random: Random,
  ) {
    this.payloads = new Payloads(random, this.builder.frame);
    this.phase = new Uint8Array(slots);
    this.service = new Uint8Array(slots);
    this.ending = new Uint8Array(slots);
    this.serverIp = new Uint32Array(slots);
    this.clientPort = new Uint16Array(slots);
    this.portCounter = new Uint16Array(slots);
    this.clientSeq = new Uint32Array(slots);
    this.serverSeq = new Uint32Array(slots);
    this.clientIpId = new Uint16Array(slots);
    this.serverIpId = new Uint16Array(slots);
    this.roundsLeft = new Uint16Array(slots);
    this.responseLeft = new Uint32Array(slots);
    this.responseTotal = new Uint32Array(slots);
    this.unacked = new Uint8Array(slots);
    this.exchangeId = new Uint16Array(slots);
    this.choice = new Uint8Array(slots);
    // Spread the first port of each slot so hosts do not all start at the block's beginning.
    for (let slot = 0; slot < slots; slot++) this.portCounter[slot] = random.below(EPHEMERAL_BLOCK);
  }

  get openFlows(): number {
    let open = 0;
    for (let slot = 0; slot < this.slots; slot++) if (this.phase[slot] !== IDLE) open++;
    return open;
  }

  /** Client addresses fill 10.0.0.0/8 from the bottom, .1 to .254 of each /24. */
  private clientIp(slot: number): number {
    const host = Math.floor(slot / SLOTS_PER_HOST);
    return (0x0a000000 + Math.floor(host / 254) * 256 + (host % 254) + 1) >>> 0;
  }

  /** Emits the next packet of the flow in `slot` into the builder's frame and returns its length. */
  step(slot: number): number {
    if (this.phase[slot] === IDLE) this.open(slot);
    const service = this.service[slot]!;
    this.counts.packetsByService[SERVICES[service]!]++;
    switch (this.phase[slot]) {
      case SYN:
        this.phase[slot] = this.ending[slot] === END_REFUSED ? REFUSED_RST : SYN_ACK;
        return this.tcp(slot, true, TCP_SYN, 0);
      case SYN_ACK:
        this.phase[slot] = HANDSHAKE_ACK;
        return this.tcp(slot, false, TCP_SYN | TCP_ACK, 0);
      case HANDSHAKE_ACK:
        this.phase[slot] = REQUEST;
        return this.tcp(slot, true, TCP_ACK, 0);
      case REQUEST:
        return this.request(slot);
      case RESPONSE:
        return this.responseSegment(slot);
      case CLIENT_ACK:
        this.unacked[slot] = 0;
        if (this.responseLeft[slot] === 0) this.finishRound(slot);
        else this.phase[slot] = RESPONSE;
        return this.tcp(slot, true, TCP_ACK, 0);
      case FIN_FIRST:
        this.phase[slot] = FIN_SECOND;
        return this.tcp(slot, this.ending[slot] === END_CLIENT_FIN, TCP_FIN | TCP_ACK, 0);
      case FIN_SECOND:
        this.phase[slot] = LAST_ACK;
        return this.tcp(slot, this.ending[slot] !== END_CLIENT_FIN, TCP_FIN | TCP_ACK, 0);
      case LAST_ACK:
        this.close(slot);
        return this.tcp(slot, this.ending[slot] === END_CLIENT_FIN, TCP_ACK, 0);
      case REFUSED_RST:
        this.close(slot);
        return this.tcp(slot, false, TCP_RST | TCP_ACK, 0);
      case RESET:
        this.close(slot);
        return this.tcp(slot, true, TCP_RST | TCP_ACK, 0);
      case QUERY:
        return this.dnsQuery(slot);
      case ANSWER:
        return this.dnsAnswer(slot);
      case ECHO_REQUEST:
        this.phase[slot] = ECHO_REPLY;
        return this.echo(slot, true);
      default:
        if (--this.roundsLeft[slot]! === 0) this.close(slot);
        else this.phase[slot] = ECHO_REQUEST;
        return this.echo(slot, false);
    }
  }

  private open(slot: number): void {
    const random = this.random;
    const draw = random.float();
    let service = 0;
    while (service < SERVICES.length - 1 && draw >= this.cumulativeWeights[service]!) service++;
    const servers = SERVICE_SERVERS[service]!;
    this.service[slot] = service;
    this.serverIp[slot] = servers[random.below(servers.length)]!;
    const portIndex = this.portCounter[slot]!;
    this.portCounter[slot] = (portIndex + 1) % EPHEMERAL_BLOCK;
    this.clientPort[slot] = EPHEMERAL_FIRST + (slot % SLOTS_PER_HOST) * EPHEMERAL_BLOCK + portIndex;
    this.clientIpId[slot] = random.below(0x10000);
    this.serverIpId[slot] = random.below(0x10000);
    this.counts.flowsByService[SERVICES[service]!]++;
    this.counts.flowsOpened++;

    if (service === DNS || service === MDNS) {
      this.phase[slot] = QUERY;
      // Resolvers ask for A and AAAA from one socket about half the time; the id's parity picks the type.
      this.roundsLeft[slot] = random.chance(0.5) ? 2 : 1;
      this.exchangeId[slot] = random.below(0x10000);
      this.choice[slot] = random.below(service === DNS ? this.payloads.dnsNameCount : this.payloads.mdnsNameCount);
      return;
    }
    if (service === PING) {
      this.phase[slot] = ECHO_REQUEST;
      this.roundsLeft[slot] = random.between(1, 4);
      this.exchangeId[slot] = 1;
      return;
    }

    this.phase[slot] = SYN;
    this.clientSeq[slot] = random.uint32();
    this.serverSeq[slot] = random.uint32();
    this.unacked[slot] = 0;
    this.responseLeft[slot] = 0;
    const endingDraw = random.float();
    if (endingDraw < 0.02) {
      this.ending[slot] = END_REFUSED;
      this.serverSeq[slot] = 0; // a refusing RST carries sequence number 0
    } else if (endingDraw < 0.07) this.ending[slot] = END_RESET;
    else if (endingDraw < 0.32) this.ending[slot] = END_SERVER_FIN;
    else this.ending[slot] = END_CLIENT_FIN;
    // SSH sessions are long and chatty; the first round exchanges banners.
    this.roundsLeft[slot] = service === SSH ? random.between(5, 40) : 1 + Math.floor(random.exponential(1.2));
    this.choice[slot] = this.roundsLeft[slot]!;
  }

  private close(slot: number): void {
    this.phase[slot] = IDLE;
    this.counts.flowsCompleted++;
    const service = this.service[slot]!;
    if (service === HTTP || service === HTTPS || service === HTTP_ALT || service === SSH) {
      const ending = this.ending[slot]!;
      this.counts.tcpEndings[ending === END_REFUSED ? 'refused' : ending === END_RESET ? 'rst' : 'fin']++;
    }
  }

  private finishRound(slot: number): void {
    if (--this.roundsLeft[slot]! > 0) this.phase[slot] = REQUEST;
    else this.phase[slot] = this.ending[slot] === END_RESET ? RESET : FIN_FIRST;
  }

  private request(slot: number): number {
    const service = this.service[slot]!;
    const random = this.random;
    let length: number;
    if (service === HTTP || service === HTTP_ALT) {
      this.choice[slot] = random.below(256);
      length = this.payloads.httpRequest(TCP_PAYLOAD_OFFSET, service === HTTP ? 0 : 1, this.choice[slot]!);
    } else if (service === SSH) {
      length = this.sshBannerRound(slot) ? copy(this.builder.frame, SSH_CLIENT_BANNER) : this.payloads.bulk(TCP_PAYLOAD_OFFSET, random.between(36, 120));
    } else {
      length = this.payloads.bulk(TCP_PAYLOAD_OFFSET, random.between(90, 900));
    }
    this.responseTotal[slot] = this.responseLength(slot);
    this.responseLeft[slot] = this.responseTotal[slot]!;
    this.phase[slot] = RESPONSE;
    return this.tcp(slot, true, TCP_PSH | TCP_ACK, length);
  }

  /** Web responses are mostly small with a long tail, as object sizes on the web are. */
  private responseLength(slot: number): number {
    const random = this.random;
    if (this.service[slot] === SSH) return this.sshBannerRound(slot) ? SSH_SERVER_BANNER.length : random.between(36, 300);
    const draw = random.float();
    const length = draw < 0.7 ? random.between(200, 2000) : draw < 0.95 ? random.between(2000, 15000) : random.between(15000, 64000);
    const service = this.service[slot];
    return service === HTTP || service === HTTP_ALT ? Payloads.httpResponseLength(length) : length;
  }

  private sshBannerRound(slot: number): boolean {
    return this.service[slot] === SSH && this.roundsLeft[slot] === this.choice[slot];
  }

  private responseSegment(slot: number): number {
    const left = this.responseLeft[slot]!;
    const segment = left < MSS ? left : MSS;
    const first = left === this.responseTotal[slot];
    const service = this.service[slot]!;
    let length: number;
    if (first && (service === HTTP || service === HTTP_ALT)) length = this.payloads.httpResponseStart(TCP_PAYLOAD_OFFSET, this.responseTotal[slot]!, segment);
    else if (first && this.sshBannerRound(slot)) length = copy(this.builder.frame, SSH_SERVER_BANNER);
    else length = this.payloads.bulk(TCP_PAYLOAD_OFFSET, segment);
    this.responseLeft[slot] = left - segment;
    const last = left === segment;
    if (last || ++this.unacked[slot]! >= SEGMENTS_PER_ACK) this.phase[slot] = CLIENT_ACK;
    return this.tcp(slot, false, last ? TCP_PSH | TCP_ACK : TCP_ACK, length);
  }

  private tcp(slot: number, toServer: boolean, flags: number, payloadLength: number): number {
    const client = this.clientIp(slot);
    const server = this.serverIp[slot]!;
    const clientPort = this.clientPort[slot]!;
    const serverPort = SERVICE_PORTS[this.service[slot]!]!;
    const clientSeq = this.clientSeq[slot]!;
    const serverSeq = this.serverSeq[slot]!;
    const consumed = payloadLength + (flags & TCP_SYN ? 1 : 0) + (flags & TCP_FIN ? 1 : 0);
    const rst = (flags & TCP_RST) !== 0;
    if (toServer) {
      this.clientSeq[slot] = clientSeq + consumed;
      return this.builder.tcp(client, server, true, clientPort, serverPort, clientSeq, flags & TCP_ACK ? serverSeq : 0, flags, rst ? 0 : CLIENT_WINDOW, this.clientIpId[slot]++, payloadLength);
    }
    this.serverSeq[slot] = serverSeq + consumed;
    return this.builder.tcp(server, client, false, serverPort, clientPort, serverSeq, clientSeq, flags, rst ? 0 : SERVER_WINDOW, rst ? 0 : this.serverIpId[slot]++, payloadLength);
  }

  private dnsQuery(slot: number): number {
    const mdns = this.service[slot] === MDNS;
    const length = this.payloads.dnsQuery(UDP_PAYLOAD_OFFSET, mdns, this.exchangeId[slot]!, this.choice[slot]!, (this.exchangeId[slot]! & 1) === 1);
    // A few queries go unanswered, leaving conntrack entries that never see a reply.
    if (this.random.chance(0.03)) this.close(slot);
    else this.phase[slot] = ANSWER;
    return this.builder.udp(this.clientIp(slot), this.serverIp[slot]!, true, this.clientPort[slot]!, SERVICE_PORTS[this.service[slot]!]!, this.clientIpId[slot]++, true, length);
  }

  private dnsAnswer(slot: number): number {
    const mdns = this.service[slot] === MDNS;
    const length = this.payloads.dnsAnswer(UDP_PAYLOAD_OFFSET, mdns, this.exchangeId[slot]!, this.choice[slot]!, (this.exchangeId[slot]! & 1) === 1);
    if (--this.roundsLeft[slot]! === 0) this.close(slot);
    else {
      this.phase[slot] = QUERY;
      this.exchangeId[slot]++;
    }
    return this.builder.udp(this.serverIp[slot]!, this.clientIp(slot), false, SERVICE_PORTS[this.service[slot]!]!, this.clientPort[slot]!, this.serverIpId[slot]++, false, length);
  }

  private echo(slot: number, request: boolean): number {
    const length = this.payloads.pingData(ICMP_PAYLOAD_OFFSET);
    const client = this.clientIp(slot);
    const server = this.serverIp[slot]!;
    const sequence = this.exchangeId[slot]!;
    if (request) return this.builder.icmpEcho(client, server, true, 8, this.clientPort[slot]!, sequence, this.clientIpId[slot]++, true, length);
    this.exchangeId[slot] = sequence + 1;
    return this.builder.icmpEcho(server, client, false, 0, this.clientPort[slot]!, sequence, this.serverIpId[slot]++, false, length);
  }

  /**
   * A packet that belongs to no flow: scans, leftovers of connections that
   * ended before the capture, junk. Sources come from 10.128.0.0/9, which no
   * slot's client uses, and ports below the ephemeral range.
   */
  stray(): number {
    const random = this.random;
    const client = (0x0a800000 + random.below(0x800000)) >>> 0;
    const servers = SERVICE_SERVERS[random.below(SERVICE_SERVERS.length)]!;
    const server = servers[random.below(servers.length)]!;
    const clientPort = random.between(1024, EPHEMERAL_FIRST - 1);
    const serverPort = [80, 443, 8000, 22][random.below(4)]!;
    const ipId = random.below(0x10000);
    const kindIndex = random.below(STRAY_KINDS.length);
    this.counts.strayPackets[STRAY_KINDS[kindIndex]!]++;
    switch (STRAY_KINDS[kindIndex]) {
      case 'orphan-ack': {
        const length = random.chance(0.5) ? this.payloads.bulk(TCP_PAYLOAD_OFFSET, random.between(1, MSS)) : 0;
        return this.builder.tcp(client, server, true, clientPort, serverPort, random.uint32(), random.uint32(), length > 0 ? TCP_PSH | TCP_ACK : TCP_ACK, CLIENT_WINDOW, ipId, length);
      }
      case 'syn-fin':
        return this.builder.tcp(client, server, true, clientPort, serverPort, random.uint32(), 0, TCP_SYN | TCP_FIN, CLIENT_WINDOW, ipId, 0);
      case 'bad-flags':
        // Null and Xmas scans.
        return this.builder.tcp(client, server, true, clientPort, serverPort, random.uint32(), 0, random.chance(0.5) ? 0 : TCP_FIN | TCP_PSH | TCP_URG, 1024, ipId, 0);
      case 'orphan-rst':
        return this.builder.tcp(server, client, false, serverPort, clientPort, random.uint32(), 0, TCP_RST, 0, 0, 0);
      default: {
        let port = random.between(1024, 65535);
        if (port === 5353) port = 5354;
        const length = this.payloads.bulk(UDP_PAYLOAD_OFFSET, random.between(8, 512));
        return this.builder.udp(client, server, true, clientPort, port, ipId, true, length);
      }
    }
  }
}

function copy(frame: Uint8Array, payload: Uint8Array): number {
  frame.set(payload, TCP_PAYLOAD_OFFSET);
  return payload.length;
}
