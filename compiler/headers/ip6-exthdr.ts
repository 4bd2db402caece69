// IPv6 extension headers (nft's src/exthdr.c): each header's next-header
// value and fields, offsets in bits from the header's start. A rule reads
// them with the exthdr expression, which finds the header as the kernel's
// ipv6_find_hdr does.
import { PayloadBase } from '../../assembly/abi.js';
import { TYPES } from '../datatypes.js';
import { field, type ProtocolDesc } from './types.js';

const int = TYPES.integer;
const common = { nexthdr: field(0, 8, TYPES.inet_proto), hdrlength: field(8, 8, int) };

function exthdr(name: string, type: number, fields: ProtocolDesc['fields']): ProtocolDesc {
  return { name, base: PayloadBase.Network, onlyNfproto: 10, ipv6Exthdr: type, fields };
}

// The segment routing header's segments, `sid[1]` the first, after its
// eight bytes of header; written `srh sid[N]`.
const SRH_SIDS: ProtocolDesc['fields'] = Object.fromEntries(Array.from({ length: 128 }, (_, i) => [`sid[${i + 1}]`, field(64 + i * 128, 128, TYPES.ipv6_addr)]));

export const IPV6_EXTHDRS: ProtocolDesc[] = [
  exthdr('hbh', 0, common),
  exthdr('rt', 43, { ...common, type: field(16, 8, int), 'seg-left': field(24, 8, int) }),
  exthdr('srh', 43, { 'last-entry': field(32, 8, int), flags: field(40, 8, int), tag: field(48, 16, int), ...SRH_SIDS }),
  exthdr('frag', 44, {
    nexthdr: field(0, 8, TYPES.inet_proto), reserved: field(8, 8, int), 'frag-off': field(16, 13, int),
    reserved2: field(29, 2, int), 'more-fragments': field(31, 1, int), id: field(32, 32, int),
  }),
  exthdr('dst', 60, common),
  exthdr('mh', 135, { ...common, type: field(16, 8, TYPES.mh_type), reserved: field(24, 8, int), checksum: field(32, 16, int) }),
];
