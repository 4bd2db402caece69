// `ct count` (nft_connlimit with nf_conncount): each connlimit instruction
// keeps the list of connections it has counted, by original tuple, as long
// as the count. Every evaluation sweeps the list: connections gone from the
// table, or TCP ones in TIME_WAIT or CLOSE, no longer count. The kernel skips sweeps within a
// jiffy of the last one; a capture does not say where jiffies fall, so
// here every evaluation sweeps.
import { CtEntry, TcpState } from './abi';
import * as ctt from './conntrack';
import * as pkt from './packet';
import { doubled } from './grow';

const KEY: usize = ctt.TUPLE_KEY_SIZE;
// One list per connlimit instruction, as nft_connlimit keeps one per
// expression, of any length (nf_conncount's lists are unbounded): a
// directory of (instruction address, nodes, count, capacity), u32 each,
// grown as instructions and connections come.
const D_OWNER: usize = 0;
const D_NODES: usize = 4;
const D_COUNT: usize = 8;
const D_CAPACITY: usize = 12;
const D_SIZE: usize = 16;
const FIRST_CAPACITY: u32 = 16;

let directory: usize = 0;
let lists: u32 = 0;
let directoryCapacity: u32 = 0;
let current: usize = 0;

export function connlimitInit(): void {
  directoryCapacity = 4;
  directory = heap.alloc(<usize>directoryCapacity * D_SIZE);
  lists = 0;
  current = heap.alloc(KEY);
}

// The list of the instruction at ins, made on first use.
function listOf(ins: usize): usize {
  for (let i: u32 = 0; i < lists; i++) {
    const l = directory + <usize>i * D_SIZE;
    if (<usize>load<u32>(l + D_OWNER) == ins) return l;
  }
  if (lists == directoryCapacity) {
    directory = doubled(directory, <usize>directoryCapacity * D_SIZE);
    directoryCapacity *= 2;
  }
  const l = directory + <usize>lists * D_SIZE;
  lists++;
  store<u32>(l + D_OWNER, <u32>ins);
  store<u32>(l + D_NODES, <u32>heap.alloc(<usize>FIRST_CAPACITY * KEY));
  store<u32>(l + D_COUNT, 0);
  store<u32>(l + D_CAPACITY, FIRST_CAPACITY);
  return l;
}

// Room for one more node in list l.
function reserve(l: usize): void {
  const cap = load<u32>(l + D_CAPACITY);
  if (load<u32>(l + D_COUNT) < cap) return;
  store<u32>(l + D_NODES, <u32>doubled(<usize>load<u32>(l + D_NODES), <usize>cap * KEY));
  store<u32>(l + D_CAPACITY, cap * 2);
}

@inline function closed(e: usize): bool {
  if (load<u8>(e + CtEntry.L4proto) != pkt.IPPROTO_TCP) return false;
  const s = load<u8>(e + CtEntry.TcpState);
  return s == TcpState.TimeWait || s == TcpState.Close;
}

// nf_conncount_add_skb, then the count. A confirmed connection was counted
// when it started: its packets only sweep the list (nft_connlimit's gc on
// -EEXIST).
export function connCount(ins: usize): u32 {
  const l = listOf(ins);
  const e = ctt.ct;
  const confirmed = e != 0 && !ctt.isPending(e);
  if (e != 0) {
    ctt.writeKey(current, e, 0);
  } else {
    ctt.keyFromPacket(0, pkt.l4proto == (pkt.nfproto == pkt.NFPROTO_IPV6 ? pkt.IPPROTO_ICMPV6 : pkt.IPPROTO_ICMP));
    memory.copy(current, ctt.keyPtr(), KEY);
  }
  const nodes = <usize>load<u32>(l + D_NODES);
  let n = load<u32>(l + D_COUNT);
  let i: u32 = 0;
  while (i < n) {
    const node = nodes + <usize>i * KEY;
    const found = ctt.findEntry(node);
    if (!confirmed && found != 0 && memory.compare(node, current, KEY) == 0) return n;
    if (found == 0 || closed(found)) {
      n--;
      memory.copy(node, nodes + <usize>n * KEY, KEY);
      store<u32>(l + D_COUNT, n);
      continue;
    }
    i++;
  }
  if (confirmed) return n;
  reserve(l);
  memory.copy(<usize>load<u32>(l + D_NODES) + <usize>n * KEY, current, KEY);
  n++;
  store<u32>(l + D_COUNT, n);
  return n;
}
