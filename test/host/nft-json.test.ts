// nft's JSON on the command line: `list -j` and `filter --list -j` print
// what `nft -j list ruleset` prints (the counters after traffic included),
// `compile -j` and `filter -j` read what nft -j reads; compared with the
// live nft.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { liveNftReason, nftDebugText, nftListingText } from '../compiler/live-nft.js';
import { EXAMPLE_CAPTURE, EXAMPLE_RULESET, nftwasm } from './cli-run.js';

const run = ['filter', '-f', EXAMPLE_RULESET, '-r', EXAMPLE_CAPTURE, '--local', '10.99.0.2', '-q'];

describe.skipIf(!!liveNftReason())('list -j against nft -j list ruleset', () => {
  it('list -j prints what nft prints once the file is loaded', () => {
    const r = nftwasm(['list', '-j', '-f', EXAMPLE_RULESET]);
    expect(r.status).toBe(0);
    expect(r.stdout.toString()).toBe(nftListingText(readFileSync(EXAMPLE_RULESET, 'utf8'), ['-j']));
  });

  it('list -j -s and -j -a: without counter values, with handles', () => {
    const text = readFileSync(EXAMPLE_RULESET, 'utf8');
    expect(nftwasm(['list', '-j', '-s', '-f', EXAMPLE_RULESET]).stdout.toString()).toBe(nftListingText(text, ['-j', '-s']));
    expect(nftwasm(['list', '-j', '-a', '-f', EXAMPLE_RULESET]).stdout.toString()).toBe(nftListingText(text, ['-j', '-a']));
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

describe.skipIf(!!liveNftReason())('JSON rulesets in', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nftwasm-json-'));
  const jsonFile = join(dir, 'web.json');
  writeFileSync(jsonFile, nftListingText(readFileSync(EXAMPLE_RULESET, 'utf8'), ['-j']));

  it('compile -j --debug=netlink prints what nft -j -c --debug=netlink prints', () => {
    const r = nftwasm(['compile', '-j', '-f', jsonFile, '--debug=netlink']);
    expect(r.status).toBe(0);
    expect(r.stdout.toString()).toBe(nftDebugText(readFileSync(jsonFile, 'utf8'), ['-j']).out);
  });

  it('compile -j takes the text too, as nft -j -f does', () => {
    const r = nftwasm(['compile', '-j', '-f', EXAMPLE_RULESET, '--debug=netlink']);
    expect(r.status).toBe(0);
    expect(r.stdout.toString()).toBe(nftDebugText(readFileSync(EXAMPLE_RULESET, 'utf8'), ['-j']).out);
  });

  it('filter -j: the JSON ruleset filters the capture as its text does', () => {
    const text = nftwasm([...run, '--list']);
    const json = nftwasm(['filter', '-j', '-f', jsonFile, '-r', EXAMPLE_CAPTURE, '--local', '10.99.0.2', '-q', '--list', '--json']);
    const plain = nftwasm([...run, '--list', '--json']);
    expect(json.status).toBe(0);
    expect(json.stdout.toString().split('\n').slice(0, -2)).toEqual(plain.stdout.toString().split('\n').slice(0, -2));
    expect(nftwasm(['filter', '-f', jsonFile, '-r', EXAMPLE_CAPTURE, '--local', '10.99.0.2', '-q', '--list']).stdout.toString()).toBe(text.stdout.toString());
  });
});

it('a JSON file that is not nft\'s schema: one error naming the place, exit 1', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nftwasm-json-'));
  const file = join(dir, 'bad.json');
  writeFileSync(file, '{"nftables": [{"add": {"table": {"family": "inet", "name": "t"}}},\n {"add": {"chain": {"family": "inet", "table": "t", "name": 7}}}]}\n');
  const r = nftwasm(['compile', '-f', file]);
  expect(r.status).toBe(1);
  expect(r.stderr.split('\n')[0]).toBe(`${file}:2:61-61: Error: Expected string, got integer (at /nftables/1/add/chain/name)`);
});
