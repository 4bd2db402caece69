// SCTP's common header (nft's proto_sctp). Its checksum is a CRC32c the
// kernel does not update on a write, so none is named here.
import { PayloadBase } from '../../assembly/abi.js';
import { TYPES } from '../datatypes.js';
import { field, type ProtocolDesc } from './types.js';

export const SCTP: ProtocolDesc = {
  name: 'sctp', base: PayloadBase.Transport, l4proto: 132,
  fields: { sport: field(0, 16, TYPES.inet_service), dport: field(16, 16, TYPES.inet_service), vtag: field(32, 32, TYPES.integer), checksum: field(64, 32, TYPES.integer) },
};
