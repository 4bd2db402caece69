// ICMP, ICMPv6 and IGMP (nft's proto_icmp, proto_icmp6, proto_igmp).
import { PayloadBase } from '../../assembly/abi.js';
import { TYPES } from '../datatypes.js';
import { field, type ProtocolDesc } from './types.js';

export const ICMP: ProtocolDesc = {
  name: 'icmp', base: PayloadBase.Transport, l4proto: 1, onlyNfproto: 2, checksum: 2,
  fields: {
    type: field(0, 8, TYPES.icmp_type), code: field(8, 8, TYPES.icmp_code), checksum: field(16, 16, TYPES.integer), id: field(32, 16, TYPES.integer),
    sequence: field(48, 16, TYPES.integer), mtu: field(48, 16, TYPES.integer), gateway: field(32, 32, TYPES.integer),
  },
  icmpDep: { id: 'echo', sequence: 'echo', mtu: 3, gateway: 5 },
};

export const ICMPV6: ProtocolDesc = {
  name: 'icmpv6', base: PayloadBase.Transport, l4proto: 58, onlyNfproto: 10, checksum: 2,
  fields: {
    type: field(0, 8, TYPES.icmpv6_type), code: field(8, 8, TYPES.icmpv6_code), checksum: field(16, 16, TYPES.integer), id: field(32, 16, TYPES.integer),
    sequence: field(48, 16, TYPES.integer), mtu: field(32, 32, TYPES.integer), 'max-delay': field(32, 16, TYPES.integer),
  },
  // max-delay: MLD's maximum response delay, of a listener query.
  icmpDep: { id: 'echo', sequence: 'echo', mtu: 2, 'max-delay': 130 },
};

export const IGMP: ProtocolDesc = {
  name: 'igmp', base: PayloadBase.Transport, l4proto: 2, onlyNfproto: 2, checksum: 2,
  fields: {
    type: field(0, 8, TYPES.igmp_type), mrt: field(8, 8, TYPES.integer), checksum: field(16, 16, TYPES.integer), group: field(32, 32, TYPES.integer),
  },
};
