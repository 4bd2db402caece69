// Packet logging: every `log` statement a packet meets leaves a record of
// the packet as the statement saw it (rewritten by earlier rules, its TTL
// lowered by forwarding, reassembled), which the host writes as the
// kernel's nf_log_syslog does. The host drains the records after each
// batch.
import { LogRecord, LogFlag, IFNAMSIZ } from './abi';
import * as pkt from './packet';
import * as dev from './devices';
import { RecordBuffer } from './record-buffer';

// A packet meets at most a few log statements; past this many in one batch
// its later records are cut and the cut is flagged.
export const records = new RecordBuffer(LogRecord.Size, 64);
const DATA_BYTES: u32 = <u32>LogRecord.Size - <u32>LogRecord.Data;

let packetIndex: u32 = 0;
// The current packet takes the path through lo.
export let looped = false;
// LogRecord.Protocol of the hook being run.
export let protocol: u32 = 0;

export function beginPacket(index: u32): void {
  packetIndex = index;
  looped = false;
}

// The log statement of index `log` ran on the current packet.
export function logged(log: u32, mark: u32): void {
  const r = records.next();
  if (r == 0) return;
  store<u32>(r + LogRecord.Packet, packetIndex);
  store<u32>(r + LogRecord.Log, log);
  store<u32>(r + LogRecord.Flags, (dev.hasInput() ? LogFlag.Input : 0) | (looped ? LogFlag.Loopback : 0) | (dev.hasOutput() ? LogFlag.Output : 0) | (dev.routedInput() ? LogFlag.InputHook : 0));
  store<u32>(r + LogRecord.Mark, mark);
  store<u32>(r + LogRecord.Length, pkt.netLen);
  const held = <u32>(pkt.dataEnd - pkt.net);
  const n = held < DATA_BYTES ? held : DATA_BYTES;
  store<u32>(r + LogRecord.Bytes, n);
  store<u32>(r + LogRecord.Protocol, protocol);
  memory.copy(r + LogRecord.InputName, dev.inputName(), IFNAMSIZ);
  memory.copy(r + LogRecord.OutputName, dev.outputName(), IFNAMSIZ);
  memory.copy(r + LogRecord.Data, pkt.net, n);
}
