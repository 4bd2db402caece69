// Every rule line of the corpus files nftwasm claims: ok lines must compile
// to the expected bytecode and list as expected, fail lines must be
// rejected. Lines for families without hooks in the image (arp, bridge,
// netdev) are counted as excluded, never silently dropped.
import { describe, expect, it } from 'vitest';
import { compile, NftError } from '../../compiler/index.js';
import { CORPUS_DIR, CORPUS_FILES, corpusAvailable, payloadBlocks, readCorpusFile, type CorpusFile, type CorpusLine, type CorpusTable } from './corpus.js';

const FAMILIES = new Set(['ip', 'ip6', 'inet']);
// Raise as the compiler improves; the tally must never fall below it.
const FLOOR_OK = 661;
const FLOOR_FAIL = 91;

// nft's own runner compares set elements as unordered collections.
function normaliseSets(text: string): string {
  return text.replace(/\{([^{}]*)\}/g, (_, inner: string) => `{ ${inner.split(',').map((x) => x.trim()).sort().join(', ')} }`);
}

function elementSet(line: string): string {
  return line.split('\t').map((x) => x.trim()).filter(Boolean).sort().join('|');
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

function source(file: CorpusFile, table: CorpusTable, rule: string): string {
  const spec = file.chains.get(table.chain) ?? 'type filter hook input priority 0';
  return `table ${table.family} ${table.table} {\n\tchain ${table.chain} {\n\t\t${spec}; policy accept;\n\t\t${rule}\n\t}\n}\n`;
}

interface Tally {
  okLines: number;
  okMatch: number;
  failLines: number;
  failRejected: number;
  excluded: number;
  mismatches: string[];
}

function check(file: CorpusFile, line: CorpusLine, table: CorpusTable, tally: Tally): void {
  const text = source(file, table, line.rule);
  if (!line.ok) {
    tally.failLines++;
    try {
      compile(text, { filename: 'corpus.nft' });
      tally.mismatches.push(`${line.file}:${line.lineno} [${table.family}] accepted: ${line.rule}`);
    } catch (e) {
      if (!(e instanceof NftError)) tally.mismatches.push(`${line.file}:${line.lineno} [${table.family}] crashed: ${(e as Error).message}`);
      else tally.failRejected++;
    }
    return;
  }
  tally.okLines++;
  let r;
  try {
    r = compile(text, { filename: 'corpus.nft' });
  } catch (e) {
    tally.mismatches.push(`${line.file}:${line.lineno} [${table.family}] rejected: ${line.rule}: ${(e as Error).message.split('\n')[0]}`);
    return;
  }
  const listing = r.toListing({ stateless: true, numericProtocol: true }).split('\n');
  const at = listing.findIndex((l) => l.includes('type filter hook'));
  const listed = (listing[at + 1] ?? '').trim();
  if (normaliseSets(listed) !== normaliseSets(line.expected)) {
    tally.mismatches.push(`${line.file}:${line.lineno} [${table.family}] listing: ${listed} != ${line.expected}`);
    return;
  }
  const blocks = payloadBlocks(line.file, table.family);
  const want = blocks?.get(line.rule);
  if (!want) {
    tally.mismatches.push(`${line.file}:${line.lineno} [${table.family}] no expected bytecode: ${line.rule}`);
    return;
  }
  const got = r.toNetlinkDebug().split('\n').filter((l) => !l.includes('(null) (null)'));
  if (!sameBytecode(want, got)) {
    tally.mismatches.push(`${line.file}:${line.lineno} [${table.family}] bytecode: ${line.rule}\n${got.join('\n')}\nwant:\n${want.join('\n')}`);
    return;
  }
  tally.okMatch++;
}

describe.skipIf(!corpusAvailable())(`conformance corpus (${CORPUS_DIR})`, () => {
  it('matches nft on every claimed rule line', () => {
    const tally: Tally = { okLines: 0, okMatch: 0, failLines: 0, failRejected: 0, excluded: 0, mismatches: [] };
    for (const path of CORPUS_FILES) {
      const file = readCorpusFile(path);
      for (const line of file.lines) {
        for (const table of file.tables) {
          if (!FAMILIES.has(table.family)) {
            tally.excluded++;
            continue;
          }
          check(file, line, table, tally);
        }
      }
    }
    if (process.env.NFTWASM_CONFORMANCE_VERBOSE) console.log(tally.mismatches.join('\n'));
    console.log(`conformance: ${tally.okMatch}/${tally.okLines} ok lines match, ${tally.failRejected}/${tally.failLines} fail lines rejected, ${tally.excluded} line-family pairs excluded (arp, bridge, netdev)`);
    expect(tally.okMatch).toBeGreaterThanOrEqual(FLOOR_OK);
    expect(tally.failRejected).toBeGreaterThanOrEqual(FLOOR_FAIL);
  });
});

if (!corpusAvailable()) console.log(`conformance corpus not found at ${CORPUS_DIR}: set NFTWASM_CONFORMANCE`);
