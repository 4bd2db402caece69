// Reads nftables' own regression corpus (tests/py): rule lines with their
// expected listing, and the expected bytecode blocks per family. The corpus
// is GPL test data and stays outside the repository; its location comes
// from NFTWASM_CONFORMANCE or defaults to ../shared/conformance/nftables-tests-py.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const CORPUS_DIR = process.env.NFTWASM_CONFORMANCE
  ?? new URL('../../../shared/conformance/nftables-tests-py', import.meta.url).pathname;

export const CORPUS_FILES = ['any/ct.t', 'ip/ct.t', 'inet/ct.t', 'any/counter.t', 'ip/ip.t', 'inet/tcp.t', 'inet/udp.t', 'ip/icmp.t'];

export interface CorpusTable {
  family: string;
  table: string;
  chains: string[];
}

export interface CorpusLine {
  file: string;
  lineno: number;
  rule: string;
  ok: boolean;
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

export function readCorpusFile(path: string): CorpusFile {
  const text = readFileSync(join(CORPUS_DIR, path), 'utf8');
  const chains = new Map<string, string>();
  const tables: CorpusTable[] = [];
  const lines: CorpusLine[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith('-')) return;
    if (line.startsWith(':')) {
      const [name, spec] = line.slice(1).split(';');
      chains.set(name, spec);
    } else if (line.startsWith('*')) {
      const [family, table, chainList] = line.slice(1).split(';');
      tables.push({ family, table, chains: chainList.split(',') });
    } else {
      const parts = line.split(';');
      if (parts.length < 2 || (parts[1] !== 'ok' && parts[1] !== 'fail')) return;
      lines.push({ file: path, lineno: i + 1, rule: parts[0].trim(), ok: parts[1] === 'ok', expected: (parts[2] ?? parts[0]).trim() });
    }
  });
  return { path, chains, tables, lines };
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
