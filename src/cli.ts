// The `nftwasm` command line. Exit codes: 0 ok, 1 input error (a ruleset or
// capture that cannot be read, an interface that cannot be captured on),
// 2 usage error.
import { Command, CommanderError, Option } from 'commander';
import { readFileSync, readdirSync, openSync, readSync, closeSync, fstatSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { systemErrorText } from './system-error.js';
import { compile, NftError, createFilter, CaptureFormatError } from './index.js';
import { memoryReader, parseLocalAddresses, type Filter, type ConntrackFormat } from './filter.js';
import type { ShardedFilter } from './workers.js';
import type { PacketBatch } from './packet-batch.js';
import { NFT_VERSION, type CompileOptions, type Ruleset } from '../compiler/index.js';
import { DEFAULT_INCLUDE_DIRS } from '../compiler/include.js';
import { hostAccounts, hostCgroups, hostServices } from './host-names.js';
import { looksLikeJson } from '../compiler/json-input.js';
import { RulesetFlags, RulesetHeader } from '../assembly/abi.js';
import { FdOutput, OutputClosedError, OutputError } from './output/fd-output.js';
import { RunOutputs } from './output/run-outputs.js';
import { MixedLinkTypesError, type CaptureFormat } from './output/capture-file.js';
import { Progress } from './output/progress.js';
import { conntrackJsonChunks, listingJson } from './output/report-json.js';
import { painterFor, type Paint } from './output/style.js';
import { TRACE_TABLE } from './output/trace-format.js';
import { CAP_MISSING, LiveCaptureError, captureLive, loadCap } from './live-capture.js';
import { diffRulesets } from './diff.js';
import { summarizeCoverage } from './coverage.js';
import { coverageJson, coverageListing, coverageSummaryText } from './output/coverage-format.js';
import { changeJson, changeText, summaryJson, summaryText } from './output/diff-format.js';
import { HostNetworkError, parseInterfaces, parseRoutes, type HostNetwork } from './host-network.js';
import { LogFile } from './output/log-file.js';

export const EXIT_OK = 0;
export const EXIT_INPUT = 1;
export const EXIT_USAGE = 2;

class InputError extends Error {}

interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  // Whether standard error is a terminal (progress bar, colours).
  errIsTTY?: boolean;
}

function usage(message: string): CommanderError {
  return new CommanderError(EXIT_USAGE, 'nftwasm.usage', message);
}

function fileError(path: string, e: unknown): InputError {
  return new InputError(systemErrorText(path, e));
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw fileError(path, e);
  }
}

// --interfaces and --routes, read and checked.
interface NetworkFlags {
  interfaces?: string;
  routes?: string;
  includepath?: string[];
}

function readNetwork(flags: NetworkFlags): HostNetwork | undefined {
  if (flags.routes && !flags.interfaces) throw usage('--routes needs --interfaces: routes name their devices');
  if (!flags.interfaces) return undefined;
  const devices = parseInterfaces(readText(flags.interfaces), flags.interfaces);
  const routes = flags.routes ? parseRoutes(readText(flags.routes), devices, flags.routes) : [];
  return { devices, routes };
}

function addNetworkOptions(cmd: Command): Command {
  return cmd
    .option('--interfaces <FILE>', "the host's devices, as `ip -j addr` prints them: iif and oif names, input devices, and the local addresses")
    .option('--routes <FILE>', "the host's routes, as `ip -j route show table all` prints them: output devices")
    .option('-I, --includepath <DIR>', `a directory include searches after ${DEFAULT_INCLUDE_DIRS.join(', ')}, as nft -I (repeatable)`, collect);
}

// What nft reads a ruleset file with on this host: its include path, name
// databases and devices.
function hostCompileOptions(path: string, flags: NetworkFlags, network?: HostNetwork): CompileOptions {
  return {
    filename: path, readFile: readText, listDir: (dir) => readdirSync(dir), accounts: hostAccounts(), services: hostServices(), cgroups: hostCgroups(),
    includeDirs: [...DEFAULT_INCLUDE_DIRS, ...(flags.includepath ?? [])], ...(network ? { interfaces: network.devices } : {}),
  };
}

// A file starting with a brace is nft's JSON (compile() tells).
function compileFile(path: string, flags: NetworkFlags, network?: HostNetwork): Ruleset {
  return compile(readText(path), hostCompileOptions(path, flags, network));
}

// The ruleset with a table of our own whose chains select the packets
// matching `expr` for tracing, as a `meta nftrace set 1` rule does in nft:
// the data plane treats them as trigger chains. They sit at priority -350 on
// prerouting and output, before conntrack (so `ct` expressions see no state
// yet, as with nft's usual raw-priority trace rule); the table is appended,
// so the user's line numbers, handles, chains and counters stay the same.
function traceTable(expr: string): string {
  const chain = (hook: string) => `\tchain ${hook} {\n\t\ttype filter hook ${hook} priority -350; policy accept;\n\t\t${expr}\n\t}\n`;
  return `table inet ${TRACE_TABLE} {\n${chain('prerouting')}${chain('output')}}\n`;
}

// The expression alone, as the last command of a file with nothing after
// it, as nft reads it from its command line: what it lacks at its end is
// an unexpected end of file, not the table's next line.
function traceFilterCheck(expr: string): string {
  return `table inet ${TRACE_TABLE} {\n\tchain prerouting {\n\t\ttype filter hook prerouting priority -350; policy accept;\n\t}\n}\n${TRACE_RULE}${expr}`;
}

const TRACE_RULE = `add rule inet ${TRACE_TABLE} prerouting `;
const TRACE_RULE_LINE = 6;

// An error in the expression as nft prints one in a command given on its
// command line: the message, the expression, carets under the fault (past
// its end for what is missing there).
function traceFilterError(expr: string, e: NftError): string {
  return e.errors.map((err) => {
    const detail = /: Error: (.*)/.exec(err.message.split('\n')[0]!)?.[1] ?? err.message;
    const inExpr = err.line === TRACE_RULE_LINE && err.column > TRACE_RULE.length;
    const from = inExpr ? err.column - TRACE_RULE.length : expr.length + 1;
    const to = inExpr ? Math.max(from, err.endColumn - TRACE_RULE.length) : from;
    let marker = '';
    for (let i = 1; i <= to; i++) marker += i >= from ? '^' : expr[i - 1] === '\t' ? '\t' : ' ';
    return `--trace-filter: Error: ${detail}\n${expr}\n${marker}`;
  }).join('\n');
}

// What a selecting rule's bytecode may hold: loads, comparisons and lookups
// in sets, and counters; no verdict, no write, nothing that changes what
// happens to the packet or what the user's rules see.
const SELECTING = /^\s+\[ (?:(?:payload|meta|ct|exthdr) load |cmp |bitwise |range |byteorder |counter |immediate reg [1-9]|lookup (?!.*dreg))/;

function compileWithTraceFilter(path: string, expr: string, flags: NetworkFlags, network?: HostNetwork): Ruleset {
  const interfaces = network ? { interfaces: network.devices } : {};
  if (/[\n\r]/.test(expr)) throw usage('--trace-filter takes an expression on one line');
  let check: Ruleset;
  try {
    check = compile(traceFilterCheck(expr), { filename: '--trace-filter', ...interfaces });
  } catch (e) {
    if (e instanceof NftError) throw usage(traceFilterError(expr, e));
    throw e;
  }
  const rule = check.toNetlinkDebug().split('\n').filter((l) => l.startsWith('  [ '));
  if (check.rules.length !== 1 || !rule.every((l) => SELECTING.test(l))) {
    throw usage(`--trace-filter '${expr}': give one expression that selects packets, without verdicts or statements that change them or their connection`);
  }
  const text = readText(path);
  if (looksLikeJson(text)) throw usage(`--trace-filter takes a ruleset in nft's language; ${path} is JSON`);
  return compile(`${text}\n${traceTable(expr)}`, hostCompileOptions(path, flags, network));
}

function hideTraceTable(listing: string): string {
  return listing.replace(new RegExp(`\\n?table inet ${TRACE_TABLE} \\{[\\s\\S]*?\\n\\}\\n`), '');
}

// A repeatable option; no default, which --help would print as `[]`.
function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function parseSysctls(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw usage(`--sysctl expects NAME=VALUE, got "${item}"`);
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

// Every --local given, each a list separated by commas.
function localAddresses(given: readonly string[]): string[] {
  return given.flatMap((list) => list.split(',').map((a) => {
    const address = a.trim();
    if (address === '') throw usage(`--local expects IPv4 or IPv6 addresses separated by commas, got "${list}"`);
    try {
      parseLocalAddresses([address]);
    } catch (e) {
      if (e instanceof RangeError) throw usage(`--local: ${e.message}`);
      throw e;
    }
    return address;
  }));
}

function parsePacketNumbers(text: string): number[] {
  return text.split(',').map((part) => {
    const n = Number(part.trim());
    if (!Number.isInteger(n) || n < 1) throw usage(`--trace expects packet numbers from 1 up, separated by commas, got "${text}"`);
    return n;
  });
}

function positiveNumber(flag: string, integer: boolean) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
      throw usage(`${flag} expects a positive ${integer ? 'integer' : 'number'}, got "${value}"`);
    }
    return n;
  };
}

function seedNumber(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 0xffffffff) throw usage(`--seed expects a number from 0 to 4294967295, got "${value}"`);
  return n;
}

// Flags shared by `filter` and `capture`.
interface RunFlags extends NetworkFlags {
  file: string;
  workers?: number;
  write?: string;
  dropped?: string;
  format?: CaptureFormat;
  json?: boolean;
  events?: boolean;
  trace?: string;
  traceFilter?: string;
  local?: string[];
  list?: boolean;
  nftJson?: boolean;
  conntrack?: boolean;
  conntrackFormat: ConntrackFormat;
  sysctl?: string[];
  seed?: number;
  quiet?: boolean;
  coverage?: boolean;
  log?: string;
}

interface FilterFlags extends RunFlags {
  read: string;
  progress: boolean;
}

interface CaptureFlags extends RunFlags {
  interface: string;
  count?: number;
  duration?: number;
  captureFilter?: string;
}

function addRunOptions(cmd: Command): Command {
  return addNetworkOptions(cmd
    .requiredOption('-f, --file <FILE>', 'ruleset file'))
    .option('-w, --write <OUT>', 'write accepted packets to this capture file, - for standard output')
    .option('--dropped <OUT>', 'write dropped packets to this capture file, - for standard output')
    .addOption(new Option('-F, --format <FORMAT>', 'capture format of -w and --dropped (default: pcapng for names ending in .pcapng, else pcap)').choices(['pcap', 'pcapng']))
    .option('--json', 'one JSON object per line for each packet: number, time, verdict, deciding rule or policy, ct state, direction and id')
    .option('--events', 'print conntrack events as `conntrack -E -o timestamp,extended,id` does (JSON with --json)')
    .option('--trace <N[,N...]>', 'trace these packets (numbered from 1) through hooks, chains and rules, as `nft monitor trace` does')
    .option('--trace-filter <EXPR>', "trace the packets matching an nft expression, e.g. 'tcp dport 22'")
    .option('--local <ADDR[,ADDR...]>', "the filtering host's addresses: packets to them take input, from them output, the rest forward (repeatable; default: those of --interfaces)", collect)
    .option('--list', 'print the ruleset with its counters at the end, as `nft list ruleset`')
    .option('-j, --nft-json', 'nft\'s JSON, as `nft -j`: -f FILE may be JSON (as without -j), --list prints as `nft -j list ruleset`')
    .option('--conntrack', 'print the conntrack table at the end, as `conntrack -L -o extended,id`')
    .option('--log <FILE>', 'write what log statements put in the kernel log, as `dmesg --raw` prints it (with the capture time), - for standard output')
    .option('--coverage', 'print the ruleset with how many packets reached and matched each rule, and the rules shadowed, reached by none or never matched')
    .addOption(new Option('--conntrack-format <FORMAT>', 'the table as `conntrack -L -o extended,id` or as /proc/net/nf_conntrack').choices(['conntrack', 'proc']).default('conntrack'))
    .option('--sysctl <NAME=VALUE>', 'set a conntrack tunable, e.g. nf_conntrack_tcp_loose=0 (repeatable)', collect)
    .option('--seed <N>', 'seed of meta random and of the conntrack hash (a number below 2^32; the same seed, the same run)', seedNumber)
    .option('-q, --quiet', 'no summary on standard error');
}

function checkStdout(flags: RunFlags): void {
  const named = (list: Array<string | false | undefined>): string[] => list.filter((x): x is string => !!x);
  const takers = named([flags.write === '-' && '-w -', flags.dropped === '-' && '--dropped -', flags.log === '-' && '--log -']);
  const text = named([flags.json && '--json', flags.events && '--events', flags.trace && '--trace', flags.traceFilter && '--trace-filter', flags.list && '--list', flags.conntrack && '--conntrack', flags.coverage && '--coverage']);
  if (takers.length > 1 || (takers.length === 1 && text.length > 0)) {
    const all = [...takers, ...text];
    const options = `${all.slice(0, -1).join(', ')} and ${all[all.length - 1]}`;
    const fix = takers.length > 1 ? 'give one of them a file name' : `give ${takers[0]!.slice(0, -2)} a file name, or leave out ${text.join(' and ')}`;
    throw usage(`${options} conflict: ${all.length > 2 ? 'each writes' : 'both write'} to standard output; ${fix}`);
  }
}

interface Prepared {
  filter: Filter;
  outputs: RunOutputs;
  tracePackets: readonly number[];
  log?: LogFile;
}

async function prepare(flags: RunFlags, io: Io): Promise<Prepared> {
  checkStdout(flags);
  const network = readNetwork(flags);
  const ruleset = flags.traceFilter ? compileWithTraceFilter(flags.file, flags.traceFilter, flags, network) : compileFile(flags.file, flags, network);
  // Without --local, the addresses of --interfaces.
  const local = flags.local || !network ? localAddresses(flags.local ?? []) : undefined;
  const tracePackets = flags.trace ? parsePacketNumbers(flags.trace) : undefined;
  const tracing = tracePackets !== undefined || flags.traceFilter !== undefined;
  let log: LogFile | undefined;
  try {
    log = flags.log !== undefined ? new LogFile(flags.log) : undefined;
  } catch (e) {
    throw fileError(flags.log!, e);
  }
  let filter: Filter;
  try {
    const options = {
      ...(local ? { local } : {}),
      ...(network ? { network } : {}),
      ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
      sysctl: parseSysctls(flags.sysctl ?? []),
      events: !!flags.events,
      coverage: !!flags.coverage,
      ...(log ? { log: log.listener } : {}),
      ...(tracing ? { trace: { packets: tracePackets ?? [], ...(flags.traceFilter ? { triggerChainsFrom: ruleset.chains.findIndex((c) => c.table === TRACE_TABLE) } : {}) } } : {}),
    };
    // Worker threads are loaded only when asked for, off the start-up of a plain run.
    filter = flags.workers && flags.workers > 1
      ? await (await import('./workers.js')).createShardedFilter(ruleset, flags.workers, options)
      : await createFilter(ruleset, options);
  } catch (e) {
    log?.close();
    if (e instanceof RangeError) throw usage(e.message);
    throw e;
  }
  const accounting = accountingOn(ruleset);
  let outputs: RunOutputs;
  try {
    outputs = new RunOutputs(ruleset, {
      write: flags.write,
      dropped: flags.dropped,
      format: flags.format,
      json: !!flags.json,
      events: !!flags.events,
      trace: tracing,
      tracePackets,
      accounting,
      paint: stdoutPainter(),
      ...(log ? { log } : {}),
      ...(network ? { deviceNames: new Map(network.devices.map((d) => [d.index, d.name])) } : {}),
    });
  } catch (e) {
    const path = (e as { path?: string }).path ?? flags.write ?? flags.dropped ?? '';
    throw fileError(path, e);
  }
  if (!isSharded(filter)) outputs.feedFrom(filter);
  return { filter, outputs, tracePackets: tracePackets ?? [], log };
}

// Conntrack accounting is on: entries and events carry packets and bytes.
function accountingOn(ruleset: Ruleset): boolean {
  const image = ruleset.image;
  return (new DataView(image.buffer, image.byteOffset, image.byteLength).getUint32(RulesetHeader.Flags * 4, true) & RulesetFlags.Accounting) !== 0;
}

// Decided at the first coloured text: asking process.stdout whether it is a
// terminal creates the stream, which most runs never write to.
function stdoutPainter(): Paint {
  let paint: Paint | undefined;
  return (colour, text) => (paint ??= painterFor(process.stdout))(colour, text);
}

// The run's time and rate, as a reader of tcpdump or tshark statistics
// looks for them.
function timing(startedMs: number): (packets: number) => string {
  return (packets) => {
    const seconds = Math.max(performance.now() - startedMs, 1) / 1000;
    return `; ${seconds.toFixed(seconds < 10 ? 3 : 1)} s, ${Math.round(packets / seconds)} packets/s`;
  };
}

function report(filter: Filter, flags: RunFlags, io: Io, extra: string, took: (packets: number) => string, log?: LogFile): void {
  if (flags.list && flags.nftJson) io.out(filter.listRuleset({ json: true, omitTable: TRACE_TABLE }));
  if (flags.json) {
    // One stream of JSON objects, as jq reads it.
    if (flags.list && !flags.nftJson) io.out(`${listingJson(filter, hideTraceTable(filter.listRuleset()), TRACE_TABLE)}\n`);
    if (flags.conntrack) for (const chunk of conntrackJsonChunks(filter, accountingOn(filter.ruleset))) io.out(chunk);
  } else {
    if (flags.list && !flags.nftJson) io.out(hideTraceTable(filter.listRuleset()));
    if (flags.conntrack) for (const chunk of filter.conntrackListingChunks({ format: flags.conntrackFormat })) io.out(chunk);
  }
  if (flags.coverage) {
    const rules = filter.coverage(TRACE_TABLE);
    const summary = summarizeCoverage(rules);
    io.out(flags.json ? `${coverageJson(rules, summary)}\n` : `${coverageListing(hideTraceTable(filter.listRuleset({ handles: true })), rules)}${coverageSummaryText(summary)}`);
  }
  const s = filter.stats();
  if (!flags.quiet) {
    const paint = painterFor({ isTTY: io.errIsTTY });
    io.err(`nftwasm: ${s.packets} packets${extra}, ${paint('green', `${s.accepted} accepted`)}, ${paint('red', `${s.dropped} dropped`)}, ${s.conntrackEntries} conntrack entries${took(s.packets)}\n`);
    if (s.backInTime > 0) io.err(`nftwasm: ${s.backInTime} ${s.backInTime === 1 ? 'record was' : 'records were'} stamped earlier than one before ${s.backInTime === 1 ? 'it' : 'them'}: evaluated at the latest time seen, as the kernel's clock never goes back\n`);
    if (s.longerThanPacket > 0) io.err(`nftwasm: ${s.longerThanPacket} ${s.longerThanPacket === 1 ? 'record held' : 'records held'} more bytes than ${s.longerThanPacket === 1 ? 'its packet' : 'their packets'} had: read and written as the packet's length says, the rest left out\n`);
    reportFullTable(filter, io);
    reportBadChecksums(s.badChecksums, flags, io);
    if (log) io.err(`${log.summary(filter.log?.reader.truncated ?? false)}\n`);
  }
}

// A capture taken on a host that offloads checksums holds the packets it
// sent with checksums the device was to finish; replayed on the prerouting
// path, conntrack finds them invalid.
function reportBadChecksums(count: number, flags: RunFlags, io: Io): void {
  if (count === 0) return;
  const what = `${count} packet${count === 1 ? '' : 's'} invalid to conntrack for a bad TCP, UDP, ICMP or SCTP checksum alone`;
  const advice = flags.local
    ? 'if the capture holds packets with unfinished checksums, --sysctl nf_conntrack_checksum=0 skips the check'
    : "if the capture was taken on the filtering host, --local with the host's addresses sends its own packets through output, where the kernel checks nothing; or --sysctl nf_conntrack_checksum=0 skips the check";
  io.err(`nftwasm: ${what}: ${advice}\n`);
}

// The kernel's "nf_conntrack: table full, dropping packet", counted. Workers
// each hold their share of the table, and which entries make room in a
// full one depends on what else it holds.
function reportFullTable(filter: Filter, io: Io): void {
  const c = filter.conntrackStatistics();
  if (c.outOfMemory > 0) {
    io.err(`nftwasm: the conntrack table could not grow, memory ran out (WebAssembly addresses 4 GiB): ${c.outOfMemory} packets dropped for want of an entry, as the kernel drops them when it cannot allocate one\n`);
  }
  if (c.drop === c.outOfMemory && c.earlyDrop === 0) return;
  const shares = isSharded(filter) ? `; each of the ${filter.workers} workers held its share of the table, so which connections made room may differ from a run without --workers` : '';
  io.err(`nftwasm: the conntrack table was full (nf_conntrack_max): ${c.earlyDrop} entries dropped early to make room, ${c.drop - c.outOfMemory} packets dropped for want of it${shares}\n`);
}

function isSharded(filter: Filter): filter is ShardedFilter {
  return 'processFile' in filter;
}

function openCapture(path: string): number {
  try {
    const fd = openSync(path, 'r');
    if (fstatSync(fd).isDirectory()) {
      closeSync(fd);
      throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    }
    return fd;
  } catch (e) {
    throw fileError(path, e);
  }
}

// SIGINT and SIGTERM stop an offline run between two blocks of the capture:
// what was processed is written and reported, and the exit status is the
// shell's 128 + the signal's number. A second signal ends the process at once.
class Interruption {
  signal: NodeJS.Signals | null = null;
  readonly stopped: Promise<void>;
  private wake = () => {};
  private readonly onSignal = (signal: NodeJS.Signals) => {
    if (this.signal) process.exit(signalExit(this.signal));
    this.signal = signal;
    this.wake();
  };

  constructor() {
    this.stopped = new Promise((resolve) => (this.wake = resolve));
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
  }

  end(): void {
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
  }
}

class Interrupted extends Error {}

function signalExit(signal: NodeJS.Signals): number {
  return 128 + osConstants.signals[signal];
}

// Chunks of standard input until a signal comes, which ends the run without
// the end-of-capture checks: the record in hand is cut, not damaged.
async function* untilInterrupted(chunks: AsyncIterable<Uint8Array>, stop: Interruption): AsyncGenerator<Uint8Array> {
  const it = chunks[Symbol.asyncIterator]();
  const interrupted = stop.stopped.then(() => null);
  for (;;) {
    const next = await Promise.race([it.next(), interrupted]);
    if (next === null) throw new Interrupted();
    if (next.done) return;
    yield next.value;
  }
}

// A turn of the event loop, where a signal's handler runs, now and then:
// often enough to stop soon after Ctrl-C, seldom enough to cost nothing.
const TURN_EVERY_MS = 20;

function turns(): () => Promise<void> | undefined {
  let last = performance.now();
  return () => {
    const now = performance.now();
    if (now - last < TURN_EVERY_MS) return undefined;
    last = now;
    return new Promise<void>((resolve) => setImmediate(resolve));
  };
}

async function runFilter(flags: FilterFlags, io: Io): Promise<number> {
  // The capture is opened first: a missing one must not leave empty output
  // files behind.
  const fd = flags.read === '-' ? -1 : openCapture(flags.read);
  let failure: unknown = null;
  let progress: Progress | null = null;
  let prepared: Prepared;
  try {
    prepared = await prepare(flags, io);
  } catch (e) {
    if (fd >= 0) closeSync(fd);
    throw e;
  }
  const { filter, outputs, tracePackets, log } = prepared;
  const onBatch = outputs.wantsBatches ? outputs.onBatch : undefined;
  const stop = new Interruption();
  const took = timing(performance.now());
  try {
    if (fd < 0) {
      await filter.processStream(untilInterrupted(process.stdin, stop), onBatch, 'standard input');
    } else {
      progress = await Progress.forFile(fstatSync(fd).size, flags.progress && !flags.quiet && !!io.errIsTTY);
      let bytesRead = 0;
      const bar = progress;
      const onBatchWithProgress = bar
        ? (batch: PacketBatch) => {
            onBatch?.(batch);
            bar.update(bytesRead, batch.firstPacket + batch.count - 1);
          }
        : onBatch;
      try {
        // The workers read a file themselves, at positions a pipe does not have.
        const steps = isSharded(filter) && fstatSync(fd).isFile()
          ? filter.fileSteps(fd, onBatchWithProgress, flags.read, (n) => void (bytesRead += n))
          : filter.readerSteps((dest) => {
              try {
                const n = readSync(fd, dest);
                bytesRead += n;
                return n;
              } catch (e) {
                throw fileError(flags.read, e);
              }
            }, onBatchWithProgress, flags.read);
        try {
          const turn = turns();
          while (!steps.next().done && !stop.signal) await turn();
        } catch (e) {
          throw (e as NodeJS.ErrnoException).syscall === 'read' ? fileError(flags.read, e) : e;
        }
      } finally {
        closeSync(fd);
      }
    }
  } catch (e) {
    if (!(e instanceof Interrupted)) failure = e;
  }
  stop.end();
  if (fd < 0 && stop.signal) process.stdin.destroy();
  progress?.stop();
  // Whatever was read before any damage or interruption is still written
  // and reported.
  outputs.close(filter.engine.exports.captureLinkType() || 1);
  // A capture that gave not one packet has nothing to report but its error.
  const unreadable = (failure instanceof CaptureFormatError || failure instanceof InputError) && filter.stats().packets === 0;
  // A reader that went away takes nothing more: the summary alone goes to
  // standard error.
  if (!(failure instanceof OutputClosedError) && !unreadable) {
    try {
      report(filter, flags, io, stop.signal ? ` (stopped by ${stop.signal})` : '', took, log);
    } catch (e) {
      if (!(e instanceof OutputClosedError)) throw e;
      failure = e;
    }
  }
  if (failure instanceof OutputClosedError) report(filter, { ...flags, list: false, conntrack: false, coverage: false }, io, ` (the reader of ${failure.message} went away)`, took, log);
  if (failure) throw failure;
  if (stop.signal) return signalExit(stop.signal);
  const packets = filter.stats().packets;
  const beyond = tracePackets.filter((n) => n > packets);
  if (beyond.length > 0) throw usage(`--trace ${beyond.join(',')}: the capture has ${packets} packet${packets === 1 ? '' : 's'}`);
  return EXIT_OK;
}

async function runCapture(flags: CaptureFlags, io: Io): Promise<number> {
  const cap = loadCap();
  if (!cap) {
    io.err(`nftwasm: ${CAP_MISSING}`);
    return EXIT_INPUT;
  }
  const { filter, outputs, log } = await prepare(flags, io);
  const took = timing(performance.now());
  const result = await captureLive(cap, filter, {
    iface: flags.interface,
    captureFilter: flags.captureFilter,
    count: flags.count,
    durationSeconds: flags.duration,
    onBatch: outputs.onBatch,
    onFlush: () => outputs.flush(),
    onSnapshot: () => {
      outputs.flush();
      io.err(hideTraceTable(filter.listRuleset()));
      for (const chunk of filter.conntrackListingChunks({ format: flags.conntrackFormat })) io.err(chunk);
      const s = filter.stats();
      io.err(`nftwasm: ${s.packets} packets so far, ${s.accepted} accepted, ${s.dropped} dropped, ${s.conntrackEntries} conntrack entries\n`);
    },
    onStart: () => {
      if (!flags.quiet) io.err(`nftwasm: listening on ${flags.interface}\n`);
    },
  });
  outputs.close(result.linktype);
  if (!(result.error instanceof OutputClosedError)) report(filter, flags, io, ` captured on ${flags.interface}`, took, log);
  if (result.error) throw result.error;
  return EXIT_OK;
}

interface DiffFlags extends NetworkFlags {
  read: string;
  local?: string[];
  sysctl?: string[];
  json?: boolean;
  exitCode?: boolean;
}

// Standard input can be read once: it is kept in memory for the second run.
function captureSource(path: string): () => (dest: Uint8Array) => number {
  if (path === '-') {
    let bytes: Uint8Array | undefined;
    return () => {
      bytes ??= new Uint8Array(readFileSync(0));
      return memoryReader(bytes);
    };
  }
  return () => {
    const fd = openCapture(path);
    return (dest) => {
      try {
        const n = readSync(fd, dest);
        if (n === 0) closeSync(fd);
        return n;
      } catch (e) {
        closeSync(fd);
        throw fileError(path, e);
      }
    };
  };
}

async function runDiff(oldPath: string, newPath: string, flags: DiffFlags, io: Io): Promise<number> {
  const network = readNetwork(flags);
  const oldRuleset = compileFile(oldPath, flags, network);
  const newRuleset = compileFile(newPath, flags, network);
  // Without --local, the addresses of --interfaces, as filter takes them.
  const local = flags.local || !network ? localAddresses(flags.local ?? []) : undefined;
  const options = { ...(local ? { local } : {}), ...(network ? { network } : {}), sysctl: parseSysctls(flags.sysctl ?? []) };
  let result;
  try {
    result = await diffRulesets(oldRuleset, newRuleset, captureSource(flags.read), options, flags.read === '-' ? 'standard input' : flags.read);
  } catch (e) {
    if (e instanceof RangeError) throw usage(e.message);
    throw e;
  }
  for (const change of result.changes) io.out(flags.json ? `${changeJson(change)}\n` : changeText(change));
  if (flags.json) io.out(`${summaryJson(result)}\n`);
  else io.err(summaryText(result));
  return flags.exitCode && result.summary.changedFlows > 0 ? EXIT_INPUT : EXIT_OK;
}

const EXIT_CODES_HELP = '\nExit codes: 0 success, 1 input error (ruleset, capture file or interface), 2 usage error.\n';

function buildProgram(io: Io, result: { task?: Promise<number> }): Command {
  const program = new Command('nftwasm')
    .description('nftables rulesets compiled to bytecode and run over captures in WebAssembly, with connection tracking')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .option('-V, --version', "print nftwasm's version and that of the nft it mirrors")
    .addHelpText('after', EXIT_CODES_HELP);
  program.on('option:version', () => {
    io.out(`nftwasm ${packageVersion()} (the language, bytecode and messages of nftables v${NFT_VERSION})\n`);
    throw new CommanderError(EXIT_OK, 'commander.version', '');
  });

  addNetworkOptions(program
    .command('compile')
    .description('check a ruleset file; with --debug=netlink print its bytecode as `nft -c --debug=netlink -f` does')
    .requiredOption('-f, --file <FILE>', 'ruleset file')
    .option('-j, --json', 'as `nft -j -f`: the file may be nft\'s JSON (a file starting with { is read as JSON, -j or not)')
    .addOption(new Option('--debug <what>', 'print the bytecode').choices(['netlink'])))
    .addHelpText('after', `\nExamples:\n  nftwasm compile -f rules.nft --debug=netlink\n  nftwasm compile -j -f rules.json --debug=netlink\n${EXIT_CODES_HELP}`)
    .action((opts: { file: string; debug?: string; json?: boolean } & NetworkFlags) => {
      result.task = (async () => {
        const r = compileFile(opts.file, opts, readNetwork(opts));
        if (opts.debug === 'netlink') io.out(r.toNetlinkDebug());
        return EXIT_OK;
      })();
    });

  addNetworkOptions(program
    .command('list')
    .description('print a ruleset file as `nft list ruleset` prints it once loaded')
    .requiredOption('-f, --file <FILE>', 'ruleset file')
    .option('-a, --handle', 'show rule handles')
    .option('-s, --stateless', 'omit counter values')
    .option('-j, --json', 'print it as `nft -j list ruleset` does (libnftables JSON)'))
    .addHelpText('after', `\nExamples:\n  nftwasm list -a -f rules.nft\n  nftwasm list -j -f rules.nft | jq .\n${EXIT_CODES_HELP}`)
    .action((opts: { file: string; handle?: boolean; stateless?: boolean; json?: boolean } & NetworkFlags) => {
      result.task = (async () => {
        io.out(compileFile(opts.file, opts, readNetwork(opts)).toListing({ handles: opts.handle, stateless: opts.stateless, json: opts.json }));
        return EXIT_OK;
      })();
    });

  addRunOptions(
    program
      .command('filter')
      .description('run a capture file (pcap or pcapng) through a ruleset')
      .requiredOption('-r, --read <CAPTURE>', 'pcap or pcapng capture to read, - for standard input'),
  )
    .option('--no-progress', 'no progress bar, even on a terminal')
    .option('--workers <N>', 'shard the flows across N worker threads (the results are those of one); not the default: every worker reads and walks every record, and with -w, --dropped or --json the main thread merges their results packet by packet, which costs more than they save on two cores', positiveNumber('--workers', true))
    .addHelpText('after', `\nExamples:\n  nftwasm filter -f rules.nft -r in.pcapng --local 10.0.0.2 -w accepted.pcapng --dropped dropped.pcap --list\n  nftwasm filter -f rules.nft -r in.pcap --json --events | jq .\n  nftwasm filter -f rules.nft -r in.pcap --trace 1,5 --trace-filter 'tcp dport 22'\n${EXIT_CODES_HELP}`)
    .action((opts: FilterFlags) => {
      result.task = runFilter(opts, io);
    });

  addRunOptions(
    program
      .command('capture')
      .description('run the packets of a live interface through a ruleset (needs libpcap and the optional `cap` module, and root)')
      .requiredOption('-i, --interface <IFACE>', 'interface to capture on'),
  )
    .option('-c, --count <N>', 'stop after N packets', positiveNumber('--count', true))
    .option('--duration <SECONDS>', 'stop after this many seconds', positiveNumber('--duration', false))
    .option('--capture-filter <BPF>', "libpcap filter applied before the ruleset, e.g. 'not port 22'")
    .addHelpText('after', `\nStops on Ctrl-C or SIGTERM with every file flushed and a final report; SIGUSR1 prints the counters\nand the conntrack table so far on standard error.\n\nExample:\n  nftwasm capture -i eth0 -f rules.nft --local 10.0.0.2 -w seen.pcapng --events --duration 60 --list\n${EXIT_CODES_HELP}`)
    .action((opts: CaptureFlags) => {
      result.task = runCapture(opts, io);
    });

  addNetworkOptions(program
    .command('diff'))
    .description('replay a capture through two rulesets and report every connection whose packets meet another verdict')
    .argument('<OLD>', 'the ruleset in place')
    .argument('<NEW>', 'the ruleset to try')
    .requiredOption('-r, --read <CAPTURE>', 'pcap or pcapng capture to read, - for standard input')
    .option('--local <ADDR[,ADDR...]>', "the filtering host's addresses: packets to them take input, from them output, the rest forward (repeatable)", collect)
    .option('--sysctl <NAME=VALUE>', 'set a conntrack tunable, e.g. nf_conntrack_tcp_loose=0 (repeatable)', collect)
    .option('--json', 'one JSON object per changed connection, then a summary object')
    .option('--exit-code', 'exit 1 when some connection changes fate, as `git diff --exit-code` does')
    .addHelpText('after', `\nExample:\n  nftwasm diff old.nft new.nft -r yesterday.pcapng --local 10.0.0.2\n\nExit codes: 0 success (with --exit-code: nothing changes), 1 input error (with --exit-code: something changes), 2 usage error.\n`)
    .action((oldPath: string, newPath: string, opts: DiffFlags) => {
      result.task = runDiff(oldPath, newPath, opts, io);
    });

  return program;
}

// Standard output is written synchronously, as the capture files are: a
// stream would queue what a slow reader has not taken yet (a listing of
// millions of entries, whole, in memory), and it loads the stream modules
// and, for a pipe or a terminal, the network ones. A reader gone away is an
// OutputClosedError.
function processIo(): Io {
  const stdout = FdOutput.stdout();
  return {
    out: (s) => stdout.write(Buffer.from(s)),
    err: (s) => process.stderr.write(s),
    get errIsTTY() {
      return process.stderr.isTTY;
    },
  };
}

// Read only when asked for: most runs never need it.
function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  const result: { task?: Promise<number> } = {};
  const program = buildProgram(io, result);
  try {
    await program.parseAsync(argv, { from: 'user' });
    if (!result.task) {
      program.outputHelp({ error: true });
      return EXIT_USAGE;
    }
    return await result.task;
  } catch (e) {
    if (e instanceof CommanderError) {
      // commander.help: help asked for (exit code 0) or shown for want of a command.
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || (e.code === 'commander.help' && e.exitCode === 0)) return EXIT_OK;
      if (e.code === 'nftwasm.usage') io.err(`nftwasm: ${e.message}\n`);
      return EXIT_USAGE;
    }
    if (e instanceof NftError) {
      io.err(`${e.message}\n`);
      return EXIT_INPUT;
    }
    if (e instanceof OutputClosedError) return EXIT_OK;
    if (e instanceof InputError || e instanceof HostNetworkError || e instanceof CaptureFormatError || e instanceof LiveCaptureError || e instanceof MixedLinkTypesError || e instanceof OutputError) {
      io.err(`nftwasm: ${e.message}\n`);
      return EXIT_INPUT;
    }
    throw e;
  }
}
