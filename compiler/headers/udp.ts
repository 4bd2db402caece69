// UDP and UDP-Lite (nft's proto_udp, proto_udplite), and "th", the port
// pair every transport header of the kind starts with.
import { PayloadBase } from '../../assembly/abi.js';
import { TYPES } from '../datatypes.js';
import { field, type ProtocolDesc } from './types.js';

export const UDP: ProtocolDesc = {
  name: 'udp', base: PayloadBase.Transport, l4proto: 17, checksum: 6, expecting: 'length or checksum or sport or dport',
  fields: { sport: field(0, 16, TYPES.inet_service), dport: field(16, 16, TYPES.inet_service), length: field(32, 16, TYPES.integer), checksum: field(48, 16, TYPES.integer) },
};

export const UDPLITE: ProtocolDesc = {
  name: 'udplite', base: PayloadBase.Transport, l4proto: 136, checksum: 6,
  fields: { sport: field(0, 16, TYPES.inet_service), dport: field(16, 16, TYPES.inet_service), csumcov: field(32, 16, TYPES.integer), checksum: field(48, 16, TYPES.integer) },
};

export const TH: ProtocolDesc = {
  name: 'th', base: PayloadBase.Transport, expecting: 'sport or dport',
  fields: { sport: field(0, 16, TYPES.inet_service), dport: field(16, 16, TYPES.inet_service) },
};
