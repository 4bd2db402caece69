// The file of --log: the kernel log lines of the packets `log` statements
// logged, as `dmesg --raw` prints them; what the kernel sends elsewhere
// (NFLOG groups, the audit log) is counted, not written.
import type { LogEntry } from '../packet-log.js';
import { FdOutput, TextOutput } from './fd-output.js';
import { dmesgLine } from './log-format.js';

export class LogFile {
  lines = 0;
  audit = 0;
  // Packets handed to each NFLOG group.
  readonly groups = new Map<number, number>();
  private readonly fd: FdOutput;
  private readonly text: TextOutput;

  constructor(readonly path: string) {
    this.fd = FdOutput.open(path);
    this.text = new TextOutput(this.fd);
  }

  readonly listener = (e: LogEntry): void => {
    if (e.target === 'syslog') {
      this.text.line(dmesgLine(e.level!, e.timeNs, e.message!));
      this.lines++;
    } else if (e.target === 'nflog') {
      this.groups.set(e.group!, (this.groups.get(e.group!) ?? 0) + 1);
    } else {
      this.audit++;
    }
  };

  flush(): void {
    this.text.flush();
  }

  close(): void {
    this.text.flush();
    this.fd.close();
  }

  // What the summary says of it; lost: a packet met more log statements
  // than the data plane's log buffer holds.
  summary(lost: boolean): string {
    const parts = [`${this.lines} line${this.lines === 1 ? '' : 's'} written to ${this.fd.path}`];
    for (const [group, n] of [...this.groups].sort((a, b) => a[0] - b[0])) {
      parts.push(`${n} packet${n === 1 ? '' : 's'} sent to NFLOG group ${group} (not written: the kernel hands them to a listener in userspace)`);
    }
    if (this.audit > 0) parts.push(`${this.audit} packet${this.audit === 1 ? '' : 's'} logged at level audit (not written: they go to the audit log)`);
    if (lost) parts.push('some were lost: a packet met more log statements than the log buffer holds');
    return `nftwasm: --log: ${parts.join('; ')}`;
  }
}
