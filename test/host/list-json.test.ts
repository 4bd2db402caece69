// `nftwasm list -j` and `filter --list -j`: what `nft -j list ruleset`
// prints, the counters after traffic included, compared with the live nft.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { liveNftReason, nftListingText } from '../compiler/live-nft.js';
import { EXAMPLE_CAPTURE, EXAMPLE_RULESET, nftwasm } from './cli-run.js';

const run = ['filter', '-f', EXAMPLE_RULESET, '-r', EXAMPLE_CAPTURE, '--local', '10.99.0.2', '-q'];

describe.skipIf(!!liveNftReason())('list -j against nft -j list ruleset', () => {
  it('list -j prints what nft prints once the file is loaded', () => {
    const r = nftwasm(['list', '-j', '-f', EXAMPLE_RULESET]);
    expect(r.status).toBe(0);
    expect(r.stdout.toString()).toBe(nftListingText(readFileSync(EXAMPLE_RULESET, 'utf8'), ['-j']));
  });

  it('filter --list -j: the counters after the capture, as nft lists a ruleset holding them', () => {
    // nft loads the counters the text listing shows; its JSON of that
    // ruleset is what the JSON listing must be.
    const text = nftwasm([...run, '--list']).stdout.toString();
    expect(text).toMatch(/counter packets [1-9]/);
    const json = nftwasm([...run, '--list', '-j']);
    expect(json.status).toBe(0);
    expect(json.stdout.toString()).toBe(nftListingText(text, ['-j']));
  });
});

it('-j without --list is a usage error', () => {
  const r = nftwasm([...run, '-j']);
  expect(r.status).toBe(2);
  expect(r.stderr).toContain('-j prints the listing of --list as JSON: give --list too');
});
