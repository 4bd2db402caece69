// Reads nftables' own regression corpus (tests/py): rule lines with their
// expected listing, the sets, elements and objects declared between them,
// and the expected bytecode blocks per family. The corpus is GPL test data
// and stays outside the repository; its location comes from
// NFTWASM_CONFORMANCE or defaults to ../shared/conformance/nftables-tests-py.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const CORPUS_DIR = process.env.NFTWASM_CONFORMANCE
  ?? new URL('../../../shared/conformance/nftables-tests-py', import.meta.url).pathname;

// The folders nft-test.py runs, in its order.
const FAMILY_DIRS = ['any', 'arp', 'bridge', 'inet', 'ip', 'ip6', 'netdev'];

export interface CorpusTable {
  family: string;
  table: string;
  chains: string[];
}

// One line of a .t file that nft-test.py runs as a test: a rule, or a set
// (`!`), elements (`?`) or an object (`%`) added to every table.
export interface CorpusLine {
  file: string;
  lineno: number;
  kind: 'rule' | 'set' | 'element' | 'object';
  text: string;
  ok: boolean;
  // For a rule: the listing nft should print for it.
  expected: string;
}

export interface CorpusFile {
  path: string;
  chains: Map<string, string>;
  tables: CorpusTable[];
  lines: CorpusLine[];
}

export function corpusAvailable(): boolean {
  return existsSync(CORPUS_DIR);
}

export function corpusFiles(): string[] {
  return FAMILY_DIRS.flatMap((dir) => {
    const path = join(CORPUS_DIR, dir);
    if (!existsSync(path)) return [];
    return readdirSync(path).filter((f) => f.endsWith('.t')).sort().map((f) => `${dir}/${f}`);
  });
}

const DECLARATIONS: Record<string, CorpusLine['kind']> = { '!': 'set', '?': 'element', '%': 'object' };

export function readCorpusFile(path: string): CorpusFile {
  const text = readFileSync(join(CORPUS_DIR, path), 'utf8');
  const chains = new Map<string, string>();
  const tables: CorpusTable[] = [];
  const lines: CorpusLine[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith('-')) return;
    const lineno = i + 1;
    if (line.startsWith(':')) {
      const [name, spec] = line.slice(1).split(';');
      chains.set(name, spec);
    } else if (line.startsWith('*')) {
      const [family, table, chainList] = line.slice(1).split(';');
      tables.push({ family, table, chains: chainList.split(',') });
    } else if (DECLARATIONS[line[0]]) {
      // An object's body may hold semicolons: its verdict follows the last brace.
      const brace = line.lastIndexOf('}');
      const [body, state] = line[0] === '%' && brace >= 0
        ? [line.slice(1, brace + 1), line.slice(brace + 2)]
        : line.slice(1).split(';');
      lines.push({ file: path, lineno, kind: DECLARATIONS[line[0]], text: body.trim(), ok: state.trim() === 'ok', expected: '' });
    } else {
      const parts = line.split(';');
      if (parts.length < 2 || (parts[1] !== 'ok' && parts[1] !== 'fail')) return;
      lines.push({ file: path, lineno, kind: 'rule', text: parts[0].trim(), ok: parts[1] === 'ok', expected: (parts[2] ?? parts[0]).trim() });
    }
  });
  return { path, chains, tables, lines };
}

// A set line as nft-test.py turns it into `add set` or `add map`:
// `NAME type T [. T]... [: D [. D]...] [timeout X] [flags F]`.
export function setDeclaration(text: string): string {
  const tokens = text.split(' ');
  const name = tokens[0];
  let key = `${tokens[1]} ${tokens[2]}`;
  const typeOf = tokens[1] === 'typeof';
  let i = 3;
  if (typeOf && tokens[i] === 'id') key += ` ${tokens[i++]}`;
  while (tokens[i] === '.') { key += ` . ${tokens[i + 1]}`; i += 2; }
  let data = '';
  while (tokens[i] === ':') { data = tokens[i + 1]; i += 2; }
  while (tokens[i] === '.') { data += ` . ${tokens[i + 1]}`; i += 2; }
  if (typeOf && tokens[i] === 'mark') data += ` ${tokens[i++]}`;
  let body = data ? `${key} : ${data};` : `${key};`;
  if (tokens.length === i + 2 && tokens[i] === 'timeout') { body += ` timeout ${tokens[i + 1]};`; i += 2; }
  if (tokens.length === i + 2 && tokens[i] === 'flags') body += ` flags ${tokens[i + 1]};`;
  return `${data ? 'map' : 'set'} ${name} { ${body} }`;
}

// An element line: `NAME ELEMENT[,ELEMENT]...`.
export function elementAddition(text: string): { set: string; elements: string } {
  const space = text.indexOf(' ');
  return { set: text.slice(0, space), elements: text.slice(space).split(',').map((e) => e.trim()).join(', ') };
}

// An object line: `NAME type KIND [SPEC]` with KIND one or two words.
export function objectDeclaration(text: string): string {
  const tokens = text.split(' ');
  let type = tokens[2];
  let rest = tokens.slice(3);
  if (type === 'ct' && ['helper', 'timeout', 'expectation'].includes(tokens[3])) {
    type = `ct ${tokens[3]}`;
    rest = tokens.slice(4);
  }
  const spec = rest.join(' ').trim();
  return `${type} ${tokens[0]} ${spec.startsWith('{') ? spec : `{ ${spec} }`}`;
}

// Expected bytecode blocks keyed by rule text, from the family's payload
// file when there is one, else the shared one.
export function payloadBlocks(path: string, family: string): Map<string, string[]> | undefined {
  const candidates = [`${path}.payload.${family}`, `${path}.payload`];
  const file = candidates.map((c) => join(CORPUS_DIR, c)).find((c) => existsSync(c));
  if (!file) return undefined;
  const blocks = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    if (raw.startsWith('# ')) {
      current = [];
      const key = raw.slice(2).trim();
      if (!blocks.has(key)) blocks.set(key, current);
      continue;
    }
    if (!raw.trim()) {
      current = undefined;
      continue;
    }
    current?.push(raw);
  }
  return blocks;
}

const jsonCache = new Map<string, Map<string, unknown>>();

// The JSON of each rule, keyed by rule text, from the file's `.t.json`
// (what nft -j reads) or `.t.json.output` (what it lists, where that
// differs).
export function jsonBlocks(path: string, suffix: '.json' | '.json.output'): Map<string, unknown> {
  const file = join(CORPUS_DIR, `${path}${suffix}`);
  const cached = jsonCache.get(file);
  if (cached) return cached;
  const blocks = new Map<string, unknown>();
  jsonCache.set(file, blocks);
  if (!existsSync(file)) return blocks;
  let key: string | undefined;
  let body = '';
  const flush = () => {
    if (key !== undefined && body.trim() && !blocks.has(key)) blocks.set(key, JSON.parse(body));
    body = '';
  };
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    if (raw.startsWith('# ')) {
      flush();
      key = raw.slice(2).trim();
      continue;
    }
    body += `${raw}\n`;
  }
  flush();
  return blocks;
}
