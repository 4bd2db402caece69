import { describe, expect, it } from 'vitest';
import { compile, NftError } from '../../compiler/index.js';

function error(source: string): NftError {
  try {
    compile(source, { filename: 'bad.nft' });
  } catch (e) {
    if (e instanceof NftError) return e;
    throw e;
  }
  throw new Error('compiled');
}

describe('errors', () => {
  it('render as nft prints them, tabs kept under the carets', () => {
    // `nft -c -f bad.nft` with this file prints exactly this.
    const e = error('table ip t {\n\tchain c {\n\t\tct state foo accept\n\t}\n}\n');
    expect(e.message).toBe('bad.nft:3:12-14: Error: Could not parse conntrack state\n\t\tct state foo accept\n\t\t         ^^^');
    expect([e.file, e.line, e.column, e.endColumn]).toEqual(['bad.nft', 3, 12, 14]);
  });
});
