// Datatypes as data: size, byte order, symbol tables and print style. The
// parser of values (evaluate.ts) and the printer (listing.ts) both read these
// tables, so a name parses to exactly the number it prints from.

export type ByteOrder = 'big' | 'host';

export type PrintStyle =
  | 'decimal'
  | 'hex'        // 0x%08x, as nft prints marks
  | 'hexnum'     // 0x%x, as nft prints its bitmask type
  | 'symbol'     // a name from the table, else decimal
  | 'bitmask'    // names of the set bits joined with ','
  | 'iface'      // an interface index, by name where the name is known
  | 'user' | 'group' // a number, or a name of the host's passwd or group file
  | 'cgroupv2'   // a cgroup by its path under /sys/fs/cgroup, which has this inode
  | 'classid'    // a TC handle: root, none or major:minor in hex
  | 'date'       // nanoseconds since the epoch, as local "YYYY-MM-DD HH:MM:SS"
  | 'hour'       // seconds since midnight UTC, as local "HH:MM[:SS]"
  | 'ipv4' | 'ipv6' | 'ether' | 'string' | 'time' | 'verdict' | 'service' | 'protocol' | 'label';

export interface Datatype {
  name: string;
  // What "Could not parse %s" names.
  desc: string;
  bits: number;
  byteorder: ByteOrder;
  print: PrintStyle;
  symbols?: ReadonlyArray<readonly [string, number]>;
  // A bitmask type: a bare value matches when any of its bits is set.
  flags?: boolean;
  // nft's numeric type id, used in set key descriptions.
  id: number;
  // Symbols that `-n` prints as hex numbers of this many digits rather
  // than decimal (nft's basefmt).
  hexDigits?: number;
  // Names printed in quotes (the tables of /etc/iproute2, as nft's
  // symbolic_constant_print with quotes).
  quoted?: boolean;
}

const CT_STATE: Array<[string, number]> = [['invalid', 1], ['established', 2], ['related', 4], ['new', 8], ['untracked', 64]];
const CT_DIR: Array<[string, number]> = [['original', 0], ['reply', 1]];
const CT_STATUS: Array<[string, number]> = [
  ['expected', 1], ['seen-reply', 2], ['assured', 4], ['confirmed', 8], ['snat', 16], ['dnat', 32], ['dying', 512],
];
const CT_EVENT: Array<[string, number]> = [
  ['new', 1], ['related', 2], ['destroy', 4], ['reply', 8], ['assured', 16], ['protoinfo', 32], ['helper', 64],
  ['mark', 128], ['seqadj', 256], ['secmark', 512], ['label', 1024],
];
const ETHERTYPES: Array<[string, number]> = [['ip', 0x0800], ['arp', 0x0806], ['ip6', 0x86dd], ['8021q', 0x8100], ['8021ad', 0x88a8], ['vlan', 0x8100]];
const DSCP: Array<[string, number]> = [
  ['cs0', 0x00], ['cs1', 0x08], ['cs2', 0x10], ['cs3', 0x18], ['cs4', 0x20], ['cs5', 0x28], ['cs6', 0x30], ['cs7', 0x38],
  ['df', 0x00], ['be', 0x00], ['lephb', 0x01], ['af11', 0x0a], ['af12', 0x0c], ['af13', 0x0e], ['af21', 0x12], ['af22', 0x14],
  ['af23', 0x16], ['af31', 0x1a], ['af32', 0x1c], ['af33', 0x1e], ['af41', 0x22], ['af42', 0x24], ['af43', 0x26], ['va', 0x2c], ['ef', 0x2e],
];
const ECN: Array<[string, number]> = [['not-ect', 0], ['ect1', 1], ['ect0', 2], ['ce', 3]];
const ICMP_CODES: Array<[string, number]> = [
  ['net-unreachable', 0], ['host-unreachable', 1], ['prot-unreachable', 2], ['port-unreachable', 3], ['net-prohibited', 9],
  ['host-prohibited', 10], ['admin-prohibited', 13], ['frag-needed', 4],
];
const ICMPV6_CODES: Array<[string, number]> = [
  ['no-route', 0], ['admin-prohibited', 1], ['addr-unreachable', 3], ['port-unreachable', 4], ['policy-fail', 5], ['reject-route', 6],
];
const ICMPX_CODES: Array<[string, number]> = [['port-unreachable', 1], ['admin-prohibited', 3], ['no-route', 0], ['host-unreachable', 2]];
const IGMP_TYPES: Array<[string, number]> = [
  ['membership-query', 0x11], ['membership-report-v1', 0x12], ['membership-report-v2', 0x16], ['membership-report-v3', 0x22], ['leave-group', 0x17],
];
const DCCP_PKTTYPES: Array<[string, number]> = [
  ['request', 0], ['response', 1], ['data', 2], ['ack', 3], ['dataack', 4], ['closereq', 5], ['close', 6], ['reset', 7], ['sync', 8], ['syncack', 9],
];
const ARP_OPS: Array<[string, number]> = [
  ['request', 1], ['reply', 2], ['rrequest', 3], ['rreply', 4], ['inrequest', 8], ['inreply', 9], ['nak', 10],
];
const MH_TYPES: Array<[string, number]> = [
  ['binding-refresh-request', 0], ['home-test-init', 1], ['careof-test-init', 2], ['home-test', 3], ['careof-test', 4],
  ['binding-update', 5], ['binding-acknowledgement', 6], ['binding-error', 7], ['fast-binding-update', 8],
  ['fast-binding-acknowledgement', 9], ['fast-binding-advertisement', 10], ['experimental-mobility-header', 11],
  ['home-agent-switch-message', 12],
];
const NFPROTO: Array<[string, number]> = [['ipv4', 2], ['ipv6', 10]];
// ARPHRD_* device types (nft's arphrd_tbl).
const ARPHRD: Array<[string, number]> = [['ether', 1], ['ppp', 512], ['ipip', 768], ['ipip6', 769], ['loopback', 772], ['sit', 776], ['ipgre', 778]];
// /etc/iproute2/group as iproute2 installs it.
const DEVGROUPS: Array<[string, number]> = [['default', 0]];
// /etc/iproute2/rt_realms likewise.
const REALMS: Array<[string, number]> = [['cosmos', 0]];
// RTN_* route types (nft's fib addrtype_tbl).
const FIB_ADDR_TYPES: Array<[string, number]> = [
  ['unspec', 0], ['unicast', 1], ['local', 2], ['broadcast', 3], ['anycast', 4], ['multicast', 5], ['blackhole', 6], ['unreachable', 7], ['prohibit', 8],
];
const DAYS: Array<[string, number]> = [
  ['Sunday', 0], ['Monday', 1], ['Tuesday', 2], ['Wednesday', 3], ['Thursday', 4], ['Friday', 5], ['Saturday', 6],
];
const PKTTYPE: Array<[string, number]> = [['host', 0], ['unicast', 0], ['broadcast', 1], ['multicast', 2], ['other', 3]];
const TCP_FLAGS: Array<[string, number]> = [
  ['fin', 1], ['syn', 2], ['rst', 4], ['psh', 8], ['ack', 16], ['urg', 32], ['ecn', 64], ['cwr', 128],
];
// IP protocol names as getprotobynumber and getprotobyname give them from
// the netbase /etc/protocols nft runs with (a number prints as its first
// name), then the names nft's grammar knows itself.
export const PROTOCOLS: Array<[string, number]> = [
  ['ip', 0], ['IP', 0], ['hopopt', 0], ['HOPOPT', 0], ['icmp', 1], ['ICMP', 1], ['igmp', 2], ['IGMP', 2], ['ggp', 3], ['GGP', 3],
  ['ipencap', 4], ['IP-ENCAP', 4], ['st', 5], ['ST', 5], ['tcp', 6], ['TCP', 6], ['egp', 8], ['EGP', 8], ['igp', 9], ['IGP', 9],
  ['pup', 12], ['PUP', 12], ['udp', 17], ['UDP', 17], ['hmp', 20], ['HMP', 20], ['xns-idp', 22], ['XNS-IDP', 22], ['rdp', 27],
  ['RDP', 27], ['iso-tp4', 29], ['ISO-TP4', 29], ['dccp', 33], ['DCCP', 33], ['xtp', 36], ['XTP', 36], ['ddp', 37], ['DDP', 37],
  ['idpr-cmtp', 38], ['IDPR-CMTP', 38], ['ipv6', 41], ['IPv6', 41], ['ipv6-route', 43], ['IPv6-Route', 43], ['ipv6-frag', 44],
  ['IPv6-Frag', 44], ['idrp', 45], ['IDRP', 45], ['rsvp', 46], ['RSVP', 46], ['gre', 47], ['GRE', 47], ['esp', 50],
  ['IPSEC-ESP', 50], ['ah', 51], ['IPSEC-AH', 51], ['skip', 57], ['SKIP', 57], ['ipv6-icmp', 58], ['IPv6-ICMP', 58],
  ['ipv6-nonxt', 59], ['IPv6-NoNxt', 59], ['ipv6-opts', 60], ['IPv6-Opts', 60], ['rspf', 73], ['RSPF', 73], ['CPHB', 73],
  ['vmtp', 81], ['VMTP', 81], ['eigrp', 88], ['EIGRP', 88], ['ospf', 89], ['OSPFIGP', 89], ['ax.25', 93], ['AX.25', 93],
  ['ipip', 94], ['IPIP', 94], ['etherip', 97], ['ETHERIP', 97], ['encap', 98], ['ENCAP', 98], ['pim', 103], ['PIM', 103],
  ['ipcomp', 108], ['IPCOMP', 108], ['vrrp', 112], ['VRRP', 112], ['l2tp', 115], ['L2TP', 115], ['isis', 124], ['ISIS', 124],
  ['sctp', 132], ['SCTP', 132], ['fc', 133], ['FC', 133], ['mobility-header', 135], ['Mobility-Header', 135], ['udplite', 136],
  ['UDPLite', 136], ['mpls-in-ip', 137], ['MPLS-in-IP', 137], ['manet', 138], ['hip', 139], ['HIP', 139], ['shim6', 140],
  ['Shim6', 140], ['wesp', 141], ['WESP', 141], ['rohc', 142], ['ROHC', 142], ['ethernet', 143], ['Ethernet', 143],
  ['icmpv6', 58], ['comp', 108],
];
const ICMP_TYPES: Array<[string, number]> = [
  ['echo-reply', 0], ['destination-unreachable', 3], ['source-quench', 4], ['redirect', 5], ['echo-request', 8],
  ['router-advertisement', 9], ['router-solicitation', 10], ['time-exceeded', 11], ['parameter-problem', 12],
  ['timestamp-request', 13], ['timestamp-reply', 14], ['info-request', 15], ['info-reply', 16],
  ['address-mask-request', 17], ['address-mask-reply', 18],
];
const ICMPV6_TYPES: Array<[string, number]> = [
  ['destination-unreachable', 1], ['packet-too-big', 2], ['time-exceeded', 3], ['parameter-problem', 4],
  ['echo-request', 128], ['echo-reply', 129], ['mld-listener-query', 130], ['mld-listener-report', 131],
  ['mld-listener-done', 132], ['mld-listener-reduction', 132], ['nd-router-solicit', 133], ['nd-router-advert', 134],
  ['nd-neighbor-solicit', 135], ['nd-neighbor-advert', 136], ['nd-redirect', 137], ['router-renumbering', 138],
  ['ind-neighbor-solicit', 141], ['ind-neighbor-advert', 142], ['mld2-listener-report', 143],
];
// The services nft resolves from /etc/services on Debian; only these names
// are accepted, and -S prints them back.
export const SERVICES: Array<[string, number]> = [
  ['ftp-data', 20], ['ftp', 21], ['ssh', 22], ['telnet', 23], ['smtp', 25], ['domain', 53], ['bootps', 67],
  ['bootpc', 68], ['tftp', 69], ['http', 80], ['pop3', 110], ['sunrpc', 111], ['auth', 113], ['ntp', 123],
  ['imap2', 143], ['snmp', 161], ['bgp', 179], ['ldap', 389], ['https', 443], ['submissions', 465],
  ['syslog', 514], ['submission', 587], ['ldaps', 636], ['imaps', 993], ['pop3s', 995], ['mysql', 3306],
  ['http-alt', 8080],
];

function t(name: string, id: number, desc: string, bits: number, byteorder: ByteOrder, print: PrintStyle, symbols?: Array<[string, number]>, flags?: boolean): Datatype {
  return { name, id, desc, bits, byteorder, print, symbols, flags };
}

export const TYPES = {
  verdict: t('verdict', 1, 'netfilter verdict', 32, 'host', 'verdict'),
  nf_proto: t('nf_proto', 2, 'netfilter protocol', 8, 'host', 'symbol', NFPROTO),
  bitmask: t('bitmask', 3, 'bitmask', 0, 'host', 'hexnum'),
  integer: t('integer', 4, 'integer', 0, 'host', 'decimal'),
  string: t('string', 5, 'string', 0, 'host', 'string'),
  lladdr: t('ll_addr', 6, 'link layer address', 0, 'big', 'ether'),
  ipv4_addr: t('ipv4_addr', 7, 'IPv4 address', 32, 'big', 'ipv4'),
  ipv6_addr: t('ipv6_addr', 8, 'IPv6 address', 128, 'big', 'ipv6'),
  ether_addr: t('ether_addr', 9, 'Ethernet address', 48, 'big', 'ether'),
  ethertype: { ...t('ether_type', 10, 'Ethernet protocol', 16, 'big', 'symbol', ETHERTYPES), hexDigits: 4 },
  dscp: { ...t('dscp', 53, 'Differentiated Services Code Point', 6, 'big', 'symbol', DSCP), hexDigits: 2 },
  ecn: { ...t('ecn', 54, 'Explicit Congestion Notification', 2, 'big', 'symbol', ECN), hexDigits: 1 },
  icmp_code: t('icmp_code', 46, 'icmp code', 8, 'big', 'symbol', ICMP_CODES),
  icmpv6_code: t('icmpv6_code', 47, 'icmpv6 code', 8, 'big', 'symbol', ICMPV6_CODES),
  icmpx_code: t('icmpx_code', 48, 'icmpx code', 8, 'big', 'symbol', ICMPX_CODES),
  inet_proto: t('inet_proto', 12, 'Internet protocol', 8, 'big', 'protocol', PROTOCOLS),
  inet_service: t('inet_service', 13, 'internet network service', 16, 'big', 'service', SERVICES),
  icmp_type: t('icmp_type', 14, 'ICMP type', 8, 'big', 'symbol', ICMP_TYPES),
  igmp_type: t('igmp_type', 42, 'IGMP type', 8, 'big', 'symbol', IGMP_TYPES),
  dccp_pkttype: t('dccp_pkttype', 16, 'DCCP packet type', 4, 'big', 'symbol', DCCP_PKTTYPES),
  arp_op: t('arp_op', 11, 'ARP operation', 16, 'big', 'symbol', ARP_OPS),
  mh_type: t('mh_type', 17, 'Mobility Header Type', 8, 'big', 'symbol', MH_TYPES),
  tcp_flag: t('tcp_flag', 15, 'TCP flag', 8, 'big', 'bitmask', TCP_FLAGS, true),
  mark: t('mark', 19, 'packet mark', 32, 'host', 'hex'),
  iface_index: t('iface_index', 20, 'network interface index', 32, 'host', 'iface'),
  devgroup: { ...t('devgroup', 35, 'devgroup name', 32, 'host', 'symbol', DEVGROUPS), quoted: true },
  realm: { ...t('realm', 22, 'routing realm', 32, 'host', 'symbol', REALMS), quoted: true },
  date: t('time', 43, 'Relative time of packet reception', 64, 'host', 'date'),
  hour: t('hour', 44, 'Hour of day of packet reception', 32, 'host', 'hour'),
  day: { ...t('day', 45, 'Day of week of packet reception', 8, 'host', 'symbol', DAYS), quoted: true },
  uid: t('uid', 24, 'user ID', 32, 'host', 'user'),
  cgroupv2: t('cgroupsv2', 46, 'cgroupsv2 path', 64, 'host', 'cgroupv2'),
  gid: t('gid', 25, 'group ID', 32, 'host', 'group'),
  iface_type: t('iface_type', 21, 'network interface type', 16, 'host', 'symbol', ARPHRD),
  ifname: t('ifname', 41, 'network interface name', 128, 'host', 'string'),
  icmpv6_type: t('icmpv6_type', 29, 'ICMPv6 type', 8, 'big', 'symbol', ICMPV6_TYPES),
  ct_state: t('ct_state', 30, 'conntrack state', 32, 'host', 'bitmask', CT_STATE, true),
  ct_dir: t('ct_dir', 31, 'conntrack direction', 8, 'host', 'symbol', CT_DIR),
  ct_status: t('ct_status', 32, 'conntrack status', 32, 'host', 'bitmask', CT_STATUS, true),
  ct_label: t('ct_label', 35, 'conntrack label', 128, 'host', 'label', undefined, true),
  pkt_type: t('pkt_type', 34, 'packet type', 8, 'host', 'symbol', PKTTYPE),
  time: t('time', 44, 'relative time', 32, 'host', 'time'),
  ct_event: t('ct_event', 43, 'conntrack event bits', 32, 'host', 'bitmask', CT_EVENT, true),
  classid: t('classid', 23, 'TC classid', 32, 'host', 'classid'),
  fib_addrtype: t('fib_addrtype', 38, 'fib address type', 32, 'host', 'symbol', FIB_ADDR_TYPES),
  boolean: t('boolean', 38, 'boolean type', 1, 'host', 'symbol', [['exists', 1], ['missing', 0]]),
} satisfies Record<string, Datatype>;

export type TypeName = keyof typeof TYPES;

// Types a set declaration may name as its key or data.
export const SET_TYPES: Record<string, Datatype> = Object.fromEntries(
  Object.values(TYPES).map((d) => [d.name, d]),
);

// nft resolves interface names when it evaluates a rule; a fresh network
// namespace, where rules are checked, only has the loopback.
// A network device as iif and oif name it.
export interface InterfaceName {
  name: string;
  index: number;
}
// Users and groups by name, as getpwnam and getgrnam give them on the host
// nft reads the ruleset on.
// The host's cgroup v2 tree, as nft reads it under /sys/fs/cgroup: the
// inode of a path (or why stat failed, as strerror words it), and the path
// of an inode, found by walking the tree.
export interface CgroupTree {
  inode(path: string): bigint | string;
  path(inode: bigint): string | undefined;
}

export interface AccountNames {
  users: ReadonlyMap<string, number>;
  groups: ReadonlyMap<string, number>;
}

// The devices of a fresh network namespace, where nft -c resolves names.
export const LOOPBACK_ONLY: readonly InterfaceName[] = [{ name: 'lo', index: 1 }];

export function symbolValue(type: Datatype, name: string): number | undefined {
  return type.symbols?.find(([n]) => n === name)?.[1];
}

export function symbolName(type: Datatype, value: number): string | undefined {
  return type.symbols?.find(([, v]) => v === value)?.[0];
}
