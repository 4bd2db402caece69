// Raw payload expressions, `@base,offset,length` (nft's payload_raw): bits
// at any place of a header nft names by its base keyword.
import { PayloadBase } from '../../assembly/abi.js';
import { TYPES, type Datatype } from '../datatypes.js';

export const RAW_BASES: Record<string, PayloadBase> = {
  ll: PayloadBase.LinkLayer, nh: PayloadBase.Network, th: PayloadBase.Transport, ih: PayloadBase.Inner,
};

// What one register holds (NFT_REG_SIZE); nft 1.0.6 aborts past it.
export const RAW_MAX_BITS = 128;

export const RAW_BASE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(RAW_BASES).map(([k, v]) => [v, k]));

// A raw payload is a payload expression whose protocol is '@' and its base
// keyword, and whose field is `offset,length`.
export function isRaw(proto: string): boolean {
  return proto.startsWith('@');
}

// nft's xinteger: an integer printed in hex.
export const RAW_TYPE: Datatype = { ...TYPES.integer, print: 'hexnum' };
