// What a `log` statement puts in the kernel log, word for word as the
// kernel's nf_log_syslog writes it (net/netfilter/nf_log_syslog.c): the
// prefix, the devices, the link-layer header of what came in, then the
// network and transport headers field by field, and the mark. Each line is
// written as `dmesg --raw` prints it: the level, then the time in brackets
// (here the packet's capture time, in seconds since the epoch, where the
// kernel prints the time since boot).
import { LOG_IPOPT, LOG_MACDECODE, LOG_TCPOPT, LOG_TCPSEQ, type LogOptions } from '../../compiler/ast.js';
import { LOG_LEVELS } from '../../compiler/parser.js';
import { formatIpv4 } from '../address.js';

// nft_log's level when the statement names none.
const DEFAULT_LEVEL = LOG_LEVELS.warn!;
const ARPHRD_ETHER = 1;
const ETH_HLEN = 14;
// The ICMP types nf_log_syslog wants whole before it decodes them, with
// the bytes each needs (its required_len).
const ICMP_REQUIRED: Record<number, number> = { 0: 4, 3: 28, 4: 28, 5: 28, 8: 4, 11: 28, 12: 28, 13: 20, 14: 20, 17: 12, 18: 12 };
const NR_ICMP_TYPES = 18;
const IPV6_EXTENSIONS = new Set([0, 43, 44, 51, 60]);
const NEXTHDR_NONE = 59;

// The packet as the statement saw it.
export interface LoggedPacket {
  // The network header on: bytes of the packet held (maybe fewer than it
  // has), and its length (skb->len).
  network: Uint8Array;
  length: number;
  // The hook's devices: undefined where it has none, '' where it has one
  // whose name is not known.
  input?: string;
  output?: string;
  // The link-layer header as the input device received it, and that
  // device's ARPHRD_* type; undefined when not known.
  linkHeader?: Uint8Array;
  deviceType: number;
  mark: number;
  // The frame's ethertype on a device's hook (ETH_P_ARP on ARP's), which
  // picks the logger; 0 on IP's hooks.
  protocol: number;
}

const hex2 = (b: number) => b.toString(16).padStart(2, '0');
const HEX2 = (b: number) => hex2(b).toUpperCase();
const macText = (b: Uint8Array, at: number) => Array.from(b.subarray(at, at + 6), hex2).join(':');

// %pI6: eight groups of four hex digits, nothing left out.
function ipv6Full(b: Uint8Array, at: number): string {
  const groups: string[] = [];
  for (let i = 0; i < 8; i++) groups.push(hex2(b[at + 2 * i]!) + hex2(b[at + 2 * i + 1]!));
  return groups.join(':');
}

// The message's fields, appended as nf_log_buf_add does; parsing stops
// where the kernel's would (returns true: "stop here").
class Message {
  parts: string[] = [];
  private readonly view: DataView;

  constructor(readonly bytes: Uint8Array, readonly length: number, readonly flags: number) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  add(s: string): void {
    this.parts.push(s);
  }

  // skb_header_pointer: n bytes at `at` lie within the packet (and were kept).
  has(at: number, n: number): boolean {
    return at + n <= Math.min(this.length, this.bytes.length);
  }

  u8(at: number): number {
    return this.bytes[at]!;
  }

  u16(at: number): number {
    return this.view.getUint16(at);
  }

  u32(at: number): number {
    return this.view.getUint32(at);
  }

  incomplete(at: number): void {
    this.add(`INCOMPLETE [${this.length - at} bytes] `);
  }

  tcp(at: number, fragment: boolean): boolean {
    this.add('PROTO=TCP ');
    if (fragment) return false;
    if (!this.has(at, 20)) {
      this.incomplete(at);
      return true;
    }
    this.add(`SPT=${this.u16(at)} DPT=${this.u16(at + 2)} `);
    if (this.flags & LOG_TCPSEQ) this.add(`SEQ=${this.u32(at + 4)} ACK=${this.u32(at + 8)} `);
    this.add(`WINDOW=${this.u16(at + 14)} `);
    const word = this.u32(at + 12);
    this.add(`RES=0x${hex2((word >>> 22) & 0x38)} `);
    const names: [number, string][] = [[0x01000000, 'AE'], [0x80, 'CWR'], [0x40, 'ECE'], [0x20, 'URG'], [0x10, 'ACK'], [0x08, 'PSH'], [0x04, 'RST'], [0x02, 'SYN'], [0x01, 'FIN']];
    for (const [bit, name] of names) if (((bit > 0xff ? word : word >>> 16) & bit) !== 0) this.add(`${name} `);
    this.add(`URGP=${this.u16(at + 18)} `);
    const optsize = (this.u8(at + 12) >> 4) * 4 - 20;
    if (this.flags & LOG_TCPOPT && optsize > 0) {
      if (!this.has(at + 20, optsize)) {
        this.add('OPT (TRUNCATED)');
        return true;
      }
      this.add(`OPT (${Array.from(this.bytes.subarray(at + 20, at + 20 + optsize), HEX2).join('')}) `);
    }
    return false;
  }

  udp(at: number, proto: number, fragment: boolean): boolean {
    this.add(proto === 17 ? 'PROTO=UDP ' : 'PROTO=UDPLITE ');
    if (fragment) return false;
    if (!this.has(at, 8)) {
      this.incomplete(at);
      return true;
    }
    this.add(`SPT=${this.u16(at)} DPT=${this.u16(at + 2)} LEN=${this.u16(at + 4)} `);
    return false;
  }

  // dump_ipv4_packet; at is 0 for the packet, past an ICMP header for the
  // one an ICMP error quotes.
  ipv4(at: number, mark: number): void {
    if (!this.has(at, 20)) {
      this.add('TRUNCATED');
      return;
    }
    const tos = this.u8(at + 1);
    const frag = this.u16(at + 6);
    const ihl = (this.u8(at) & 15) * 4;
    const fragment = (frag & 0x1fff) !== 0;
    this.add(`SRC=${formatIpv4(this.bytes, at + 12)} DST=${formatIpv4(this.bytes, at + 16)} `);
    this.add(`LEN=${this.u16(at + 2)} TOS=0x${HEX2(tos & 0x1e)} PREC=0x${HEX2(tos & 0xe0)} TTL=${this.u8(at + 8)} ID=${this.u16(at + 4)} `);
    if (frag & 0x8000) this.add('CE ');
    if (frag & 0x4000) this.add('DF ');
    if (frag & 0x2000) this.add('MF ');
    if (fragment) this.add(`FRAG:${frag & 0x1fff} `);
    if (this.flags & LOG_IPOPT && ihl > 20) {
      if (!this.has(at + 20, ihl - 20)) {
        this.add('TRUNCATED');
        return;
      }
      this.add(`OPT (${Array.from(this.bytes.subarray(at + 20, at + ihl), HEX2).join('')}) `);
    }
    const proto = this.u8(at + 9);
    const th = at + ihl;
    const ported = this.ports(proto, th, fragment);
    if (ported) return;
    if (ported === undefined) this.ipv4Protocol(at, proto, th, fragment);
    // No socket is known offline: skuid's UID= and GID= never appear.
    if (at === 0 && mark) this.add(`MARK=0x${(mark >>> 0).toString(16)} `);
  }

  // TCP, UDP and UDP-Lite, decoded alike in both families: whether parsing
  // stops, or undefined for another protocol.
  private ports(proto: number, at: number, fragment: boolean): boolean | undefined {
    if (proto === 6) return this.tcp(at, fragment);
    if (proto === 17 || proto === 136) return this.udp(at, proto, fragment);
    return undefined;
  }

  private ipv4Protocol(at: number, proto: number, th: number, fragment: boolean): void {
    switch (proto) {
      case 1:
        this.icmp(at, th, fragment);
        break;
      case 51:
        if (fragment) break;
        this.add('PROTO=AH ');
        if (!this.has(th, 12)) this.incomplete(th);
        else this.add(`SPI=0x${this.u32(th + 4).toString(16)} `);
        break;
      case 50:
        this.add('PROTO=ESP ');
        if (fragment) break;
        if (!this.has(th, 8)) this.incomplete(th);
        else this.add(`SPI=0x${this.u32(th).toString(16)} `);
        break;
      default:
        this.add(`PROTO=${proto} `);
    }
  }

  private icmp(at: number, th: number, fragment: boolean): void {
    this.add('PROTO=ICMP ');
    if (fragment) return;
    if (!this.has(th, 8)) {
      this.incomplete(th);
      return;
    }
    const type = this.u8(th);
    const code = this.u8(th + 1);
    this.add(`TYPE=${type} CODE=${code} `);
    const required = type <= NR_ICMP_TYPES ? ICMP_REQUIRED[type] : undefined;
    if (required && this.length - th < required) {
      this.incomplete(th);
      return;
    }
    switch (type) {
      case 0:
      case 8:
        this.add(`ID=${this.u16(th + 4)} SEQ=${this.u16(th + 6)} `);
        return;
      case 12:
        this.add(`PARAMETER=${this.u8(th + 4)} `);
        return;
      case 5:
        this.add(`GATEWAY=${formatIpv4(this.bytes, th + 4)} `);
      // falls through
      case 3:
      case 4:
      case 11:
        if (at === 0) {
          this.add('[');
          this.ipv4(th + 8, 0);
          this.add('] ');
        }
        if (type === 3 && code === 4) this.add(`MTU=${this.u16(th + 6)} `);
    }
  }

  // dump_ipv6_packet; recurse is false for the packet an ICMPv6 error quotes.
  ipv6(at: number, recurse: boolean, mark: number): void {
    if (!this.has(at, 40)) {
      this.add('TRUNCATED');
      return;
    }
    const first = this.u32(at);
    this.add(`SRC=${ipv6Full(this.bytes, at + 8)} DST=${ipv6Full(this.bytes, at + 24)} `);
    this.add(`LEN=${this.u16(at + 4) + 40} TC=${(first >>> 20) & 0xff} HOPLIMIT=${this.u8(at + 7)} FLOWLBL=${first & 0xfffff} `);
    const ipopt = (this.flags & LOG_IPOPT) !== 0;
    let fragment = false;
    let ptr = at + 40;
    let current = this.u8(at + 6);
    while (current !== NEXTHDR_NONE && IPV6_EXTENSIONS.has(current)) {
      if (!this.has(ptr, 2)) {
        this.add('TRUNCATED');
        return;
      }
      if (ipopt) this.add('OPT ( ');
      let hdrlen: number;
      if (current === 44) {
        this.add('FRAG:');
        if (!this.has(ptr, 8)) {
          this.add('TRUNCATED ');
          return;
        }
        const off = this.u16(ptr + 2);
        this.add(`${off & 0xfff8} `);
        if (off & 1) this.add('INCOMPLETE ');
        this.add(`ID:${this.u32(ptr + 4).toString(16).padStart(8, '0')} `);
        if (off & 0xfff8) fragment = true;
        hdrlen = 8;
      } else if (current === 51) {
        if (ipopt) {
          this.add('AH ');
          if (fragment) {
            this.add(')');
            return;
          }
          if (!this.has(ptr, 12)) {
            this.add(`INCOMPLETE [${this.length - ptr} bytes] )`);
            return;
          }
          this.add(`SPI=0x${this.u32(ptr + 4).toString(16)} `);
        }
        hdrlen = (this.u8(ptr + 1) + 2) * 4;
      } else {
        if (fragment) {
          if (ipopt) this.add(')');
          return;
        }
        hdrlen = (this.u8(ptr + 1) + 1) * 8;
      }
      if (ipopt) this.add(') ');
      current = this.u8(ptr);
      ptr += hdrlen;
    }
    const ported = this.ports(current, ptr, fragment);
    if (ported) return;
    if (ported === undefined) {
      if (current !== 58) this.add(`PROTO=${current} `);
      else if (this.icmpv6(ptr, recurse, fragment)) return;
    }
    if (recurse && mark) this.add(`MARK=0x${(mark >>> 0).toString(16)} `);
  }

  private icmpv6(ptr: number, recurse: boolean, fragment: boolean): boolean {
    this.add('PROTO=ICMPv6 ');
    if (fragment) return false;
    if (!this.has(ptr, 8)) {
      this.incomplete(ptr);
      return true;
    }
    const type = this.u8(ptr);
    this.add(`TYPE=${type} CODE=${this.u8(ptr + 1)} `);
    switch (type) {
      case 128:
      case 129:
        this.add(`ID=${this.u16(ptr + 4)} SEQ=${this.u16(ptr + 6)} `);
        break;
      case 4:
        this.add(`POINTER=${this.u32(ptr + 4).toString(16).padStart(8, '0')} `);
      // falls through
      case 1:
      case 2:
      case 3:
        if (recurse) {
          this.add('[');
          this.ipv6(ptr + 8, false, 0);
          this.add('] ');
        }
        if (type === 2) this.add(`MTU=${this.u32(ptr + 4)} `);
    }
    return false;
  }
}

// dump_mac_header: for what came in on a device.
function macHeader(p: LoggedPacket, flags: number): string {
  const link = p.linkHeader;
  if (flags & LOG_MACDECODE && p.deviceType === ARPHRD_ETHER) {
    if (!link || link.length < ETH_HLEN) return '';
    return `MACSRC=${macText(link, 6)} MACDST=${macText(link, 0)} MACPROTO=${hex2(link[12]!)}${hex2(link[13]!)} `;
  }
  return `MAC=${link && link.length > 0 ? Array.from(link, hex2).join(':') : ''} `;
}

const ETH_P_IP = 0x0800;
const ETH_P_IPV6 = 0x86dd;
const ETH_P_ARP = 0x0806;
const ETH_P_RARP = 0x8035;

// dump_arp_packet: the Ethernet header only with `flags ether` and for what
// came in (arp_create leaves the MAC header of what the host sends unset),
// then the ARP header, and its addresses when they are Ethernet's and IPv4's.
function arpPacket(options: LogOptions, p: LoggedPacket): string {
  const b = p.network;
  if (b.length < 8) return 'TRUNCATED';
  const link = p.linkHeader;
  let s = '';
  if (options.flags & LOG_MACDECODE && p.input !== undefined && p.deviceType === ARPHRD_ETHER && link && link.length >= ETH_HLEN) {
    s += `MACSRC=${macText(link, 6)} MACDST=${macText(link, 0)} MACPROTO=${hex2(link[12]!)}${hex2(link[13]!)} `;
  }
  const u16 = (at: number) => (b[at]! << 8) | b[at + 1]!;
  s += `ARP HTYPE=${u16(0)} PTYPE=0x${u16(2).toString(16).padStart(4, '0')} OPCODE=${u16(6)}`;
  if (u16(0) !== ARPHRD_ETHER || b[4] !== 6 || b[5] !== 4) return s;
  if (b.length < 28) return `${s} INCOMPLETE [${p.length - 8} bytes]`;
  return `${s} MACSRC=${macText(b, 8)} IPSRC=${formatIpv4(b.subarray(14, 18))} MACDST=${macText(b, 18)} IPDST=${formatIpv4(b.subarray(24, 28))}`;
}

// The message nf_log_syslog writes for a packet, prefix included. On a
// device's hook the netdev logger picks by the frame's protocol: ARP's, IP's,
// or for any other the link-layer header alone (nf_log_unknown_packet).
export function logMessage(options: LogOptions, p: LoggedPacket): string {
  let s = `${options.prefix ?? ''}IN=${p.input ?? ''} OUT=${p.output ?? ''} `;
  if (p.protocol === ETH_P_ARP || p.protocol === ETH_P_RARP) return s + arpPacket(options, p);
  if (p.protocol !== 0 && p.protocol !== ETH_P_IP && p.protocol !== ETH_P_IPV6) return s + macHeader(p, options.flags);
  if (p.input !== undefined) s += macHeader(p, options.flags);
  const m = new Message(p.network, p.length, options.flags);
  const version = p.network.length > 0 ? p.network[0]! >> 4 : 0;
  if (version === 6) m.ipv6(0, true, p.mark);
  else m.ipv4(0, p.mark);
  return s + m.parts.join('');
}

// The syslog level of the statement's line.
export function logLevel(options: LogOptions): number {
  return options.level !== undefined ? LOG_LEVELS[options.level]! : DEFAULT_LEVEL;
}

// As `dmesg --raw` prints a kernel log line, with the capture time.
export function dmesgLine(level: number, timeNs: bigint, message: string): string {
  const seconds = timeNs / 1_000_000_000n;
  const micros = (timeNs % 1_000_000_000n) / 1000n;
  return `<${level}>[${String(seconds).padStart(5, ' ')}.${String(micros).padStart(6, '0')}] ${message}`;
}
