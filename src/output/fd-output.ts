// Synchronous writes to a file descriptor that survive a non-blocking pipe:
// standard output handed to `head` or a slow reader returns EAGAIN instead
// of blocking, and the data must still arrive in order.
import { closeSync, openSync, writeSync } from 'node:fs';
import { systemErrorText } from '../system-error.js';

const RETRY_WAIT_MS = 2;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

// The reader of a pipe went away (`nftwasm ... | head`): like any filter
// program, stop quietly.
export class OutputClosedError extends Error {}

// A write failed for another reason (a full disk): an error naming the file.
export class OutputError extends Error {}

export class FdOutput {
  private closed = false;
  // After a failed write nothing more is attempted, so closing is safe.
  private broken = false;

  private constructor(readonly fd: number, readonly path: string, private readonly owned: boolean) {}

  // '-' is standard output.
  static open(path: string): FdOutput {
    if (path === '-') return new FdOutput(1, 'standard output', false);
    return new FdOutput(openSync(path, 'w'), path, true);
  }

  static stdout(): FdOutput {
    return new FdOutput(1, 'standard output', false);
  }

  write(chunk: Uint8Array): void {
    if (this.broken) return;
    let at = 0;
    while (at < chunk.length) {
      try {
        at += writeSync(this.fd, chunk, at, chunk.length - at);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') {
          Atomics.wait(sleeper, 0, 0, RETRY_WAIT_MS);
          continue;
        }
        this.broken = true;
        if (code === 'EPIPE') throw new OutputClosedError(this.path);
        throw new OutputError(systemErrorText(this.path, e));
      }
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.owned) closeSync(this.fd);
  }
}

// Lines of text gathered per batch and written in one piece.
export class TextOutput {
  private parts: string[] = [];
  private size = 0;
  private static readonly FLUSH_AT = 1 << 16;

  constructor(private readonly out: FdOutput) {}

  line(s: string): void {
    this.parts.push(s, '\n');
    this.size += s.length + 1;
    if (this.size >= TextOutput.FLUSH_AT) this.flush();
  }

  flush(): void {
    if (this.parts.length === 0) return;
    this.out.write(Buffer.from(this.parts.join(''), 'utf8'));
    this.parts = [];
    this.size = 0;
  }
}
