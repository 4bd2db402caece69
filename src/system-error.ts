// A failed system call on a file as one plain sentence naming the file, as
// the C library's strerror words it (`cat: FILE: Permission denied`), not
// Node's message, which repeats the path and adds the call's name.
import { getSystemErrorMap } from 'node:util';

const STRERROR: Record<string, string> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
  ENAMETOOLONG: 'File name too long',
  ELOOP: 'Too many levels of symbolic links',
  EROFS: 'Read-only file system',
  ENOSPC: 'No space left on device',
  EDQUOT: 'Disk quota exceeded',
  EFBIG: 'File too large',
  EIO: 'Input/output error',
  EMFILE: 'Too many open files',
  ENXIO: 'No such device or address',
  ETXTBSY: 'Text file busy',
  EBUSY: 'Device or resource busy',
  EINVAL: 'Invalid argument',
};

// Paths longer than this are shortened in the middle: the sentence must
// still read as one line.
const LONGEST_PATH = 160;

export function shownPath(path: string): string {
  if (path.length <= LONGEST_PATH) return path;
  const keep = (LONGEST_PATH - 20) / 2;
  return `${path.slice(0, keep)}...(${path.length} characters)...${path.slice(-keep)}`;
}

// A failed system call's error as strerror words it.
export function strerrorText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const known = err.code ? STRERROR[err.code] : undefined;
  const fromLibuv = err.errno !== undefined ? getSystemErrorMap().get(err.errno)?.[1] : undefined;
  return known ?? (fromLibuv ? fromLibuv[0]!.toUpperCase() + fromLibuv.slice(1) : (err.message ?? String(e)));
}

export function systemErrorText(path: string, e: unknown): string {
  return `${shownPath(path)}: ${strerrorText(e)}`;
}
