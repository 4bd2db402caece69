// IPv6 (nft's proto_ip6).
import { PayloadBase } from '../../assembly/abi.js';
import { TYPES } from '../datatypes.js';
import { field, type ProtocolDesc } from './types.js';

export const IP6: ProtocolDesc = {
  name: 'ip6', base: PayloadBase.Network, nfproto: 10, ethertype: 0x86dd, pseudo: ['saddr', 'daddr', 'nexthdr', 'length'],
  fields: {
    version: field(0, 4, TYPES.integer), dscp: field(4, 6, TYPES.dscp), ecn: field(10, 2, TYPES.ecn), flowlabel: field(12, 20, TYPES.integer),
    length: field(32, 16, TYPES.integer), nexthdr: field(48, 8, TYPES.inet_proto), hoplimit: field(56, 8, TYPES.integer),
    saddr: field(64, 128, TYPES.ipv6_addr), daddr: field(192, 128, TYPES.ipv6_addr),
  },
};
