// Walks the records of a pcap or pcapng capture held in linear memory.
//
// The host fills the input buffer with the file's bytes in large blocks; the
// walker reports one record at a time through the globals below and never
// reads past the end of the bytes it was given. A record cut by the end of a
// block is left for the next block.
//
// pcapng (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng-02.html):
// every section has its own byte order and interfaces; every interface its
// link type, snap length and timestamp resolution; packets come as enhanced,
// simple or obsolete packet blocks; every other block is skipped, however
// large, without being held in memory.
import { CaptureError, IFNAMSIZ, LinkType, MAX_CAPTURE_RECORD } from './abi';

const PCAP_MAGIC_US: u32 = 0xa1b2c3d4;
const PCAP_MAGIC_NS: u32 = 0xa1b23c4d;
const PCAP_HEADER: u32 = 24;
const PCAP_RECORD_HEADER: u32 = 16;
const MAX_RECORD: u32 = <u32>MAX_CAPTURE_RECORD;

const BLOCK_SHB: u32 = 0x0a0d0d0a;
const BLOCK_IDB: u32 = 1;
const BLOCK_OPB: u32 = 2;
const BLOCK_SPB: u32 = 3;
const BLOCK_EPB: u32 = 6;
const BYTE_ORDER_MAGIC: u32 = 0x1a2b3c4d;
const OPT_IF_NAME: u32 = 2;
const OPT_IF_TSRESOL: u32 = 9;
const OPT_IF_TSOFFSET: u32 = 14;
// A packet block's header and trailer around the data, by type.
const EPB_FIXED: u32 = 32;
const OPB_FIXED: u32 = 32;
const SPB_FIXED: u32 = 16;
// Bytes of a block that must be present before its fixed fields are read.
const BLOCK_PREFIX: u32 = 28;
const MAX_INTERFACES: u32 = 1024;

// Per interface: link type (u32), snap length (u32), timestamp unit as a
// multiplier and divisor to nanoseconds (u64 each), or a binary exponent
// (u32, 0xffffffff when decimal), offset in seconds (i64).
const IF_LINKTYPE: usize = 0;
const IF_SNAPLEN: usize = 4;
const IF_MUL: usize = 8;
const IF_DIV: usize = 16;
const IF_BINARY: usize = 24;
const IF_OFFSET: usize = 32;
// if_name, NUL-padded to IFNAMSIZ (all zeros when absent or longer).
const IF_NAME: usize = 40;
const IF_SIZE: usize = 56;
const interfaces: usize = memory.data(<i32>(MAX_INTERFACES * <u32>IF_SIZE));


export enum WalkStatus {
  Record = 0,
  NeedMore = 1,
  Error = 2,
  End = 3,
  // Bytes were consumed (a file header or a block that holds no packet).
  Skip = 4,
}

enum Format {
  Unknown = 0,
  Pcap = 1,
  Pcapng = 2,
}

let format = Format.Unknown;
let swapped = false;
let nanosecond = false;
let snaplen: u32 = 0;
let interfaceCount: u32 = 0;
// Bytes of an unneeded pcapng block still to be skipped.
let skipLeft: u64 = 0;

export let linkType: u32 = 0;
export let errorCode: i32 = CaptureError.None;
// For a record too long: its captured length, and the length it exceeds
// (the snap length, or the packet's own).
export let errorLength: u32 = 0;
export let errorLimit: u32 = 0;
// The record found by the last call to nextRecord.
export let recordData: usize = 0;
export let recordCaplen: u32 = 0;
export let recordOrigLen: u32 = 0;
// The record held more bytes than its packet had; only the packet's are kept.
export let recordLongerThanPacket: bool = false;
export let recordTime: u64 = 0;
export let recordStart: usize = 0;
export let recordEnd: usize = 0;
// The record's interface name (IFNAMSIZ bytes), or 0 when the capture has none.
export let recordIfName: usize = 0;

export function captureReset(): void {
  format = Format.Unknown;
  swapped = false;
  nanosecond = false;
  linkType = 0;
  snaplen = 0;
  interfaceCount = 0;
  skipLeft = 0;
  recordTime = 0;
  errorCode = CaptureError.None;
  errorLength = 0;
  errorLimit = 0;
}

function isSupportedLinkType(t: u32): bool {
  return t == LinkType.Ethernet || t == LinkType.LinuxSll || t == LinkType.LinuxSll2 || t == LinkType.Raw ||
    t == LinkType.Ipv4 || t == LinkType.Ipv6 || t == LinkType.Null || t == LinkType.Loop || t == LinkType.Ppp ||
    t == LinkType.PppWithDir || t == LinkType.Nflog || t == LinkType.Ieee80211Radiotap;
}

// A 16-bit number of the current record in the byte order of the host that
// wrote the capture (NFLOG's attribute headers).
export function recordU16(p: usize): u32 {
  return rd16(p);
}

// The link type the packet parser knows the record's frames by: loop differs
// from null only in the byte order of its header, which the parser detects.
export function parsedLinkType(): u32 {
  return linkType == LinkType.Loop ? LinkType.Null : linkType;
}

@inline function rd32(p: usize): u32 {
  const v = load<u32>(p);
  return swapped ? bswap<u32>(v) : v;
}

@inline function rd16(p: usize): u32 {
  const v = load<u16>(p);
  return <u32>(swapped ? bswap<u16>(v) : v);
}

@inline function fail(code: CaptureError): WalkStatus {
  errorCode = code;
  return WalkStatus.Error;
}

function tooLong(code: CaptureError, caplen: u32, limit: u32): WalkStatus {
  errorLength = caplen;
  errorLimit = limit;
  return fail(code);
}

// Too few bytes at the end: wait for more, or the capture is cut short.
@inline function short(final: bool): WalkStatus {
  return final ? fail(CaptureError.Truncated) : WalkStatus.NeedMore;
}

@inline function skipTo(pos: usize, next: usize): WalkStatus {
  recordStart = pos;
  recordEnd = next;
  recordCaplen = 0;
  return WalkStatus.Skip;
}

// Finds the record at pos in [pos, end). final says no more bytes will follow.
export function nextRecord(pos: usize, end: usize, final: bool): WalkStatus {
  if (format == Format.Pcap) return nextPcapRecord(pos, end, final);
  if (format == Format.Pcapng) return nextPcapngBlock(pos, end, final);
  if (end - pos < 4) return final ? fail(CaptureError.NotACapture) : WalkStatus.NeedMore;
  const magic = load<u32>(pos);
  if (magic == BLOCK_SHB) {
    format = Format.Pcapng;
    return nextPcapngBlock(pos, end, final);
  }
  if (magic == PCAP_MAGIC_US || magic == PCAP_MAGIC_NS) {
    swapped = false;
  } else if (bswap<u32>(magic) == PCAP_MAGIC_US || bswap<u32>(magic) == PCAP_MAGIC_NS) {
    swapped = true;
  } else {
    return fail(CaptureError.NotACapture);
  }
  if (end - pos < PCAP_HEADER) return short(final);
  // libpcap's sf-pcap.c reads versions 2.0 to 2.4, and DG/UX's 543.0.
  const major = rd16(pos + 4);
  const minor = rd16(pos + 6);
  if (!(major == 2 && minor <= 4 || major == 543 && minor == 0)) return tooLong(CaptureError.UnsupportedVersion, major, minor);
  nanosecond = rd32(pos) == PCAP_MAGIC_NS;
  snaplen = rd32(pos + 16);
  // libpcap's sf-pcap.c: the top six bits carry the FCS length, the ten
  // below them are reserved and must be zero, the link type is the rest.
  const field = rd32(pos + 20);
  if ((field & 0x03ff0000) != 0) return tooLong(CaptureError.LinkTypeReserved, field & 0x03ff0000, 0);
  linkType = field & 0xffff;
  if (!isSupportedLinkType(linkType)) return fail(CaptureError.UnsupportedLinkType);
  format = Format.Pcap;
  return skipTo(pos, pos + PCAP_HEADER);
}

@inline function pcapSnapshot(): u32 {
  return snaplen == 0 || snaplen > MAX_RECORD ? MAX_RECORD : snaplen;
}

function nextPcapRecord(pos: usize, end: usize, final: bool): WalkStatus {
  if (pos == end) return final ? WalkStatus.End : WalkStatus.NeedMore;
  if (end - pos < PCAP_RECORD_HEADER) return short(final);
  const caplen = rd32(pos + 8);
  // libpcap's sf-pcap.c: a record over its own limit is damage; one over
  // the file's snaplen (0 or over the limit meaning the limit) is read as
  // its first snaplen bytes, the rest skipped.
  if (caplen > MAX_RECORD) return tooLong(CaptureError.RecordTooLong, caplen, MAX_RECORD);
  const snapshot = pcapSnapshot();
  const origLen = rd32(pos + 12);
  if (end - pos < PCAP_RECORD_HEADER + caplen) return short(final);
  const sec = <u64>rd32(pos);
  const frac = <u64>rd32(pos + 4);
  recordTime = sec * 1000000000 + (nanosecond ? frac : frac * 1000);
  recordCaplen = caplen < snapshot ? caplen : snapshot;
  recordLongerThanPacket = recordCaplen > origLen;
  if (recordLongerThanPacket) recordCaplen = origLen;
  recordOrigLen = origLen;
  recordData = pos + PCAP_RECORD_HEADER;
  recordIfName = 0;
  recordStart = pos;
  recordEnd = recordData + caplen;
  return WalkStatus.Record;
}

// Looks ahead without walking: the data and captured length (u32 pairs at
// out) of up to max whole records from pos on, classic pcap records or
// pcapng enhanced packet blocks of an interface of link type linkType (the
// look stops at any other block). Returns how many were found and leaves
// peekEnd after the last.
export let peekEnd: usize = 0;

export function peekRecords(pos: usize, end: usize, out: usize, max: u32, linkType: u32): u32 {
  let n: u32 = 0;
  if (format == Format.Pcap) {
    while (n < max && end - pos >= PCAP_RECORD_HEADER) {
      const caplen = rd32(pos + 8);
      if (caplen > MAX_RECORD || end - pos < PCAP_RECORD_HEADER + caplen) break;
      const kept = min(min(caplen, pcapSnapshot()), rd32(pos + 12));
      peeked(out, n++, pos + PCAP_RECORD_HEADER, kept);
      pos += PCAP_RECORD_HEADER + caplen;
    }
  } else if (format == Format.Pcapng && skipLeft == 0) {
    while (n < max && end - pos >= EPB_FIXED && rd32(pos) == BLOCK_EPB) {
      const len = rd32(pos + 4);
      const ifid = rd32(pos + 8);
      const caplen = rd32(pos + 20);
      if (len < EPB_FIXED || <u64>len > <u64>(end - pos) || caplen > len - EPB_FIXED || ifid >= interfaceCount) break;
      if (load<u32>(interfaces + <usize>ifid * IF_SIZE + IF_LINKTYPE) != linkType) break;
      peeked(out, n++, pos + 28, min(caplen, rd32(pos + 24)));
      pos += len;
    }
  }
  peekEnd = pos;
  return n;
}

@inline function peeked(out: usize, n: u32, data: usize, caplen: u32): void {
  const o = out + (<usize>n << 3);
  store<u32>(o, <u32>data);
  store<u32>(o + 4, caplen);
}

function nextPcapngBlock(pos: usize, end: usize, final: bool): WalkStatus {
  if (skipLeft > 0) {
    const avail = <u64>(end - pos);
    if (avail == 0) return short(final);
    const n = avail < skipLeft ? avail : skipLeft;
    skipLeft -= n;
    return skipTo(pos, pos + <usize>n);
  }
  if (pos == end) return final ? WalkStatus.End : WalkStatus.NeedMore;
  if (end - pos < 12) return short(final);
  const rawType = load<u32>(pos);
  if (rawType == BLOCK_SHB) {
    const bom = load<u32>(pos + 8);
    if (bom == BYTE_ORDER_MAGIC) swapped = false;
    else if (bswap<u32>(bom) == BYTE_ORDER_MAGIC) swapped = true;
    else return fail(CaptureError.BadBlock);
  }
  const type = rd32(pos);
  const len = rd32(pos + 4);
  if (len < 12 || (len & 3) != 0) return fail(CaptureError.BadBlock);
  if (type != BLOCK_SHB && type != BLOCK_IDB && type != BLOCK_EPB && type != BLOCK_SPB && type != BLOCK_OPB) {
    const avail = <u64>(end - pos);
    if (avail >= <u64>len) return skipTo(pos, pos + <usize>len);
    skipLeft = <u64>len - avail;
    return skipTo(pos, end);
  }
  if (type == BLOCK_SHB && len < 28) return fail(CaptureError.BadBlock);
  // Packet blocks are bounded by the largest record; the rest are small.
  if (len > MAX_RECORD + 4096) return fail(type == BLOCK_SHB || type == BLOCK_IDB ? CaptureError.BadBlock : CaptureError.RecordTooLong);
  if (<u64>(end - pos) < <u64>len) return short(final);
  if (rd32(pos + len - 4) != len) return fail(CaptureError.BadBlock);
  if (type == BLOCK_SHB) {
    // libpcap's sf-pcapng.c reads sections of versions 1.0 and 1.2.
    const major = rd16(pos + 12);
    const minor = rd16(pos + 14);
    if (major != 1 || minor != 0 && minor != 2) return tooLong(CaptureError.UnsupportedVersion, major, minor);
    interfaceCount = 0;
    return skipTo(pos, pos + len);
  }
  if (type == BLOCK_IDB) return describeInterface(pos, len);
  return packetBlock(pos, type, len);
}

function describeInterface(pos: usize, len: u32): WalkStatus {
  if (len < 20) return fail(CaptureError.BadBlock);
  if (interfaceCount == MAX_INTERFACES) return fail(CaptureError.BadBlock);
  const ifc = interfaces + <usize>interfaceCount * IF_SIZE;
  store<u32>(ifc + IF_LINKTYPE, rd16(pos + 8));
  store<u32>(ifc + IF_SNAPLEN, rd32(pos + 12));
  // Microseconds unless if_tsresol says otherwise.
  store<u64>(ifc + IF_MUL, 1000);
  store<u64>(ifc + IF_DIV, 1);
  store<u32>(ifc + IF_BINARY, 0xffffffff);
  store<i64>(ifc + IF_OFFSET, 0);
  memory.fill(ifc + IF_NAME, 0, IFNAMSIZ);
  let opt = pos + 16;
  const optEnd = pos + len - 4;
  while (opt + 4 <= optEnd) {
    const code = rd16(opt);
    const olen = rd16(opt + 2);
    if (code == 0) break;
    const value = opt + 4;
    if (value + olen > optEnd) return fail(CaptureError.BadBlock);
    if (code == OPT_IF_TSRESOL && olen >= 1) {
      const r = <u32>load<u8>(value);
      const exp = r & 0x7f;
      if (r & 0x80) {
        if (exp > 63) return fail(CaptureError.BadBlock);
        store<u32>(ifc + IF_BINARY, exp);
      } else if (exp <= 9) {
        store<u64>(ifc + IF_MUL, ipow10(9 - exp));
      } else {
        if (exp > 19) return fail(CaptureError.BadBlock);
        store<u64>(ifc + IF_MUL, 1);
        store<u64>(ifc + IF_DIV, ipow10(exp - 9));
      }
    } else if (code == OPT_IF_NAME) {
      // The name may or may not end in a NUL inside the option.
      let n: u32 = 0;
      while (n < olen && load<u8>(value + n) != 0) n++;
      if (n < <u32>IFNAMSIZ) memory.copy(ifc + IF_NAME, value, n);
    } else if (code == OPT_IF_TSOFFSET && olen >= 8) {
      const lo = <u64>rd32(value);
      const hi = <u64>rd32(value + 4);
      store<i64>(ifc + IF_OFFSET, swapped ? <i64>(lo << 32 | hi) : <i64>(hi << 32 | lo));
    }
    opt = value + ((<usize>olen + 3) & ~3);
  }
  interfaceCount++;
  return skipTo(pos, pos + len);
}

function ipow10(n: u32): u64 {
  let v: u64 = 1;
  for (let i: u32 = 0; i < n; i++) v *= 10;
  return v;
}

function toNanoseconds(ifc: usize, ts: u64): u64 {
  const binary = load<u32>(ifc + IF_BINARY);
  let ns: u64;
  if (binary == 0xffffffff) {
    ns = ts * load<u64>(ifc + IF_MUL) / load<u64>(ifc + IF_DIV);
  } else if (binary <= 34) {
    // Whole units and the fraction separately: the product stays in 64 bits.
    const frac = ts & ((<u64>1 << binary) - 1);
    ns = (ts >> binary) * 1000000000 + ((frac * 1000000000) >> binary);
  } else {
    ns = <u64>(<f64>ts / Math.pow(2, <f64>binary) * 1e9);
  }
  return ns + <u64>(load<i64>(ifc + IF_OFFSET) * 1000000000);
}

function packetBlock(pos: usize, type: u32, len: u32): WalkStatus {
  let ifid: u32 = 0;
  let caplen: u32 = 0;
  let origlen: u32 = 0;
  let ts: u64 = 0;
  let data: usize = 0;
  if (type == BLOCK_EPB || type == BLOCK_OPB) {
    if (len < EPB_FIXED) return fail(CaptureError.BadBlock);
    ifid = type == BLOCK_EPB ? rd32(pos + 8) : rd16(pos + 8);
    ts = (<u64>rd32(pos + 12) << 32) | <u64>rd32(pos + 16);
    caplen = rd32(pos + 20);
    origlen = rd32(pos + 24);
    data = pos + 28;
    if (caplen > MAX_RECORD) return tooLong(CaptureError.RecordTooLong, caplen, MAX_RECORD);
    if (caplen > len - (type == BLOCK_EPB ? EPB_FIXED : OPB_FIXED)) return fail(CaptureError.BadBlock);
  } else {
    if (len < SPB_FIXED) return fail(CaptureError.BadBlock);
    origlen = rd32(pos + 8);
    data = pos + 12;
    // The captured length is what the block holds, up to the snap length.
    caplen = len - SPB_FIXED;
    if (origlen < caplen) caplen = origlen;
  }
  if (ifid >= interfaceCount) return fail(CaptureError.UnknownInterface);
  const ifc = interfaces + <usize>ifid * IF_SIZE;
  const ifSnaplen = load<u32>(ifc + IF_SNAPLEN);
  if (type == BLOCK_SPB && ifSnaplen != 0 && caplen > ifSnaplen) caplen = ifSnaplen;
  // As for pcap: a snap length of 0 means none, and tiny ones are tolerated.
  if (ifSnaplen >= 64 && caplen > ifSnaplen) return tooLong(CaptureError.RecordTooLong, caplen, ifSnaplen);
  linkType = load<u32>(ifc + IF_LINKTYPE);
  if (!isSupportedLinkType(linkType)) return fail(CaptureError.UnsupportedLinkType);
  // A simple packet block has no timestamp: it keeps the previous packet's,
  // so that connection timeouts do not run backwards.
  if (type != BLOCK_SPB) recordTime = toNanoseconds(ifc, ts);
  recordLongerThanPacket = caplen > origlen;
  recordCaplen = recordLongerThanPacket ? origlen : caplen;
  recordOrigLen = origlen;
  recordData = data;
  recordStart = pos;
  recordEnd = pos + len;
  recordIfName = load<u8>(ifc + IF_NAME) != 0 ? ifc + IF_NAME : 0;
  return WalkStatus.Record;
}
