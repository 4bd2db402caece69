// `list -j`: the ruleset as `nft -j list ruleset` prints it once loaded,
// compared byte for byte with the live nft in a throwaway namespace.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/index.js';
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
