// Connection tracking helpers run at confirmation (nf_confirm): FTP reads
// PORT, EPRT, PASV and EPSV (nf_conntrack_ftp.c), TFTP reads read and write
// requests (nf_conntrack_tftp.c); each announces the data connection as an
// expectation of its master.
import { CtEntry, CtExt, HelperKind } from './abi';
import * as pkt from './packet';
import * as ctt from './conntrack';
import { expectRelated } from './conntrack-expect';

// The helpers' expect policies: one expectation at a time, five minutes.
const EXPECT_TIMEOUT: u32 = 300;
const TFTP_OPCODE_READ: u16 = 1;
const TFTP_OPCODE_WRITE: u16 = 2;

// Returns false when the helper drops the packet.
export function runHelper(kind: u16, e: usize, dir: u8, established: bool): bool {
  if (kind == HelperKind.Ftp) return established ? ftpHelp(e, dir) : true;
  if (kind == HelperKind.Tftp) return tftpHelp(e);
  return true;
}

function tftpHelp(e: usize): bool {
  if (pkt.l4proto != pkt.IPPROTO_UDP || pkt.l4Len < 12 || !pkt.captured(pkt.th, 12)) return true;
  const opcode = bswap<u16>(load<u16>(pkt.th + 8));
  if (opcode != TFTP_OPCODE_READ && opcode != TFTP_OPCODE_WRITE) return true;
  // The answer comes from the server's new port back to the client's.
  const alen: usize = pkt.nfproto == pkt.NFPROTO_IPV4 ? 4 : 16;
  return expectRelated(e, pkt.IPPROTO_UDP, ctt.srcOf(e, 1), ctt.dstOf(e, 1), alen, load<u16>(ctt.portsOf(e, 1) + 2), EXPECT_TIMEOUT);
}

// ---------------------------------------------------------------------------
// FTP

// What a command or reply announced: address (network order, 16 bytes for
// IPv6) and port (host order).
let cmdAddr: usize = 0;
let cmdPort: u32 = 0;
// The numbers try_number collected.
const numbers: StaticArray<u32> = new StaticArray<u32>(6);

export function helpersInit(): void {
  cmdAddr = heap.alloc(16);
}

@inline function isDigit(c: u8): bool {
  return c >= 0x30 && c <= 0x39;
}

@inline function lower(c: u8): u8 {
  return c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
}

// Case-insensitive comparison of n bytes of data with an ASCII pattern
// packed little-endian into a u32 (four characters at most).
function prefixMatches(p: usize, n: u32, pattern: u32): bool {
  for (let i: u32 = 0; i < n; i++) {
    if (lower(load<u8>(p + i)) != lower(<u8>(pattern >> (i << 3)))) return false;
  }
  return true;
}

// try_number: count numbers separated by sep, ended by term (or anything
// when term is 0). Returns the length consumed, or 0.
function tryNumber(p: usize, len: u32, count: i32, sep: u8, term: u8): u32 {
  for (let i = 0; i < 6; i++) unchecked(numbers[i] = 0);
  let i: i32 = 0;
  let n: u32 = 0;
  for (; n < len && i < count; n++) {
    const c = load<u8>(p + n);
    if (isDigit(c)) {
      unchecked(numbers[i] = numbers[i] * 10 + <u32>(c - 0x30));
    } else if (c == sep) {
      i++;
    } else {
      if ((c == term || term == 0) && i == count - 1) return n;
      return 0;
    }
  }
  return 0;
}

// try_rfc959: h1,h2,h3,h4,p1,p2
function tryRfc959(p: usize, len: u32, term: u8): u32 {
  const n = tryNumber(p, len, 6, 0x2c, term);
  if (n == 0) return 0;
  memory.fill(cmdAddr, 0, 16);
  for (let i = 0; i < 4; i++) store<u8>(cmdAddr + i, <u8>unchecked(numbers[i]));
  cmdPort = ((unchecked(numbers[4]) << 8) | unchecked(numbers[5])) & 0xffff;
  return n;
}

// try_rfc1123: the numbers start at the first digit.
function tryRfc1123(p: usize, len: u32): u32 {
  let i: u32 = 0;
  while (i < len && !isDigit(load<u8>(p + i))) i++;
  if (i == len) return 0;
  return tryRfc959(p + i, len - i, 0);
}

// get_port: a decimal port up to delim. Returns the offset after delim, or 0.
function getPort(p: usize, start: u32, len: u32, delim: u8): u32 {
  let port: u32 = 0;
  for (let i = start; i < len; i++) {
    const c = load<u8>(p + i);
    if (c == delim) {
      if (port == 0) return 0;
      cmdPort = port;
      return i + 1;
    }
    if (!isDigit(c)) return 0;
    port = (port * 10 + <u32>(c - 0x30)) & 0xffff;
  }
  return 0;
}

@inline function validDelimiter(d: u8): bool {
  return !isDigit(d) && d >= 33 && d <= 126;
}

// in6_pton up to delim into cmdAddr; returns the length parsed, or 0.
function parseIpv6Text(p: usize, len: u32, delim: u8): u32 {
  memory.fill(cmdAddr, 0, 16);
  let words: u32 = 0;
  let gap: i32 = -1;
  let value: u32 = 0;
  let digits: u32 = 0;
  let i: u32 = 0;
  if (len >= 2 && load<u8>(p) == 0x3a && load<u8>(p + 1) == 0x3a) {
    gap = 0;
    i = 2;
  }
  for (; i < len; i++) {
    const c = lower(load<u8>(p + i));
    if (c == delim) break;
    if (isDigit(c) || (c >= 0x61 && c <= 0x66)) {
      if (digits == 4) return 0;
      value = (value << 4) | <u32>(isDigit(c) ? c - 0x30 : c - 0x61 + 10);
      digits++;
    } else if (c == 0x3a && digits > 0 && words < 8) {
      store<u16>(cmdAddr + (<usize>words << 1), bswap<u16>(<u16>value));
      words++;
      value = 0;
      digits = 0;
      if (i + 1 < len && load<u8>(p + i + 1) == 0x3a) {
        if (gap >= 0) return 0;
        gap = <i32>words;
        i++;
      }
    } else {
      return 0;
    }
  }
  if (i == len) return 0;
  if (digits > 0) {
    if (words == 8) return 0;
    store<u16>(cmdAddr + (<usize>words << 1), bswap<u16>(<u16>value));
    words++;
  } else if (gap != <i32>words) {
    return 0;
  }
  if (gap >= 0) {
    if (words == 8) return 0;
    const shift = 8 - words;
    for (let k: i32 = <i32>words - 1; k >= gap; k--) {
      const from = cmdAddr + (<usize>k << 1);
      const v = load<u16>(from);
      store<u16>(from, 0);
      store<u16>(from + (<usize>shift << 1), v);
    }
  } else if (words != 8) {
    return 0;
  }
  return i;
}

// try_eprt: |1|a.b.c.d|port| or |2|v6addr|port|
function tryEprt(p: usize, len: u32, l3: u8): u32 {
  if (len <= 3) return 0;
  const delim = load<u8>(p);
  if (!validDelimiter(delim) || load<u8>(p + 2) != delim) return 0;
  const proto = load<u8>(p + 1);
  if ((l3 == pkt.NFPROTO_IPV4 && proto != 0x31) || (l3 == pkt.NFPROTO_IPV6 && proto != 0x32)) return 0;
  let n: u32 = 0;
  if (proto == 0x31) {
    n = tryNumber(p + 3, len - 3, 4, 0x2e, delim);
    if (n != 0) {
      memory.fill(cmdAddr, 0, 16);
      for (let i = 0; i < 4; i++) store<u8>(cmdAddr + i, <u8>unchecked(numbers[i]));
    }
  } else {
    n = parseIpv6Text(p + 3, len - 3, delim);
  }
  if (n == 0) return 0;
  return getPort(p, 3 + n + 1, len, delim);
}

// try_epsv_response: (|||port|)
function tryEpsv(p: usize, len: u32): u32 {
  if (len <= 3) return 0;
  const delim = load<u8>(p);
  if (!validDelimiter(delim) || load<u8>(p + 1) != delim || load<u8>(p + 2) != delim) return 0;
  return getPort(p, 3, len, delim);
}

const PAT_PORT: u32 = 0x54524f50; // "PORT"
const PAT_EPRT: u32 = 0x54525045; // "EPRT"
const PAT_227: u32 = 0x20373232; // "227 "
const PAT_229: u32 = 0x20393232; // "229 "

enum Getnum {
  Rfc959 = 0,
  Eprt = 1,
  Rfc1123 = 2,
  Epsv = 3,
}

// find_pattern: 1 found, 0 not this command, -1 a partial or broken one.
function findPattern(p: usize, len: u32, pattern: u32, skip: u8, term: u8, getnum: Getnum, l3: u8): i32 {
  const plen: u32 = 4;
  if (len <= plen) return prefixMatches(p, len, pattern) ? -1 : 0;
  if (!prefixMatches(p, plen, pattern)) return 0;
  let i = plen;
  if (skip != 0) {
    while (load<u8>(p + i) != skip) {
      if (i == len - 1) return -1;
      i++;
    }
    i++;
  }
  let n: u32 = 0;
  if (getnum == Getnum.Rfc959) n = tryRfc959(p + i, len - i, term);
  else if (getnum == Getnum.Eprt) n = tryEprt(p + i, len - i, l3);
  else if (getnum == Getnum.Rfc1123) n = tryRfc1123(p + i, len - i);
  else n = tryEpsv(p + i, len - i);
  return n == 0 ? -1 : 1;
}

@inline function seqCountPtr(x: usize, dir: u8): usize {
  return x + (dir ? <usize>CtExt.FtpSeqCountReply : <usize>CtExt.FtpSeqCountOrig);
}

@inline function seqPtr(x: usize, dir: u8, i: u32): usize {
  return x + (dir ? <usize>CtExt.FtpSeqReply : <usize>CtExt.FtpSeqOrig) + (<usize>i << 2);
}

// find_nl_seq: whether seq starts just after a newline seen before.
function afterNewline(x: usize, dir: u8, seq: u32): bool {
  const n = <u32>load<u8>(seqCountPtr(x, dir));
  for (let i: u32 = 0; i < n; i++) if (load<u32>(seqPtr(x, dir, i)) == seq) return true;
  return false;
}

// update_nl_seq: remember up to two positions, replacing the older.
function rememberNewline(x: usize, dir: u8, seq: u32): void {
  const n = <u32>load<u8>(seqCountPtr(x, dir));
  for (let i: u32 = 0; i < n; i++) if (load<u32>(seqPtr(x, dir, i)) == seq) return;
  if (n < 2) {
    store<u32>(seqPtr(x, dir, n), seq);
    store<u8>(seqCountPtr(x, dir), <u8>(n + 1));
    return;
  }
  const s0 = load<u32>(seqPtr(x, dir, 0));
  const s1 = load<u32>(seqPtr(x, dir, 1));
  const oldest: u32 = <i32>(s0 - s1) < 0 ? 0 : 1;
  if (<i32>(load<u32>(seqPtr(x, dir, oldest)) - seq) < 0) store<u32>(seqPtr(x, dir, oldest), seq);
}

function ftpHelp(e: usize, dir: u8): bool {
  if (pkt.l4proto != pkt.IPPROTO_TCP) return true;
  const th = pkt.th;
  const doff: u32 = <u32>(load<u8>(th + 12) >> 4) << 2;
  if (doff >= pkt.l4Len) return true;
  const data = th + doff;
  const len = pkt.l4Len - doff;
  // Payload the capture cut off cannot be read.
  if (!pkt.captured(data, len)) return true;
  const x = ctt.extOf(e);
  const tcpSeq = bswap<u32>(load<u32>(th + 4));
  const endsInNewline = load<u8>(data + len - 1) == 0x0a;
  const nextSeq = tcpSeq + len;
  let ok = true;
  if (afterNewline(x, dir, tcpSeq)) {
    const l3 = load<u8>(e + CtEntry.L3proto);
    const alen: usize = l3 == pkt.NFPROTO_IPV4 ? 4 : 16;
    const own = ctt.srcOf(e, dir);
    // EPSV names no address: it is the sender's own.
    memory.copy(cmdAddr, own, 16);
    let found: i32 = 0;
    if (dir == 0) {
      found = findPattern(data, len, PAT_PORT, 0x20, 0x0d, Getnum.Rfc959, l3);
      if (found == 0) found = findPattern(data, len, PAT_EPRT, 0x20, 0x0d, Getnum.Eprt, l3);
    } else {
      found = findPattern(data, len, PAT_227, 0, 0, Getnum.Rfc1123, l3);
      if (found == 0) found = findPattern(data, len, PAT_229, 0x28, 0x29, Getnum.Epsv, l3);
    }
    // A half-recognised command is dropped: tracking depends on it.
    if (found < 0) return false;
    // An address other than the sender's own is not followed (loose=0).
    if (found > 0 && memory.compare(cmdAddr, own, alen) == 0) {
      ok = expectRelated(e, pkt.IPPROTO_TCP, ctt.srcOf(e, dir ^ 1), ctt.dstOf(e, dir ^ 1), alen, bswap<u16>(<u16>cmdPort), EXPECT_TIMEOUT);
    }
  }
  if (endsInNewline) rememberNewline(x, dir, nextSeq);
  return ok;
}
