// What a header family describes, as nft's struct proto_desc does: where
// its fields sit, what they hold, and what a rule must check before it may
// read them. Each family's table lives in its own file beside this one.
import type { PayloadBase } from '../../assembly/abi.js';
import type { Datatype } from '../datatypes.js';

// Offset and length in bits from the start of the header, and the type.
export type FieldSpec = [offset: number, bits: number, type: Datatype];

export interface ProtocolDesc {
  name: string;
  base: PayloadBase;
  // Network protocols: the nfproto value; transport protocols: the IP
  // protocol number (undefined for "th", which has no dependency of its own).
  nfproto?: number;
  l4proto?: number;
  // Headers after the link layer's: the Ethernet type announcing them.
  ethertype?: number;
  // Link-layer headers that follow the Ethernet header, each after the last.
  stacked?: boolean;
  // IPv6 extension headers: the next-header value that announces them.
  ipv6Exthdr?: number;
  // Transport protocols that only exist on one network protocol.
  onlyNfproto?: number;
  // Field names; a name of two words ("saddr ip") is written as two.
  fields: Record<string, FieldSpec>;
  // Names nft accepts for a field and lists by another.
  aliases?: Record<string, string>;
  // ICMP fields that only exist for some message types: the type nft
  // checks first ('echo' stands for echo-request or echo-reply).
  icmpDep?: Record<string, number | 'echo'>;
  // Byte offset of the header's Internet checksum, which a write updates.
  checksum?: number;
  // Fields in the transport checksum's pseudo-header.
  pseudo?: string[];
  // What bison lists after the protocol's keyword when no field follows.
  expecting?: string;
}

export function field(offset: number, bits: number, type: Datatype): FieldSpec {
  return [offset, bits, type];
}
