// The path of one packet through the hooks, as the kernel walks it: the
// chains of each hook in priority order, conntrack at -200 on prerouting and
// output, confirmation after the last hook of an accepted packet.
import { ArpHook, ChainEntry, Hook, HookFamily, IFNAMSIZ, NetdevHook, Verdict, PRIORITY_CONNTRACK, PRIORITY_NAT_DST, PRIORITY_NAT_SRC, HOOK_INET_CHAIN, HOOK_NAT_CHAIN, PacketFate, PacketPath, PacketResult, CtEntry, CtStateBit } from './abi';
import * as nat from './nat';
import { noteForwarded, isForwardedCopy } from './forwarded';
import * as trace from './trace';
import * as log from './log';
import * as pkt from './packet';
import * as ctt from './conntrack';
import * as rs from './ruleset';
import * as vm from './vm';
import * as defrag from './defrag';
import * as dev from './devices';
import * as dup from './dup';
import { setsClock } from './sets';
import { attachAnswer, conntrackIn, conntrackConfirm, conntrackDiscard, resetPacketConntrack } from './conntrack-hook';
import { isLocal, hasLocalAddresses, joinedGroup } from './config';

let lastHandle: u32 = 0;
let lastChain: u32 = 0xffffffff;
// Why a packet that met hooks was dropped other than by a rule or policy.
let dropFate: i32 = PacketFate.Filtered;

function runChainNoted(chain: u32): i32 {
  const v = vm.runChain(chain);
  if (v != Verdict.Accept || vm.decidedHandle != 0) {
    lastHandle = vm.decidedHandle;
    lastChain = vm.decidedChain;
  }
  return v;
}

// nf_nat's hook (nf_nat_ipv4_fn, nf_nat_inet_fn): a related ICMP message
// has what it quotes translated; the first packet of a connection runs the
// hook's nat chains until one binds it, else gets a null binding; then
// every packet is rewritten to its connection's binding.
function natHook(hook: Hook, list: usize, n: u32): i32 {
  const e = ctt.ct;
  if (e == 0 || ctt.isRejectedCopy(e)) return Verdict.Accept;
  const manip = nat.manipOf(hook);
  const state = ctt.ctState;
  if (state == CtStateBit.Related && nat.relatedIcmp()) {
    if (nat.icmpReplyTranslation(e, ctt.ctDir, manip)) return Verdict.Accept;
    dropFate = PacketFate.NatFailed;
    return Verdict.Drop;
  }
  if ((state == CtStateBit.New || state == CtStateBit.Related) && !nat.initialized(e, manip)) {
    nat.hook = hook;
    for (let i: u32 = 0; i < n; i++) {
      const word = load<u32>(list + (<usize>i << 3) + 4);
      if ((word & HOOK_NAT_CHAIN) == 0) continue;
      const v = runChainNoted(word & ~HOOK_NAT_CHAIN);
      if (v != Verdict.Accept) return Verdict.Drop;
      if (nat.initialized(e, manip)) break;
    }
    if (!nat.initialized(e, manip) && !nat.nullBinding(e, manip)) {
      dropFate = PacketFate.NatFailed;
      return Verdict.Drop;
    }
  }
  if (nat.natPacket(e, ctt.ctDir, manip)) return Verdict.Accept;
  dropFate = PacketFate.NatFailed;
  return Verdict.Drop;
}

// tracks: whether conntrack's hook runs here (prerouting and output, except
// for a looped-back packet, whose entry the output path attached already:
// nf_conntrack_in leaves a packet that has one alone). nf_nat's hook runs
// where its priority falls among the chains, if the family has nat chains.
function runHook(family: i32, hook: Hook, tracks: bool): i32 {
  const slot = rs.hookSlot(family, hook);
  const list = rs.image + load<u32>(slot);
  let p = list;
  const n = load<u32>(slot + 4);
  let tracked = tracks && hook == Hook.Output && attachAnswer();
  let natDone = !nat.natActive(family);
  const natPriority = nat.manipOf(hook) == 0 ? PRIORITY_NAT_SRC : PRIORITY_NAT_DST;
  for (let i: u32 = 0; i < n; i++, p += 8) {
    const prio = load<i32>(p);
    if (tracks && !tracked && prio >= PRIORITY_CONNTRACK) {
      tracked = true;
      if (!conntrackIn(hook)) {
        dropFate = PacketFate.ConntrackFull;
        return Verdict.Drop;
      }
    }
    if (!natDone && prio > natPriority) {
      natDone = true;
      if (natHook(hook, list, n) != Verdict.Accept) return Verdict.Drop;
    }
    const word = load<u32>(p + 4);
    if (word & HOOK_NAT_CHAIN) continue;
    if (runChainNoted(word) != Verdict.Accept) return Verdict.Drop;
  }
  if (tracks && !tracked && !conntrackIn(hook)) {
    dropFate = PacketFate.ConntrackFull;
    return Verdict.Drop;
  }
  if (!natDone && natHook(hook, list, n) != Verdict.Accept) return Verdict.Drop;
  return Verdict.Accept;
}

const PATH_INPUT: StaticArray<i32> = [Hook.Prerouting, Hook.Input];
const PATH_OUTPUT: StaticArray<i32> = [Hook.Output, Hook.Postrouting];
const PATH_FORWARD: StaticArray<i32> = [Hook.Prerouting, Hook.Forward, Hook.Postrouting];
// What the host sends itself, over lo or to one of its own addresses: out
// through output and postrouting, where it is confirmed, then back in
// through prerouting and input. A capture on lo holds it once.
const PATH_LOOPBACK: StaticArray<i32> = [Hook.Output, Hook.Postrouting, Hook.Prerouting, Hook.Input];
// Returned by pathOf for a packet ipv6_rcv drops before any hook.
const PATH_NONE: StaticArray<i32> = [];

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

@inline function loopbackAddress(a: usize): bool {
  return pkt.nfproto == pkt.NFPROTO_IPV4 ? load<u8>(a) == 127 : pkt.ipv6Loopback(a);
}

// An address of the host: 127/8 and ::1 are, whatever --local says.
function ownAddress(fam: u32, a: usize): bool {
  return loopbackAddress(a) || isLocal(fam, a);
}

// Whether the packet went from the host to itself. A capture on lo holds
// nothing else, but frames with zero addresses may come from elsewhere, so
// the addresses must say so too: both the host's, or the same one.
function looped(fam: u32): bool {
  if (pkt.loopbackDevice == pkt.DEVICE_OTHER) return false;
  if (ownAddress(fam, pkt.saddr) && ownAddress(fam, pkt.daddr)) return true;
  const alen: usize = fam == 4 ? 4 : 16;
  return pkt.loopbackDevice == pkt.DEVICE_LOOPBACK && memory.compare(pkt.saddr, pkt.daddr, alen) == 0;
}

// Ethernet addresses of the host, learnt from frames to and from its local
// addresses.
const HOST_MACS: i32 = 8;
const hostMacs = new StaticArray<u64>(HOST_MACS);
let hostMacCount: i32 = 0;

@inline function macAt(p: usize): u64 {
  return <u64>load<u32>(p) | (<u64>load<u16>(p + 4) << 32);
}

function isHostMac(m: u64): bool {
  for (let i = 0; i < hostMacCount; i++) if (unchecked(hostMacs[i]) == m) return true;
  return false;
}

function learnHostMac(m: u64): void {
  if (hostMacCount == HOST_MACS || isHostMac(m)) return;
  unchecked(hostMacs[hostMacCount++] = m);
}

// Source addresses a host sends from without their being its addresses on
// the network: link-local (solicitations, MLD reports, neighbour
// advertisements) and unspecified (duplicate address detection, DHCP).
function unlistedSource(fam: u32): bool {
  if (fam == 4) {
    const s = load<u32>(pkt.saddr);
    return s == 0 || (s & 0xffff) == 0xfea9;
  }
  return (load<u8>(pkt.saddr) == 0xfe && (load<u8>(pkt.saddr + 1) & 0xc0) == 0x80) || (load<u64>(pkt.saddr) == 0 && load<u64>(pkt.saddr + 8) == 0);
}

// Whether the host sent a packet from such an address: the capture marks it
// outgoing, or it left from the host's own Ethernet address.
function sentFromUnlisted(fam: u32): bool {
  if (!unlistedSource(fam)) return false;
  return pkt.outgoing || (pkt.iifType == pkt.ARPHRD_ETHER && isHostMac(macAt(pkt.linkStart + 6)));
}

function pathOf(): StaticArray<i32> {
  const fam: u32 = pkt.nfproto == pkt.NFPROTO_IPV4 ? 4 : 6;
  if (looped(fam)) return PATH_LOOPBACK;
  if (fam == 6 && (pkt.ipv6Loopback(pkt.saddr) || pkt.ipv6Loopback(pkt.daddr))) return PATH_NONE;
  if (sentFromUnlisted(fam)) return PATH_OUTPUT;
  if (!hasLocalAddresses()) return everyHostDestination() ? PATH_INPUT : PATH_FORWARD;
  const ether = pkt.iifType == pkt.ARPHRD_ETHER;
  if (isLocal(fam, pkt.daddr)) {
    if (ether && (load<u8>(pkt.linkStart) & 1) == 0) learnHostMac(macAt(pkt.linkStart));
    return PATH_INPUT;
  }
  if (isLocal(fam, pkt.saddr)) {
    if (ether) learnHostMac(macAt(pkt.linkStart + 6));
    return PATH_OUTPUT;
  }
  if (groupDestination()) return PATH_INPUT;
  // Subnet broadcasts and other local routes, where the host's routes are known.
  if (dev.deliveredLocally(fam, pkt.daddr)) return PATH_INPUT;
  return PATH_FORWARD;
}

// The route of a packet whose destination prerouting's NAT changed: to the
// host or through it.
function routedAfterNat(): StaticArray<i32> {
  const fam: u32 = pkt.nfproto == pkt.NFPROTO_IPV4 ? 4 : 6;
  if (ownAddress(fam, pkt.daddr) || groupDestination() || dev.deliveredLocally(fam, pkt.daddr)) return PATH_INPUT;
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
// ip_forward, ip6_forward): PacketFate.Filtered when the packet goes on,
// otherwise why not. Multicast, broadcast and loopback sources are
// martians, dropped on the way in (the zero network is not: the kernel
// routes 0.0.0.0/8 as unicast); a forwarded packet also needs a destination
// that is not loopback or a group nobody here joined, and a TTL or hop
// limit above one. A host takes in only the groups it joined
// (ip_route_input_mc, ip6_mc_input): to any other group the route leads
// nowhere.
function routed(forward: bool): i32 {
  if (!forward && groupDestination() && !joinedGroup(pkt.nfproto == pkt.NFPROTO_IPV4 ? 4 : 6, pkt.daddr)) return PacketFate.NoRoute;
  if (pkt.nfproto == pkt.NFPROTO_IPV4) {
    const s0 = load<u8>(pkt.saddr);
    if ((s0 >= 224 && s0 <= 239) || load<u32>(pkt.saddr) == 0xffffffff || s0 == 127) return PacketFate.Martian;
    if ((load<u8>(pkt.net) & 15) > 5 && !ipv4OptionsAccepted()) return PacketFate.BadIpOptions;
    if (!forward) return PacketFate.Filtered;
    const d0 = load<u8>(pkt.daddr);
    if (d0 == 127 || (d0 >= 224 && d0 <= 239)) return PacketFate.Martian;
    return load<u8>(pkt.net + 8) > 1 ? PacketFate.Filtered : PacketFate.TtlExceeded;
  }
  if (!forward) return PacketFate.Filtered;
  const s0 = load<u8>(pkt.saddr);
  const d0 = load<u8>(pkt.daddr);
  // Link-local (fe80::/10) and multicast never cross a router.
  if ((s0 == 0xfe && (load<u8>(pkt.saddr + 1) & 0xc0) == 0x80) || (d0 == 0xfe && (load<u8>(pkt.daddr + 1) & 0xc0) == 0x80)) return PacketFate.Martian;
  if (d0 == 0xff) return PacketFate.Martian;
  return load<u8>(pkt.net + 7) > 1 ? PacketFate.Filtered : PacketFate.TtlExceeded;
}

// conntrackConfirm, noting why a refused packet was dropped.
function confirm(): bool {
  if (conntrackConfirm()) return true;
  dropFate = ctt.ct != 0 && !ctt.isPending(ctt.ct) ? PacketFate.HelperRefused : PacketFate.ConntrackFull;
  return false;
}

// ip_forward and ip6_forward lower the TTL or hop limit (IPv4 with its
// header checksum) before the forward hook: the forward and postrouting
// chains see it lowered. The capture keeps its bytes: hopRestore puts them
// back once the hooks are done, unless a rule wrote the field meanwhile.
let hopSaved: u32 = 0;
let checkSaved: u16 = 0;
let checkLowered: u16 = 0;

function hopLower(): void {
  if (pkt.nfproto == pkt.NFPROTO_IPV4) {
    hopSaved = load<u8>(pkt.net + 8);
    checkSaved = load<u16>(pkt.net + 10);
    store<u8>(pkt.net + 8, <u8>(hopSaved - 1));
    checkLowered = dup.ttlDecrementedChecksum(checkSaved);
    store<u16>(pkt.net + 10, checkLowered);
  } else {
    hopSaved = load<u8>(pkt.net + 7);
    store<u8>(pkt.net + 7, <u8>(hopSaved - 1));
  }
}

function hopRestore(): void {
  const at = pkt.net + (pkt.nfproto == pkt.NFPROTO_IPV4 ? 8 : 7);
  if (<u32>load<u8>(at) != hopSaved - 1) return;
  store<u8>(at, <u8>hopSaved);
  if (pkt.nfproto != pkt.NFPROTO_IPV4) return;
  const now = load<u16>(pkt.net + 10);
  if (now == checkLowered) {
    store<u16>(pkt.net + 10, checkSaved);
    return;
  }
  // NAT rewrote the header since: the TTL's share is taken back out of
  // the checksum it left.
  let c = <u32>bswap<u16>(now) + 0xfeff;
  c = (c & 0xffff) + (c >> 16);
  store<u16>(pkt.net + 10, bswap<u16>(<u16>c));
}

// A device's ingress and egress hooks (nf_hook_ingress, nf_hook_egress),
// which netdev chains and inet ingress chains share, in priority order, and
// ARP's input and output hooks, whose chains have no device. name: the
// device the frame arrives on or leaves by, empty when the capture does not
// say; such a frame meets the chains of every device, as a capture taken on
// one interface is read on the device of the chains. These hooks see the
// frame from its link layer's payload on, with its length on the wire past
// the link-layer header coming in and the whole frame going out, the
// link-layer header built (arp_create, __dev_queue_xmit); before IP's
// validation: a netdev chain sees every frame with meta nfproto netdev (5),
// an arp chain with arp (3), an inet ingress chain only IPv4 and IPv6, and
// drops those whose header is broken (nft_do_chain_inet_ingress). No
// conntrack yet: ct state is invalid on inet's ingress.
const NFPROTO_ARP: u8 = 3;
const ARP_ETHERTYPE: u16 = 0x0806;
const NFPROTO_NETDEV: u8 = 5;
const loName = memory.data<u8>([0x6c, 0x6f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

function hookChains(family: HookFamily, hook: i32): u32 {
  return load<u32>(rs.hookSlot(family, <Hook>hook) + 4);
}

function sameDevice(a: usize, b: usize): bool {
  return load<u64>(a) == load<u64>(b) && load<u64>(a + 8) == load<u64>(b + 8);
}

// hook: NetdevHook or ArpHook, whose incoming hook is 0. ipHeader: the
// frame is IPv4 or IPv6 whose header the kernel's
// nft_set_pktinfo_ipv{4,6}_validate accepts (pkt describes it); otherwise pkt
// is made to describe the link layer's payload alone while the hook runs.
function runDeviceHook(family: HookFamily, hook: i32, name: usize, ipHeader: bool): i32 {
  const slot = rs.hookSlot(family, <Hook>hook);
  const n = load<u32>(slot + 4);
  const incoming = hook == 0;
  const ip = pkt.ethertype == 0x0800 || pkt.ethertype == 0x86dd;
  const net = pkt.net;
  const netLen = pkt.netLen;
  const nfproto = pkt.nfproto;
  const th = pkt.th;
  if (!ipHeader) {
    pkt.net = pkt.linkPayload;
    pkt.nfproto = 0;
    pkt.th = 0;
  }
  pkt.netLen = incoming ? pkt.linkPayloadLen : pkt.linkPayloadLen + <u32>(pkt.linkPayload - pkt.linkStart);
  vm.sentByHost = !incoming;
  vm.linkHeaderOut = !incoming;
  let verdict: i32 = Verdict.Accept;
  let p = rs.image + load<u32>(slot);
  for (let i: u32 = 0; i < n; i++, p += 8) {
    const word = load<u32>(p + 4);
    const chain = word & ~HOOK_INET_CHAIN;
    const device = rs.chainEntry(chain) + (<usize>ChainEntry.Device << 2);
    if (load<u8>(device) != 0 && load<u8>(name) != 0 && !sameDevice(name, device)) continue;
    if (word & HOOK_INET_CHAIN) {
      if (!ip) continue;
      if (!ipHeader) {
        verdict = Verdict.Drop;
        break;
      }
    }
    vm.hookNfproto = word & HOOK_INET_CHAIN ? 0 : family == HookFamily.Arp ? NFPROTO_ARP : NFPROTO_NETDEV;
    log.protocol = word & HOOK_INET_CHAIN ? 0 : family == HookFamily.Arp ? ARP_ETHERTYPE : pkt.ethertype;
    dev.atNetdevHook(incoming, load<u8>(name) != 0 ? name : device);
    verdict = runChainNoted(chain);
    if (verdict != Verdict.Accept) break;
  }
  vm.hookNfproto = 0;
  log.protocol = 0;
  vm.linkHeaderOut = false;
  pkt.net = net;
  pkt.netLen = netLen;
  pkt.nfproto = nfproto;
  pkt.th = th;
  return verdict;
}

// arp_rcv: what reaches ARP's input hook. Not what a device picked up for
// other hosts, and only a header of the device's address length (Ethernet
// here) and of IPv4's.
function arpReceived(): bool {
  const arp = pkt.linkPayload;
  return pkt.iifType == pkt.ARPHRD_ETHER && pkt.pkttype != pkt.PACKET_OTHERHOST && pkt.captured(arp, 28) && load<u16>(arp + 4) == 0x0406;
}

// Whether the host sent a frame that is not IP, or not IP the stack takes:
// a capture marks it outgoing, an ARP packet's sender is one of the host's
// addresses (whose Ethernet address is then the host's), or it left from
// the host's Ethernet address.
function sentFrame(): bool {
  if (pkt.outgoing) return true;
  if (pkt.iifType != pkt.ARPHRD_ETHER || pkt.linkPayload == 0) return false;
  const arp = pkt.linkPayload;
  // Ethernet and IPv4 (htype 1, ptype 0x0800, hlen 6, plen 4): the sender's
  // protocol address follows its hardware address.
  if (pkt.ethertype == ARP_ETHERTYPE && pkt.captured(arp, 28) && load<u32>(arp) == 0x00080100 && load<u16>(arp + 4) == 0x0406 && isLocal(4, arp + 14)) {
    learnHostMac(macAt(arp + 8));
    return true;
  }
  return isHostMac(macAt(pkt.linkStart + 6));
}

// The egress hook of the device a packet leaves by: the one the capture
// names for what the host sends, else the one the routes give (which a
// forwarded packet needs: it left by another device than the capture's).
function egress(forwarded: bool): i32 {
  let name = forwarded ? dev.routeOutputName() : dev.captureDeviceName();
  if (!forwarded && load<u8>(name) == 0) name = dev.routeOutputName();
  if (forwarded && load<u8>(name) == 0) return Verdict.Accept;
  return runDeviceHook(HookFamily.Netdev, NetdevHook.Egress, name, true);
}

// Evaluates one captured packet and writes its result record at out.
export function processPacket(linkType: u32, data: usize, caplen: u32, origLen: u32, time: u64, out: usize): void {
  let fate = pkt.parsePacket(linkType, data, caplen, origLen);
  resetPacketConntrack();
  vm.packetMark = 0;
  vm.packetPriority = 0;
  dev.packetDevices(pkt.linkIfindex);
  lastHandle = 0;
  lastChain = 0xffffffff;
  // A frame meets its device's ingress hook before anything else, also when
  // it is not IP or IP would drop it, each fragment on its own.
  const ipHeader = fate == PacketFate.Filtered || fate == PacketFate.Fragment || fate == PacketFate.BadChecksum;
  let sent = true;
  let deviceDropped = false;
  const arp = pkt.linkPayload != 0 && pkt.ethertype == ARP_ETHERTYPE && (hookChains(HookFamily.Arp, ArpHook.In) != 0 || hookChains(HookFamily.Arp, ArpHook.Out) != 0);
  if (pkt.linkPayload != 0 && (arp || hookChains(HookFamily.Netdev, NetdevHook.Ingress) != 0 || hookChains(HookFamily.Netdev, NetdevHook.Egress) != 0)) {
    const ipParsed = fate == PacketFate.Filtered || fate == PacketFate.Fragment;
    const p = ipParsed ? pathOf() : PATH_NONE;
    sent = ipParsed ? p == PATH_OUTPUT || p == PATH_LOOPBACK : sentFrame();
    ctt.now = time;
    setsClock(time);
    const name = dev.captureDeviceName();
    if (!sent) {
      deviceDropped = runDeviceHook(HookFamily.Netdev, NetdevHook.Ingress, name, ipHeader) != Verdict.Accept;
      if (!deviceDropped && arp && arpReceived()) deviceDropped = runDeviceHook(HookFamily.Arp, ArpHook.In, name, false) != Verdict.Accept;
    } else if (!ipParsed) {
      // What the host sends that is not IP: ARP's output hook, then the
      // device's egress (IP meets egress once IP is done with it, below).
      if (arp) deviceDropped = runDeviceHook(HookFamily.Arp, ArpHook.Out, name, false) != Verdict.Accept;
      if (!deviceDropped) deviceDropped = runDeviceHook(HookFamily.Netdev, NetdevHook.Egress, name, ipHeader) != Verdict.Accept;
    }
  }
  if (deviceDropped) {
    fate = PacketFate.Filtered;
  } else if (fate == PacketFate.Fragment) {
    // Defragmentation comes with conntrack; without it fragments meet the
    // chains one by one.
    if (!rs.usesConntrack()) fate = PacketFate.Filtered;
    else if (defrag.gather(time)) fate = pkt.parseReassembled(defrag.datagram, defrag.datagramLength);
  }
  store<u64>(out + PacketResult.Time, time);
  store<u8>(out + PacketResult.Fate, <u8>fate);
  let verdict: i32 = deviceDropped ? Verdict.Drop : Verdict.Accept;
  dropFate = PacketFate.Filtered;
  if (fate == PacketFate.Filtered && !deviceDropped && isForwardedCopy()) {
    fate = PacketFate.ForwardedCopy;
    store<u8>(out + PacketResult.Fate, <u8>fate);
  }
  if (fate == PacketFate.Filtered && !deviceDropped && pkt.outgoing) {
    ctt.now = time;
    nat.untranslateSent();
  }
  let path = fate == PacketFate.Filtered && !deviceDropped ? pathOf() : PATH_NONE;
  nat.resetPacketNat();
  if (fate == PacketFate.Filtered && !deviceDropped && path == PATH_NONE) {
    fate = PacketFate.Malformed;
    store<u8>(out + PacketResult.Fate, <u8>fate);
  }
  if (path != PATH_NONE) {
    ctt.now = time;
    setsClock(time);
    const family: i32 = pkt.nfproto == pkt.NFPROTO_IPV4 ? 0 : 1;
    const loop = path == PATH_LOOPBACK;
    log.looped = loop;
    trace.path = loop ? PacketPath.Loopback : path == PATH_INPUT ? PacketPath.Input : path == PATH_OUTPUT ? PacketPath.Output : PacketPath.Forward;
    const deviceType = pkt.iifType;
    let confirmed = false;
    let lowered = false;
    for (let i = 0; i < path.length; i++) {
      const hook = <Hook>unchecked(path[i]);
      // On the way out the packet has neither an input device nor a link
      // layer; coming back in, lo is its input device.
      const outgoing = hook == Hook.Output || (hook == Hook.Postrouting && path != PATH_FORWARD);
      vm.sentByHost = outgoing;
      pkt.iifType = loop ? pkt.ARPHRD_LOOPBACK : deviceType;
      const tracks = rs.usesConntrack() && (hook == Hook.Output || (hook == Hook.Prerouting && !loop));
      // A neighbour advertisement keeps the device it answers from (skb->dev),
      // which ip_output hands postrouting as the input device; output has none.
      const withDevice = !outgoing || neighbourAdvertisement();
      // Looped back, the packet leaves by lo's egress hook and comes in by its ingress hook.
      if (loop && hook == Hook.Prerouting && (runDeviceHook(HookFamily.Netdev, NetdevHook.Egress, loName, true) != Verdict.Accept || runDeviceHook(HookFamily.Netdev, NetdevHook.Ingress, loName, true) != Verdict.Accept)) {
        verdict = Verdict.Drop;
        break;
      }
      dev.atHook(hook, withDevice && hook != Hook.Output, withDevice);
      verdict = runHook(family, hook, tracks);
      if (verdict != Verdict.Accept) break;
      // Destination NAT on prerouting changes where routing sends the packet.
      if (hook == Hook.Prerouting && !loop && nat.destinationChanged) {
        path = routedAfterNat();
        trace.path = path == PATH_INPUT ? PacketPath.Input : PacketPath.Forward;
      }
      if (hook == Hook.Prerouting && !loop) {
        const routing = routed(path == PATH_FORWARD);
        if (routing != PacketFate.Filtered) {
          dropFate = routing;
          verdict = Verdict.Drop;
          break;
        }
      }
      if (hook == Hook.Postrouting && loop) {
        confirmed = true;
        if (!confirm()) {
          verdict = Verdict.Drop;
          break;
        }
      }
      if (hook == Hook.Prerouting && path == PATH_FORWARD) {
        hopLower();
        lowered = true;
      }
    }
    if (verdict == Verdict.Accept) {
      // The device's egress hook sees the packet as it leaves, its TTL lowered.
      if (!confirmed && !confirm()) verdict = Verdict.Drop;
      else if ((path == PATH_OUTPUT || path == PATH_FORWARD) && hookChains(HookFamily.Netdev, NetdevHook.Egress) != 0) verdict = egress(path == PATH_FORWARD);
    } else {
      conntrackDiscard();
    }
    if (lowered) hopRestore();
    if (verdict == Verdict.Accept && path == PATH_FORWARD) noteForwarded();
    if (dropFate != PacketFate.Filtered) {
      // No rule decided: an accept on an earlier hook is not why it dropped.
      store<u8>(out + PacketResult.Fate, <u8>dropFate);
      lastHandle = 0;
      lastChain = 0xffffffff;
    }
  }
  store<u8>(out + PacketResult.Verdict, <u8>verdict);
  store<u8>(out + PacketResult.CtState, <u8>(path != PATH_NONE ? ctt.ctState : 0));
  store<u8>(out + PacketResult.CtDirection, ctt.ctDir);
  store<u32>(out + PacketResult.Handle, lastHandle);
  store<u32>(out + PacketResult.Chain, lastChain);
  const e = ctt.ct;
  store<u32>(out + PacketResult.CtId, e != 0 && !ctt.isPending(e) ? load<u32>(e + CtEntry.Id) : 0);
  if (dup.pending > 0) sendCopies();
}

// The copies dup statements took of the packet, each sent by the host
// itself, untracked, through output and postrouting.
function sendCopies(): void {
  dup.duplicating = true;
  for (let i: u32 = 0; i < dup.pending; i++) {
    if (pkt.parseReassembled(dup.copyAt(i), dup.copyLength(i)) != PacketFate.Filtered) continue;
    resetPacketConntrack();
    ctt.ctState = CtStateBit.Untracked;
    vm.packetMark = dup.copyMark(i);
    vm.sentByHost = true;
    dev.packetDevices(0);
    dev.routeGateway = dup.gatewayAt(i);
    dev.routeOif = dup.copyOif(i);
    // Without a route to its gateway the copy is freed unsent.
    if (dev.routesKnown() && !dev.copyRoutable(pkt.nfproto == pkt.NFPROTO_IPV4 ? 4 : 6)) continue;
    const family: i32 = pkt.nfproto == pkt.NFPROTO_IPV4 ? 0 : 1;
    for (let h = 0; h < PATH_OUTPUT.length; h++) {
      const hook = <Hook>unchecked(PATH_OUTPUT[h]);
      dev.atHook(hook, false, false);
      if (runHook(family, hook, false) != Verdict.Accept) break;
    }
  }
  dup.pending = 0;
  dup.duplicating = false;
  dev.routeGateway = 0;
  dev.routeOif = 0;
}
