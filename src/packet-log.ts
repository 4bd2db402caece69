// The packets `log` statements logged in a batch, read from the data plane's
// log records (assembly/log.ts) and turned into what the kernel does with
// them: a kernel log message (nf_log_syslog), a packet handed to an NFLOG
// group, or an audit record.
import { IFNAMSIZ, LinkType, LogFlag, LogRecord } from '../assembly/abi.js';
import { LOG_LEVELS } from '../compiler/parser.js';
import type { Ruleset } from '../compiler/index.js';
import type { Engine } from './engine.js';
import type { NetDevice } from './host-network.js';
import type { PacketBatch } from './packet-batch.js';
import { ethertypeAt, nflogAttribute } from './output/packet-summary.js';
import { logLevel, logMessage } from './output/log-format.js';
import { withRouteRecorded } from './output/trace-packet.js';

export interface LogEntry {
  // 1-based number of the packet in the capture, and its capture time.
  packet: number;
  timeNs: bigint;
  // syslog: `message` went to the kernel log at `level`; nflog: the packet
  // went to userspace through NFLOG `group`; audit: to the audit log.
  target: 'syslog' | 'nflog' | 'audit';
  level?: number;
  message?: string;
  group?: number;
}

export type LogListener = (entry: LogEntry) => void;

const LINKTYPE_ETHERNET = LinkType.Ethernet;
const LINKTYPE_LINUX_SLL = LinkType.LinuxSll;
const LINKTYPE_LINUX_SLL2 = LinkType.LinuxSll2;
const NFULA_HWTYPE = 15;
const NFULA_HWHEADER = 16;
const ARPHRD_ETHER = 1;
const ARPHRD_LOOPBACK = 772;
const ARPHRD_NONE = 0xfffe;

const decoder = new TextDecoder();

function deviceName(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return decoder.decode(bytes.subarray(0, end < 0 ? bytes.length : end));
}

// The Ethernet header a station's wireless device makes of an 802.11 data
// frame (after radiotap) before the stack sees it: the destination and the
// source among its addresses, as the distribution-system bits place them.
function wifiAsEthernet(data: Uint8Array, ethertype: number): Uint8Array {
  const wlan = data.length >= 4 ? data[2]! | (data[3]! << 8) : data.length;
  if (wlan + 24 > data.length) return new Uint8Array(0);
  const ds = data[wlan + 1]! & 3;
  const address = (n: number) => data.subarray(wlan + 4 + 6 * (n - 1), wlan + 4 + 6 * n);
  const at4 = data.subarray(wlan + 24, wlan + 30);
  // By the to-DS (1) and from-DS (2) bits.
  const [dst, src] = [[address(1), address(2)], [address(3), address(2)], [address(1), address(3)], [address(3), at4]][ds]!;
  return Uint8Array.from([...dst!, ...src!, ethertype >> 8, ethertype & 0xff]);
}

const PACKET_BROADCAST = 1;
const PACKET_MULTICAST = 2;

// The Ethernet destination of a frame a cooked capture received, which it
// does not keep: the receiving device's own address, the broadcast
// address, or the multicast address of the packet's group.
function cookedDestination(pkttype: number, network: Uint8Array, device?: Uint8Array): number[] | undefined {
  if (pkttype === PACKET_BROADCAST) return [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
  if (pkttype === PACKET_MULTICAST) {
    if (network[0]! >> 4 === 4) return [0x01, 0x00, 0x5e, network[17]! & 0x7f, network[18]!, network[19]!];
    return [0x33, 0x33, ...network.subarray(36, 40)];
  }
  return device?.length === 6 ? [...device] : undefined;
}

// The input device's type and the link-layer header the kernel's log shows
// for it, from the capture's framing: Ethernet as captured; lo's all-zero
// Ethernet header whatever the framing; from a cooked capture, the sender's
// address and the protocol it keeps, behind the destination it implies.
function linkLayer(batch: PacketBatch, i: number, looped: boolean, network: Uint8Array, device?: Uint8Array): { deviceType: number; linkHeader?: Uint8Array } {
  const data = batch.data(i);
  const linkType = batch.linkType(i);
  const { at, ethertype } = ethertypeAt(data, linkType);
  if (looped) {
    const header = new Uint8Array(14);
    header[12] = ethertype >> 8;
    header[13] = ethertype & 0xff;
    return { deviceType: ARPHRD_LOOPBACK, linkHeader: header };
  }
  if (linkType === LINKTYPE_ETHERNET) return { deviceType: ARPHRD_ETHER, linkHeader: data.subarray(0, Math.min(at, 14)) };
  if (linkType === LinkType.Ieee80211Radiotap) return { deviceType: ARPHRD_ETHER, linkHeader: wifiAsEthernet(data, ethertype) };
  if (linkType === LinkType.Nflog) {
    // The kernel hands NFLOG the device's type and the link-layer header of
    // what came in.
    const type = nflogAttribute(data, NFULA_HWTYPE);
    const header = nflogAttribute(data, NFULA_HWHEADER);
    const deviceType = type && type.end - type.start >= 2 ? (data[type.start]! << 8) | data[type.start + 1]! : ARPHRD_NONE;
    return { deviceType, linkHeader: header ? data.subarray(header.start, header.end) : new Uint8Array(0) };
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const cooked = linkType === LINKTYPE_LINUX_SLL && data.length >= 16
    ? { deviceType: view.getUint16(2), pkttype: view.getUint16(0), halen: view.getUint16(4), addr: 6 }
    : linkType === LINKTYPE_LINUX_SLL2 && data.length >= 20
      ? { deviceType: view.getUint16(8), pkttype: data[10]!, halen: data[11]!, addr: 12 }
      : undefined;
  if (!cooked) return { deviceType: ARPHRD_NONE, linkHeader: new Uint8Array(0) };
  const destination = cooked.deviceType === ARPHRD_ETHER && cooked.halen === 6 ? cookedDestination(cooked.pkttype, network, device) : undefined;
  if (!destination) return { deviceType: cooked.deviceType };
  const source = data.subarray(cooked.addr, cooked.addr + 6);
  return { deviceType: ARPHRD_ETHER, linkHeader: Uint8Array.from([...destination, ...source, ethertype >> 8, ethertype & 0xff]) };
}

// What the input hook sees of an IPv4 packet with a record route option:
// routing has written the host's address into it.
function routeRecorded(network: Uint8Array): Uint8Array {
  if (network.length < 20 || network[0]! >> 4 !== 4) return network;
  const header = network.subarray(0, Math.min(network.length, (network[0]! & 15) * 4));
  const recorded = withRouteRecorded(header);
  if (recorded === header) return network;
  const copy = Uint8Array.from(network);
  copy.set(recorded);
  return copy;
}

export class PacketLog {
  // Records were lost: a batch held more log records than the buffer.
  truncated = false;
  private readonly records: number;

  // The link-layer addresses of the host's devices, by name.
  private readonly linkAddresses: Map<string, Uint8Array>;

  constructor(private readonly ruleset: Ruleset, private readonly engine: Engine, capacity: number, devices: readonly NetDevice[] = []) {
    this.records = engine.exports.logInit(capacity);
    this.linkAddresses = new Map(devices.flatMap((d) => (d.linkAddress ? [[d.name, d.linkAddress] as const] : [])));
  }

  read(batch: PacketBatch, listener: LogListener): void {
    const ex = this.engine.exports;
    const count = ex.logCount();
    if (ex.logTruncated()) this.truncated = true;
    const bytes = this.engine.bytes(this.records, count * LogRecord.Size);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let j = 0; j < count; j++) {
      const r = j * LogRecord.Size;
      const u32 = (field: LogRecord) => view.getUint32(r + field, true);
      const i = u32(LogRecord.Packet);
      const options = this.ruleset.logs[u32(LogRecord.Log)]!;
      const base = { packet: batch.firstPacket + i, timeNs: batch.timeNs(i) };
      if (options.group !== undefined) {
        listener({ ...base, target: 'nflog', group: options.group });
        continue;
      }
      const level = logLevel(options);
      if (level === LOG_LEVELS.audit) {
        listener({ ...base, target: 'audit' });
        continue;
      }
      const flags = u32(LogRecord.Flags);
      const looped = (flags & LogFlag.Loopback) !== 0;
      const named = (field: LogRecord, present: number) => {
        if (!(flags & present)) return undefined;
        const name = deviceName(bytes.subarray(r + field, r + field + IFNAMSIZ));
        return name === '' && looped ? 'lo' : name;
      };
      const network = bytes.subarray(r + LogRecord.Data, r + LogRecord.Data + u32(LogRecord.Bytes));
      const input = named(LogRecord.InputName, LogFlag.Input);
      const message = logMessage(options, {
        network: flags & LogFlag.InputHook && !looped ? routeRecorded(network) : network,
        length: u32(LogRecord.Length),
        input,
        output: named(LogRecord.OutputName, LogFlag.Output),
        mark: u32(LogRecord.Mark),
        protocol: u32(LogRecord.Protocol),
        ...linkLayer(batch, i, looped, network, input !== undefined ? this.linkAddresses.get(input) : undefined),
      });
      listener({ ...base, target: 'syslog', level, message });
    }
    ex.logClear();
  }
}
