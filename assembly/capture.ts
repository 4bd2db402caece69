// Walks the records of a pcap capture held in linear memory.
//
// The host fills the input buffer with the file's bytes in large blocks; the
// walker reports one record at a time through the globals below and never
// reads past the end of the bytes it was given. A record cut by the end of a
// block is left for the next block.
import { CaptureError } from './abi';

const PCAP_MAGIC_US: u32 = 0xa1b2c3d4;
const PCAP_MAGIC_NS: u32 = 0xa1b23c4d;
const PCAP_HEADER: u32 = 24;
const PCAP_RECORD_HEADER: u32 = 16;
// The largest record libpcap itself accepts.
const MAX_RECORD: u32 = 262144;

export enum WalkStatus {
  Record = 0,
  NeedMore = 1,
  Error = 2,
  End = 3,
  // Bytes were consumed (a file header or a block that holds no packet).
  Skip = 4,
}

let headerSeen = false;
let swapped = false;
let nanosecond = false;
let snaplen: u32 = 0;

export let linkType: u32 = 0;
export let errorCode: i32 = CaptureError.None;
// The record found by the last call to nextRecord.
export let recordData: usize = 0;
export let recordCaplen: u32 = 0;
export let recordOrigLen: u32 = 0;
export let recordTime: u64 = 0;
export let recordStart: usize = 0;
export let recordEnd: usize = 0;

export function captureReset(): void {
  headerSeen = false;
  swapped = false;
  nanosecond = false;
  linkType = 0;
  snaplen = 0;
  errorCode = CaptureError.None;
}

@inline function rd32(p: usize): u32 {
  const v = load<u32>(p);
  return swapped ? bswap<u32>(v) : v;
}

// Finds the record at pos in [pos, end). final says no more bytes will follow.
export function nextRecord(pos: usize, end: usize, final: bool): WalkStatus {
  if (!headerSeen) {
    if (end - pos < PCAP_HEADER) {
      if (!final) return WalkStatus.NeedMore;
      errorCode = end == pos ? CaptureError.NotACapture : CaptureError.Truncated;
      return WalkStatus.Error;
    }
    const magic = load<u32>(pos);
    if (magic == PCAP_MAGIC_US || magic == PCAP_MAGIC_NS) {
      swapped = false;
      nanosecond = magic == PCAP_MAGIC_NS;
    } else if (bswap<u32>(magic) == PCAP_MAGIC_US || bswap<u32>(magic) == PCAP_MAGIC_NS) {
      swapped = true;
      nanosecond = bswap<u32>(magic) == PCAP_MAGIC_NS;
    } else {
      errorCode = CaptureError.NotACapture;
      return WalkStatus.Error;
    }
    snaplen = rd32(pos + 16);
    linkType = rd32(pos + 20) & 0x0fffffff;
    headerSeen = true;
    recordStart = pos;
    recordEnd = pos + PCAP_HEADER;
    recordCaplen = 0;
    return WalkStatus.Skip;
  }
  if (pos == end) return final ? WalkStatus.End : WalkStatus.NeedMore;
  if (end - pos < PCAP_RECORD_HEADER) {
    if (final) {
      errorCode = CaptureError.Truncated;
      return WalkStatus.Error;
    }
    return WalkStatus.NeedMore;
  }
  const caplen = rd32(pos + 8);
  if (caplen > MAX_RECORD || (snaplen >= 64 && caplen > snaplen && snaplen < MAX_RECORD)) {
    errorCode = CaptureError.RecordTooLong;
    return WalkStatus.Error;
  }
  if (end - pos < PCAP_RECORD_HEADER + caplen) {
    if (final) {
      errorCode = CaptureError.Truncated;
      return WalkStatus.Error;
    }
    return WalkStatus.NeedMore;
  }
  const sec = <u64>rd32(pos);
  const frac = <u64>rd32(pos + 4);
  recordTime = sec * 1000000000 + (nanosecond ? frac : frac * 1000);
  recordCaplen = caplen;
  recordOrigLen = rd32(pos + 12);
  recordData = pos + PCAP_RECORD_HEADER;
  recordStart = pos;
  recordEnd = recordData + caplen;
  return WalkStatus.Record;
}
