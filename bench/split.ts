// Where a whole run's time goes, per packet, from in-process timers: the
// same capture under rulesets that add one cost at a time (reading and
// walking the records, connection tracking, the rules), then with the
// accepted packets written as `-w` writes them.
import { closeSync, openSync, readSync } from 'node:fs';
import { OutputClass } from '../assembly/abi.js';
import { compile, createFilter } from '../src/index.js';
import { CaptureFile } from '../src/output/capture-file.js';

const WALK = 'table inet bench {\n\tchain forward {\n\t\ttype filter hook forward priority filter; policy accept;\n\t}\n}\n';
const CONNTRACK = 'table inet bench {\n\tchain forward {\n\t\ttype filter hook forward priority filter; policy accept;\n\t\tct state untracked drop\n\t}\n}\n';

export interface Split {
  walk: number;
  conntrack: number;
  rules: number;
  output: number;
}

async function timeRun(rules: string, path: string, write: boolean): Promise<number> {
  const filter = await createFilter(compile(rules));
  // What `-w /dev/null` does: the data plane writes the records.
  const file = write ? new CaptureFile('/dev/null', 'pcap') : null;
  file?.feedFrom(filter, OutputClass.Accepted);
  const fd = openSync(path, 'r');
  const run = filter.openCapture();
  const start = process.hrtime.bigint();
  try {
    for (;;) {
      const n = readSync(fd, run.space());
      run.filled(n);
      if (n === 0) break;
    }
    file?.close(1);
  } finally {
    closeSync(fd);
  }
  return Number(process.hrtime.bigint() - start) / filter.stats().packets;
}

// Each figure the best of `runs`: on a shared machine the fastest run is
// the least disturbed one.
export async function splitOf(rules: string, path: string, runs: number): Promise<Split> {
  const best = async (r: string, write: boolean) => {
    let ns = Infinity;
    for (let i = 0; i < runs; i++) ns = Math.min(ns, await timeRun(r, path, write));
    return ns;
  };
  const walk = await best(WALK, false);
  const conntrack = await best(CONNTRACK, false);
  const ruled = await best(rules, false);
  const written = await best(rules, true);
  return { walk, conntrack: conntrack - walk, rules: ruled - conntrack, output: written - ruled };
}
