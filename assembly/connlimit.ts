// `ct count` (nft_connlimit with nf_conncount): each connlimit instruction
// keeps the list of connections it has counted, by original tuple. Every
// evaluation sweeps the list: connections gone from the table, or TCP ones
// in TIME_WAIT or CLOSE, no longer count. The kernel skips sweeps within a
// jiffy of the last one; a capture does not say where jiffies fall, so
// here every evaluation sweeps.
import { CtEntry, TcpState } from './abi';
import * as ctt from './conntrack';
import * as pkt from './packet';

const MAX_LISTS: u32 = 32;
const LIST_CAPACITY: u32 = 256;
const KEY: usize = ctt.TUPLE_KEY_SIZE;
// A list: the instruction it belongs to (its address), the node count, the
// nodes (tuple keys).
const L_OWNER: usize = 0;
const L_COUNT: usize = 4;
const L_NODES: usize = 8;
const LIST_SIZE: usize = L_NODES + <usize>LIST_CAPACITY * KEY;

let lists: usize = 0;
let current: usize = 0;

export function connlimitInit(): void {
  lists = heap.alloc(<usize>MAX_LISTS * LIST_SIZE);
  memory.fill(lists, 0, <usize>MAX_LISTS * LIST_SIZE);
  current = heap.alloc(KEY);
}

// The list of the instruction at ins, claimed on first use; 0 when all are taken.
function listOf(ins: usize): usize {
  for (let i: u32 = 0; i < MAX_LISTS; i++) {
    const l = lists + <usize>i * LIST_SIZE;
    const owner = <usize>load<u32>(l + L_OWNER);
    if (owner == ins) return l;
    if (owner == 0) {
      store<u32>(l + L_OWNER, <u32>ins);
      return l;
    }
  }
  return 0;
}

@inline function closed(e: usize): bool {
  if (load<u8>(e + CtEntry.L4proto) != pkt.IPPROTO_TCP) return false;
  const s = load<u8>(e + CtEntry.TcpState);
  return s == TcpState.TimeWait || s == TcpState.Close;
}

// nf_conncount_add_skb, then the count. A confirmed connection was counted
// when it started: its packets only sweep the list (nft_connlimit's gc on
// -EEXIST). Returns the number of connections, or -1 when none can be added
// (the kernel then drops the packet).
export function connCount(ins: usize): i32 {
  const l = listOf(ins);
  if (l == 0) return -1;
  const e = ctt.ct;
  const confirmed = e != 0 && !ctt.isPending(e);
  if (e != 0) {
    ctt.writeKey(current, e, 0);
  } else {
    ctt.keyFromPacket(0, pkt.l4proto == (pkt.nfproto == pkt.NFPROTO_IPV6 ? pkt.IPPROTO_ICMPV6 : pkt.IPPROTO_ICMP));
    memory.copy(current, ctt.keyPtr(), KEY);
  }
  let n = load<u32>(l + L_COUNT);
  let i: u32 = 0;
  while (i < n) {
    const node = l + L_NODES + <usize>i * KEY;
    const found = ctt.findEntry(node);
    if (!confirmed && found != 0 && memory.compare(node, current, KEY) == 0) return <i32>n;
    if (found == 0 || closed(found)) {
      n--;
      memory.copy(node, l + L_NODES + <usize>n * KEY, KEY);
      store<u32>(l + L_COUNT, n);
      continue;
    }
    i++;
  }
  if (confirmed) return <i32>n;
  if (n == LIST_CAPACITY) return -1;
  memory.copy(l + L_NODES + <usize>n * KEY, current, KEY);
  n++;
  store<u32>(l + L_COUNT, n);
  return <i32>n;
}
