// nf_dup_ipv4 and nf_dup_ipv6: a dup statement sends a copy of the packet
// as the rule sees it, its mark kept, marked untracked, its TTL or hop
// limit lowered when taken on prerouting or input, out through the output
// and postrouting hooks (ip_local_out, ip6_local_out), where a dup makes no
// copy again (nf_skb_duplicated). The pipeline runs the copies once the
// packet itself is done: what their rules count and keep shows them.
import { Hook } from './abi';
import * as pkt from './packet';

const MAX_COPIES: u32 = 4;
// The longest IP datagram.
const COPY_BYTES: usize = 65536;

let buffer: usize = 0;
const lengths = new StaticArray<u32>(MAX_COPIES);
const marks = new StaticArray<u32>(MAX_COPIES);
const oifs = new StaticArray<u32>(MAX_COPIES);
// Each copy's gateway address, 16 bytes apiece.
const gateways = new StaticArray<u8>(MAX_COPIES * 16);
export let pending: u32 = 0;
// Set while the copies run.
export let duplicating = false;

// ip_decrease_ttl's checksum update: the TTL is the high byte of its word.
export function ttlDecrementedChecksum(check: u16): u16 {
  let c = <u32>bswap<u16>(check) + 0x0100;
  c = (c & 0xffff) + (c >> 16);
  return bswap<u16>(<u16>c);
}

// gateway: the address the copy is routed to (as long as the packet's),
// oif: the device it must leave by (0: any).
export function take(hook: Hook, mark: u32, gateway: usize, oif: u32): void {
  if (duplicating || pending == MAX_COPIES) return;
  if (buffer == 0) buffer = heap.alloc(<usize>MAX_COPIES * COPY_BYTES);
  const captured = <u32>(pkt.dataEnd - pkt.net);
  const len = pkt.netLen < captured ? pkt.netLen : captured;
  const p = copyAt(pending);
  memory.copy(p, pkt.net, len);
  if (hook == Hook.Prerouting || hook == Hook.Input) {
    if (pkt.nfproto == pkt.NFPROTO_IPV4) {
      store<u8>(p + 8, load<u8>(p + 8) - 1);
      store<u16>(p + 10, ttlDecrementedChecksum(load<u16>(p + 10)));
    } else {
      store<u8>(p + 7, load<u8>(p + 7) - 1);
    }
  }
  unchecked(lengths[pending] = len);
  unchecked(marks[pending] = mark);
  unchecked(oifs[pending] = oif);
  memory.copy(gatewayAt(pending), gateway, pkt.nfproto == pkt.NFPROTO_IPV4 ? 4 : 16);
  pending++;
}

export function copyAt(i: u32): usize {
  return buffer + <usize>i * COPY_BYTES;
}

export function copyLength(i: u32): u32 {
  return unchecked(lengths[i]);
}

export function copyMark(i: u32): u32 {
  return unchecked(marks[i]);
}

export function copyOif(i: u32): u32 {
  return unchecked(oifs[i]);
}

export function gatewayAt(i: u32): usize {
  return changetype<usize>(gateways) + <usize>i * 16;
}
