// Reassembly of IPv4 and IPv6 fragments before conntrack (nf_defrag_ipv4 at
// priority -400 with ip_frag_queue, nf_defrag_ipv6 with nf_ct_frag6_queue):
// fragments wait in queues keyed by addresses, protocol and id; later chains
// see only the whole datagram.
//
// Each queue owns a buffer the datagram is rebuilt in, grown as its
// fragments need and kept for the queue's next datagram; the queues grow in
// number as datagrams come. As in the kernel (inet_frag_find), once the
// fragments held for a family take more than its high threshold (4 MiB,
// ipfrag_high_thresh and nf_conntrack_frag6_high_thresh), further fragments
// of that family are dropped until some complete or expire. The kernel
// counts each fragment's skb truesize, which a capture does not hold: it is
// taken as the frame's length plus FRAGMENT_OVERHEAD.
import * as pkt from './packet';
import { doubled } from './grow';

const FIRST_QUEUES: u32 = 32;
// Room for the first fragment's header (IPv4 with options, IPv6 with its
// unfragmentable extension headers) and 64 KiB of payload.
const HEADER_ROOM: usize = 512;
const MAX_PAYLOAD: u32 = 65535;
const FIRST_BUFFER: usize = HEADER_ROOM + 2048;
const HIGH_THRESH: u64 = 4 * 1024 * 1024;
// struct sk_buff and skb_shared_info around a fragment's data.
const FRAGMENT_OVERHEAD: u32 = 768;
// Disjoint runs of payload received, kept sorted: [start, end) pairs, in
// an array of each queue's own, grown as they come.
const FIRST_RUNS: u32 = 8;
const NS_PER_SEC: u64 = 1000000000;
const IPV4_TIMEOUT: u64 = 30 * NS_PER_SEC;
const IPV6_TIMEOUT: u64 = 60 * NS_PER_SEC;

// Queue record layout.
const Q_IN_USE: usize = 0;
const Q_FAMILY: usize = 1;
const Q_PROTO: usize = 2;
const Q_FLAGS: usize = 3;
const Q_ID: usize = 4;
const Q_LEN: usize = 8;
const Q_MEAT: usize = 12;
const Q_EXPIRES: usize = 16;
const Q_CREATED: usize = 24;
const Q_SADDR: usize = 32;
const Q_DADDR: usize = 48;
// Length of the saved header, the offset in it of the next-header byte to
// patch (IPv6), the largest fragment, the largest fragment with DF (IPv4).
const Q_HDRLEN: usize = 64;
const Q_NHOFF: usize = 68;
const Q_MAXSIZE: usize = 72;
const Q_MAXDF: usize = 76;
const Q_RUNCOUNT: usize = 80;
const Q_BUFFER: usize = 84;
// The buffer's size, and the memory the queue's fragments are counted for.
const Q_BUFFER_SIZE: usize = 88;
const Q_TRUESIZE: usize = 92;
const Q_RUNS: usize = 96;
const Q_RUNS_CAPACITY: usize = 100;
const Q_SIZE: usize = 104;

const FIRST_IN: u8 = 1;
const LAST_IN: u8 = 2;

let queues: usize = 0;
let queueCount: u32 = 0;
// Memory held by queued fragments, IPv4 then IPv6.
let held4: u64 = 0;
let held6: u64 = 0;

// The rebuilt datagram after a fragment completed one.
export let datagram: usize = 0;
export let datagramLength: u32 = 0;

export function defragInit(): void {
  queueCount = FIRST_QUEUES;
  queues = heap.alloc(<usize>queueCount * Q_SIZE);
  memory.fill(queues, 0, <usize>queueCount * Q_SIZE);
  held4 = 0;
  held6 = 0;
}

// Twice as many queues, the new ones free.
function growQueues(): void {
  queues = doubled(queues, <usize>queueCount * Q_SIZE);
  queueCount *= 2;
}

// A buffer of a queue with room for payload up to end.
function bufferFor(q: usize, end: u32): usize {
  const need = HEADER_ROOM + <usize>end + 8;
  let size = <usize>load<u32>(q + Q_BUFFER_SIZE);
  const old = <usize>load<u32>(q + Q_BUFFER);
  if (need <= size) return old;
  if (size == 0) size = FIRST_BUFFER;
  while (size < need) size <<= 1;
  const grown = heap.alloc(size);
  if (old != 0) {
    memory.copy(grown, old, <usize>load<u32>(q + Q_BUFFER_SIZE));
    heap.free(old);
  }
  store<u32>(q + Q_BUFFER, <u32>grown);
  store<u32>(q + Q_BUFFER_SIZE, <u32>size);
  return grown;
}

@inline function queueAt(i: u32): usize {
  return queues + <usize>i * Q_SIZE;
}

@inline function be16(p: usize): u32 {
  return <u32>bswap<u16>(load<u16>(p));
}

function kill(q: usize): void {
  if (!load<u8>(q + Q_IN_USE)) return;
  store<u8>(q + Q_IN_USE, 0);
  const t = <u64>load<u32>(q + Q_TRUESIZE);
  if (load<u8>(q + Q_FAMILY) == 6) held6 -= t;
  else held4 -= t;
}

// The queue of the current fragment, created when new; 0 when the family's
// fragments already hold more than the threshold.
function findQueue(v6: bool, proto: u8, id: u32, now: u64): usize {
  const family: u8 = v6 ? 6 : 4;
  const alen: usize = v6 ? 16 : 4;
  let free: usize = 0;
  let found: usize = 0;
  for (let i: u32 = 0; i < queueCount; i++) {
    const q = queueAt(i);
    if (load<u8>(q + Q_IN_USE) && load<u64>(q + Q_EXPIRES) <= now) kill(q);
    if (!load<u8>(q + Q_IN_USE)) {
      if (free == 0) free = q;
      continue;
    }
    if (load<u8>(q + Q_FAMILY) != family || load<u8>(q + Q_PROTO) != proto || load<u32>(q + Q_ID) != id) continue;
    if (memory.compare(q + Q_SADDR, pkt.saddr, alen) != 0 || memory.compare(q + Q_DADDR, pkt.daddr, alen) != 0) continue;
    found = q;
  }
  if ((v6 ? held6 : held4) > HIGH_THRESH) return 0;
  if (found != 0) return found;
  if (free == 0) {
    growQueues();
    free = queueAt(queueCount >> 1);
  }
  const q = free;
  const buffer = load<u32>(q + Q_BUFFER);
  const bufferSize = load<u32>(q + Q_BUFFER_SIZE);
  const runs = load<u32>(q + Q_RUNS);
  const runsCapacity = load<u32>(q + Q_RUNS_CAPACITY);
  memory.fill(q, 0, Q_SIZE);
  store<u32>(q + Q_BUFFER, buffer);
  store<u32>(q + Q_BUFFER_SIZE, bufferSize);
  store<u32>(q + Q_RUNS, runs);
  store<u32>(q + Q_RUNS_CAPACITY, runsCapacity);
  store<u8>(q + Q_IN_USE, 1);
  store<u8>(q + Q_FAMILY, family);
  store<u8>(q + Q_PROTO, proto);
  store<u32>(q + Q_ID, id);
  memory.copy(q + Q_SADDR, pkt.saddr, alen);
  memory.copy(q + Q_DADDR, pkt.daddr, alen);
  store<u64>(q + Q_CREATED, now);
  store<u64>(q + Q_EXPIRES, now + (v6 ? IPV6_TIMEOUT : IPV4_TIMEOUT));
  return q;
}

enum Insert {
  Ok = 0,
  Duplicate = 1,
  Overlap = 2,
}

// Room for more runs in a queue holding n of them.
function growRuns(q: usize, n: u32): void {
  const capacity = n == 0 ? FIRST_RUNS : n * 2;
  const grown = heap.alloc(<usize>capacity << 3);
  const old = <usize>load<u32>(q + Q_RUNS);
  if (old != 0) {
    memory.copy(grown, old, <usize>n << 3);
    heap.free(old);
  }
  store<u32>(q + Q_RUNS, <u32>grown);
  store<u32>(q + Q_RUNS_CAPACITY, capacity);
}

// inet_frag_queue_insert: a fragment inside what is already there is a
// duplicate; one that overlaps it otherwise spoils the whole datagram.
function insertRun(q: usize, start: u32, end: u32): Insert {
  const n = load<u32>(q + Q_RUNCOUNT);
  if (n == load<u32>(q + Q_RUNS_CAPACITY)) growRuns(q, n);
  const runs = <usize>load<u32>(q + Q_RUNS);
  let at: u32 = 0;
  for (; at < n; at++) {
    const rs = load<u32>(runs + (<usize>at << 3));
    const re = load<u32>(runs + (<usize>at << 3) + 4);
    if (end <= rs) break;
    if (start >= re) continue;
    return start >= rs && end <= re ? Insert.Duplicate : Insert.Overlap;
  }
  // Join the neighbours it touches, or take a slot of its own.
  const joinsLeft = at > 0 && load<u32>(runs + (<usize>(at - 1) << 3) + 4) == start;
  const joinsRight = at < n && load<u32>(runs + (<usize>at << 3)) == end;
  if (joinsLeft && joinsRight) {
    store<u32>(runs + (<usize>(at - 1) << 3) + 4, load<u32>(runs + (<usize>at << 3) + 4));
    memory.copy(runs + (<usize>at << 3), runs + (<usize>(at + 1) << 3), <usize>(n - at - 1) << 3);
    store<u32>(q + Q_RUNCOUNT, n - 1);
  } else if (joinsLeft) {
    store<u32>(runs + (<usize>(at - 1) << 3) + 4, end);
  } else if (joinsRight) {
    store<u32>(runs + (<usize>at << 3), start);
  } else {
    memory.copy(runs + (<usize>(at + 1) << 3), runs + (<usize>at << 3), <usize>(n - at) << 3);
    store<u32>(runs + (<usize>at << 3), start);
    store<u32>(runs + (<usize>at << 3) + 4, end);
    store<u32>(q + Q_RUNCOUNT, n + 1);
  }
  return Insert.Ok;
}

function ipv4HeaderChecksum(p: usize, ihl: u32): void {
  store<u16>(p + 10, 0);
  let sum: u32 = 0;
  for (let i: u32 = 0; i < ihl; i += 2) sum += <u32>load<u16>(p + i);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  store<u16>(p + 10, <u16>~sum);
}

// Takes the current packet (a fragment) into its queue. Returns true when
// it completed the datagram, which is then at datagram/datagramLength.
export function gather(now: u64): bool {
  const p = pkt.net;
  const v6 = pkt.nfproto == pkt.NFPROTO_IPV6;
  let offset: u32 = 0;
  let end: u32 = 0;
  let more = false;
  let id: u32 = 0;
  let hdrLen: u32 = 0;
  let data: usize = 0;
  let proto: u8 = pkt.l4proto;
  if (!v6) {
    hdrLen = <u32>(load<u8>(p) & 15) << 2;
    const frag = be16(p + 6);
    offset = (frag & 0x1fff) << 3;
    more = (frag & 0x2000) != 0;
    id = be16(p + 4);
    data = p + hdrLen;
    end = offset + pkt.netLen - hdrLen;
  } else {
    const fh = pkt.fragmentHeader;
    hdrLen = <u32>(fh - p);
    const frag = be16(fh + 2);
    offset = frag & 0xfff8;
    more = (frag & 1) != 0;
    id = load<u32>(fh + 4);
    proto = load<u8>(fh);
    data = fh + 8;
    end = offset + pkt.netLen - hdrLen - 8;
    if (end > MAX_PAYLOAD) return false;
  }
  // Payload the capture does not hold cannot be put back together.
  if (!pkt.captured(data, end - offset) || hdrLen > <u32>HEADER_ROOM) return false;
  const q = findQueue(v6, proto, id, now);
  if (q == 0) return false;
  const flags = load<u8>(q + Q_FLAGS);
  let len = load<u32>(q + Q_LEN);
  if (!more) {
    if (end < len || ((flags & LAST_IN) && end != len)) {
      // IPv4 gives the datagram up; IPv6 only drops the fragment.
      if (!v6) kill(q);
      return false;
    }
    store<u8>(q + Q_FLAGS, load<u8>(q + Q_FLAGS) | LAST_IN);
    len = end;
  } else {
    if (end & 7) {
      if (v6) {
        kill(q);
        return false;
      }
      end &= ~7;
    }
    if (end > len) {
      if (flags & LAST_IN) {
        if (!v6) kill(q);
        return false;
      }
      len = end;
    }
  }
  store<u32>(q + Q_LEN, len);
  if (end == offset) {
    if (!v6) kill(q);
    return false;
  }
  const ins = insertRun(q, offset, end);
  if (ins == Insert.Duplicate) return false;
  if (ins == Insert.Overlap) {
    kill(q);
    return false;
  }
  const buffer = bufferFor(q, end);
  memory.copy(buffer + HEADER_ROOM + <usize>offset, data, end - offset);
  const truesize = pkt.netLen + FRAGMENT_OVERHEAD;
  store<u32>(q + Q_TRUESIZE, load<u32>(q + Q_TRUESIZE) + truesize);
  if (v6) held6 += truesize;
  else held4 += truesize;
  store<u32>(q + Q_MEAT, load<u32>(q + Q_MEAT) + end - offset);
  if (offset == 0) {
    store<u8>(q + Q_FLAGS, load<u8>(q + Q_FLAGS) | FIRST_IN);
    memory.copy(buffer + HEADER_ROOM - hdrLen, p, hdrLen);
    store<u32>(q + Q_HDRLEN, hdrLen);
    store<u32>(q + Q_NHOFF, v6 ? <u32>(pkt.fragmentNextHeaderAt - p) : 0);
  }
  if (!v6) {
    const size = end - offset + hdrLen;
    if (size > load<u32>(q + Q_MAXSIZE)) store<u32>(q + Q_MAXSIZE, size);
    if ((be16(p + 6) & 0x4000) && size > load<u32>(q + Q_MAXDF)) store<u32>(q + Q_MAXDF, size);
  }
  if (load<u8>(q + Q_FLAGS) != (FIRST_IN | LAST_IN) || load<u32>(q + Q_MEAT) != len) return false;
  return reassemble(q, v6);
}

function reassemble(q: usize, v6: bool): bool {
  const buffer = <usize>load<u32>(q + Q_BUFFER);
  const hdrLen = load<u32>(q + Q_HDRLEN);
  const len = load<u32>(q + Q_LEN);
  const start = buffer + HEADER_ROOM - hdrLen;
  kill(q);
  if (!v6) {
    const total = hdrLen + len;
    if (total > 65535) return false;
    store<u16>(start + 2, bswap<u16>(<u16>total));
    const df: u16 = load<u32>(q + Q_MAXDF) == load<u32>(q + Q_MAXSIZE) ? 0x4000 : 0;
    store<u16>(start + 6, bswap<u16>(df));
    ipv4HeaderChecksum(start, hdrLen);
    datagram = start;
    datagramLength = total;
    return true;
  }
  const payload = hdrLen - 40 + len;
  if (payload > 65535) return false;
  store<u16>(start + 4, bswap<u16>(<u16>payload));
  // The fragment header is gone: its next header takes its place.
  const nh = start + <usize>load<u32>(q + Q_NHOFF);
  store<u8>(nh, load<u8>(q + Q_PROTO));
  datagram = start;
  datagramLength = 40 + payload;
  return true;
}
