// Every header family nftwasm reads, by the keyword that names it.
import { ARP } from './arp.js';
import { DCCP } from './dccp.js';
import { ETHER } from './ether.js';
import { ICMP, ICMPV6, IGMP } from './icmp.js';
import { IP } from './ip.js';
import { IP6 } from './ip6.js';
import { AH, COMP, ESP } from './ipsec.js';
import { SCTP } from './sctp.js';
import { TCP } from './tcp.js';
import type { ProtocolDesc } from './types.js';
import { TH, UDP, UDPLITE } from './udp.js';
import { VLAN } from './vlan.js';
import { IPV6_EXTHDRS } from './ip6-exthdr.js';

export type { FieldSpec, ProtocolDesc } from './types.js';

export const PROTOCOLS: Record<string, ProtocolDesc> = Object.fromEntries(
  [ETHER, VLAN, ARP, IP, IP6, ...IPV6_EXTHDRS, ICMP, ICMPV6, IGMP, TCP, UDP, UDPLITE, SCTP, DCCP, AH, ESP, COMP, TH].map((p) => [p.name, p]),
);

// The field a name (one word or two) stands for, aliases resolved.
export function fieldName(proto: ProtocolDesc, name: string): string | undefined {
  if (Object.hasOwn(proto.fields, name)) return name;
  const alias = proto.aliases?.[name];
  return alias !== undefined && Object.hasOwn(proto.fields, alias) ? alias : undefined;
}

// The words that may follow `first` in a field's name of two.
export function secondWords(proto: ProtocolDesc, first: string): string[] {
  return Object.keys(proto.fields).filter((k) => k.startsWith(`${first} `)).map((k) => k.slice(first.length + 1));
}

export function hasTwoWordField(proto: ProtocolDesc, first: string): boolean {
  return secondWords(proto, first).length > 0;
}
