// DCCP (nft's proto_dccp).
import { PayloadBase } from '../../assembly/abi.js';
import { TYPES } from '../datatypes.js';
import { field, type ProtocolDesc } from './types.js';

export const DCCP: ProtocolDesc = {
  name: 'dccp', base: PayloadBase.Transport, l4proto: 33,
  fields: { sport: field(0, 16, TYPES.inet_service), dport: field(16, 16, TYPES.inet_service), type: field(67, 4, TYPES.dccp_pkttype) },
};
