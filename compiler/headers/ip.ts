// IPv4 (nft's proto_ip).
import { PayloadBase } from '../../assembly/abi.js';
import { TYPES } from '../datatypes.js';
import { field, type ProtocolDesc } from './types.js';

export const IP: ProtocolDesc = {
  name: 'ip', base: PayloadBase.Network, nfproto: 2, ethertype: 0x0800, checksum: 10, pseudo: ['saddr', 'daddr', 'protocol', 'length'],
  fields: {
    version: field(0, 4, TYPES.integer), hdrlength: field(4, 4, TYPES.integer), dscp: field(8, 6, TYPES.dscp), ecn: field(14, 2, TYPES.ecn),
    length: field(16, 16, TYPES.integer), id: field(32, 16, TYPES.integer), 'frag-off': field(48, 16, TYPES.integer), ttl: field(64, 8, TYPES.integer),
    protocol: field(72, 8, TYPES.inet_proto), checksum: field(80, 16, TYPES.integer), saddr: field(96, 32, TYPES.ipv4_addr), daddr: field(128, 32, TYPES.ipv4_addr),
  },
};
