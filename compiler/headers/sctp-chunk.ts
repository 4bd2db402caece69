// SCTP chunks (nft's src/sctp_chunk.c): each chunk type and its fields,
// offsets in bits from the chunk's start. A rule reads them with the
// exthdr expression, which finds the first chunk of the type.
import { TYPES } from '../datatypes.js';
import { field, type FieldSpec } from './types.js';

export interface SctpChunk {
  name: string;
  type: number;
  fields: Record<string, FieldSpec>;
}

const int = TYPES.integer;
const COMMON = { type: field(0, 8, int), flags: field(8, 8, int), length: field(16, 16, int) };
const INIT = {
  ...COMMON, 'init-tag': field(32, 32, int), 'a-rwnd': field(64, 32, int), 'num-outbound-streams': field(96, 16, int),
  'num-inbound-streams': field(112, 16, int), 'initial-tsn': field(128, 32, int),
};

function chunk(name: string, type: number, fields: Record<string, FieldSpec> = {}): SctpChunk {
  return { name, type, fields: { ...COMMON, ...fields } };
}

export const SCTP_CHUNKS: SctpChunk[] = [
  chunk('data', 0, { tsn: field(32, 32, int), stream: field(64, 16, int), ssn: field(80, 16, int), ppid: field(96, 32, int) }),
  chunk('init', 1, INIT),
  chunk('init-ack', 2, INIT),
  chunk('sack', 3, { 'cum-tsn-ack': field(32, 32, int), 'a-rwnd': field(64, 32, int), 'num-gap-ack-blocks': field(96, 16, int), 'num-dup-tsns': field(112, 16, int) }),
  chunk('heartbeat', 4),
  chunk('heartbeat-ack', 5),
  chunk('abort', 6),
  chunk('shutdown', 7, { 'cum-tsn-ack': field(32, 32, int) }),
  chunk('shutdown-ack', 8),
  chunk('error', 9),
  chunk('cookie-echo', 10),
  chunk('cookie-ack', 11),
  chunk('ecne', 12, { 'lowest-tsn': field(32, 32, int) }),
  chunk('cwr', 13, { 'lowest-tsn': field(32, 32, int) }),
  chunk('shutdown-complete', 14),
  chunk('asconf-ack', 128, { seqno: field(32, 32, int) }),
  chunk('forward-tsn', 192, { 'new-cum-tsn': field(32, 32, int) }),
  chunk('asconf', 193, { seqno: field(32, 32, int) }),
];

export function sctpChunk(name: string): SctpChunk | undefined {
  return SCTP_CHUNKS.find((c) => c.name === name);
}
