// TCP options (nft's src/tcpopt.c): each option's kind and its fields,
// offsets in bits from the option's first byte. A rule reads them with
// the exthdr expression, which finds the option among the header's.
import { TYPES } from '../datatypes.js';
import { field, type FieldSpec } from './types.js';

export interface TcpOption {
  name: string;
  kind: number;
  fields: Record<string, FieldSpec>;
}

const int = TYPES.integer;
const LENGTH = { length: field(8, 8, int) };

function sackBlocks(): Record<string, FieldSpec> {
  const blocks: Record<string, FieldSpec> = { ...LENGTH, left: field(16, 32, int), right: field(48, 32, int) };
  for (let i = 1; i < 4; i++) {
    blocks[`sack${i} left`] = field(16 + 64 * i, 32, int);
    blocks[`sack${i} right`] = field(48 + 64 * i, 32, int);
  }
  return blocks;
}

export const TCP_OPTIONS: TcpOption[] = [
  { name: 'eol', kind: 0, fields: {} },
  { name: 'nop', kind: 1, fields: {} },
  { name: 'maxseg', kind: 2, fields: { ...LENGTH, size: field(16, 16, int) } },
  { name: 'window', kind: 3, fields: { ...LENGTH, count: field(16, 8, int) } },
  { name: 'sack-perm', kind: 4, fields: LENGTH },
  { name: 'sack', kind: 5, fields: sackBlocks() },
  { name: 'timestamp', kind: 8, fields: { ...LENGTH, tsval: field(16, 32, int), tsecr: field(48, 32, int) } },
  { name: 'md5sig', kind: 19, fields: LENGTH },
  { name: 'mptcp', kind: 30, fields: { ...LENGTH, subtype: field(16, 4, int) } },
  { name: 'fastopen', kind: 34, fields: LENGTH },
];

// The words nft's scanner reads as keywords after `tcp option`, which its
// errors name as such.
export const TCP_OPTION_WORDS = new Set([
  ...TCP_OPTIONS.map((o) => o.name), 'sack0', 'sack1', 'sack2', 'sack3',
  ...TCP_OPTIONS.flatMap((o) => Object.keys(o.fields).map((k) => k.split(' ').pop()!)),
]);

// sack0 to sack3 name the SACK option too, and which of its blocks a
// field is in: `sack1 left` is a field of the SACK option, `sack0 left`
// its first block's, which nft lists as `sack left`.
export function tcpOptionField(option: string, name: string): { option: TcpOption; field: string } | undefined {
  const block = /^sack([0-3])$/.exec(option);
  const o = TCP_OPTIONS.find((x) => x.name === (block ? 'sack' : option));
  if (!o) return undefined;
  const key = block && block[1] !== '0' ? `${option} ${name}` : name;
  return Object.hasOwn(o.fields, key) ? { option: o, field: key } : undefined;
}

export function tcpOptionByName(name: string): TcpOption | undefined {
  return TCP_OPTIONS.find((o) => o.name === name) ?? (/^sack[0-3]$/.test(name) ? TCP_OPTIONS.find((o) => o.name === 'sack') : undefined);
}

export function tcpOptionName(kind: number): string {
  return TCP_OPTIONS.find((o) => o.kind === kind)?.name ?? String(kind);
}
