// The `nftwasm` command line. Exit codes: 0 ok, 1 input error (a ruleset or
// capture that cannot be read), 2 usage error.
import { Command, CommanderError, Option } from 'commander';
import { readFileSync, openSync, readSync, closeSync, writeSync } from 'node:fs';
import { compile, NftError, createFilter, CaptureFormatError } from './index.js';
import type { Ruleset } from '../compiler/index.js';
import { PcapWriter } from './capture/pcap-writer.js';
import type { PacketBatch } from './packet-batch.js';

export const EXIT_OK = 0;
export const EXIT_INPUT = 1;
export const EXIT_USAGE = 2;

class InputError extends Error {}

interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError(`${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'No such file or directory' : (e as Error).message}`);
  }
}

function compileFile(path: string): Ruleset {
  return compile(readText(path), { filename: path, readFile: readText });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function parseSysctls(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new CommanderError(EXIT_USAGE, 'nftwasm.usage', `--sysctl expects NAME=VALUE, got "${item}"`);
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

// A pcap file of packets, created on the first packet so it takes that
// packet's link type.
class PacketFile {
  private writer: PcapWriter | null = null;
  private fd = -1;

  constructor(private readonly path: string) {}

  add(batch: PacketBatch, i: number): void {
    if (!this.writer) this.open(batch.linkType(i));
    this.writer!.writePacket(batch.timeNs(i), batch.data(i), batch.originalLength(i));
  }

  private open(linktype: number): void {
    this.fd = this.path === '-' ? 1 : openSync(this.path, 'w');
    const fd = this.fd;
    this.writer = new PcapWriter((chunk) => writeAll(fd, chunk), { linktype, nanosecond: true });
  }

  close(linktypeIfEmpty: number): void {
    if (!this.writer) this.open(linktypeIfEmpty);
    this.writer!.flush();
    if (this.fd > 2) closeSync(this.fd);
  }
}

function writeAll(fd: number, chunk: Uint8Array): void {
  let at = 0;
  while (at < chunk.length) at += writeSync(fd, chunk, at, chunk.length - at);
}

interface FilterFlags {
  file: string;
  read: string;
  write?: string;
  dropped?: string;
  local?: string;
  list?: boolean;
  conntrack?: boolean;
  sysctl: string[];
  quiet?: boolean;
}

async function runFilter(flags: FilterFlags, io: Io): Promise<number> {
  const ruleset = compileFile(flags.file);
  const local = flags.local ? flags.local.split(',').filter((s) => s.trim() !== '') : [];
  let filter;
  try {
    filter = await createFilter(ruleset, { local, sysctl: parseSysctls(flags.sysctl) });
  } catch (e) {
    if (e instanceof RangeError) throw new CommanderError(EXIT_USAGE, 'nftwasm.usage', e.message);
    throw e;
  }
  const accepted = flags.write ? new PacketFile(flags.write) : null;
  const dropped = flags.dropped ? new PacketFile(flags.dropped) : null;
  const onBatch = accepted || dropped
    ? (batch: PacketBatch) => {
        for (let i = 0; i < batch.count; i++) (batch.accepted(i) ? accepted : dropped)?.add(batch, i);
      }
    : undefined;
  let failure: unknown = null;
  try {
    if (flags.read === '-') {
      await filter.processStream(process.stdin, onBatch, 'standard input');
    } else {
      let fd: number;
      try {
        fd = openSync(flags.read, 'r');
      } catch (e) {
        throw new InputError(`${flags.read}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'No such file or directory' : (e as Error).message}`);
      }
      try {
        filter.processReader((dest) => readSync(fd, dest), onBatch, flags.read);
      } finally {
        closeSync(fd);
      }
    }
  } catch (e) {
    failure = e;
  }
  // Whatever was read before any damage is still written and reported.
  const linktype = filter.engine.exports.captureLinkType() || 1;
  accepted?.close(linktype);
  dropped?.close(linktype);
  if (flags.list) io.out(filter.listRuleset());
  if (flags.conntrack) io.out(filter.conntrackListing());
  const s = filter.stats();
  if (!flags.quiet) {
    io.err(`nftwasm: ${s.packets} packets, ${s.accepted} accepted, ${s.dropped} dropped, ${s.conntrackEntries} conntrack entries\n`);
  }
  if (failure) throw failure;
  return EXIT_OK;
}

function buildProgram(io: Io, result: { code: number; task?: Promise<number> }): Command {
  const program = new Command('nftwasm')
    .description('nftables rulesets compiled to bytecode and run over captures in WebAssembly, with connection tracking')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });

  program
    .command('compile')
    .description('check a ruleset file; with --debug=netlink print its bytecode as `nft -c --debug=netlink -f` does')
    .requiredOption('-f, --file <FILE>', 'ruleset file')
    .addOption(new Option('--debug <what>', 'print the bytecode').choices(['netlink']))
    .action((opts: { file: string; debug?: string }) => {
      result.task = (async () => {
        const r = compileFile(opts.file);
        if (opts.debug === 'netlink') io.out(r.toNetlinkDebug());
        return EXIT_OK;
      })();
    });

  program
    .command('list')
    .description('print a ruleset file as `nft list ruleset` prints it once loaded')
    .requiredOption('-f, --file <FILE>', 'ruleset file')
    .option('-a, --handle', 'show rule handles')
    .option('-s, --stateless', 'omit counter values')
    .action((opts: { file: string; handle?: boolean; stateless?: boolean }) => {
      result.task = (async () => {
        io.out(compileFile(opts.file).toListing({ handles: opts.handle, stateless: opts.stateless }));
        return EXIT_OK;
      })();
    });

  program
    .command('filter')
    .description('run a capture through a ruleset')
    .requiredOption('-f, --file <FILE>', 'ruleset file')
    .requiredOption('-r, --read <CAPTURE>', 'pcap capture to read, - for standard input')
    .option('-w, --write <OUT>', 'write accepted packets to this pcap file, - for standard output')
    .option('--dropped <FILE>', 'write dropped packets to this pcap file')
    .option('--local <ADDR[,ADDR...]>', "the filtering host's addresses: packets to them take input, from them output, the rest forward")
    .option('--list', 'print the ruleset with its counters, as `nft list ruleset`')
    .option('--conntrack', 'print the conntrack table, as `conntrack -L -o extended,id`')
    .option('--sysctl <NAME=VALUE>', 'set a conntrack tunable, e.g. nf_conntrack_tcp_loose=0 (repeatable)', collect, [])
    .option('-q, --quiet', 'no summary on standard error')
    .action((opts: FilterFlags) => {
      result.task = runFilter(opts, io);
    });

  return program;
}

export async function main(argv: string[], io: Io = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) }): Promise<number> {
  const result: { code: number; task?: Promise<number> } = { code: EXIT_OK };
  const program = buildProgram(io, result);
  try {
    await program.parseAsync(argv, { from: 'user' });
    if (!result.task) {
      program.outputHelp();
      return EXIT_USAGE;
    }
    return await result.task;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return EXIT_OK;
      if (e.code === 'nftwasm.usage') io.err(`nftwasm: ${e.message}\n`);
      return EXIT_USAGE;
    }
    if (e instanceof NftError) {
      io.err(`${e.message}\n`);
      return EXIT_INPUT;
    }
    if (e instanceof InputError || e instanceof CaptureFormatError) {
      io.err(`nftwasm: ${e.message}\n`);
      return EXIT_INPUT;
    }
    throw e;
  }
}
