// `list -j`: the ruleset as `nft -j list ruleset` prints it once loaded,
// compared byte for byte with the live nft in a throwaway namespace.
// nft-test.py runs nft with TZ=UTC-2, which the corpus's hours assume.
process.env.TZ = 'UTC-2';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile, NftError } from '../../compiler/index.js';
import { corpusAvailable, corpusFiles, readCorpusFile } from './corpus.js';
import { JSON_RULESETS as RULESETS } from './json-rulesets.js';
import { liveNftReason, nftListingText } from './live-nft.js';

const EXAMPLES = new URL('../../examples/', import.meta.url).pathname;

function ours(text: string): string {
  return compile(text, { filename: 'rules.nft' }).toListing({ json: true });
}


describe.skipIf(!!liveNftReason())('nft -j list ruleset', () => {
  for (const file of readdirSync(EXAMPLES).filter((f) => f.endsWith('.nft'))) {
    it(`examples/${file}`, () => {
      const text = readFileSync(join(EXAMPLES, file), 'utf8');
      expect(ours(text)).toBe(nftListingText(text, ['-j']));
    });
  }
  for (const [name, text] of Object.entries(RULESETS)) {
    it(name, () => {
      expect(ours(text)).toBe(nftListingText(text, ['-j']));
    });
  }
});

// Every corpus file's rules that nftwasm takes, one table per family,
// loaded into the live nft: the whole `nft -j list ruleset` is the same.
// Where nft's listing itself differs from nftwasm's text listing, so does
// its JSON: the order of an anonymous set of flag values (nft keeps the
// kernel's hash order).
const KNOWN_DIFFERENT = new Set(['inet/tcp.t']);

describe.skipIf(!!liveNftReason() || !corpusAvailable())('nft -j list ruleset over the corpus', () => {
  it('lists every table of the corpus as the live nft does', () => {
    const differ: string[] = [];
    let compared = 0;
    for (const path of corpusFiles().filter((p) => !KNOWN_DIFFERENT.has(p))) {
      const file = readCorpusFile(path);
      for (const table of file.tables) {
        const chain = table.chains[0]!;
        const head = `table ${table.family} ${table.table} {\n\tchain ${chain} {\n\t\t${file.chains.get(chain) ?? 'type filter hook input priority 0'}; policy accept;\n`;
        const source = (rules: string[]) => `${head}${rules.map((r) => `\t\t${r}\n`).join('')}\t}\n}\n`;
        const rules = file.lines.filter((l) => l.kind === 'rule' && l.ok && compiles(source([l.text]))).map((l) => l.text);
        if (!rules.length) continue;
        const text = source(rules);
        let theirs: string;
        try {
          theirs = nftListingText(text, ['-j']);
        } catch {
          continue; // nft refuses one of the rules in this family's table
        }
        compared++;
        if (ours(text) !== theirs) differ.push(`${path} ${table.family}`);
      }
    }
    expect(compared).toBeGreaterThan(100);
    expect(differ).toEqual([]);
  }, 300_000);
});

function compiles(text: string): boolean {
  try {
    compile(text, { filename: 'corpus.nft' });
    return true;
  } catch (e) {
    if (e instanceof NftError) return false;
    throw e;
  }
}
