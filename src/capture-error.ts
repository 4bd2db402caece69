// A damaged or unsupported capture: what is wrong and where.
import { CaptureError } from '../assembly/abi.js';

const MESSAGES: Record<CaptureError, string> = {
  [CaptureError.None]: 'no error',
  [CaptureError.NotACapture]: 'not a pcap or pcapng capture',
  [CaptureError.UnsupportedLinkType]: 'unsupported link type',
  [CaptureError.Truncated]: 'the capture ends in the middle of a record',
  [CaptureError.RecordTooLong]: 'a record is longer than the capture allows',
  [CaptureError.BadBlock]: 'a damaged pcapng block',
  [CaptureError.UnknownInterface]: 'a packet of an interface the pcapng section does not describe',
};

export class CaptureFormatError extends Error {
  readonly code: CaptureError;
  // Byte offset in the capture of the damaged record or block.
  readonly offset: number;
  // 1-based number of the record that could not be read.
  readonly record: number;

  // detail: what the walker saw, e.g. the link type it does not support.
  constructor(code: CaptureError, offset: number, record: number, source = 'capture', detail = '') {
    super(`${source}: ${MESSAGES[code] ?? `error ${code}`}${detail ? ` ${detail}` : ''} (record ${record}, byte offset ${offset})`);
    this.name = 'CaptureFormatError';
    this.code = code;
    this.offset = offset;
    this.record = record;
  }
}
