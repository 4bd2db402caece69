// fib, rt, numgen, the hashes and osf, answered as the kernel answers them
// (nft_fib_ipv4.c, nft_fib_ipv6.c, nft_rt.c, nft_numgen.c, nft_hash.c,
// nft_osf.c), the routes and devices being the host's model in devices.ts.
import { DeviceEntry, FibFlags, FibResult, HASH_F_SEED, HashType, Hook, IFNAMSIZ, NumgenType, OSF_GENRE_LEN, RouteEntry, RouteType, RtKey } from './abi';
import * as dev from './devices';
import * as pkt from './packet';
import { state } from './ruleset';

const LOOPBACK_MTU: u32 = 65536;
// What a device whose MTU the model does not give is taken to have.
const DEFAULT_MTU: u32 = 1500;
const TCP_MSS_DEFAULT: u32 = 536;
const IP_MAX_MTU: u32 = 0xffff;
const IP6_MAX_MTU: u32 = 0xffff + 40;

// The seed of what the kernel seeds at random: jhash without a seed and
// symhash's key (set with --seed, so that a run repeats).
let hashSeed: u32 = 0;

export function setHashSeed(seed: u32): void {
  hashSeed = seed;
}

// --- fib ----------------------------------------------------------------------

// The device the lookup found: its index and name (0 and "" for none).
let foundIndex: u32 = 0;
let foundName: usize = 0;

function found(index: u32, name: usize): void {
  foundIndex = index;
  foundName = name;
}

function foundEntry(e: usize): void {
  if (e == 0) found(0, 0);
  else found(load<u32>(e + DeviceEntry.Index), e + DeviceEntry.Name);
}

function foundIndexOnly(index: u32): void {
  foundEntry(index != 0 ? dev.deviceByIndex(index) : 0);
  if (foundIndex == 0) foundIndex = index;
}

function storeResult(dreg: usize, result: u32, flags: u32): void {
  if ((flags & FibFlags.Present) != 0) {
    store<u32>(dreg, foundIndex != 0 ? 1 : 0);
  } else if (result == FibResult.Oif) {
    store<u32>(dreg, foundIndex);
  } else {
    memory.fill(dreg, 0, IFNAMSIZ);
    if (foundName != 0) memory.copy(dreg, foundName, IFNAMSIZ);
  }
}

function isZeronet4(a: usize): bool { return load<u8>(a) == 0; }
function isLbcast4(a: usize): bool { return load<u32>(a) == 0xffffffff; }
function isMulticast4(a: usize): bool { return (load<u8>(a) & 0xf0) == 0xe0; }
function isLocalMulticast4(a: usize): bool { return load<u8>(a) == 224 && load<u8>(a + 1) == 0 && load<u8>(a + 2) == 0; }
// Link-local unicast, and multicast of link-local scope (ff02::/16), which
// ipv6_addr_type also calls link-local.
function isLinkLocal6(a: usize): bool {
  return (load<u8>(a) == 0xfe && (load<u8>(a + 1) & 0xc0) == 0x80) || (load<u8>(a) == 0xff && (load<u8>(a + 1) & 0x0f) == 2);
}
function isMulticast6(a: usize): bool { return load<u8>(a) == 0xff; }

// The device the flags name: the input's with iif, the output's with oif.
function flagDevice(flags: u32): u32 {
  if ((flags & FibFlags.Iif) != 0) return dev.inputIndex();
  if ((flags & FibFlags.Oif) != 0) return dev.outputIndex();
  return 0;
}

function flagDevicePresent(flags: u32): bool {
  if ((flags & FibFlags.Iif) != 0) return dev.hasInput();
  if ((flags & FibFlags.Oif) != 0) return dev.hasOutput();
  return false;
}

// Whether the route's type is one fib_lookup and ip6_route_lookup answer
// with a device: not an error route, not a local one.
function deliversThrough(route: usize): bool {
  const t = load<u8>(route + RouteEntry.Type);
  return t == <u8>RouteType.Unicast || t == <u8>RouteType.Broadcast || t == <u8>RouteType.Multicast;
}

// nft_fib4_eval and nft_fib6_eval: the device the route to the address
// (daddr, or saddr for the reverse path) leaves by, or with iif/oif that
// device when the route uses it.
function fibOif(dreg: usize, result: u32, flags: u32, loopback: bool): void {
  const v4 = pkt.nfproto == pkt.NFPROTO_IPV4;
  const oifWanted = flagDevicePresent(flags);
  const oif = flagDevice(flags);
  if (dev.currentHook == Hook.Prerouting && loopback) {
    foundIndexOnly(dev.inputIndex());
    if (foundName == 0) foundName = dev.inputName();
    storeResult(dreg, result, flags);
    return;
  }
  const addr = (flags & FibFlags.Daddr) != 0 ? pkt.daddr : pkt.saddr;
  found(0, 0);
  if (v4 && isZeronet4(pkt.saddr) && (isLbcast4(pkt.daddr) || isLocalMulticast4(pkt.daddr))) {
    foundIndexOnly(dev.inputIndex());
    if (foundName == 0) foundName = dev.inputName();
    storeResult(dreg, result, flags);
    return;
  }
  // A link-local address is looked up on the device alone (RT6_LOOKUP_F_IFACE).
  const scoped = !v4 && isLinkLocal6(addr);
  const route = scoped ? dev.routeForDevice(6, addr, oifWanted ? oif : dev.inputIndex()) : dev.routeFor(v4 ? 4 : 6, addr);
  if (route != 0 && deliversThrough(route)) {
    const via = load<u32>(route + RouteEntry.Oif);
    if (!oifWanted) foundIndexOnly(via);
    else if (via == oif && oif != 0) foundIndexOnly(oif);
  }
  storeResult(dreg, result, flags);
}

// inet_dev_addr_type: the type of the address in the local table, for the
// device when one is named.
function fibType4(addr: usize, flags: u32): u32 {
  if (isZeronet4(addr) || isLbcast4(addr)) return RouteType.Broadcast;
  if (isMulticast4(addr)) return RouteType.Multicast;
  const route = dev.longestMatch(dev.TABLE_LOCAL, 4, addr);
  if (route == 0) return RouteType.Unicast;
  if (flagDevicePresent(flags) && flagDevice(flags) != load<u32>(route + RouteEntry.Oif)) return RouteType.Unicast;
  return <u32>load<u8>(route + RouteEntry.Type);
}

// __nft_fib6_eval_type: local when the named device has the address, else
// what the route lookup says (its errors as their route types), else the
// address's own kind.
function fibType6(addr: usize, flags: u32): u32 {
  const named = flagDevicePresent(flags);
  const d = flagDevice(flags);
  if (named && d != 0) {
    const own = dev.longestMatch(dev.TABLE_LOCAL, 6, addr);
    if (own != 0 && load<u8>(own + RouteEntry.PrefixLen) == 128 && load<u8>(own + RouteEntry.Type) == <u8>RouteType.Local && load<u32>(own + RouteEntry.Oif) == d) return RouteType.Local;
  }
  const route = isLinkLocal6(addr) ? dev.routeForDevice(6, addr, named ? d : dev.inputIndex()) : dev.routeFor(6, addr);
  if (route == 0) return RouteType.Unreachable;
  const t = <u32>load<u8>(route + RouteEntry.Type);
  if (t == RouteType.Blackhole || t == RouteType.Prohibit || t == RouteType.Unreachable) return t;
  if (t == RouteType.Anycast) return RouteType.Anycast;
  if (!named && t == RouteType.Local) return RouteType.Local;
  if (isMulticast6(addr)) return RouteType.Multicast;
  return RouteType.Unicast;
}

// Returns false where the kernel breaks the rule (no network header).
export function evalFib(ins: usize, dreg: usize, result: u32, loopback: bool): bool {
  const flags = load<u32>(ins + 4);
  if (pkt.nfproto != pkt.NFPROTO_IPV4 && pkt.nfproto != pkt.NFPROTO_IPV6) return false;
  if (result == FibResult.Addrtype) {
    const addr = (flags & FibFlags.Daddr) != 0 ? pkt.daddr : pkt.saddr;
    store<u32>(dreg, pkt.nfproto == pkt.NFPROTO_IPV4 ? fibType4(addr, flags) : fibType6(addr, flags));
    return true;
  }
  fibOif(dreg, result, flags, loopback);
  return true;
}

// --- rt -----------------------------------------------------------------------

// The MTU of the route's device (dst_mtu): its own metric, the device's,
// the loopback's for a local route, whose dst the kernel puts on lo.
function routeMtu(route: usize, v4: bool): u32 {
  let mtu = load<u32>(route + RouteEntry.Mtu);
  if (mtu == 0) {
    if (load<u8>(route + RouteEntry.Type) == <u8>RouteType.Local) {
      mtu = LOOPBACK_MTU;
    } else {
      const e = dev.deviceByIndex(load<u32>(route + RouteEntry.Oif));
      mtu = e != 0 && load<u32>(e + DeviceEntry.Mtu) != 0 ? load<u32>(e + DeviceEntry.Mtu) : DEFAULT_MTU;
    }
  }
  return min(mtu, v4 ? IP_MAX_MTU : IP6_MAX_MTU);
}

// nft_rt's get_tcpmss: the smaller MTU of the packet's route and the route
// back to its source, less the IP and TCP headers.
function tcpmss(route: usize, v4: bool): u32 {
  let mtu = routeMtu(route, v4);
  const back = dev.routeFor(v4 ? 4 : 6, pkt.saddr);
  if (back != 0) mtu = min(mtu, routeMtu(back, v4));
  const minlen: u32 = v4 ? 40 : 60;
  if (mtu <= minlen || mtu > 0xffff) return TCP_MSS_DEFAULT;
  return mtu - minlen;
}

// nft_rt_get_eval over the route the packet took. Before the routing
// decision (prerouting) there is none and the rule ends.
export function evalRt(dreg: usize, key: u32): bool {
  if (dev.currentHook == Hook.Prerouting) return false;
  const v4 = pkt.nfproto == pkt.NFPROTO_IPV4;
  if (!v4 && pkt.nfproto != pkt.NFPROTO_IPV6) return false;
  const route = dev.routeFor(v4 ? 4 : 6, pkt.daddr);
  if (route == 0) return false;
  switch (key) {
    case RtKey.Classid:
      store<u32>(dreg, 0);
      return true;
    case RtKey.Nexthop4:
    case RtKey.Nexthop6: {
      if (v4 != (key == RtKey.Nexthop4)) return false;
      const n: usize = v4 ? 4 : 16;
      const gw = route + RouteEntry.Gateway;
      // rt_nexthop, rt6_nexthop: the gateway, or the destination itself.
      const direct = v4 ? load<u32>(gw) == 0 : load<u64>(gw) == 0 && load<u64>(gw + 8) == 0;
      memory.copy(dreg, direct ? pkt.daddr : gw, n);
      return true;
    }
    case RtKey.Tcpmss:
      store<u32>(dreg, tcpmss(route, v4) & 0xffff);
      return true;
    case RtKey.Xfrm:
      // No IPsec policy offline: no xfrm bundle on any route.
      store<u32>(dreg, 0);
      return true;
  }
  return false;
}

// --- numgen and hashes ----------------------------------------------------------

// reciprocal_scale: val scaled into [0, n).
@inline function scale(val: u32, n: u32): u32 {
  return <u32>((<u64>val * <u64>n) >> 32);
}

// nft_ng_inc_gen: a counter per rule that starts at 0 and wraps at the
// modulus; nft_ng_random_gen: the seeded generator scaled.
export function evalNumgen(ins: usize, dreg: usize, mode: u32, random: u32): void {
  const mod = load<u32>(ins + 4);
  const offset = load<u32>(ins + 8);
  if (mode == NumgenType.Inc) {
    const s = state(load<u32>(ins + 12));
    const v = load<u32>(s);
    store<u32>(s, v + 1 < mod ? v + 1 : 0);
    store<u32>(dreg, v + offset);
  } else {
    store<u32>(dreg, scale(random, mod) + offset);
  }
}

@inline function rol(x: u32, k: u32): u32 {
  return rotl<u32>(x, k);
}

// The kernel's jhash (include/linux/jhash.h, Bob Jenkins' lookup3) of
// length bytes at key.
export function jhash(key: usize, length: u32, initval: u32): u32 {
  let a: u32 = 0xdeadbeef + length + initval;
  let b = a;
  let c = a;
  let k = key;
  while (length > 12) {
    a += load<u32>(k);
    b += load<u32>(k + 4);
    c += load<u32>(k + 8);
    a -= c; a ^= rol(c, 4); c += b;
    b -= a; b ^= rol(a, 6); a += c;
    c -= b; c ^= rol(b, 8); b += a;
    a -= c; a ^= rol(c, 16); c += b;
    b -= a; b ^= rol(a, 19); a += c;
    c -= b; c ^= rol(b, 4); b += a;
    length -= 12;
    k += 12;
  }
  if (length == 0) return c;
  if (length >= 12) c += <u32>load<u8>(k + 11) << 24;
  if (length >= 11) c += <u32>load<u8>(k + 10) << 16;
  if (length >= 10) c += <u32>load<u8>(k + 9) << 8;
  if (length >= 9) c += <u32>load<u8>(k + 8);
  if (length >= 8) b += <u32>load<u8>(k + 7) << 24;
  if (length >= 7) b += <u32>load<u8>(k + 6) << 16;
  if (length >= 6) b += <u32>load<u8>(k + 5) << 8;
  if (length >= 5) b += <u32>load<u8>(k + 4);
  if (length >= 4) a += <u32>load<u8>(k + 3) << 24;
  if (length >= 3) a += <u32>load<u8>(k + 2) << 16;
  if (length >= 2) a += <u32>load<u8>(k + 1) << 8;
  a += <u32>load<u8>(k);
  c ^= b; c -= rol(b, 14);
  a ^= c; a -= rol(c, 11);
  b ^= a; b -= rol(a, 25);
  c ^= b; c -= rol(b, 16);
  a ^= c; a -= rol(c, 4);
  b ^= a; b -= rol(a, 14);
  c ^= b; c -= rol(b, 24);
  return c;
}

// The flow's fields in an order both directions share, for symhash.
let symKey: usize = 0;

// __skb_get_hash_symmetric: a hash of the flow's addresses, protocol and
// ports that is the same both ways. The kernel keys it at random at boot;
// here it is jhash keyed by the run's seed, so only its symmetry and
// spread are the kernel's, not its values.
function symmetricHash(): u32 {
  if (symKey == 0) symKey = heap.alloc(40);
  const n: u32 = pkt.nfproto == pkt.NFPROTO_IPV4 ? 4 : 16;
  const swap = memory.compare(pkt.saddr, pkt.daddr, n) > 0;
  memory.copy(symKey, swap ? pkt.daddr : pkt.saddr, n);
  memory.copy(symKey + n, swap ? pkt.saddr : pkt.daddr, n);
  const p1 = swap ? pkt.dport : pkt.sport;
  const p2 = swap ? pkt.sport : pkt.dport;
  store<u16>(symKey + 2 * n, p1);
  store<u16>(symKey + 2 * n + 2, p2);
  store<u32>(symKey + 2 * n + 4, <u32>pkt.l4proto);
  return jhash(symKey, 2 * n + 8, hashSeed);
}

// nft_jhash_eval, nft_symhash_eval.
export function evalHash(ins: usize, dreg: usize, type: u32, regs: usize): void {
  const w = load<u32>(ins + 4);
  const mod = load<u32>(ins + 8);
  const seed = (w >> 16) & HASH_F_SEED ? load<u32>(ins + 12) : hashSeed;
  const offset = load<u32>(ins + 16);
  const h = type == HashType.Jenkins ? jhash(regs + (<usize>(w & 0xff) << 2), (w >> 8) & 0xff, seed) : symmetricHash();
  store<u32>(dreg, scale(h, mod) + offset);
}

// --- osf ------------------------------------------------------------------------

// nft_osf_eval: a TCP SYN's OS, "unknown" with no fingerprint loaded (none
// is, offline); anything but a SYN ends the rule.
export function evalOsf(dreg: usize): bool {
  if (pkt.l4proto != pkt.IPPROTO_TCP || pkt.th == 0 || (pkt.tcpFlags & pkt.TCP_SYN) == 0) return false;
  memory.fill(dreg, 0, OSF_GENRE_LEN);
  store<u64>(dreg, 0x6e776f6e6b6e75); // "unknown"
  return true;
}
