// `npm run bench`: whole-run comparison with tcpdump, micro benchmarks and
// scaling curves, printed as a report (and written to bench/RESULTS.md with
// --results).
//   --runs N       alternating whole runs per contender (default 5)
//   --packets N[,N...]  packets of each whole-run capture shape (default
//                  1000000; with --full 1000000,4000000)
//   --workers N    also time `nftwasm filter --workers N` (default 2; 1: not)
//   --full         full scaling sweeps: 1M flows, sets to 100k, 10k rules;
//                  a larger whole-run capture; the machine's parallel ceiling
//   --quick        whole runs only
//   --results      write the report to bench/RESULTS.md
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BENCH_DIR, emptyCapture } from './captures.js';
import { SHAPES } from './shapes.js';
import { splitOf } from './split.js';
import { describeMachine, loadNow } from './machine.js';
import { compareWholeRuns, nftwasmContender, parallelCeiling, tcpdumpContender, type Contender } from './whole-run.js';
import { microBenchmarks } from './micro.js';
import { flowCurve, ruleCurve, setCurve, type CurvePoint } from './scaling.js';
import { formatRate } from './stats.js';

interface Args {
  runs: number;
  packets: number[];
  workers: number;
  full: boolean;
  quick: boolean;
  results: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const a: Args = { runs: 5, packets: [], workers: 2, full: false, quick: false, results: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const positive = (text: string | undefined): number => {
      const n = Number(text);
      if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${flag} expects a positive integer`);
      return n;
    };
    const num = (): number => positive(argv[++i]);
    if (flag === '--runs') a.runs = num();
    else if (flag === '--packets') a.packets = (argv[++i] ?? '').split(',').map(positive);
    else if (flag === '--workers') a.workers = num();
    else if (flag === '--full') a.full = true;
    else if (flag === '--quick') a.quick = true;
    else if (flag === '--results') a.results = true;
    else throw new Error(`unknown argument ${flag}`);
  }
  if (a.packets.length === 0) a.packets = a.full ? [1_000_000, 4_000_000] : [1_000_000];
  return a;
}

function curveTable(title: string, xName: string, points: readonly CurvePoint[]): string {
  const rows = points.map((p) => `| ${p.x} | ${p.nsPerPacket.toFixed(1)} | ${p.nsExtra === undefined ? '' : p.nsExtra.toFixed(1)} | ${p.note ?? ''} |`);
  const ns = points.map((p) => p.nsExtra ?? p.nsPerPacket).filter((n) => n > 0);
  const spread = ns.length > 1 ? `max/min ${(Math.max(...ns) / Math.min(...ns)).toFixed(2)}` : '';
  return `### ${title} (${spread})\n\n| ${xName} | ns/packet | ns/packet over empty chain | |\n|---|---|---|---|\n${rows.join('\n')}\n`;
}

export async function main(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv);
  const out: string[] = [];
  const say = (s: string): void => {
    process.stdout.write(s);
    out.push(s);
  };
  const log = (s: string): void => void process.stderr.write(s);
  const m = describeMachine();
  say(`# nftwasm benchmarks\n\nCommand: \`npm run bench -- ${argv.join(' ')}\`\n\nMachine: ${m.cpu}, ${m.cores} cores, load average at start ${m.load}, Node ${m.node}, ${m.tcpdump}\n\n`);

  const rules = join(BENCH_DIR, 'ruleset.nft');
  const bpf = readFileSync(join(BENCH_DIR, 'ruleset.bpf'), 'utf8').trim();
  // Both sides do the same work: tcpdump writes the packets its filter
  // matches, nftwasm the packets its ruleset accepts.
  const WRITE = ['-w', '/dev/null'];
  const contendersFor = (capture: string): Contender[] => {
    const list = [nftwasmContender(rules, capture, WRITE), tcpdumpContender(bpf, capture)];
    if (args.workers > 1) list.push(nftwasmContender(rules, capture, [...WRITE, '--workers', String(args.workers)], `nftwasm filter --workers ${args.workers}`));
    return list;
  };
  const rulesText = readFileSync(rules, 'utf8');
  let first = '';
  let last = '';
  const ratios: string[] = [];
  for (const packets of args.packets) {
    for (const shape of SHAPES) {
      const capture = shape.capture(packets, log);
      first ||= capture;
      last = capture;
      const whole = compareWholeRuns(contendersFor(capture), args.runs);
      const tcpdump = whole.find((w) => w.name === 'tcpdump')!;
      const ratio = tcpdump.median / whole[0]!.median;
      ratios.push(`${shape.name} ${packets}: ${ratio.toFixed(2)}`);
      say(`## Whole runs, ${shape.name}: ${packets} packets\n\n${shape.describe}. bench/ruleset.nft against tcpdump with bench/ruleset.bpf, both writing what they let through to /dev/null; median of ${args.runs} alternating runs after one warm-up, load average at end ${loadNow()}\n\n| contender | median s | packets/s | ratio to tcpdump (>1: faster) | runs (s) |\n|---|---|---|---|---|\n`);
      for (const w of whole) {
        say(`| ${w.name} | ${w.median.toFixed(3)} | ${formatRate(packets / w.median)} | ${(tcpdump.median / w.median).toFixed(2)} | ${w.seconds.map((s) => s.toFixed(2)).join(' ')} |\n`);
      }
      if (args.workers > 1) say(`\n--workers ${args.workers} against one worker: ${(whole[0]!.median / whole[2]!.median).toFixed(2)}x\n`);
      const split = await splitOf(rulesText, capture, 3);
      const total = split.walk + split.conntrack + split.rules + split.output;
      say(`\nPer packet, in process (best of 3): read and walk ${split.walk.toFixed(0)} ns, conntrack ${split.conntrack.toFixed(0)} ns, rules ${split.rules.toFixed(0)} ns, output ${split.output.toFixed(0)} ns; ${total.toFixed(0)} ns in all\n\n`);
    }
  }
  say(`Ratios to tcpdump (>1: nftwasm faster), median of alternating whole runs with output on both sides: ${ratios.join('; ')}\n\n`);

  // The fixed cost in every figure above: a run over a capture of no packets.
  const startUp = compareWholeRuns(contendersFor(emptyCapture(first)), args.runs);
  say(`## Start-up: the same commands over a capture of no packets\n\nMedian of ${args.runs} alternating runs; load average at end ${loadNow()}\n\n| contender | median s | runs (s) |\n|---|---|---|\n`);
  for (const w of startUp) say(`| ${w.name} | ${w.median.toFixed(3)} | ${w.seconds.map((s) => s.toFixed(2)).join(' ')} |\n`);
  say('\n');

  if (args.full && args.workers > 1) {
    const c = await parallelCeiling(nftwasmContender(rules, last), args.workers, args.runs);
    say(`## Parallel ceiling of this machine\n\n${args.workers} independent \`nftwasm filter\` runs of the ${args.packets.at(-1)}-packet capture at once, against one alone (median of ${args.runs} alternating rounds; load average at end ${loadNow()}): one alone ${c.alone.toFixed(3)} s, ${args.workers} at once ${c.together.toFixed(3)} s, **${c.throughput.toFixed(2)}x** the work per second of one. Sharding one run over ${args.workers} worker threads shares the cores, caches and memory bandwidth the same way, so this is the most --workers ${args.workers} can reach here.\n\n`);
  }

  if (!args.quick) {
    say(`## Micro benchmarks (tinybench, median of 5 runs of 100k packets on a fresh filter; load ${loadNow()})\n\n| task | ns/packet | ns/rule over baseline |\n|---|---|---|\n`);
    for (const r of await microBenchmarks(100_000, 5)) {
      say(`| ${r.name} | ${r.nsPerPacket.toFixed(1)} | ${r.nsPerRule === undefined ? '' : r.nsPerRule.toFixed(2)} |\n`);
    }
    const runs = 3;
    say(`\n## Scaling (in-process, best of ${runs}${args.full ? ', full sweep' : ', default sweep: --full adds 1M flows, sets of 1k-100k, 10k rules'}; load ${loadNow()})\n\n`);
    say(curveTable('Concurrent flows, bench/ruleset.nft', 'flows', await flowCurve(args.full, runs, log)) + '\n');
    say(curveTable('Named set of addresses, one lookup per packet', 'elements', await setCurve(args.full, runs, false)) + '\n');
    say(curveTable('Interval set of address ranges, one lookup per packet', 'ranges', await setCurve(args.full, runs, true)) + '\n');
    say(curveTable('Linear rules, all evaluated per packet', 'rules', await ruleCurve(args.full, runs)) + '\n');
    say(`Load average at end: ${loadNow()}\n`);
  }
  if (args.results) {
    const path = join(BENCH_DIR, 'RESULTS.md');
    writeFileSync(path, out.join('') + analysisOf(path));
  }
  return 0;
}

// The hand-written reading of the figures at the end of RESULTS.md, from
// its heading on: kept when the figures above it are measured anew.
const ANALYSIS_HEADING = '\n## Reading these figures\n';

function analysisOf(path: string): string {
  if (!existsSync(path)) return '';
  const text = readFileSync(path, 'utf8');
  const at = text.indexOf(ANALYSIS_HEADING);
  return at < 0 ? '' : text.slice(at);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = await main(process.argv.slice(2));
