// The packets `log` statements logged in a batch, read from the data plane's
// log records (assembly/log.ts) and turned into what the kernel does with
// them: a kernel log message (nf_log_syslog), a packet handed to an NFLOG
// group, or an audit record.
import { IFNAMSIZ, LogFlag, LogRecord } from '../assembly/abi.js';
import { LOG_LEVELS } from '../compiler/parser.js';
import type { Ruleset } from '../compiler/index.js';
import type { Engine } from './engine.js';
import type { PacketBatch } from './packet-batch.js';
import { ethertypeAt } from './output/packet-summary.js';
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

const LINKTYPE_ETHERNET = 1;
const LINKTYPE_LINUX_SLL = 113;
const LINKTYPE_LINUX_SLL2 = 276;
const ARPHRD_ETHER = 1;
const ARPHRD_LOOPBACK = 772;
const ARPHRD_NONE = 0xfffe;

const decoder = new TextDecoder();

function deviceName(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return decoder.decode(bytes.subarray(0, end < 0 ? bytes.length : end));
}

// The input device's type and the link-layer header the kernel's log shows
// for it, from the capture's framing: Ethernet as captured; lo's all-zero
// Ethernet header whatever the framing; none known from a cooked capture
// (which keeps the sender's address only).
function linkLayer(batch: PacketBatch, i: number, looped: boolean): { deviceType: number; linkHeader?: Uint8Array } {
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
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (linkType === LINKTYPE_LINUX_SLL && data.length >= 16) return { deviceType: view.getUint16(2) };
  if (linkType === LINKTYPE_LINUX_SLL2 && data.length >= 20) return { deviceType: view.getUint16(8) };
  return { deviceType: ARPHRD_NONE, linkHeader: new Uint8Array(0) };
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

  constructor(private readonly ruleset: Ruleset, private readonly engine: Engine, capacity: number) {
    this.records = engine.exports.logInit(capacity);
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
      const message = logMessage(options, {
        network: flags & LogFlag.InputHook && !looped ? routeRecorded(network) : network,
        length: u32(LogRecord.Length),
        input: named(LogRecord.InputName, LogFlag.Input),
        output: named(LogRecord.OutputName, LogFlag.Output),
        mark: u32(LogRecord.Mark),
        ...linkLayer(batch, i, looped),
      });
      listener({ ...base, target: 'syslog', level, message });
    }
    ex.logClear();
  }
}
