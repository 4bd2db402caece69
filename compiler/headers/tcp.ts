// TCP (nft's proto_tcp).
import { PayloadBase } from '../../assembly/abi.js';
import { TYPES } from '../datatypes.js';
import { field, type ProtocolDesc } from './types.js';

export const TCP: ProtocolDesc = {
  name: 'tcp', base: PayloadBase.Transport, l4proto: 6, checksum: 16,
  fields: {
    sport: field(0, 16, TYPES.inet_service), dport: field(16, 16, TYPES.inet_service), sequence: field(32, 32, TYPES.integer), ackseq: field(64, 32, TYPES.integer),
    doff: field(96, 4, TYPES.integer), flags: field(104, 8, TYPES.tcp_flag), window: field(112, 16, TYPES.integer), checksum: field(128, 16, TYPES.integer),
    urgptr: field(144, 16, TYPES.integer),
  },
};
