// ARP for Ethernet and IPv4 (nft's proto_arp): the addresses sit where
// a 6-byte hardware and 4-byte protocol address put them.
import { PayloadBase } from '../../assembly/abi.js';
import { TYPES } from '../datatypes.js';
import { field, type ProtocolDesc } from './types.js';

export const ARP: ProtocolDesc = {
  name: 'arp', base: PayloadBase.Network, ethertype: 0x0806,
  fields: {
    htype: field(0, 16, TYPES.integer), ptype: field(16, 16, TYPES.ethertype), hlen: field(32, 8, TYPES.integer), plen: field(40, 8, TYPES.integer),
    operation: field(48, 16, TYPES.arp_op), 'saddr ether': field(64, 48, TYPES.ether_addr), 'saddr ip': field(112, 32, TYPES.ipv4_addr),
    'daddr ether': field(144, 48, TYPES.ether_addr), 'daddr ip': field(192, 32, TYPES.ipv4_addr),
  },
};
