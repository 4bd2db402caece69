// The devices a packet meets, as the kernel's hooks see them (nft_in,
// nft_out): the input device from the capture (a cooked capture's interface
// index, a pcapng interface's name) looked up in the host's device table; the
// output device from a route lookup of the destination in the host's
// routing tables (local, then main, then default, as the default policy
// rules order them), longest prefix first.
import { DeviceEntry, Hook, IFNAMSIZ, MAX_DEVICES, MAX_ROUTES, RouteEntry, RouteType } from './abi';
import * as pkt from './packet';

export let devices: usize = 0;
export let routes: usize = 0;
// IFNAMSIZ zero bytes: the name of a device the packet does not have.
let noName: usize = 0;
// Names of input devices known from the capture alone.
let captureName: usize = 0;

export function devicesInit(): void {
  devices = heap.alloc(4 + <usize>MAX_DEVICES * DeviceEntry.Size);
  store<u32>(devices, 0);
  routes = heap.alloc(4 + <usize>MAX_ROUTES * RouteEntry.Size);
  store<u32>(routes, 0);
  noName = heap.alloc(IFNAMSIZ);
  memory.fill(noName, 0, IFNAMSIZ);
  captureName = heap.alloc(IFNAMSIZ);
}

// The entry of the device with this index, or 0.
export function deviceByIndex(index: u32): usize {
  const n = load<u32>(devices);
  let p = devices + 4;
  for (let i: u32 = 0; i < n; i++, p += DeviceEntry.Size) {
    if (load<u32>(p + DeviceEntry.Index) == index) return p;
  }
  return 0;
}

// The entry of the device with the NUL-padded name at name, or 0.
export function deviceByName(name: usize): usize {
  const n = load<u32>(devices);
  let p = devices + 4;
  for (let i: u32 = 0; i < n; i++, p += DeviceEntry.Size) {
    if (load<u64>(p + DeviceEntry.Name) == load<u64>(name) && load<u64>(p + DeviceEntry.Name + 8) == load<u64>(name + 8)) return p;
  }
  return 0;
}

// The packet's input device: its entry when the host's table has it, else
// what the capture says (index and name, either possibly unknown: 0 and "").
let inEntry: usize = 0;
let inIndex: u32 = 0;
let inName: usize = 0;
// Whether the hook being run has an input device, an output device.
let inPresent = false;
let packetDevice = false;
let outPresent = false;
let postrouting = false;
// The hook being run.
export let currentHook: Hook = Hook.Prerouting;
let input = false;
// The output device, looked up once per packet when first needed.
let outLooked = false;
let outEntry: usize = 0;
let outIndex: u32 = 0;
let outName: usize = 0;
// On a device's own hook (netdev ingress and egress), the name of the
// device its chain is registered on, which stands for a capture that does
// not name its interface; 0 elsewhere.
let netdevName: usize = 0;

// The NUL-padded name the capture gives the current record's interface
// (a pcapng interface's if_name), or 0.
export let captureIfName: usize = 0;

// Called once per packet with the interface index its link-layer header
// names (0: none).
export function packetDevices(ifindex: u32): void {
  const ifname = captureIfName;
  outLooked = false;
  inEntry = 0;
  inIndex = ifindex;
  inName = noName;
  if (ifindex != 0) {
    inEntry = deviceByIndex(ifindex);
  } else if (ifname != 0) {
    inEntry = deviceByName(ifname);
    if (inEntry == 0) {
      memory.copy(captureName, ifname, IFNAMSIZ);
      inName = captureName;
    }
  }
  if (inEntry != 0) {
    inIndex = load<u32>(inEntry + DeviceEntry.Index);
    inName = inEntry + DeviceEntry.Name;
  }
}

// Which devices the hook about to run passes to its chains: the input device
// on every hook of a received packet (postrouting too: ip_output hands the
// hook skb->dev as it came in), the output device from the route decision on.
// withDevice: whether the packet itself has a device before ip_output gives
// it its output device (what came in, and the neighbour advertisements the
// kernel sends from the receive path of a solicitation, whose output hook
// has no input device all the same).
export function atHook(hook: Hook, received: bool, withDevice: bool): void {
  currentHook = hook;
  netdevName = 0;
  inPresent = received;
  packetDevice = withDevice;
  postrouting = hook == Hook.Postrouting;
  input = hook == Hook.Input;
  outPresent = hook == Hook.Forward || hook == Hook.Output || hook == Hook.Postrouting;
}

// Where a dup's copy is routed (nf_dup_ipv4_route): to its gateway, or
// out of the device given; 0 for the packet's own destination.
export let routeGateway: usize = 0;
export let routeOif: u32 = 0;

// A device's ingress or egress hook (nf_hook_ingress, nf_hook_egress): the
// device is the input device on ingress and the output device on egress,
// the other none. name: the device's name, or the name of the device of the
// chain about to run when the capture does not name it.
export function atNetdevHook(ingress: bool, name: usize): void {
  netdevName = name;
  inPresent = ingress;
  packetDevice = true;
  postrouting = false;
  input = false;
  outPresent = !ingress;
  if (ingress) return;
  outLooked = true;
  outEntry = deviceByName(name);
  outIndex = outEntry != 0 ? load<u32>(outEntry + DeviceEntry.Index) : 0;
  outName = name;
}

// The capture's name for the packet's device, empty when it names none.
export function captureDeviceName(): usize {
  return inName;
}

// The name of the output device the routes give the packet, empty when
// they give none or its name is not known.
export function routeOutputName(): usize {
  lookupOutput();
  return outName;
}

function lookupOutput(): void {
  outLooked = true;
  outEntry = 0;
  outName = noName;
  outIndex = routeOif;
  if (outIndex == 0) {
    const r = routeFor(pkt.nfproto == pkt.NFPROTO_IPV4 ? 4 : 6, routeGateway != 0 ? routeGateway : pkt.daddr);
    if (r == 0) return;
    outIndex = load<u32>(r + RouteEntry.Oif);
  }
  outEntry = outIndex != 0 ? deviceByIndex(outIndex) : 0;
  if (outEntry != 0) outName = outEntry + DeviceEntry.Name;
}

export const TABLE_LOCAL: u32 = 255;
const TABLE_MAIN: u32 = 254;
const TABLE_DEFAULT: u32 = 253;

// The route the kernel's lookup picks for the destination addr, or 0.
export function routeFor(family: u32, addr: usize): usize {
  let r = longestMatch(TABLE_LOCAL, family, addr);
  if (r == 0) r = longestMatch(TABLE_MAIN, family, addr);
  if (r == 0) r = longestMatch(TABLE_DEFAULT, family, addr);
  return r;
}

function prefixMatches(route: usize, addr: usize, bits: u32): bool {
  const dst = route + RouteEntry.Dst;
  let i: u32 = 0;
  for (; i + 8 <= bits; i += 8) {
    if (load<u8>(dst + (i >> 3)) != load<u8>(addr + (i >> 3))) return false;
  }
  if (i == bits) return true;
  const mask = <u8>(<u32>0xff << (8 - (bits - i)));
  return (load<u8>(dst + (i >> 3)) & mask) == (load<u8>(addr + (i >> 3)) & mask);
}

// The route by way of the device with index oif alone (a link-local
// address's lookup), or 0.
export function routeForDevice(family: u32, addr: usize, oif: u32): usize {
  let r = longestMatch(TABLE_LOCAL, family, addr, oif);
  if (r == 0) r = longestMatch(TABLE_MAIN, family, addr, oif);
  if (r == 0) r = longestMatch(TABLE_DEFAULT, family, addr, oif);
  return r;
}

// oif: only routes by way of that device (0: any).
export function longestMatch(table: u32, family: u32, addr: usize, oif: u32 = 0): usize {
  const n = load<u32>(routes);
  let p = routes + 4;
  let best: usize = 0;
  let bestLen: i32 = -1;
  for (let i: u32 = 0; i < n; i++, p += RouteEntry.Size) {
    if (load<u32>(p + RouteEntry.Table) != table || <u32>load<u8>(p + RouteEntry.Family) != family) continue;
    if (oif != 0 && load<u32>(p + RouteEntry.Oif) != oif) continue;
    const len = <u32>load<u8>(p + RouteEntry.PrefixLen);
    if (<i32>len <= bestLen || !prefixMatches(p, addr, len)) continue;
    // A throw route sends the lookup on to the next table.
    if (load<u8>(p + RouteEntry.Type) == <u8>RouteType.Throw) continue;
    best = p;
    bestLen = <i32>len;
  }
  return best;
}

export function hasInput(): bool { return inPresent; }
// Whether the input route decision has been made (the input hook).
export function routedInput(): bool { return input; }
export function hasOutput(): bool { return outPresent; }

export function inputIndex(): u32 { return inPresent ? inIndex : 0; }
export function inputName(): usize {
  if (!inPresent) return noName;
  return netdevName != 0 && load<u8>(inName) == 0 ? netdevName : inName;
}
export function inputEntry(): usize { return inPresent ? inEntry : 0; }

export function outputIndex(): u32 {
  if (!outPresent) return 0;
  if (!outLooked) lookupOutput();
  return outIndex;
}
export function outputName(): usize {
  if (!outPresent) return noName;
  if (!outLooked) lookupOutput();
  return outName;
}
export function outputEntry(): usize {
  if (!outPresent) return 0;
  if (!outLooked) lookupOutput();
  return outEntry;
}

// Whether the routes deliver a packet to addr to the host itself: its
// subnets' broadcast addresses, its local and anycast routes (the local
// table).
export function deliveredLocally(family: u32, addr: usize): bool {
  const r = routeFor(family, addr);
  if (r == 0) return false;
  const type = load<u8>(r + RouteEntry.Type);
  // An IPv6 anycast address (a subnet's router anycast) is the host's too.
  return type == <u8>RouteType.Local || type == <u8>RouteType.Broadcast || type == <u8>RouteType.Anycast;
}

// The device of the packet itself (skb->dev), which meta iiftype loads since
// the kernel's NFT_META_IFTYPE: the input device until ip_output hands the
// packet to its output device, before postrouting. Its entry, or 0; the
// capture's link type stands in for an input device without one.
export function packetDeviceEntry(): usize {
  if (postrouting) {
    const e = outputEntry();
    if (e != 0) return e;
  }
  return packetDevice ? inEntry : 0;
}

export function hasPacketDevice(): bool {
  return packetDevice || (postrouting && outputEntry() != 0);
}

// NAT changed the destination: the output route is looked up again.
export function reroute(): void {
  outLooked = false;
}

// Whether the copy being sent has a way out: a route to its gateway, or
// its device, where ip_route_output_key takes a gateway no route of that
// device covers to be on its link.
export function copyRoutable(family: u32): bool {
  return routeOif != 0 || routeFor(family, routeGateway) != 0;
}

// Whether the host's routes were given (--routes).
export function routesKnown(): bool {
  return load<u32>(routes) != 0;
}

// Whether the host's devices were given (--interfaces).
export function devicesKnown(): bool {
  return load<u32>(devices) != 0;
}
