// 802.1Q and 802.1ad tags (nft's proto_vlan). Offsets are from the tag's
// own start: the first tag follows the Ethernet header, each further one
// the tag before it, as a rule's `vlan type 8021q` says it does.
import { PayloadBase } from '../../assembly/abi.js';
import { TYPES } from '../datatypes.js';
import { field, type ProtocolDesc } from './types.js';

export const ETHER_HEADER_BYTES = 14;
export const VLAN_TAG_BYTES = 4;
// The Ethernet types that announce a tag.
export const VLAN_ETHERTYPES = [0x8100, 0x88a8];

export const VLAN: ProtocolDesc = {
  name: 'vlan', base: PayloadBase.LinkLayer, ethertype: 0x8100, stacked: true,
  fields: { pcp: field(0, 3, TYPES.integer), dei: field(3, 1, TYPES.integer), id: field(4, 12, TYPES.integer), type: field(16, 16, TYPES.ethertype) },
  aliases: { cfi: 'dei' },
};
