/**
 * Application payloads that look right to decoders such as tcpdump: HTTP/1.1
 * messages, DNS and mDNS queries with answers, SSH banners, ping data. Bulk
 * bytes (TLS records, HTTP bodies) come from a seeded random pool.
 */
import type { Random } from './random.js';

const POOL_SIZE = 1 << 16;
const encoder = new TextEncoder();
const ascii = (text: string): Uint8Array => encoder.encode(text);

const HTTP_PATHS = ['/', '/index.html', '/static/app.js', '/static/style.css', '/api/v1/items?page=2', '/images/logo.png', '/healthz', '/download/archive.tar.gz'];
const HTTP_RESPONSE_PREFIX = ascii('HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: application/octet-stream\r\nContent-Length: ');
const CRLF_CRLF = ascii('\r\n\r\n');
export const SSH_CLIENT_BANNER = ascii('SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n');
export const SSH_SERVER_BANNER = ascii('SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.10\r\n');

const DNS_NAMES = ['www.example.com', 'api.example.com', 'cdn.example.net', 'mail.example.org', 'updates.example.net', 'static.example.com', 'login.example.org', 'ntp.example.com'];
const MDNS_NAMES = ['printer.local', 'nas.local', 'office-tv.local', 'laptop-7.local'];
const DNS_TYPE_A = 1;
const DNS_TYPE_AAAA = 28;
const DNS_ANSWER_TTL = 300;
/** The fixed part of an answer after the compressed name: type, class, TTL, rdlength. */
const DNS_ANSWER_FIXED = 10;

/** 8 bytes standing in for ping's timeval, then Linux ping's 0x10, 0x11, ... fill. */
export const PING_DATA_LENGTH = 56;
const PING_FILL = Uint8Array.from({ length: PING_DATA_LENGTH - 8 }, (_, i) => 0x10 + i);

function encodeName(name: string): Uint8Array {
  const labels = name.split('.');
  const bytes = new Uint8Array(name.length + 2);
  let at = 0;
  for (const label of labels) {
    bytes[at++] = label.length;
    bytes.set(ascii(label), at);
    at += label.length;
  }
  return bytes;
}

export class Payloads {
  private readonly pool = new Uint8Array(POOL_SIZE);
  private readonly httpRequests: Uint8Array[][];
  private readonly dnsNames = DNS_NAMES.map(encodeName);
  private readonly mdnsNames = MDNS_NAMES.map(encodeName);
  private readonly view: DataView;

  /** Payloads are written into `frame`, at offsets the caller chooses. */
  constructor(
    private readonly rng: Random,
    private readonly frame: Uint8Array,
  ) {
    this.view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
    const poolView = new DataView(this.pool.buffer);
    for (let i = 0; i < POOL_SIZE; i += 4) poolView.setUint32(i, rng.uint32());
    this.httpRequests = ['www.example.com', 'app.example.com:8000'].map((host) =>
      HTTP_PATHS.map((path) => ascii(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\nAccept: */*\r\nAccept-Encoding: gzip, deflate\r\nConnection: keep-alive\r\n\r\n`)),
    );
  }

  /** Random bytes; the frame's copy is what gets checksummed, so any pool offset will do. */
  bulk(at: number, length: number): number {
    const from = this.rng.below(POOL_SIZE - length);
    this.frame.set(this.pool.subarray(from, from + length), at);
    return length;
  }

  /** `site` 0 is the plain-HTTP site, 1 the one on port 8000. */
  httpRequest(at: number, site: number, pathIndex: number): number {
    const request = this.httpRequests[site]![pathIndex % HTTP_PATHS.length]!;
    this.frame.set(request, at);
    return request.length;
  }

  /** Bytes of a response with a body of `bodyLength`, headers included. */
  static httpResponseLength(bodyLength: number): number {
    return HTTP_RESPONSE_PREFIX.length + String(bodyLength).length + CRLF_CRLF.length + bodyLength;
  }

  /**
   * The first segment of a response of `total` bytes, a length from
   * httpResponseLength: status line and headers whose Content-Length matches
   * the body that this and the following segments carry.
   */
  httpResponseStart(at: number, total: number, segmentLength: number): number {
    const fixed = HTTP_RESPONSE_PREFIX.length + CRLF_CRLF.length;
    let digitCount = 1;
    while (String(total - fixed - digitCount).length !== digitCount) digitCount++;
    const digits = String(total - fixed - digitCount);
    this.frame.set(HTTP_RESPONSE_PREFIX, at);
    let cursor = at + HTTP_RESPONSE_PREFIX.length;
    for (let i = 0; i < digits.length; i++) this.frame[cursor++] = digits.charCodeAt(i);
    this.frame.set(CRLF_CRLF, cursor);
    cursor += CRLF_CRLF.length;
    return cursor - at + this.bulk(cursor, segmentLength - (cursor - at));
  }

  /** A recursive query (port 53) or a legacy-unicast mDNS query (5353) for name `nameIndex`. */
  dnsQuery(at: number, mdns: boolean, id: number, nameIndex: number, aaaa: boolean): number {
    const name = this.name(mdns, nameIndex);
    const view = this.view;
    view.setUint16(at, id);
    view.setUint16(at + 2, mdns ? 0x0000 : 0x0100); // recursion desired for the resolver
    view.setUint16(at + 4, 1);
    view.setUint32(at + 6, 0);
    view.setUint16(at + 10, 0);
    this.frame.set(name, at + 12);
    const end = at + 12 + name.length;
    view.setUint16(end, aaaa ? DNS_TYPE_AAAA : DNS_TYPE_A);
    view.setUint16(end + 2, 1);
    return end + 4 - at;
  }

  /** The answer to dnsQuery with the same arguments: the question echoed plus one address record. */
  dnsAnswer(at: number, mdns: boolean, id: number, nameIndex: number, aaaa: boolean): number {
    const questionEnd = at + this.dnsQuery(at, mdns, id, nameIndex, aaaa);
    const view = this.view;
    view.setUint16(at + 2, mdns ? 0x8400 : 0x8180); // authoritative for mDNS; recursion available for DNS
    view.setUint16(at + 6, 1);
    view.setUint16(questionEnd, 0xc00c); // name compressed to the question's
    view.setUint16(questionEnd + 2, aaaa ? DNS_TYPE_AAAA : DNS_TYPE_A);
    view.setUint16(questionEnd + 4, 1);
    view.setUint32(questionEnd + 6, mdns ? 120 : DNS_ANSWER_TTL);
    const rdata = questionEnd + 2 + DNS_ANSWER_FIXED;
    if (aaaa) {
      view.setUint16(questionEnd + 10, 16);
      view.setUint32(rdata, 0x20010db8); // 2001:db8::/32, the documentation prefix
      view.setUint32(rdata + 4, 0);
      view.setUint32(rdata + 8, 0);
      view.setUint32(rdata + 12, 0x100 + nameIndex);
      return rdata + 16 - at;
    }
    view.setUint16(questionEnd + 10, 4);
    view.setUint32(rdata, mdns ? 0x0a000000 + 0xfe00 + nameIndex : 0xc0000200 + 100 + nameIndex);
    return rdata + 4 - at;
  }

  get dnsNameCount(): number {
    return DNS_NAMES.length;
  }

  get mdnsNameCount(): number {
    return MDNS_NAMES.length;
  }

  pingData(at: number): number {
    this.bulk(at, 8);
    this.frame.set(PING_FILL, at + 8);
    return PING_DATA_LENGTH;
  }

  private name(mdns: boolean, index: number): Uint8Array {
    return mdns ? this.mdnsNames[index % MDNS_NAMES.length]! : this.dnsNames[index % DNS_NAMES.length]!;
  }
}
