// The path of one packet through the hooks, as the kernel walks it: the
// chains of each hook in priority order, conntrack at -200 on prerouting and
// output, confirmation after the last hook of an accepted packet.
import { Hook, Verdict, PRIORITY_CONNTRACK, PacketFate, PacketResult, CtEntry } from './abi';
import * as pkt from './packet';
import * as ctt from './conntrack';
import * as rs from './ruleset';
import * as vm from './vm';
import * as defrag from './defrag';
import * as dev from './devices';
import { conntrackIn, conntrackConfirm, conntrackDiscard, resetPacketConntrack } from './conntrack-hook';
import { isLocal, hasLocalAddresses, joinedGroup } from './config';

let lastHandle: u32 = 0;
let lastChain: u32 = 0xffffffff;

function runHook(family: i32, hook: Hook): i32 {
  const slot = rs.hookSlot(family, hook);
  let p = rs.image + load<u32>(slot);
  const n = load<u32>(slot + 4);
  const tracks = rs.usesConntrack() && (hook == Hook.Prerouting || hook == Hook.Output);
  let tracked = false;
  for (let i: u32 = 0; i < n; i++, p += 8) {
    const prio = load<i32>(p);
    if (tracks && !tracked && prio >= PRIORITY_CONNTRACK) {
      tracked = true;
      if (!conntrackIn(hook)) return Verdict.Drop;
    }
    const v = vm.runChain(load<u32>(p + 4));
    if (v != Verdict.Accept || vm.decidedHandle != 0) {
      lastHandle = vm.decidedHandle;
      lastChain = vm.decidedChain;
    }
    if (v != Verdict.Accept) return Verdict.Drop;
  }
  if (tracks && !tracked && !conntrackIn(hook)) return Verdict.Drop;
  return Verdict.Accept;
}

const PATH_INPUT: StaticArray<i32> = [Hook.Prerouting, Hook.Input];
const PATH_OUTPUT: StaticArray<i32> = [Hook.Output, Hook.Postrouting];
const PATH_FORWARD: StaticArray<i32> = [Hook.Prerouting, Hook.Forward, Hook.Postrouting];

// Multicast and broadcast destinations are delivered locally as well.
function groupDestination(): bool {
  if (pkt.nfproto == pkt.NFPROTO_IPV6) return load<u8>(pkt.daddr) == 0xff;
  const first = load<u8>(pkt.daddr);
  return (first >= 224 && first <= 239) || load<u32>(pkt.daddr) == 0xffffffff;
}

// The all-hosts and all-nodes groups, which every interface has joined, and
// the limited broadcast address: delivered to the host itself.
function everyHostDestination(): bool {
  if (pkt.nfproto == pkt.NFPROTO_IPV6) return load<u64>(pkt.daddr) == 0x02ff && load<u64>(pkt.daddr + 8) == 0x0100000000000000;
  const d = load<u32>(pkt.daddr);
  return d == 0x010000e0 || d == 0xffffffff;
}

// The kernel sends its answer to a neighbour solicitation from the receive
// path of the solicitation: the output hook sees the device it came in on as
// the input device (meta iiftype ether matches it; kernel scenario).
function neighbourAdvertisement(): bool {
  return pkt.nfproto == pkt.NFPROTO_IPV6 && pkt.l4proto == pkt.IPPROTO_ICMPV6 && pkt.th != 0 && pkt.captured(pkt.th, 1) && load<u8>(pkt.th) == ICMPV6_NEIGHBOUR_ADVERTISEMENT;
}
const ICMPV6_NEIGHBOUR_ADVERTISEMENT: u8 = 136;

function pathOf(): StaticArray<i32> {
  if (!hasLocalAddresses()) return everyHostDestination() ? PATH_INPUT : PATH_FORWARD;
  const fam: u32 = pkt.nfproto == pkt.NFPROTO_IPV4 ? 4 : 6;
  if (isLocal(fam, pkt.daddr)) return PATH_INPUT;
  if (isLocal(fam, pkt.saddr)) return PATH_OUTPUT;
  if (groupDestination()) return PATH_INPUT;
  // Subnet broadcasts and other local routes, where the host's routes are known.
  if (dev.deliveredLocally(fam, pkt.daddr)) return PATH_INPUT;
  return PATH_FORWARD;
}

const IPOPT_END: u8 = 0;
const IPOPT_NOOP: u8 = 1;
const IPOPT_RR: u8 = 7;
const IPOPT_TIMESTAMP: u8 = 68;
const IPOPT_LSRR: u8 = 131;
const IPOPT_SSRR: u8 = 137;
const IPOPT_RA: u8 = 148;
const IPOPT_CIPSO: u8 = 134;

// ip_options_compile on a received packet, then ip_rcv_options: options that
// do not parse, and source routes (accept_source_route is off), are dropped
// after prerouting, before any later hook.
function ipv4OptionsAccepted(): bool {
  const p = pkt.net;
  const end = p + (<usize>(load<u8>(p) & 15) << 2);
  let q = p + 20;
  let seenRr = false;
  let seenTs = false;
  while (q < end) {
    const type = load<u8>(q);
    if (type == IPOPT_END) return true;
    if (type == IPOPT_NOOP) {
      q++;
      continue;
    }
    const left = <u32>(end - q);
    if (left < 2) return false;
    const len = <u32>load<u8>(q + 1);
    if (len < 2 || len > left) return false;
    if (type == IPOPT_LSRR || type == IPOPT_SSRR) {
      return false;
    } else if (type == IPOPT_RR) {
      if (seenRr || len < 3) return false;
      const ptr = <u32>load<u8>(q + 2);
      if (ptr < 4 || (ptr <= len && ptr + 3 > len)) return false;
      seenRr = true;
    } else if (type == IPOPT_TIMESTAMP) {
      if (seenTs || len < 4) return false;
      const ptr = <u32>load<u8>(q + 2);
      const flags = load<u8>(q + 3);
      if (ptr < 5) return false;
      if (ptr <= len) {
        if (ptr + 3 > len) return false;
        const kind = flags & 15;
        if ((kind == 1 || kind == 3) && ptr + 7 > len) return false;
      } else if ((flags & 15) != 3 && (flags >> 4) == 15) {
        return false;
      }
      seenTs = true;
    } else if (type == IPOPT_RA) {
      if (len < 4) return false;
    } else if (type == IPOPT_CIPSO) {
      // CIPSO needs a configured domain of interpretation, which a replay has not.
      return false;
    }
    q += len;
  }
  return true;
}

// Routing between prerouting and the next hook (ip_route_input_slow,
// ip_forward, ip6_forward): whether the packet goes on. Multicast,
// broadcast and loopback sources are martians, dropped on the way in (the
// zero network is not: the kernel routes 0.0.0.0/8 as unicast); a forwarded
// packet also needs a destination that is not loopback or a group nobody
// here joined, and a TTL or hop limit above one. A host takes in only the
// groups it joined (ip_route_input_mc, ip6_mc_input): to any other group the
// route leads nowhere.
function routed(forward: bool): bool {
  if (!forward && groupDestination() && !joinedGroup(pkt.nfproto == pkt.NFPROTO_IPV4 ? 4 : 6, pkt.daddr)) return false;
  if (pkt.nfproto == pkt.NFPROTO_IPV4) {
    const s0 = load<u8>(pkt.saddr);
    if ((s0 >= 224 && s0 <= 239) || load<u32>(pkt.saddr) == 0xffffffff || s0 == 127) return false;
    if ((load<u8>(pkt.net) & 15) > 5 && !ipv4OptionsAccepted()) return false;
    if (!forward) return true;
    const d0 = load<u8>(pkt.daddr);
    if (d0 == 127 || (d0 >= 224 && d0 <= 239)) return false;
    return load<u8>(pkt.net + 8) > 1;
  }
  if (!forward) return true;
  const s0 = load<u8>(pkt.saddr);
  const d0 = load<u8>(pkt.daddr);
  // Link-local (fe80::/10) and multicast never cross a router.
  if ((s0 == 0xfe && (load<u8>(pkt.saddr + 1) & 0xc0) == 0x80) || (d0 == 0xfe && (load<u8>(pkt.daddr + 1) & 0xc0) == 0x80)) return false;
  if (d0 == 0xff) return false;
  return load<u8>(pkt.net + 7) > 1;
}

// ip_forward and ip6_forward lower the TTL or hop limit (IPv4 with its
// header checksum) before the forward hook: the forward and postrouting
// chains see it lowered. The capture keeps its bytes: hopRestore puts them
// back once the hooks are done, unless a rule wrote the field meanwhile.
let hopSaved: u32 = 0;
let checkSaved: u16 = 0;

function hopLower(): void {
  if (pkt.nfproto == pkt.NFPROTO_IPV4) {
    hopSaved = load<u8>(pkt.net + 8);
    checkSaved = load<u16>(pkt.net + 10);
    store<u8>(pkt.net + 8, <u8>(hopSaved - 1));
    let c = <u32>bswap<u16>(checkSaved) + 0x0100;
    c = (c & 0xffff) + (c >> 16);
    store<u16>(pkt.net + 10, bswap<u16>(<u16>c));
  } else {
    hopSaved = load<u8>(pkt.net + 7);
    store<u8>(pkt.net + 7, <u8>(hopSaved - 1));
  }
}

function hopRestore(): void {
  const at = pkt.net + (pkt.nfproto == pkt.NFPROTO_IPV4 ? 8 : 7);
  if (<u32>load<u8>(at) != hopSaved - 1) return;
  store<u8>(at, <u8>hopSaved);
  if (pkt.nfproto == pkt.NFPROTO_IPV4) store<u16>(pkt.net + 10, checkSaved);
}

// Evaluates one captured packet and writes its result record at out.
export function processPacket(linkType: u32, data: usize, caplen: u32, origLen: u32, time: u64, out: usize): void {
  let fate = pkt.parsePacket(linkType, data, caplen, origLen);
  if (fate == PacketFate.Fragment) {
    // Defragmentation comes with conntrack; without it fragments meet the
    // chains one by one.
    if (!rs.usesConntrack()) fate = PacketFate.Filtered;
    else if (defrag.gather(time)) fate = pkt.parseReassembled(defrag.datagram, defrag.datagramLength);
  }
  store<u64>(out + PacketResult.Time, time);
  store<u8>(out + PacketResult.Fate, <u8>fate);
  resetPacketConntrack();
  lastHandle = 0;
  lastChain = 0xffffffff;
  let verdict: i32 = Verdict.Accept;
  if (fate == PacketFate.Filtered) {
    ctt.now = time;
    vm.packetMark = 0;
    const family: i32 = pkt.nfproto == pkt.NFPROTO_IPV4 ? 0 : 1;
    const path = pathOf();
    vm.sentByHost = path == PATH_OUTPUT;
    vm.hasInputDevice = !vm.sentByHost || neighbourAdvertisement();
    let lowered = false;
    dev.packetDevices(pkt.linkIfindex);
    for (let i = 0; i < path.length; i++) {
      const hook = <Hook>unchecked(path[i]);
      dev.atHook(hook, vm.hasInputDevice);
      verdict = runHook(family, hook);
      if (verdict != Verdict.Accept) break;
      if (hook == Hook.Prerouting && !routed(path == PATH_FORWARD)) {
        verdict = Verdict.Drop;
        break;
      }
      if (hook == Hook.Prerouting && path == PATH_FORWARD) {
        hopLower();
        lowered = true;
      }
    }
    if (lowered) hopRestore();
    if (verdict == Verdict.Accept) {
      if (!conntrackConfirm()) verdict = Verdict.Drop;
    } else {
      conntrackDiscard();
    }
  }
  store<u8>(out + PacketResult.Verdict, <u8>verdict);
  store<u8>(out + PacketResult.CtState, <u8>(fate == PacketFate.Filtered ? ctt.ctState : 0));
  store<u8>(out + PacketResult.CtDirection, ctt.ctDir);
  store<u32>(out + PacketResult.Handle, lastHandle);
  store<u32>(out + PacketResult.Chain, lastChain);
  const e = ctt.ct;
  store<u32>(out + PacketResult.CtId, e != 0 && !ctt.isPending(e) ? load<u32>(e + CtEntry.Id) : 0);
}
