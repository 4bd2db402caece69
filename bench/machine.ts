// What a figure was measured on: results mean little without the CPU and
// how busy it was (other builds and tests share the machine).
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { spawnSync } from 'node:child_process';

export interface Machine {
  cpu: string;
  cores: number;
  load: string;
  node: string;
  tcpdump: string;
}

function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('model name'));
    if (line) return line.split(':')[1]!.trim();
  } catch {
    // Not Linux: fall through to what Node reports.
  }
  return cpus()[0]?.model ?? 'unknown';
}

function tcpdumpVersion(): string {
  const r = spawnSync('tcpdump', ['--version'], { encoding: 'utf8' });
  return r.error ? 'missing' : (r.stdout || r.stderr).split('\n')[0]!.trim();
}

export function describeMachine(): Machine {
  return {
    cpu: cpuModel(),
    cores: cpus().length,
    load: loadavg().map((l) => l.toFixed(2)).join(' '),
    node: process.version,
    tcpdump: tcpdumpVersion(),
  };
}

export function loadNow(): string {
  return loadavg()[0]!.toFixed(2);
}
