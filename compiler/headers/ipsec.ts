// The IPsec headers and IP compression (nft's proto_ah, proto_esp, proto_comp).
import { PayloadBase } from '../../assembly/abi.js';
import { TYPES } from '../datatypes.js';
import { field, type ProtocolDesc } from './types.js';

export const AH: ProtocolDesc = {
  name: 'ah', base: PayloadBase.Transport, l4proto: 51,
  fields: {
    nexthdr: field(0, 8, TYPES.inet_proto), hdrlength: field(8, 8, TYPES.integer), reserved: field(16, 16, TYPES.integer),
    spi: field(32, 32, TYPES.integer), sequence: field(64, 32, TYPES.integer),
  },
};

export const ESP: ProtocolDesc = {
  name: 'esp', base: PayloadBase.Transport, l4proto: 50,
  fields: { spi: field(0, 32, TYPES.integer), sequence: field(32, 32, TYPES.integer) },
};

export const COMP: ProtocolDesc = {
  name: 'comp', base: PayloadBase.Transport, l4proto: 108,
  fields: { nexthdr: field(0, 8, TYPES.inet_proto), flags: field(8, 8, TYPES.bitmask), cpi: field(16, 16, TYPES.integer) },
};
