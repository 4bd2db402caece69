// Every rule line of the corpus files nftwasm claims, in every table and
// chain the file lists, as nft-test.py runs them: ok lines must compile to
// the expected bytecode and list as expected, fail lines must be rejected.
import { describe, expect, it } from 'vitest';
import { compile, NftError } from '../../compiler/index.js';
import { CORPUS_DIR, CORPUS_FILES, corpusAvailable, payloadBlocks, readCorpusFile, type CorpusFile, type CorpusLine, type CorpusTable } from './corpus.js';

// Raise as the compiler improves; the tally must never fall below it.
const FLOOR_OK = 1298;
const FLOOR_FAIL = 113;

// nft-test.py's set_check_element: a set's elements compare as a sorted
// list with spaces removed. nft-test.py does this for the first set of a
// rule whose input has one, and so warns on lines where nft itself lists
// sets it adds (icmp echo dependencies) or a second set; here every set
// compares that way.
function sameListing(want: string, got: string): boolean {
  const norm = (s: string) => s.replace(/\{([^{}]*)\}/g, (_, inner: string) => `{${inner.replace(/ /g, '').split(',').sort().join(',')}}`);
  return want === got || norm(want) === norm(got);
}

function elementSet(line: string): string {
  return line.split('[end]').map((x) => x.trim()).filter(Boolean).sort().join('|');
}

// Like nft-test.py's payload_check: instruction lines must match exactly,
// element lines as sets, and header lines (table, set names) are skipped.
function sameBytecode(want: string[], got: string[]): boolean {
  const pick = (lines: string[]) => lines.filter((l) => l.includes('[') && l.includes(']'));
  const w = pick(want);
  const g = pick(got);
  if (w.length !== g.length) return false;
  return w.every((line, i) => line.trim() === g[i].trim() || (line.trimStart().startsWith('element') && elementSet(line) === elementSet(g[i])));
}

function source(file: CorpusFile, table: CorpusTable, chain: string, rule: string): string {
  const spec = file.chains.get(chain) ?? 'type filter hook input priority 0';
  return `table ${table.family} ${table.table} {\n\tchain ${chain} {\n\t\t${spec}; policy accept;\n\t\t${rule}\n\t}\n}\n`;
}

interface Tally {
  okLines: number;
  okMatch: number;
  failLines: number;
  failRejected: number;
  mismatches: string[];
}

function check(file: CorpusFile, line: CorpusLine, table: CorpusTable, chain: string, tally: Tally): void {
  const text = source(file, table, chain, line.rule);
  if (!line.ok) {
    tally.failLines++;
    try {
      compile(text, { filename: 'corpus.nft' });
      tally.mismatches.push(`${line.file}:${line.lineno} [${table.family} ${chain}] accepted: ${line.rule}`);
    } catch (e) {
      if (!(e instanceof NftError)) tally.mismatches.push(`${line.file}:${line.lineno} [${table.family} ${chain}] crashed: ${(e as Error).message}`);
      else tally.failRejected++;
    }
    return;
  }
  tally.okLines++;
  let r;
  try {
    r = compile(text, { filename: 'corpus.nft' });
  } catch (e) {
    tally.mismatches.push(`${line.file}:${line.lineno} [${table.family} ${chain}] rejected: ${line.rule}: ${(e as Error).message.split('\n')[0]}`);
    return;
  }
  const listing = r.toListing({ stateless: true, numericProtocol: true }).split('\n');
  const at = listing.findIndex((l) => l.includes('type filter hook'));
  const listed = (listing[at + 1] ?? '').trim();
  if (!sameListing(line.expected, listed)) {
    tally.mismatches.push(`${line.file}:${line.lineno} [${table.family} ${chain}] listing: ${listed} != ${line.expected}`);
    return;
  }
  const blocks = payloadBlocks(line.file, table.family);
  const want = blocks?.get(line.rule);
  if (!want) {
    tally.mismatches.push(`${line.file}:${line.lineno} [${table.family} ${chain}] no expected bytecode: ${line.rule}`);
    return;
  }
  const got = r.toNetlinkDebug().split('\n').filter((l) => !l.includes('(null) (null)'));
  if (!sameBytecode(want, got)) {
    tally.mismatches.push(`${line.file}:${line.lineno} [${table.family} ${chain}] bytecode: ${line.rule}\n${got.join('\n')}\nwant:\n${want.join('\n')}`);
    return;
  }
  tally.okMatch++;
}

describe.skipIf(!corpusAvailable())(`conformance corpus (${CORPUS_DIR})`, () => {
  it('matches nft on every claimed rule line', () => {
    const tally: Tally = { okLines: 0, okMatch: 0, failLines: 0, failRejected: 0, mismatches: [] };
    for (const path of CORPUS_FILES) {
      const file = readCorpusFile(path);
      for (const line of file.lines) {
        for (const table of file.tables) for (const chain of table.chains) check(file, line, table, chain, tally);
      }
    }
    if (process.env.NFTWASM_CONFORMANCE_VERBOSE) console.log(tally.mismatches.join('\n'));
    console.log(`conformance: ${tally.okMatch}/${tally.okLines} ok lines match, ${tally.failRejected}/${tally.failLines} fail lines rejected (every table and chain of each file)`);
    expect(tally.okMatch).toBeGreaterThanOrEqual(FLOOR_OK);
    expect(tally.failRejected).toBeGreaterThanOrEqual(FLOOR_FAIL);
  });
});

if (!corpusAvailable()) console.log(`conformance corpus not found at ${CORPUS_DIR}: set NFTWASM_CONFORMANCE`);
