// Every .t file of nftables' corpus, as nft-test.py runs them: each rule
// line in every table and chain the file lists, after the sets, elements
// and objects declared above it. ok lines must compile to the expected
// bytecode and list as expected, fail lines must be rejected, and nothing
// may end in anything but nft's kind of error. The tally is reported per
// file and may never fall below the floors recorded in
// conformance-floors.json (NFTWASM_CONFORMANCE_RECORD=1 rewrites them).
import { readFileSync, writeFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { compile, NftError, type Ruleset } from '../../compiler/index.js';
import {
  CORPUS_DIR, corpusAvailable, corpusFiles, elementAddition, jsonBlocks, objectDeclaration, payloadBlocks, readCorpusFile, setDeclaration,
  type CorpusFile, type CorpusLine, type CorpusTable,
} from './corpus.js';

const FLOORS_FILE = new URL('./conformance-floors.json', import.meta.url);

interface Floor {
  ok: number;
  fail: number;
  // Rules whose nft -j listing matches the corpus's JSON.
  jsonOut?: number;
  // Rules whose JSON gives the bytecode of their text.
  json?: number;
}

interface FileTally {
  okTests: number;
  okMatch: number;
  failTests: number;
  failRejected: number;
  jsonOutTests: number;
  jsonOutMatch: number;
  jsonInTests: number;
  jsonInMatch: number;
  mismatches: string[];
  crashes: string[];
}

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

// What the tables hold when a line runs: the sets with their elements and
// the objects accepted so far.
interface Declarations {
  sets: Map<string, { declaration: string; elements: string[] }>;
  objects: string[];
}

function tableSource(file: CorpusFile, table: CorpusTable, decl: Declarations, rule?: { chain: string; text: string }): string {
  const body: string[] = [];
  for (const { declaration, elements } of decl.sets.values()) {
    const close = declaration.lastIndexOf('}');
    const withElements = elements.length ? `${declaration.slice(0, close)}elements = { ${elements.join(', ')} }; }` : declaration;
    body.push(`\t${withElements}`);
  }
  for (const object of decl.objects) body.push(`\t${object}`);
  for (const chain of table.chains) {
    const spec = file.chains.get(chain) ?? 'type filter hook input priority 0';
    const ruleText = rule?.chain === chain ? `\n\t\t${rule.text}` : '';
    body.push(`\tchain ${chain} {\n\t\t${spec}; policy accept;${ruleText}\n\t}`);
  }
  return `table ${table.family} ${table.table} {\n${body.join('\n')}\n}\n`;
}

// The rule's line (or lines, when a long set wraps) in the chain's listing.
function listedRule(listing: string, chain: string): string {
  const lines = listing.split('\n');
  let i = lines.findIndex((l) => l.trim() === `chain ${chain} {`);
  if (i < 0) return '';
  i++;
  while (i < lines.length && /^\s*type \S+ hook/.test(lines[i])) i++;
  const out: string[] = [];
  for (; i < lines.length && lines[i] !== '\t}'; i++) out.push(lines[i].trim());
  return out.join(' ');
}

type Outcome = { ok: true; value: ReturnType<typeof compile> } | { ok: false; error: string } | { ok: false; crash: string };

// nft-test.py runs nft with TZ=UTC-2, which the hours and dates of
// any/meta.t assume.
process.env.TZ = 'UTC-2';

// Users and groups as nft-test.py's nft finds them: this host's files.
function accountNames(path: string): Map<string, number> {
  const names = new Map<string, number>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const [name, , id] = line.split(':');
    if (name && id && /^\d+$/.test(id) && !names.has(name)) names.set(name, Number(id));
  }
  return names;
}
const ACCOUNTS = { users: accountNames('/etc/passwd'), groups: accountNames('/etc/group') };

function tryCompile(text: string): Outcome {
  try {
    return { ok: true, value: compile(text, { filename: 'corpus.nft', accounts: ACCOUNTS }) };
  } catch (e) {
    if (e instanceof NftError) return { ok: false, error: e.message.split('\n')[0] };
    return { ok: false, crash: (e as Error).stack ?? String(e) };
  }
}

function runRule(file: CorpusFile, line: CorpusLine, table: CorpusTable, chain: string, decl: Declarations, tally: FileTally): void {
  const where = `${line.file}:${line.lineno} [${table.family} ${chain}]`;
  const result = tryCompile(tableSource(file, table, decl, { chain, text: line.text }));
  if ('crash' in result) {
    tally.crashes.push(`${where} ${line.text}\n${result.crash}`);
    return;
  }
  if (!line.ok) {
    tally.failTests++;
    if (result.ok) tally.mismatches.push(`${where} accepted: ${line.text}`);
    else tally.failRejected++;
    return;
  }
  tally.okTests++;
  if (!result.ok) {
    tally.mismatches.push(`${where} rejected: ${line.text}: ${result.error}`);
    return;
  }
  const alone = tryCompile(tableSource(file, table, decl));
  checkJsonOutput(file, line, chain, result.value, where, tally);
  if (alone.ok) checkJsonInput(file, line, table, chain, alone.value, ruleBytecode(result.value, alone.value), where, tally);
  const listed = listedRule(result.value.toListing({ stateless: true, numericProtocol: true }), chain);
  if (!sameListing(line.expected, listed)) {
    tally.mismatches.push(`${where} listing: ${listed} != ${line.expected}`);
    return;
  }
  const want = payloadBlocks(line.file, table.family)?.get(line.text);
  if (!want) {
    tally.mismatches.push(`${where} no expected bytecode: ${line.text}`);
    return;
  }
  const got = ruleBytecode(result.value, alone.ok ? alone.value : undefined);
  if (!sameBytecode(want, got)) {
    tally.mismatches.push(`${where} bytecode: ${line.text}\n${got.join('\n')}\nwant:\n${want.join('\n')}`);
    return;
  }
  tally.okMatch++;
}

// The rule's own blocks are what its table prints beyond the table alone.
// A rule that adds to a named set marks it dynamic (NFT_SET_EVAL) in the
// declaration nft sends in the same batch; nft's tests create the set in
// a batch before the rule's, so its flags are not the rule's to print.
function ruleBytecode(withRule: Ruleset, alone: Ruleset | undefined): string[] {
  const prefix = (alone ? alone.toNetlinkDebug() : '').split('\n');
  const full = withRule.toNetlinkDebug().split('\n');
  const last = prefix.length - 1;
  const declared = (l: string, m: string | undefined) => {
    const [a, b] = [l.split(' '), m?.split(' ') ?? []];
    return !/^[_\t]/.test(l) && a.length === b.length && a.every((w, i) => w === b[i] || (i === 2 && /^[0-9a-f]+$/.test(w) && /^[0-9a-f]+$/.test(b[i]!)));
  };
  const own = prefix.every((l, i) => (i === last ? full[i]?.startsWith(l) : l === full[i] || declared(l, full[i])));
  const rest = own ? [full[last]!.slice(prefix[last]!.length), ...full.slice(last + 1)] : full;
  return rest.filter((l) => !l.includes('(null) (null)'));
}

const aloneCache = new Map<string, Ruleset>();

function compiledAlone(json: string): Ruleset {
  let r = aloneCache.get(json);
  if (!r) aloneCache.set(json, (r = compile(json, { filename: 'corpus.json', json: true, accounts: ACCOUNTS })));
  return r;
}

// The corpus's JSON of the rule, added to the table as nft -j lists it,
// must give the bytecode of the rule's text.
function checkJsonInput(file: CorpusFile, line: CorpusLine, table: CorpusTable, chain: string, alone: Ruleset, text: string[], where: string, tally: FileTally): void {
  const expr = jsonBlocks(file.path, '.json').get(line.text);
  if (expr === undefined) return;
  tally.jsonInTests++;
  const aloneJson = alone.toListing({ json: true });
  const doc = JSON.parse(aloneJson);
  doc.nftables.push({ add: { rule: { family: table.family, table: table.table, chain, expr } } });
  let got: string[];
  try {
    const json = compile(JSON.stringify(doc), { filename: 'corpus.json', json: true, accounts: ACCOUNTS });
    got = ruleBytecode(json, compiledAlone(aloneJson));
  } catch (e) {
    if (!(e instanceof NftError)) {
      tally.crashes.push(`${where} json input: ${line.text}\n${(e as Error).stack ?? String(e)}`);
      return;
    }
    tally.mismatches.push(`${where} json input rejected: ${line.text}: ${e.message.split('\n')[0]}`);
    return;
  }
  if (sameBytecode(text, got)) tally.jsonInMatch++;
  else tally.mismatches.push(`${where} json input bytecode: ${line.text}\n${got.join('\n')}\ntext:\n${text.join('\n')}`);
}

// The rule's expressions in `nft -j list ruleset`, against the corpus's
// JSON of it (what nft lists where it differs from what it reads).
function checkJsonOutput(file: CorpusFile, line: CorpusLine, chain: string, ruleset: ReturnType<typeof compile>, where: string, tally: FileTally): void {
  const want = jsonBlocks(file.path, '.json.output').get(line.text) ?? jsonBlocks(file.path, '.json').get(line.text);
  if (want === undefined) return;
  tally.jsonOutTests++;
  const items = JSON.parse(ruleset.toListing({ json: true, stateless: true, numericProtocol: true })).nftables as { rule?: { chain: string; expr: unknown } }[];
  const got = items.find((i) => i.rule?.chain === chain)?.rule?.expr;
  if (isDeepStrictEqual(got, want)) tally.jsonOutMatch++;
  else tally.mismatches.push(`${where} json output: ${line.text}\n${JSON.stringify(got)}\nwant:\n${JSON.stringify(want)}`);
}

// A set, element or object line, tried on each table: ok lines must be
// accepted and join the declarations, fail lines rejected.
function runDeclaration(file: CorpusFile, line: CorpusLine, decl: Declarations, tally: FileTally): void {
  const next: Declarations = { sets: new Map([...decl.sets].map(([k, v]) => [k, { ...v, elements: [...v.elements] }])), objects: [...decl.objects] };
  if (line.kind === 'set') {
    const declaration = setDeclaration(line.text);
    next.sets.set(line.text.split(' ')[0], { declaration, elements: [] });
  } else if (line.kind === 'element') {
    const { set, elements } = elementAddition(line.text);
    const target = next.sets.get(set);
    if (target) target.elements.push(elements);
    else next.sets.set(set, { declaration: `set ${set} { }`, elements: [elements] });
  } else {
    next.objects.push(objectDeclaration(line.text));
  }
  let accepted = true;
  for (const table of file.tables) {
    const where = `${line.file}:${line.lineno} [${table.family}]`;
    const result = tryCompile(tableSource(file, table, next));
    if ('crash' in result) {
      tally.crashes.push(`${where} ${line.text}\n${result.crash}`);
      accepted = false;
      continue;
    }
    if (line.ok) {
      tally.okTests++;
      if (result.ok) tally.okMatch++;
      else {
        accepted = false;
        tally.mismatches.push(`${where} rejected: ${line.text}: ${result.error}`);
      }
    } else {
      tally.failTests++;
      if (result.ok) tally.mismatches.push(`${where} accepted: ${line.text}`);
      else tally.failRejected++;
    }
  }
  if (line.ok && accepted) {
    decl.sets = next.sets;
    decl.objects = next.objects;
  }
}

function runFile(path: string): FileTally {
  const file = readCorpusFile(path);
  const tally: FileTally = { okTests: 0, okMatch: 0, failTests: 0, failRejected: 0, jsonOutTests: 0, jsonOutMatch: 0, jsonInTests: 0, jsonInMatch: 0, mismatches: [], crashes: [] };
  const decl: Declarations = { sets: new Map(), objects: [] };
  for (const line of file.lines) {
    if (line.kind !== 'rule') runDeclaration(file, line, decl, tally);
    else for (const table of file.tables) for (const chain of table.chains) runRule(file, line, table, chain, decl, tally);
  }
  return tally;
}

describe.skipIf(!corpusAvailable())(`conformance corpus (${CORPUS_DIR})`, () => {
  it('matches nft in every file, never below its floor, and never crashes', () => {
    const floors: Record<string, Floor> = JSON.parse(readFileSync(FLOORS_FILE, 'utf8'));
    const tallies = new Map(corpusFiles().map((path) => [path, runFile(path)]));
    const report: string[] = [];
    const below: string[] = [];
    const crashes: string[] = [];
    let ok = 0, okTests = 0, fail = 0, failTests = 0, jsonIn = 0, jsonInTests = 0, jsonOut = 0, jsonOutTests = 0;
    for (const [path, t] of tallies) {
      ok += t.okMatch; okTests += t.okTests; fail += t.failRejected; failTests += t.failTests;
      jsonOut += t.jsonOutMatch; jsonOutTests += t.jsonOutTests; jsonIn += t.jsonInMatch; jsonInTests += t.jsonInTests;
      report.push(`${path.padEnd(22)} ok ${`${t.okMatch}/${t.okTests}`.padStart(9)}  fail ${`${t.failRejected}/${t.failTests}`.padStart(7)}  json ${`${t.jsonInMatch}/${t.jsonInTests}`.padStart(9)}  json out ${`${t.jsonOutMatch}/${t.jsonOutTests}`.padStart(9)}${t.crashes.length ? `  CRASHES ${t.crashes.length}` : ''}`);
      const floor = floors[path] ?? { ok: 0, fail: 0 };
      if (t.okMatch < floor.ok || t.failRejected < floor.fail || t.jsonInMatch < (floor.json ?? 0) || t.jsonOutMatch < (floor.jsonOut ?? 0)) {
        below.push(`${path}: ok ${t.okMatch} < ${floor.ok} or fail ${t.failRejected} < ${floor.fail} or json ${t.jsonInMatch} < ${floor.json ?? 0} or json out ${t.jsonOutMatch} < ${floor.jsonOut ?? 0}`);
      }
      crashes.push(...t.crashes);
      if (process.env.NFTWASM_CONFORMANCE_VERBOSE) console.log(t.mismatches.join('\n'));
    }
    console.log(`conformance per file (ok: matched/tested, fail: rejected/tested, json: .t.json rules giving the text's bytecode/tested, json out: nft -j listings matched/tested; every table and chain):\n${report.join('\n')}\n`
      + `conformance: ${ok}/${okTests} ok tests match, ${fail}/${failTests} fail tests rejected, ${jsonIn}/${jsonInTests} JSON rules give the text's bytecode, ${jsonOut}/${jsonOutTests} JSON listings match over ${tallies.size} files`);
    if (process.env.NFTWASM_CONFORMANCE_RECORD) {
      const rows = [...tallies].map(([path, t]) => `  ${JSON.stringify(path)}: { "ok": ${t.okMatch}, "fail": ${t.failRejected}, "json": ${t.jsonInMatch}, "jsonOut": ${t.jsonOutMatch} }`);
      writeFileSync(FLOORS_FILE, `{\n${rows.join(',\n')}\n}\n`);
    }
    expect(crashes).toEqual([]);
    expect(below).toEqual([]);
    // Every rule three ways (text, JSON out, JSON in) takes a while on a
    // loaded machine.
  }, 180_000);
});

if (!corpusAvailable()) console.log(`conformance corpus not found at ${CORPUS_DIR}: set NFTWASM_CONFORMANCE`);
