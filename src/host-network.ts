// The network devices and routes of the host a ruleset and a capture come
// from, as `ip -j addr` and `ip -j route show table all` print them: the one
// model behind the interface names the compiler resolves (iif, oif), the
// devices and route decisions the data plane gives meta iif/oif/iifname/...,
// and the local addresses. No Node built-ins: the browser build shares it.
import { DeviceEntry, IFNAMSIZ, MAX_DEVICES, MAX_ROUTES, RouteEntry, RouteType } from '../assembly/abi.js';
import { parseIpv4, parseIpv6 } from './address.js';

export interface NetDevice {
  index: number;
  name: string;
  // ARPHRD_* number.
  type: number;
  group: number;
  // The link's kind (`ip -d`: linkinfo.info_kind), e.g. "veth"; "" when none.
  kind: string;
  // Its MTU, when given.
  mtu?: number;
  addresses: Array<{ family: 4 | 6; address: string; prefixLength: number }>;
  // The link-layer address (`ip -j addr`: "address"), where it has one.
  linkAddress?: Uint8Array;
}

export interface Route {
  family: 4 | 6;
  dst: Uint8Array;
  prefixLength: number;
  type: RouteType;
  table: number;
  // The device's index, 0 for none.
  oif: number;
  // The next hop, when the route has one (the same family's bytes).
  gateway?: Uint8Array;
  // The route's own mtu metric, when it has one.
  mtu?: number;
}

export interface HostNetwork {
  devices: NetDevice[];
  routes: Route[];
}

export class HostNetworkError extends Error {}

// iproute2's names of link types (lib/ll_types.c) for the devices a host has.
const LINK_TYPES: Record<string, number> = {
  netrom: 0, ether: 1, eether: 2, ax25: 3, pronet: 4, chaos: 5, ieee802: 6, arcnet: 7, atalk: 8, dlci: 15, atm: 19,
  metricom: 23, ieee1394: 24, eui64: 27, infiniband: 32, slip: 256, cslip: 257, slip6: 258, cslip6: 259, rsrvd: 260,
  adapt: 264, rose: 270, x25: 271, hwx25: 272, can: 280, mctp: 290, ppp: 512, hdlc: 513, lapb: 516, ddcmp: 517,
  rawhdlc: 518, rawip: 519, ipip: 768, tunnel6: 769, frad: 770, skip: 771, loopback: 772, localtlk: 773, fddi: 774,
  bif: 775, sit: 776, 'ip/ddp': 777, gre: 778, pimreg: 779, hippi: 780, ash: 781, econet: 782, irda: 783, fcpp: 784,
  fcal: 785, fcpl: 786, fcfb0: 787, 'tr': 800, 'tr+': 801, 'ieee802.11': 801, 'ieee802.11/prism': 802,
  'ieee802.11/radiotap': 803, ieee802154: 804, 'ieee802154/monitor': 805, phonet: 820, phonet_pipe: 821, caif: 822,
  ip6gre: 823, netlink: 824, '6lowpan': 825, vsockmon: 826, void: 0xffff, none: 0xfffe,
};

const ROUTE_TYPES: Record<string, RouteType> = {
  unicast: RouteType.Unicast, local: RouteType.Local, broadcast: RouteType.Broadcast, anycast: RouteType.Anycast,
  multicast: RouteType.Multicast, blackhole: RouteType.Blackhole, unreachable: RouteType.Unreachable,
  prohibit: RouteType.Prohibit, throw: RouteType.Throw, nat: RouteType.Nat,
};

const TABLES: Record<string, number> = { default: 253, main: 254, local: 255 };

type Json = Record<string, unknown>;

function parseJsonArray(text: string, source: string, what: string): Json[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new HostNetworkError(`${source}: not JSON (${(e as Error).message}); expected the output of ${what}`);
  }
  if (!Array.isArray(data)) throw new HostNetworkError(`${source}: expected a JSON array, the output of ${what}`);
  data.forEach((d, i) => {
    if (typeof d !== 'object' || d === null || Array.isArray(d)) throw new HostNetworkError(`${source}: entry ${i + 1}: not an object`);
  });
  return data as Json[];
}

// Parses `ip -j addr` (or `ip -j -d addr`, which adds the link kinds).
export function parseInterfaces(text: string, source = 'interfaces'): NetDevice[] {
  const entries = parseJsonArray(text, source, '`ip -j addr`');
  const devices = entries.map((d, i): NetDevice => {
    const where = `${source}: entry ${i + 1}${typeof d.ifname === 'string' ? ` (${d.ifname})` : ''}`;
    const fail = (why: string): never => { throw new HostNetworkError(`${where}: ${why}`); };
    const index = d.ifindex;
    if (!Number.isInteger(index) || (index as number) <= 0 || (index as number) > 0x7fffffff) fail(index === undefined ? 'missing "ifindex"' : '"ifindex" is not a positive integer');
    const name = d.ifname;
    if (typeof name !== 'string' || name === '') fail(name === undefined ? 'missing "ifname"' : '"ifname" is not a name');
    if (new TextEncoder().encode(name as string).length >= IFNAMSIZ) fail(`"ifname" is longer than ${IFNAMSIZ - 1} bytes`);
    const linkType = d.link_type;
    if (typeof linkType !== 'string') fail('missing "link_type"');
    const bracketed = /^\[(\d+)\]$/.exec(linkType as string);
    const type = bracketed ? Number(bracketed[1]) : LINK_TYPES[linkType as string];
    if (type === undefined || type > 0xffff) fail(`unknown "link_type" "${linkType}"`);
    const group = d.group === undefined || d.group === 'default' ? 0 : typeof d.group === 'string' && /^\d+$/.test(d.group) ? Number(d.group) : Number.isInteger(d.group) ? d.group as number : NaN;
    if (!(group >= 0 && group <= 0xffffffff)) fail(`"group" ${JSON.stringify(d.group)} is neither "default" nor a number`);
    const info = d.linkinfo as Json | undefined;
    const kind = info && typeof info.info_kind === 'string' ? info.info_kind : '';
    if (d.addr_info !== undefined && !Array.isArray(d.addr_info)) fail('"addr_info" is not an array');
    const addresses = ((d.addr_info ?? []) as unknown[]).map((a, j) => {
      const at = `${where}: addr_info ${j + 1}`;
      const x = a as Json;
      if (typeof x !== 'object' || x === null) throw new HostNetworkError(`${at}: not an object`);
      if (x.family !== 'inet' && x.family !== 'inet6') throw new HostNetworkError(`${at}: "family" is neither "inet" nor "inet6"`);
      const family = x.family === 'inet' ? 4 : 6;
      if (typeof x.local !== 'string' || (family === 4 ? parseIpv4(x.local) : parseIpv6(x.local)) === null) {
        throw new HostNetworkError(`${at}: ${x.local === undefined ? 'missing "local"' : `"local" ${JSON.stringify(x.local)} is not an IPv${family} address`}`);
      }
      const prefixLength = Number.isInteger(x.prefixlen) ? x.prefixlen as number : family === 4 ? 32 : 128;
      return { family, address: x.local, prefixLength } as const;
    });
    const linkAddress = typeof d.address === 'string' && /^[0-9a-f]{2}(:[0-9a-f]{2})+$/i.test(d.address)
      ? Uint8Array.from(d.address.split(':'), (b) => parseInt(b, 16))
      : undefined;
    if (d.mtu !== undefined && !(Number.isInteger(d.mtu) && (d.mtu as number) >= 0 && (d.mtu as number) <= 0xffffffff)) fail('"mtu" is not a number');
    return { index: index as number, name: name as string, type: type!, group, kind, ...(d.mtu !== undefined ? { mtu: d.mtu as number } : {}), addresses, ...(linkAddress ? { linkAddress } : {}) };
  });
  if (devices.length > MAX_DEVICES) throw new HostNetworkError(`${source}: ${devices.length} devices, at most ${MAX_DEVICES} are supported`);
  return devices;
}

// Parses `ip -j route show table all` (both families in one list, as ip
// prints them without -4 or -6, or the two lists concatenated).
export function parseRoutes(text: string, devices: readonly NetDevice[], source = 'routes'): Route[] {
  const entries = parseJsonArray(text, source, '`ip -j route show table all`');
  const routes = entries.map((r, i): Route => {
    const where = `${source}: entry ${i + 1}`;
    const fail = (why: string): never => { throw new HostNetworkError(`${where}: ${why}`); };
    const dst = r.dst;
    if (typeof dst !== 'string') fail('missing "dst"');
    const typeName = r.type === undefined ? 'unicast' : r.type;
    const type = ROUTE_TYPES[typeName as string];
    if (type === undefined) fail(`unknown route "type" ${JSON.stringify(r.type)}`);
    const tableName = r.table === undefined ? 'main' : String(r.table);
    const table = TABLES[tableName] ?? (/^\d+$/.test(tableName) ? Number(tableName) : undefined);
    if (table === undefined) fail(`unknown "table" ${JSON.stringify(r.table)}`);
    let family: 4 | 6;
    let bytes: Uint8Array;
    let prefixLength: number;
    if (dst === 'default') {
      // Only IPv6 routes carry a "pref"; a gateway says the family outright.
      const gw = typeof r.gateway === 'string' ? r.gateway : '';
      family = gw.includes(':') || (gw === '' && r.pref !== undefined) ? 6 : 4;
      bytes = new Uint8Array(family === 4 ? 4 : 16);
      prefixLength = 0;
    } else {
      const slash = (dst as string).indexOf('/');
      const addr = slash < 0 ? dst as string : (dst as string).slice(0, slash);
      family = addr.includes(':') ? 6 : 4;
      const parsed = family === 4 ? parseIpv4(addr) : parseIpv6(addr);
      if (parsed === null) fail(`"dst" ${JSON.stringify(dst)} is not an address or prefix`);
      bytes = parsed!;
      const max = family === 4 ? 32 : 128;
      prefixLength = slash < 0 ? max : Number((dst as string).slice(slash + 1));
      if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > max || !/^\d+$/.test(slash < 0 ? '0' : (dst as string).slice(slash + 1))) fail(`"dst" ${JSON.stringify(dst)} has a bad prefix length`);
    }
    let oif = 0;
    if (r.dev !== undefined) {
      const d = devices.find((x) => x.name === r.dev);
      if (!d) fail(`"dev" ${JSON.stringify(r.dev)} is not one of the interfaces${devices.length === 0 ? ' (give them with --interfaces)' : ''}`);
      oif = d!.index;
    }
    let gateway: Uint8Array | undefined;
    if (r.gateway !== undefined) {
      const gw = typeof r.gateway === 'string' ? (family === 4 ? parseIpv4(r.gateway) : parseIpv6(r.gateway)) : null;
      if (gw === null) fail(`"gateway" ${JSON.stringify(r.gateway)} is not an IPv${family} address`);
      gateway = gw!;
    }
    // `ip -j route` prints metrics as a list of objects.
    const metrics = Array.isArray(r.metrics) ? r.metrics as Json[] : [];
    const mtuMetric = metrics.find((m) => typeof m === 'object' && m !== null && m.mtu !== undefined)?.mtu;
    if (mtuMetric !== undefined && !(Number.isInteger(mtuMetric) && (mtuMetric as number) >= 0)) fail('"metrics" mtu is not a number');
    return { family, dst: bytes, prefixLength, type: type!, table: table!, oif, ...(gateway ? { gateway } : {}), ...(mtuMetric !== undefined ? { mtu: mtuMetric as number } : {}) };
  });
  if (routes.length > MAX_ROUTES) throw new HostNetworkError(`${source}: ${routes.length} routes, at most ${MAX_ROUTES} are supported`);
  return routes;
}

// The host's own addresses, as --local takes them.
export function localAddressesOf(devices: readonly NetDevice[]): string[] {
  return devices.flatMap((d) => d.addresses.map((a) => a.address));
}

// The data plane's device and route tables (assembly/devices.ts).
export function writeDevices(view: DataView, devices: readonly NetDevice[]): void {
  const enc = new TextEncoder();
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  view.setUint32(0, devices.length, true);
  devices.forEach((d, i) => {
    const at = 4 + i * DeviceEntry.Size;
    bytes.fill(0, at, at + DeviceEntry.Size);
    view.setUint32(at + DeviceEntry.Index, d.index, true);
    view.setUint32(at + DeviceEntry.Type, d.type, true);
    view.setUint32(at + DeviceEntry.Group, d.group, true);
    bytes.set(enc.encode(d.name).subarray(0, IFNAMSIZ - 1), at + DeviceEntry.Name);
    bytes.set(enc.encode(d.kind).subarray(0, IFNAMSIZ - 1), at + DeviceEntry.Kind);
    // The kernel lists a device's IPv4 addresses primary first, and its
    // IPv6 ones by scope, global before link-local.
    const v4 = d.addresses.find((a) => a.family === 4);
    const v6 = d.addresses.find((a) => a.family === 6 && !a.address.toLowerCase().startsWith('fe80')) ?? d.addresses.find((a) => a.family === 6);
    if (v4) bytes.set(parseIpv4(v4.address)!, at + DeviceEntry.Addr4);
    if (v6) bytes.set(parseIpv6(v6.address)!, at + DeviceEntry.Addr6);
    view.setUint8(at + DeviceEntry.Has, (v4 ? 1 : 0) | (v6 ? 2 : 0));
    view.setUint32(at + DeviceEntry.Mtu, d.mtu ?? 0, true);
  });
}

export function writeRoutes(view: DataView, routes: readonly Route[]): void {
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  view.setUint32(0, routes.length, true);
  routes.forEach((r, i) => {
    const at = 4 + i * RouteEntry.Size;
    bytes.fill(0, at, at + RouteEntry.Size);
    view.setUint8(at + RouteEntry.Family, r.family);
    view.setUint8(at + RouteEntry.PrefixLen, r.prefixLength);
    view.setUint8(at + RouteEntry.Type, r.type);
    view.setUint32(at + RouteEntry.Table, r.table, true);
    view.setUint32(at + RouteEntry.Oif, r.oif, true);
    bytes.set(r.dst, at + RouteEntry.Dst);
    if (r.gateway) bytes.set(r.gateway, at + RouteEntry.Gateway);
    view.setUint32(at + RouteEntry.Mtu, r.mtu ?? 0, true);
  });
}
