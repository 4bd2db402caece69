// Ethernet (nft's proto_eth).
import { PayloadBase } from '../../assembly/abi.js';
import { TYPES } from '../datatypes.js';
import { field, type ProtocolDesc } from './types.js';

export const ETHER: ProtocolDesc = {
  name: 'ether', base: PayloadBase.LinkLayer,
  fields: { daddr: field(0, 48, TYPES.ether_addr), saddr: field(48, 48, TYPES.ether_addr), type: field(96, 16, TYPES.ethertype) },
};
