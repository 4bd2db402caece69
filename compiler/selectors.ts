// What each selector loads: ct keys, meta keys and protocol header fields,
// with their datatypes, sizes and byte orders (nft's src/ct.c, src/meta.c
// templates).
import { CtKey, MetaKey } from '../assembly/abi.js';
import { TYPES, type ByteOrder, type Datatype } from './datatypes.js';

export interface CtTemplate {
  key: CtKey;
  name: string;
  type: Datatype;
  bits: number;
  byteorder: ByteOrder;
  // Whether "ct original|reply KEY" is allowed, required or forbidden.
  dir: 'none' | 'optional' | 'required';
  settable?: boolean;
}

function ct(key: CtKey, name: string, type: Datatype, bits: number, byteorder: ByteOrder, dir: CtTemplate['dir'], settable = false): CtTemplate {
  return { key, name, type, bits, byteorder, dir, settable };
}

export const CT_KEYS: Record<string, CtTemplate> = {
  state: ct(CtKey.State, 'state', TYPES.ct_state, 32, 'host', 'none'),
  direction: ct(CtKey.Direction, 'direction', TYPES.ct_dir, 8, 'host', 'none'),
  status: ct(CtKey.Status, 'status', TYPES.ct_status, 32, 'host', 'none'),
  mark: ct(CtKey.Mark, 'mark', TYPES.mark, 32, 'host', 'none', true),
  secmark: ct(CtKey.Secmark, 'secmark', TYPES.integer, 32, 'host', 'none', true),
  expiration: ct(CtKey.Expiration, 'expiration', TYPES.time, 32, 'host', 'none'),
  helper: ct(CtKey.Helper, 'helper', TYPES.string, 128, 'host', 'none', true),
  l3proto: ct(CtKey.L3protocol, 'l3proto', TYPES.nf_proto, 8, 'host', 'optional'),
  saddr: ct(CtKey.Src, 'src', TYPES.ipv4_addr, 128, 'big', 'required'),
  daddr: ct(CtKey.Dst, 'dst', TYPES.ipv4_addr, 128, 'big', 'required'),
  protocol: ct(CtKey.Protocol, 'protocol', TYPES.inet_proto, 8, 'big', 'optional'),
  'proto-src': ct(CtKey.ProtoSrc, 'proto_src', TYPES.inet_service, 16, 'big', 'required'),
  'proto-dst': ct(CtKey.ProtoDst, 'proto_dst', TYPES.inet_service, 16, 'big', 'required'),
  label: ct(CtKey.Labels, 'label', TYPES.ct_label, 128, 'host', 'none', true),
  packets: ct(CtKey.Pkts, 'packets', TYPES.integer, 64, 'host', 'optional'),
  bytes: ct(CtKey.Bytes, 'bytes', TYPES.integer, 64, 'host', 'optional'),
  avgpkt: ct(CtKey.Avgpkt, 'avgpkt', TYPES.integer, 64, 'host', 'optional'),
  zone: ct(CtKey.Zone, 'zone', TYPES.integer, 16, 'host', 'optional', true),
  event: ct(CtKey.Eventmask, 'event', TYPES.ct_event, 32, 'host', 'none', true),
  id: ct(CtKey.Id, 'id', TYPES.integer, 32, 'big', 'none'),
};

export const CT_ADDR_KEYS: Record<string, CtTemplate> = {
  'ip saddr': ct(CtKey.SrcIp, 'src_ip', TYPES.ipv4_addr, 32, 'big', 'required'),
  'ip daddr': ct(CtKey.DstIp, 'dst_ip', TYPES.ipv4_addr, 32, 'big', 'required'),
  'ip6 saddr': ct(CtKey.SrcIp6, 'src_ip6', TYPES.ipv6_addr, 128, 'big', 'required'),
  'ip6 daddr': ct(CtKey.DstIp6, 'dst_ip6', TYPES.ipv6_addr, 128, 'big', 'required'),
};

export const CT_KEY_NAMES: Record<number, string> = Object.fromEntries(
  [...Object.values(CT_KEYS), ...Object.values(CT_ADDR_KEYS)].map((t) => [t.key, t.name]),
);

export interface MetaTemplate {
  key: MetaKey;
  name: string;
  type: Datatype;
  bits: number;
  byteorder: ByteOrder;
  settable?: boolean;
  // The kernel can set the key but not load it.
  setOnly?: boolean;
}

function meta(key: MetaKey, name: string, type: Datatype, bits: number, byteorder: ByteOrder, settable: boolean | 'only' = false): MetaTemplate {
  return { key, name, type, bits, byteorder, settable: settable !== false, setOnly: settable === 'only' };
}

export const META_KEYS: Record<string, MetaTemplate> = {
  length: meta(MetaKey.Len, 'len', TYPES.integer, 32, 'host'),
  protocol: meta(MetaKey.Protocol, 'protocol', TYPES.ethertype, 16, 'big'),
  nfproto: meta(MetaKey.Nfproto, 'nfproto', TYPES.nf_proto, 8, 'host'),
  l4proto: meta(MetaKey.L4proto, 'l4proto', TYPES.inet_proto, 8, 'host'),
  mark: meta(MetaKey.Mark, 'mark', TYPES.mark, 32, 'host', true),
  priority: meta(MetaKey.Priority, 'priority', TYPES.classid, 32, 'host', true),
  nftrace: meta(MetaKey.Nftrace, 'nftrace', TYPES.integer, 1, 'host', 'only'),
  iif: meta(MetaKey.Iif, 'iif', TYPES.iface_index, 32, 'host'),
  oif: meta(MetaKey.Oif, 'oif', TYPES.iface_index, 32, 'host'),
  iifname: meta(MetaKey.Iifname, 'iifname', TYPES.ifname, 128, 'host'),
  iiftype: meta(MetaKey.Iiftype, 'iiftype', TYPES.iface_type, 16, 'host'),
  oifname: meta(MetaKey.Oifname, 'oifname', TYPES.ifname, 128, 'host'),
  pkttype: meta(MetaKey.Pkttype, 'pkttype', TYPES.pkt_type, 8, 'host', true),
  skuid: meta(MetaKey.Skuid, 'skuid', TYPES.uid, 32, 'host'),
  skgid: meta(MetaKey.Skgid, 'skgid', TYPES.gid, 32, 'host'),
  cpu: meta(MetaKey.Cpu, 'cpu', TYPES.integer, 32, 'host'),
  oiftype: meta(MetaKey.Oiftype, 'oiftype', TYPES.iface_type, 16, 'host'),
  iifgroup: meta(MetaKey.Iifgroup, 'iifgroup', TYPES.devgroup, 32, 'host'),
  oifgroup: meta(MetaKey.Oifgroup, 'oifgroup', TYPES.devgroup, 32, 'host'),
  iifkind: meta(MetaKey.Iifkind, 'iifkind', TYPES.ifname, 128, 'host'),
  oifkind: meta(MetaKey.Oifkind, 'oifkind', TYPES.ifname, 128, 'host'),
  sdif: meta(MetaKey.Sdif, 'sdif', TYPES.iface_index, 32, 'host'),
  sdifname: meta(MetaKey.Sdifname, 'sdifname', TYPES.ifname, 128, 'host'),
  random: meta(MetaKey.Prandom, 'random', TYPES.integer, 32, 'big'),
  time: meta(MetaKey.TimeNs, 'time', TYPES.date, 64, 'host'),
  day: meta(MetaKey.TimeDay, 'day', TYPES.day, 8, 'host'),
  hour: meta(MetaKey.TimeHour, 'hour', TYPES.hour, 32, 'host'),
  cgroup: meta(MetaKey.Cgroup, 'cgroup', TYPES.integer, 32, 'host'),
  secpath: meta(MetaKey.Secpath, 'ipsec', TYPES.boolean, 8, 'host'),
  ipsec: meta(MetaKey.Secpath, 'ipsec', TYPES.boolean, 8, 'host'),
  rtclassid: meta(MetaKey.Rtclassid, 'rtclassid', TYPES.realm, 32, 'host'),
};

export const META_KEY_NAMES: Record<number, string> = Object.fromEntries(
  Object.values(META_KEYS).map((t) => [t.key, t.name]),
);

// Header fields live in headers/, one file per family.
export { PROTOCOLS, type ProtocolDesc } from './headers/index.js';
