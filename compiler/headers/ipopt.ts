// IPv4 options (nft's src/ipopt.c): the options nft names and their
// fields, offsets in bits from the option's first byte. A rule reads them
// with the exthdr expression, which finds the option as the kernel's
// ipv4_find_option does.
import { TYPES } from '../datatypes.js';
import { field, type FieldSpec } from './types.js';

export interface IpOption {
  name: string;
  type: number;
  fields: Record<string, FieldSpec>;
}

const int = TYPES.integer;
const COMMON = { type: field(0, 8, int), length: field(8, 8, int) };
const ROUTE = { ...COMMON, ptr: field(16, 8, int), addr: field(24, 32, int) };

// In bison's order, for its "expecting" list.
export const IP_OPTIONS: IpOption[] = [
  { name: 'lsrr', type: 131, fields: ROUTE },
  { name: 'rr', type: 7, fields: ROUTE },
  { name: 'ssrr', type: 137, fields: ROUTE },
  { name: 'ra', type: 148, fields: { ...COMMON, value: field(16, 16, int) } },
];

export function ipOption(name: string): IpOption | undefined {
  return IP_OPTIONS.find((o) => o.name === name);
}
